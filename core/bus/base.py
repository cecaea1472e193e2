"""The bus interface both implementations fulfil, and what they share."""

from __future__ import annotations

import abc
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("alephtx.bus")


@dataclass(slots=True)
class Msg:
    """A delivered message: ``data`` is already decoded to the subscriber's type."""

    subject: str
    data: Any
    reply: str = ""


# A handler may return a value: when the message came from `request`, that value is the reply.
Handler = Callable[[Msg], Awaitable[Any]]


@dataclass(slots=True)
class BusStats:
    published: int = 0
    delivered: int = 0
    decode_errors: int = 0
    handler_errors: int = 0


class Subscription(abc.ABC):
    subject: str

    @abc.abstractmethod
    async def unsubscribe(self) -> None: ...


class Bus(abc.ABC):
    """publish / subscribe (NATS wildcards) / request-reply / close.

    A malformed message is logged and counted in ``stats.decode_errors``; it never reaches the
    handler and never stops the subscription. A handler that raises is logged and counted in
    ``stats.handler_errors``; the subscription goes on.
    """

    stats: BusStats

    @abc.abstractmethod
    async def publish(self, subject: str, data: Any) -> None: ...

    @abc.abstractmethod
    async def subscribe(
        self, pattern: str, handler: Handler, type: Any = None, queue: str = "", durable: str = ""
    ) -> Subscription:
        """Deliver messages on subjects matching ``pattern`` to ``handler``.

        ``type`` decodes the payload (a msgspec Struct or builtin type); ``queue`` shares the
        messages among the subscribers of one queue group; ``durable`` (NATS only) names a
        JetStream consumer that resumes where it stopped, for the durable exec.* subjects.
        """

    @abc.abstractmethod
    async def request(self, subject: str, data: Any, type: Any = None, timeout: float = 1.0) -> Any:
        """Send and wait for one reply (TimeoutError when none comes)."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    async def flush(self) -> None:  # noqa: B027 - nothing to wait for in process; NATS overrides it
        """Wait until the server has everything sent so far (subscriptions included)."""

    async def __aenter__(self) -> Bus:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # Shared by both implementations so that they fail the same way.
    def _deliver_error(self, subject: str, exc: BaseException, decoding: bool) -> None:
        if decoding:
            self.stats.decode_errors += 1
            log.warning("bus: dropped a malformed message on %s: %s", subject, exc)
        else:
            self.stats.handler_errors += 1
            log.error("bus: handler for %s raised %s: %s", subject, type(exc).__name__, exc)
