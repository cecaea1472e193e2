"""`aleph node` as a person runs it: a subprocess from an empty folder with its own data folder,
two MCP clients attached over the real MCP stdio client (`aleph mcp --node`), the operator's CLI
(`aleph approve/halt/status/positions/fills/resume --node`), SIGKILL and a restart."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.integration.test_cli import ALEPH
from tests.support.running import Running
from tests.support.servers import free_port, nats_server, port_open

pytestmark = pytest.mark.slow

OPERATOR_TOKEN = "o" * 40
INST = "paper-a:BTCUSDT"
CONFIG = """
[node]
name = "test-node"
timer_ms = 200

[market]
speed = 1.0

[[venue]]
name = "paper-a"
kind = "paper"
symbol = "BTCUSDT"
tick_size = "0.10"
lot_size = "0.001"
taker_bps = 1
maker_bps = 0
"""


class Env:
    def __init__(self, tmp: Path) -> None:
        self.cwd = tmp / "empty"
        self.cwd.mkdir(parents=True)
        self.data = tmp / "data"
        self.config = tmp / "node.toml"
        self.config.write_text(CONFIG)
        self.vars = {
            **os.environ,
            "HOME": str(tmp / "home"),
            "ALEPH_DATA_DIR": str(self.data),
            "ALEPH_OPERATOR_TOKEN": OPERATOR_TOKEN,
            "XDG_CACHE_HOME": os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache")),
        }
        self.vars.pop("ALEPH_NODE", None)

    def run(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*ALEPH, *args], capture_output=True, text=True, timeout=120, env=env or self.vars, cwd=self.cwd
        )

    def json(self, *args: str) -> Any:
        out = self.run(*args, "--json")
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)


@contextmanager
def node(env: Env, *extra: str) -> Iterator[tuple[Running, str]]:
    proc = subprocess.Popen(
        [*ALEPH, "node", "--config", str(env.config), "--grpc-port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env.vars,
        cwd=env.cwd,
    )
    running = Running(proc)
    try:
        running.read_until("gRPC: ", 60)
        line = next(x for x in running.lines if x.startswith("gRPC: "))
        yield running, line.split()[1]
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


@asynccontextmanager
async def node_in_thread(env: Env, *extra: str) -> AsyncIterator[tuple[Running, str]]:
    """``node`` for an async test: waiting for it must not block the loop that serves its peers."""
    cm = node(env, *extra)
    started = await asyncio.to_thread(cm.__enter__)
    try:
        yield started
    finally:
        await asyncio.to_thread(cm.__exit__, None, None, None)


@asynccontextmanager
async def mcp_client(env: Env, address: str) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(
        command=ALEPH[0], args=[*ALEPH[1:], "mcp", "--node", address], env=env.vars, cwd=str(env.cwd)
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


async def call(session: ClientSession, tool: str, args: dict[str, Any] | None = None) -> tuple[bool, Any]:
    result = await session.call_tool(tool, args or {})
    text = "".join(getattr(c, "text", "") for c in result.content)
    if result.isError:
        return False, text
    return True, result.structuredContent.get(
        "result", result.structuredContent
    ) if result.structuredContent else json.loads(text)


async def market(session: ClientSession, instrument: str = INST) -> None:
    """Until the node's book has a market (its replay has reached the capture's first snapshot)."""
    for _ in range(100):
        ok, ticker = await call(session, "get_ticker", {"instrument": instrument})
        if ok and ticker["mid"] is not None:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the node's book never got a market")


async def position(session: ClientSession, quantity: str, tries: int = 50) -> bool:
    """Until the node holds ``quantity`` of its first position (a fill on its way back)."""
    for _ in range(tries):
        ok, positions = await call(session, "get_positions")
        if ok and positions and Decimal(positions[0]["quantity"]) == Decimal(quantity):
            return True
        await asyncio.sleep(0.1)
    return False


def test_two_mcp_clients_and_the_cli_share_one_node_which_survives_sigkill(tmp_path: Path) -> None:
    env = Env(tmp_path)
    with node(env) as (proc, address):

        async def surfaces() -> None:
            async with mcp_client(env, address) as a, mcp_client(env, address) as b:
                await market(a)
                ok, ticket = await call(a, "propose_order", {"instrument": INST, "side": "buy", "quantity": "0.010"})
                assert ok and ticket["needs_approval"] and ticket["risk_ok"], ticket
                tid = ticket["ticket_id"]
                ok, text = await call(b, "confirm_order", {"ticket_id": tid})  # b sees a's ticket: not yet
                assert not ok and "approval" in text
                waiting = env.json("tickets", "--node", address)
                assert [t["ticket_id"] for t in waiting] == [tid] and waiting[0]["origin"] == "agent"
                approved = env.run("approve", tid, "--node", address)
                assert approved.returncode == 0, approved.stderr
                ok, placed = await call(a, "confirm_order", {"ticket_id": tid})
                assert ok and placed["placed"], placed
                for _ in range(50):  # the market order fills on the node's next book update
                    ok, positions = await call(b, "get_positions")
                    if positions and positions[0]["quantity"] == "0.010":
                        break
                    await asyncio.sleep(0.1)
                assert positions[0]["instrument"] == INST and positions[0]["quantity"] == "0.010", positions
                halted = env.run("halt", "test: stop now", "--node", address)
                assert halted.returncode == 0, halted.stderr
                ok, risk = await call(a, "get_risk_status")
                assert ok and risk["state"] == "HALTED" and "stop now" in json.dumps(risk["halts"])
                ok, refused = await call(b, "propose_order", {"instrument": INST, "side": "buy", "quantity": "0.001"})
                assert ok and not refused["risk_ok"] and "HALT" in refused["risk_verdict"].upper()

        asyncio.run(surfaces())
        status = env.json("status", "--node", address)
        assert status["trading_state"] == "HALTED" and status["account"]["fills"] >= 1
        positions, fills = env.json("positions", "--node", address), env.json("fills", "--node", address)
        proc.proc.send_signal(signal.SIGKILL)
        proc.proc.wait(10)

    with node(env) as (proc, address):
        after = env.json("status", "--node", address)
        assert after["trading_state"] == "HALTED" and "stop now" in after["halt_reason"]
        assert env.json("positions", "--node", address) == positions
        assert env.json("fills", "--node", address) == fills
        refused = env.run("resume", "--yes", "--node", address, env={**env.vars, "ALEPH_OPERATOR_TOKEN": "x" * 40})
        assert refused.returncode == 2 and "operator" in refused.stderr
        resumed = env.run("resume", "--yes", "--node", address)
        assert resumed.returncode == 0 and "ACTIVE" in resumed.stdout, resumed.stderr
        t0 = time.monotonic()
        proc.proc.send_signal(signal.SIGINT)
        assert proc.proc.wait(10) == 0 and time.monotonic() - t0 < 10
        proc.read_until("node stopped")


def test_a_node_refuses_what_it_cannot_do_and_overwrites_nothing(tmp_path: Path) -> None:
    env = Env(tmp_path)
    env.config.write_text(CONFIG.replace('kind = "paper"', 'kind = "kraken"'))
    bad = env.run("node", "--config", str(env.config), "--grpc-port", "0")
    assert bad.returncode == 2 and "kind" in bad.stderr and "kraken" in bad.stderr
    assert not env.data.exists()
    env.config.write_text(CONFIG)
    with node(env) as (_, address):
        port = int(address.rsplit(":", 1)[1])
        journal = env.data / "node" / "journal.db"
        held = env.run("node", "--config", str(env.config), "--grpc-port", "0")
        assert held.returncode == 2 and "journal" in held.stderr.lower(), held.stderr
        table = env.run("status", "--node", address)  # the table a person reads
        assert table.returncode == 0 and "test-node" in table.stdout and "ACTIVE" in table.stdout, table.stderr
        assert "paper-a" in table.stdout and "agreed with the journal" in table.stdout
        other = Env(tmp_path / "other")
        taken = other.run("node", "--config", str(env.config), "--grpc-port", str(port))
        assert taken.returncode == 2 and "grpc_port" in taken.stderr, taken.stderr
        assert journal.is_file()
    newer = Env(tmp_path / "newer")
    (newer.data / "node").mkdir(parents=True)
    db = sqlite3.connect(newer.data / "node" / "journal.db")
    db.execute("CREATE TABLE journal (seq INTEGER PRIMARY KEY, body BLOB)")
    db.execute("PRAGMA user_version=99")
    db.commit()
    db.close()
    before = (newer.data / "node" / "journal.db").read_bytes()
    refused = newer.run("node", "--config", str(env.config), "--grpc-port", "0")
    assert refused.returncode == 2 and "schema version 99" in refused.stderr, refused.stderr
    assert (newer.data / "node" / "journal.db").read_bytes() == before
    exposed = env.run("node", "--config", str(env.config), "--grpc-port", "0", "--host", "0.0.0.0")
    assert exposed.returncode == 2 and "ALEPH_GRPC_TOKEN" in exposed.stderr, exposed.stderr
    unreachable = env.run("status", "--node", f"127.0.0.1:{free_port()}")
    assert unreachable.returncode == 2 and "no node answers" in unreachable.stderr
    malformed = env.run("status", "--node", "not a node")
    assert malformed.returncode == 2 and "HOST:PORT" in malformed.stderr


def test_a_strategy_in_another_process_trades_through_the_node_over_nats(tmp_path: Path) -> None:
    env = Env(tmp_path)
    ns = f"t{os.getpid()}{int(time.time())}"
    with nats_server() as url:
        env.config.write_text(CONFIG + f'\n[bus]\nurl = "{url}"\nnamespace = "{ns}"\n')
        with node(env) as (_, address):
            params = json.dumps({"instrument": INST, "levels": 2, "spacing_ticks": 20, "size": "0.001"})
            out = env.run(
                "strategy", "run", "remote-grid", "--kind", "grid", "--params", params,
                "--nats", url, "--namespace", ns, "--seconds", "4",
            )  # fmt: skip
            assert out.returncode == 0, out.stderr
            orders = env.json("orders", "--node", address)
            mine = [o for o in orders if o["origin"] == "strategy:remote-grid"]
            assert mine, (out.stdout, orders)
            assert all(o["status"] in ("cancelled", "filled", "accepted", "cancel_pending") for o in mine)


async def test_the_nodes_telegram_bot_halts_what_every_surface_sees(tmp_path: Path) -> None:
    """`[serve] telegram = true`: the node's own bot (here against a loopback Bot API, the
    internet's Telegram being out of reach) answers its operator from the node's state, and a
    /halt there is the node's halt: `aleph status` says so."""
    from tests.support.fake_telegram import fake_telegram

    token, operator = "123456:" + "A" * 35, 4242
    env = Env(tmp_path)
    async with fake_telegram(token) as tg:
        aleph_toml = tmp_path / "aleph.toml"
        aleph_toml.write_text(f'[agent]\ntelegram_users = [{operator}]\ntelegram_api_url = "{tg.base_url}"\n')
        env.vars |= {"ALEPH_TELEGRAM_TOKEN": token, "ALEPH_CONFIG": str(aleph_toml)}
        env.config.write_text(CONFIG + "\n[serve]\ntelegram = true\n")
        async with node_in_thread(env) as (proc, address):
            await asyncio.to_thread(proc.read_until, "telegram: ")
            tg.push_text(operator, "/status")
            sent = await tg.wait_sent(1, timeout=30)
            assert '"state": "ACTIVE"' in sent[0]["text"], sent
            tg.push_text(operator, "/halt telegram says stop")
            sent = await tg.wait_sent(2, timeout=30)
            assert "HALTED" in sent[1]["text"], sent
            status = await asyncio.to_thread(env.json, "status", "--node", address)
            assert status["trading_state"] == "HALTED" and "telegram says stop" in status["halt_reason"]


