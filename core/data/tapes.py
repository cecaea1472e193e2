"""A catalog dataset replayed as a stream of tapes: memory bounded by a window, not by the range.

A capture is decoded whole into one tape (``core/replay/tape.py``): 9.2 MB for six minutes of
BTCUSDT, so about 2 GB for a day. A dataset of the catalog is read instead in windows of
``window`` book rows (a slice of the Parquet file: polars reads only the row groups it covers),
each window made into a small tape of the same columns, so every consumer of tapes (the replay
driver, the session, the node's market) plays a month with the memory of a window.
``source.ahead`` reads the next window in a thread while this one is replayed.

Order: day by day; within a day, the messages of one source (an imported file) in the order of
the file they came from (the ``msg`` number every kind carries: book and trades merged back as
they were received), and several sources of one day (a Tardis book file and its trades file, two
captures) merged by receive time, each keeping its own order. A message
whose exchange time falls on the next UTC day than one received just before it is replayed with
its day (the catalog is partitioned by exchange time).

``start_ns``/``end_ns`` keep the messages whose exchange time is in [start, end): days outside
are not read at all. A book synchronises on the first snapshot of the range (a range that starts
after a capture's only snapshot has none: the book stays unsynchronised, and the summary says so).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from alephtx.core.data.catalog import DAY_NS, Catalog
from alephtx.core.replay.tape import DEPTH, SNAPSHOT, TRADE, Tape

WINDOW = 262_144  # book rows read at a time (two row groups as the catalog writes them)
BOOK_COLUMNS = _BOOK = (
    "recv_ns",
    "exch_ns",
    "msg",
    "snapshot",
    "first_id",
    "final_id",
    "prev_id",
    "side",
    "price",
    "size",
)
_TRADES = ("recv_ns", "exch_ns", "msg", "trade_id", "price", "size", "aggressor")
Cols = dict[str, np.ndarray]


@dataclass(frozen=True)
class Part:
    """One source's rows of one day: a book file and a trades file (either may be missing)."""

    source: str
    day: str
    book: Any  # a Path, or a UPath in a remote catalog; None when missing
    trades: Any


def parts(catalog: Catalog, name: str, start_ns: int | None = None, end_ns: int | None = None) -> list[Part]:
    """The files a replay of ``name`` over [start, end) reads, in replay order."""
    ds = catalog.dataset(name)
    book_dir, trade_dir = catalog.folder(ds, "book"), catalog.folder(ds, "trades")
    out = []
    for imp in sorted(ds.imports, key=lambda i: (i.first_exch_ns, i.source)):
        for day in sorted(imp.days):
            day_ns = int(np.datetime64(day, "D").astype("datetime64[ns]").astype(np.int64))
            if (start_ns is not None and day_ns + DAY_NS <= start_ns) or (end_ns is not None and day_ns >= end_ns):
                continue
            b = book_dir / f"date={day}" / f"{imp.source}.parquet"
            t = trade_dir / f"date={day}" / f"{imp.source}.parquet"
            if b.exists() or t.exists():
                out.append(Part(imp.source, day, b if b.exists() else None, t if t.exists() else None))
    return out


def tapes(
    catalog: Catalog,
    name: str,
    start_ns: int | None = None,
    end_ns: int | None = None,
    window: int = WINDOW,
) -> Iterator[Tape]:
    """The dataset's events as consecutive tapes of about ``window`` book rows each (see the
    module's docstring). Each tape's level arrays are its own: an event of one tape never points
    into another's."""
    by_day: dict[str, list[Part]] = {}
    for part in parts(catalog, name, start_ns, end_ns):
        by_day.setdefault(part.day, []).append(part)
    warmed: set[str] = set()
    for day in sorted(by_day):
        streams = []
        for p in by_day[day]:
            stream = _part_tapes(p, start_ns, end_ns, window, catalog.storage)
            if start_ns is not None and p.source not in warmed:  # its first part in the range
                warmed.add(p.source)
                book = _warm_book(catalog, name, p.source, start_ns, window)
                if book is not None:
                    stream = _with_snapshot(stream, book)
            streams.append(stream)
        yield from streams[0] if len(streams) == 1 else merged(streams)


