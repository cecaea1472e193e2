"""What a replay plays: a capture file, or a dataset of a catalog over a time range.

Every replay (``aleph replay``, ``aleph up``, ``aleph paper``, the node's paper venues) reads its
market through ``MarketSource.tapes``: one tape for a capture (decoded whole, cached), a stream
of windows for a dataset (``core/data/tapes.py``: memory bounded by the window).
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alephtx.core.data.catalog import Catalog, CatalogError, Dataset
from alephtx.core.data.tapes import WINDOW, tapes
from alephtx.core.errors import FieldError
from alephtx.core.model import Instrument
from alephtx.core.replay.tape import Tape

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class MarketSource:
    capture: Path | None = None
    catalog: Catalog | None = None
    dataset: str = ""
    start_ns: int | None = None
    end_ns: int | None = None
    window: int = WINDOW

    @classmethod
    def of_capture(cls, path: str | Path) -> MarketSource:
        return cls(capture=Path(path))

    @classmethod
    def of_dataset(
        cls, catalog: Catalog, name: str, start: str = "", end: str = "", window: int = WINDOW
    ) -> MarketSource:
        """``start``/``end``: ISO 8601 times or dates (UTC when no zone is given); empty: open."""
        ds = catalog.dataset(name)  # refused here, naming the datasets there are, when missing
        start_ns, end_ns = parse_time("from", start), parse_time("to", end)
        if start_ns is not None and end_ns is not None and end_ns <= start_ns:
            raise FieldError("to", end, f"not after from={start!r}")
        if not ds.imports:
            raise CatalogError(f"dataset={name!r}: nothing imported")
        return cls(catalog=catalog, dataset=ds.name, start_ns=start_ns, end_ns=end_ns, window=window)

    @property
    def is_capture(self) -> bool:
        return self.capture is not None

    @property
    def name(self) -> str:
        if self.capture is not None:
            return self.capture.name
        span = ""
        if self.start_ns is not None or self.end_ns is not None:
            span = f" [{_iso(self.start_ns)} .. {_iso(self.end_ns)})"
        return f"{self.dataset}{span}"

    def info(self) -> Dataset:
        assert self.catalog is not None
        return self.catalog.dataset(self.dataset)

    def check(self, instrument: Instrument) -> None:
        """A dataset is stored at its instrument's precision: an instrument at another one would
        read every price wrong."""
        if self.capture is not None:
            return
        ds = self.info()
        if (ds.price_precision, ds.size_precision) != (instrument.price_precision, instrument.size_precision):
            raise FieldError(
                "tick_size",
                instrument.tick_size,
                f"{instrument.key} is at tick {instrument.tick_size} and lot {instrument.lot_size}; dataset "
                f"{ds.name} is stored at tick {ds.tick_size} and lot {ds.lot_size}",
            )

    def events_hint(self) -> int:
        """How many events the whole source holds (a dataset's from its manifest; a progress
        total, not a promise: a range reads fewer)."""
        if self.capture is not None:
            return 0
        kinds = ("depth", "snapshot", "trade")
        return sum(n for i in self.info().imports for k, n in i.messages.items() if k in kinds)

    def tapes(self, instrument: Instrument, on_progress: Progress | None = None) -> Iterator[Tape]:
        if self.capture is not None:
            yield Tape.cached(self.capture, instrument, on_progress)
            return
        assert self.catalog is not None
        yield from ahead(tapes(self.catalog, self.dataset, self.start_ns, self.end_ns, self.window))


def ahead(windows: Iterator[Tape], depth: int = 2) -> Iterator[Tape]:
    """``windows`` read by a thread up to ``depth`` ahead of the consumer: Parquet decoding runs
    outside the GIL, so the next window is read on another core while this one is replayed.
    Memory: ``depth + 1`` windows at most. A consumer that stops early stops the thread."""
    box: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for tape in windows:
                if not put(("tape", tape)):
                    return
            put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            put(("error", exc))

    worker = threading.Thread(target=read, name="catalog-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            what, item = box.get()
            if what == "end":
                return
            if what == "error":
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)


def parse_time(field: str, text: str) -> int | None:
    """ns since the epoch of an ISO 8601 time or date (UTC unless it says otherwise); None for ""."""
    if not text:
        return None
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise FieldError(field, text, "not an ISO 8601 time or date (e.g. 2024-07-26T12:00:00Z)") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return int(t.timestamp()) * 10**9 + t.microsecond * 1000


def _iso(ns: int | None) -> str:
    if ns is None:
        return ""
    return dt.datetime.fromtimestamp(ns / 1e9, tz=dt.UTC).isoformat().replace("+00:00", "Z")
