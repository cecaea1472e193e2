"""Start the MCP server on a desk: stdio, or streamable HTTP behind a bearer token."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alephtx.core.config.schema import AlephConfig
from alephtx.core.errors import FieldError
from alephtx.tools.audit import ORIGIN, AuditLog
from alephtx.tools.desk import Desk
from alephtx.tools.server import BearerAuth, build_server

__all__ = ["LazyMemory", "make_desk", "serve_http", "serve_stdio"]


class LazyMemory:
    """The notes store, opened on first use: loading the embedding model takes seconds, and
    most sessions never touch it."""

    def __init__(self, where: str | Path) -> None:
        self.where = where
        self._memory: Any = None

    def _get(self) -> Any:
        if self._memory is None:
            from alephtx.agent.memory import Memory

            self._memory = Memory(self.where)
        return self._memory

    def save(self, *a: Any, **kw: Any) -> Any:
        return self._get().save(*a, **kw)

    def search(self, *a: Any, **kw: Any) -> Any:
        return self._get().search(*a, **kw)


def memory_location(cfg: AlephConfig) -> str | Path:
    return cfg.agent.memory if cfg.agent.memory != "local" else Path(cfg.data_dir) / "memory"


def _server(cfg: AlephConfig, desk: Desk) -> Any:
    audit = AuditLog(Path(cfg.data_dir) / "agent" / "tool_calls.jsonl")
    return build_server(desk, LazyMemory(memory_location(cfg)), audit)


async def make_desk(cfg: AlephConfig, workdir: Path | None = None) -> Desk:
    return await Desk.from_replay(
        workdir or Path(cfg.data_dir) / "desk",
        approval_notional=cfg.agent.approval_notional,
        ticket_ttl_s=cfg.agent.ticket_ttl_s,
    )


async def serve_stdio(cfg: AlephConfig) -> None:
    desk = await make_desk(cfg)
    server = _server(cfg, desk)
    ORIGIN.set("mcp-stdio")
    await server.run_stdio_async()


async def serve_http(cfg: AlephConfig, token: str, host: str, port: int, ready: asyncio.Event | None = None) -> None:
    import uvicorn

    if not token:
        raise FieldError("ALEPH_MCP_TOKEN", "<unset>", "set a token: the HTTP transport always asks for one")
    desk = await make_desk(cfg)
    server = _server(cfg, desk)
    app = BearerAuth(server.streamable_http_app(), token)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    userver = uvicorn.Server(config)
    if ready is not None:
        asyncio.get_running_loop().call_later(0.5, ready.set)
    await userver.serve()
