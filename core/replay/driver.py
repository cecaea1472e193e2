"""The one replay driver: a tape's events applied to paper venues, and whoever listens told.

Every replay goes through ``make_deliver``: a session's (strategies on the engine, in market time,
as fast as the machine goes), the venue emulators' and the paper venue's HTTP service (paced in
wall time by ``play``), and the tick-to-order benchmark. So a book is synchronised, matched
against and published one way only.

``deliver(key, i, at_ns)`` applies event ``i`` of the tape to the venue of ``key`` at market time
``at_ns`` and returns what must be awaited (reports to deliver, listeners to call), or None: most
events need no coroutine at all, and at a million events a second a coroutine that does nothing
is a third of the budget.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from alephtx.core.book import L2Book
from alephtx.core.model import Side
from alephtx.core.replay.tape import DEPTH, SNAPSHOT, TRADE, Tape
from alephtx.core.venues.paper.venue import PaperVenue
from alephtx.core.venues.stream import TradeTick

Deliver = Callable[[str, int, int], Awaitable[None] | None]


class Listener(Protocol):
    """Who hears the market after the venue has applied it (the strategy host in a session)."""

    def wants_books(self, key: str) -> bool: ...
    def wants_trades(self, key: str) -> bool: ...
    def on_book(self, key: str, book: L2Book) -> Awaitable[None]: ...
    def on_trade(self, tick: TradeTick) -> Awaitable[None]: ...


class NoListener:
    """Nobody listens: the venue alone moves (emulators, the paper venue's service)."""

    def wants_books(self, key: str) -> bool:
        return False

    def wants_trades(self, key: str) -> bool:
        return False

    async def on_book(self, key: str, book: L2Book) -> None:
        return None

    async def on_trade(self, tick: TradeTick) -> None:
        return None


def _no_mid(key: str, mid_x2: int) -> None:
    return None


def make_deliver(
    tape: Tape,
    venues: dict[str, PaperVenue],
    *,
    listener: Listener | None = None,
    on_mid: Callable[[str, int], None] = _no_mid,
    now: Callable[[], int] | None = None,
    on_book_update: Callable[[str], None] | None = None,
) -> Deliver:
    """``on_mid(key, mid_x2)``: told the new mid of a synchronised book before the listener hears
    of it (the engine marks its positions there). ``now``: market time for trade ticks (the
    event's own time when None). ``on_book_update(key)``: counted per depth event (metrics)."""
    host: Listener = listener if listener is not None else NoListener()
    # Python lists: indexing them is several times cheaper than reading numpy scalars one by one.
    kinds = tape.kind.tolist()
    col_a, col_b, col_c = tape.a.tolist(), tape.b.tolist(), tape.c.tolist()
    starts, ends = tape.start.tolist(), tape.end.tolist()
    sides, prices, qtys = tape.sides, tape.prices, tape.qtys

    def deliver(key: str, i: int, at_ns: int) -> Awaitable[None] | None:
        v = venues[key]
        kind = kinds[i]
        if kind == TRADE:
            aggressor = Side.SELL if starts[i] else Side.BUY
            v.on_trade(key, at_ns, col_b[i], col_c[i], aggressor)
            if v.has_reports or host.wants_trades(key):
                return after_trade(v, key, i, aggressor, at_ns)
            return None
        if on_book_update is not None:
            on_book_update(key)
        sync = v.syncs[key]
        if kind == SNAPSHOT:
            lo, hi = starts[i], ends[i]
            mid = lo + col_c[i]  # bids first, then asks
            sync.on_snapshot(prices[lo:mid], qtys[lo:mid], prices[mid:hi], qtys[mid:hi], col_b[i])
        else:
            sync.on_diff(col_a[i], col_b[i], col_c[i], sides, prices, qtys, starts[i], ends[i])
        if sync.needs_snapshot:
            return None  # no trading on a book that is not in sync
        v.on_depth(key, at_ns)
        book = v.books[key]
        if v.has_reports:
            return after_book(v, key, book)  # fills first, then the new mid
        on_mid(key, book.mid_x2())
        return host.on_book(key, book) if host.wants_books(key) else None

    async def after_trade(v: PaperVenue, key: str, i: int, aggressor: Side, at_ns: int) -> None:
        await v.flush()
        if host.wants_trades(key):
            t = now() if now is not None else at_ns
            await host.on_trade(TradeTick(key, str(col_a[i]), col_b[i], col_c[i], aggressor, t))

    async def after_book(v: PaperVenue, key: str, book: Any) -> None:
        await v.flush()
        on_mid(key, book.mid_x2())
        if host.wants_books(key):
            await host.on_book(key, book)

    return deliver


@dataclass(frozen=True)
class TapeEvent:
    """One event of a tape as the emulators publish it (built per message: off the hot path)."""

    index: int
    kind: int  # DEPTH, SNAPSHOT or TRADE
    exch_ns: int
    first_id: int = 0  # depth: the venue's update ids
    final_id: int = 0
    prev_final_id: int = 0
    bids: tuple[tuple[int, int], ...] = ()  # depth: (price, quantity) in ticks and lots
    asks: tuple[tuple[int, int], ...] = ()
    trade_id: int = 0  # trade
    price: int = 0
    quantity: int = 0
    aggressor: Side = Side.BUY

    @property
    def is_depth(self) -> bool:
        return self.kind == DEPTH

    @property
    def is_snapshot(self) -> bool:
        return self.kind == SNAPSHOT

    @property
    def is_trade(self) -> bool:
        return self.kind == TRADE

    @property
    def count(self) -> int:
        return len(self.bids) + len(self.asks)

    @classmethod
    def at(cls, tape: Tape, i: int) -> TapeEvent:
        kind, t = int(tape.kind[i]), int(tape.exch_ns[i])
        a, b, c = int(tape.a[i]), int(tape.b[i]), int(tape.c[i])
        if kind == TRADE:
            aggressor = Side.SELL if tape.start[i] else Side.BUY
            return cls(i, kind, t, trade_id=a, price=b, quantity=c, aggressor=aggressor)
        lo, hi = int(tape.start[i]), int(tape.end[i])
        levels = list(zip(tape.prices[lo:hi].tolist(), tape.qtys[lo:hi].tolist(), strict=True))
        if kind == SNAPSHOT:
            return cls(i, kind, t, final_id=b, bids=tuple(levels[:c]), asks=tuple(levels[c:]))
        bid = tape.sides[lo:hi].tolist()
        bids = tuple(lv for lv, s in zip(levels, bid, strict=True) if s)
        asks = tuple(lv for lv, s in zip(levels, bid, strict=True) if not s)
        return cls(i, kind, t, first_id=a, final_id=b, prev_final_id=c, bids=bids, asks=asks)


async def play(
    tape: Tape, venue: PaperVenue, key: str, *, speed: float = 1.0, running: asyncio.Event | None = None
) -> AsyncIterator[TapeEvent]:
    """Replay ``tape`` into ``venue`` in wall time (market time divided by ``speed``): each event
    applied (book sync, matching, reports flushed), then, at its moment, yielded for the caller
    to publish. While
    ``running`` is cleared the market stands still, and the pause does not count as market time."""
    deliver = make_deliver(tape, {key: venue})
    loop = asyncio.get_running_loop()
    t0_wall = loop.time()
    t0_mkt: int | None = None
    paused = 0.0
    exch = tape.exch_ns.tolist()
    for i, t in enumerate(exch):
        if running is not None and not running.is_set():
            p0 = loop.time()
            await running.wait()
            paused += loop.time() - p0
        if (pending := deliver(key, i, t)) is not None:
            await pending
        # Applied first, then published at its moment: a snapshot served meanwhile already holds
        # the update that its stream is about to send, as a venue's does (the client's first diff
        # after a snapshot must straddle its id).
        t0_mkt = t if t0_mkt is None else t0_mkt
        delay = t0_wall + paused + (t - t0_mkt) / 1e9 / speed - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        yield TapeEvent.at(tape, i)
