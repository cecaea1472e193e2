"""NATS bus (nats-py). Orders and execution reports go through JetStream so they survive restarts.

Every subject can carry a namespace prefix (``namespace="desk1"`` publishes ``desk1.md.book...``)
so that several engines, or test runs, share one server without hearing each other.
"""

from __future__ import annotations

import contextlib
import logging
import re
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg as NatsMsg
from nats.aio.subscription import Subscription as NatsSubscription
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

from alephtx.core.bus import codec
from alephtx.core.bus.base import Bus, BusStats, Handler, Msg, Subscription
from alephtx.core.bus.subjects import DURABLE, check_subject, matches

log = logging.getLogger("alephtx.bus.nats")


class _Sub(Subscription):
    def __init__(self, subject: str, sub: NatsSubscription) -> None:
        self.subject = subject
        self._sub = sub

    async def unsubscribe(self) -> None:
        await self._sub.unsubscribe()


class NatsBus(Bus):
    def __init__(self, nc: Client, js: JetStreamContext, namespace: str, stream: str) -> None:
        self.stats = BusStats()
        self._nc = nc
        self._js = js
        self._prefix = f"{namespace}." if namespace else ""
        self.stream = stream

    @classmethod
    async def connect(
        cls,
        url: str = "nats://127.0.0.1:4222",
        namespace: str = "",
        token: str | None = None,
        connect_timeout: float = 2.0,
    ) -> NatsBus:
        """Connect and make sure the JetStream stream for the durable exec.* subjects exists."""
        if namespace:
            check_subject(namespace, "namespace")
        nc = await nats.connect(
            url,
            token=token,
            connect_timeout=connect_timeout,
            max_reconnect_attempts=-1,
            allow_reconnect=True,
            error_cb=_log_error,
        )
        js = nc.jetstream()
        stream = "ALEPH_" + (re.sub(r"[^A-Za-z0-9_-]", "_", namespace) + "_" if namespace else "") + "EXEC"
        prefix = f"{namespace}." if namespace else ""
        config = StreamConfig(name=stream, subjects=[prefix + s for s in DURABLE])
        try:
            await js.stream_info(stream)
            await js.update_stream(config)
        except NotFoundError:
            await js.add_stream(config)
        return cls(nc, js, namespace, stream)

    def _durable(self, subject: str) -> bool:
        return any(matches(p, subject) for p in DURABLE)

    async def publish(self, subject: str, data: Any) -> None:
        check_subject(subject)
        payload = codec.encode(data)
        if self._durable(subject):
            await self._js.publish(self._prefix + subject, payload)  # waits for the stream's ack
        else:
            await self._nc.publish(self._prefix + subject, payload)
        self.stats.published += 1

    async def subscribe(
        self, pattern: str, handler: Handler, type: Any = None, queue: str = "", durable: str = ""
    ) -> Subscription:
        check_subject(pattern, "pattern", wildcards=True)
        cut = len(self._prefix)

        async def on_msg(m: NatsMsg) -> None:
            subject = m.subject[cut:]
            try:
                value = codec.decode(m.data, type)
            except codec.DecodeError as exc:
                self._deliver_error(subject, exc, decoding=True)
                if durable:
                    await m.term()  # never redeliver a message that cannot be decoded
                return
            try:
                result = await handler(Msg(subject, value, m.reply if not durable else ""))
            except Exception as exc:
                self._deliver_error(subject, exc, decoding=False)
                if durable:
                    await m.nak()
                return
            self.stats.delivered += 1
            if durable:
                await m.ack()
            elif m.reply and result is not None:
                await self._nc.publish(m.reply, codec.encode(result))

        sub: Any
        if durable:
            if not self._durable(pattern.replace(">", "x").replace("*", "x")):
                raise ValueError(f"durable={durable!r}: only {DURABLE} subjects are kept in JetStream")
            sub = await self._js.subscribe(
                self._prefix + pattern, durable=durable, cb=on_msg, manual_ack=True, stream=self.stream
            )
        else:
            sub = await self._nc.subscribe(self._prefix + pattern, queue=queue, cb=on_msg)
        return _Sub(pattern, sub)

    async def request(self, subject: str, data: Any, type: Any = None, timeout: float = 1.0) -> Any:
        check_subject(subject)
        try:
            reply = await self._nc.request(self._prefix + subject, codec.encode(data), timeout=timeout)
        except nats.errors.TimeoutError:
            raise TimeoutError(f"no reply on {subject} within {timeout}s") from None
        except nats.errors.NoRespondersError:
            raise TimeoutError(f"no responder on {subject}") from None
        return codec.decode(reply.data, type)

    async def flush(self) -> None:
        await self._nc.flush()

    async def delete_stream(self) -> None:
        """Drop this namespace's JetStream stream (test clean-up and operator resets)."""
        with contextlib.suppress(NotFoundError):
            await self._js.delete_stream(self.stream)

    async def close(self) -> None:
        if not self._nc.is_closed:
            await self._nc.drain()


async def _log_error(exc: Exception) -> None:
    log.warning("nats: %s", exc)


__all__ = ["NatsBus"]
