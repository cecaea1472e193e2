"""`aleph up` as a person runs it, and the metrics it serves."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from alephtx.core.engine.up import load_up_config, up
from tests.conftest import ROOT
from tests.integration.test_cli import run
from tests.support.servers import free_port


def test_aleph_up_runs_the_configured_strategies_and_writes_the_report(tmp_path: Path) -> None:
    out = run(
        "up",
        "--json",
        "--out",
        str(tmp_path),
        "--config",
        str(ROOT / "configs" / "strategies.toml"),
        "--risk",
        str(ROOT / "configs" / "risk.toml"),
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert set(report["strategies"]) == {"grid", "trend", "meanrev", "mm", "arb", "multi"}
    assert all(s["status"] == "done" for s in report["strategies"].values())
    assert sum(s["orders"] for s in report["strategies"].values()) > 100
    html = (tmp_path / "report.html").read_text()
    assert "Strategies (USDT)" in html and "data:image/png;base64," in html
    assert (tmp_path / "equity.png").stat().st_size > 5000


def test_a_wrong_strategies_config_names_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "s.toml"
    bad.write_text('[[venue]]\nname = "Paper A"\nsymbol = "X"\ntick_size = "0.1"\nlot_size = "1"\n')
    out = run("up", "--config", str(bad))
    assert out.returncode == 2 and "venue.0.name = 'Paper A'" in out.stderr


async def test_metrics_are_served_while_the_engine_runs(tmp_path: Path) -> None:
    port = free_port()
    cfg = load_up_config(ROOT / "configs" / "strategies.toml")
    _result, _metrics = await up(cfg, ROOT / "configs" / "risk.toml", tmp_path, metrics_port=port)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    for name in (
        "aleph_book_updates_total",
        "aleph_orders_total",
        "aleph_fills_total",
        "aleph_strategy_pnl_usd",
        "aleph_order_ack_seconds_bucket",
        "aleph_position",
    ):
        assert name in text, name
    assert 'aleph_orders_total{origin="strategy:grid"}' in text


async def test_live_paper_trading_on_a_venue_book_and_the_fallback(tmp_path: Path) -> None:
    """--live: the paper venue's market is the live venue's book (here Binance's loopback
    emulator, since the internet is out of reach); an unreachable venue falls back to the replay."""
    from alephtx.emulators.base import Account
    from alephtx.emulators.binance import BinanceEmulator

    cfg = load_up_config(ROOT / "configs" / "strategies.toml")
    emu = BinanceEmulator(account=Account("live-key1", "live-secret1"), speed=4.0)
    await emu.start()
    try:
        notes: list[str] = []
        result, _ = await up(
            cfg,
            ROOT / "configs" / "risk.toml",
            tmp_path / "live",
            live="binance-usdm",
            live_urls=(emu.url, emu.ws_url),
            seconds=3.0,
            notes=notes,
        )
    finally:
        await emu.stop()
    assert any("paper trading on live binance-usdm" in n for n in notes)
    assert any("arb" in n and "not started" in n for n in notes)  # it needs the second venue
    assert result.events > 20
    grid = next(s for s in result.host.status() if s["name"] == "grid")
    assert grid["orders_sent"] >= 6 and grid["error"] == ""
    notes = []
    result, _ = await up(
        cfg,
        ROOT / "configs" / "risk.toml",
        tmp_path / "fallback",
        live="binance-usdm",
        live_urls=("http://127.0.0.1:9", "ws://127.0.0.1:9"),
        notes=notes,
    )
    assert any("cannot be reached: replaying" in n for n in notes) and result.events > 4000


async def test_aleph_up_passes_its_live_options_on(tmp_path: Path) -> None:
    """`aleph up --live --live-rest --live-ws --seconds` as a person types it: the session trades
    on the (loopback emulator's) live book for those seconds; an unreachable venue falls back to
    the replay and says so; the URL overrides without --live are refused."""
    import asyncio
    import os
    import time

    from alephtx.emulators.base import Account
    from alephtx.emulators.binance import BinanceEmulator
    from tests.integration.test_cli import ALEPH

    empty = tmp_path / "empty"
    empty.mkdir()
    env = {**os.environ, "ALEPH_DATA_DIR": str(tmp_path / "data")}

    async def aleph(*args: str) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            *ALEPH, "up", *args, cwd=empty, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await proc.communicate()
        return proc.returncode or 0, out.decode(), err.decode()

    emu = BinanceEmulator(account=Account("live-key1", "live-secret1"), speed=4.0)
    await emu.start()
    try:
        t0 = time.monotonic()
        code, out, err = await aleph(
            "--live", "binance-usdm", "--live-rest", emu.url, "--live-ws", emu.ws_url, "--seconds", "3", "--json"
        )
        took = time.monotonic() - t0
    finally:
        await emu.stop()
    assert code == 0, err
    report = json.loads(out)
    assert any("paper trading on live binance-usdm" in n and "for 3 s" in n for n in report["notes"]), report
    assert took >= 3
    code, out, err = await aleph(
        "--live", "binance-usdm", "--live-rest", "http://127.0.0.1:9", "--live-ws", "ws://127.0.0.1:9", "--json"
    )
    assert code == 0 and any("cannot be reached: replaying" in n for n in json.loads(out)["notes"])
    code, _, err = await aleph("--live-rest", "http://127.0.0.1:9")
    assert code == 2 and "--live" in err
