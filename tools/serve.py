"""Start the MCP server on a desk: stdio, or streamable HTTP behind a bearer token."""

from __future__ import annotations

import hmac
import json
import logging
import os
from pathlib import Path
from typing import Any

from alephtx.core.config.schema import AlephConfig
from alephtx.core.errors import FieldError
from alephtx.tools.audit import ORIGIN, AuditLog
from alephtx.tools.desk import Desk
from alephtx.tools.server import BearerAuth, build_server, check_token

__all__ = ["LazyMemory", "make_desk", "risk_state_path", "serve_desk_http", "serve_http", "serve_stdio"]

log = logging.getLogger("alephtx.tools")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class LazyMemory:
    """The notes store, opened on first use: loading the embedding model takes seconds, and
    most sessions never touch it."""

    def __init__(self, where: str | Path) -> None:
        self.where = where
        self._memory: Any = None

    def _get(self) -> Any:
        if self._memory is None:
            from alephtx.core.notes import Memory

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
    catalog = Path(cfg.data_dir) / "catalog"
    return build_server(desk, LazyMemory(memory_location(cfg)), audit, cfg.agent.rpc_urls, catalog)


def risk_state_path(cfg: AlephConfig) -> Path:
    """The data folder's durable trading state: a halt there holds for every desk started on it
    until the operator's ``aleph resume``."""
    return Path(cfg.data_dir) / "risk-state.db"


async def make_desk(cfg: AlephConfig, workdir: Path | None = None, node: str | None = None) -> Desk:
    """The desk on the node at ``node`` (HOST:PORT), else on an embedded paper node in process."""
    if node:
        return Desk.attached(node)
    return await Desk.from_replay(
        workdir or Path(cfg.data_dir) / "desk",
        approval_notional=cfg.agent.approval_notional,
        ticket_ttl_s=cfg.agent.ticket_ttl_s,
        risk_state=risk_state_path(cfg),
    )


async def serve_stdio(cfg: AlephConfig, node: str | None = None) -> None:
    desk = await make_desk(cfg, node=node)
    server = _server(cfg, desk)
    ORIGIN.set("mcp-stdio")
    await server.run_stdio_async()


async def serve_http(cfg: AlephConfig, token: str, host: str, port: int, node: str | None = None) -> None:
    await serve_desk_http(cfg, None, token, host, port, node)


async def serve_desk_http(
    cfg: AlephConfig, desk: Desk | None, token: str, host: str, port: int, node: str | None = None
) -> None:
    """MCP over streamable HTTP on ``desk`` (else one on the node at ``node``, else an embedded
    paper node), behind the clients' bearer token; ``/approvals`` beside it when the operator
    has a token of their own."""
    import uvicorn

    check_token(token, "ALEPH_MCP_TOKEN")
    operator = os.environ.get("ALEPH_OPERATOR_TOKEN", "")
    if operator:
        check_token(operator, "ALEPH_OPERATOR_TOKEN")
    if operator and hmac.compare_digest(operator, token):
        raise FieldError(
            "ALEPH_OPERATOR_TOKEN", "<same as ALEPH_MCP_TOKEN>", "must differ: a client could approve itself"
        )
    if host not in LOOPBACK:
        log.warning("MCP over HTTP on %s:%d, beyond loopback: every request needs the bearer token", host, port)
    desk = desk or await make_desk(cfg, node=node)
    server = _server(cfg, desk)
    app: Any = BearerAuth(server.streamable_http_app(), token)
    if operator:
        app = OperatorApprovals(app, desk, operator)
    # log_config=None: uvicorn's records go through our handlers and their secret filter.
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on", log_config=None)
    userver = uvicorn.Server(config)
    await userver.serve()


class OperatorApprovals:
    """``/approvals`` next to the MCP endpoint: the operator's channel for tickets that MCP
    clients made over HTTP. ``GET /approvals`` lists the waiting tickets, ``POST
    /approvals/<ticket_id>`` approves one. It has its own token (``ALEPH_OPERATOR_TOKEN``), which
    must differ from the MCP clients' token; without it these paths do not exist."""

    def __init__(self, app: Any, approvals: Desk, token: str) -> None:
        self.app = app
        self.approvals = approvals
        check_token(token, "ALEPH_OPERATOR_TOKEN")
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == "/approvals" or path.startswith("/approvals/")):
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"authorization", b"")
        if not hmac.compare_digest(given, self.expected):
            await _json(send, 401, {"error": "missing or wrong operator token"})
        elif scope["method"] == "GET" and path == "/approvals":
            await _json(send, 200, {"waiting": await self.approvals.all_waiting()})
        elif scope["method"] == "POST" and path.startswith("/approvals/"):
            ticket_id = path.removeprefix("/approvals/")
            try:
                await self.approvals.approve(ticket_id, "person:operator-http")
            except (FieldError, PermissionError) as exc:
                await _json(send, 409, {"error": str(exc)})
                return
            await _json(send, 200, {"ticket_id": ticket_id, "approved": True})
        else:
            await _json(send, 405, {"error": "GET /approvals or POST /approvals/<ticket_id>"})


async def _json(send: Any, status: int, body: dict[str, Any]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})