async def test_the_nodes_research_schedule_reports_and_tells_telegram(tmp_path: Path) -> None:
    """`[research]`: the node runs the research agent on its schedule (the CPU model proves the
    plumbing): a report under runs/ that `aleph runs ls` lists, the summary on Telegram (the
    loopback Bot API) for the listed users, and a wrong cron refused naming the field."""
    from tests.support.fake_telegram import fake_telegram

    token, operator = "123456:" + "B" * 35, 4343
    env = Env(tmp_path)
    env.config.write_text(CONFIG + '\n[research]\ncron = ["61 * * * *"]\n')
    bad = env.run("node", "--config", str(env.config), "--grpc-port", "0")
    assert bad.returncode == 2 and "research.cron" in bad.stderr and "61 * * * *" in bad.stderr, bad.stderr
    async with fake_telegram(token) as tg:
        aleph_toml = tmp_path / "aleph.toml"
        aleph_toml.write_text(f'[agent]\ntelegram_users = [{operator}]\ntelegram_api_url = "{tg.base_url}"\n')
        env.vars |= {"ALEPH_TELEGRAM_TOKEN": token, "ALEPH_CONFIG": str(aleph_toml)}
        env.config.write_text(CONFIG + "\n[research]\nevery_s = 3600\nmax_backtests = 0\n")
        async with node_in_thread(env) as (proc, address):
            await asyncio.to_thread(proc.read_until, "research: runs on every 3600 s (UTC)")
            await asyncio.to_thread(proc.read_until, "written (sent to 1 user(s))", 300)
            line = next(x for x in proc.lines if "written (sent to" in x)
            sent = await tg.wait_sent(1, timeout=30)
            assert sent[0]["chat_id"] == operator and sent[0]["text"].startswith("Research run "), sent
            listed = await asyncio.to_thread(env.json, "runs", "ls")
            assert [r["strategy"] for r in listed] == ["research"] and listed[0]["run"] in line, (listed, line)
            status = await asyncio.to_thread(env.json, "status", "--node", address)
            assert status["trading_state"] == "ACTIVE"  # the run read the node; it changed nothing
            # `aleph research --node`: the command's run attaches to this node (no embedded desk of
            # its own is made) and says in one line that its model did not answer.
            attached = await asyncio.to_thread(
                env.run, "research", "--node", address, "--endpoint", "http://127.0.0.1:9", "--model", "m"
            )
            assert attached.returncode == 2 and "did not answer" in attached.stderr, attached.stderr
            assert "Traceback" not in attached.stderr and not (env.data / "research-desk").exists()


