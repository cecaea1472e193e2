"""In-process bus: the embedded default. Delivery is a direct call, in publish order.

``publish`` awaits each matching handler in turn, so a handler should be quick (strategies are);
there is no copy and no encoding unless the publisher hands over bytes. Handler errors are
counted and logged, never raised into the publisher.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from alephtx.core.bus import codec
from alephtx.core.bus.base import Bus, BusStats, Handler, Msg, Subscription
from alephtx.core.bus.subjects import check_subject, matches


class _Sub(Subscription):
    __slots__ = ("bus", "handler", "queue", "subject", "type")

    def __init__(self, bus: InProcessBus, subject: str, handler: Handler, typ: Any, queue: str) -> None:
        self.bus = bus
        self.subject = subject
        self.handler = handler
        self.type = typ
        self.queue = queue

    async def unsubscribe(self) -> None:
        self.bus._remove(self)


class InProcessBus(Bus):
    def __init__(self) -> None:
        self.stats = BusStats()
        self._subs: list[_Sub] = []
        self._routes: dict[str, list[_Sub]] = {}  # subject -> matching subscriptions (cache)
        self._rr = itertools.count()
        self._inbox = itertools.count()
        self._closed = False

    def _remove(self, sub: _Sub) -> None:
        if sub in self._subs:
            self._subs.remove(sub)
            self._routes.clear()

    async def subscribe(
        self, pattern: str, handler: Handler, type: Any = None, queue: str = "", durable: str = ""
    ) -> Subscription:
        self._check_open()
        check_subject(pattern, "pattern", wildcards=True)
        sub = _Sub(self, pattern, handler, type, queue)
        self._subs.append(sub)
        self._routes.clear()
        return sub

    def _route(self, subject: str) -> list[_Sub]:
        subs = [s for s in self._subs if matches(s.subject, subject)]
        # One member of each queue group gets each message, round robin.
        groups: dict[str, list[_Sub]] = {}
        plain = []
        for s in subs:
            if s.queue:
                groups.setdefault(s.queue, []).append(s)
            else:
                plain.append(s)
        if not groups:
            self._routes[subject] = plain
            return plain
        n = next(self._rr)
        return plain + [members[n % len(members)] for members in groups.values()]

    async def publish(self, subject: str, data: Any) -> None:
        await self._publish(subject, data, "")

    async def _publish(self, subject: str, data: Any, reply: str) -> None:
        self._check_open()
        subs = self._routes.get(subject)
        if subs is None:
            check_subject(subject)
            subs = self._route(subject)
        self.stats.published += 1
        for sub in subs:
            try:
                value = codec.coerce(data, sub.type)
            except codec.DecodeError as exc:
                self._deliver_error(subject, exc, decoding=True)
                continue
            try:
                result = await sub.handler(Msg(subject, value, reply))
            except Exception as exc:
                self._deliver_error(subject, exc, decoding=False)
                continue
            self.stats.delivered += 1
            if reply and result is not None:
                await self._publish(reply, result, "")

    async def request(self, subject: str, data: Any, type: Any = None, timeout: float = 1.0) -> Any:
        self._check_open()
        inbox = f"_INBOX.{next(self._inbox)}"
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        async def on_reply(msg: Msg) -> None:
            if not fut.done():
                fut.set_result(msg.data)

        sub = await self.subscribe(inbox, on_reply, type=type)
        try:
            await self._publish(subject, data, inbox)
            return await asyncio.wait_for(fut, timeout)
        finally:
            await sub.unsubscribe()

    async def close(self) -> None:
        self._closed = True
        self._subs.clear()
        self._routes.clear()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("bus is closed")
