"""The tool server in this process, for the chat surfaces and the eval runner: an MCP client
session on it (everything the agent layer does to the engine goes through tools) and the
person's approval channel, which is deliberately not a tool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp import ClientSession

from alephtx.core.config.schema import AlephConfig
from alephtx.tools.audit import ORIGIN, AuditLog
from alephtx.tools.desk import Desk
from alephtx.tools.research_tools import ResearchBudget

__all__ = ["LocalTools", "local_tools"]


@dataclass
class LocalTools:
    """``approvals``: the desk itself, whose ``waiting_ticket``/``approve``/``all_waiting`` reach
    the node directly (a person's channel, not a tool)."""

    session: ClientSession
    approvals: Desk
    instruments: list[str]
    research: ResearchBudget | None = None  # the backtest tool's budget, when a research run's


@asynccontextmanager
async def local_tools(
    cfg: AlephConfig,
    *,
    desk: Desk | None = None,
    memory: Any = None,
    workdir: Path | None = None,
    origin: str = "in-process",
    node: str | None = None,
    research: ResearchBudget | None = None,
) -> AsyncIterator[LocalTools]:
    """``origin`` names the surface in the audit log of every call (set before the server's
    tasks start, which copy it). ``node``: attach to the node at that address (HOST:PORT)
    instead of starting an embedded paper node in this process."""
    from mcp.shared.memory import create_connected_server_and_client_session

    from alephtx.tools.serve import LazyMemory, make_desk, memory_location
    from alephtx.tools.server import build_server

    ORIGIN.set(origin)
    desk = desk or (Desk.attached(node) if node else await make_desk(cfg, workdir))
    audit = AuditLog(Path(cfg.data_dir) / "agent" / "tool_calls.jsonl")
    server = build_server(
        desk,
        memory or LazyMemory(memory_location(cfg)),
        audit,
        catalog=Path(cfg.data_dir) / "catalog",
        research=research,
    )
    try:
        instruments = await desk.instrument_keys()
        async with create_connected_server_and_client_session(server) as session:
            yield LocalTools(session, desk, instruments, research)
    finally:
        if node:
            await desk.close()
