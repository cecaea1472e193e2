"""A parameter sweep: Optuna proposes the parameters (a grid, or TPE), each trial is a backtest
(``core/research/backtest.py``), run on Ray workers (a local Ray instance by default, a cluster
by address) or one by one in this process; the trials and the best one are kept in the sweep's
own run folder (docs/research.md).

Trials are asked of Optuna in batches of as many as there are workers and told back in the order
they were asked, so a sweep gives the same trials and results whichever way its trials ran (the
test runs 8 trials on 2 workers and one by one). Each trial rebuilds its data from a description
(dataset and catalog URL, or a capture path): a worker elsewhere reads the same catalog (an
object-store URL reaches a shared one).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import math
import os
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import polars as pl

from alephtx.core.errors import FieldError
from alephtx.core.research.backtest import BacktestSpec
from alephtx.core.research.runs import new_folder

MINIMISE = {"max_drawdown", "max_drawdown_pct", "max_drawdown_duration_s", "fees"}
_RANGE = re.compile(r"^(-?[0-9.]+)\.\.(-?[0-9.]+)(?::([0-9.]+))?$")


@dataclass(frozen=True)
class Dimension:
    name: str
    values: tuple[Any, ...]  # every value the grid tries (and TPE chooses among)


def parse_space(text: str) -> list[Dimension]:
    """``'spacing_ticks=10..80:10, levels=2..5, side=buy|sell'``: ranges (inclusive, with a step,
    1 by default; ints stay ints) and choices. Every mistake names the dimension."""
    out: list[Dimension] = []
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        name, sep, spec = part.partition("=")
        name, spec = name.strip(), spec.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise FieldError("space", part, "each dimension is name=lo..hi[:step] or name=a|b|c")
        m = _RANGE.match(spec)
        if m:
            lo, hi, step = m.group(1), m.group(2), m.group(3) or "1"
            is_int = all("." not in x for x in (lo, hi, step))
            a, b, s = (int(x) if is_int else float(x) for x in (lo, hi, step))
            if s <= 0 or b < a:
                raise FieldError("space", part, f"{name}: lo..hi with lo <= hi and a positive step")
            n = math.floor((b - a) / s + 1e-9) + 1
            if n > 10_000:
                raise FieldError("space", part, f"{name}: {n:,} values; at most 10,000 a dimension")
            values: tuple[Any, ...] = tuple(a + i * s if is_int else round(a + i * s, 12) for i in range(n))
        else:
            values = tuple(_scalar(v.strip()) for v in spec.split("|") if v.strip())
            if not values:
                raise FieldError("space", part, f"{name}: no value")
        if any(d.name == name for d in out):
            raise FieldError("space", part, f"{name} is given twice")
        out.append(Dimension(name, values))
    if not out:
        raise FieldError("space", text, "at least one dimension, e.g. 'levels=2..5'")
    return out


def _scalar(text: str) -> Any:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            continue
    return text


@dataclass(frozen=True)
class Data:
    """Where a trial's market comes from, as text a worker elsewhere can rebuild it from."""

    dataset: str = ""
    catalog: str = ""
    start: str = ""
    end: str = ""
    capture: str = ""


@dataclass
class SweepResult:
    folder: Path
    trials: list[dict[str, Any]]
    best: dict[str, Any]
    summary: dict[str, Any] = field(default_factory=dict)


def trial(
    spec: BacktestSpec, data: Data, instrument: dict[str, str], risk: str, runs: str, params: dict[str, Any]
) -> dict[str, Any]:
    """One backtest, in whatever process runs it: its metrics and its run folder."""
    from alephtx.core.data.catalog import Catalog
    from alephtx.core.data.source import MarketSource
    from alephtx.core.model import Instrument
    from alephtx.core.research.backtest import run_backtest
    from alephtx.core.risk import load_limits

    if data.dataset:
        source = MarketSource.of_dataset(Catalog(data.catalog), data.dataset, data.start, data.end)
    else:
        source = MarketSource.of_capture(data.capture)
    inst = Instrument.from_strings(
        instrument["venue"], instrument["symbol"], "perp", instrument["tick_size"], instrument["lot_size"]
    )
    t0 = time.perf_counter()
    run = asyncio.run(
        run_backtest(
            replace(spec, params={**spec.params, **params}), source, inst, load_limits(risk), Path(runs), html=False
        )
    )
    return {"metrics": run.report["metrics"], "run": run.folder.name, "seconds": time.perf_counter() - t0}