async def test_paper_venues_follow_a_live_book_or_say_they_replay(tmp_path: Path) -> None:
    """`[market] live`: the node's paper venues follow a live venue's public book (Binance's
    loopback emulator here: the internet's venues are out of reach); an unreachable venue is a
    printed note and the capture instead."""
    from alephtx.emulators.base import Account
    from alephtx.emulators.binance import BinanceEmulator

    env = Env(tmp_path)
    emu = BinanceEmulator(account=Account("live-key1", "live-secret1"), speed=4.0)
    await emu.start()
    try:
        live = f'\n[market]\nlive = "binance-usdm"\nlive_rest = "{emu.url}"\nlive_ws = "{emu.ws_url}"\n'
        env.config.write_text(CONFIG.replace("[market]\nspeed = 1.0\n", "") + live)
        async with node_in_thread(env) as (proc, address):  # the emulator is served by this loop
            await asyncio.to_thread(proc.read_until, "follow the live book of binance-usdm BTCUSDT")
            await asyncio.sleep(2)
            status = await asyncio.to_thread(env.json, "status", "--node", address)
            market = status["venues"][0]["market"]
            assert market.startswith("live binance-usdm BTCUSDT") and not market.endswith("(0 book updates)"), market
    finally:
        await emu.stop()
    dead = '\n[market]\nlive = "binance-usdm"\nlive_rest = "http://127.0.0.1:9"\nlive_ws = "ws://127.0.0.1:9"\n'
    env.config.write_text(CONFIG.replace("[market]\nspeed = 1.0\n", "") + dead)
    async with node_in_thread(env) as (proc, address):
        await asyncio.to_thread(proc.read_until, "cannot be reached: replaying the capture instead")
        status = await asyncio.to_thread(env.json, "status", "--node", address)
        assert status["venues"][0]["market"].startswith("replay "), status


def test_sigkill_at_random_moments_while_strategies_trade(tmp_path: Path) -> None:
    """The crash test against the node process: a market maker and a grid trade on the node,
    which is killed with SIGKILL at a random moment, three times; each restart finds every fill
    once (no fill twice), positions equal to the sum of the fills, nothing lost, and a halt set
    before a kill still in force after it."""
    import random
    from decimal import Decimal

    env = Env(tmp_path)
    env.config.write_text(
        CONFIG.replace("timer_ms = 200", "timer_ms = 100").replace("speed = 1.0", "speed = 4.0")
        + '\n[[strategy]]\nname = "grid"\nkind = "grid"\n'
        + 'params = { instrument = "paper-a:BTCUSDT", levels = 3, spacing_ticks = 2, size = "0.001" }\n'
    )
    rng = random.Random(1729)
    seen_fills = 0
    before_kill: set[str] = set()  # the orders of the previous life
    for round_ in range(3):
        with node(env) as (proc, address):
            still_open = {o["client_id"] for o in env.json("orders", "--node", address, "--open")}
            assert not still_open & before_kill, "an order of the killed node is open after its restart"
            rec = env.json("status", "--node", address)["venues"][0]["reconciliation"]
            assert rec == "agreed with the journal" or "marked done" in rec, rec  # lost resting orders: done
            time.sleep(rng.uniform(1.5, 4.0))
            status = env.json("status", "--node", address)
            assert status["trading_state"] == ("HALTED" if round_ == 2 else "ACTIVE"), status
            if round_ == 1:  # halted in the second life: the third finds it halted
                assert env.run("halt", "crash test: stop", "--node", address).returncode == 0
            fills = env.json("fills", "--node", address, "--limit", "10000")
            positions = env.json("positions", "--node", address)
            keys = [(f["client_id"], f["ts_ns"], f["price"], f["quantity"]) for f in fills]
            assert len(keys) == len(set(keys)), "a fill recorded twice"
            assert len(fills) >= seen_fills, "fills lost across a restart"
            seen_fills = len(fills)
            net = sum(Decimal(f["quantity"]) * (1 if f["side"] == "buy" else -1) for f in fills)
            held = sum((Decimal(p["quantity"]) for p in positions), Decimal(0))
            assert held == net, (held, net)
            assert status["strategies"][0]["name"] == "grid"
            before_kill = {o["client_id"] for o in env.json("orders", "--node", address)}
            proc.proc.send_signal(signal.SIGKILL)
            proc.proc.wait(10)
    assert seen_fills > 0, "the strategies never traded: the test would prove nothing"


