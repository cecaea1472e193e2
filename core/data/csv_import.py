"""Public history in CSV into the catalog (`aleph data import` of a Binance or Tardis CSV file):
the file read by polars (``csv_formats``), its instrument from the data, its integrity measured
by replaying its book through the same sync as every reader, then stored like a capture."""

from __future__ import annotations

from pathlib import Path

from alephtx.core.book import BookSync, L2Book
from alephtx.core.data.book_check import feed
from alephtx.core.data.catalog import Catalog, CatalogError, Dataset, DatasetImport
from alephtx.core.data.csv_formats import CsvError, CsvRows, precision_of, rows_of, sniff, table
from alephtx.core.data.tapes import BOOK_COLUMNS, tape_of
from alephtx.core.errors import FieldError
from alephtx.core.model import Instrument
from alephtx.core.replay.book_replay import ReplaySummary


def import_csv(
    catalog: Catalog,
    path: str | Path,
    symbol: str | None = None,
    tick_size: str | None = None,
    lot_size: str | None = None,
) -> tuple[Dataset, DatasetImport]:
    """``path`` (a CSV, .gz or .zip) into ``catalog``. Tick and lot: the flags, else the dataset's
    when it exists, else the places the data's own prices and sizes carry."""
    path = Path(path)
    try:
        csv = sniff(path)
        df = table(csv)
    except CsvError as exc:
        raise CatalogError(str(exc) if str(exc).startswith(path.name) else f"{path.name}: {exc}") from None
    if not df.height:
        raise CatalogError(f"{path.name}: nothing to import (a header and no rows)")
    symbol = symbol or csv.symbol
    existing = catalog.datasets().get(f"{csv.venue}/{csv.market}/{symbol}")
    if tick_size is None and lot_size is None and existing is not None:
        tick_size, lot_size = existing.tick_size, existing.lot_size
    if tick_size is None or lot_size is None:
        pp, sp = precision_of(csv, df)
        tick_size = tick_size or _step(pp)
        lot_size = lot_size or _step(sp)
    try:
        inst = Instrument.from_strings(csv.venue, symbol, "perp", tick_size, lot_size)
    except FieldError as exc:
        raise CatalogError(f"{path.name}: {exc}") from None
    rows = rows_of(csv, df, inst.price_precision, inst.size_precision)
    if not any(f.height for f in rows.frames.values()):
        reasons = "; ".join(f"{r} ({n:,}, first at line {first})" for r, n, first in rows.bad[:3])
        raise CatalogError(f"{path.name}: nothing to import: every row is bad ({reasons})")
    return catalog.store(path.name.replace("/", "_"), rows.frames, csv.venue, csv.market, inst, _integrity(rows, inst))


def _step(places: int) -> str:
    return "1" if places == 0 else "0." + "0" * (places - 1) + "1"


def _integrity(rows: CsvRows, inst: Instrument) -> ReplaySummary:
    """What a capture's import measures, for a CSV: its book through the book sync, its bad
    lines by reason (each with its first line number), its messages by kind."""
    s = ReplaySummary(empty="the file has no rows")
    s.lines = rows.lines
    book = rows.frames.get("book")
    if book is not None and book.height:
        sync = BookSync(L2Book(tick=inst.tick))
        feed(s, sync, tape_of({c: book[c].to_numpy() for c in BOOK_COLUMNS}))
        s.finish(sync.book, sync)
    s.messages.clear()
    s.messages.update(rows.messages)
    s.bad_groups = list(rows.bad)
    if rows.bad:
        s.messages["bad"] = sum(n for _, n, _ in rows.bad)
    s.books = book is not None  # a file of trades, tickers or bars builds no book, and needs none
    return s
