"""`aleph node`: one engine that runs until stopped, and the servers every surface attaches to."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Annotated, Any

import typer

from alephtx.cli.main import _config, app, console, data_dir, errors, fail
from alephtx.core.config import ConfigError
from alephtx.core.errors import FieldError
from alephtx.core.redact import redact


@app.command()
def node(
    config_path: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="node.toml (default: the one `aleph init` wrote, else the packaged one)."),
    ] = None,
    grpc_port: Annotated[
        int | None, typer.Option(help="gRPC port (default: the config's, 50051; 0: a free one).", min=0, max=65535)
    ] = None,
    host: Annotated[
        str | None, typer.Option(help="Address to serve on (default 127.0.0.1; beyond it a token is required).")
    ] = None,
    metrics_port: Annotated[
        int | None, typer.Option(help="Prometheus /metrics port (default: the config's; -1: off).", min=-1, max=65535)
    ] = None,
    mcp_port: Annotated[
        int | None,
        typer.Option(help="MCP over HTTP, needs ALEPH_MCP_TOKEN (default: the config's; -1: off).", min=-1, max=65535),
    ] = None,
) -> None:
    """Run the node until SIGINT/SIGTERM: paper venues on the wall clock, the strategies, the risk
    engine and the journal in the data folder; gRPC for `aleph status`, `aleph mcp --node` and
    the other surfaces. A second Ctrl-C exits at once (the journal stays consistent)."""
    from alephtx.core.config.resources import config_file
    from alephtx.core.journal import JournalError
    from alephtx.core.node.config import load_node_config
    from alephtx.core.node.runtime import Node, NodeError

    try:
        cfg = load_node_config(config_path or config_file("node.toml"))
    except ConfigError as exc:
        raise fail(str(exc)) from None
    aleph = _config(None)
    serve = cfg.serve
    where = host or serve.host
    metrics_port = serve.metrics_port if metrics_port is None else metrics_port
    mcp_port = serve.mcp_port if mcp_port is None else mcp_port

    async def main() -> int:
        from alephtx.core.metrics import Metrics

        metrics = Metrics(positions=False) if metrics_port >= 0 else None  # the node's collector has them
        if metrics is not None:
            _count_agent_work(metrics)
        n = Node(
            cfg,
            data_dir(),
            approval_notional=aleph.agent.approval_notional,
            ticket_ttl_s=aleph.agent.ticket_ttl_s,
            metrics=metrics,
        )
        await n.start(grpc_port=grpc_port, grpc_host=where)
        extra: list[Any] = []
        try:
            if metrics is not None:
                metrics.serve(metrics_port, where)
                console.print(f"metrics: http://{where}:{metrics_port}/metrics")
            if mcp_port >= 0:
                extra.append(await _serve_mcp(aleph, n, where, mcp_port))
            extra += _agent_services(aleph, serve, cfg.research, f"{_loopback(where)}:{n.grpc_port}")
        except BaseException:
            await n.shutdown()
            raise
        _announce(n, where)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        hits = {"n": 0}

        def on_signal() -> None:
            hits["n"] += 1
            if hits["n"] > 1:
                os._exit(130)  # at once: the journal's log makes this as safe as a crash
            console.print("stopping (Ctrl-C again to exit at once)")
            stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal)
        await n.run(stop)
        for task in extra:
            task.cancel()
        await asyncio.gather(*extra, return_exceptions=True)
        console.print(f"node stopped; journal closed in {n.folder}")
        return 0

    try:
        asyncio.run(main())
    except (NodeError, JournalError, FieldError, ConfigError, OSError) as exc:
        raise fail(f"node: {exc}") from None


def _loopback(host: str) -> str:
    """Where the node's own services reach its gRPC server."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "localhost") else host


def _count_agent_work(metrics: Any) -> None:
    """The agent's tool calls and model requests in this process (its MCP server, Telegram bot,
    research runs) counted in the node's metrics."""
    from alephtx.agent.llm import LLM_LISTENERS
    from alephtx.tools.audit import CALL_LISTENERS

    CALL_LISTENERS.append(metrics.tool_call)
    LLM_LISTENERS.append(metrics.llm_request)