def test_the_node_serves_mcp_over_http_approvals_and_metrics(tmp_path: Path) -> None:
    """`aleph node --mcp-port --metrics-port`: an MCP client over streamable HTTP (bearer token)
    proposes on the node's own engine, the operator approves on /approvals, the client confirms;
    /metrics counts the order."""
    import httpx
    from mcp.client.streamable_http import streamable_http_client

    env = Env(tmp_path)
    mcp_token = "m" * 40
    env.vars["ALEPH_MCP_TOKEN"] = mcp_token
    mcp_port, metrics_port = free_port(), free_port()
    with node(env, "--mcp-port", str(mcp_port), "--metrics-port", str(metrics_port)) as (proc, address):
        proc.read_until("MCP: ")
        url = f"http://127.0.0.1:{mcp_port}/mcp"
        approvals = f"http://127.0.0.1:{mcp_port}/approvals"
        operator = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}

        async def client() -> None:
            http = httpx.AsyncClient(headers={"Authorization": f"Bearer {mcp_token}"})
            async with http, streamable_http_client(url, http_client=http) as (r, w, _), ClientSession(r, w) as s:
                await s.initialize()
                await market(s)
                ok, ticket = await call(s, "propose_order", {"instrument": INST, "side": "buy", "quantity": "0.010"})
                assert ok and ticket["needs_approval"] and ticket["risk_ok"], ticket
                async with httpx.AsyncClient() as web:
                    assert (await web.get(approvals)).status_code == 401  # no operator token
                    waiting = (await web.get(approvals, headers=operator)).json()["waiting"]
                    assert [t["ticket_id"] for t in waiting] == [ticket["ticket_id"]]
                    posted = await web.post(f"{approvals}/{ticket['ticket_id']}", headers=operator)
                    assert posted.status_code == 200, posted.text
                ok, placed = await call(s, "confirm_order", {"ticket_id": ticket["ticket_id"]})
                assert ok and placed["placed"], placed

        asyncio.run(client())
        assert httpx.get(url).status_code == 401  # the MCP endpoint wants its token
        text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
        assert 'aleph_orders_total{origin="agent"} 1.0' in text, text[:2000]
        assert env.json("orders", "--node", address)[0]["origin"] == "agent"


def test_a_node_on_postgresql_keeps_its_positions_and_refuses_a_second_node(tmp_path: Path) -> None:
    """`[journal] url = "postgresql://…"` (a real PostgreSQL): the node's fills and positions
    are there after SIGKILL and a restart, and a second node on the same table is refused."""
    import uuid

    from tests.support.servers import postgres_server

    env = Env(tmp_path)
    table = f"node_{uuid.uuid4().hex[:12]}"
    with postgres_server() as dsn:
        env.config.write_text(CONFIG + f'\n[journal]\nurl = "{dsn}"\ntable = "{table}"\n')
        try:
            with node(env) as (proc, address):

                async def trade() -> None:
                    async with mcp_client(env, address) as a:
                        await market(a)
                        ok, t = await call(
                            a, "propose_order", {"instrument": INST, "side": "sell", "quantity": "0.002"}
                        )
                        assert ok and not t["needs_approval"], t
                        ok, placed = await call(a, "confirm_order", {"ticket_id": t["ticket_id"]})
                        assert ok and placed["placed"], placed

                asyncio.run(trade())
                second = Env(tmp_path / "second")
                second.config.write_text(env.config.read_text())
                refused = second.run("node", "--config", str(second.config), "--grpc-port", "0")
                assert refused.returncode == 2 and "in use" in refused.stderr and dsn not in refused.stderr
                for _ in range(50):
                    positions = env.json("positions", "--node", address)
                    if positions and positions[0]["quantity"] == "-0.002":
                        break
                    time.sleep(0.1)
                assert positions[0]["quantity"] == "-0.002", positions
                proc.proc.send_signal(signal.SIGKILL)
                proc.proc.wait(10)
            with node(env) as (_, address):
                assert env.json("positions", "--node", address) == positions
        finally:
            import psycopg

            with psycopg.connect(dsn, autocommit=True) as db:
                db.execute(f"DROP TABLE IF EXISTS {table}")


async def frozen_for(proc: Running, seconds: float) -> None:
    """SIGSTOP the node for ``seconds`` (it stops answering, as a hung process would), then SIGCONT."""
    os.kill(proc.proc.pid, signal.SIGSTOP)
    try:
        await asyncio.sleep(seconds)
    finally:
        os.kill(proc.proc.pid, signal.SIGCONT)


async def open_orders_gone(session: ClientSession, tries: int = 100) -> list[Any]:
    """Until the node has no open order (a cancel on its way back); what is left otherwise."""
    still: list[Any] = []
    for _ in range(tries):
        _, still = await call(session, "get_open_orders")
        if not still:
            break
        await asyncio.sleep(0.1)
    return still


LIVE = "bnt:BTCUSDT"
LIVE_KEY, LIVE_SECRET = "k" * 40, "s" * 40


