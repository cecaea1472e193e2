"""OKX spot end to end: ccxt.okx (tdMode cash) against the loopback emulator."""

from __future__ import annotations

import asyncio

import pytest

from alephtx.core.model import OrderRequest, OrderStatus, OrderType, Side
from alephtx.core.venues.base import VenueRejected
from alephtx.core.venues.credentials import Credentials
from alephtx.core.venues.okx.config import OkxConfig
from alephtx.core.venues.okx.execution import OkxSpotVenue
from alephtx.emulators.base import Account
from alephtx.emulators.okx import BTC_USDT_SPOT, OkxEmulator

INST = BTC_USDT_SPOT


async def test_spot_orders_and_holdings() -> None:
    emu = OkxEmulator(instrument=INST, account=Account("osk-12345", "oss-12345", "osp-12345"), speed=4.0)
    await emu.start()
    v = OkxSpotVenue(
        [INST], Credentials("osk-12345", "oss-12345", "osp-12345"), OkxConfig(rest_url=emu.url, ws_url=emu.ws_url)
    )
    try:
        await asyncio.wait_for(emu.synced.wait(), 10)
        with pytest.raises(VenueRejected, match="Insufficient balance"):
            await v.place_order(OrderRequest(INST.key, Side.SELL, OrderType.MARKET, 100, client_id="ax0"))
        m = await v.place_order(OrderRequest(INST.key, Side.BUY, OrderType.MARKET, 300, client_id="ax1"))
        assert m.status is OrderStatus.FILLED and m.filled == 300
        (pos,) = await v.get_positions()
        assert pos.quantity == 300
        bal = {b.asset: b for b in await v.get_balances()}
        assert bal["BTC"].total == 300 and bal["USDT"].total < 100_000 * 10**12
        ask = emu.venue.books[INST.key].best_ask_price()
        o = await v.place_order(OrderRequest(INST.key, Side.SELL, OrderType.LIMIT, 100, ask + 5_000, client_id="ax2"))
        assert o.status is OrderStatus.ACCEPTED
        with pytest.raises(VenueRejected, match="reduce-only"):
            await v.place_order(
                OrderRequest(INST.key, Side.SELL, OrderType.MARKET, 100, reduce_only=True, client_id="ax3")
            )
    finally:
        await v.close()
        await emu.stop()
