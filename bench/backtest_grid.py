"""Backtest throughput against hftbacktest: the same three-level grid (2 USD apart, requoted
every 100 ms, post-only, 1 ms order latency, risk-averse queue) over the same capture, in one run.

AlephTX runs the grid as a plain-Python strategy (bench/strategies/hbt_grid.py) through the
whole engine (books, paper matching, risk engine, OMS, journal); hftbacktest 2.4 runs its own
numba-compiled version (../shared/bench/hftbacktest_grid.py) in its own virtualenv, since it pins
numpy < 2.3:

    python3 -m venv /tmp/hbt && /tmp/hbt/bin/pip install hftbacktest
    python -m bench.backtest_grid [CAPTURE] [--hbt /tmp/hbt/bin/python]

Both count events the same way (every price-level update and every trade: hftbacktest's rows).
Prints each side's best of three timed runs after a warm-up, orders, fills, and the ratio.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from alephtx.core.engine.session import StrategySpec, VenueFeed, run_session
from alephtx.core.model import Instrument
from alephtx.core.replay.tape import Tape
from alephtx.core.risk import RiskLimits
from alephtx.core.venues.paper import FeeModel
from bench.common import ROOT, capture_path, console, save, show
from bench.strategies.hbt_grid import HbtGrid

A = Instrument.from_strings("binance-usdm", "BTCUSDT", "perp", "0.10", "0.001", "5")
LIMITS = RiskLimits.model_validate(
    {
        "instrument": {A.key: {"max_position": "10"}},
        "venue": {
            "default": {
                "max_orders_per_second": 1000,
                "max_cancels_per_second": 1000,
                "max_open_orders": 5000,
                "margin_bps": 1000,
            }
        },
    }
)
HBT_SCRIPT = ROOT.parent / "shared" / "bench" / "hftbacktest_grid.py"


async def alephtx_grid(
    path: Path, tmp: Path, i: int, grid: bool = True, whole: bool = False
) -> tuple[float, int, int, int]:
    res = await run_session(
        path,
        [VenueFeed(A, latency_ms=1.0, fees=FeeModel(maker_bps=0, taker_bps=1), whole_fills=whole)],
        [StrategySpec("grid", HbtGrid, {"instrument": A.key})] if grid else [],
        LIMITS,
        tmp / f"j{i}.db",
        timer_ms=100,
    )
    orders = len(res.engine.ledger.orders)
    fills = len(res.engine.ledger.fills)
    pos = res.engine.ledger.positions[A.key].quantity if A.key in res.engine.ledger.positions else 0
    return res.seconds, orders, fills, pos


def hftbacktest(path: Path, python: str) -> dict | None:
    if not Path(python).exists() or not HBT_SCRIPT.exists():
        console.print(f"[yellow]hftbacktest: {python} or {HBT_SCRIPT} missing (see this file's docstring)[/yellow]")
        return None
    out = subprocess.run([python, str(HBT_SCRIPT), str(path)], capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        console.print(f"[yellow]hftbacktest failed: {out.stderr[-400:]}[/yellow]")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    path = capture_path()
    hbt_python = sys.argv[sys.argv.index("--hbt") + 1] if "--hbt" in sys.argv else "/tmp/hbt/bin/python"
    tape = Tape.cached(path, A)
    points = tape.level_updates + tape.trades
    with tempfile.TemporaryDirectory() as tmp:
        runs = [asyncio.run(alephtx_grid(path, Path(tmp), i)) for i in range(4)][1:]  # a warm-up first
        bare = min(asyncio.run(alephtx_grid(path, Path(tmp), 10 + i, grid=False)) for i in range(3))
        whole = min(asyncio.run(alephtx_grid(path, Path(tmp), 20 + i, whole=True)) for i in range(3))
    best = min(runs)
    hbt = hftbacktest(path, hbt_python)
    rows = [
        ["AlephTX, no strategy", f"{points:,}", f"{bare[0]:.3f}", "", f"{points / bare[0]:,.0f}", "", ""],
        [
            "AlephTX (plain-Python grid, whole engine)",
            f"{points:,}",
            f"{best[0]:.3f}",
            f"{statistics.median(r[0] for r in runs):.3f}",
            f"{points / best[0]:,.0f}",
            f"{best[1]:,}",
            f"{best[2]:,}",
        ],
        ["AlephTX, the grid, whole fills (as the peer's run)", f"{points:,}", f"{whole[0]:.3f}", "",
         f"{points / whole[0]:,.0f}", f"{whole[1]:,}", f"{whole[2]:,}"],
    ]  # fmt: skip
    result: dict = {
        "capture": path.name,
        "events": points,
        "alephtx_no_strategy_s": bare[0],
        "alephtx_whole_fills": {"seconds": whole[0], "orders": whole[1], "fills": whole[2]},
        "alephtx": {"seconds": best[0], "median_s": statistics.median(r[0] for r in runs), "orders": best[1],
                    "fills": best[2], "position_lots": best[3]},
    }  # fmt: skip
    if hbt is not None:
        g = hbt["grid"]
        ns = hbt["no_strategy"]
        rows.append(
            ["hftbacktest 2.4, no strategy", f"{hbt['events']:,}", f"{ns['seconds']:.3f}", "",
             f"{ns['events_per_s']:,.0f}", "", ""]
        )  # fmt: skip
        rows.append(
            ["hftbacktest 2.4 (numba grid)", f"{hbt['events']:,}", f"{g['seconds']:.3f}", "", f"{g['events_per_s']:,.0f}",
             f"{g['orders']:,}", f"{g['fills']:,}"]
        )  # fmt: skip
        result["hftbacktest"] = hbt
        result["ratio_alephtx_over_hftbacktest"] = best[0] / g["seconds"]
        result["ratio_no_strategy"] = bare[0] / ns["seconds"]
    show(
        f"Backtest throughput, grid over {path.name}",
        ["run", "events", "best s", "median s", "events/s", "orders", "fills"],
        rows,
    )
    if hbt is not None:
        console.print(
            f"AlephTX takes {result['ratio_alephtx_over_hftbacktest']:.2f}x hftbacktest's time with the grid, "
            f"{result['ratio_no_strategy']:.2f}x with no strategy"
        )
    save("backtest_grid", result)


if __name__ == "__main__":
    main()
