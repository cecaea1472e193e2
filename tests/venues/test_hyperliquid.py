"""Hyperliquid end to end: our native client (and signer) against the loopback emulator, which
recovers the signer's address from each L1 action signature, as the venue does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from alephtx.core.model import OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from alephtx.core.signers import EvmSigner
from alephtx.core.venues.base import VenueRejected
from alephtx.core.venues.credentials import Credentials
from alephtx.core.venues.hyperliquid.config import HyperliquidConfig
from alephtx.core.venues.hyperliquid.data import HyperliquidBookStream
from alephtx.core.venues.hyperliquid.execution import HyperliquidVenue
from alephtx.core.venues.hyperliquid.parsing import client_id_of, cloid_of
from alephtx.emulators.base import Account
from alephtx.emulators.hyperliquid import BTC_PERP, HyperliquidEmulator

KEY = "0x" + "7d" * 32
INST = BTC_PERP


@pytest.fixture
async def emu() -> AsyncIterator[HyperliquidEmulator]:
    e = HyperliquidEmulator(account=Account(EvmSigner(KEY).address, ""), speed=4.0)
    await e.start()
    await asyncio.wait_for(e.synced.wait(), 10)
    yield e
    await e.stop()


def venue(emu: HyperliquidEmulator, key: str = KEY) -> HyperliquidVenue:
    return HyperliquidVenue(
        [INST], Credentials(private_key=key), HyperliquidConfig(rest_url=emu.url, ws_url=emu.ws_url)
    )


def test_cloids_encode_client_ids_reversibly() -> None:
    for cid in ("ax2F5bcwmO7XC1", "z", "A" * 20):
        assert client_id_of(cloid_of(cid)) == cid and len(cloid_of(cid)) == 34
    with pytest.raises(ValueError, match="client_id"):
        cloid_of("x" * 21)


async def test_orders_round_trip(emu: HyperliquidEmulator) -> None:
    v = venue(emu)
    try:
        bid = emu.venue.books[INST.key].best_bid_price()
        px = bid // 10 * 10 - 1000  # an integer price 100 USD below: always valid, rests
        o = await v.place_order(OrderRequest(INST.key, Side.BUY, OrderType.LIMIT, 200, px, client_id="ax1"))
        assert (o.client_id, o.status, o.quantity, o.price) == ("ax1", OrderStatus.ACCEPTED, 200, px)
        assert [x.client_id for x in await v.get_open_orders()] == ["ax1"]
        assert await v.get_order(INST.key, "nope") is None
        assert (await v.cancel_order(INST.key, "ax1")).status is OrderStatus.CANCELLED
        with pytest.raises(VenueRejected, match="never placed, already canceled"):
            await v.cancel_order(INST.key, "ax1")
        m = await v.place_order(OrderRequest(INST.key, Side.BUY, OrderType.MARKET, 300, client_id="ax2"))
        assert m.status is OrderStatus.FILLED and m.filled == 300
        (pos,) = await v.get_positions()
        assert pos.quantity == 300
        assert sum(f.quantity for f in await v.get_fills()) == 300
        (bal,) = await v.get_balances()
        assert bal.total == emu.venue.cash()
        with pytest.raises(VenueRejected, match="invalid price"):
            await v.place_order(
                OrderRequest(INST.key, Side.BUY, OrderType.LIMIT, 200, px + 1, client_id="ax3")
            )  # 6 sig figs
        ask = emu.venue.books[INST.key].best_ask_price()
        with pytest.raises(VenueRejected, match="Post only order would have immediately matched"):
            await v.place_order(
                OrderRequest(
                    INST.key,
                    Side.BUY,
                    OrderType.LIMIT,
                    200,
                    (ask // 10 + 20) * 10,
                    tif=TimeInForce.POST_ONLY,
                    client_id="ax4",
                )
            )
    finally:
        await v.close()


async def test_a_signature_by_another_wallet_is_refused(emu: HyperliquidEmulator) -> None:
    v = venue(emu, key="0x" + "11" * 32)
    v.address = emu.address  # claims the account but signs with another key
    try:
        with pytest.raises(VenueRejected, match="does not exist"):
            await v.place_order(OrderRequest(INST.key, Side.BUY, OrderType.LIMIT, 200, 100000, client_id="ax9"))
    finally:
        await v.close()
    assert not emu.venue.orders


async def test_a_reused_nonce_is_refused(emu: HyperliquidEmulator) -> None:
    v = venue(emu)
    try:
        v._last_nonce = 10**15  # far ahead of the clock: refused as too far from now
        with pytest.raises(VenueRejected, match="nonce"):
            await v.place_order(OrderRequest(INST.key, Side.BUY, OrderType.LIMIT, 200, 100000, client_id="ax8"))
    finally:
        await v.close()


async def test_l2book_stream_follows_the_venue_and_survives_a_drop(emu: HyperliquidEmulator) -> None:
    emu.faults.drop_ws_next = 1
    s = HyperliquidBookStream(INST, HyperliquidConfig(rest_url=emu.url, ws_url=emu.ws_url))
    stop = asyncio.Event()
    task = asyncio.create_task(s.run(lambda b: None, stop))
    await asyncio.sleep(2.0)
    emu.running.clear()
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.wait_for(task, 15)
    emu.running.set()
    assert s.stats.connects >= 2 and s.stats.messages > 20
    expected = emu._l2()["levels"]
    assert [INST.format_price(p) for p, _ in s.book.depth(20)[0]] == [
        INST.format_price(INST.price(lv["px"])) for lv in expected[0]
    ]


async def test_schedule_cancel_is_the_adapters_dead_mans_switch(emu: HyperliquidEmulator) -> None:
    """scheduleCancel, signed like every action: at least 5 s ahead (1.5 s is raised to 6), no
    time unschedules; once it fires the venue cancels the open orders."""
    import time

    v = venue(emu)
    try:
        assert await v.arm_cancel_on_disconnect(1.5)
        assert emu.countdown_until is not None and 5.0 < emu.countdown_until - time.monotonic() <= 6.0
        assert await v.arm_cancel_on_disconnect(0) and emu.countdown_until is None
        px = emu.venue.books[INST.key].best_bid_price() // 10 * 10 - 1000  # 100 USD below: rests
        await v.place_order(OrderRequest(INST.key, Side.BUY, OrderType.LIMIT, 200, px, client_id="dms1"))
        assert len(await emu.venue.get_open_orders()) == 1
        emu.arm_countdown(0.1)  # the scheduled time coming, shortened
        await asyncio.sleep(0.3)
        assert emu.countdown_fired == 1 and not await emu.venue.get_open_orders()
    finally:
        await v.close()
