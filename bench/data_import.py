"""The catalog: importing a capture into Parquet, and a query over it, each beside its baseline
in the same run.

1. Import: the BTCUSDT capture (the full one in ../shared when present, else the bundled sample)
   into a new catalog, messages/s and MB/s, against the JSON path replaying the same capture
   through the book (``replay_book``: what reading a capture costs today).
2. A Tardis ``incremental_book_L2`` CSV of the same capture's book (written here from it, one
   row per level, gzipped as Tardis ships them) imported, messages/s and MB/s.
3. Query: per minute, the level updates, their summed size and the number of bid updates over
   the dataset's book deltas, with a polars scan of the catalog, against the same computed in
   plain Python over the capture's events.

    python -m bench.data_import
"""

from __future__ import annotations

import gzip
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import polars as pl

from alephtx.core.data.catalog import Catalog
from alephtx.core.data.csv_import import import_csv
from alephtx.core.model import Instrument
from alephtx.core.replay.binance_capture import BinanceCapture, DepthEvent
from alephtx.core.replay.book_replay import replay_book
from bench.common import capture_path, save, show

INST = Instrument.from_strings("binance-usdm", "BTCUSDT", "perp", "0.10", "0.001")
MIN = 60_000_000_000


def polars_query(cat: Catalog, name: str) -> pl.DataFrame:
    return (
        cat.scan(name, "book")
        .filter(~pl.col("snapshot"))
        .group_by((pl.col("exch_ns") // MIN).alias("minute"))
        .agg(pl.len().alias("updates"), pl.col("size").sum().alias("size"), (pl.col("side") == 1).sum().alias("bids"))
        .sort("minute")
        .collect()
    )


def python_query(path: Path) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for ev in BinanceCapture(path, INST, tickers=False):
        if isinstance(ev, DepthEvent) and not ev.is_snapshot:
            p = ev.parser
            row = out[ev.exch_ns // MIN]
            for i in range(p.count):
                row[0] += 1
                row[1] += int(p.qtys[i])
                row[2] += int(p.sides[i]) == 1
    return dict(out)


def tardis_csv(path: Path, out: Path) -> tuple[int, int]:
    """The capture's depth as Tardis writes incremental_book_L2 (gzipped); its messages and rows."""
    rows = ["exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount"]
    n = 0
    for ev in BinanceCapture(path, INST, tickers=False):
        if isinstance(ev, DepthEvent):
            n += 1
            p = ev.parser
            head = f"binance-futures,BTCUSDT,{ev.exch_ns // 1000},{ev.recv_ns // 1000},{str(ev.is_snapshot).lower()}"
            for i in range(p.count):
                side = "bid" if p.sides[i] else "ask"
                rows.append(f"{head},{side},{INST.format_price(int(p.prices[i]))},{INST.format_size(int(p.qtys[i]))}")
    out.write_bytes(gzip.compress(("\n".join(rows) + "\n").encode(), 6))
    return n, len(rows) - 1


def main() -> dict[str, float]:
    path = capture_path()
    mb = path.stat().st_size / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        imports, replays = [], []
        for _ in range(3):  # alternated, medians
            t0 = time.perf_counter()
            s = replay_book(path, INST)
            replays.append(time.perf_counter() - t0)
            cat = Catalog(Path(tmp) / "catalog")
            t0 = time.perf_counter()
            ds, _ = cat.import_capture(path, INST)
            imports.append(time.perf_counter() - t0)
        messages = sum(s.messages.values())
        imp_s, rep_s = statistics.median(imports), statistics.median(replays)
        polars_s, python_s = [], []
        for _ in range(3):
            t0 = time.perf_counter()
            got = polars_query(cat, ds.name)
            polars_s.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            want = python_query(path)
            python_s.append(time.perf_counter() - t0)
        assert [list(r) for r in got.iter_rows()] == [[m, *want[m]] for m in sorted(want)], "the two queries differ"
        q_pl, q_py = statistics.median(polars_s), statistics.median(python_s)
        csv = Path(tmp) / "book.csv.gz"
        csv_messages, csv_rows = tardis_csv(path, csv)
        csv_mb = csv.stat().st_size / 1e6
        csv_runs = []
        for i in range(3):
            t0 = time.perf_counter()
            import_csv(Catalog(Path(tmp) / f"tardis{i}"), csv, tick_size="0.10", lot_size="0.001")
            csv_runs.append(time.perf_counter() - t0)
        csv_s = statistics.median(csv_runs)
    show(
        f"Catalog import of {path.name} ({messages:,} messages, {mb:.1f} MB), and a query over its book deltas",
        ["path", "seconds", "messages/s", "MB/s"],
        [
            ["import into Parquet (read, write, integrity replay)", f"{imp_s:.3f}", f"{messages / imp_s:,.0f}", f"{mb / imp_s:.1f}"],
            ["baseline: the JSON path through the book (replay)", f"{rep_s:.3f}", f"{messages / rep_s:,.0f}", f"{mb / rep_s:.1f}"],
            [f"Tardis incremental_book_L2 CSV import ({csv_messages:,} messages in {csv_rows:,} rows, "
             f"{csv_mb:.1f} MB gz; {csv_rows / csv_s:,.0f} rows/s)", f"{csv_s:.3f}",
             f"{csv_messages / csv_s:,.0f}", f"{csv_mb / csv_s:.1f}"],
            ["query by minute: polars scan of the catalog", f"{q_pl:.3f}", "", ""],
            ["query by minute: plain Python over the capture", f"{q_py:.3f}", "", ""],
            ["query ratio (Python / polars)", f"{q_py / q_pl:.1f}x", "", ""],
        ],
    )  # fmt: skip
    result = {
        "messages": messages,
        "import_s": imp_s,
        "replay_s": rep_s,
        "query_polars_s": q_pl,
        "query_python_s": q_py,
        "tardis_csv_messages": csv_messages,
        "tardis_csv_rows": csv_rows,
        "tardis_csv_import_s": csv_s,
    }
    save("data_import", result)
    return result


if __name__ == "__main__":
    main()
