"""A parameter sweep on 2 local Ray workers against the same trials one by one in one process,
and Ray's overhead per trial (bench for the research issue's sweep goal: >= 1.6x on 2 cores).

15 grid trials of the grid strategy (spacing_ticks 10..80 by 5, 3 levels) over the BTCUSDT capture
(the full one in ../shared when present, else the sample) laid over 4 days of a catalog (so that
a trial is a third of a second of work, not a tenth); the speed-up is the steady state, from the
end of the first batch on: Ray's start-up and each worker's first trial (its imports) are timed
apart, paid once a sweep.

    python -m bench.sweep
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from alephtx.core.config.resources import config_file
from alephtx.core.data.catalog import Catalog
from alephtx.core.model import Instrument
from alephtx.core.research.backtest import BacktestSpec
from alephtx.core.research.sweep import Data, parse_space, sweep
from bench.catalog_replay import DATASET, spread_over_days
from bench.common import capture_path, console, save, show

INST = {"venue": "binance-usdm", "symbol": "BTCUSDT", "tick_size": "0.10", "lot_size": "0.001"}
SPACE = "spacing_ticks=10..80:5, levels=3"


def timed_sweep(spec: BacktestSpec, data: Data, risk: Path, tmp: str, workers: int) -> tuple[Any, list[float]]:
    """The sweep, and the moment each trial's result came back."""
    marks: list[float] = []
    result = sweep(
        spec,
        data,
        INST,
        risk,
        Path(tmp),
        parse_space(SPACE),
        "net_pnl",
        workers=workers,
        on_trial=lambda *_: marks.append(time.perf_counter()),
    )
    return result, marks


def main() -> None:
    spec = BacktestSpec("grid", {})
    risk = config_file("risk.toml")
    with tempfile.TemporaryDirectory() as tmp:
        cat = Catalog(Path(tmp) / "catalog")
        cat.import_capture(capture_path(), Instrument.from_strings("binance-usdm", "BTCUSDT", "perp", "0.10", "0.001"))
        spread_over_days(cat, 4)
        data = Data(dataset=DATASET, catalog=str(cat.root))
        alone, marks_alone = timed_sweep(spec, data, risk, tmp, 1)
        t0 = time.perf_counter()
        on_ray, marks_ray = timed_sweep(spec, data, risk, tmp, 2)
        ray_total = time.perf_counter() - t0
    a = alone.summary
    assert [t["net_pnl"] for t in alone.trials] == [t["net_pnl"] for t in on_ray.trials], "the results differ"
    # Steady state: from the end of the first batch (a worker's first trial pays its imports) on.
    n = len(marks_ray)
    steady_ray = marks_ray[-1] - marks_ray[1]
    steady_alone = marks_alone[-1] - marks_alone[1]
    cold = ray_total - steady_ray
    work = a["trial_seconds_sum"] / a["trials"]
    overhead = (steady_ray * 2 - sum(t["seconds"] for t in on_ray.trials[2:])) / (n - 2)
    show(
        f"Sweep of {a['trials']} trials ({SPACE}) over {capture_path().name} x 4 days",
        ["run", "wall (s)", f"trials 3 to {n} (s)", "trials/s (steady)"],
        [
            [
                "one by one, this process (baseline)",
                f"{a['wall_s']:.2f}",
                f"{steady_alone:.2f}",
                f"{(n - 2) / steady_alone:.2f}",
            ],
            ["2 local Ray workers", f"{ray_total:.2f}", f"{steady_ray:.2f}", f"{(n - 2) / steady_ray:.2f}"],
        ],
    )
    console.print(
        f"speed-up on 2 workers, steady: [bold]{steady_alone / steady_ray:.2f}x[/bold]; a trial's own work "
        f"{work:.3f} s; Ray's overhead per trial {overhead:.3f} s; Ray's start and the workers' first trials "
        f"(their imports) {cold:.1f} s, paid once a sweep"
    )
    save(
        "sweep",
        {
            "one_by_one_s": a["wall_s"],
            "ray_2_s": ray_total,
            "steady_alone_s": steady_alone,
            "steady_ray_s": steady_ray,
            "speedup_steady": steady_alone / steady_ray,
            "trial_s": work,
            "ray_overhead_per_trial_s": overhead,
            "ray_cold_s": cold,
        },
    )


if __name__ == "__main__":
    main()
