"""Research runs: the agent looks at the market, the account, the catalog and its notes, may
backtest an idea within a budget, and writes a report and a note.

A research run cannot trade: it gets only read tools, ``backtest`` (a paper venue of its own over
recorded data) and ``save_note`` (not a prompt's promise, the tools are absent). Each run writes
into its folder under runs/ (``report.md``, ``research.json``: `aleph runs ls` lists it), its
summary is kept as a note in memory, and when Telegram is configured the summary goes to the
listed users. The schedule around runs (``aleph research --every/--cron``, the node's
``[research]``) is cli/research_runs.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alephtx.agent.prompts import load
from alephtx.agent.session import Event, agent_session
from alephtx.core.config.schema import AlephConfig
from alephtx.tools.local import LocalTools

__all__ = ["RESEARCH_TOOLS", "ResearchRun", "research_run", "send_summary"]

RESEARCH_TOOLS = frozenset({
    "list_instruments", "get_ticker", "get_order_book", "get_recent_trades", "get_positions", "get_balances",
    "get_open_orders", "get_pnl", "get_risk_status", "list_strategies", "get_strategy_parameters",
    "search_notes", "save_note", "simulate_swap", "sandwich_exposure", "find_backrun",
    "list_datasets", "query_history", "backtest",
})  # fmt: skip
ASK = "Run the research routine now."
NO_SUMMARY = "(the model wrote no summary)"


@dataclass
class ResearchRun:
    folder: Path
    events: list[Event]
    summary: str
    report: dict[str, Any] = field(default_factory=dict)


async def research_run(
    cfg: AlephConfig,
    model: Any,
    tools: LocalTools,
    folder: Path,
    ask: str = "",
    model_name: str = "",
    on_event: Callable[[Event], None] | None = None,
    telegram: bool = True,
) -> ResearchRun:
    """One run into ``folder`` (a fresh one under runs/: core/research/runs.py); ``on_event``
    sees each event as it comes (the terminal streams them). ``telegram``: send the summary when
    it is configured."""
    if tools.research is not None:
        tools.research.reset()
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    events: list[Event] = []
    async with agent_session(cfg, model, tools, only_tools=RESEARCH_TOOLS, prompt="research") as agent:
        async for ev in agent.ask(ask or ASK, f"research-{folder.name}"):
            events.append(ev)
            if on_event is not None:
                on_event(ev)
    answers = [e.data.get("text", "") for e in events if e.kind == "answer"]
    summary = (answers[-1].strip() if answers else "") or NO_SUMMARY
    # The summary is kept in memory whatever the model did with save_note: the next run finds it.
    kept = await tools.session.call_tool(
        "save_note", {"text": summary[:4000], "source": f"research:{folder.name}", "kind": "research"}
    )
    calls = _calls(events)
    report: dict[str, Any] = {
        "run": folder.name,
        "kind": "research",
        "started_utc": started.isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - t0, 3),
        "model": model_name,
        "prompt": f"system v{agent.prompt_version} + research v{load('research')[1]}",
        "ask": ask or ASK,
        "summary": summary,
        "tool_calls": calls,
        "tool_errors": sum(1 for c in calls if c["error"]),
        "notes_saved": sum(1 for c in calls if c["tool"] == "save_note" and not c["error"]) + (not kept.isError),
        "backtests": list(tools.research.runs) if tools.research is not None else [],
    }
    report["telegram"] = await send_summary(cfg, folder.name, summary) if telegram else "not asked"
    (folder / "research.json").write_text(json.dumps(report, indent=1, default=str))
    (folder / "report.md").write_text(markdown(report))
    return ResearchRun(folder, events, summary, report)


def _calls(events: list[Event]) -> list[dict[str, Any]]:
    """Each tool call beside its result, in order."""
    out: list[dict[str, Any]] = []
    results = iter([e for e in events if e.kind == "tool_result"])
    for e in events:
        if e.kind != "tool_call":
            continue
        r = next(results, None)
        text = str(r.data.get("text", "")) if r is not None else ""
        out.append(
            {
                "tool": e.data.get("name", ""),
                "args": e.data.get("args", {}),
                "error": bool(r.data.get("error")) if r is not None else True,
                "result": text[:600],
            }
        )
    return out


def markdown(r: dict[str, Any]) -> str:
    """The report a person reads: the summary first, then what the agent did."""
    lines = [
        f"# Research run {r['run']}",
        "",
        f"Started {r['started_utc']}, {r['seconds']:.1f} s; model {r['model'] or '(default)'}, "
        f"prompt {r['prompt']}; asked: {r['ask']}",
        "",
        "## Summary",
        "",
        r["summary"],
        "",
        f"## Tool calls ({len(r['tool_calls'])}, {r['tool_errors']} failed)",
        "",
    ]
    if r["tool_calls"]:
        lines += ["| # | tool | arguments | result |", "|---|---|---|---|"]
        for i, c in enumerate(r["tool_calls"], 1):
            args = json.dumps(c["args"], default=str)
            result = ("error: " if c["error"] else "") + c["result"][:200]
            lines.append(f"| {i} | `{c['tool']}` | `{_cell(args)}` | {_cell(result)} |")
    else:
        lines.append("No tool was called.")
    lines += ["", "## Backtests", ""]
    lines += [f"- `{b}` (`aleph runs show {b}`)" for b in r["backtests"]] or ["None."]
    lines += ["", f"Notes saved: {r['notes_saved']}. Telegram: {r['telegram']}.", ""]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("`", "'")


async def send_summary(cfg: AlephConfig, run: str, summary: str) -> str:
    """The summary to each of ``agent.telegram_users`` when a bot token is set; what happened, in
    words (a failure is reported, never raised: the run is written either way)."""
    token = os.environ.get("ALEPH_TELEGRAM_TOKEN", "")
    users = list(cfg.agent.telegram_users)
    if not token or not users:
        return "not configured"
    from telegram import Bot
    from telegram.error import TelegramError

    base = cfg.agent.telegram_api_url or None
    bot = Bot(token, base_url=base) if base else Bot(token)
    text = f"Research run {run}\n\n{summary}"[:4000]
    sent = 0
    try:
        async with bot:
            for user in users:
                await bot.send_message(chat_id=user, text=text)
                sent += 1
    except (TelegramError, OSError) as exc:
        return f"sent to {sent} of {len(users)}; then failed: {type(exc).__name__}"
    return f"sent to {sent} user(s)"