def _agent_services(cfg: Any, serve: Any, research: Any, address: str) -> list[asyncio.Task[Any]]:
    """The Telegram bot and the research schedule, attached to this node like any surface. One
    that fails (a wrong token, Telegram out of reach) is reported; the node trades on."""
    tasks: list[asyncio.Task[Any]] = []
    llm, model = cfg.agent.llm_endpoint, cfg.agent.llm_model
    if serve.telegram:
        from alephtx.agent.telegram_bot import run_telegram

        token = os.environ.get("ALEPH_TELEGRAM_TOKEN", "")
        tasks.append(asyncio.create_task(run_telegram(cfg, token, llm, model, node=address), name="telegram"))
        console.print(f"telegram: the agent's bot for users {cfg.agent.telegram_users}")
    if research.scheduled:
        from alephtx.cli.research_runs import research_loop
        from alephtx.core.research.schedule import Schedule
        from alephtx.tools.research_tools import ResearchBudget

        when = Schedule(tuple(research.cron), research.every_s)
        budget = ResearchBudget(research.max_backtests, research.backtest_budget_s)

        def ran(run: Any) -> None:
            console.print(f"research: {run.folder.name} written ({run.report['telegram']})", soft_wrap=True)

        def failed(exc: Exception) -> None:
            errors.print(f"[red]research: {redact(str(exc))}; the next run is at its time[/red]", soft_wrap=True)

        loop = research_loop(
            cfg,
            llm,
            model,
            when,
            node=address,
            ask=research.ask,
            on_run=ran,
            budget=budget,
            telegram=research.telegram,
            on_error=failed,
        )
        tasks.append(asyncio.create_task(loop, name="research"))
        console.print(f"research: runs on {when.describe()}, reports under runs/", soft_wrap=True)
    for t in tasks:
        t.add_done_callback(_report)
    return tasks


def _report(task: asyncio.Task[Any]) -> None:
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        errors.print(f"[red]node: {task.get_name()} stopped: {redact(str(exc))}; the node runs on[/red]")


def _announce(n: Any, host: str) -> None:
    st = n.engine.risk
    console.print(f"[bold]node {n.config.node.name}[/bold] running (data folder {n.data_dir})", soft_wrap=True)
    console.print(f"gRPC: {host}:{n.grpc_port}  (aleph status --node {host}:{n.grpc_port})", soft_wrap=True)
    for v in n.venue_status():
        console.print(f"venue {v.name}: {v.kind}, {v.market}", soft_wrap=True)
    running = [name for name, s in n.host.loaded.items() if s.running]
    console.print(f"strategies running: {', '.join(running) or 'none'}", soft_wrap=True)
    r = n.config.record
    if r.venue:
        where = n.data_dir / "recordings" / r.venue
        console.print(
            f"recording {r.venue} {', '.join(r.symbols)} to {where}, every {r.rotate_minutes:g} min into the catalog",
            soft_wrap=True,
        )
    for note in n.notes:
        console.print(f"[yellow]{note}[/yellow]", soft_wrap=True)
    if n.reconciled:
        console.print(f"reconciled at start: {len(n.reconciled)} differences (the journal has them)", soft_wrap=True)
    if st.state.name != "ACTIVE":
        console.print(f"[yellow]trading is {st.state.name}: {st.halt_reason}[/yellow]", soft_wrap=True)


async def _serve_mcp(cfg: Any, n: Any, host: str, port: int) -> asyncio.Task[None]:
    """MCP over streamable HTTP on the node's own engine (the same tickets as gRPC's)."""
    from alephtx.tools.serve import serve_desk_http

    token = os.environ.get("ALEPH_MCP_TOKEN", "")
    if not token:
        raise FieldError("ALEPH_MCP_TOKEN", "", "is required to serve MCP over HTTP (--mcp-port)")
    from alephtx.tools.desk import Desk

    task = asyncio.create_task(serve_desk_http(cfg, Desk(n.local), token, host, port))
    await asyncio.sleep(0.2)
    if task.done():
        task.result()  # raises what stopped it (a port in use)
    console.print(f"MCP: http://{host}:{port}/mcp (bearer ALEPH_MCP_TOKEN)")
    return task
