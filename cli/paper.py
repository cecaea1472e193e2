"""`aleph paper` (a scripted paper session through risk) and `aleph paper-venue` (the venue server)."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from alephtx.cli.main import app, console, data_dir, fail
from alephtx.core.model.accounting import CASH_PRECISION
from alephtx.core.model.fixed import from_fixed


def _usd(cash: int) -> str:
    return f"{float(from_fixed(cash, CASH_PRECISION)):,.4f}"


@app.command()
def paper(
    capture: Annotated[Path | None, typer.Argument(help="Capture to replay (default: the bundled sample).")] = None,
    limits: Annotated[
        Path | None, typer.Option(help="Risk limits file (default: risk.toml in the config folder, else packaged).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder for the journal and the equity picture (default: <data folder>/demo).")
    ] = None,
) -> None:
    """Trade a scripted session on the paper venue over recorded data, through risk, and report it."""
    from alephtx.core.config.resources import config_file, sample_capture
    from alephtx.core.engine.paper_session import INSTRUMENT, run_paper_session

    path = capture or sample_capture()
    limits = limits or config_file("risk.toml")
    out = out or data_dir() / "demo"
    if not path.exists():
        raise fail(f"paper: file {path} does not exist")
    if not limits.exists():
        raise fail(f"paper: risk limits file {limits} does not exist")
    out.mkdir(parents=True, exist_ok=True)
    with Progress(
        TextColumn("[bold]paper session[/bold]"),
        BarColumn(),
        TextColumn("{task.completed}s"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("session", total=80)
        report = asyncio.run(
            run_paper_session(path, limits, out / "journal.db", lambda at, tot: bar.update(task, completed=at))
        )
    steps = Table(title="Orders and actions (market time from the first book)")
    for col in ("t (s)", "who", "what", "outcome"):
        steps.add_column(col)
    for s in report.steps:
        steps.add_row(f"{s.at_s:.1f}", s.who, s.what, s.outcome if s.ok else f"[red]{s.outcome}[/red]")
    console.print(steps)
    fills = Table(title="Fills")
    for col in ("order", "side", "price", "size", "liquidity", "fee (USDT)"):
        fills.add_column(col)
    d = INSTRUMENT.price_precision + INSTRUMENT.size_precision
    for f in report.fills:
        fills.add_row(
            f.client_id,
            f.side.value,
            INSTRUMENT.format_price(f.price),
            INSTRUMENT.format_size(f.quantity),
            f.liquidity,
            from_fixed(f.fee, d),
        )
    console.print(fills)
    pnl = Table(title="PnL (USDT)", show_header=False)
    pnl.add_row("position", f"{report.position} BTC")
    pnl.add_row("realised", _usd(report.realised))
    pnl.add_row("unrealised (at the mid)", _usd(report.unrealised))
    pnl.add_row("fees", _usd(report.fees))
    pnl.add_row("equity", _usd(report.equity))
    console.print(pnl)
    refused = Counter(s.reason for s in report.steps if not s.ok)
    if refused:
        console.print("Refused, by reason: " + ", ".join(f"{k} x{v}" for k, v in sorted(refused.items())))
    picture = out / "equity.png"
    _equity_picture(report.equity_curve, picture)
    console.print(f"journal: {report.journal}; equity curve: {picture}")


def _equity_picture(curve: list[tuple[float, int]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.2), dpi=100)
    xs = [t for t, _ in curve]
    ys = [float(from_fixed(e, CASH_PRECISION)) for _, e in curve]
    ax.plot(xs, ys, color="#1f6feb")
    ax.set_xlabel("market time (s)")
    ax.set_ylabel("equity (USDT)")
    ax.set_title("Paper session equity, marked to the mid each second")
    ax.ticklabel_format(useOffset=False, axis="y")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


@app.command("paper-venue")
def paper_venue(
    port: Annotated[int, typer.Option(help="Port to listen on (127.0.0.1).")] = 8300,
    capture: Annotated[Path | None, typer.Option(help="Capture to replay (default: the bundled sample).")] = None,
    speed: Annotated[float, typer.Option(help="Replay speed; 1.0 is real time.")] = 1.0,
) -> None:
    """Serve the paper venue over HTTP on loopback, replaying a capture as its market."""
    from alephtx.emulators.paper import main as serve

    args = ["--port", str(port), "--speed", str(speed)]
    if capture:
        args += ["--capture", str(capture)]
    serve(args)
