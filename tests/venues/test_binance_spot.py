"""Binance spot end to end: ccxt.binance and our spot depth client against the loopback emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from alephtx.core.model import OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from alephtx.core.venues.base import VenueRejected
from alephtx.core.venues.binance.config import BinanceSpotConfig
from alephtx.core.venues.binance.data import BinanceSpotBookStream
from alephtx.core.venues.binance.execution import BinanceSpotVenue
from alephtx.core.venues.credentials import Credentials
from alephtx.emulators.base import Account
from alephtx.emulators.binance_spot import BTCUSDT_SPOT, BinanceSpotEmulator

KEY, SECRET = "spotKey3a4b5c", "spotSecret6d7e8f9a"
INST = BTCUSDT_SPOT


@pytest.fixture
async def emu() -> AsyncIterator[BinanceSpotEmulator]:
    e = BinanceSpotEmulator(account=Account(KEY, SECRET), speed=4.0)
    await e.start()
    await asyncio.wait_for(e.synced.wait(), 10)
    yield e
    await e.stop()


def venue(emu: BinanceSpotEmulator) -> BinanceSpotVenue:
    return BinanceSpotVenue([INST], Credentials(KEY, SECRET), BinanceSpotConfig(rest_url=emu.url, ws_url=emu.ws_url))


async def test_spot_orders_and_holdings(emu: BinanceSpotEmulator) -> None:
    v = venue(emu)
    try:
        with pytest.raises(VenueRejected, match="insufficient balance"):
            await v.place_order(
                OrderRequest(INST.key, Side.SELL, OrderType.MARKET, 100, client_id="ax0")
            )  # holds no BTC
        m = await v.place_order(OrderRequest(INST.key, Side.BUY, OrderType.MARKET, 200, client_id="ax1"))
        assert m.status is OrderStatus.FILLED and m.filled == 200
        (pos,) = await v.get_positions()
        assert pos.quantity == 200  # 0.002 BTC held
        bals = {b.asset: b for b in await v.get_balances()}
        assert bals["BTC"].total == 200 and bals["USDT"].total < 100_000 * 10**12
        bid = emu.venue.books[INST.key].best_bid_price()
        o = await v.place_order(OrderRequest(INST.key, Side.SELL, OrderType.LIMIT, 100, bid + 50_000, client_id="ax2"))
        assert o.status is OrderStatus.ACCEPTED
        assert {b.asset: b for b in await v.get_balances()}["BTC"].available == 100  # half locked in the order
        assert [p.quantity for p in await v.get_positions()] == [200]  # the position counts what is locked too
        assert (await v.cancel_order(INST.key, "ax2")).status is OrderStatus.CANCELLED
        ask = emu.venue.books[INST.key].best_ask_price()
        with pytest.raises(VenueRejected, match="immediately match"):
            await v.place_order(
                OrderRequest(
                    INST.key, Side.BUY, OrderType.LIMIT, 100, ask + 20_000, tif=TimeInForce.POST_ONLY, client_id="ax3"
                )
            )
        fills = await v.get_fills()
        assert sum(f.quantity for f in fills) == 200 and all(f.side is Side.BUY for f in fills)
    finally:
        await v.close()


async def test_spot_depth_stream_follows_the_venue(emu: BinanceSpotEmulator) -> None:
    s = BinanceSpotBookStream(INST, BinanceSpotConfig(rest_url=emu.url, ws_url=emu.ws_url))
    stop = asyncio.Event()
    task = asyncio.create_task(s.run(lambda b: None, stop))
    await asyncio.sleep(1.0)
    emu.faults.gap_next = 1
    await asyncio.sleep(1.5)
    emu.running.clear()
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.wait_for(task, 15)
    emu.running.set()
    assert s.stats.messages > 30 and s.stats.gaps >= 1 and s.stats.snapshots >= 2 and not s.book.stale
    assert s.book.depth(50) == emu.venue.books[INST.key].depth(50)
