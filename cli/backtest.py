"""`aleph backtest` and `aleph runs`: a strategy over recorded data into a run folder of its own,
and the runs kept (docs/research.md)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table

from alephtx.cli.main import (
    DatasetCatalogOpt,
    FromOpt,
    ToOpt,
    _config,
    app,
    capture_instrument,
    console,
    data_dir,
    errors,
    fail,
    is_dataset_name,
    market_source,
    stdout_for_json_only,
)

# The paper venue's models, shared by backtest and sweep (core/venues/paper/models.py).
LatencyOpt = Annotated[
    str,
    typer.Option(help="Order to venue: milliseconds of market time, or 'data' (the recorded feed's delay), 'data*K'."),
]
MakerOpt = Annotated[
    str | None, typer.Option(help="Maker fee, basis points, fractions allowed (negative: a rebate). Default 2.")
]
TakerOpt = Annotated[str | None, typer.Option(help="Taker fee, basis points, fractions allowed. Default 5.")]
FeeTierOpt = Annotated[
    str,
    typer.Option(
        help="A venue's published fees instead: VENUE:TIER, e.g. binance-usdm:vip1 (an unknown one lists them)."
    ),
]
FillsOpt = Annotated[
    str, typer.Option(help="partial (as far as the traded size allows) or whole (a reached order fills whole).")
]
QueueOpt = Annotated[
    str,
    typer.Option(help="Queue model: fifo (risk-averse), power:N or log (probabilistic, hftbacktest's)."),
]

runs_app = typer.Typer(help="The backtests kept: list, show, compare.", no_args_is_help=True)
app.add_typer(runs_app, name="runs", help="The backtests kept under the data folder (ls, show, compare).")


def runs_dir() -> Path:
    return data_dir() / "runs"


@app.command()
def backtest(
    strategy: Annotated[str, typer.Option(help="A built-in kind (grid, trend, ...), module:Class or file.py:Class.")],
    data: Annotated[
        str | None,
        typer.Option(help="A catalog dataset (venue/market/symbol) or a capture file (default: the sample)."),
    ] = None,
    params: Annotated[str, typer.Option(help="The strategy's parameters, a JSON object.")] = "{}",
    catalog: DatasetCatalogOpt = None,
    start: FromOpt = "",
    end: ToOpt = "",
    latency: LatencyOpt = "1",
    maker_bps: MakerOpt = None,
    taker_bps: TakerOpt = None,
    fee_tier: FeeTierOpt = "",
    queue: QueueOpt = "fifo",
    fills: FillsOpt = "partial",
    capital: Annotated[int, typer.Option(help="The paper venue's cash, quote units.", min=1)] = 100_000,
    max_position: Annotated[
        str, typer.Option(help="Position limit, base units, when the risk file has none for the instrument.")
    ] = "1",
    timer_ms: Annotated[int, typer.Option(help="The strategy's timer and the equity samples.", min=10)] = 1000,
    risk: Annotated[
        Path | None, typer.Option(help="Risk limits (default: risk.toml in the config folder, else packaged).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Backtest a strategy over recorded data through the engine, the risk engine and the paper
    venue; write its run folder (report.html, report.json, metrics.json, trades/orders/equity
    Parquet) under runs/ in the data folder."""
    from alephtx.core.config.resources import config_file
    from alephtx.core.data.catalog import CatalogError
    from alephtx.core.errors import FieldError
    from alephtx.core.research.backtest import BacktestSpec, run_backtest
    from alephtx.core.risk import load_limits
    from alephtx.core.strategies import StrategyError

    try:
        chosen = json.loads(params)
    except ValueError as exc:
        raise fail(f"backtest: params: not JSON ({exc})") from None
    if not isinstance(chosen, dict):
        raise fail("backtest: params: a JSON object of the strategy's parameters, e.g. '{\"levels\": 3}'")
    source, inst = _market(data, catalog, start, end, "backtest")
    risk = risk or config_file("risk.toml")
    if not risk.exists():
        raise fail(f"backtest: risk limits file {risk} does not exist")
    spec = BacktestSpec(
        strategy,
        chosen,
        _models("backtest", inst, latency, maker_bps, taker_bps, fee_tier, queue, fills),
        capital=capital,
        max_position=max_position,
        timer_ms=timer_ms,
    )

    async def main() -> Any:
        with Progress(
            TextColumn(f"[bold]backtest[/bold] {strategy} on {source.name}"),
            BarColumn(),
            TaskProgressColumn(),
            console=errors,
            transient=True,
            disable=json_out,
        ) as bar:
            task = bar.add_task("backtest", total=1)
            return await run_backtest(
                spec, source, inst, load_limits(risk), runs_dir(), lambda d, t: bar.update(task, completed=d, total=t)
            )

    try:
        run = asyncio.run(main())
    except (FieldError, StrategyError, CatalogError) as exc:
        raise fail(f"backtest: {exc}") from None
    report = run.report
    if report["strategy"]["error"]:
        errors.print(f"[red]backtest: the strategy stopped: {report['strategy']['error']}[/red]")
    if json_out:
        print(json.dumps(report | {"folder": str(run.folder)}))
        return
    _metrics_table(f"Backtest {report['run']}: {strategy} on {report['data']['source']}", [report])
    console.print(f"report: {run.folder / 'report.html'}")