def _warm_book(catalog: Catalog, name: str, source: str, start_ns: int, window: int) -> Any:
    """The book of ``source`` just before ``start_ns``: its messages before the range through
    the book sync (the range starts after a source's snapshot, most of the time); None when no
    book could be built from them."""
    from alephtx.core.book import BookSync, L2Book
    from alephtx.core.model import Instrument

    ds = catalog.dataset(name)
    inst = Instrument.from_strings(ds.venue, ds.symbol, "perp", ds.tick_size, ds.lot_size)
    sync = BookSync(L2Book(tick=inst.tick))
    before = [p for p in parts(catalog, name, None, start_ns) if p.source == source]
    if not before:
        return None
    for part in before:
        for tape in _part_tapes(part, None, start_ns, window, catalog.storage):
            kinds, a, b, c = tape.kind.tolist(), tape.a.tolist(), tape.b.tolist(), tape.c.tolist()
            starts, ends = tape.start.tolist(), tape.end.tolist()
            for i, kind in enumerate(kinds):
                if kind == SNAPSHOT:
                    lo, hi, mid = starts[i], ends[i], starts[i] + c[i]
                    sync.on_snapshot(
                        tape.prices[lo:mid], tape.qtys[lo:mid], tape.prices[mid:hi], tape.qtys[mid:hi], b[i]
                    )
                elif kind == DEPTH:
                    sync.on_diff(a[i], b[i], c[i], tape.sides, tape.prices, tape.qtys, starts[i], ends[i])
    return None if sync.needs_snapshot else sync.book


def _with_snapshot(stream: Iterator[Tape], book: Any) -> Iterator[Tape]:
    """``stream`` with ``book`` put before it as a snapshot, so that a range which starts after
    the source's snapshot still has a book. Its id is the first diff's first id: that diff then
    straddles it, as Binance's rule asks of the first diff after a snapshot, and is applied whole
    (its sizes are absolute), and the ones after it chain as usual. A range whose first book
    message is a snapshot needs none."""
    bids, asks = book.depth(1 << 30)
    for tape in stream:
        if book is not None:
            at = np.flatnonzero(tape.kind != TRADE)
            if len(at):
                i = int(at[0])
                if tape.kind[i] == DEPTH:
                    yield _snapshot_tape(bids, asks, int(tape.a[i]), int(tape.exch_ns[0]), int(tape.recv_ns[0]))
                book = None
        yield tape


def _snapshot_tape(bids: list[Any], asks: list[Any], final_id: int, exch_ns: int, recv_ns: int) -> Tape:
    levels = bids + asks

    def one(v: int, dtype: Any = np.int64) -> np.ndarray:
        return np.array([v], dtype=dtype)

    return Tape(
        kind=one(SNAPSHOT, np.uint8),
        exch_ns=one(exch_ns),
        recv_ns=one(recv_ns),
        a=one(0),
        b=one(final_id),
        c=one(len(bids)),
        start=one(0),
        end=one(len(levels)),
        sides=np.array([1] * len(bids) + [0] * len(asks), dtype=np.uint8),
        prices=np.array([p for p, _ in levels], dtype=np.int64),
        qtys=np.array([q for _, q in levels], dtype=np.int64),
    )


def merged(streams: list[Iterator[Tape]]) -> Iterator[Tape]:
    """Several sources of one day (a Tardis book file and its trades file, two captures) as one
    stream of tapes in receive-time order; each source keeps its own order (ties go to the
    source listed first). Memory: one tape of each source at a time."""
    heads: list[Tape | None] = [next(s, None) for s in streams]
    at = [0] * len(streams)  # the next event of each head
    while any(h is not None for h in heads):
        # Receive time made non-decreasing within each tape (a source's own order is kept even
        # where its clock went back), and a boundary every source has read up to.
        marks = [np.maximum.accumulate(h.recv_ns) if h is not None else None for h in heads]
        boundary = min(int(m[-1]) for m in marks if m is not None and len(m))
        pieces = []
        for i, (h, m) in enumerate(zip(heads, marks, strict=True)):
            if h is None or m is None:
                continue
            upto = int(np.searchsorted(m, boundary, side="right"))
            if upto > at[i]:
                pieces.append((i, h, at[i], upto, m))
            at[i] = upto
            if upto >= len(h):
                heads[i], at[i] = next(streams[i], None), 0
        if pieces:
            yield _interleave(pieces)


