"""An attached surface against the node's own: what the wire costs.

1. The engine service's calls from a gRPC client (``RemoteEngine``) to an `aleph node` in
   another process, against the same calls on a node in this process (``LocalEngine``, the
   baseline): a ticker read, and propose + confirm of a small market order (p50, p99).
2. An MCP tool call (get_ticker) by the real MCP client over stdio to `aleph mcp --node`
   (attached), against `aleph mcp` on its embedded paper node. Goal: the attached call within
   1 ms of the embedded one at p50.

    python -m bench.node_attach
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from rich.progress import track

from bench.common import save, show

N_READ, N_ORDER, N_MCP = 2_000, 300, 1_000
INST = "paper-a:BTCUSDT"
CONFIG = """
[node]
name = "bench"
[risk]
limits = "{risk}"
[[venue]]
name = "paper-a"
kind = "paper"
symbol = "BTCUSDT"
tick_size = "0.10"
lot_size = "0.001"
"""
RISK = """
[global]
max_order_notional = "50000"
max_open_orders = 1000
[agent]
max_order_notional = "1000"
daily_notional_budget = "100000000"
[venue.default]
max_orders_per_second = 1000
max_open_orders = 1000
[instrument.default]
max_position = "10"
"""


async def timed(label: str, n: int, fn: Callable[[int], Awaitable[Any]]) -> list[float]:
    for i in range(min(50, n)):
        await fn(i)
    out, clock = [], time.perf_counter_ns
    for i in track(range(n), description=label, transient=True):
        t0 = clock()
        await fn(i)
        out.append((clock() - t0) / 1e6)
    return out


async def engine_calls(service: Any, label: str) -> dict[str, list[float]]:
    async def ticker(_: int) -> None:
        await service.ticker(INST)

    async def order(i: int) -> None:
        t = await service.propose(INST, "buy" if i % 2 else "sell", "market", "0.001", None, "agent")
        r = await service.confirm(t.ticket_id, "agent")
        if not r.placed:
            raise RuntimeError(f"{label}: not placed: {r}")

    return {
        "ticker": await timed(f"{label} ticker", N_READ, ticker),
        "propose+confirm": await timed(f"{label} propose+confirm", N_ORDER, order),
    }


async def in_process(folder: Path, config: Path) -> dict[str, list[float]]:
    from alephtx.core.node.config import load_node_config
    from alephtx.core.node.runtime import Node

    node = Node(load_node_config(config), folder / "local")
    await node.start(grpc_port=0)
    stop = asyncio.Event()
    run = asyncio.create_task(node.run(stop))
    await asyncio.sleep(1.0)  # the first books
    try:
        return await engine_calls(node.local, "in process")
    finally:
        stop.set()
        await run


def start_node(folder: Path, config: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "alephtx.cli", "--data-dir", str(folder / "remote"), "node"]
    proc = subprocess.Popen(
        [*cmd, "--config", str(config), "--grpc-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("gRPC: "):
            time.sleep(1.0)  # the first books
            return proc, line.split()[1]
    raise RuntimeError(f"the node did not start (exit {proc.wait()})")


async def attached(address: str) -> dict[str, list[float]]:
    from alephtx.core.server.client import RemoteEngine

    remote = RemoteEngine(address)
    try:
        return await engine_calls(remote, "gRPC")
    finally:
        await remote.close()


async def mcp_call(args: list[str], env: dict[str, str], label: str) -> list[float]:
    params = StdioServerParameters(command=sys.executable, args=["-m", "alephtx.cli", "mcp", *args], env=env)
    async with stdio_client(params) as (r, w), ClientSession(r, w) as s:
        await s.initialize()

        async def call(_: int) -> None:
            res = await s.call_tool("get_ticker", {"instrument": INST})
            if res.isError:
                raise RuntimeError(res.content)

        return await timed(label, N_MCP, call)


def pcts(xs: list[float]) -> tuple[float, float]:
    return statistics.median(xs), statistics.quantiles(xs, n=100)[98]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "risk.toml").write_text(RISK)
        config = folder / "node.toml"
        config.write_text(CONFIG.replace("{risk}", str(folder / "risk.toml")))
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALEPH_")} | {"ALEPH_DATA_DIR": tmp}
        env["ALEPH_LOG__LEVEL"] = "WARNING"  # not a line per call from the servers under test
        local = asyncio.run(in_process(folder, config))
        proc, address = start_node(folder, config, env)
        try:
            remote = asyncio.run(attached(address))
            mcp_attached = asyncio.run(mcp_call(["--node", address], env, "MCP attached"))
        finally:
            proc.terminate()
            proc.wait(15)
        mcp_embedded = asyncio.run(mcp_call([], env | {"ALEPH_DATA_DIR": str(folder / "embedded")}, "MCP embedded"))
    rows, result = [], {}
    for call in ("ticker", "propose+confirm"):
        (b50, b99), (r50, r99) = pcts(local[call]), pcts(remote[call])
        rows.append([call, f"{b50:.3f}", f"{b99:.3f}", f"{r50:.3f}", f"{r99:.3f}", f"{r50 / b50:.1f}x"])
        result[call] = {"in_process_p50_ms": b50, "in_process_p99_ms": b99, "grpc_p50_ms": r50, "grpc_p99_ms": r99}
    show(
        f"engine service: in process (baseline) vs a gRPC client of `aleph node` ({N_READ:,} reads, {N_ORDER} orders)",
        ["call", "in process p50 ms", "p99", "gRPC p50 ms", "p99", "ratio p50"],
        rows,
    )
    (e50, e99), (a50, a99) = pcts(mcp_embedded), pcts(mcp_attached)
    show(
        f"MCP get_ticker over stdio ({N_MCP:,} calls): embedded paper node (baseline) vs attached to a node",
        ["surface", "p50 ms", "p99 ms"],
        [
            ["aleph mcp (embedded)", f"{e50:.3f}", f"{e99:.3f}"],
            ["aleph mcp --node (attached)", f"{a50:.3f}", f"{a99:.3f}"],
            ["attached - embedded", f"{a50 - e50:+.3f}", f"{a99 - e99:+.3f}"],
        ],
    )
    result["mcp"] = {"embedded_p50_ms": e50, "embedded_p99_ms": e99, "attached_p50_ms": a50, "attached_p99_ms": a99}
    save("node_attach", result)


if __name__ == "__main__":
    main()
