"""`aleph venues`, `aleph book`, and no key in any log, whatever the venue answered."""

from __future__ import annotations

import asyncio
import logging
import os

import pytest

from alephtx.core.model import OrderRequest, OrderType, Side
from alephtx.core.signers import EvmSigner
from alephtx.core.venues.base import VenueError
from alephtx.core.venues.bybit.config import BybitConfig
from alephtx.core.venues.bybit.execution import BybitVenue
from alephtx.core.venues.credentials import Credentials, from_env
from alephtx.core.venues.hyperliquid.config import HyperliquidConfig
from alephtx.core.venues.hyperliquid.execution import HyperliquidVenue
from alephtx.core.venues.okx.config import OkxConfig
from alephtx.core.venues.okx.execution import OkxVenue
from alephtx.emulators.base import Account
from alephtx.emulators.bybit import BTCUSDT_LINEAR, BybitEmulator
from alephtx.emulators.hyperliquid import BTC_PERP, HyperliquidEmulator
from alephtx.emulators.okx import BTC_SWAP, OkxEmulator
from tests.integration.test_cli import run


def test_aleph_venues_lists_every_venue_with_its_capabilities() -> None:
    out = run("venues", env={**os.environ, "COLUMNS": "250"})
    assert out.returncode == 0
    for name in ("paper", "binance-usdm", "okx", "bybit", "hyperliquid"):
        assert name in out.stdout
    assert "post_only" in out.stdout and "5 significant figures" in out.stdout
    assert out.stdout.count("┃ venue") == 1  # wide: one table, a venue a row


def test_aleph_venues_fits_an_80_column_terminal() -> None:
    out = run("venues", env={**os.environ, "COLUMNS": "80"})
    assert out.returncode == 0
    lines = out.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    titles = [line.strip() for line in lines if line.strip() and line[0] not in "┌│└├"]
    assert titles == ["paper", "binance", "binance-usdm", "okx", "bybit", "hyperliquid"], titles
    assert "gtc, ioc, fok, post_only" in out.stdout and "LIMIT_MAKER" in out.stdout  # no word folded


def test_aleph_book_streams_from_the_emulator() -> None:
    out = run("book", "bybit", "BTCUSDT", "--seconds", "2", "--depth", "3", env={**os.environ, "COLUMNS": "200"})
    assert out.returncode == 0, out.stderr
    assert "bybit BTCUSDT" in out.stdout and "bid" in out.stdout and "0 gaps" in out.stdout
    bad = run("book", "nowhere", "X")
    assert bad.returncode == 2 and "venue='nowhere'" in bad.stderr


def test_credentials_come_from_the_environment_and_never_print() -> None:
    c = from_env(
        "okx", {"ALEPH_OKX_API_KEY": "k-123456", "ALEPH_OKX_API_SECRET": "s-abcdef", "ALEPH_OKX_PASSPHRASE": "p-999999"}
    )
    assert (c.api_key, c.secret, c.passphrase) == ("k-123456", "s-abcdef", "p-999999")
    for text in (repr(c), str(c), f"{c}"):
        assert "k-123456" not in text and "s-abcdef" not in text and "p-999999" not in text


async def test_no_key_reaches_a_log_or_an_error(caplog: pytest.LogCaptureFixture) -> None:
    """A full cycle on three venues, with refusals and faults, logged at DEBUG: no secret anywhere."""
    secrets = {
        "okx": ("okxKeyA1b2C3", "okxSecretD4e5F6", "okxPassG7h8"),
        "bybit": ("bybitKeyI9j0", "bybitSecretK1l2M3", ""),
    }
    hl_key = "0x" + "5e" * 32
    texts: list[str] = []
    with caplog.at_level(logging.DEBUG):
        okx = OkxEmulator(account=Account(*secrets["okx"]), speed=4.0)
        bybit = BybitEmulator(account=Account(*secrets["bybit"]), speed=4.0)
        hyper = HyperliquidEmulator(account=Account(EvmSigner(hl_key).address, ""), speed=4.0)
        for e in (okx, bybit, hyper):
            await e.start()
        await asyncio.gather(*(asyncio.wait_for(e.synced.wait(), 10) for e in (okx, bybit, hyper)))
        venues = [
            OkxVenue([BTC_SWAP], Credentials(*secrets["okx"]), OkxConfig(rest_url=okx.url, ws_url=okx.ws_url)),
            BybitVenue(
                [BTCUSDT_LINEAR], Credentials(*secrets["bybit"]), BybitConfig(rest_url=bybit.url, ws_url=bybit.ws_url)
            ),
            HyperliquidVenue(
                [BTC_PERP], Credentials(private_key=hl_key), HyperliquidConfig(rest_url=hyper.url, ws_url=hyper.ws_url)
            ),
        ]
        okx.faults.rate_limit_next = 1
        bybit.faults.server_error_next = 1
        try:
            for v, inst in zip(venues, (BTC_SWAP, BTCUSDT_LINEAR, BTC_PERP), strict=True):
                await v.get_open_orders()
                await v.place_order(
                    OrderRequest(
                        inst.key, Side.BUY, OrderType.MARKET, 2 if inst is not BTC_PERP else 200, client_id="sx1"
                    )
                )
                try:  # a refusal: the same client id again
                    await v.place_order(
                        OrderRequest(
                            inst.key, Side.BUY, OrderType.MARKET, 2 if inst is not BTC_PERP else 200, client_id="sx1"
                        )
                    )
                except VenueError as exc:
                    texts.append(str(exc))
                texts += [repr(v), str(await v.get_balances())]
        finally:
            for v in venues:
                await v.close()
            for e in (okx, bybit, hyper):
                await e.stop()
    blob = caplog.text + "\n".join(texts)
    assert "ccxt" in caplog.text or "alephtx" in caplog.text  # the logs did say things
    for s in (*secrets["okx"], *secrets["bybit"][:2], hl_key, hl_key[2:]):
        assert s not in blob, f"a secret reached the logs or an error: {s[:4]}…"