def _models(
    command: str, inst: Any, latency: str, maker: str | None, taker: str | None, tier: str, queue: str, fills: str
) -> Any:
    """The paper venue's models as typed, checked now (one line naming the option if wrong)."""
    from alephtx.core.errors import FieldError
    from alephtx.core.research.backtest import Models

    if tier and (maker is not None or taker is not None):
        raise fail(f"{command}: --fee-tier gives both fees: leave out --maker-bps and --taker-bps")
    models = Models(
        latency, maker if maker is not None else "2", taker if taker is not None else "5", tier, queue, fills
    )
    try:
        models.feed(inst)
    except FieldError as exc:
        raise fail(f"{command}: {exc}") from None
    return models


def _market(data: str | None, catalog: str | None, start: str, end: str, command: str) -> tuple[Any, Any]:
    """The market a backtest or a sweep reads: a catalog dataset, or a capture (default: the
    sample), and its instrument keyed as the data names it."""
    from alephtx.core.config.resources import sample_capture
    from alephtx.core.data.source import MarketSource
    from alephtx.core.model import Instrument
    from alephtx.core.replay.captures import capture_venue

    if data and is_dataset_name(data):
        source = market_source(data, catalog, start, end, command)
        ds = source.info()
        return source, Instrument.from_strings(ds.venue, ds.symbol, "perp", ds.tick_size, ds.lot_size)
    if catalog or start or end:
        raise fail(
            f"{command}: --catalog, --from and --to read a dataset (venue/market/symbol); a capture is read whole"
        )
    path = Path(data) if data else sample_capture()
    if not path.is_file():
        raise fail(f"{command}: data={str(path)!r}: neither a file nor a dataset (venue/market/symbol) of the catalog")
    inst, _ = capture_instrument(_config(None).replay, path, None, None, None, command)
    venue = capture_venue(path) or inst.venue  # the data's venue names the instrument
    inst = Instrument.from_strings(venue, inst.symbol, "perp", inst.tick_size, inst.lot_size, rules=inst.rules)
    return MarketSource.of_capture(path), inst


def _metrics_table(title: str, reports: list[dict[str, Any]], names: list[str] | None = None) -> None:
    from alephtx.core.research.report_html import LABELS, _cell

    t = Table(title=title)
    t.add_column("figure")
    for name in names or [""]:
        t.add_column(name or "value", justify="right")
    for key in reports[0]["metrics"]:
        t.add_row(LABELS.get(key, (key, ""))[0], *[_cell(key, r["metrics"].get(key)) for r in reports])
    console.print(t)


