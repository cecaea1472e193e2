"""A catalog dataset replayed through an L2 book, window by window: the same summary as a
capture's (``core/replay/book_replay.py``), for `aleph replay DATASET`."""

from __future__ import annotations

import time
from collections.abc import Callable

import polars as pl

from alephtx.core.book import BookSync, L2Book
from alephtx.core.data.source import MarketSource
from alephtx.core.data.tapes import parts
from alephtx.core.model import Instrument
from alephtx.core.replay.binance_capture import TickerEvent
from alephtx.core.replay.book_replay import ReplaySummary
from alephtx.core.replay.tape import SNAPSHOT, TRADE, Tape


def replay_dataset(
    source: MarketSource, instrument: Instrument, on_progress: Callable[[int, int], None] | None = None
) -> ReplaySummary:
    """Every event of ``source`` (a dataset) through a new book; ``lines`` counts the events."""
    book = L2Book(tick=instrument.tick)
    sync = BookSync(book)
    s = ReplaySummary()
    ds = source.info()
    s.market, s.venue = ds.market, ds.venue
    s.empty = f"no event of {source.name} could be read (a range outside the data?)"
    total, done = source.events_hint(), 0
    t0 = time.perf_counter()
    for tape in source.tapes(instrument):
        feed(s, sync, tape)
        done += len(tape)
        if on_progress is not None:
            on_progress(done, max(total, done))
    s.lines = done
    s.seconds = time.perf_counter() - t0
    s.finish(book, sync)
    s.last_ticker = _last_top(source)
    return s


def feed(s: ReplaySummary, sync: BookSync, tape: Tape) -> None:
    """A tape's events through ``sync``, counted in ``s``."""
    kinds, recv = tape.kind.tolist(), tape.recv_ns.tolist()
    a, b, c = tape.a.tolist(), tape.b.tolist(), tape.c.tolist()
    starts, ends = tape.start.tolist(), tape.end.tolist()
    sides, prices, qtys = tape.sides, tape.prices, tape.qtys
    for i, kind in enumerate(kinds):
        if kind == TRADE:
            s.messages["trade"] += 1
        elif kind == SNAPSHOT:
            s.messages["snapshot"] += 1
            lo, hi = starts[i], ends[i]
            mid = lo + c[i]
            for st, levels in sync.on_snapshot(prices[lo:mid], qtys[lo:mid], prices[mid:hi], qtys[mid:hi], b[i]):
                s.count(st, levels)
        else:
            s.messages["depth"] += 1
            s.count(sync.on_diff(a[i], b[i], c[i], sides, prices, qtys, starts[i], ends[i]), ends[i] - starts[i])
    if recv:
        s.first_recv_ns = s.first_recv_ns or recv[0]
        s.last_recv_ns = recv[-1]


def _last_top(source: MarketSource) -> TickerEvent | None:
    """The venue's last top of book in the range (from the last day that has one), if recorded."""
    assert source.catalog is not None
    ds = source.info()
    folder = source.catalog.folder(ds, "top")
    for part in reversed(parts(source.catalog, source.dataset, source.start_ns, source.end_ns)):
        path = folder / f"date={part.day}" / f"{part.source}.parquet"
        if not path.exists():
            continue
        rows = source.catalog.scan_files([path])
        if source.start_ns is not None:
            rows = rows.filter(pl.col("exch_ns") >= source.start_ns)
        if source.end_ns is not None:
            rows = rows.filter(pl.col("exch_ns") < source.end_ns)
        last = rows.sort("msg").tail(1).collect()
        if last.height:
            r = last.row(0, named=True)
            return TickerEvent(
                r["recv_ns"], r["exch_ns"], r["update_id"], r["bid"], r["bid_size"], r["ask"], r["ask_size"]
            )
    return None
