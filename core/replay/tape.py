"""A capture decoded once into columns (a "tape"), so that replays read arrays instead of JSON.

Reading the gzipped JSON capture costs about 10 µs a message (most of a replay's time); the same
events as numpy columns load in milliseconds. A tape holds the depth diffs, snapshots and trades of
one instrument in file order; its levels are one flat array that depth events index by
``[start, end)``. Book tickers are not kept (the engine's replay does not use them), and lines that
could not be read are kept as (line number, error) so that nothing is lost silently.

Tapes of captures of 1 MB or more are cached under ``$XDG_CACHE_HOME/alephtx/tapes``
(``~/.cache`` by default), keyed by the capture's path, size and modification time, the
instrument's precision and the tape format, so a changed capture is decoded again (and its older
tape deleted). Smaller ones
decode in milliseconds and are not cached (test fixtures would pile up there).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alephtx.core.model import Instrument, Side
from alephtx.core.replay.binance_capture import BadLine, CaptureError, DepthEvent, TradeEvent
from alephtx.core.replay.captures import reader_for

FORMAT = 1
DEPTH, SNAPSHOT, TRADE = 0, 1, 2
CACHE_MIN_BYTES = 1 << 20
COLUMNS = ("kind", "exch_ns", "recv_ns", "a", "b", "c", "start", "end")


@dataclass(frozen=True)
class Tape:
    """Events in file order. Per kind, columns a, b, c are:

    - DEPTH: first update id, final update id, previous final id; levels ``[start, end)``
    - SNAPSHOT: 0, last update id, number of bid levels (bids first, then asks); levels as above
    - TRADE: trade id, price (ticks of the instrument's precision), quantity; ``start`` is 1 when
      the seller was the aggressor, 0 when the buyer was
    """

    kind: np.ndarray  # uint8
    exch_ns: np.ndarray  # int64, exchange time
    recv_ns: np.ndarray  # int64, local receive time
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    start: np.ndarray
    end: np.ndarray
    sides: np.ndarray  # uint8, 1 bid / 0 ask (the parser's convention)
    prices: np.ndarray  # int64
    qtys: np.ndarray  # int64
    bad: tuple[tuple[int, str], ...] = ()

    def __len__(self) -> int:
        return len(self.kind)

    @property
    def level_updates(self) -> int:
        """Price-level updates carried by the depth diffs (snapshots not counted)."""
        diff = self.kind == DEPTH
        return int((self.end[diff] - self.start[diff]).sum())

    @property
    def trades(self) -> int:
        return int((self.kind == TRADE).sum())

    @classmethod
    def from_capture(
        cls, path: str | Path, instrument: Instrument, on_progress: Callable[[int, int], None] | None = None
    ) -> Tape:
        cap = reader_for(path, instrument, tickers=False)
        cols: dict[str, list[int]] = {c: [] for c in COLUMNS}
        sides: list[np.ndarray] = []
        prices: list[np.ndarray] = []
        qtys: list[np.ndarray] = []
        bad: list[tuple[int, str]] = []
        at = 0
        for n, ev in enumerate(cap):
            if isinstance(ev, DepthEvent):
                p = ev.parser
                k = int(p.count)
                sides.append(np.array(p.sides[:k], dtype=np.uint8))
                prices.append(np.array(p.prices[:k], dtype=np.int64))
                qtys.append(np.array(p.qtys[:k], dtype=np.int64))
                if ev.is_snapshot:
                    row = (SNAPSHOT, ev.exch_ns, ev.recv_ns, 0, ev.final_id, int(p.bid_count), at, at + k)
                else:
                    row = (DEPTH, ev.exch_ns, ev.recv_ns, ev.first_id, ev.final_id, ev.prev_final_id, at, at + k)
                at += k
            elif isinstance(ev, TradeEvent):
                sell = int(ev.aggressor is Side.SELL)
                row = (TRADE, ev.exch_ns, ev.recv_ns, ev.trade_id, ev.price, ev.quantity, sell, 0)
            elif isinstance(ev, BadLine):
                bad.append((ev.line_no, ev.error))
                continue
            else:
                continue
            for c, v in zip(COLUMNS, row, strict=True):
                cols[c].append(v)
            if on_progress is not None and n % 4096 == 0:
                on_progress(cap.position(), cap.size)
        if cap.error:  # a market cut short is not replayed as if it were whole
            raise CaptureError(f"{path}: {cap.error} (after line {cap.lines:,})")
        if on_progress is not None:
            on_progress(cap.size, cap.size)

        def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

        return cls(
            kind=np.array(cols["kind"], dtype=np.uint8),
            exch_ns=np.array(cols["exch_ns"], dtype=np.int64),
            recv_ns=np.array(cols["recv_ns"], dtype=np.int64),
            a=np.array(cols["a"], dtype=np.int64),
            b=np.array(cols["b"], dtype=np.int64),
            c=np.array(cols["c"], dtype=np.int64),
            start=np.array(cols["start"], dtype=np.int64),
            end=np.array(cols["end"], dtype=np.int64),
            sides=cat(sides, np.uint8),
            prices=cat(prices, np.int64),
            qtys=cat(qtys, np.int64),
            bad=tuple(bad),
        )

    def save(self, path: str | Path) -> None:
        arrays = {c: getattr(self, c) for c in (*COLUMNS, "sides", "prices", "qtys")}
        bad_lines = np.array([n for n, _ in self.bad], dtype=np.int64)
        bad_text = np.array([e for _, e in self.bad], dtype=str)
        tmp = Path(f"{path}.tmp{os.getpid()}")
        with open(tmp, "wb") as f:  # np.savez would add ".npz" to a name without it
            np.savez(f, format=np.array(FORMAT), bad_lines=bad_lines, bad_text=bad_text, **arrays)
        tmp.replace(path)  # readers never see half a tape

    @classmethod
    def load(cls, path: str | Path) -> Tape:
        with np.load(path, allow_pickle=False) as z:
            if int(z["format"]) != FORMAT:
                raise ValueError(f"tape {path}: format {int(z['format'])}, this version reads {FORMAT}")
            arrays = {c: z[c] for c in (*COLUMNS, "sides", "prices", "qtys")}
            bad = tuple(zip(z["bad_lines"].tolist(), z["bad_text"].tolist(), strict=True))
        return cls(**arrays, bad=bad)

    @classmethod
    def cached(
        cls, capture: str | Path, instrument: Instrument, on_progress: Callable[[int, int], None] | None = None
    ) -> Tape:
        """The capture's tape from the cache, decoding the capture (and caching it) when needed."""
        if Path(capture).stat().st_size < CACHE_MIN_BYTES:
            return cls.from_capture(capture, instrument, on_progress)
        where = cache_path(capture, instrument)
        if where.exists():
            try:
                return cls.load(where)
            except (OSError, ValueError, KeyError):
                where.unlink(missing_ok=True)  # unreadable: decode again
        tape = cls.from_capture(capture, instrument, on_progress)
        with contextlib.suppress(OSError):  # a read-only cache only costs the next run the decoding
            where.parent.mkdir(parents=True, exist_ok=True)
            for older in where.parent.glob(where.name.rsplit("-", 1)[0] + "-*.npz"):
                older.unlink(missing_ok=True)  # tapes of earlier versions of this capture
            tape.save(where)
        return tape


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "alephtx" / "tapes"


def cache_path(capture: str | Path, instrument: Instrument) -> Path:
    """``<stem>-<which capture>-<which version of it>.npz``: a newer version replaces the older."""
    p = Path(capture).resolve()
    st = p.stat()
    which = f"{p}|{instrument.price_precision}|{instrument.size_precision}"
    version = f"{FORMAT}|{st.st_size}|{st.st_mtime_ns}"
    return cache_dir() / f"{p.stem.split('.')[0]}-{_digest(which)}-{_digest(version)}.npz"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]