@asynccontextmanager
async def binance_node_config(env: Env, name: str, venue_extra: str = "", node_extra: str = "") -> AsyncIterator[Any]:
    """Binance's loopback emulator (the internet's venues are out of reach; the adapter, its
    signer and ccxt are the real ones) and a node config with one `binance-usdm` venue ("bnt")
    on it, its risk limits allowing a position; yields the emulator. The keys are the caller's
    to put in ``env.vars`` (ALEPH_BNT_API_KEY/SECRET: LIVE_KEY, LIVE_SECRET)."""
    from alephtx.emulators.base import Account
    from alephtx.emulators.binance import BinanceEmulator

    risk = env.config.parent / "risk.toml"
    risk.write_text(f'[instrument."{LIVE}"]\nmax_position = "1"\n[agent]\nmax_order_notional = "1000"\n')
    emu = BinanceEmulator(account=Account(LIVE_KEY, LIVE_SECRET), speed=4.0)
    await emu.start()
    try:
        env.config.write_text(
            f'[node]\nname = "{name}"\n{node_extra}[risk]\nlimits = "{risk}"\n[[venue]]\nname = "bnt"\n'
            f'kind = "binance-usdm"\nsymbol = "BTCUSDT"\nrest_url = "{emu.url}"\nws_url = "{emu.ws_url}"\n{venue_extra}'
        )
        yield emu
    finally:
        await emu.stop()


def with_keys(env: Env, secret: str = LIVE_SECRET) -> None:
    env.vars |= {"ALEPH_BNT_API_KEY": LIVE_KEY, "ALEPH_BNT_API_SECRET": secret}


async def test_a_live_venue_kind_trades_through_the_node(tmp_path: Path) -> None:
    """`kind = "binance-usdm"` on Binance's loopback emulator: the instrument comes from the
    venue, its book from the venue's stream, an agent's ticket is placed on the venue and its fill
    comes back by polling. A missing key, a wrong secret and mainnet without the acknowledgement
    are refused at start with the setting named."""
    env = Env(tmp_path)
    async with binance_node_config(env, "live", venue_extra="poll_ms = 200\n", node_extra="timer_ms = 100\n") as emu:
        missing = await asyncio.to_thread(env.run, "node", "--config", str(env.config), "--grpc-port", "0")
        assert missing.returncode == 2 and "ALEPH_BNT_API_KEY" in missing.stderr, missing.stderr
        with_keys(env, "w" * 40)
        wrong = await asyncio.to_thread(env.run, "node", "--config", str(env.config), "--grpc-port", "0")
        assert wrong.returncode == 2 and "bnt" in wrong.stderr and "-1022" in wrong.stderr, wrong.stderr
        assert "w" * 40 not in wrong.stderr and "Traceback" not in wrong.stderr
        with_keys(env)
        env.config.write_text(env.config.read_text() + "testnet = false\n")
        mainnet = await asyncio.to_thread(env.run, "node", "--config", str(env.config), "--grpc-port", "0")
        assert mainnet.returncode == 2 and "ALEPH_I_UNDERSTAND_MAINNET" in mainnet.stderr, mainnet.stderr
        assert LIVE_SECRET not in mainnet.stderr + missing.stderr
        env.config.write_text(env.config.read_text().replace("testnet = false\n", ""))
        async with node_in_thread(env) as (_, address), mcp_client(env, address) as a:
            await market(a, LIVE)
            ok, t = await call(a, "propose_order", {"instrument": LIVE, "side": "buy", "quantity": "0.002"})
            assert ok and t["risk_ok"] and not t["needs_approval"], t
            ok, placed = await call(a, "confirm_order", {"ticket_id": t["ticket_id"]})
            assert ok and placed["placed"], placed
            assert await position(a, "0.002"), "the fill never came back"
            status = await asyncio.to_thread(env.json, "status", "--node", address)
            v = status["venues"][0]
            assert v["kind"] == "binance-usdm" and v["connected"] and v["market"].startswith("testnet stream"), v
            assert any(f.quantity == 2 for f in emu.venue.fills), emu.venue.fills  # the venue's own record


async def test_a_binance_venues_reports_are_pushed_by_its_user_data_stream(tmp_path: Path) -> None:
    """With polling all but off (poll_ms = 60000), a fill reaches the node through Binance's
    user-data stream (listenKey, ORDER_TRADE_UPDATE); when the venue expires the listenKey the
    node takes a new one and the next fill arrives the same way; a fill made while the stream
    cannot be reopened is fetched from the venue when it reconnects."""
    env = Env(tmp_path)
    with_keys(env)
    order = {"instrument": LIVE, "side": "buy", "quantity": "0.002"}
    async with (
        binance_node_config(env, "push", venue_extra="poll_ms = 60000\n") as emu,
        node_in_thread(env) as (_, address),
        mcp_client(env, address) as a,
    ):
        await market(a, LIVE)
        for expected in ("0.002", "0.004"):
            ok, t = await call(a, "propose_order", order)
            ok, placed = await call(a, "confirm_order", {"ticket_id": t["ticket_id"]})
            assert ok and placed["placed"], placed
            assert await position(a, expected), expected  # within 5 s: pushed, not polled
            status = await asyncio.to_thread(env.json, "status", "--node", address)
            assert "reports pushed" in status["venues"][0]["market"], status["venues"][0]
            if expected == "0.002":
                await emu.expire_listen_keys()
                for _ in range(50):  # the node takes a new key
                    if emu.listen_keys:
                        break
                    await asyncio.sleep(0.1)
                assert emu.listen_keys, "no new listenKey after the old one expired"
        # Down for a while: a fill meanwhile is never pushed; the reconnect reconciles it in.
        emu.refuse_user_streams = True
        await emu.expire_listen_keys()
        await asyncio.sleep(0.5)
        ok, t = await call(a, "propose_order", order)
        ok, placed = await call(a, "confirm_order", {"ticket_id": t["ticket_id"]})
        assert ok and placed["placed"], placed
        await asyncio.sleep(1.0)
        ok, positions = await call(a, "get_positions")
        assert positions[0]["quantity"] == "0.004", positions  # not pushed, not polled yet
        emu.refuse_user_streams = False
        assert await position(a, "0.006", tries=100)
        for _ in range(50):  # the catch-up ends after the fill it fetched has landed
            status = await asyncio.to_thread(env.json, "status", "--node", address)
            if "caught up after" in status["venues"][0]["market"]:
                break
            await asyncio.sleep(0.1)
        assert "caught up after" in status["venues"][0]["market"], status["venues"][0]
        assert not status["venues"][0]["halted"], status["venues"][0]  # trading went on meanwhile


