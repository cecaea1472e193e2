"""Each venue's user-data stream against its loopback emulator, over the venue's real private
WebSocket protocol (the internet's venues are out of reach): fills pushed once, even when polling
sees them too; malformed messages dropped without losing the stream or what follows; a refused
login named by the venue's code, with no secret in it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from alephtx.core.model import OrderRequest, OrderType, Side
from alephtx.core.venues.factory import VenueConfig
from alephtx.core.venues.registry import build
from alephtx.emulators.registry import EMULATORS, account_for

VENUES = ["binance-usdm", "binance", "okx", "bybit", "hyperliquid"]
# What each venue's stream looks like when it is broken in a way a parser could trip on: the
# right channel with fields missing or of the wrong type.
MALFORMED: dict[str, list[Any]] = {
    "binance-usdm": [{"e": "ORDER_TRADE_UPDATE", "o": {"x": "TRADE"}}, {"e": "ORDER_TRADE_UPDATE", "o": None}],
    "binance": [
        {"subscriptionId": 0, "event": {"e": "executionReport", "x": "TRADE", "c": "u1"}},
        {"subscriptionId": 0, "event": "not an object"},
    ],
    "okx": [{"arg": {"channel": "orders"}, "data": [{"instId": "BTC-USDT-SWAP", "tradeId": "1", "fillSz": "x"}]}],
    "bybit": [{"topic": "execution", "data": [{"symbol": "BTCUSDT", "execType": "Trade"}]}, {"topic": "order"}],
    "hyperliquid": [{"channel": "userFills", "data": {"fills": [{"coin": "BTC", "cloid": "0x1"}]}}],
}


async def started(venue: str, exports_override: dict[str, str] | None = None) -> tuple[Any, Any, Any]:
    info = EMULATORS[venue]
    who = account_for(venue, env={})
    emu = info.cls(instrument=info.instrument, account=who.account, speed=8.0)
    await emu.start()
    await asyncio.wait_for(emu.synced.wait(), 10)
    cfg = VenueConfig(info.kind, symbols=(info.instrument.symbol,), rest_url=emu.url, ws_url=emu.ws_url, cache=False)
    parts = await build(cfg, env=who.exports | (exports_override or {}))
    return emu, parts, who


async def until(check: Any, seconds: float = 5.0) -> bool:
    for _ in range(int(seconds / 0.05)):
        if check():
            return True
        await asyncio.sleep(0.05)
    return bool(check())


@pytest.mark.parametrize("venue", VENUES)
async def test_a_pushed_fill_is_reported_once_past_malformed_messages(venue: str) -> None:
    emu, parts, _ = await started(venue)
    stream, adapter = parts.user, parts.adapter
    updates: list[int] = []

    async def on_update() -> None:
        updates.append(len(adapter.reports))

    stop = asyncio.Event()
    task = asyncio.create_task(stream.run(on_update, stop))
    try:
        assert await until(lambda: emu.user_stream_count() >= 1), stream.last_error
        for bad in ["{not json", *map(json.dumps, MALFORMED[venue])]:
            await emu.broadcast(bad, "user")
        inst = next(iter(adapter.instruments.values()))
        await adapter.place_order(OrderRequest(inst.key, Side.BUY, OrderType.MARKET, 2 * inst.lot, client_id="u1"))
        assert await until(lambda: any(r.kind == "fill" for r in adapter.reports)), adapter.reports
        assert stream.connects == 1, "a malformed message cost the stream its connection"
        assert updates and stream.events >= 1
        fills = [r for r in adapter.reports if r.kind == "fill"]
        assert len(fills) == 1 and fills[0].client_id == "u1" and fills[0].fill.quantity == 2 * inst.lot
        await adapter.get_reports(0)  # polling sees the same fill: not reported again
        assert len([r for r in adapter.reports if r.kind == "fill"]) == 1, adapter.reports
        # A resting order the venue cancels (an operator on its website, a liquidation): pushed.
        bid = emu.venue.books[emu.instrument.key].best_bid_price()
        whole = 10**inst.price_precision  # a whole price: within every venue's tick and figures
        await adapter.place_order(
            OrderRequest(
                inst.key, Side.BUY, OrderType.LIMIT, 2 * inst.lot, bid * 98 // 100 // whole * whole, client_id="u2"
            )
        )
        for o in await emu.venue.get_open_orders():
            await emu.venue.cancel_order(o.instrument, o.client_id)
        assert await until(lambda: any(r.kind == "cancelled" and r.client_id == "u2" for r in adapter.reports))
    finally:
        stop.set()
        await task
        await parts.close()
        await emu.stop()


WRONG = {
    "binance-usdm": ("ALEPH_BINANCE_USDM_API_KEY", "-2015"),
    "binance": ("ALEPH_BINANCE_API_SECRET", "-1022"),
    "okx": ("ALEPH_OKX_API_SECRET", "60007"),
    "bybit": ("ALEPH_BYBIT_API_SECRET", "Invalid sign"),
}


@pytest.mark.parametrize("venue", sorted(WRONG))
async def test_a_refused_login_names_the_venues_code_and_hides_the_key(venue: str) -> None:
    variable, code = WRONG[venue]
    wrong = "wrong-" + "z" * 30
    emu, parts, _ = await started(venue, {variable: wrong})
    stop = asyncio.Event()
    task = asyncio.create_task(parts.user.run(_nothing, stop))
    try:
        assert await until(lambda: bool(parts.user.last_error)), "no error after a refused login"
        assert code in parts.user.last_error and venue in parts.user.last_error, parts.user.last_error
        assert wrong not in parts.user.last_error and not parts.user.connected
    finally:
        stop.set()
        await task
        await parts.close()
        await emu.stop()


async def _nothing() -> None:
    return None
