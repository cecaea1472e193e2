"""The research tools over the market-data catalog (core/data): which datasets there are, and a
dataset's history as bars, computed with polars. Read-only; results are bounded in rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from alephtx.core.data.catalog import Catalog, CatalogError
from alephtx.core.errors import FieldError

__all__ = ["register"]

INTERVALS = {"1s": 1, "10s": 10, "1m": 60, "5m": 300, "15m": 900, "1h": 3600, "1d": 86_400}
MAX_ROWS = 1000


def _time(field: str, text: str) -> int | None:
    """An ISO 8601 time (UTC unless it says otherwise) as ns; None for ""."""
    if not text:
        return None
    try:
        t = dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise FieldError(field, text, "an ISO 8601 time, e.g. 2024-08-08T23:55:00 (UTC unless it says)") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return int(t.timestamp()) * 10**9 + t.microsecond * 1000


def register(tool: Callable[[Any], Callable[[Callable[..., Any]], Any]], read: Any, catalog: str | Path) -> None:
    def open_catalog() -> Catalog:
        try:
            return Catalog(catalog)
        except CatalogError as exc:
            raise FieldError("catalog", str(catalog), str(exc)) from None

    @tool(read)
    def list_datasets() -> list[dict[str, Any]]:
        """The recorded market data in the catalog: each dataset (venue/market/symbol), its UTC
        days, rows by kind (book, trades, top, bars), coverage and sequence gaps."""
        out = []
        for name, ds in open_catalog().datasets().items():
            first, last = ds.coverage_ns
            out.append(
                {
                    "dataset": name,
                    "days": ds.days,
                    "rows": {k: ds.rows(k) for k in ("book", "trades", "top", "bars")},
                    "from_utc": dt.datetime.fromtimestamp(first / 1e9, tz=dt.UTC).isoformat() if first else None,
                    "to_utc": dt.datetime.fromtimestamp(last / 1e9, tz=dt.UTC).isoformat() if last else None,
                    "gaps": sum(i.gaps for i in ds.imports),
                    "tick_size": ds.tick_size,
                    "lot_size": ds.lot_size,
                }
            )
        return out

    @tool(read)
    def query_history(
        dataset: str, start: str = "", end: str = "", interval: str = "1m", limit: int = 200
    ) -> dict[str, Any]:
        """A dataset's trades as bars over [start, end) (ISO 8601, UTC; empty: all): open, high,
        low, close, volume, VWAP and trade count per interval (1s, 10s, 1m, 5m, 15m, 1h, 1d),
        with the mean and widest bid-ask spread and the mean size at the best bid and ask from
        the venue's top of book, and the book's level updates and removals, where recorded.
        At most ``limit`` bars (1 to 1000), the latest ones."""
        if interval not in INTERVALS:
            raise FieldError("interval", interval, f"one of {', '.join(INTERVALS)}")
        if isinstance(limit, bool) or not 1 <= limit <= MAX_ROWS:
            raise FieldError("limit", limit, f"from 1 to {MAX_ROWS}")
        lo, hi = _time("start", start), _time("end", end)
        if lo is not None and hi is not None and hi <= lo:
            raise FieldError("end", end, "must be after start")
        cat = open_catalog()
        try:
            ds = cat.dataset(dataset)
        except CatalogError as exc:
            raise FieldError("dataset", dataset, str(exc).split(": ", 1)[-1]) from None
        step = INTERVALS[interval] * 10**9

        def window(kind: str) -> pl.LazyFrame | None:
            try:
                frame = cat.scan(dataset, kind)
            except CatalogError:
                return None  # this kind was not recorded
            if lo is not None:
                frame = frame.filter(pl.col("exch_ns") >= lo)
            if hi is not None:
                frame = frame.filter(pl.col("exch_ns") < hi)
            return frame.with_columns((pl.col("exch_ns") // step * step).alias("t"))

        trades = window("trades")
        if trades is None:
            raise FieldError("dataset", dataset, "has no trades recorded")
        bars = trades.group_by("t").agg(
            pl.col("price").first().alias("open"),
            pl.col("price").max().alias("high"),
            pl.col("price").min().alias("low"),
            pl.col("price").last().alias("close"),
            pl.col("size").sum().alias("volume"),
            (pl.col("price") * pl.col("size")).sum().alias("notional"),
            pl.len().alias("trades"),
        )
        top = window("top")
        if top is not None:
            spreads = top.group_by("t").agg(
                (pl.col("ask") - pl.col("bid")).mean().alias("spread_mean"),
                (pl.col("ask") - pl.col("bid")).max().alias("spread_max"),
                pl.col("bid_size").mean().alias("bid_size_mean"),
                pl.col("ask_size").mean().alias("ask_size_mean"),
            )
            bars = bars.join(spreads, on="t", how="left")
        book = window("book")
        if book is not None:
            churn = (
                book.filter(~pl.col("snapshot"))
                .group_by("t")
                .agg(pl.len().alias("level_updates"), (pl.col("size") == 0).sum().alias("level_removals"))
            )
            bars = bars.join(churn, on="t", how="left")
        rows = bars.sort("t").tail(limit).collect()
        px, sz = 10**ds.price_precision, 10**ds.size_precision

        def bar(r: dict[str, Any]) -> dict[str, Any]:
            out = {
                "time_utc": dt.datetime.fromtimestamp(r["t"] / 1e9, tz=dt.UTC).isoformat(),
                "open": r["open"] / px, "high": r["high"] / px, "low": r["low"] / px, "close": r["close"] / px,
                "volume": r["volume"] / sz, "vwap": round(r["notional"] / r["volume"] / px, 8) if r["volume"] else None,
                "trades": r["trades"],
            }  # fmt: skip
            if "spread_mean" in r:
                mean, widest = r["spread_mean"], r["spread_max"]
                out["spread_mean"] = round(mean / px, 8) if mean is not None else None
                out["spread_max"] = widest / px if widest is not None else None
                for side in ("bid", "ask"):  # the depth at the best price
                    v = r[f"{side}_size_mean"]
                    out[f"best_{side}_size_mean"] = round(v / sz, 8) if v is not None else None
            if "level_updates" in r:
                out["level_updates"] = r["level_updates"] or 0
                out["level_removals"] = r["level_removals"] or 0
            return out

        return {"dataset": ds.name, "interval": interval, "bars": [bar(r) for r in rows.iter_rows(named=True)]}