async def test_the_venues_dead_mans_switch_cancels_when_the_node_goes_silent(tmp_path: Path) -> None:
    """`cancel_on_disconnect_s`: the node arms Binance's countdownCancelAll and refreshes it; frozen
    (SIGSTOP) past the countdown, the venue (its emulator) cancels the node's resting order; woken
    up, the node learns of the cancel from the venue."""
    env = Env(tmp_path)
    with_keys(env)
    async with (
        binance_node_config(env, "dms", venue_extra="cancel_on_disconnect_s = 1.5\n") as emu,
        node_in_thread(env) as (proc, address),
        mcp_client(env, address) as a,
    ):
        await market(a, LIVE)
        ok, ticker = await call(a, "get_ticker", {"instrument": LIVE})
        price = f"{float(ticker['bid']) * 0.99:.1f}"  # rests: far below the market, inside the band
        limit = {"instrument": LIVE, "side": "buy", "quantity": "0.002", "type": "limit", "price": price}
        ok, t = await call(a, "propose_order", limit)
        ok, placed = await call(a, "confirm_order", {"ticket_id": t["ticket_id"]})
        assert ok and placed["placed"] and placed["status"] == "accepted", placed
        await asyncio.sleep(1.0)  # beats keep the switch from firing
        assert len(await emu.venue.get_open_orders()) == 1 and emu.countdown_fired == 0
        status = await asyncio.to_thread(env.json, "status", "--node", address)
        assert "cancel-on-disconnect 1.5 s" in status["venues"][0]["market"], status["venues"][0]
        await frozen_for(proc, 3.0)
        assert emu.countdown_fired == 1 and not await emu.venue.get_open_orders()
        still = await open_orders_gone(a)
        assert not still, still  # the node saw the venue's cancel


def test_halt_and_resume_local_change_the_data_folders_state_without_a_node(tmp_path: Path) -> None:
    """`--local`: no node is asked (not even one answering at 127.0.0.1:50051); the data folder's
    stored state changes, which nodes started on it read."""
    env = Env(tmp_path)
    halted = env.run("halt", "maintenance", "--local")
    assert halted.returncode == 0 and '"HALTED"' in halted.stdout, halted.stderr
    assert json.loads(env.run("risk-state").stdout)["state"] == "HALTED"
    resumed = env.run("resume", "--yes", "--local")
    assert resumed.returncode == 0 and "ACTIVE" in resumed.stdout, resumed.stderr
    assert json.loads(env.run("risk-state").stdout)["state"] == "ACTIVE"


async def test_the_watchdog_takes_a_silent_venues_price_away_and_gives_it_back(tmp_path: Path) -> None:
    """The venue's stream goes quiet (the emulator keeps the socket open and sends nothing): within
    5 s the node says the venue is silent and refuses to price orders against its stale book;
    when the stream talks again, the node resyncs and orders pass again."""
    env = Env(tmp_path)
    with_keys(env)
    order = {"instrument": LIVE, "side": "buy", "quantity": "0.002"}
    async with (
        # 3 s of silence (the default is 4): "within 5 s" holds with room for this loop's
        # subprocess calls on a loaded machine (each `aleph status` is a process of its own).
        binance_node_config(env, "watch", venue_extra="stream_silence_s = 3\n", node_extra="timer_ms = 250\n") as emu,
        node_in_thread(env) as (_, address),
        mcp_client(env, address) as a,
    ):
        await market(a, LIVE)
        ok, t = await call(a, "propose_order", order)
        assert ok and t["risk_ok"], t
        emu.faults.silence_ws = True
        t0 = time.monotonic()
        for _ in range(100):  # not connected comes first (the stream resyncs), SILENT at the next tick
            status = await asyncio.to_thread(env.json, "status", "--node", address)
            if "SILENT" in status["venues"][0]["market"]:
                break
            await asyncio.sleep(0.1)
        assert "SILENT" in status["venues"][0]["market"] and time.monotonic() - t0 < 5.0, status["venues"][0]
        assert not status["venues"][0]["connected"], status["venues"][0]
        ok, t = await call(a, "propose_order", order)
        assert ok and not t["risk_ok"] and "NO_MARKET_PRICE" in t["risk_verdict"], t
        emu.faults.silence_ws = False
        for _ in range(150):
            ok, t = await call(a, "propose_order", order)
            if t["risk_ok"]:
                break
            await asyncio.sleep(0.1)
        assert t["risk_ok"], t
        for _ in range(20):  # the price is back at once; the flag at the node's next timer tick
            status = await asyncio.to_thread(env.json, "status", "--node", address)
            if status["venues"][0]["connected"]:
                break
            await asyncio.sleep(0.1)
        assert status["venues"][0]["connected"], status["venues"][0]


