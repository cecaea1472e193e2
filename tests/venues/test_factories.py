"""The venue factories: from a venue config to a working adapter, its streams and its instruments
(fetched from the venue, here its loopback emulator, and cached), through the registry."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from alephtx.core.errors import FieldError
from alephtx.core.model import Instrument, Kind, OrderRequest, OrderStatus, OrderType, Side
from alephtx.core.venues.base import VenueUnavailable
from alephtx.core.venues.binance.execution import BinanceSpotVenue, BinanceUsdmVenue, BinanceVenue
from alephtx.core.venues.binance.parsing import parse_instruments as binance_instruments
from alephtx.core.venues.bybit.parsing import parse_instruments as bybit_instruments
from alephtx.core.venues.factory import VenueConfig
from alephtx.core.venues.hyperliquid.parsing import parse_instruments as hyperliquid_instruments
from alephtx.core.venues.okx.parsing import parse_instruments as okx_instruments
from alephtx.core.venues.paper import PaperVenue
from alephtx.core.venues.registry import VENUES, build, build_market, factory
from alephtx.core.venues.stream import StreamData
from alephtx.emulators.registry import EMULATORS, account_for

# The emulators' venues, as `aleph emulator` names them.
NAMES = ["binance", "binance-usdm", "okx", "okx-spot", "bybit", "hyperliquid"]


def listing(i: Instrument) -> tuple[Any, ...]:
    return (i.symbol, i.kind, i.tick_size, i.lot_size, i.base, i.quote, i.rules)


async def start(name: str) -> tuple[Any, VenueConfig, dict[str, str]]:
    """The emulator of ``name`` with its demo account, a venue config pointing at it, and the
    environment holding the demo keys (what `aleph emulator` prints)."""
    info = EMULATORS[name]
    who = account_for(name, env={})
    emu = info.cls(instrument=info.instrument, account=who.account, speed=8.0)
    await emu.start()
    await asyncio.wait_for(emu.synced.wait(), 10)
    cfg = VenueConfig(info.kind, symbols=(info.instrument.symbol,), rest_url=emu.url, ws_url=emu.ws_url)
    return emu, cfg, who.exports


@pytest.mark.parametrize("name", NAMES)
async def test_a_factory_builds_a_working_venue_from_its_config(name: str, tmp_path: Path) -> None:
    emu, cfg, env = await start(name)
    expected = EMULATORS[name].instrument
    parts = await build(cfg, env=env, cache_dir=tmp_path)
    try:
        # The instruments came from the venue's listing, and match what it trades.
        (inst,) = parts.instruments.select(cfg.symbols)
        assert parts.instruments.source == "venue"
        assert listing(inst) == listing(expected)
        if name not in ("okx", "okx-spot"):  # OKX states no minimum notional
            assert inst.min_notional == expected.min_notional
        assert inst.key == expected.key  # the venue's name is its kind by default
        # The adapter trades.
        assert parts.adapter.name == cfg.name and await parts.adapter.get_open_orders() == []
        qty = inst.size("0.002")
        o = await parts.adapter.place_order(OrderRequest(inst.key, Side.BUY, OrderType.MARKET, qty, client_id="fx1"))
        assert o.status is OrderStatus.FILLED and o.filled == qty
        # The data part streams a synced book.
        assert isinstance(parts.data, StreamData)
        stream = parts.data.book_stream(inst.symbol)
        stop = asyncio.Event()
        books: list[Any] = []

        def on_book(book: Any) -> None:
            books.append(book.best_bid())
            stop.set()

        await asyncio.wait_for(stream.run(on_book, stop), 15)
        assert books and books[0] is not None
    finally:
        await parts.close()
        await emu.stop()


async def test_instruments_are_cached_and_serve_when_the_venue_is_down(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emu, cfg, _env = await start("bybit")
    try:
        first = await build_market(cfg, cache_dir=tmp_path)
    finally:
        await emu.stop()
    (table,) = (tmp_path / "instruments").glob("bybit-main-*.json")
    assert json.loads(table.read_text())["rest_url"] == emu.url
    again = await build_market(cfg, cache_dir=tmp_path)  # fresh: no request to the (stopped) venue
    assert again.instruments.source == "cache"
    assert again.instruments.by_symbol == first.instruments.by_symbol
    with caplog.at_level(logging.WARNING):
        stale = await build_market(cfg, cache_dir=tmp_path, refresh=True)
    assert stale.instruments.source == "stale cache" and "old cache" in caplog.text
    # Another name for the same venue: the same table, the instruments under the new name.
    other = await build_market(VenueConfig("bybit", name="bybit-b", rest_url=emu.url, ws_url=emu.ws_url), tmp_path)
    assert [i.key for i in other.instruments.select(())] == ["bybit-b:BTCUSDT"]
    with pytest.raises(VenueUnavailable, match="cannot list instruments"):
        await build_market(cfg, cache_dir=tmp_path / "empty")
    with pytest.raises(VenueUnavailable):  # a config that asks for no cache gets none
        await build_market(VenueConfig("bybit", rest_url=emu.url, ws_url=emu.ws_url, cache=False), tmp_path)


async def test_wrong_configs_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(FieldError, match="kind='nowhere'"):
        factory("nowhere")
    with pytest.raises(FieldError, match="rest_url"):
        VenueConfig("okx", rest_url="localhost:8080")
    with pytest.raises(FieldError, match="ALEPH_OKX_API_KEY"):
        await build(VenueConfig("okx", rest_url="http://127.0.0.1:9"), env={})
    with pytest.raises(FieldError, match="ALEPH_HL_MAIN_PRIVATE_KEY"):
        await build(VenueConfig("hyperliquid", name="hl-main"), env={})
    emu, _, env = await start("okx")
    try:
        with pytest.raises(FieldError, match=r"symbols='ETH-USDT-SWAP'.*BTC-USDT-SWAP"):
            await build(VenueConfig("okx", symbols=("ETH-USDT-SWAP",), rest_url=emu.url), env=env, cache_dir=tmp_path)
    finally:
        await emu.stop()


def test_the_registry_names_a_factory_for_every_venue_and_testnet_moves_every_url() -> None:
    for kind, info in VENUES.items():
        f = factory(kind)
        assert f.kind == kind, info.factory
        if kind == "paper":
            continue
        main = f.settings(VenueConfig(kind))
        test = f.settings(VenueConfig(kind, testnet=True))
        assert main.ws_url != test.ws_url, kind
        assert f.provider(VenueConfig(kind), main).path != f.provider(VenueConfig(kind, testnet=True), test).path
    assert factory("hyperliquid").settings(VenueConfig("hyperliquid", testnet=True)).mainnet is False
    assert factory("okx").settings(VenueConfig("okx", testnet=True)).demo is True
    over = factory("binance-usdm").settings(VenueConfig("binance-usdm", rest_url="http://127.0.0.1:1", testnet=True))
    assert over.rest_url == "http://127.0.0.1:1"


async def test_the_paper_factory_lists_the_instruments_its_config_gives(btcusdt: Instrument) -> None:
    parts = await build(VenueConfig("paper", name="paper-a", instruments=(btcusdt,)))
    assert isinstance(parts.adapter, PaperVenue) and parts.data is parts.adapter
    assert list(parts.adapter.instruments) == ["paper-a:BTCUSDT"]
    with pytest.raises(FieldError, match="instruments"):
        await build(VenueConfig("paper"))


def test_listings_as_the_venues_write_them() -> None:
    spot = {
        "symbols": [
            {
                "symbol": "ETHBTC",
                "status": "TRADING",
                "baseAsset": "ETH",
                "quoteAsset": "BTC",
                "isSpotTradingAllowed": True,
                "filters": [
                    {"filterType": "PRICE_FILTER", "tickSize": "0.00001000"},
                    {"filterType": "LOT_SIZE", "stepSize": "0.00010000"},
                    {"filterType": "NOTIONAL", "minNotional": "0.00010000"},
                ],
            },
            {"symbol": "OLDBTC", "status": "BREAK", "baseAsset": "OLD", "quoteAsset": "BTC", "filters": []},
            {"symbol": "BAD", "status": "TRADING", "baseAsset": "B", "quoteAsset": "A", "filters": []},
        ]
    }
    (eth,) = binance_instruments(spot, "binance", spot=True)
    assert (eth.tick_size, eth.lot_size, eth.kind) == ("0.00001", "0.0001", Kind.SPOT)  # trailing zeros trimmed
    assert Decimal(eth.min_notional_str) == Decimal("0.0001")
    usdm = {
        "symbols": [
            {
                "symbol": "ETHUSDT",
                "status": "TRADING",
                "contractType": "PERPETUAL",
                "baseAsset": "ETH",
                "quoteAsset": "USDT",
                "pricePrecision": 2,
                "quantityPrecision": 3,
                "filters": [
                    {"filterType": "PRICE_FILTER", "tickSize": "0.01"},
                    {"filterType": "LOT_SIZE", "stepSize": "0.001"},
                    {"filterType": "MIN_NOTIONAL", "notional": "20"},
                ],
            }
        ]
    }
    (perp,) = binance_instruments(usdm, "binance-usdm")
    assert (perp.price_precision, perp.size_precision, Decimal(perp.min_notional_str)) == (2, 3, 20)
    okx = {
        "code": "0",
        "data": [
            {"instType": "SWAP", "instId": "BTC-USD-SWAP", "ctType": "inverse", "state": "live", "uly": "BTC-USD"},
            {
                "instType": "SWAP",
                "instId": "ETH-USDT-SWAP",
                "ctType": "linear",
                "state": "live",
                "uly": "ETH-USDT",
                "tickSz": "0.01",
                "lotSz": "0.01",
                "ctVal": "0.1",
            },
        ],
    }
    (swap,) = okx_instruments(okx, "okx")
    assert (swap.symbol, swap.base, swap.quote, swap.kind) == ("ETH-USDT-SWAP", "ETH", "USDT", Kind.PERP)
    # Sized in contracts of 0.1 ETH: the lot is 0.01 contract, 0.001 ETH.
    assert swap.lot_size == "0.001" and swap.rules.contract_size == "0.1"
    with pytest.raises(ValueError, match="50011"):
        okx_instruments({"code": "50011", "msg": "Too Many Requests"}, "okx")
    bybit = {
        "retCode": 0,
        "result": {
            "list": [
                {
                    "symbol": "ETHUSDT",
                    "contractType": "LinearPerpetual",
                    "status": "Trading",
                    "baseCoin": "ETH",
                    "quoteCoin": "USDT",
                    "priceScale": "2",
                    "priceFilter": {"tickSize": "0.01"},
                    "lotSizeFilter": {"qtyStep": "0.01", "minNotionalValue": "5"},
                },
                {"symbol": "XUSDT", "contractType": "LinearPerpetual", "status": "PreLaunch"},
            ]
        },
    }
    assert [i.symbol for i in bybit_instruments(bybit, "bybit")] == ["ETHUSDT"]
    meta = {"universe": [{"name": "ETH", "szDecimals": 4}, {"name": "OLD", "szDecimals": 2, "isDelisted": True}]}
    (eth_perp,) = hyperliquid_instruments(meta, "hyperliquid")
    assert (eth_perp.tick_size, eth_perp.lot_size, eth_perp.rules.max_sig_figs) == ("0.01", "0.0001", 5)


def test_binance_spot_and_usdm_are_siblings() -> None:
    from alephtx.core.venues.binance.data import BinanceSpotTradeStream, BinanceTradeStream
    from alephtx.emulators.binance import BinanceBase, BinanceEmulator
    from alephtx.emulators.binance_spot import BinanceSpotEmulator

    for spot, usdm, base in (
        (BinanceSpotVenue, BinanceUsdmVenue, BinanceVenue),
        (BinanceSpotEmulator, BinanceEmulator, BinanceBase),
        (BinanceSpotTradeStream, BinanceTradeStream, BinanceTradeStream.__mro__[1]),
    ):
        assert not issubclass(spot, usdm) and not issubclass(usdm, spot)
        assert issubclass(spot, base) and issubclass(usdm, base)


def test_core_imports_no_emulator() -> None:
    """Every venue module and factory of core loads without the emulators (core imports nothing
    from outside core)."""
    code = (
        "import sys\n"
        "from alephtx.core.venues.registry import VENUES, factory\n"
        "for k in VENUES: factory(k)\n"
        "import alephtx.core.engine.up\n"
        "above = ('alephtx.emulators', 'alephtx.cli', 'alephtx.tools', 'alephtx.agent', 'alephtx.evals')\n"
        "bad = [m for m in sys.modules if m.startswith(above)]\n"
        "assert not bad, bad\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
