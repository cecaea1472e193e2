"""Research runs: the agent looks at the market, the account and its notes, and writes a note.

A research run cannot trade: it gets only read tools and ``save_note`` (not a prompt's promise,
the tools are absent). ``aleph research`` runs one, or one every ``--every`` seconds (for a
scheduler, run it from cron or a systemd timer without ``--every``).
"""

from __future__ import annotations

import time
from typing import Any

from alephtx.agent.session import Event, agent_session
from alephtx.core.config.schema import AlephConfig
from alephtx.tools.local import LocalTools

__all__ = ["RESEARCH_TOOLS", "research_run"]

RESEARCH_TOOLS = frozenset({
    "list_instruments", "get_ticker", "get_order_book", "get_recent_trades", "get_positions", "get_balances",
    "get_open_orders", "get_pnl", "get_risk_status", "list_strategies", "get_strategy_parameters",
    "search_notes", "save_note", "simulate_swap", "sandwich_exposure", "find_backrun",
})  # fmt: skip


async def research_run(cfg: AlephConfig, model: Any, tools: LocalTools, ask: str = "") -> list[Event]:
    thread = f"research-{time.strftime('%Y%m%dT%H%M%S')}-{time.monotonic_ns() % 10**6}"
    async with agent_session(cfg, model, tools, only_tools=RESEARCH_TOOLS, prompt="research") as agent:
        return [e async for e in agent.ask(ask or "Run the research routine now.", thread)]


async def research_cmd_main(
    cfg: AlephConfig, endpoint: str, model_name: str, every: float, runs: int, node: str | None = None
) -> None:
    import asyncio
    import contextlib
    import json
    from pathlib import Path

    from alephtx.agent.llm import CPU_MODEL_NAME, chat_model, cpu_server, free_port
    from alephtx.tools.local import local_tools

    with contextlib.ExitStack() as stack:
        url = endpoint or stack.enter_context(cpu_server(free_port(), Path(cfg.data_dir) / "llm.log"))
        model = chat_model(url, model_name if endpoint else CPU_MODEL_NAME)
        async with local_tools(
            cfg, workdir=Path(cfg.data_dir) / "research-desk", origin="research", node=node
        ) as tools:
            done = 0
            while True:
                for ev in await research_run(cfg, model, tools):
                    print(json.dumps({"kind": ev.kind, **ev.data}, default=str), flush=True)
                done += 1
                if every <= 0 or (runs and done >= runs):
                    break
                await asyncio.sleep(every)
