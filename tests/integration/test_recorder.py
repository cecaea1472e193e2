"""`aleph data record` as a person runs it, against each venue's emulator (the venues' own public
streams on loopback, replaying the bundled capture): captures rotated and imported into the
catalog, each starting with its header and a snapshot, a dropped stream marked as a gap and
resynchronised, and the recorded dataset replayed to a book."""

from __future__ import annotations

import asyncio
import gzip
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from alephtx.core.signers import EvmSigner
from alephtx.emulators.base import Account
from alephtx.emulators.binance import BinanceEmulator
from alephtx.emulators.bybit import BybitEmulator
from alephtx.emulators.hyperliquid import HyperliquidEmulator
from alephtx.emulators.okx import OkxEmulator
from tests.integration.test_data_catalog import Env

pytestmark = pytest.mark.slow

EMULATORS = {
    "binance-usdm": lambda: BinanceEmulator(account=Account("bk-123456", "bs-123456"), speed=4.0),
    "bybit": lambda: BybitEmulator(account=Account("yk-123456", "ys-123456"), speed=4.0),
    "okx": lambda: OkxEmulator(account=Account("ok-123456", "os-123456", "op-123456"), speed=4.0),
    "hyperliquid": lambda: HyperliquidEmulator(account=Account(EvmSigner("0x" + "3c" * 32).address, ""), speed=4.0),
}
MARKETS = {"binance-usdm": "futures", "bybit": "futures", "okx": "swap", "hyperliquid": "perp"}


async def aleph(env: Env, *args: str, timeout: float = 120) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "alephtx.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env.vars,
        cwd=env.cwd,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode or 0, out.decode(), err.decode()


@pytest.mark.parametrize("venue", list(EMULATORS))
async def test_a_venue_recorded_rotated_imported_and_replayed(tmp_path: Path, venue: str) -> None:
    env = Env(tmp_path)
    emu: Any = EMULATORS[venue]()
    await emu.start()
    try:
        await asyncio.wait_for(emu.synced.wait(), 15)
        sym = emu.instrument.symbol
        urls = ("--rest-url", emu.url, "--ws-url", emu.ws_url)

        async def drop_streams_midway() -> None:  # a dropped connection: marked, resynchronised
            await asyncio.sleep(3.0)
            assert await emu.drop_market_streams() > 0

        dropper = asyncio.create_task(drop_streams_midway())
        code, out, err = await aleph(
            env,
            "data",
            "record",
            venue,
            sym,
            "--hours",
            str(7 / 3600),
            "--rotate-minutes",
            str(3 / 60),
            *urls,
            "--json",
        )
        await dropper
    finally:
        await emu.stop()
    assert code == 0, err
    (summary,) = json.loads(out)
    files = [Path(f) for f in summary["files"]]
    assert len(files) >= 2 and all(f.exists() and f.suffix == ".gz" for f in files), summary  # rotated
    assert str(env.data / "recordings" / venue / sym) in str(files[0])  # the data folder, not the cwd
    lines = gzip.decompress(files[0].read_bytes()).decode().splitlines()
    header = json.loads(lines[0].split(" ", 1)[1])
    assert header["aleph"] == "recording" and header["venue"] == venue and header["symbol"] == sym
    assert header["tick_size"] == emu.instrument.tick_size
    assert summary["gaps"] >= len(files) and summary["messages"] > 20, summary  # rotations + the drop
    assert all("rows" in said for said in summary["imported"]), summary["imported"]

    dataset = f"{venue}/{MARKETS[venue]}/{sym}"
    code, out, err = await aleph(env, "replay", dataset, "--json")
    assert code == 0, (out, err)
    s = json.loads(out)
    assert s["best_bid"] is not None and s["best_ask"] is not None and s["problems"] == [], s
    assert s["messages"].get("trade", 0) > 0, s
    # Each file replays on its own too: it starts with its snapshot.
    code, out, err = await aleph(env, "replay", str(files[-1]), "--json")
    assert code == 0 and json.loads(out)["problems"] == [], (out, err)


