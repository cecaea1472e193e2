"""OKX end to end: ccxt.okx and our books client against the loopback emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from alephtx.core.model import OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from alephtx.core.venues.base import VenueRejected
from alephtx.core.venues.credentials import Credentials
from alephtx.core.venues.okx.config import OkxConfig
from alephtx.core.venues.okx.data import OkxBookStream
from alephtx.core.venues.okx.execution import OkxVenue
from alephtx.emulators.base import Account
from alephtx.emulators.okx import BTC_SWAP, OkxEmulator

KEY, SECRET, PASS = "okxKey7c1d2e", "okxSecret9a8b7c6d", "okxPass5e4f"
INST = BTC_SWAP


@pytest.fixture
async def emu() -> AsyncIterator[OkxEmulator]:
    e = OkxEmulator(account=Account(KEY, SECRET, PASS), speed=4.0)
    await e.start()
    await asyncio.wait_for(e.synced.wait(), 10)
    yield e
    await e.stop()


def venue(emu: OkxEmulator, passphrase: str = PASS) -> OkxVenue:
    return OkxVenue([INST], Credentials(KEY, SECRET, passphrase), OkxConfig(rest_url=emu.url, ws_url=emu.ws_url))


async def test_orders_round_trip_through_ccxt(emu: OkxEmulator) -> None:
    v = venue(emu)
    try:
        bid = emu.venue.books[INST.key].best_bid_price()
        o = await v.place_order(
            OrderRequest(INST.key, Side.BUY, OrderType.LIMIT, 2, bid - 100 * INST.tick, client_id="ax1")
        )
        assert (o.client_id, o.status, o.quantity) == ("ax1", OrderStatus.ACCEPTED, 2)
        assert [x.client_id for x in await v.get_open_orders()] == ["ax1"]
        assert await v.get_order(INST.key, "nope") is None
        assert (await v.cancel_order(INST.key, "ax1")).client_id == "ax1"
        assert (await v.get_order(INST.key, "ax1")).status is OrderStatus.CANCELLED  # type: ignore[union-attr]
        m = await v.place_order(OrderRequest(INST.key, Side.SELL, OrderType.MARKET, 3, client_id="ax2"))
        assert m.status is OrderStatus.FILLED and m.filled == 3
        (pos,) = await v.get_positions()
        assert pos.quantity == -3
        fills = await v.get_fills()
        assert sum(f.quantity for f in fills) == 3 and fills[0].fee > 0
        (bal,) = await v.get_balances()
        assert bal.total == emu.venue.cash()
        with pytest.raises(VenueRejected, match="Duplicated clOrdId"):
            await v.place_order(OrderRequest(INST.key, Side.SELL, OrderType.MARKET, 3, client_id="ax2"))
        ask = emu.venue.books[INST.key].best_ask_price()
        with pytest.raises(VenueRejected, match="Post only"):
            await v.place_order(
                OrderRequest(
                    INST.key,
                    Side.BUY,
                    OrderType.LIMIT,
                    2,
                    ask + 10 * INST.tick,
                    tif=TimeInForce.POST_ONLY,
                    client_id="ax3",
                )
            )
    finally:
        await v.close()


async def test_wrong_passphrase_is_refused(emu: OkxEmulator) -> None:
    v = venue(emu, passphrase="wrong-pass")
    try:
        with pytest.raises(VenueRejected, match="PASSPHRASE"):
            await v.get_open_orders()
    finally:
        await v.close()


async def test_books_channel_with_checksums_follows_the_venue(emu: OkxEmulator) -> None:
    s = OkxBookStream(INST, OkxConfig(rest_url=emu.url, ws_url=emu.ws_url))
    stop = asyncio.Event()
    task = asyncio.create_task(s.run(lambda b: None, stop))
    await asyncio.sleep(1.0)
    emu.faults.gap_next = 1  # a missing update: prevSeqId breaks and a new snapshot is asked for
    await asyncio.sleep(1.5)
    emu.running.clear()
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.wait_for(task, 15)
    emu.running.set()
    assert s.stats.messages > 50 and s.checksum_failures == 0
    assert s.stats.gaps >= 1 and not s.book.stale
    assert s.book.depth(25) == emu.venue.books[INST.key].depth(25)


async def test_cancel_all_after_arms_the_venues_switch_within_its_bounds(emu: OkxEmulator) -> None:
    """OKX's dead-man's switch takes 10 to 120 s: 1.5 s is raised to 10 (the emulator refuses
    anything else, as OKX does), 0 disarms; once it fires the venue cancels the open orders."""
    import time

    v = venue(emu)
    try:
        assert await v.arm_cancel_on_disconnect(1.5)
        assert emu.countdown_until is not None and 9.5 < emu.countdown_until - time.monotonic() <= 10.0
        assert await v.arm_cancel_on_disconnect(0) and emu.countdown_until is None
        bid = emu.venue.books[emu.instrument.key].best_bid_price()
        await v.place_order(
            OrderRequest(INST.key, Side.BUY, OrderType.LIMIT, 2, bid - 200 * INST.tick, client_id="dms1")
        )
        assert len(await emu.venue.get_open_orders()) == 1
        emu.arm_countdown(0.1)  # the venue's timer running out, shortened
        await asyncio.sleep(0.3)
        assert emu.countdown_fired == 1 and not await emu.venue.get_open_orders()
    finally:
        await v.close()
