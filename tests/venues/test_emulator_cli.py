"""`aleph emulator VENUE` as a person runs it: a real subprocess started from an empty folder,
its printed URLs, a plain HTTP client on its endpoints, a venue config pointed at it, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from alephtx.core.model import OrderRequest, OrderStatus, OrderType, Side
from alephtx.core.venues.factory import VenueConfig
from alephtx.core.venues.registry import build
from tests.integration.test_cli import ALEPH, run
from tests.support.running import Running


@contextmanager
def emulator(cwd: Path, *args: str) -> Iterator[Running]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALEPH_")}  # demo keys, not the caller's
    proc = subprocess.Popen(
        [*ALEPH, "emulator", *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    running = Running(proc)
    try:
        running.read_until("Ctrl-C stops it.")
        yield running
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200
        return json.loads(r.read())


@pytest.mark.parametrize(
    ("venue", "path", "symbol"),
    [
        ("binance-usdm", "/fapi/v1/exchangeInfo", "BTCUSDT"),
        ("bybit", "/v5/market/instruments-info?category=linear", "BTCUSDT"),
        ("okx", "/api/v5/public/instruments?instType=SWAP", "BTC-USDT-SWAP"),
    ],
)
def test_the_emulator_serves_its_venue_from_an_empty_folder(venue: str, path: str, symbol: str, tmp_path: Path) -> None:
    with emulator(tmp_path, venue, "--speed", "4") as emu:
        rest = emu.value("rest_url")
        assert rest.startswith("http://127.0.0.1:") and emu.value("ws_url") == rest.replace("http", "ws")
        assert symbol in json.dumps(get_json(rest + path))
        emu.proc.send_signal(signal.SIGINT)
        assert emu.proc.wait(15) == 0
        emu.read_until("stopped")
    assert list(tmp_path.iterdir()) == []  # nothing written where it was started


async def test_a_venue_config_pointed_at_the_emulator_trades(tmp_path: Path) -> None:
    """What the emulator prints is enough to trade: its URLs in a venue config, its demo keys in
    the environment."""
    work = tmp_path / "work"
    work.mkdir()
    with emulator(work, "okx", "--speed", "4") as emu:
        env = emu.exports()
        assert set(env) == {"ALEPH_OKX_API_KEY", "ALEPH_OKX_API_SECRET", "ALEPH_OKX_PASSPHRASE"}
        cfg = VenueConfig("okx", symbols=("BTC-USDT-SWAP",), rest_url=emu.value("rest_url"), ws_url=emu.value("ws_url"))
        parts = await build(cfg, env=env, cache_dir=tmp_path / "cache")
        try:
            inst = parts.instruments.get("BTC-USDT-SWAP")
            req = OrderRequest(inst.key, Side.BUY, OrderType.MARKET, inst.size("0.01"), client_id="emu1")
            o = await parts.adapter.place_order(req)  # the URLs are printed once the venue has a book
            assert o.status is OrderStatus.FILLED
        finally:
            await parts.close()


def test_wrong_arguments_are_named() -> None:
    out = run("emulator", "nowhere")
    assert out.returncode == 2 and "venue='nowhere'" in out.stderr
    out = run("emulator", "bybit", "--capture", "/no/such/capture.gz")
    assert out.returncode == 2 and "capture='/no/such/capture.gz'" in out.stderr


def test_a_chosen_port_and_capture_and_aleph_book_on_the_printed_urls(tmp_path: Path) -> None:
    """--port and --capture are honoured, and `aleph book --rest-url --ws-url` reads the emulator
    it is pointed at, run from the same empty folder."""
    from alephtx.core.config.resources import sample_capture
    from tests.support.servers import free_port

    port = free_port()
    with emulator(tmp_path, "binance-usdm", "--port", str(port), "--capture", str(sample_capture())) as emu:
        rest, ws = emu.value("rest_url"), emu.value("ws_url")
        assert rest == f"http://127.0.0.1:{port}"
        book = subprocess.run(
            [*ALEPH, "book", "binance-usdm", "BTCUSDT", "--rest-url", rest, "--ws-url", ws, "--seconds", "2"],
            cwd=tmp_path, capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"},
        )  # fmt: skip
        assert book.returncode == 0, book.stderr
        assert "BTCUSDT" in book.stdout and "bid" in book.stdout
    assert list(tmp_path.iterdir()) == []
