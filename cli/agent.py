"""`aleph mcp`, `aleph llm`, `aleph chat`, `aleph eval`: the agent and its tools."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated

import typer

from alephtx.cli.main import ConfigOpt, _config, app, fail
from alephtx.core.errors import FieldError


@app.command("mcp")
def mcp_cmd(
    http: Annotated[bool, typer.Option("--http", help="Streamable HTTP instead of stdio (token required).")] = False,
    host: Annotated[str | None, typer.Option(help="HTTP bind address (default from config: 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port (default from config).")] = None,
    config_path: ConfigOpt = None,
) -> None:
    """The MCP tool server over stdio (for an MCP client that starts it) or streamable HTTP."""
    cfg = _config(config_path)
    if not http:
        asyncio.run(_stdio(cfg))
        return
    from alephtx.tools.serve import serve_http

    token = os.environ.get("ALEPH_MCP_TOKEN", "")
    try:
        asyncio.run(serve_http(cfg, token, host or cfg.agent.mcp_host, port or cfg.agent.mcp_port))
    except FieldError as exc:
        raise fail(f"mcp: {exc}") from None


async def _stdio(cfg: object) -> None:
    from alephtx.tools.serve import serve_stdio

    await serve_stdio(cfg)  # type: ignore[arg-type]
