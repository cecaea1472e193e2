"""subscribe_orderbook and subscribe_trades through every venue's adapter, against its emulator."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from alephtx.core.book import L2Book
from alephtx.core.model import Side
from alephtx.core.signers import EvmSigner
from alephtx.core.venues.binance.config import BinanceConfig
from alephtx.core.venues.binance.execution import BinanceUsdmVenue
from alephtx.core.venues.bybit.config import BybitConfig
from alephtx.core.venues.bybit.execution import BybitVenue
from alephtx.core.venues.credentials import Credentials
from alephtx.core.venues.hyperliquid.config import HyperliquidConfig
from alephtx.core.venues.hyperliquid.execution import HyperliquidVenue
from alephtx.core.venues.okx.config import OkxConfig
from alephtx.core.venues.okx.execution import OkxVenue
from alephtx.core.venues.paper import PaperVenue
from alephtx.core.venues.stream import TradeTick
from alephtx.emulators.base import Account
from alephtx.emulators.binance import BinanceEmulator
from alephtx.emulators.bybit import BybitEmulator
from alephtx.emulators.hyperliquid import HyperliquidEmulator
from alephtx.emulators.okx import OkxEmulator

HL_KEY = "0x" + "3c" * 32


def make(name: str) -> tuple[Any, Any]:
    if name == "binance-usdm":
        e = BinanceEmulator(account=Account("bk-123456", "bs-123456"), speed=8.0)
        return e, lambda: BinanceUsdmVenue(
            [e.instrument], Credentials("bk-123456", "bs-123456"), BinanceConfig(rest_url=e.url, ws_url=e.ws_url)
        )
    if name == "okx":
        e = OkxEmulator(account=Account("ok-123456", "os-123456", "op-123456"), speed=8.0)
        return e, lambda: OkxVenue(
            [e.instrument],
            Credentials("ok-123456", "os-123456", "op-123456"),
            OkxConfig(rest_url=e.url, ws_url=e.ws_url),
        )
    if name == "bybit":
        e = BybitEmulator(account=Account("yk-123456", "ys-123456"), speed=8.0)
        return e, lambda: BybitVenue(
            [e.instrument], Credentials("yk-123456", "ys-123456"), BybitConfig(rest_url=e.url, ws_url=e.ws_url)
        )
    e = HyperliquidEmulator(account=Account(EvmSigner(HL_KEY).address, ""), speed=8.0)
    return e, lambda: HyperliquidVenue(
        [e.instrument], Credentials(private_key=HL_KEY), HyperliquidConfig(rest_url=e.url, ws_url=e.ws_url)
    )


@pytest.mark.parametrize("name", ["binance-usdm", "okx", "bybit", "hyperliquid"])
async def test_books_and_trades_through_the_adapter(name: str) -> None:
    emu, build = make(name)
    await emu.start()
    v = build()
    try:
        await asyncio.wait_for(emu.synced.wait(), 10)
        books: list[tuple[int, int]] = []
        ticks: list[TradeTick] = []

        def on_book(book: L2Book) -> None:
            books.append((book.best_bid_price(), book.best_ask_price()))

        def on_trades(batch: list[TradeTick]) -> None:
            ticks.extend(batch)

        stop = asyncio.Event()
        sym = emu.instrument.symbol
        tasks = [
            asyncio.create_task(v.subscribe_orderbook([sym], on_book, stop)),
            asyncio.create_task(v.subscribe_trades([sym], on_trades, stop)),
        ]
        await asyncio.sleep(2.5)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 15)
        assert len(books) > 10 and all(0 < b < a for b, a in books[-5:])
        assert len(ticks) >= 3
        assert all(t.price > 0 and t.quantity > 0 and t.aggressor in (Side.BUY, Side.SELL) for t in ticks)
        assert all(t.instrument == emu.instrument.key for t in ticks)
    finally:
        await v.close()
        await emu.stop()


async def test_paper_venue_streams_what_feeds_it() -> None:
    from alephtx.core.model import Instrument

    inst = Instrument.from_strings("paper", "BTCUSDT", "perp", "0.10", "0.001")
    v = PaperVenue([inst])
    got: list[Any] = []
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(v.subscribe_orderbook(["BTCUSDT"], got.append, stop)),
        asyncio.create_task(v.subscribe_trades(["BTCUSDT"], got.append, stop)),
    ]
    await asyncio.sleep(0)
    v.books[inst.key].apply_snapshot([100], [1], [110], [1], 1)
    v.on_depth(inst.key, 5)
    v.on_trade(inst.key, 6, 110, 1, Side.BUY)
    stop.set()
    await asyncio.gather(*tasks)
    assert got[0] is v.books[inst.key] and got[1][0].price == 110
    with pytest.raises(Exception, match="not listed"):
        await v.subscribe_trades(["ETHUSDT"], got.append, stop)