@runs_app.command("ls")
def runs_ls(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every backtest kept, oldest first, with its headline figures."""
    from alephtx.core.research.runs import listing

    rows = listing(runs_dir())
    if json_out:
        print(json.dumps(rows))
        return
    if not rows:
        console.print(f"no run in {runs_dir()} (aleph backtest ...)")
        return
    t = Table(title=f"Runs in {runs_dir()}")
    for col in ("run", "strategy", "data", "net PnL", "Sharpe", "max drawdown", "fills"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(
            r["run"],
            r["strategy"],
            r["data"],
            _cell_or("{:,.2f}", r["net_pnl"]),
            _cell_or("{:.2f}", r["sharpe"]),
            _cell_or("{:,.2f}", r["max_drawdown"]),
            str(r["fills"]),
        )
    console.print(t)


def _cell_or(fmt: str, v: Any) -> str:
    return "n/a" if v is None else fmt.format(v)


@runs_app.command("show")
def runs_show(
    run: Annotated[str, typer.Argument(help="The run's folder name (or a unique start of it).")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One run: its figures, its set-up and where its files are."""
    from alephtx.core.research.runs import RunError, load

    try:
        report = load(runs_dir(), run)
    except RunError as exc:
        raise fail(f"runs: {exc}") from None
    if json_out:
        print(json.dumps(report))
        return
    if "sweep" in report:  # a sweep: its set-up and its best trial
        console.print(
            f"sweep {report['sweep']}: {report['strategy']['kind']}, {report['trials']} trials, "
            f"{report['sampler']}, {report['objective']} ({report['direction']})"
        )
        console.print(f"space: {json.dumps(report['space'])}")
        console.print(f"best: {json.dumps(report['best'])}")
        console.print(f"files: {report['folder']} (sweep.html, trials.parquet, trials/)")
        return
    if report.get("kind") == "research":  # a research run: its report as written
        from rich.markdown import Markdown

        console.print(Markdown((Path(report["folder"]) / "report.md").read_text()))
        console.print(f"files: {report['folder']} (report.md, research.json)")
        return
    _metrics_table(f"Run {report['run']}: {report['strategy']['kind']} on {report['data']['source']}", [report])
    console.print(f"parameters: {json.dumps(report['strategy']['params'])}")
    console.print(f"models: {json.dumps(report['models'])}")
    console.print(f"files: {report['folder']} (report.html, trades.parquet, orders.parquet, equity.parquet)")


@runs_app.command("compare")
def runs_compare(
    a: Annotated[str, typer.Argument(help="A run.")],
    b: Annotated[str, typer.Argument(help="Another run.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Two runs side by side: their figures, then what differs in their set-up."""
    from alephtx.core.research.runs import RunError, compare, load

    try:
        ra, rb = load(runs_dir(), a), load(runs_dir(), b)
        rows = compare(ra, rb)
    except RunError as exc:
        raise fail(f"runs: {exc}") from None
    if json_out:
        print(json.dumps([{"field": k, "a": x, "b": y} for k, x, y in rows]))
        return
    _metrics_table(f"{ra['run']} against {rb['run']}", [ra, rb], [ra["run"], rb["run"]])
    differs = [r for r in rows if "." in r[0]]
    for k, x, y in differs:
        console.print(f"{k}: {json.dumps(x)} -> {json.dumps(y)}")
    if not differs:
        console.print("the same set-up")


@app.command()
def sweep(
    strategy: Annotated[str, typer.Option(help="A built-in kind, module:Class or file.py:Class.")],
    space: Annotated[
        str, typer.Option(help="What to search: 'spacing_ticks=10..80:10, levels=2..5' (ranges lo..hi:step, a|b|c).")
    ],
    objective: Annotated[
        str,
        typer.Option(help="The metric to optimise (sharpe, net_pnl, sortino, ...; drawdowns and fees are minimised)."),
    ] = "sharpe",
    data: Annotated[str | None, typer.Option(help="A catalog dataset or a capture file (default: the sample).")] = None,
    params: Annotated[str, typer.Option(help="Fixed parameters of every trial, a JSON object.")] = "{}",
    sampler: Annotated[str, typer.Option(help="grid (every combination) or tpe (Optuna's TPE).")] = "grid",
    trials: Annotated[
        int | None, typer.Option(help="How many trials (grid: at most every combination; tpe: 20).", min=1)
    ] = None,
    workers: Annotated[
        int, typer.Option(help="Ray workers on this machine (1: the trials one by one, no Ray).", min=1)
    ] = 2,
    ray_address: Annotated[str, typer.Option(help="A Ray cluster to run the trials on (its address).")] = "",
    seed: Annotated[int, typer.Option(help="The sampler's seed (the same seed, the same trials).")] = 7,
    walk_forward: Annotated[
        int | None,
        typer.Option(help="Walk-forward over a dataset: fit on each of K windows, test on the next.", min=1),
    ] = None,
    catalog: DatasetCatalogOpt = None,
    start: FromOpt = "",
    end: ToOpt = "",
    risk: Annotated[
        Path | None, typer.Option(help="Risk limits (default: risk.toml in the config folder, else packaged).")
    ] = None,
    latency: LatencyOpt = "1",
    maker_bps: MakerOpt = None,
    taker_bps: TakerOpt = None,
    fee_tier: FeeTierOpt = "",
    queue: QueueOpt = "fifo",
    fills: FillsOpt = "partial",
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Search a strategy's parameters: Optuna proposes, each trial is a backtest run on Ray
    workers; the trials (Parquet), the best and a heatmap or parallel coordinates (HTML) go to
    the sweep's own folder under runs/ (docs/research.md)."""
    from rich.progress import MofNCompleteColumn

    from alephtx.core.config.resources import config_file
    from alephtx.core.data.catalog import CatalogError
    from alephtx.core.errors import FieldError
    from alephtx.core.research.backtest import BacktestSpec
    from alephtx.core.research.metrics import Metrics
    from alephtx.core.research.sweep import Data, parse_space
    from alephtx.core.research.sweep import sweep as run_sweep
    from alephtx.core.research.sweep import walk_forward as run_walk_forward
    from alephtx.core.strategies import StrategyError

    if objective not in Metrics.__dataclass_fields__ or objective == "end_positions":
        known = ", ".join(k for k in Metrics.__dataclass_fields__ if k != "end_positions")
        raise fail(f"sweep: objective={objective!r}: one of {known}")
    if sampler not in ("grid", "tpe"):
        raise fail(f"sweep: sampler={sampler!r}: grid or tpe")
    try:
        dims = parse_space(space)
        fixed = json.loads(params)
    except FieldError as exc:
        raise fail(f"sweep: {exc}") from None
    except ValueError as exc:
        raise fail(f"sweep: params: not JSON ({exc})") from None
    if not isinstance(fixed, dict):
        raise fail("sweep: params: a JSON object of the strategy's parameters")
    source, inst = _market(data, catalog, start, end, "sweep")
    emit = stdout_for_json_only() if json_out else print
    where = Data(
        dataset=source.dataset,
        catalog=source.catalog.url if source.catalog else "",
        start=start,
        end=end,
        capture=str(source.capture) if source.capture else "",
    )
    risk = risk or config_file("risk.toml")
    if not risk.exists():
        raise fail(f"sweep: risk limits file {risk} does not exist")
    described = {"venue": inst.venue, "symbol": inst.symbol, "tick_size": inst.tick_size, "lot_size": inst.lot_size}
    models = _models("sweep", inst, latency, maker_bps, taker_bps, fee_tier, queue, fills)
    study = (
        BacktestSpec(strategy, fixed, models),
        where,
        described,
        risk,
        runs_dir(),
        dims,
        objective,
    )  # both searches'
    if walk_forward is not None:
        if source.is_capture:
            raise fail("sweep: --walk-forward cuts a dataset's range into windows: name a dataset with --data")
        lo, hi = source.info().coverage_ns
        span = (
            source.start_ns if source.start_ns is not None else lo,
            source.end_ns if source.end_ns is not None else hi + 1,
        )
        try:
            wf = run_walk_forward(
                *study,
                walk_forward,
                span,
                sampler=sampler,
                trials=trials,
                workers=workers,
                ray_address=ray_address,
                seed=seed,
            )
        except (FieldError, StrategyError, CatalogError) as exc:
            raise fail(f"sweep: {exc}") from None
        if json_out:
            emit(json.dumps(wf.summary | {"folder": str(wf.folder)}, default=str))
            return
        t = Table(title=f"Walk-forward {wf.folder.name}: {objective} ({wf.summary['direction']})")
        for col in ("window", "fit", "test", "best", "in sample", "out of sample"):
            t.add_column(col)
        names = [d.name for d in dims]
        for r in wf.trials:
            t.add_row(
                str(r["window"]),
                f"{r['fit_from']} .. {r['fit_to']}",
                f"{r['test_from']} .. {r['test_to']}",
                json.dumps({n: r.get(n) for n in names}),
                str(r.get(f"in_sample_{objective}")),
                str(r.get(f"out_of_sample_{objective}")),
            )
        console.print(t)
        console.print(f"files: {wf.folder} (walk_forward.parquet, walk_forward.json, windows/, tests/)")
        return
    with Progress(
        TextColumn(f"[bold]sweep[/bold] {strategy} on {source.name}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=errors,
        transient=True,
        disable=json_out,
    ) as bar:
        task = bar.add_task("", total=None)

        def on_trial(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            result = run_sweep(
                *study,
                sampler,
                trials,
                workers,
                ray_address,
                seed,
                on_trial,
            )
        except (FieldError, StrategyError, CatalogError) as exc:
            raise fail(f"sweep: {exc}") from None
    if json_out:
        emit(json.dumps(result.summary | {"folder": str(result.folder)}, default=str))
        return
    t = Table(title=f"Sweep {result.folder.name}: {objective} ({result.summary['direction']})")
    names = [d.name for d in dims]
    for col in (*names, objective, "net PnL", "fills"):
        t.add_column(col, justify="right")
    for r in result.trials:
        t.add_row(
            *[str(r[n]) for n in names],
            _cell_or("{:.4f}", r[objective]),
            _cell_or("{:,.2f}", r["net_pnl"]),
            str(r["fills"]),
        )
    console.print(t)
    console.print(
        f"best: {json.dumps({n: result.best.get(n) for n in names})} -> {objective} {result.best.get(objective)}"
    )
    console.print(f"{result.summary['trials']} trials in {result.summary['wall_s']} s; {result.folder / 'sweep.html'}")