def _interleave(pieces: list[tuple[int, Tape, int, int, np.ndarray]]) -> Tape:
    """Events [lo, hi) of each piece's tape in one tape, ordered by (mark, source, index); each
    piece's levels copied after the previous piece's."""
    cols: dict[str, list[np.ndarray]] = {c: [] for c in ("kind", "exch_ns", "recv_ns", "a", "b", "c", "start", "end")}
    sides, prices, qtys, keys = [], [], [], []
    offset = 0
    for source, t, lo, hi, marks in pieces:
        kind = t.kind[lo:hi]
        book = kind != TRADE
        first = t.start[lo:hi][book]
        l0 = int(first[0]) if len(first) else 0
        l1 = int(t.end[lo:hi][book].max()) if len(first) else 0
        start, end = t.start[lo:hi].copy(), t.end[lo:hi].copy()
        start[book] += offset - l0  # a trade's start is its aggressor: not moved
        end[book] += offset - l0
        for name, v in (
            ("kind", kind),
            ("exch_ns", t.exch_ns[lo:hi]),
            ("recv_ns", t.recv_ns[lo:hi]),
            ("a", t.a[lo:hi]),
            ("b", t.b[lo:hi]),
            ("c", t.c[lo:hi]),
            ("start", start),
            ("end", end),
        ):
            cols[name].append(v)  # fmt: skip
        sides.append(t.sides[l0:l1])
        prices.append(t.prices[l0:l1])
        qtys.append(t.qtys[l0:l1])
        keys.append(np.stack([marks[lo:hi], np.full(hi - lo, source), np.arange(lo, hi)]))
        offset += l1 - l0
    k = np.concatenate(keys, axis=1)
    order = np.lexsort((k[2], k[1], k[0]))
    out = {name: np.concatenate(v)[order] for name, v in cols.items()}
    return Tape(**out, sides=np.concatenate(sides), prices=np.concatenate(prices), qtys=np.concatenate(qtys))  # type: ignore[arg-type]


class _Reader:
    """A Parquet file read in slices of rows (polars reads only the row groups a slice covers),
    as numpy columns: splitting them at a message is a view, not a copy."""

    def __init__(self, path: Any, columns: tuple[str, ...], window: int, storage: dict[str, str] | None = None) -> None:
        self.path, self.columns, self.window = path, list(columns), window
        self.storage = storage  # a remote catalog's: the file read in ranged requests
        self.offset = 0
        self.done = path is None

    def more(self) -> Cols:
        assert self.path is not None
        source = (
            pl.scan_parquet(str(self.path), storage_options=self.storage)
            if self.storage
            else pl.scan_parquet(self.path)
        )
        got = source.select(self.columns).slice(self.offset, self.window).collect()
        self.offset += got.height
        self.done = got.height < self.window
        return {c: got[c].to_numpy() for c in self.columns}


def _empty(columns: tuple[str, ...]) -> Cols:
    dtypes = {"snapshot": np.bool_, "side": np.uint8}
    return {c: np.zeros(0, dtypes.get(c, np.int64)) for c in columns}


def _join(a: Cols, b: Cols) -> Cols:
    return b if not len(a["msg"]) else {c: np.concatenate([a[c], b[c]]) for c in a}


def _cut(cols: Cols, at: int) -> tuple[Cols, Cols]:
    return {c: v[:at] for c, v in cols.items()}, {c: v[at:] for c, v in cols.items()}


