"""`aleph chat`: the agent in a terminal. Slash commands run at once without the model; free text
goes to the agent, whose tool calls and results are shown as they happen; an order that needs
approval is asked about inline. The CPU model server starts on the first free-text message when
no endpoint is configured."""

from __future__ import annotations

import contextlib
import getpass
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel

from alephtx.agent.llm import CPU_MODEL_NAME, chat_model, cpu_server, free_port
from alephtx.agent.session import Event, agent_session
from alephtx.agent.slash import ToolRefused, render, run_slash
from alephtx.core.config.schema import AlephConfig
from alephtx.core.errors import FieldError
from alephtx.core.redact import mask_url
from alephtx.tools.local import local_tools

console = Console()


def _show(ev: Event, streamed: list[str]) -> None:
    if ev.kind == "token":
        streamed.append(ev.data["text"])
        console.print(ev.data["text"], end="", markup=False, highlight=False)
        return
    if streamed:  # the answer was shown as it came; end its line
        console.print()
    if ev.kind == "tool_call":
        console.print(f"[cyan]→ {ev.data['name']}[/cyan]({json.dumps(ev.data['args'])})")
    elif ev.kind == "tool_result":
        style = "red" if ev.data.get("error") else "dim"
        console.print(f"[{style}]  ← {ev.data['text'][:400]}[/{style}]")
    elif ev.kind == "answer" and not streamed:
        console.print(Markdown(ev.data["text"] or "(no answer)"))
    elif ev.kind == "stopped":
        console.print(f"[yellow]stopped: {ev.data['reason']}[/yellow]")


def _banner(instruments: list[str], endpoint: str, model_name: str, node: str | None) -> str:
    """Where the chat trades and what the model can do, before the first question."""
    where = f"the node at {node}" if node else "an embedded paper node"
    if endpoint:
        model = f"Model: {model_name} at {mask_url(endpoint)}."
    else:
        model = (
            "Model: the embedded CPU model (SmolLM2 135M). It answers in words but almost never picks a "
            "tool, so it cannot look up or trade for you; the slash commands work without it. For an agent "
            "that uses the tools, serve a 7-8B model (aleph llm serve) and pass --endpoint and --model."
        )
    return (
        f"AlephTX chat on {where} ({', '.join(instruments)}).\n{model}\n"
        "/help for commands, /quit to leave; orders above the approval notional wait for your yes."
    )


async def run_chat(cfg: AlephConfig, endpoint: str, model_name: str, thread: str, node: str | None = None) -> None:
    person = f"person:{getpass.getuser()}"
    agent: Any = None
    with contextlib.ExitStack() as stack:
        async with (
            local_tools(cfg, workdir=Path(cfg.data_dir) / "chat-desk", origin="chat:terminal", node=node) as tools,
            contextlib.AsyncExitStack() as astack,
        ):
            console.print(Panel(_banner(tools.instruments, endpoint, model_name, node), style="bold"))
            while True:
                try:
                    line = console.input("[bold green]you>[/bold green] ").strip()
                except EOFError:
                    break
                if not line:
                    continue
                if line in ("/quit", "/exit"):
                    break
                if line.startswith("/"):
                    try:
                        console.print(render(await run_slash(tools, line, person)))
                    except (FieldError, PermissionError, ToolRefused) as exc:
                        console.print(f"[red]{exc}[/red]")
                    continue
                if agent is None:
                    url = endpoint or stack.enter_context(cpu_server(free_port(), Path(cfg.data_dir) / "llm.log"))
                    model = chat_model(url, model_name if endpoint else CPU_MODEL_NAME)
                    agent = await astack.enter_async_context(agent_session(cfg, model, tools))
                events = agent.ask(line, thread)
                while True:
                    pending = None
                    streamed: list[str] = []
                    async for ev in events:
                        _show(ev, streamed)
                        if ev.kind != "token":
                            streamed.clear()
                        if ev.kind == "approval":
                            pending = ev
                    if pending is None:
                        break
                    t = pending.data["ticket"]
                    console.print(Panel(json.dumps(t, indent=1), title="approval needed", style="yellow"))
                    yes = console.input("approve this order? [y/N] ").strip().lower() in ("y", "yes")
                    events = agent.resume(yes, person, thread)
