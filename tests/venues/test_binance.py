"""Binance USD-M end to end: the real ccxt client and our WebSocket code against the loopback
emulator, which checks signatures and timestamps as Binance does and fills with the paper engine."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from alephtx.core.engine import Engine
from alephtx.core.journal import SqliteJournal
from alephtx.core.model import OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from alephtx.core.model.accounting import CASH_PRECISION
from alephtx.core.risk import RiskEngine, RiskLimits
from alephtx.core.venues.base import VenueRejected, VenueUnavailable
from alephtx.core.venues.binance.config import BinanceConfig
from alephtx.core.venues.binance.data import BinanceBookStream
from alephtx.core.venues.binance.execution import BinanceUsdmVenue
from alephtx.core.venues.credentials import Credentials
from alephtx.emulators.base import Account
from alephtx.emulators.binance import BTCUSDT, BinanceEmulator

KEY, SECRET = "emuKey9f3b2c7d", "emuSecret4e8a1f6b0c2d"
INST = BTCUSDT


@pytest.fixture
async def emu() -> AsyncIterator[BinanceEmulator]:
    e = BinanceEmulator(account=Account(KEY, SECRET), speed=4.0)
    await e.start()
    await asyncio.wait_for(e.synced.wait(), 10)
    yield e
    await e.stop()


def venue(emu: BinanceEmulator, secret: str = SECRET, **cfg: object) -> BinanceUsdmVenue:
    config = BinanceConfig(rest_url=emu.url, ws_url=emu.ws_url, **cfg)  # type: ignore[arg-type]
    return BinanceUsdmVenue([INST], Credentials(KEY, secret), config)


def limit(side: Side, qty: str, px: int, cid: str, tif: TimeInForce = TimeInForce.GTC) -> OrderRequest:
    return OrderRequest(INST.key, side, OrderType.LIMIT, INST.size(qty), px, tif=tif, client_id=cid)


async def test_orders_round_trip_through_ccxt(emu: BinanceEmulator) -> None:
    v = venue(emu)
    try:
        bid = emu.venue.books[INST.key].best_bid_price()
        o = await v.place_order(limit(Side.BUY, "0.002", bid - 10 * INST.tick, "ax1"))
        assert (o.client_id, o.status, o.quantity, o.price) == ("ax1", OrderStatus.ACCEPTED, 2, bid - 10 * INST.tick)
        assert [x.client_id for x in await v.get_open_orders()] == ["ax1"]
        assert (await v.get_order(INST.key, "ax1")).status is OrderStatus.ACCEPTED  # type: ignore[union-attr]
        assert await v.get_order(INST.key, "nope") is None
        c = await v.cancel_order(INST.key, "ax1")
        assert c.status is OrderStatus.CANCELLED
        with pytest.raises(VenueRejected):
            await v.cancel_order(INST.key, "ax1")
        m = await v.place_order(OrderRequest(INST.key, Side.BUY, OrderType.MARKET, 3, client_id="ax2"))
        assert m.status is OrderStatus.FILLED and m.filled == 3
        (pos,) = await v.get_positions()
        assert pos.quantity == 3
        fills = await v.get_fills()
        assert sum(f.quantity for f in fills) == 3 and all(f.liquidity == "taker" for f in fills)
        (bal,) = await v.get_balances()
        assert bal.asset == "USDT" and bal.total == emu.venue.cash()
        with pytest.raises(VenueRejected, match="duplicated"):
            await v.place_order(OrderRequest(INST.key, Side.BUY, OrderType.MARKET, 3, client_id="ax2"))
        with pytest.raises(VenueRejected, match="Post Only"):
            ask = emu.venue.books[INST.key].best_ask_price()
            await v.place_order(limit(Side.BUY, "0.002", ask + 200 * INST.tick, "ax3", TimeInForce.POST_ONLY))
    finally:
        await v.close()


async def test_engine_trades_on_binance_and_the_journal_matches(emu: BinanceEmulator, tmp_path: object) -> None:
    v = venue(emu)
    limits = RiskLimits.model_validate({"instrument": {INST.key: {"max_position": "1"}}})
    cash = 100_000 * 10**CASH_PRECISION
    e = Engine([INST], {INST.venue: v}, RiskEngine(limits), SqliteJournal(f"{tmp_path}/j.db"), cash)
    try:
        await e.start(compare_cash=True)
        book = emu.venue.books[INST.key]
        e.on_mid(INST.key, book.mid_x2())
        r = await e.submit(OrderRequest(INST.key, Side.BUY, OrderType.MARKET, 5, origin="operator"))
        assert r.ok, r
        await e.oms.catch_up(INST.venue)
        assert e.ledger.positions[INST.key].quantity == 5
        (pos,) = await v.get_positions()
        assert pos.quantity == 5
        assert {f.trade_id for f in await v.get_fills()} == {t for _, t in e.ledger.fills}
    finally:
        await v.close()


async def test_a_wrong_secret_is_refused_and_a_clock_skew_recovered_as_binance_does(
    emu: BinanceEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    bad = venue(emu, secret="not-the-secret")
    try:
        with caplog.at_level(logging.DEBUG), pytest.raises(VenueRejected) as err:
            await bad.get_open_orders()
        assert "Signature for this request is not valid" in str(err.value)
    finally:
        await bad.close()
    good = venue(emu)
    try:
        emu.faults.clock_skew_ms = 20_000  # -1021: the adapter measures the offset and signs with it
        with caplog.at_level(logging.DEBUG):
            assert await good.get_open_orders() == []
        assert good.clock_resyncs == 1 and "differ by" in caplog.text
        assert any(code == 400 for _, path, code in emu.requests if path == "/fapi/v1/openOrders")  # refused once
    finally:
        emu.faults.clock_skew_ms = 0
        await good.close()
    text = caplog.text + str(err.value)
    assert SECRET not in text and KEY not in text


async def test_429_418_and_5xx_are_retried_with_backoff(emu: BinanceEmulator) -> None:
    v = venue(emu)
    try:
        await v.get_open_orders()
        emu.faults.rate_limit_next, emu.faults.retry_after_s = 1, 1
        t0 = time.monotonic()
        assert await v.get_open_orders() == []
        assert time.monotonic() - t0 >= 0.9  # waited for Retry-After
        emu.faults.ban_next = 1
        emu.faults.server_error_next = 2
        assert await v.get_open_orders() == []
        assert v.retries == 4
        statuses = [s for _, p, s in emu.requests if p == "/fapi/v1/openOrders"]
        assert statuses.count(429) == 1 and statuses.count(418) == 1 and statuses.count(503) == 2
        emu.faults.server_error_next = 10
        v.backoff_s = 0.01
        with pytest.raises(VenueUnavailable):
            await v.get_open_orders()
        emu.faults.server_error_next = 0
    finally:
        await v.close()


async def test_the_throttle_keeps_a_burst_under_the_venue_limit(emu: BinanceEmulator) -> None:
    emu.weight_limit, emu.weight_window_s = 12, 1.0
    emu.weight_of = lambda request: 1  # type: ignore[method-assign]
    # ccxt counts 100 ms a unit over a rolling second (the venue's window here): 10 a second.
    v = venue(emu, rate_limit_ms=100, rate_window_s=1.0)
    try:
        await v.get_open_orders()
        t0 = time.monotonic()
        for _ in range(25):
            await v.get_open_orders()
        assert emu.rejected_429 == 0 and v.retries == 0
        assert time.monotonic() - t0 >= 2.0
    finally:
        await v.close()


async def test_a_placement_that_times_out_but_happened_is_adopted_not_duplicated(
    emu: BinanceEmulator, tmp_path: object
) -> None:
    v = venue(emu, timeout_s=1.0)
    e = Engine(
        [INST],
        {INST.venue: v},
        RiskEngine(RiskLimits.model_validate({"instrument": {INST.key: {"max_position": "1"}}})),
        SqliteJournal(f"{tmp_path}/j.db"),
        100_000 * 10**CASH_PRECISION,
    )
    try:
        await e.start()
        e.on_mid(INST.key, emu.venue.books[INST.key].mid_x2())
        emu.faults.place_timeout_next, emu.faults.timeout_s = 1, 2.0
        bid = emu.venue.books[INST.key].best_bid_price()
        far = bid - 5000 * INST.tick  # 500 USD below: it rests for the whole test
        r = await e.submit(OrderRequest(INST.key, Side.BUY, OrderType.LIMIT, 2, far, origin="operator"))
        o = e.ledger.orders[r.client_id]
        assert o.status is OrderStatus.ACCEPTED and o.venue_order_id  # found by lookup
        assert [c for c in emu.venue.orders if c == r.client_id] == [r.client_id]
        assert sum(1 for m, p, _ in emu.requests if m == "POST" and p == "/fapi/v1/order") == 1
    finally:
        await v.close()


async def run_stream(emu: BinanceEmulator, seconds: float, **cfg: object) -> BinanceBookStream:
    s = BinanceBookStream(INST, BinanceConfig(rest_url=emu.url, ws_url=emu.ws_url, **cfg))  # type: ignore[arg-type]
    stop = asyncio.Event()
    task = asyncio.create_task(s.run(lambda book: None, stop))
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait_for(task, 15)
    return s


def same_top(s: BinanceBookStream, emu: BinanceEmulator) -> bool:
    return (s.book.best_bid(), s.book.best_ask()) == (
        emu.venue.books[INST.key].best_bid(),
        emu.venue.books[INST.key].best_ask(),
    )


async def test_book_stream_syncs_and_follows_the_venue(emu: BinanceEmulator) -> None:
    s = BinanceBookStream(INST, BinanceConfig(rest_url=emu.url, ws_url=emu.ws_url))
    stop = asyncio.Event()
    seen: list[bool] = []

    def check(book: object) -> None:
        seen.append(same_top(s, emu))

    task = asyncio.create_task(s.run(check, stop))
    await asyncio.sleep(2.5)
    emu.running.clear()  # let the market stand still, then the client must have the venue's book
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.wait_for(task, 15)
    emu.running.set()
    assert len(seen) > 50 and seen[-1]
    assert s.book.depth(50) == emu.venue.books[INST.key].depth(50)
    assert s.stats.gaps == 0 and s.stats.snapshots >= 1


async def test_dropped_socket_reconnects_and_resyncs(emu: BinanceEmulator) -> None:
    emu.faults.drop_ws_next = 1
    s = await run_stream(emu, 3.0)
    assert s.stats.connects >= 2 and s.stats.snapshots >= 2
    assert not s.book.stale


async def test_a_gap_triggers_a_resync(emu: BinanceEmulator) -> None:
    s = BinanceBookStream(INST, BinanceConfig(rest_url=emu.url, ws_url=emu.ws_url))
    stop = asyncio.Event()
    task = asyncio.create_task(s.run(lambda b: None, stop))
    await asyncio.sleep(1.0)
    emu.faults.gap_next = 1
    await asyncio.sleep(2.0)
    emu.running.clear()
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.wait_for(task, 15)
    emu.running.set()
    # Detected, resynced from a new snapshot, and the book is the venue's again.
    assert s.stats.gaps >= 1 and s.stats.snapshots >= 2 and not s.book.stale
    assert s.book.depth(50) == emu.venue.books[INST.key].depth(50)


async def test_a_silent_stream_is_detected_and_reconnected(emu: BinanceEmulator) -> None:
    s = BinanceBookStream(INST, BinanceConfig(rest_url=emu.url, ws_url=emu.ws_url, silence_timeout_s=0.5))
    stop = asyncio.Event()
    task = asyncio.create_task(s.run(lambda b: None, stop))
    await asyncio.sleep(1.0)
    emu.faults.silence_ws = True
    await asyncio.sleep(1.5)
    emu.faults.silence_ws = False
    await asyncio.sleep(1.5)
    stop.set()
    await asyncio.wait_for(task, 15)
    assert s.stats.silences >= 1 and s.stats.connects >= 2 and not s.book.stale


def test_decimal_strings_not_floats() -> None:
    # The adapter reads prices and sizes from Binance's strings: 0.1 + 0.2 stays exact.
    assert INST.price("61659.70") + INST.price("0.20") == INST.price(str(Decimal("61659.70") + Decimal("0.20")))


async def test_a_restarted_engine_follows_the_resting_orders_it_reconciled(
    emu: BinanceEmulator, tmp_path: object
) -> None:
    """Reconciliation reads the venue's open orders in one listing; a restarted process's adapter
    (which placed none of them) then follows them: the venue cancelling one is seen by polling.
    Polling asks for the open listing, not for each resting order."""
    limits = RiskLimits.model_validate({"instrument": {INST.key: {"max_position": "1"}}})
    cash = 100_000 * 10**CASH_PRECISION
    first_venue = venue(emu)
    first = Engine([INST], {INST.venue: first_venue}, RiskEngine(limits), SqliteJournal(f"{tmp_path}/j.db"), cash)
    await first.start(compare_cash=False)
    mid_x2 = emu.venue.books[INST.key].mid_x2()
    first.on_mid(INST.key, mid_x2)
    below = mid_x2 // 2 * 98 // 100 // INST.tick * INST.tick
    placed = [await first.submit(limit(Side.BUY, "0.002", below - i * INST.tick, "")) for i in range(3)]
    assert all(r.ok for r in placed), placed
    first.journal.close()
    await first_venue.close()

    again_venue = venue(emu)
    again = Engine([INST], {INST.venue: again_venue}, RiskEngine(limits), SqliteJournal(f"{tmp_path}/j.db"), cash)
    try:
        before = len(emu.requests)
        assert await again.start(compare_cash=False) == []
        lookups = [r for r in emu.requests[before:] if r[1] == "/fapi/v1/order"]
        assert not lookups, lookups  # the three came from the one listing
        gone = placed[1].client_id
        await emu.venue.cancel_order(INST.key, gone)  # the venue ends one (an operator, a liquidation)
        before = len(emu.requests)
        await again.oms.catch_up(INST.venue)
        assert again.ledger.orders[gone].status is OrderStatus.CANCELLED
        assert {o.client_id for o in again.ledger.open_orders()} == {placed[0].client_id, placed[2].client_id}
        lookups = [r for r in emu.requests[before:] if r[1] == "/fapi/v1/order"]
        assert len(lookups) == 1, lookups  # only the order that left the listing was looked up
    finally:
        again.journal.close()
        await again_venue.close()
