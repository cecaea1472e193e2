"""Every venue AlephTX knows: how to trade it, how to stream its book, and its loopback emulator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alephtx.core.model import Instrument
from alephtx.core.venues.base import Capabilities
from alephtx.core.venues.binance.config import CAPABILITIES as BINANCE
from alephtx.core.venues.binance.config import SPOT_CAPABILITIES as BINANCE_SPOT
from alephtx.core.venues.binance.config import BinanceConfig, BinanceSpotConfig
from alephtx.core.venues.binance.data import BinanceBookStream, BinanceSpotBookStream
from alephtx.core.venues.bybit.config import CAPABILITIES as BYBIT
from alephtx.core.venues.bybit.config import BybitConfig
from alephtx.core.venues.bybit.data import BybitBookStream
from alephtx.core.venues.emulator.binance import BTCUSDT, BinanceEmulator
from alephtx.core.venues.emulator.binance_spot import BTCUSDT_SPOT, BinanceSpotEmulator
from alephtx.core.venues.emulator.bybit import BTCUSDT_LINEAR, BybitEmulator
from alephtx.core.venues.emulator.hyperliquid import BTC_PERP, HyperliquidEmulator
from alephtx.core.venues.emulator.okx import BTC_SWAP, BTC_USDT_SPOT, OkxEmulator
from alephtx.core.venues.hyperliquid.config import CAPABILITIES as HYPERLIQUID
from alephtx.core.venues.hyperliquid.config import HyperliquidConfig
from alephtx.core.venues.hyperliquid.data import HyperliquidBookStream
from alephtx.core.venues.okx.config import CAPABILITIES as OKX
from alephtx.core.venues.okx.config import OkxConfig
from alephtx.core.venues.okx.data import OkxBookStream
from alephtx.core.venues.paper.venue import PaperVenue


@dataclass(frozen=True)
class VenueInfo:
    name: str
    products: str
    rest: str  # how orders travel
    capabilities: Capabilities
    instruments: tuple[Instrument, ...]
    stream: Any = None
    config: Any = None
    emulator: Any = None


VENUES: dict[str, VenueInfo] = {
    "paper": VenueInfo("paper", "any (replayed or live books)", "in process", PaperVenue.capabilities, ()),
    "binance": VenueInfo(
        "binance",
        "spot",
        "ccxt.binance",
        BINANCE_SPOT,
        (BTCUSDT_SPOT,),
        BinanceSpotBookStream,
        BinanceSpotConfig,
        BinanceSpotEmulator,
    ),
    "binance-usdm": VenueInfo(
        "binance-usdm",
        "USD-M perpetuals",
        "ccxt.binanceusdm",
        BINANCE,
        (BTCUSDT,),
        BinanceBookStream,
        BinanceConfig,
        BinanceEmulator,
    ),
    "okx": VenueInfo(
        "okx",
        "perpetual swaps and spot",
        "ccxt.okx",
        OKX,
        (BTC_SWAP, BTC_USDT_SPOT),
        OkxBookStream,
        OkxConfig,
        OkxEmulator,
    ),
    "bybit": VenueInfo(
        "bybit",
        "v5 linear perpetuals",
        "ccxt.bybit",
        BYBIT,
        (BTCUSDT_LINEAR,),
        BybitBookStream,
        BybitConfig,
        BybitEmulator,
    ),
    "hyperliquid": VenueInfo(
        "hyperliquid",
        "perpetuals",
        "native (our signer)",
        HYPERLIQUID,
        (BTC_PERP,),
        HyperliquidBookStream,
        HyperliquidConfig,
        HyperliquidEmulator,
    ),
}
