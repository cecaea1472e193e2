"""`aleph mcp`, `aleph llm`, `aleph chat`, `aleph eval`: the agent and its tools."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from typing import Annotated, Any

import typer
from rich.markup import escape

from alephtx.cli.main import ConfigOpt, _config, app, console, errors, fail
from alephtx.core.errors import AlephError, FieldError

AttachOpt = Annotated[
    str | None,
    typer.Option(
        "--node",
        help="Attach to the node at HOST:PORT (default: ALEPH_NODE; neither: an embedded paper node in this process).",
    ),
]


def _attach(node: str | None) -> str | None:
    """``--node``, else ALEPH_NODE, else None (an embedded node); a malformed address fails here."""
    from alephtx.core.server.client import node_address

    given = node or os.environ.get("ALEPH_NODE")
    if not given:
        return None
    try:
        return node_address(given)
    except FieldError as exc:
        raise fail(f"--node: {exc.rule} (got {given!r})") from None


@app.command("mcp")
def mcp_cmd(
    http: Annotated[bool, typer.Option("--http", help="Streamable HTTP instead of stdio (token required).")] = False,
    host: Annotated[str | None, typer.Option(help="HTTP bind address (default from config: 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port (default from config).")] = None,
    node: AttachOpt = None,
    config_path: ConfigOpt = None,
) -> None:
    """The MCP tool server over stdio (for an MCP client that starts it) or streamable HTTP; on
    the node given by --node, else on an embedded paper node."""
    cfg = _config(config_path)
    address = _attach(node)
    if not http:
        try:
            asyncio.run(_stdio(cfg, address))
        except AlephError as exc:
            raise fail(f"mcp: {exc}") from None
        return
    from alephtx.tools.serve import serve_http

    token = os.environ.get("ALEPH_MCP_TOKEN", "")
    try:
        asyncio.run(serve_http(cfg, token, host or cfg.agent.mcp_host, port or cfg.agent.mcp_port, address))
    except FieldError as exc:
        raise fail(f"mcp: {exc}") from None


async def _stdio(cfg: object, node: str | None) -> None:
    from alephtx.tools.serve import serve_stdio

    await serve_stdio(cfg, node)  # type: ignore[arg-type]


llm_app = typer.Typer(help="The language model behind the agent.", no_args_is_help=True)
app.add_typer(llm_app, name="llm", help="Serve the agent's model: vLLM on a GPU, or the embedded CPU model.")


@llm_app.command("serve")
def llm_serve(
    cpu: Annotated[
        bool, typer.Option("--cpu", help="The embedded SmolLM2-135M on llama.cpp (no GPU, no download).")
    ] = False,
    model: Annotated[str, typer.Option(help="vLLM: the model to serve.")] = "Qwen/Qwen2.5-7B-Instruct-AWQ",
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8000,
    max_model_len: Annotated[int, typer.Option(help="vLLM: context length.")] = 16384,
    gpu_memory_utilization: Annotated[float, typer.Option(help="vLLM: share of the GPU's memory.")] = 0.90,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the command instead of running it.")] = False,
) -> None:
    """Run an OpenAI-compatible model server for the agent (docs/llm.md)."""
    import shlex
    import shutil
    import subprocess

    from alephtx.agent.llm import cpu_server_command, vllm_command

    cmd = (
        cpu_server_command(port)
        if cpu
        else vllm_command(model, port, "127.0.0.1", max_model_len, gpu_memory_utilization)
    )
    if dry_run:
        print(shlex.join(cmd))
        return
    if not cpu and shutil.which("vllm") is None:
        raise fail("llm serve: vllm is not installed here (it needs a CUDA GPU); use --cpu, or see docs/llm.md")
    raise typer.Exit(subprocess.call(cmd))


@app.command("chat")
def chat_cmd(
    endpoint: Annotated[
        str | None, typer.Option(help="OpenAI-compatible server (default: config, else the CPU model).")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model name on that server.")] = None,
    thread: Annotated[str, typer.Option(help="Conversation id (checkpointed; the same id resumes it).")] = "terminal",
    node: AttachOpt = None,
    config_path: ConfigOpt = None,
) -> None:
    """Chat with the agent in the terminal: slash commands, tool calls shown, approvals inline
    (on a node, approving needs ALEPH_OPERATOR_TOKEN)."""
    from alephtx.agent.chat import run_chat

    cfg = _config(config_path)
    address = _attach(node)
    try:
        asyncio.run(run_chat(cfg, endpoint or cfg.agent.llm_endpoint, model or cfg.agent.llm_model, thread, address))
    except AlephError as exc:
        raise fail(f"chat: {exc}") from None


@app.command("eval")
def eval_cmd(
    endpoint: Annotated[str, typer.Option(help="OpenAI-compatible server to evaluate.")],
    model: Annotated[str, typer.Option(help="Model name on that server.")],
    k: Annotated[int, typer.Option("-k", help="Runs per scenario (pass^k).")] = 1,
    out: Annotated[str | None, typer.Option(help="Where the scorecard goes (default: <data folder>/evals).")] = None,
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
    max_tokens: Annotated[int, typer.Option(help="Longest reply per model call.")] = 256,
    config_path: ConfigOpt = None,
) -> None:
    """Run the eval scenarios against a model and write a scorecard (JSON, markdown, HTML)."""
    from pathlib import Path

    from rich.console import Console

    from alephtx.agent.llm import chat_model
    from alephtx.agent.prompts import load
    from alephtx.evals.runner import run_evals
    from alephtx.evals.scenarios import load_scenarios
    from alephtx.evals.scorecard import scorecard, write_scorecard

    cfg = _config(config_path)
    out = out or str(Path(cfg.data_dir) / "evals")
    if k < 1:
        raise fail("eval: -k must be at least 1")
    try:
        scenarios = [s for s in load_scenarios() if category is None or s.category == category]
        chat_model(endpoint, model)  # validates the endpoint
    except FieldError as exc:
        raise fail(f"eval: {exc}") from None
    if not scenarios:
        raise fail(f"eval: no scenario in category {category!r}")
    work = Path(out) / "work"
    results = asyncio.run(
        run_evals(
            scenarios,
            lambda: chat_model(endpoint, model, max_tokens=max_tokens),
            cfg.model_copy(update={"data_dir": work}),
            work,
            k,
        )
    )
    card = scorecard(results, model=model, endpoint=endpoint, k=k, prompt_version=load("system")[1])
    write_scorecard(card, results, Path(out))
    Console().print((Path(out) / "scorecard.md").read_text())
    Console().print(f"written: {Path(out) / 'scorecard.html'}, scorecard.json, runs.json")


@app.command("research")
def research_cmd(
    endpoint: Annotated[
        str | None, typer.Option(help="OpenAI-compatible server (default: config, else the CPU model).")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model name on that server.")] = None,
    every: Annotated[float, typer.Option(help="Run every this many seconds (0: not on an interval).", min=0)] = 0.0,
    cron: Annotated[
        list[str] | None, typer.Option(help="Run on this cron expression, UTC (repeatable): '0 */4 * * *'.")
    ] = None,
    runs: Annotated[int, typer.Option(help="On a schedule: stop after this many runs (0: never).", min=0)] = 0,
    ask: Annotated[str, typer.Option(help="What to look into (default: the research routine).")] = "",
    max_backtests: Annotated[int, typer.Option(help="Backtests each run may make.", min=0, max=100)] = 3,
    backtest_budget_s: Annotated[
        float, typer.Option(help="Seconds each backtest may take (it is stopped then).", min=1, max=3600)
    ] = 120.0,
    no_telegram: Annotated[
        bool, typer.Option("--no-telegram", help="Do not send the summary to Telegram even when configured.")
    ] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="One JSON object per run (its report), for programs.")
    ] = False,
    node: AttachOpt = None,
    config_path: ConfigOpt = None,
) -> None:
    """A research run: the agent reads the market, the account, the catalog and its notes, may
    backtest within a budget, and writes a report (runs/, `aleph runs ls`) and a note. It cannot
    trade. Once, or on a schedule (--every, --cron)."""
    from alephtx.cli.research_runs import research_loop
    from alephtx.core.research.schedule import Schedule
    from alephtx.tools.research_tools import ResearchBudget

    cfg = _config(config_path)
    address = _attach(node)
    llm, name = endpoint or cfg.agent.llm_endpoint, model or cfg.agent.llm_model
    try:
        when = Schedule(tuple(cron or ()), every)
    except FieldError as exc:
        raise fail(f"research: {exc}") from None
    view = _ResearchView(json_out)
    if not when.empty and not json_out:
        console.print(f"research: runs on {when.describe()}; Ctrl-C stops", soft_wrap=True)
    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends a schedule
            asyncio.run(
                research_loop(
                    cfg,
                    llm,
                    name,
                    when,
                    runs,
                    address,
                    ask,
                    on_event=view.event,
                    on_run=view.run,
                    on_wait=view.wait,
                    budget=ResearchBudget(max_backtests, backtest_budget_s),
                    telegram=not no_telegram,
                    on_error=view.error,
                )
            )
    except AlephError as exc:
        raise fail(f"research: {exc}") from None


class _ResearchView:
    """What a person reads: the answer as it streams, each tool call and how it went; or, with
    --json, one object per run."""

    def __init__(self, json_out: bool) -> None:
        self.json_out = json_out
        self.streaming = False

    def event(self, ev: Any) -> None:
        if self.json_out:
            return
        if ev.kind == "token":
            console.print(ev.data.get("text", ""), end="", highlight=False, markup=False)
            self.streaming = True
            return
        if self.streaming:
            console.print()
            self.streaming = False
        if ev.kind == "tool_call":
            args = json.dumps(ev.data.get("args", {}), default=str)
            console.print(f"[cyan]-> {ev.data.get('name')}[/cyan] {args[:200]}", highlight=False, soft_wrap=True)
        elif ev.kind == "tool_result":
            text = " ".join(str(ev.data.get("text", "")).split())[:160]
            mark = "[red]<- error[/red]" if ev.data.get("error") else "[green]<- ok[/green]"
            console.print(f"   {mark} [dim]{escape(text)}[/dim]", highlight=False, soft_wrap=True)

    def run(self, run: Any) -> None:
        if self.json_out:
            print(json.dumps(run.report | {"folder": str(run.folder)}, default=str), flush=True)
            return
        if self.streaming:
            console.print()
            self.streaming = False
        r = run.report
        console.rule(f"research run {r['run']}")
        console.print(r["summary"], highlight=False, markup=False)
        console.print(
            f"[dim]{len(r['tool_calls'])} tool calls ({r['tool_errors']} failed), "
            f"{len(r['backtests'])} backtests, {r['seconds']:.1f} s; Telegram: {r['telegram']}[/dim]",
            soft_wrap=True,
        )
        console.print(f"report: {run.folder / 'report.md'}", soft_wrap=True)

    def error(self, exc: Exception) -> None:
        errors.print(f"[red]research: {exc}; the next run is at its time[/red]", highlight=False)

    def wait(self, at: Any) -> None:
        if not self.json_out:
            console.print(f"[dim]next research run at {at:%Y-%m-%d %H:%M:%S} UTC[/dim]")


@app.command("telegram")
def telegram_cmd(
    endpoint: Annotated[
        str | None, typer.Option(help="OpenAI-compatible server (default: config, else the CPU model).")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model name on that server.")] = None,
    node: AttachOpt = None,
    config_path: ConfigOpt = None,
) -> None:
    """The agent as a Telegram bot for the users in agent.telegram_users (token: ALEPH_TELEGRAM_TOKEN)."""
    from alephtx.agent.telegram_bot import run_telegram

    cfg = _config(config_path)
    token = os.environ.get("ALEPH_TELEGRAM_TOKEN", "")
    address = _attach(node)
    llm, name = endpoint or cfg.agent.llm_endpoint, model or cfg.agent.llm_model
    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how the bot is stopped
            asyncio.run(run_telegram(cfg, token, llm, name, node=address))
    except (FieldError, AlephError) as exc:
        raise fail(f"telegram: {exc}") from None
