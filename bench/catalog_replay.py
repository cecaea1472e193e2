"""Replay from the catalog against today's tape, and how its cost grows with the range.

1. The same capture (the full BTCUSDT one in ../shared when present, else the bundled sample)
   replayed through the engine and a paper venue (no strategy): from its tape (the baseline: the
   capture decoded whole, loaded from the tape cache) and from its dataset in the catalog (read
   window by window), loading included (the session's own clock starts after its first window).
   Median of 7 runs each, alternated.
2. Growth: the capture's dataset laid over 1, 10 and 50 consecutive days (its Parquet files
   copied with their times shifted by whole days: the same as importing the capture once a day)
   and replayed whole, each in a fresh process: wall time, events/s and peak resident memory.
   The goal is time linear in the days and memory flat.

    python -m bench.catalog_replay
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from alephtx.core.data.catalog import DAY_NS, Catalog
from alephtx.core.data.source import MarketSource
from alephtx.core.data.tapes import tapes
from alephtx.core.engine.session import VenueFeed, run_session
from alephtx.core.model import Instrument
from alephtx.core.replay.tape import Tape
from alephtx.core.risk import RiskLimits
from bench.common import capture_path, console, save, show

INST = Instrument.from_strings("binance-usdm", "BTCUSDT", "perp", "0.10", "0.001")
A = Instrument.from_strings("paper-a", "BTCUSDT", "perp", "0.10", "0.001", "5")
LIMITS = RiskLimits.model_validate({"instrument": {A.key: {"max_position": "1"}}})
DATASET = "binance-usdm/futures/BTCUSDT"


async def session(source: object, journal: Path) -> tuple[int, float]:
    r = await run_session(source, [VenueFeed(A)], [], LIMITS, journal)  # type: ignore[arg-type]
    return r.events, r.seconds


def timed(source: object, journal: Path) -> tuple[int, float]:
    """Events, and the wall time of the whole session: loading the data included."""
    t0 = time.perf_counter()
    events, _ = asyncio.run(session(source, journal))
    return events, time.perf_counter() - t0


def spread_over_days(cat: Catalog, days: int) -> None:
    """The dataset's one import copied to the ``days - 1`` following days (times shifted)."""
    datasets = cat.datasets()
    ds = datasets[DATASET]
    base = ds.imports[0]
    ds.imports = [base]
    for k in range(1, days):
        shift = k * DAY_NS
        new_days = set()
        for kind in ("book", "trades", "top"):
            for old in sorted(cat.folder(ds, kind).glob(f"date=*/{base.source}.parquet")):
                frame = pl.read_parquet(old).with_columns(pl.col("recv_ns") + shift, pl.col("exch_ns") + shift)
                day = dt.date.fromisoformat(old.parent.name.removeprefix("date="))
                moved = (day + dt.timedelta(days=k)).isoformat()
                out = cat.folder(ds, kind) / f"date={moved}"
                out.mkdir(parents=True, exist_ok=True)
                frame.write_parquet(out / f"{base.source}-d{k}.parquet", compression="zstd", row_group_size=131_072)
                new_days.add(moved)
        ds.imports.append(
            dataclasses.replace(
                base,
                source=f"{base.source}-d{k}",
                days=sorted(new_days),
                first_exch_ns=base.first_exch_ns + shift,
                last_exch_ns=base.last_exch_ns + shift,
            )
        )
    datasets[DATASET] = ds
    cat._save(datasets)


def row(days: int, r: dict[str, float]) -> list[str]:
    rate = r["events"] / r["seconds"]
    return [str(days), f"{r['events']:,}", f"{r['seconds']:.2f}", f"{rate:,.0f}", f"{r['seconds'] / days:.3f}",
            f"{r['rss_mb']:,.0f}"]  # fmt: skip


def child(catalog: str) -> None:
    """One replay of the whole dataset in this process: prints events, seconds, peak RSS (MB)."""
    with tempfile.TemporaryDirectory() as tmp:
        events, wall = timed(MarketSource.of_dataset(Catalog(catalog), DATASET), Path(tmp) / "j.db")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"events": events, "seconds": wall, "rss_mb": rss_mb}))


def main() -> None:
    path = capture_path()
    with tempfile.TemporaryDirectory() as tmp:
        cat = Catalog(Path(tmp) / "catalog")
        t0 = time.perf_counter()
        cat.import_capture(path, INST)
        import_s = time.perf_counter() - t0
        Tape.cached(path, A)
        tape_runs, cat_runs = [], []
        for i in range(7):
            tape_runs.append(timed(path, Path(tmp) / f"t{i}.db"))
            cat_runs.append(timed(MarketSource.of_dataset(cat, DATASET), Path(tmp) / f"c{i}.db"))
        events = tape_runs[0][0]
        assert all(e == events for e, _ in tape_runs + cat_runs), "the two replays saw different events"
        tape_s = statistics.median(s for _, s in tape_runs)
        cat_s = statistics.median(s for _, s in cat_runs)
        show(
            f"Replay through the engine + a paper venue, loading included ({events:,} events, median of 7)",
            ["source", "seconds", "events/s"],
            [
                ["tape of the capture (baseline)", f"{tape_s:.3f}", f"{events / tape_s:,.0f}"],
                ["catalog dataset, window by window", f"{cat_s:.3f}", f"{events / cat_s:,.0f}"],
            ],
        )
        console.print(f"catalog vs tape: [bold]{tape_s / cat_s:.2f}x[/bold] the tape's events/s")
        t0 = time.perf_counter()
        windows = sum(1 for _ in tapes(cat, DATASET))
        read_s = time.perf_counter() - t0
        console.print(
            f"reading the dataset alone: {read_s * 1e3:.1f} ms in {windows} windows ({events / read_s:,.0f} events/s)"
        )

        growth = []
        for days in (1, 10, 50):
            spread_over_days(cat, days)
            out = subprocess.run(
                [sys.executable, "-m", "bench.catalog_replay", "--child", str(cat.root)],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            growth.append((days, r))
        show(
            "Growth: the dataset over consecutive days, replayed whole in a fresh process",
            ["days", "events", "seconds", "events/s", "s per day", "peak RSS (MB)"],
            [row(d, r) for d, r in growth],
        )
        per_day = [r["seconds"] / d for d, r in growth]
        rss = [r["rss_mb"] for _, r in growth]
        console.print(
            f"time per day 50 days vs 1 day: [bold]{per_day[-1] / per_day[0]:.2f}x[/bold]; "
            f"peak memory 50 days vs 1 day: [bold]{rss[-1] / rss[0]:.2f}x[/bold]"
        )
    save(
        "catalog_replay",
        {
            "events": events,
            "import_s": import_s,
            "tape_events_per_s": events / tape_s,
            "catalog_events_per_s": events / cat_s,
            "catalog_vs_tape": tape_s / cat_s,
            "catalog_read_events_per_s": events / read_s,
            **{f"days_{d}_seconds": r["seconds"] for d, r in growth},
            **{f"days_{d}_rss_mb": r["rss_mb"] for d, r in growth},
        },
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
