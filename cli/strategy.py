"""`aleph strategy run`: a strategy in its own process, trading through the engine over NATS."""

from __future__ import annotations

import asyncio
import json
import signal
from typing import Annotated

import typer

from alephtx.cli.main import app, console, fail
from alephtx.core.redact import mask_url

strategy_app = typer.Typer(help="Strategies in their own processes.", no_args_is_help=True)
app.add_typer(strategy_app, name="strategy", help="Run a strategy in its own process, over NATS.")


@strategy_app.command("run")
def run(
    name: Annotated[str, typer.Argument(help="The strategy's name (its orders are tagged strategy:<name>).")],
    kind: Annotated[str, typer.Option(help="grid, trend, …, 'module:Class' or 'file.py:Class'.")],
    params: Annotated[str, typer.Option(help="Parameters as a JSON object.")] = "{}",
    nats_url: Annotated[str, typer.Option("--nats", help="The engine's NATS server.")] = "nats://127.0.0.1:4222",
    namespace: Annotated[str, typer.Option(help="The engine's subject namespace.")] = "",
    seconds: Annotated[float, typer.Option(help="Stop after this many seconds (0: until SIGTERM/Ctrl-C).")] = 0.0,
) -> None:
    """Load a strategy and trade it against the engine behind NATS until stopped."""
    from pydantic import ValidationError

    from alephtx.core.bus.nats import NatsBus
    from alephtx.core.strategies.host import StrategyError, resolve
    from alephtx.core.strategies.remote import fetch_instruments, run_remote

    try:
        cls = resolve(kind)
        p = cls.params_model.model_validate(json.loads(params))
    except (StrategyError, ValidationError, json.JSONDecodeError) as exc:
        raise fail(f"strategy run: {exc}") from None

    async def main() -> None:
        bus = await NatsBus.connect(nats_url, namespace=namespace)
        try:
            instruments = await fetch_instruments(bus)
            strategy = cls(p)
            missing = [k for k in strategy.instruments if k not in instruments]
            if missing:
                raise fail(f"strategy run: instruments {missing} are not traded by the engine")
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            if seconds:
                loop.call_later(seconds, stop.set)
            console.print(f"strategy {name} ({kind}) running over {mask_url(nats_url)}")
            ctx = await run_remote(strategy, name, bus, {k: instruments[k] for k in strategy.instruments}, stop)
            console.print(f"strategy {name} stopped: {ctx.orders_sent} orders sent, {len(ctx.rejections)} refused")
        finally:
            await bus.close()

    asyncio.run(main())