def _part_tapes(
    part: Part, start_ns: int | None, end_ns: int | None, window: int, storage: dict[str, str] | None = None
) -> Iterator[Tape]:
    book = _Reader(part.book, _BOOK, window, storage)
    trades = _Reader(part.trades, _TRADES, window, storage)
    held = _empty(_BOOK)  # the rows of the last message read, which may go on in the next slice
    pending = _empty(_TRADES)  # trades read but not yet merged
    while True:
        upto: int | None = None  # merge the trades received before this message (None: all)
        ready: list[Cols]
        if book.done:
            ready, held = [held], _empty(_BOOK)
        else:
            rows = book.more()
            if book.done or not len(rows["msg"]):
                ready, held = [held, rows], _empty(_BOOK)
            else:
                upto = int(rows["msg"][-1])
                head, tail = _cut(rows, int(np.searchsorted(rows["msg"], upto, "left")))
                if len(held["msg"]) and held["msg"][0] == upto:  # one message longer than a slice
                    ready, held = [], _join(held, tail)
                else:
                    ready, held = [held, head], tail
        while not trades.done and (upto is None or not len(pending["msg"]) or pending["msg"][-1] < upto):
            pending = _join(pending, trades.more())
        if upto is None:
            took, pending = pending, _empty(_TRADES)
        else:
            took, pending = _cut(pending, int(np.searchsorted(pending["msg"], upto, "left")))
        ready = [r for r in ready if len(r["msg"])]
        if start_ns is not None or end_ns is not None:
            ready, took = [_within(r, start_ns, end_ns) for r in ready], _within(took, start_ns, end_ns)
        if any(len(r["msg"]) for r in ready) or len(took["msg"]):
            yield _tape(ready, took)
        if book.done and not len(held["msg"]) and trades.done and not len(pending["msg"]):
            return


def _within(cols: Cols, start_ns: int | None, end_ns: int | None) -> Cols:
    t = cols["exch_ns"]
    keep = np.ones(len(t), dtype=bool)
    if start_ns is not None:
        keep &= t >= start_ns
    if end_ns is not None:
        keep &= t < end_ns
    return cols if keep.all() else {c: v[keep] for c, v in cols.items()}


def _tape(book: list[Cols], trades: Cols) -> Tape:
    """Book rows (one per level, a message's rows together, in consecutive pieces: the rows
    held from the last slice, then the new slice's) and trades, merged by ``msg``. Only the
    levels are copied together; a message's own columns are read at its first row."""
    pieces = book or [_empty(_BOOK)]
    msg = np.concatenate([p["msg"] for p in pieces]) if len(pieces) > 1 else pieces[0]["msg"]
    n = len(msg)
    starts = np.flatnonzero(np.concatenate(([True], msg[1:] != msg[:-1]))) if n else np.zeros(0, np.int64)
    ends = np.append(starts[1:], n).astype(np.int64)
    offsets = np.cumsum([0] + [len(p["msg"]) for p in pieces])
    which = np.searchsorted(offsets, starts, side="right") - 1

    def at(col: str) -> np.ndarray:
        """The column's value at each message's first row, wherever that row's piece is."""
        if len(pieces) == 1:
            return pieces[0][col][starts]
        out = np.empty(len(starts), dtype=pieces[0][col].dtype)
        for i, p in enumerate(pieces):
            mine = which == i
            out[mine] = p[col][starts[mine] - offsets[i]]
        return out

    def levels(col: str, dtype: type) -> np.ndarray:
        return np.ascontiguousarray(np.concatenate([p[col] for p in pieces]), dtype=dtype)

    sides = levels("side", np.uint8)
    snap = at("snapshot")
    bids = np.add.reduceat(sides.astype(np.int64), starts) if n else np.zeros(0, np.int64)
    k = len(trades["msg"])
    order = np.argsort(np.concatenate([msg[starts], trades["msg"]]), kind="stable")

    def merge(depth: np.ndarray, trade: np.ndarray) -> np.ndarray:
        return np.concatenate([depth.astype(np.int64, copy=False), trade.astype(np.int64, copy=False)])[order]

    return Tape(
        kind=merge(np.where(snap, SNAPSHOT, DEPTH), np.full(k, TRADE)).astype(np.uint8),
        exch_ns=merge(at("exch_ns"), trades["exch_ns"]),
        recv_ns=merge(at("recv_ns"), trades["recv_ns"]),
        a=merge(np.where(snap, 0, at("first_id")), trades["trade_id"]),
        b=merge(at("final_id"), trades["price"]),
        c=merge(np.where(snap, bids, at("prev_id")), trades["size"]),
        start=merge(starts, trades["aggressor"]),
        end=merge(ends, np.zeros(k, np.int64)),
        sides=sides,
        prices=levels("price", np.int64),
        qtys=levels("size", np.int64),
    )


def tape_of(book: Cols, trades: Cols | None = None) -> Tape:
    """A tape of whole messages given as columns (a CSV's book read in one piece)."""
    return _tape([book] if len(book["msg"]) else [], trades if trades is not None else _empty(_TRADES))