def sweep(
    spec: BacktestSpec,
    data: Data,
    instrument: dict[str, str],
    risk: Path,
    runs: Path,
    space: list[Dimension],
    objective: str,
    sampler: str = "grid",
    trials: int | None = None,
    workers: int = 2,
    ray_address: str = "",
    seed: int = 7,
    on_trial: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Search ``space`` for the best ``objective`` (a metric of the report); ``workers`` > 1 or a
    ``ray_address`` runs the trials on Ray, 1 runs them here one by one."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    grid = {d.name: list(d.values) for d in space}
    combos = math.prod(len(v) for v in grid.values())
    # The grid in its own order (Optuna's GridSampler stops its study from inside, which only
    # optimize() allows: with ask and tell, the grid is enumerated here); TPE asks Optuna.
    order: list[dict[str, Any]] = []
    if sampler == "grid":
        total = min(trials or combos, combos)
        order = [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())][:total]
    elif sampler == "tpe":
        total = trials or 20
    else:
        raise FieldError("sampler", sampler, "grid or tpe")
    direction: Literal["minimize", "maximize"] = "minimize" if objective in MINIMISE else "maximize"
    study = optuna.create_study(direction=direction, sampler=optuna.samplers.TPESampler(seed=seed))
    folder = new_folder(runs, f"sweep-{Path(spec.strategy).stem.split(':')[-1]}")
    trial_runs = folder / "trials"
    remote = None
    if workers > 1 or ray_address:
        remote = _ray(workers, ray_address)
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    try:
        while len(rows) < total:
            # A grid is known ahead: every point goes to the workers at once (Ray keeps each
            # worker busy, no batch waits for its slowest trial). TPE proposes from what it has
            # been told: a batch of as many trials as there are workers at a time.
            size = (total - len(rows)) if order else min(max(workers, 1), total - len(rows))
            asked: list[Any]
            if order:  # the grid's next points; Optuna is not asked
                chosen_params = order[len(rows) : len(rows) + size]
                asked = [None] * len(chosen_params)
            else:
                asked = [study.ask() for _ in range(size)]
                chosen_params = [{d.name: t.suggest_categorical(d.name, list(d.values)) for d in space} for t in asked]
            args = (spec, data, instrument, str(risk), str(trial_runs))
            results = _run_all(remote, args, chosen_params, functools.partial(_progress, on_trial, len(rows), total))
            for t, p, r in zip(asked, chosen_params, results, strict=True):
                value = r["metrics"].get(objective)
                score = float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None
                if t is not None:  # TPE learns from every result, a missing one as the worst
                    study.tell(t, score if score is not None else (math.inf if direction == "minimize" else -math.inf))
                rows.append(
                    {
                        "trial": len(rows),
                        **p,
                        objective: score,
                        "net_pnl": r["metrics"]["net_pnl"],
                        "sharpe": r["metrics"]["sharpe"],
                        "max_drawdown": r["metrics"]["max_drawdown"],
                        "fills": r["metrics"]["fills"],
                        "run": r["run"],
                        "seconds": round(r["seconds"], 3),
                    }
                )
    finally:
        if remote is not None:
            import ray

            if not ray_address:
                ray.shutdown()
    wall = time.perf_counter() - t0
    scored = [r for r in rows if r[objective] is not None]
    pick = min if direction == "minimize" else max
    best = pick(scored, key=lambda r: r[objective]) if scored else {}
    frame = pl.DataFrame(rows)
    frame.write_parquet(folder / "trials.parquet")
    summary = {
        "sweep": folder.name,
        "strategy": {"kind": spec.strategy, "params": spec.params},
        "space": {d.name: list(d.values) for d in space},
        "objective": objective,
        "direction": direction,
        "sampler": sampler,
        "seed": seed,
        "trials": len(rows),
        "workers": workers,
        "ray_address": ray_address,
        "data": asdict(data),
        "models": asdict(spec.models),
        "best": best,
        "wall_s": round(wall, 3),
        "trial_seconds_sum": round(sum(r["seconds"] for r in rows), 3),
    }
    (folder / "sweep.json").write_text(json.dumps(summary, indent=1, sort_keys=True, default=str))
    _html(folder / "sweep.html", frame, space, objective, summary)
    return SweepResult(folder, rows, best, summary)


def _progress(on_trial: Callable[[int, int], None] | None, base: int, total: int, n: int) -> None:
    if on_trial is not None:
        on_trial(base + n, total)


def _run_all(
    remote: Any,
    args: tuple[BacktestSpec, Data, dict[str, str], str, str],
    points: list[dict[str, Any]],
    done: Callable[[int], Any],
) -> list[Any]:
    """Each point's trial, in the points' order; ``done(n)`` as each result comes back."""
    if remote is None:
        out = []
        for p in points:
            out.append(trial(*args, p))
            done(len(out))
        return out
    import ray

    refs = [remote.remote(*args, p) for p in points]
    pending = list(refs)
    while pending:
        _, pending = ray.wait(pending, num_returns=1)
        done(len(refs) - len(pending))
    return list(ray.get(refs))


