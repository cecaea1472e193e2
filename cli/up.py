"""`aleph up`: a one-shot session over the replay to its end (or for ``--seconds`` on a venue's
live book), then the session report. What stays up and serves (gRPC, metrics) is `aleph node`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table

from alephtx.cli.main import DatasetCatalogOpt, FromOpt, ToOpt, app, console, data_dir, errors, fail, market_source
from alephtx.core.config import ConfigError
from alephtx.core.errors import FieldError


@app.command()
def up(
    config: Annotated[
        Path | None,
        typer.Option(
            help="Venues and strategies to run (default: strategies.toml in the config folder, else packaged)."
        ),
    ] = None,
    risk: Annotated[
        Path | None, typer.Option(help="Risk limits (default: risk.toml in the config folder, else packaged).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for the journal, the picture and the HTML report (default: <data folder>/up)."),
    ] = None,
    capture: Annotated[
        Path | None, typer.Option(help="Capture to replay (default: the config's, else the sample).")
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(help="A catalog dataset to replay instead of a capture (venue/market/symbol; `aleph data ls`)."),
    ] = None,
    catalog: DatasetCatalogOpt = None,
    start: FromOpt = "",
    end: ToOpt = "",
    live: Annotated[
        str | None,
        typer.Option(help="Paper-trade on this venue's live book when reachable (else replay, saying so)."),
    ] = None,
    live_rest: Annotated[
        str | None, typer.Option(help="Override the live venue's REST URL (e.g. an emulator).")
    ] = None,
    live_ws: Annotated[str | None, typer.Option(help="Override the live venue's WebSocket URL.")] = None,
    seconds: Annotated[float, typer.Option(help="How long a live session runs.", min=0.1)] = 60.0,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Run the engine with its paper venues and strategies over the replay, then report. For an
    engine that keeps running and serves, see `aleph node`."""
    from alephtx.core.config.resources import config_file
    from alephtx.core.config.session import load_session_config
    from alephtx.core.engine.report import rows, summary, usd
    from alephtx.core.engine.up import up as run_up

    config = config or config_file("strategies.toml")
    risk = risk or config_file("risk.toml")
    out = out or data_dir() / "up"
    try:
        cfg = load_session_config(config)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    if not risk.exists():
        raise fail(f"up: risk limits file {risk} does not exist")

    notes: list[str] = []
    source: Any = capture
    if data:
        if capture:
            raise fail("up: --capture and --data both name the market; keep one")
        source = market_source(data, catalog, start, end, "up")
    elif catalog or start or end:
        raise fail("up: --catalog, --from and --to read a dataset; name it with --data")

    if (live_rest or live_ws) and not live:
        raise fail("up: --live-rest and --live-ws override the endpoints of --live VENUE, which is missing")
    urls = (live_rest or "", live_ws or "") if (live_rest or live_ws) else None

    async def main() -> Any:
        with Progress(
            TextColumn("[bold]aleph up[/bold]"),
            BarColumn(),
            TaskProgressColumn(),
            console=console,
            transient=True,
            disable=json_out,
        ) as bar:
            task = bar.add_task("replay", total=1)
            result, _ = await run_up(
                cfg,
                risk,
                out,
                capture=source,
                on_progress=lambda done, total: bar.update(task, completed=done, total=total),
                live=live,
                live_urls=urls,
                seconds=seconds,
                notes=notes,
            )
        return result

    try:
        result = asyncio.run(main())
    except ConfigError as exc:
        raise fail(str(exc)) from None
    except FieldError as exc:
        raise fail(f"up: {exc}") from None
    for note in notes:
        (errors if json_out else console).print(f"[yellow]{note}[/yellow]")
    if json_out:
        print(json.dumps(summary(result) | {"notes": notes}))
        return
    t = Table(
        title=f"Session: {result.events:,} events, {result.market_seconds:.0f} s of market in {result.seconds:.2f} s"
    )
    for col in ("strategy", "status", "orders", "fills", "fees", "PnL", "max drawdown"):
        t.add_column(col, justify="left" if col in ("strategy", "status") else "right")
    for r in rows(result):
        t.add_row(
            r.strategy,
            r.status,
            str(r.orders),
            str(r.fills),
            usd(r.fees),
            f"[{'red' if r.pnl < 0 else 'green'}]{usd(r.pnl)}[/]",
            usd(r.drawdown),
        )
    console.print(t)
    ref = summary(result)["refusals"]
    console.print("Risk refusals by reason: " + (", ".join(f"{k} x{v}" for k, v in sorted(ref.items())) or "none"))
    console.print(f"report: {out / 'report.html'}; equity: {out / 'equity.png'}; journal: {result.journal}")