async def test_bad_arguments_are_one_line(tmp_path: Path) -> None:
    env = Env(tmp_path)
    for args, words in (
        (("data", "record", "kraken", "BTCUSDT"), "venue='kraken': one of"),
        (("data", "record", "bybit", "BTCUSDT", "--rotate-minutes", "0"), "--rotate-minutes"),
        (("data", "record", "bybit", "BTCUSDT", "--hours", "0"), "--hours"),
    ):
        code, _, err = await aleph(env, *args)
        assert code == 2 and words in err and "Traceback" not in err, (args, err)
    code, _, err = await aleph(  # a venue that cannot be reached
        env,
        "data",
        "record",
        "bybit",
        "BTCUSDT",
        "--hours",
        "0.001",
        "--rest-url",
        "http://127.0.0.1:9",
        "--ws-url",
        "ws://127.0.0.1:9",
    )
    assert code == 2 and "cannot list instruments" in err and "Traceback" not in err, err
    emu = EMULATORS["bybit"]()
    await emu.start()
    try:
        code, _, err = await aleph(
            env, "data", "record", "bybit", "NOPE", "--hours", "0.001", "--rest-url", emu.url, "--ws-url", emu.ws_url
        )
    finally:
        await emu.stop()
    assert code == 2 and "symbol: NOPE not listed by bybit" in err and "Traceback" not in err, err


async def test_the_node_records_while_it_trades(tmp_path: Path) -> None:
    """[record] in node.toml: the node records a venue beside its paper trading; SIGTERM closes
    the open file and imports it."""
    from tests.integration.test_node import Env as NodeEnv

    env = NodeEnv(tmp_path)
    emu: Any = EMULATORS["bybit"]()
    await emu.start()
    try:
        await asyncio.wait_for(emu.synced.wait(), 15)
        env.config.write_text(
            env.config.read_text() + f'\n[record]\nvenue = "bybit"\nsymbols = ["BTCUSDT"]\nrotate_minutes = 0.05\n'
            f'rest_url = "{emu.url}"\nws_url = "{emu.ws_url}"\n'
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "alephtx.cli",
            "node",
            "--config",
            str(env.config),
            "--grpc-port",
            "0",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env.vars,
            cwd=env.cwd,
        )
        assert proc.stdout is not None
        seen = ""
        while "recording bybit BTCUSDT" not in seen:
            line = await asyncio.wait_for(proc.stdout.readline(), 60)
            assert line, (seen, (await proc.stderr.read()).decode() if proc.stderr else "")
            seen += line.decode()
        await asyncio.sleep(6)
        proc.terminate()
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        await emu.stop()
    assert proc.returncode == 0, err.decode()
    files = sorted((env.data / "recordings" / "bybit" / "BTCUSDT").glob("*.gz"))
    assert len(files) >= 2 and not list((env.data / "recordings").rglob("*.part")), files  # rotated, closed
    from alephtx.core.data.catalog import Catalog

    ds = Catalog(env.data / "catalog").dataset("bybit/futures/BTCUSDT")
    assert {i.source for i in ds.imports} == {f.name for f in files} and ds.rows("book") > 0


async def test_record_into_a_folder_and_a_catalog_of_ones_choice(tmp_path: Path) -> None:
    """--folder, --catalog and --no-import each do what they say."""
    env = Env(tmp_path)
    emu: Any = EMULATORS["bybit"]()
    await emu.start()
    try:
        await asyncio.wait_for(emu.synced.wait(), 15)
        urls = ("--rest-url", emu.url, "--ws-url", emu.ws_url)
        hours = str(3 / 3600)
        code, out, err = await aleph(
            env,
            "data",
            "record",
            "bybit",
            "BTCUSDT",
            "--hours",
            hours,
            "--folder",
            str(tmp_path / "caps"),
            "--catalog",
            str(tmp_path / "cat"),
            *urls,
            "--json",
        )
        assert code == 0, err
        (summary,) = json.loads(out)
        assert all(f.startswith(str(tmp_path / "caps" / "bybit" / "BTCUSDT")) for f in summary["files"]), summary
        assert (tmp_path / "cat" / "catalog.json").exists() and not (env.data / "catalog").exists()
        code, out, err = await aleph(
            env, "data", "record", "bybit", "BTCUSDT", "--hours", hours, "--no-import", *urls, "--json"
        )
        assert code == 0, err
        (summary,) = json.loads(out)
        assert summary["files"] and summary["imported"] == [] and not (env.data / "catalog").exists()
        assert all(Path(f).exists() for f in summary["files"])
    finally:
        await emu.stop()
