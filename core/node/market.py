"""The market of a node's paper venues: a recorded capture or a catalog dataset replayed on the
wall clock, or a live venue's public book.

Each event is applied when its moment comes (its offset in the capture divided by ``speed``, from
the time the replay started), through the one replay driver (``core/replay/driver.py``), at
market time = now: fills, journal rows and the risk engine's rates all see wall time. A venue
with ``delay_ms`` sees each event that much later. When the capture ends the market either loops
(the capture again from its start: the books resynchronise on its first snapshot, and prices
jump back to where it began) or holds (the books stay as they were; timers, marks and orders go
on against them).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from alephtx.core.data.source import MarketSource
from alephtx.core.engine.clock import MarketClock
from alephtx.core.model import Instrument
from alephtx.core.replay.driver import Deliver
from alephtx.core.replay.tape import Tape

log = logging.getLogger("alephtx.node.market")
MS = 1_000_000


Late = deque[tuple[int, Deliver, int]]  # (due, the deliver of the event's tape, event index)


@dataclass
class ReplayMarket:
    """``source`` is read window by window (a dataset) or as one tape (a capture); ``deliver_for``
    makes the driver of each tape."""

    source: MarketSource
    instrument: Instrument
    deliver_for: Callable[[Tape], Deliver]
    keys: list[str]
    delays_ms: dict[str, int]
    clock: MarketClock
    speed: float = 1.0
    at_end: Literal["loop", "hold"] = "loop"
    now: Callable[[], int] = time.time_ns
    loops: int = 0  # how many times the capture has been played to its end
    events: int = 0
    holding: bool = False
    kept: list[Tape] | None = None  # a capture's one tape, decoded at the start and played each loop
    _behind: int = 0

    async def run(self, stop: asyncio.Event) -> None:
        plain = [k for k in self.keys if not self.delays_ms.get(k)]
        late = {k: self.delays_ms[k] * MS for k in self.keys if self.delays_ms.get(k)}
        queues: dict[str, Late] = {k: deque() for k in late}
        while not stop.is_set():
            start, first, last = self.now(), None, None
            for tape in self.kept if self.kept is not None else self.source.tapes(self.instrument):
                deliver = self.deliver_for(tape)
                exch = tape.exch_ns.tolist()
                first = exch[0] if first is None and exch else first
                for i, t in enumerate(exch):
                    due = start + int((t - first) / self.speed)
                    if not await self._until(due, stop, queues):
                        return
                    at = self.clock.ns = max(self.clock.ns, self.now())
                    for key in plain:
                        if (pending := deliver(key, i, at)) is not None:
                            await pending
                    for key, q in queues.items():
                        q.append((due + late[key], deliver, i))
                    self.events += 1
                last = exch[-1] if exch else last
            if first is None:
                log.warning("node market: %s has no events; the books stay empty", self.source.name)
                self.holding = True
                await stop.wait()
                return
            self.loops += 1
            if self.at_end == "hold":
                self.holding = True
                log.info("node market: the replay ended; the books hold")
                await self._drain_late(queues, stop)
                await stop.wait()
                return
            span = max(1, (last or first) - first)
            log.info("node market: the replay ended (%d); playing it again (%.0f s)", self.loops, span / 1e9)

    async def _until(self, due: int, stop: asyncio.Event, queues: dict[str, Late]) -> bool:
        """Deliver the late venues' events as they fall due, until ``due``; False when the node
        stops meanwhile. Behind time (a slow machine, speed too high) it still yields to the
        event loop now and then, so that the servers answer."""
        while True:
            now = self.now()
            if any(q and q[0][0] <= now for q in queues.values()):
                at = self.clock.ns = max(self.clock.ns, now)
                for key, q in queues.items():
                    while q and q[0][0] <= now:
                        _, deliver, j = q.popleft()
                        if (pending := deliver(key, j, at)) is not None:
                            await pending
            if now >= due:
                self._behind += 1
                if self._behind % 256 == 0:
                    await asyncio.sleep(0)
                return not stop.is_set()
            nxt = min([due, *(q[0][0] for q in queues.values() if q)])
            await asyncio.sleep((nxt - now) / 1e9)
            if stop.is_set():
                return False

    async def _drain_late(self, queues: dict[str, Late], stop: asyncio.Event) -> None:
        last = max((q[-1][0] for q in queues.values() if q), default=0)
        if last:
            await self._until(last, stop, queues)

    def describe(self) -> str:
        state = "holding at its end" if self.holding else f"{self.at_end}, {self.loops} loops"
        return f"replay {self.source.name} x{self.speed:g} ({state})"


@dataclass
class LiveMarket:
    """The paper venues' books follow a live venue's public book (``stream``, a BookStream):
    every update is copied into each paper venue's book at market time = now, then matched,
    marked and handed to the strategies, as a replayed event is."""

    stream: Any
    venues: dict[str, Any]
    listener: Any
    on_mid: Callable[[str, int], None]
    clock: MarketClock
    source: str
    now: Callable[[], int] = time.time_ns
    events: int = 0

    async def run(self, stop: asyncio.Event) -> None:
        await self.stream.run(self._on_book, stop)

    async def _on_book(self, live: Any) -> None:
        self.events += 1
        at = self.clock.ns = max(self.clock.ns, self.now())
        bids, asks = live.depth(1000)
        bid_px, bid_q = [p for p, _ in bids], [q for _, q in bids]
        ask_px, ask_q = [p for p, _ in asks], [q for _, q in asks]
        for key, venue in self.venues.items():
            book = venue.books[key]
            book.apply_snapshot(bid_px, bid_q, ask_px, ask_q, self.events)
            venue.on_depth(key, at)
            await venue.flush()
            self.on_mid(key, book.mid_x2())
            if self.listener.wants_books(key):
                await self.listener.on_book(key, book)

    def describe(self) -> str:
        return f"live {self.source} ({self.events} book updates)"
