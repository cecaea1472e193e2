"""Public history in CSV: Binance's (data.binance.vision) and Tardis's (datasets.tardis.dev),
read with polars into the catalog's kinds, chosen by content.

Tardis's files start ``exchange,symbol,timestamp,local_timestamp``, then:

- ``is_snapshot,side,price,amount``: ``incremental_book_L2`` -> ``book``;
- ``id,side,price,amount``: ``trades`` -> ``trades``;
- ``asks[0].price,asks[0].amount,...``: ``book_snapshot_25`` (any depth) -> ``book``, each row a
  snapshot;
- ``ask_amount,ask_price,bid_price,bid_amount``: ``book_ticker`` -> ``top``.

Binance's: trades (``id,price,qty,quote_qty,time,is_buyer_maker``, or 6-7 bare columns) ->
``trades``; aggTrades (``agg_trade_id,price,quantity,...``, or 8 bare columns: spot) -> ``trades``,
one row per aggregate; bookTicker (``update_id,best_bid_price,...``) -> ``top``; klines
(``open_time,open,high,...``, or 12 bare columns) -> ``bars``.

Files without a header are told apart by their column count and, where two formats share one,
the file's name as Binance names it (``BTCUSDT-aggTrades-2024-08-08.csv``). ``.zip`` (as Binance
ships them), ``.gz`` and plain files are read.

Times: Tardis's are µs; Binance's ms, or µs (spot since 2025): told apart by their magnitude.
Prices and sizes become int64 fixed-point at the instrument's precision; a value that cannot be
(more decimals than the precision, not a decimal, negative) makes its row a bad line, counted by
reason with its first line number, never a silent zero. Tardis's venues map to ours
(``binance-futures`` -> ``binance-usdm``, ``okex-swap`` -> ``okx``, ...); the symbol comes from
the data (Tardis) or the file's name (Binance).

Tardis's book has no sequence numbers: messages (the rows of one venue message share their
timestamps) are numbered in the file's order and chained in Binance's terms (a diff ``n`` covers
``n - 1`` to ``n``, its previous is ``n - 1``), so that the one book sync serves; a snapshot's
levels are put bids first, as every book reader here states them.
"""

from __future__ import annotations

import gzip
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

TARDIS_VENUES = {  # Tardis's exchange id -> (our venue, market)
    "binance-futures": ("binance-usdm", "futures"),
    "binance-delivery": ("binance-coinm", "futures"),
    "binance": ("binance", "spot"),
    "bybit": ("bybit", "futures"),
    "bybit-spot": ("bybit", "spot"),
    "okex-swap": ("okx", "swap"),
    "okex": ("okx", "spot"),
    "hyperliquid": ("hyperliquid", "perp"),
    "dydx-v4": ("dydx", "perp"),
}
_TARDIS_HEAD = "exchange,symbol,timestamp,local_timestamp"
_BINANCE_KIND = re.compile(r"^([A-Z0-9]+)-(trades|aggTrades|bookTicker|\d+[smhdwM])-", re.IGNORECASE)


class CsvError(ValueError):
    """A CSV file that is none of the formats read here, or unreadable: one line, naming why."""


@dataclass
class CsvFile:
    """What a CSV file is: its format, and what it says about the instrument."""

    fmt: str  # tardis-book | tardis-trades | tardis-snapshots | tardis-ticker | binance-trades | ...
    venue: str
    market: str
    symbol: str
    header: bool
    columns: int
    text: bytes = field(repr=False, default=b"")


