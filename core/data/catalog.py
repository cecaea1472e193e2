"""A catalog of recorded market data: Parquet files written and read with polars.

One dataset per venue, market and symbol; under it one folder per kind of data and one per UTC
day, so that a query over a range reads only its days::

    <catalog>/<venue>/<market>/<symbol>/<kind>/date=<YYYY-MM-DD>/<source>.parquet
    <catalog>/catalog.json      what was imported, the instrument's precision, integrity

Kinds and their columns (prices and sizes are int64 fixed-point at the instrument's precision;
times are ns since the epoch, UTC):

- ``book``: one row per price level of a depth diff or snapshot: ``recv_ns``, ``exch_ns``,
  ``msg`` (the message's number in its file), ``snapshot`` (bool), ``first_id``, ``final_id``,
  ``prev_id``, ``side`` (1 bid, 0 ask), ``price``, ``size`` (0 removes the level);
- ``trades``: ``recv_ns``, ``exch_ns``, ``msg``, ``trade_id``, ``price``, ``size``, ``aggressor``
  (1 sell);
- ``top``: the venue's top of book (Binance's bookTicker): ``recv_ns``, ``exch_ns``, ``msg``,
  ``update_id``, ``bid``, ``bid_size``, ``ask``, ``ask_size``;
- ``bars``: OHLCV bars as a venue publishes them (Binance's klines): ``recv_ns`` and ``exch_ns``
  (the bar's open time), ``msg``, ``close_ns``, ``open``, ``high``, ``low``, ``close``,
  ``volume``, ``trades``.

``msg`` numbers every message of a source file from 1, whatever its kind: a replay from the
catalog merges the kinds back into the file's order by it (``core/data/tapes.py``).

Importing a file again replaces what it wrote before (its files are named after it), so an
import can be repeated. Integrity is measured on import, in the same pass, by replaying the book
with the same sync as every other reader (sequence gaps, diffs waiting for a snapshot, crossed books, stale end, bad
lines by reason) and stored in the manifest, with the coverage.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from alephtx.core.model import Instrument, Side
from alephtx.core.replay.binance_capture import DepthEvent, Event, TickerEvent, TradeEvent
from alephtx.core.replay.book_replay import replay_book

MANIFEST = "catalog.json"
VERSION = 2  # 2: every kind numbers its messages (msg), so that a replay restores the file's order
KINDS = ("book", "trades", "top", "bars")
DAY_NS = 86_400 * 10**9
ROW_GROUP = 131_072
_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


class CatalogError(ValueError):
    """A catalog that cannot be used as asked (a path, a dataset name, a damaged manifest)."""


@dataclass
class DatasetImport:
    """What one file brought to one dataset."""

    source: str
    rows: dict[str, int]
    days: list[str]
    first_exch_ns: int
    last_exch_ns: int
    messages: dict[str, int]
    gaps: int
    crossed: int
    waiting: int
    stale: bool
    out_of_order: int  # messages received before the previous one (receive time going back)
    duplicate_trades: int
    bad_lines: list[dict[str, Any]]
    problems: list[str]


@dataclass
class Dataset:
    venue: str
    market: str
    symbol: str
    price_precision: int
    size_precision: int
    tick_size: str
    lot_size: str
    imports: list[DatasetImport] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.venue}/{self.market}/{self.symbol}"

    def rows(self, kind: str) -> int:
        return sum(i.rows.get(kind, 0) for i in self.imports)

    @property
    def days(self) -> list[str]:
        return sorted({d for i in self.imports for d in i.days})

    @property
    def coverage_ns(self) -> tuple[int, int]:
        if not self.imports:
            return 0, 0
        return min(i.first_exch_ns for i in self.imports), max(i.last_exch_ns for i in self.imports)


class Catalog:
    """A catalog folder: its manifest, and Parquet files read lazily with polars scans.

    ``root`` is a local folder (``file://`` too) or any fsspec URL: ``s3://bucket/prefix`` for a
    team's shared catalog on object storage (credentials and endpoint from the environment only:
    ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL``, ``AWS_REGION``), read
    by polars' own object-store reader in ranged requests, written through fsspec."""

    def __init__(self, root: str | Path) -> None:
        text = str(root)
        self.url = text
        self.storage: dict[str, str] | None = None  # polars' options for a remote catalog
        self.root: Any
        if "://" in text and not text.startswith("file://"):
            from upath import UPath

            # Fail in seconds, not minutes, when the store cannot be reached.
            opts: dict[str, Any] = {}
            if text.startswith(("s3://", "s3a://")):
                opts["config_kwargs"] = {"connect_timeout": 5, "read_timeout": 60, "retries": {"max_attempts": 2}}
            try:
                self.root = UPath(text, **opts)
                self.root.fs  # noqa: B018 - the filesystem is made here: an unknown protocol fails now
            except (ValueError, ImportError) as exc:
                raise CatalogError(f"catalog={text!r}: not a storage this machine can reach ({exc})") from None
            self.storage = storage_options(text)
            return
        self.root = Path(text.removeprefix("file://")).expanduser()
        if self.root.exists() and not self.root.is_dir():
            raise CatalogError(f"catalog={text!r}: not a folder")

    def scan_files(self, files: list[Any]) -> pl.LazyFrame:
        """Parquet files of this catalog, lazily (remote ones by polars' object-store reader)."""
        if self.storage is None:
            return pl.scan_parquet(files)
        return pl.scan_parquet([str(f) for f in files], storage_options=self.storage)

    # -- the manifest ------------------------------------------------------------------------------

    def datasets(self) -> dict[str, Dataset]:
        path = self.root / MANIFEST
        try:
            if not path.exists():
                return {}
            text = path.read_text()
        except Exception as exc:  # a remote store's errors are its client's own types
            if self.storage is None and not isinstance(exc, OSError):
                raise
            raise CatalogError(f"catalog={self.url!r}: cannot be read ({type(exc).__name__}: {exc})") from None
        try:
            raw = json.loads(text)
            if not isinstance(raw, dict):
                raise TypeError("not a JSON object")
            if raw.get("version") != VERSION:
                raise CatalogError(
                    f"{path}: written by another version of AlephTX (catalog version {raw.get('version')}, this one "
                    f"reads {VERSION}); import its captures again into a new catalog"
                )
            out = {}
            for name, d in raw["datasets"].items():
                imports = [DatasetImport(**i) for i in d.pop("imports")]
                out[name] = Dataset(**d, imports=imports)
            return out
        except CatalogError:
            raise
        except (ValueError, KeyError, TypeError) as exc:
            raise CatalogError(f"{path}: damaged manifest ({type(exc).__name__}: {exc})") from None

    def dataset(self, name: str) -> Dataset:
        found = self.datasets()
        if name not in found:
            known = ", ".join(sorted(found)) or "none"
            raise CatalogError(f"dataset={name!r}: not in {self.root} (datasets: {known})")
        return found[name]

    def _save(self, datasets: dict[str, Dataset]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        body = {"version": VERSION, "datasets": {n: asdict(d) for n, d in sorted(datasets.items())}}
        if self.storage is not None:  # an object is written whole or not at all
            (self.root / MANIFEST).write_text(json.dumps(body, indent=1))
            return
        tmp = self.root / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(body, indent=1))
        tmp.replace(self.root / MANIFEST)  # never half a manifest

    def folder(self, ds: Dataset, kind: str) -> Any:  # a Path, or a UPath for a remote catalog
        return self.root / ds.venue / ds.market / ds.symbol / kind

    def scan(self, name: str, kind: str) -> pl.LazyFrame:
        """A dataset's rows of one kind, lazily (only the days a filter keeps are read)."""
        if kind not in KINDS:
            raise CatalogError(f"kind={kind!r}: one of {', '.join(KINDS)}")
        ds = self.dataset(name)
        files = sorted(self.folder(ds, kind).glob("date=*/*.parquet"), key=str)
        if not files:
            raise CatalogError(f"dataset {name}: no {kind} rows")
        return self.scan_files(files)

    # -- import ----------------------------------------------------------------------------------

    def import_capture(
        self,
        path: str | Path,
        instrument: Instrument,
        venue: str = "",
        on_progress: Callable[[int, int], None] | None = None,
    ) -> tuple[Dataset, DatasetImport]:
        """A capture (Binance's or Hyperliquid's, by content) into the catalog (see the module's
        docstring)."""
        path = Path(path)
        book_cols = ("recv_ns", "exch_ns", "msg", "snapshot", "first_id", "final_id", "prev_id")
        trade_cols = ("recv_ns", "exch_ns", "msg", "trade_id", "price", "size", "aggressor")
        top_cols = ("recv_ns", "exch_ns", "msg", "update_id", "bid", "bid_size", "ask", "ask_size")
        # Rows as tuples, columns made once at the end: a list append per event, not one per field.
        book: list[tuple[Any, ...]] = []
        trades: list[tuple[int, ...]] = []
        top: list[tuple[int, ...]] = []
        sides: list[Any] = []
        prices: list[Any] = []
        sizes: list[Any] = []
        numbers = itertools.count(1)  # every event's number in the file (msg)
        sell = Side.SELL

        def keep(ev: Event) -> None:
            kind = type(ev)
            if kind is TickerEvent:  # most lines: first
                t: Any = ev
                top.append((t.recv_ns, t.exch_ns, next(numbers), t.update_id, t.bid, t.bid_qty, t.ask, t.ask_qty))
            elif kind is TradeEvent:
                t = ev
                trades.append(
                    (t.recv_ns, t.exch_ns, next(numbers), t.trade_id, t.price, t.quantity, int(t.aggressor is sell))
                )
            elif kind is DepthEvent:
                d: Any = ev
                p = d.parser
                k = int(p.count)
                book.append(
                    (d.recv_ns, d.exch_ns, next(numbers), d.is_snapshot, d.first_id, d.final_id, d.prev_final_id)
                )
                sides.append(p.sides[:k].copy())
                prices.append(p.prices[:k].copy())
                sizes.append(p.qtys[:k].copy())

        # One pass: the rows, and the integrity by the same sync as every reader.
        s = replay_book(path, instrument, on_progress=on_progress, on_event=keep)
        if s.error:
            raise CatalogError(f"{path}: {s.error} (after line {s.lines:,}); nothing was imported")
        if not (book or trades or top):
            why = "; ".join(s.problems) or "no message could be read"
            raise CatalogError(f"{path}: nothing to import ({why})")
        frames = {
            "book": _book_frame(book_cols, book, sides, prices, sizes),
            "trades": _int_frame(trade_cols, trades),
            "top": _int_frame(top_cols, top),
        }
        return self.store(
            _NAME.sub("_", path.name), frames, venue or s.venue or "binance-usdm", s.market or "futures", instrument, s
        )

    def store(
        self, source: str, frames: dict[str, pl.DataFrame], venue: str, market: str, instrument: Instrument, s: Any
    ) -> tuple[Dataset, DatasetImport]:
        """Rows of one source file (``frames`` by kind, the module's columns) into the dataset of
        ``venue/market/symbol``, with the integrity ``s`` measured on them (a ReplaySummary)."""
        ds_name = f"{venue}/{market}/{instrument.symbol}"
        datasets = self.datasets()
        ds = datasets.get(ds_name) or Dataset(
            venue,
            market,
            instrument.symbol,
            instrument.price_precision,
            instrument.size_precision,
            instrument.tick_size,
            instrument.lot_size,
        )
        if (ds.price_precision, ds.size_precision) != (instrument.price_precision, instrument.size_precision):
            raise CatalogError(
                f"dataset {ds_name} is stored at tick {ds.tick_size} and lot {ds.lot_size}; "
                f"{source} was read at {instrument.tick_size} and {instrument.lot_size}"
            )
        # Receive times going back, over every event in file order (the kinds merged by msg).
        present = [f for f in frames.values() if f.height]
        times = (
            pl.concat([f.select("msg", "recv_ns").unique("msg", keep="first") for f in present]).sort("msg")["recv_ns"]
            if present
            else pl.Series([], dtype=pl.Int64)
        )
        out_of_order = int((times < times.cum_max().shift(1)).sum() or 0)
        rows, days = {}, set()
        for kind in KINDS:
            frame = frames.get(kind)
            rows[kind] = frame.height if frame is not None else 0
            days |= self._write(ds, kind, source, frame)
        exch = [f["exch_ns"] for f in present]
        trade_ids = frames["trades"]["trade_id"] if "trades" in frames else pl.Series([], dtype=pl.Int64)
        result = DatasetImport(
            source=source,
            rows=rows,
            days=sorted(days),
            first_exch_ns=min(int(e.min()) for e in exch) if exch else 0,  # type: ignore[arg-type]
            last_exch_ns=max(int(e.max()) for e in exch) if exch else 0,  # type: ignore[arg-type]
            messages=dict(s.messages),
            gaps=s.gaps,
            crossed=s.crossed,
            waiting=s.waiting,
            stale=s.stale,
            out_of_order=out_of_order,
            duplicate_trades=trade_ids.len() - trade_ids.n_unique(),
            bad_lines=[{"reason": r, "count": c, "first_line": f} for r, c, f in s.bad_reasons()],
            problems=s.problems,
        )
        ds.imports = [i for i in ds.imports if i.source != source] + [result]
        datasets[ds_name] = ds
        self._save(datasets)
        return ds, result

    def _write(self, ds: Dataset, kind: str, source: str, frame: pl.DataFrame | None) -> set[str]:
        """One Parquet file per UTC day of ``frame``; this source's earlier files of the kind go."""
        folder = self.folder(ds, kind)
        for old in folder.glob(f"date=*/{source}.parquet"):
            old.unlink()
        if frame is None or not frame.height:
            return set()
        frame = frame.with_columns((pl.col("exch_ns") // DAY_NS).alias("_day"))
        days = set()
        for (day,), part in frame.group_by("_day", maintain_order=True):
            name = dt.datetime.fromtimestamp(int(day) * 86_400, tz=dt.UTC).date().isoformat()
            out = folder / f"date={name}"
            out.mkdir(parents=True, exist_ok=True)
            # Row groups small enough that a replay reads a window of a day, not the whole day.
            with (out / f"{source}.parquet").open("wb") as f:
                part.drop("_day").write_parquet(f, compression="zstd", row_group_size=ROW_GROUP)
            days.add(name)
        return days

    # -- verify ------------------------------------------------------------------------------------

    def verify(self) -> list[str]:
        """Every dataset's files read back (lazily, counting rows) against its manifest: what is
        wrong, in words; empty when nothing is."""
        problems = []
        for name, ds in self.datasets().items():
            for kind in KINDS:
                expected = ds.rows(kind)
                files = sorted(self.folder(ds, kind).glob("date=*/*.parquet"), key=str)
                try:
                    found = self.scan_files(files).select(pl.len()).collect().item() if files else 0
                except (pl.exceptions.ComputeError, OSError) as exc:
                    problems.append(f"{name} {kind}: unreadable ({str(exc).splitlines()[0][:160]})")
                    continue
                if found != expected:
                    problems.append(f"{name} {kind}: {found:,} rows in its files, {expected:,} in the manifest")
        return problems


def storage_options(url: str) -> dict[str, str] | None:
    """polars' options for an object-store URL, from the environment (never from a config file:
    secrets live in the environment only). polars reads the keys from the environment itself;
    the endpoint of an S3-compatible store (MinIO, Ceph, a loopback test server) is passed on."""
    import os

    if not url.startswith(("s3://", "s3a://")):
        return None
    opts: dict[str, str] = {}
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        opts["aws_endpoint_url"] = endpoint
        if endpoint.startswith("http://"):
            opts["aws_allow_http"] = "true"
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        opts["aws_region"] = region
    return opts


def _int_frame(cols: tuple[str, ...], rows: list[tuple[int, ...]]) -> pl.DataFrame:
    """Rows of ints as a frame: through one numpy array (twice as fast as polars from rows)."""
    import numpy as np

    if not rows:
        return pl.DataFrame(schema=dict.fromkeys(cols, pl.Int64))
    arr = np.array(rows, dtype=np.int64)
    return pl.DataFrame({c: arr[:, i] for i, c in enumerate(cols)})


def _book_frame(
    cols: tuple[str, ...], book: list[tuple[Any, ...]], sides: list[Any], prices: list[Any], sizes: list[Any]
) -> pl.DataFrame:
    """One row per level: the message's columns repeated over its levels."""
    import numpy as np

    schema = {c: (pl.Boolean if c == "snapshot" else pl.Int64) for c in cols}
    head = pl.DataFrame(book, schema=schema, orient="row")
    if not head.height:
        return head.with_columns(
            pl.Series("side", [], pl.UInt8), pl.Series("price", [], pl.Int64), pl.Series("size", [], pl.Int64)
        )
    counts = np.array([len(p) for p in prices], dtype=np.int64)
    rows = head[np.repeat(np.arange(head.height), counts)]
    return rows.with_columns(
        pl.Series("side", np.concatenate(sides), pl.UInt8),
        pl.Series("price", np.concatenate(prices), pl.Int64),
        pl.Series("size", np.concatenate(sizes), pl.Int64),
    )