async def test_every_surface_attaches_with_node_as_a_person_runs_it(tmp_path: Path) -> None:
    """`--node` on each surface, as subprocesses from an empty folder: `aleph chat --node` (slash
    commands need no model), `aleph mcp --http --node`, `aleph telegram --node`; and `aleph node
    --host` beyond loopback with ALEPH_GRPC_TOKEN, which every client then needs. The tables of
    `aleph positions` and `aleph tickets`, and `aleph approve --json`."""
    import httpx
    from mcp.client.streamable_http import streamable_http_client

    from tests.support.fake_telegram import fake_telegram

    env = Env(tmp_path)
    grpc_token, mcp_token, tg_token, operator = "g" * 40, "m" * 40, "123456:" + "B" * 35, 4343
    env.vars["ALEPH_GRPC_TOKEN"] = grpc_token
    async with fake_telegram(tg_token) as tg, node_in_thread(env, "--host", "0.0.0.0") as (_, address):
        port = address.rsplit(":", 1)[1]
        local = f"127.0.0.1:{port}"
        no_token = {k: v for k, v in env.vars.items() if k != "ALEPH_GRPC_TOKEN"}
        refused = await asyncio.to_thread(env.run, "status", "--node", local, env=no_token)
        assert refused.returncode == 2 and "ALEPH_GRPC_TOKEN" in refused.stderr, refused.stderr

        chat = await asyncio.to_thread(
            lambda: subprocess.run(
                [*ALEPH, "chat", "--node", local], input="/status\n/quit\n", capture_output=True, text=True,
                timeout=120, env=env.vars, cwd=env.cwd,
            )
        )  # fmt: skip
        assert chat.returncode == 0 and '"state": "ACTIVE"' in chat.stdout, chat.stdout + chat.stderr

        mcp_port = free_port()
        mcp = subprocess.Popen(
            [*ALEPH, "mcp", "--http", "--port", str(mcp_port), "--node", local],
            env={**env.vars, "ALEPH_MCP_TOKEN": mcp_token}, cwd=env.cwd,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{mcp_port}/mcp"
            for _ in range(150):
                if port_open("127.0.0.1", mcp_port):
                    break
                await asyncio.sleep(0.1)
            http = httpx.AsyncClient(headers={"Authorization": f"Bearer {mcp_token}"})
            async with http, streamable_http_client(url, http_client=http) as (r, w, _), ClientSession(r, w) as s:
                await s.initialize()
                await market(s)
                ok, t = await call(s, "propose_order", {"instrument": INST, "side": "buy", "quantity": "0.010"})
                assert ok and t["needs_approval"], t
        finally:
            mcp.terminate()
            mcp.wait(10)
        tickets = await asyncio.to_thread(env.run, "tickets", "--node", local)
        assert tickets.returncode == 0 and t["ticket_id"] in tickets.stdout, tickets.stdout
        approved = await asyncio.to_thread(env.json, "approve", t["ticket_id"], "--node", local)
        assert approved["ticket_id"] == t["ticket_id"] and approved["approved"], approved
        positions = await asyncio.to_thread(env.run, "positions", "--node", local)
        assert positions.returncode == 0 and "instrument" in positions.stdout, positions.stderr

        config = tmp_path / "aleph.toml"
        config.write_text(f'[agent]\ntelegram_users = [{operator}]\ntelegram_api_url = "{tg.base_url}"\n')
        bot = subprocess.Popen(
            [*ALEPH, "telegram", "--node", local],
            env={**env.vars, "ALEPH_TELEGRAM_TOKEN": tg_token, "ALEPH_CONFIG": str(config)}, cwd=env.cwd,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            tg.push_text(operator, "/risk")
            sent = await tg.wait_sent(1, timeout=60)
            assert '"state": "ACTIVE"' in sent[0]["text"], sent
        finally:
            bot.terminate()
            bot.wait(10)


def live_config(venue: str, emu: Any, risk: Path, name: str, tail: str = "") -> str:
    """A node config with one live venue of kind ``venue`` on its emulator, then ``tail``."""
    return (
        f'[node]\nname = "{name}"\n[risk]\nlimits = "{risk}"\n[[venue]]\nname = "{venue}"\nkind = "{venue}"\n'
        f'symbol = "{emu.instrument.symbol}"\nrest_url = "{emu.url}"\nws_url = "{emu.ws_url}"\n{tail}'
    )


# What differs per venue for the node's live path: its emulator (from `aleph emulator`'s table),
# the dead-man's switch's window the venue allows (OKX 10 s at least, Hyperliquid 5 s and the
# request's way, Bybit 3 s once every subscribed stream is dead) and how long the node is frozen
# to see it fire.
SWITCH = {"okx": (10.0, 13.5), "bybit": (3.0, 7.0), "hyperliquid": (6.0, 8.5)}


@pytest.mark.parametrize("venue", ["okx", "bybit", "hyperliquid"])
async def test_a_live_venue_through_the_node_pushed_reconnected_switched_and_restarted(
    venue: str, tmp_path: Path
) -> None:
    """The node on each venue's loopback emulator (the real adapter, signer, ccxt client and
    private WebSocket protocol): a wrong key refused naming the venue and its code; fills pushed
    on the private stream with polling off; the stream killed and refused for a while: a fill
    meanwhile arrives when it reconnects (caught up); the node frozen past the venue's
    dead-man's switch: the venue cancels its resting order and the node learns of it; SIGKILL and
    a restart: the position reconciled, nothing lost or twice. A trade made on the account
    outside the node while the stream was down is adopted when it comes back."""
    import msgspec

    from alephtx.core.model import OrderRequest, OrderType, Side
    from alephtx.emulators.registry import EMULATORS, account_for

    info = EMULATORS[venue]
    inst = f"{venue}:{info.instrument.symbol}"
    who = account_for(venue, env={})
    emu = info.cls(instrument=info.instrument, account=who.account, speed=4.0)
    if venue == "bybit":
        emu.ping_timeout_s = 2.0  # Bybit drops a private socket that stops pinging
    window, frozen = SWITCH[venue]
    env = Env(tmp_path)
    risk = tmp_path / "risk.toml"
    risk.write_text(f'[instrument."{inst}"]\nmax_position = "1"\n[agent]\nmax_order_notional = "1000"\n')
    await emu.start()
    try:
        env.config.write_text(
            live_config(venue, emu, risk, venue, f"poll_ms = 60000\ncancel_on_disconnect_s = {window}\n")
        )
        secret_var = next(k for k in who.exports if k.endswith(("_SECRET", "_PRIVATE_KEY")))
        wrong = "0x" + "b2" * 32 if venue == "hyperliquid" else "w" * 40
        env.vars |= who.exports | {secret_var: wrong}
        refused = await asyncio.to_thread(env.run, "node", "--config", str(env.config), "--grpc-port", "0")
        assert refused.returncode == 2 and f"venue {venue}" in refused.stderr, refused.stderr
        assert wrong not in refused.stderr and "Traceback" not in refused.stderr, refused.stderr
        env.vars |= who.exports
        order = {"instrument": inst, "side": "buy", "quantity": "0.002"}

        async def place(args: dict[str, Any]) -> dict[str, Any]:
            ok, t = await call(a, "propose_order", args)
            assert ok and t["risk_ok"], t
            ok, placed = await call(a, "confirm_order", {"ticket_id": t["ticket_id"]})
            assert ok and placed["placed"], placed
            return dict(placed)

        async def venue_status() -> dict[str, Any]:
            status = await asyncio.to_thread(env.json, "status", "--node", address)
            return dict(status["venues"][0])

        async with node_in_thread(env) as (proc, address), mcp_client(env, address) as a:
            await market(a, inst)
            await place(order)
            assert await position(a, "0.002"), "the fill was not pushed"  # polling is off (60 s)
            assert "reports pushed" in (await venue_status())["market"]
            # The private stream dies and cannot come back for a while: a fill meanwhile, and a
            # trade on the same account made outside the node (on the venue's website, say).
            emu.refuse_user_streams = True
            assert await emu.drop_user_streams() >= 1
            await place(order)
            outside = OrderRequest(emu.instrument.key, Side.BUY, OrderType.MARKET, emu.instrument.size("0.002"))
            await emu.venue.place_order(msgspec.structs.replace(outside, client_id="0" * 26 + "abcdef"))
            await asyncio.sleep(1.0)
            _, positions = await call(a, "get_positions")
            assert Decimal(positions[0]["quantity"]) == Decimal("0.002"), positions  # neither pushed nor polled
            emu.refuse_user_streams = False
            t0 = time.monotonic()
            assert await position(a, "0.006", tries=100), "the reconnect did not catch up and adopt"
            assert time.monotonic() - t0 < 5.0
            for _ in range(50):
                v = await venue_status()
                if "caught up after" in v["market"] and "adopted" in v["reconciliation"]:
                    break
                await asyncio.sleep(0.1)
            assert "caught up after" in v["market"] and not v["halted"], v
            assert "adopted" in v["reconciliation"], v
            # A resting order, then the node frozen past the venue's dead-man's switch.
            _, ticker = await call(a, "get_ticker", {"instrument": inst})
            price = str(int(float(ticker["bid"]) * 0.99))  # whole: within every venue's tick and 5 figures
            await place(order | {"type": "limit", "price": price})
            assert len(await emu.venue.get_open_orders()) == 1
            assert "cancel-on-disconnect" in (await venue_status())["market"]
            await frozen_for(proc, frozen)
            assert emu.countdown_fired == 1 and not await emu.venue.get_open_orders()
            still = await open_orders_gone(a)
            assert not still, still  # the venue's cancel reached the node
            proc.proc.send_signal(signal.SIGKILL)
            proc.proc.wait(10)
        async with node_in_thread(env) as (proc, address), mcp_client(env, address) as a:
            _, positions = await call(a, "get_positions")
            assert Decimal(positions[0]["quantity"]) == Decimal("0.006"), positions
            v = await venue_status()
            assert v["reconciliation"] == "agreed with the journal" and not v["halted"], v
            fills = await asyncio.to_thread(env.json, "fills", "--node", address)
            # The node's two fills once each, and the adoption of the outside trade.
            assert sorted(f["liquidity"] for f in fills) == ["adjust", "taker", "taker"], fills
    finally:
        await emu.stop()


async def test_a_strategy_places_fills_and_cancels_on_a_live_venue(tmp_path: Path) -> None:
    """A grid strategy in the node's config on Bybit's emulator: its orders rest at the venue,
    fill as the market moves (reports pushed) and re-arm; stopped through MCP, it cancels what
    rests; the node's fills and position are the venue's."""
    from alephtx.core.model import OrderStatus
    from alephtx.emulators.registry import EMULATORS, account_for

    info = EMULATORS["bybit"]
    inst = f"bybit:{info.instrument.symbol}"
    who = account_for("bybit", env={})
    emu = info.cls(instrument=info.instrument, account=who.account, speed=4.0)
    env = Env(tmp_path)
    env.vars |= who.exports
    risk = tmp_path / "risk.toml"
    risk.write_text(f'[instrument."{inst}"]\nmax_position = "1"\n')
    await emu.start()
    try:
        grid = f'params = {{ instrument = "{inst}", levels = 3, spacing_ticks = 50, size = "0.002" }}\n'
        env.config.write_text(
            live_config("bybit", emu, risk, "grid-live", f'[[strategy]]\nname = "grid"\nkind = "grid"\n{grid}')
        )
        async with node_in_thread(env) as (_, address), mcp_client(env, address) as a:
            for _ in range(300):  # the grid rests, the market moves through some of it
                resting = await emu.venue.get_open_orders()
                if emu.venue.fills and resting:
                    break
                await asyncio.sleep(0.1)
            assert emu.venue.fills, "the strategy's orders never filled"
            assert resting, "the grid has nothing resting at the venue"
            ok, stopped = await call(a, "stop_strategy", {"name": "grid"})
            assert ok, stopped
            for _ in range(100):
                if not await emu.venue.get_open_orders():
                    break
                await asyncio.sleep(0.1)
            assert not await emu.venue.get_open_orders(), "stopping the strategy left orders at the venue"
            statuses = [o.status for o in emu.venue.orders.values()]
            assert OrderStatus.CANCELLED in statuses and OrderStatus.FILLED in statuses, statuses
            for _ in range(50):  # the last fills and cancels on their way back
                fills = await asyncio.to_thread(env.json, "fills", "--node", address, "--limit", "1000")
                if len(fills) == len(emu.venue.fills):
                    break
                await asyncio.sleep(0.1)
            assert len(fills) == len(emu.venue.fills), (fills, emu.venue.fills)
            _, positions = await call(a, "get_positions")
            venue_qty = emu.venue.matchers[info.instrument.key].position.quantity  # type: ignore[union-attr]
            assert Decimal(positions[0]["quantity"]).scaleb(info.instrument.size_precision) == venue_qty, positions
    finally:
        await emu.stop()
