"""MCP tool round trip: a read tool (get_ticker) called by the real MCP client over stdio and over
streamable HTTP, p50 and p99; the same tool called in process (no transport) as the floor.
Goal: p50 at most 5 ms over stdio.

    python -m bench.mcp
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.memory import create_connected_server_and_client_session
from rich.progress import track

from bench.common import save, show

N = 1_000
ARGS = {"instrument": "paper-a:BTCUSDT"}


async def _measure(session: ClientSession, label: str) -> list[float]:
    for _ in range(50):
        await session.call_tool("get_ticker", ARGS)
    out = []
    clock = time.perf_counter_ns
    for _ in track(range(N), description=label, transient=True):
        t0 = clock()
        r = await session.call_tool("get_ticker", ARGS)
        out.append((clock() - t0) / 1e6)
        if r.isError:
            raise RuntimeError(r.content)
    return out


def _env(tmp: str, **extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("ALEPH_")}, "ALEPH_DATA_DIR": tmp, **extra}


async def stdio(tmp: str) -> list[float]:
    params = StdioServerParameters(command=sys.executable, args=["-m", "alephtx.cli", "mcp"], env=_env(tmp))
    async with stdio_client(params) as (r, w), ClientSession(r, w) as s:
        await s.initialize()
        return await _measure(s, "stdio")


async def http(tmp: str) -> list[float]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "alephtx.cli", "mcp", "--http", "--port", str(port)],
        env=_env(tmp, ALEPH_MCP_TOKEN="bench-token"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        for _ in range(300):
            try:
                httpx.get(url, timeout=0.2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        client = httpx.AsyncClient(headers={"Authorization": "Bearer bench-token"})
        async with client, streamable_http_client(url, http_client=client) as (r, w, _), ClientSession(r, w) as s:
            await s.initialize()
            return await _measure(s, "http")
    finally:
        proc.terminate()
        proc.wait(10)


async def in_memory(tmp: str) -> list[float]:
    from alephtx.tools.desk import Desk
    from alephtx.tools.server import build_server

    desk = await Desk.from_replay(Path(tmp) / "mem-desk")
    async with create_connected_server_and_client_session(build_server(desk)) as s:
        return await _measure(s, "in memory")


def _pcts(xs: list[float]) -> tuple[float, float]:
    return statistics.median(xs), statistics.quantiles(xs, n=100)[98]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        mem = asyncio.run(in_memory(tmp))
        sio = asyncio.run(stdio(tmp + "/s"))
        web = asyncio.run(http(tmp + "/h"))
    rows, result = [], {}
    for label, xs in (
        ("in memory (no transport, floor)", mem),
        ("stdio", sio),
        ("streamable HTTP + bearer token", web),
    ):
        p50, p99 = _pcts(xs)
        rows.append([label, f"{p50:.3f}", f"{p99:.3f}", f"{p50 / _pcts(mem)[0]:.1f}x"])
        result[label] = {"p50_ms": p50, "p99_ms": p99}
    show(f"MCP round trip of get_ticker ({N:,} calls each)", ["transport", "p50 ms", "p99 ms", "vs floor"], rows)
    save("mcp", result)


if __name__ == "__main__":
    main()
