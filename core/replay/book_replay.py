"""Replay a capture through an L2 book and summarise what happened."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alephtx.core.book import APPLIED, CROSSED, GAP, SKIPPED_OLD, BookSync, L2Book
from alephtx.core.model import Instrument
from alephtx.core.replay.binance_capture import BadLine, DepthEvent, Event, TickerEvent, TradeEvent
from alephtx.core.replay.captures import reader_for


@dataclass
class ReplaySummary:
    messages: Counter[str] = field(default_factory=Counter)
    level_updates: int = 0  # levels applied to the book (snapshot levels not counted)
    skipped_old: int = 0  # diffs older than the snapshot, dropped as Binance says
    gaps: int = 0
    waiting: int = 0  # diffs still buffered at the end, waiting for a snapshot that never came
    crossed: int = 0
    bad_lines: list[BadLine] = field(default_factory=list)
    best_bid: tuple[int, int] | None = None
    best_ask: tuple[int, int] | None = None
    last_ticker: TickerEvent | None = None
    first_recv_ns: int = 0  # of the first and last message read, whatever its kind
    last_recv_ns: int = 0
    seconds: float = 0.0
    lines: int = 0
    market: str = ""  # "futures" (diffs with pu) or "spot" (without), from the first diff; "perp"
    venue: str = ""  # whose capture it is: binance-usdm, binance (spot), hyperliquid
    stale: bool = False  # the book broke (a gap) and no snapshot came after: its top is not the market's
    error: str = ""  # why the capture could not be read to its end ("" when it was)
    empty: str = "the capture is empty"  # what an empty read is called (a dataset's range says so)
    books: bool = True  # whether the source carries a book at all (a CSV of trades does not)
    bad_groups: list[tuple[str, int, int]] = field(default_factory=list)  # counted elsewhere (a CSV's)

    def count(self, status: int, levels: int) -> None:
        """One depth message's outcome in the book sync."""
        if status in (APPLIED, CROSSED):
            self.level_updates += levels
            self.crossed += status == CROSSED
        elif status == SKIPPED_OLD:
            self.skipped_old += 1
        elif status == GAP:
            self.gaps += 1

    def finish(self, book: Any, sync: BookSync) -> None:
        """The end state: the top, the diffs still waiting, whether the book is stale."""
        self.waiting = sync.buffered
        self.best_bid = book.best_bid()
        self.best_ask = book.best_ask()
        self.stale = bool(getattr(book, "stale", False)) and self.book_built

    @property
    def book_built(self) -> bool:
        return self.best_bid is not None or self.best_ask is not None

    def bad_reasons(self) -> list[tuple[str, int, int]]:
        """The bad lines grouped by reason: (reason, how many, first line number)."""
        out: dict[str, list[int]] = {}
        for b in self.bad_lines:
            reason = b.error.split(" (at ", 1)[0]  # the same rule broken at different places
            out.setdefault(reason, []).append(b.line_no)
        return [(r, len(nos), nos[0]) for r, nos in out.items()] + self.bad_groups

    @property
    def problems(self) -> list[str]:
        """What makes this replay's result unusable, in words (empty: none)."""
        out = []
        if self.error:
            out.append(self.error)
        if not self.lines:
            out.append(self.empty)
        elif self.books and not self.book_built:
            why = "no depth snapshot" if self.waiting else "no depth message could be read"
            out.append(f"no book could be built ({why})")
        elif self.books and self.stale:
            out.append("the book is stale at the end: a sequence gap with no snapshot after it")
        return out

    @property
    def matches_ticker(self) -> bool | None:
        """Whether the final top of book equals the last book ticker (None without one)."""
        t = self.last_ticker
        if t is None:
            return None
        return self.best_bid == (t.bid, t.bid_qty) and self.best_ask == (t.ask, t.ask_qty)


def replay_book(
    path: str | Path,
    instrument: Instrument,
    book: Any | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    on_event: Callable[[Event], None] | None = None,
) -> ReplaySummary:
    """Feed every depth message of ``path`` to ``book`` (a new L2Book by default).

    ``on_progress(done_bytes, total_bytes)`` is called every few thousand messages;
    ``on_event(event)`` sees every event first (the catalog's import keeps them: one pass over the
    file for the data and its integrity). A depth event's arrays change with the next event.
    """
    book = book if book is not None else L2Book(tick=instrument.tick)
    sync = BookSync(book)
    cap = reader_for(path, instrument)
    s = ReplaySummary()

    count = s.count
    t0 = time.perf_counter()
    for n, ev in enumerate(cap):
        if on_event is not None:
            on_event(ev)
        if isinstance(ev, DepthEvent):
            p = ev.parser
            if ev.is_snapshot:
                s.messages["snapshot"] += 1
                nb = p.bid_count
                statuses = sync.on_snapshot(
                    p.prices[:nb], p.qtys[:nb], p.prices[nb : p.count], p.qtys[nb : p.count], ev.final_id
                )
                for st, levels in statuses:
                    count(st, levels)
            else:
                s.messages["depth"] += 1
                count(
                    sync.on_diff(ev.first_id, ev.final_id, ev.prev_final_id, p.sides, p.prices, p.qtys, 0, p.count),
                    p.count,
                )
            if not s.first_recv_ns:
                s.first_recv_ns = ev.recv_ns
            s.last_recv_ns = ev.recv_ns
        elif isinstance(ev, TradeEvent):
            s.messages["trade"] += 1
            s.first_recv_ns = s.first_recv_ns or ev.recv_ns
            s.last_recv_ns = ev.recv_ns
        elif isinstance(ev, TickerEvent):
            s.messages["bookTicker"] += 1
            s.last_ticker = ev
            s.first_recv_ns = s.first_recv_ns or ev.recv_ns
            s.last_recv_ns = ev.recv_ns
        else:
            s.messages["bad"] += 1
            s.bad_lines.append(ev)
        if on_progress is not None and n % 4096 == 0:
            on_progress(cap.position(), cap.size)
    if on_progress is not None:
        on_progress(cap.size, cap.size)
    s.seconds = time.perf_counter() - t0
    s.finish(book, sync)
    s.lines, s.market, s.venue, s.error = cap.lines, cap.market, cap.venue, cap.error
    return s