def _ray(workers: int, address: str) -> Any:
    """The trial as a Ray task: a local Ray of ``workers`` CPUs, or the cluster at ``address``."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # nothing leaves the machine
    import ray

    if address:
        ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
    else:
        ray.init(
            num_cpus=workers,
            include_dashboard=False,
            log_to_driver=False,
            ignore_reinit_error=True,
            object_store_memory=128 * 1024 * 1024,
            # One polars thread a worker: the workers are the parallelism, and polars' idle
            # threads spinning beside another worker's trial cost more than they bring.
            runtime_env={"env_vars": {"POLARS_MAX_THREADS": "1", "RAY_USAGE_STATS_ENABLED": "0"}},
        )
    return ray.remote(num_cpus=1)(trial)


def _html(path: Path, frame: pl.DataFrame, space: list[Dimension], objective: str, summary: dict[str, Any]) -> None:
    """A heatmap of the objective for two parameters, parallel coordinates for more (or one)."""
    import html

    import plotly.graph_objects as go

    names = [d.name for d in space]
    scores = [v if v is not None else float("nan") for v in frame[objective].to_list()]
    if len(names) == 2:
        xs, ys = list(space[0].values), list(space[1].values)
        z = [[float("nan")] * len(xs) for _ in ys]
        for r, s in zip(frame.iter_rows(named=True), scores, strict=True):
            z[ys.index(r[names[1]])][xs.index(r[names[0]])] = s
        fig = go.Figure(go.Heatmap(x=[str(x) for x in xs], y=[str(y) for y in ys], z=z, colorbar={"title": objective}))
        fig.update_layout(xaxis_title=names[0], yaxis_title=names[1])
    else:
        dims = [
            {
                "label": n,
                "values": [
                    float(v) if isinstance(v, (int, float)) else float(space[i].values.index(v))
                    for v in frame[n].to_list()
                ],
            }
            for i, n in enumerate(names)
        ]
        dims.append({"label": objective, "values": scores})
        fig = go.Figure(go.Parcoords(line={"color": scores}, dimensions=dims))
    fig.update_layout(title=f"{objective} over {', '.join(names)}", height=600)
    best = html.escape(json.dumps(summary["best"], default=str))
    path.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(summary['sweep'])}</title></head>"
        f"<body style='font-family:sans-serif'><h1>Sweep {html.escape(summary['sweep'])}</h1>"
        f"<p>{summary['trials']} trials, {html.escape(summary['sampler'])}, {summary['workers']} worker(s), "
        f"{summary['wall_s']} s; best: <code>{best}</code></p>"
        + fig.to_html(full_html=False, include_plotlyjs=True)
        + "</body></html>"
    )


def walk_forward(
    spec: BacktestSpec,
    data: Data,
    instrument: dict[str, str],
    risk: Path,
    runs: Path,
    space: list[Dimension],
    objective: str,
    windows: int,
    span_ns: tuple[int, int],
    **search: Any,
) -> SweepResult:
    """Walk-forward: the range ``span_ns`` cut into ``windows + 1`` equal windows; on each of the
    first ``windows`` the sweep finds the best parameters (in sample), and those run once on the
    next window (out of sample). Every window starts from the book as it stood (docs/data.md)."""
    import datetime as dt

    if windows < 1:
        raise FieldError("walk_forward", windows, "at least 1 (two windows: one to fit, one to test)")
    lo, hi = span_ns
    step = (hi - lo) // (windows + 1)
    if step <= 0:
        raise FieldError("walk_forward", windows, "more windows than the data has nanoseconds")

    def iso(ns: int) -> str:
        return dt.datetime.fromtimestamp(ns / 1e9, tz=dt.UTC).isoformat()

    edges = [lo + i * step for i in range(windows + 1)] + [hi]
    folder = new_folder(runs, f"walkforward-{Path(spec.strategy).stem.split(':')[-1]}")
    rows: list[dict[str, Any]] = []
    names = [d.name for d in space]
    direction = "minimize" if objective in MINIMISE else "maximize"
    for i in range(windows):
        fit = replace(data, start=iso(edges[i]), end=iso(edges[i + 1]))
        test = replace(data, start=iso(edges[i + 1]), end=iso(edges[i + 2]))
        found = sweep(spec, fit, instrument, risk, folder / "windows", space, objective, **search)
        best = {n: found.best[n] for n in names} if found.best else {}
        row: dict[str, Any] = {
            "window": i,
            "fit_from": fit.start,
            "fit_to": fit.end,
            "test_from": test.start,
            "test_to": test.end,
            **best,
            f"in_sample_{objective}": found.best.get(objective),
        }
        if best:
            out = trial(spec, test, instrument, str(risk), str(folder / "tests"), best)
            value = out["metrics"].get(objective)
            row[f"out_of_sample_{objective}"] = value
            row["out_of_sample_net_pnl"] = out["metrics"]["net_pnl"]
            row["out_of_sample_run"] = out["run"]
        rows.append(row)
    pl.DataFrame(rows).write_parquet(folder / "walk_forward.parquet")
    summary = {
        "walk_forward": folder.name,
        "windows": windows,
        "objective": objective,
        "direction": direction,
        "strategy": {"kind": spec.strategy, "params": spec.params},
        "space": {d.name: list(d.values) for d in space},
        "data": asdict(data),
        "models": asdict(spec.models),
        "rows": rows,
    }
    (folder / "walk_forward.json").write_text(json.dumps(summary, indent=1, sort_keys=True, default=str))
    return SweepResult(folder, rows, rows[-1] if rows else {}, summary)