def read_bytes(path: Path) -> bytes:
    """The file's CSV text: one member of a .zip, a .gz, or the file itself."""
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            return gzip.decompress(raw)
        if raw[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(io.BytesIO(raw)) as z:
                names = [n for n in z.namelist() if not n.endswith("/")]
                if len(names) != 1:
                    raise CsvError(f"{path.name}: a zip of {len(names)} files; one CSV per zip is read")
                return z.read(names[0])
        return raw
    except (OSError, EOFError, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
        raise CsvError(f"{path.name}: unreadable ({type(exc).__name__}: {exc})") from None


def looks_like_csv(path: Path) -> bool:
    """A CSV rather than a ``<recv ns> <json>`` capture: its first line has commas and no JSON."""
    try:
        text = read_bytes(path)[:4096]
    except CsvError:
        return False
    first = text.split(b"\n", 1)[0]
    return b"," in first and b"{" not in first


def sniff(path: Path) -> CsvFile:
    """The format of ``path`` (see the module's docstring), or CsvError naming what it found."""
    text = read_bytes(path)
    first = text.split(b"\n", 1)[0].decode("utf-8", "replace").strip().lstrip("\ufeff")
    if not first:
        raise CsvError(f"{path.name}: empty")
    cells = first.split(",")
    name_kind = _BINANCE_KIND.match(path.name)
    if first.startswith(_TARDIS_HEAD):
        return _tardis(path, text, cells)
    header = not cells[0].strip().lstrip("-").isdigit()
    symbol = name_kind.group(1).upper() if name_kind else ""
    kind = name_kind.group(2) if name_kind else ""
    n = len(cells)
    if header:
        heads = [c.strip() for c in cells]
        if heads[:2] == ["id", "price"]:
            fmt = "binance-trades"
        elif heads[0] == "agg_trade_id":
            fmt = "binance-aggtrades"
        elif heads[0] == "update_id" and "best_bid_price" in heads:
            fmt = "binance-bookticker"
        elif heads[0] == "open_time":
            fmt = "binance-klines"
        else:
            raise CsvError(f"{path.name}: a CSV header this platform does not read ({first[:80]!r})")
    elif kind.lower() == "trades" and n in (6, 7):
        fmt = "binance-trades"
    elif kind.lower() == "aggtrades" and n in (7, 8):
        fmt = "binance-aggtrades"
    elif kind.lower() == "bookticker" and n == 7:
        fmt = "binance-bookticker"
    elif n == 12:
        fmt = "binance-klines"
    elif n == 8:
        fmt = "binance-aggtrades"  # spot's aggTrades: a,p,q,f,l,T,m,M
    else:
        raise CsvError(
            f"{path.name}: {n} columns without a header and a name that does not say which Binance "
            "file it is (e.g. BTCUSDT-trades-2024-08-08.csv)"
        )
    if not symbol:
        raise CsvError(f"{path.name}: the symbol is not in the name as Binance names its files (BTCUSDT-...)")
    # Spot's files have no header and one more column (isBestMatch); USD-M's have headers.
    spot = not header and ((fmt == "binance-trades" and n == 7) or (fmt == "binance-aggtrades" and n == 8))
    venue, market = ("binance", "spot") if spot else ("binance-usdm", "futures")
    return CsvFile(fmt, venue, market, symbol, header, n, text)


def _tardis(path: Path, text: bytes, cells: list[str]) -> CsvFile:
    rest = [c.strip() for c in cells[4:]]
    if rest == ["is_snapshot", "side", "price", "amount"]:
        fmt = "tardis-book"
    elif rest == ["id", "side", "price", "amount"]:
        fmt = "tardis-trades"
    elif rest[:2] == ["asks[0].price", "asks[0].amount"]:
        fmt = "tardis-snapshots"
    elif rest == ["ask_amount", "ask_price", "bid_price", "bid_amount"]:
        fmt = "tardis-ticker"
    else:
        raise CsvError(f"{path.name}: a Tardis file of a kind not read here (columns {', '.join(rest[:6])})")
    second = text.split(b"\n", 2)[1].decode("utf-8", "replace").split(",") if text.count(b"\n") else []
    if len(second) < 2:
        raise CsvError(f"{path.name}: a header and no rows")
    exchange, symbol = second[0].strip(), second[1].strip()
    venue, market = TARDIS_VENUES.get(exchange, (exchange, "unknown"))
    return CsvFile(fmt, venue, market, symbol, True, len(cells), text)


# -- fixed point ------------------------------------------------------------------------------------


def decimals(col: pl.Series) -> int:
    """The most decimal places any value of ``col`` (decimal strings) carries, trailing zeros aside."""
    frac = col.str.split_exact(".", 1).struct.field("field_1").fill_null("").str.strip_chars_end("0")
    longest = frac.str.len_chars().max()
    return int(longest) if isinstance(longest, int) else 0


def fixed(name: str, precision: int) -> pl.Expr:
    """The decimal strings of column ``name`` as int64 at ``precision``; null where a value is not
    an unsigned decimal with at most ``precision`` places (a bad line)."""
    parts = pl.col(name).str.strip_chars().str.split_exact(".", 1)
    whole, frac = parts.struct.field("field_0"), parts.struct.field("field_1")
    frac_digits = frac.fill_null("").str.strip_chars_end("0")
    ok = (
        whole.str.contains(r"^[0-9]{1,18}$")
        & (frac.is_null() | frac.str.contains(r"^[0-9]+$"))
        & (frac_digits.str.len_chars() <= precision)
    )
    scaled = whole.cast(pl.Int64, strict=False) * 10**precision
    if precision:
        scaled = scaled + frac_digits.str.pad_end(precision, "0").str.slice(0, precision).cast(pl.Int64, strict=False)
    return pl.when(ok).then(scaled).otherwise(None)


def to_ns(name: str) -> pl.Expr:
    """ms, µs or ns since the epoch (told apart by magnitude) as ns; null when not an integer."""
    v = pl.col(name).str.strip_chars().cast(pl.Int64, strict=False)
    return pl.when(v < 10**14).then(v * 1_000_000).when(v < 10**17).then(v * 1_000).otherwise(v)


# -- rows -------------------------------------------------------------------------------------------

_BINANCE_COLUMNS = {  # by position: what each format's columns are, header or not
    "binance-trades": {"id": 0, "price": 1, "qty": 2, "time": 4, "maker": 5},
    "binance-aggtrades": {"id": 0, "price": 1, "qty": 2, "time": 5, "maker": 6},
    "binance-bookticker": {"id": 0, "bid": 1, "bid_qty": 2, "ask": 3, "ask_qty": 4, "time": 5},
    "binance-klines": {"open_time": 0, "open": 1, "high": 2, "low": 3, "close": 4, "volume": 5, "close_time": 6,
                       "count": 8},
}  # fmt: skip
PRICE_COLUMNS = {
    "tardis-book": ["price"],
    "tardis-trades": ["price"],
    "tardis-ticker": ["ask_price", "bid_price"],
    "binance-trades": ["price"],
    "binance-aggtrades": ["price"],
    "binance-bookticker": ["bid", "ask"],
    "binance-klines": ["open", "high", "low", "close"],
}
SIZE_COLUMNS = {
    "tardis-book": ["amount"],
    "tardis-trades": ["amount"],
    "tardis-ticker": ["ask_amount", "bid_amount"],
    "binance-trades": ["qty"],
    "binance-aggtrades": ["qty"],
    "binance-bookticker": ["bid_qty", "ask_qty"],
    "binance-klines": ["volume"],
}


@dataclass
class CsvRows:
    """What a CSV file became: frames by kind (the catalog's columns), bad lines by reason
    (reason, count, first line number) and messages by kind."""

    frames: dict[str, pl.DataFrame]
    bad: list[tuple[str, int, int]]
    messages: dict[str, int]
    lines: int


def table(csv: CsvFile) -> pl.DataFrame:
    """Every cell as a string, named; ``_line`` is each row's line number in the file."""
    try:
        df = pl.read_csv(
            io.BytesIO(csv.text),
            has_header=csv.header,
            infer_schema=False,
            truncate_ragged_lines=True,
        )
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise CsvError(f"not readable as CSV ({str(exc).splitlines()[0][:160]})") from None
    if csv.fmt in _BINANCE_COLUMNS:
        names = _BINANCE_COLUMNS[csv.fmt]
        df = df.select(pl.nth(i).alias(n) for n, i in names.items())
    first = 2 if csv.header else 1
    return df.with_row_index("_line", offset=first).with_columns(pl.col("_line").cast(pl.Int64))


def precision_of(csv: CsvFile, df: pl.DataFrame) -> tuple[int, int]:
    """(price, size) decimal places the data itself carries."""
    if csv.fmt == "tardis-snapshots":
        prices = [c for c in df.columns if c.endswith(".price")]
        sizes = [c for c in df.columns if c.endswith(".amount")]
    else:
        prices, sizes = PRICE_COLUMNS[csv.fmt], SIZE_COLUMNS[csv.fmt]
    return max(decimals(df[c]) for c in prices), max(decimals(df[c]) for c in sizes)


def rows_of(csv: CsvFile, df: pl.DataFrame, pp: int, sp: int) -> CsvRows:
    """The catalog's rows of ``df`` (``table``'s) at price and size precisions ``pp``, ``sp``."""
    if csv.fmt == "tardis-snapshots":
        return _snapshots(csv, df, pp, sp)
    checks: dict[str, pl.Expr]
    if csv.fmt.startswith("tardis"):
        other = pl.col("symbol") != csv.symbol
        common = {"exch_ns": to_ns("timestamp"), "recv_ns": to_ns("local_timestamp")}
    else:
        other = pl.lit(False)
        common = {"exch_ns": to_ns("time" if csv.fmt != "binance-klines" else "open_time")}
        common["recv_ns"] = common["exch_ns"]
    if csv.fmt == "tardis-book":
        checks = {
            **common,
            "snapshot": pl.col("is_snapshot")
            .str.to_lowercase()
            .replace_strict({"true": True, "false": False}, default=None),
            "side": pl.col("side").replace_strict({"bid": 1, "ask": 0}, default=None, return_dtype=pl.UInt8),
            "price": fixed("price", pp),
            "size": fixed("amount", sp),
        }
    elif csv.fmt in ("tardis-trades", "binance-trades", "binance-aggtrades"):
        if csv.fmt == "tardis-trades":
            aggressor = pl.col("side").replace_strict({"sell": 1, "buy": 0}, default=None, return_dtype=pl.Int64)
            price, size = fixed("price", pp), fixed("amount", sp)
        else:
            maker = pl.col("maker").str.to_lowercase()
            aggressor = maker.replace_strict({"true": 1, "false": 0}, default=None, return_dtype=pl.Int64)
            price, size = fixed("price", pp), fixed("qty", sp)
        checks = {**common, "price": price, "size": size, "aggressor": aggressor}
    elif csv.fmt in ("tardis-ticker", "binance-bookticker"):
        names = ("bid_price", "bid_amount", "ask_price", "ask_amount") if csv.fmt == "tardis-ticker" else (
            "bid", "bid_qty", "ask", "ask_qty")  # fmt: skip
        checks = {
            **common,
            "bid": fixed(names[0], pp),
            "bid_size": fixed(names[1], sp),
            "ask": fixed(names[2], pp),
            "ask_size": fixed(names[3], sp),
        }
    else:  # klines
        checks = {
            **common,
            "close_ns": to_ns("close_time"),
            **{c: fixed(c, pp) for c in ("open", "high", "low", "close")},
            "volume": fixed("volume", sp),
            "trades": pl.col("count").str.strip_chars().cast(pl.Int64, strict=False),
        }
    if csv.fmt in ("tardis-trades", "binance-trades", "binance-aggtrades", "binance-bookticker"):
        key = "id" if "id" in df.columns else None
        ident = pl.col(key).str.strip_chars().cast(pl.Int64, strict=False) if key else pl.col("_line")
        checks["trade_id" if "trade" in csv.fmt or "aggtrades" in csv.fmt else "update_id"] = ident
    if csv.fmt == "tardis-trades":
        # Some venues' trade ids are not numbers (Bybit's are UUIDs): their line number stands in.
        ident = pl.col("id").str.strip_chars().cast(pl.Int64, strict=False)
        checks["trade_id"] = pl.when(ident.is_not_null().all()).then(ident).otherwise(pl.col("_line"))
    out = df.with_columns(**checks)
    reason: Any = pl.when(other).then(
        pl.lit("another symbol: ") + pl.col("symbol") if "symbol" in df.columns else pl.lit("")
    )
    labels = _LABELS["tardis" if csv.fmt.startswith("tardis") else "binance"]
    if csv.fmt == "binance-klines":
        labels = {**labels, "exch_ns": "open_time", "recv_ns": "open_time"}
    for name in checks:  # a bad row's reason names the file's own column
        rule = _rule(name, pp, sp)
        if name == "aggressor":
            rule = "not buy or sell" if csv.fmt.startswith("tardis") else "not true or false"
        reason = reason.when(pl.col(name).is_null()).then(pl.lit(f"{labels.get(name, name)}: {rule}"))
    out = out.with_columns(_bad=reason.otherwise(None))
    bad = _bad_lines(out)
    good = out.filter(pl.col("_bad").is_null()).with_columns(msg=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
    frames: dict[str, pl.DataFrame] = {}
    messages: dict[str, int] = {}
    if csv.fmt == "tardis-book":
        msg = pl.struct("exch_ns", "recv_ns", "snapshot").rle_id().cast(pl.Int64) + 1  # one venue message
        book = good.with_columns(msg=msg).with_columns(
            # Binance's rule, which the sync follows: the first diff after a snapshot straddles its
            # id (U <= lastUpdateId <= u), later ones chain by pu = the previous u.
            first_id=pl.col("msg") - 1, final_id=pl.col("msg"), prev_id=pl.col("msg") - 1,
            _order=pl.when(pl.col("snapshot")).then(-pl.col("side").cast(pl.Int64)).otherwise(0),
        ).sort(["msg", "_order"], maintain_order=True)  # fmt: skip
        frames["book"] = book.select(*BOOK_COLUMNS)
        kinds = book.unique("msg", keep="first").get_column("snapshot")
        messages = {"snapshot": int(kinds.sum()), "depth": int((~kinds).sum())}
    elif "trades" in csv.fmt or "aggtrades" in csv.fmt:
        frames["trades"] = good.select(*TRADE_COLUMNS)
        messages = {"trade": good.height}
    elif csv.fmt in ("tardis-ticker", "binance-bookticker"):
        if "update_id" not in good.columns:  # Tardis's tickers are not numbered: their order is
            good = good.with_columns(update_id=pl.col("msg"))
        frames["top"] = good.select(*TOP_COLUMNS)
        messages = {"bookTicker": good.height}
    else:
        frames["bars"] = good.select(*BAR_COLUMNS)
        messages = {"bar": good.height}
    return CsvRows(frames, bad, messages, df.height)


_LABELS = {
    "tardis": {"exch_ns": "timestamp", "recv_ns": "local_timestamp", "size": "amount", "aggressor": "side",
               "snapshot": "is_snapshot", "bid": "bid_price", "ask": "ask_price", "bid_size": "bid_amount",
               "ask_size": "ask_amount", "trade_id": "id"},
    "binance": {"exch_ns": "time", "recv_ns": "time", "size": "qty", "aggressor": "is_buyer_maker",
                "bid": "best_bid_price", "bid_size": "best_bid_qty", "ask": "best_ask_price",
                "ask_size": "best_ask_qty", "trade_id": "id", "close_ns": "close_time", "trades": "count"},
}  # fmt: skip


def _rule(name: str, pp: int, sp: int) -> str:
    if name.endswith("_ns"):
        return "not a time in ms, µs or ns since the epoch"
    if name in ("price", "bid", "ask", "open", "high", "low", "close"):
        return f"not an unsigned decimal with at most {pp} places"
    if name in ("size", "bid_size", "ask_size", "volume"):
        return f"not an unsigned decimal with at most {sp} places"
    return {
        "side": "not bid or ask",
        "snapshot": "not true or false",
        "aggressor": "not a side (buy/sell, or is_buyer_maker true/false)",
    }.get(name, "not an integer")


def _bad_lines(frame: pl.DataFrame) -> list[tuple[str, int, int]]:
    bad = frame.filter(pl.col("_bad").is_not_null())
    if not bad.height:
        return []
    grouped = bad.group_by("_bad").agg(pl.len().alias("n"), pl.col("_line").min().alias("first")).sort("first")
    return [(str(r), int(n), int(f)) for r, n, f in grouped.iter_rows()]


def _snapshots(csv: CsvFile, df: pl.DataFrame, pp: int, sp: int) -> CsvRows:
    """Tardis's book_snapshot_N: each row a whole snapshot of N levels a side, bids first."""
    depth = sum(1 for c in df.columns if c.startswith("bids[") and c.endswith(".price"))
    base = df.with_columns(exch_ns=to_ns("timestamp"), recv_ns=to_ns("local_timestamp"))
    reason: Any = pl.when(pl.col("symbol") != csv.symbol).then(pl.lit("another symbol: ") + pl.col("symbol"))
    reason = reason.when(pl.col("exch_ns").is_null() | pl.col("recv_ns").is_null()).then(
        pl.lit("timestamp: " + _rule("exch_ns", pp, sp))
    )
    for col in df.columns:  # in the file's order: the first bad cell of a row names its reason
        if col.startswith(("bids[", "asks[")) and col.endswith((".price", ".amount")):
            present = pl.col(col).is_not_null() & (pl.col(col).str.strip_chars() != "")
            places, rule = (pp, "price") if col.endswith(".price") else (sp, "size")
            reason = reason.when(present & fixed(col, places).is_null()).then(pl.lit(f"{col}: {_rule(rule, pp, sp)}"))
    # A level is kept when its price is there: bids first, each side from its best.
    levels = [(side, i, f"{name}[{i}].price", f"{name}[{i}].amount") for side, name in ((1, "bids"), (0, "asks"))
              for i in range(depth)]  # fmt: skip
    checked = base.with_columns(_bad=reason.otherwise(None))
    bad = _bad_lines(checked)
    good = checked.filter(pl.col("_bad").is_null()).with_columns(msg=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
    parts = [
        good.filter(pl.col(p).is_not_null() & (pl.col(p).str.strip_chars() != "")).select(
            "recv_ns",
            "exch_ns",
            "msg",
            side=pl.lit(side, pl.UInt8),
            _order=pl.lit(k, pl.Int64),
            price=fixed(p, pp),
            size=fixed(q, sp),
        )
        for k, (side, _, p, q) in enumerate(levels)
    ]
    book = (
        pl.concat(parts)
        .sort(["msg", "_order"])
        .with_columns(snapshot=pl.lit(True), first_id=pl.col("msg"), final_id=pl.col("msg"), prev_id=pl.col("msg") - 1)
        .select(*BOOK_COLUMNS)
    )
    return CsvRows({"book": book}, bad, {"snapshot": good.height}, df.height)


BOOK_COLUMNS = ("recv_ns", "exch_ns", "msg", "snapshot", "first_id", "final_id", "prev_id", "side", "price", "size")
TRADE_COLUMNS = ("recv_ns", "exch_ns", "msg", "trade_id", "price", "size", "aggressor")
TOP_COLUMNS = ("recv_ns", "exch_ns", "msg", "update_id", "bid", "bid_size", "ask", "ask_size")
BAR_COLUMNS = ("recv_ns", "exch_ns", "msg", "close_ns", "open", "high", "low", "close", "volume", "trades")
