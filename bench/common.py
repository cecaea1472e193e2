"""Shared bits of the benchmarks: where the data is, timing, percentiles, a results table."""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
FULL = ROOT.parent / "shared" / "data" / "binance-usdm" / "btcusdt_20240808.gz"
console = Console(width=max(Console().width, 120))  # tables stay readable in logs and pipes


def capture_path() -> Path:
    """The full six-minute capture when ../shared is there, else the bundled sample."""
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        return Path(sys.argv[1])
    if FULL.exists():
        return FULL
    from alephtx.core.config.resources import sample_capture

    return sample_capture()


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """Best wall time of ``repeat`` runs (the least disturbed by a shared, noisy machine)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def percentiles(samples_ns: list[int]) -> tuple[float, float]:
    qs = statistics.quantiles(samples_ns, n=100, method="inclusive")
    return statistics.median(samples_ns), qs[98]


def show(title: str, columns: list[str], rows: list[list[str]]) -> None:
    t = Table(title=title)
    for c in columns:
        t.add_column(c, justify="right" if c != columns[0] else "left")
    for r in rows:
        t.add_row(*r)
    console.print(t)


def save(name: str, result: dict) -> None:
    out = ROOT / "reports" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(result, indent=2))
