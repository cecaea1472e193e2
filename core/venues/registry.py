"""Every venue AlephTX knows: what it trades and supports (``aleph venues``), and the factory that
builds it from a config, by kind (``build(VenueConfig("okx", symbols=("BTC-USDT-SWAP",)))``).

Factories are named here and imported on first use, so that listing the venues does not load
every venue's client (ccxt alone takes a second to import).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alephtx.core.errors import FieldError
from alephtx.core.venues.base import Capabilities
from alephtx.core.venues.binance.config import CAPABILITIES as BINANCE
from alephtx.core.venues.binance.config import SPOT_CAPABILITIES as BINANCE_SPOT
from alephtx.core.venues.bybit.config import CAPABILITIES as BYBIT
from alephtx.core.venues.factory import MarketParts, VenueConfig, VenueFactory, VenueParts
from alephtx.core.venues.hyperliquid.config import CAPABILITIES as HYPERLIQUID
from alephtx.core.venues.okx.config import CAPABILITIES as OKX
from alephtx.core.venues.paper.venue import PaperVenue


@dataclass(frozen=True)
class VenueInfo:
    name: str  # the venue kind: VenueConfig.kind
    products: str
    rest: str  # how orders travel
    capabilities: Capabilities
    factory: str  # "module:Class" of the folder's VenueFactory
    streams: bool = True  # has its own book and trade streams (the paper venue is fed)


VENUES: dict[str, VenueInfo] = {
    "paper": VenueInfo(
        "paper",
        "any (replayed or live books)",
        "in process",
        PaperVenue.capabilities,
        "alephtx.core.venues.paper.factory:PaperFactory",
        streams=False,
    ),
    "binance": VenueInfo(
        "binance", "spot", "ccxt.binance", BINANCE_SPOT, "alephtx.core.venues.binance.factory:BinanceSpotFactory"
    ),
    "binance-usdm": VenueInfo(
        "binance-usdm",
        "USD-M perpetuals",
        "ccxt.binanceusdm",
        BINANCE,
        "alephtx.core.venues.binance.factory:BinanceUsdmFactory",
    ),
    "okx": VenueInfo("okx", "perpetual swaps and spot", "ccxt.okx", OKX, "alephtx.core.venues.okx.factory:OkxFactory"),
    "bybit": VenueInfo(
        "bybit", "v5 linear perpetuals", "ccxt.bybit", BYBIT, "alephtx.core.venues.bybit.factory:BybitFactory"
    ),
    "hyperliquid": VenueInfo(
        "hyperliquid",
        "perpetuals",
        "native (our signer)",
        HYPERLIQUID,
        "alephtx.core.venues.hyperliquid.factory:HyperliquidFactory",
    ),
}

STREAMING = tuple(k for k, v in VENUES.items() if v.streams)


def factory(kind: str) -> VenueFactory:
    """The factory of a venue kind."""
    info = VENUES.get(kind)
    if info is None:
        raise FieldError("kind", kind, f"must be one of {list(VENUES)}")
    module, _, cls = info.factory.partition(":")
    made: VenueFactory = getattr(importlib.import_module(module), cls)()
    return made


async def build(config: VenueConfig, **kw: Any) -> VenueParts:
    """The adapter, the market data and the instruments of a configured venue (keys from the
    environment; see ``VenueFactory.build`` for ``env``, ``cache_dir`` and ``refresh``)."""
    return await factory(config.kind).build(config, **kw)


async def build_market(config: VenueConfig, cache_dir: Path | None = None, refresh: bool = False) -> MarketParts:
    """The market data and the instruments alone: no credentials needed."""
    return await factory(config.kind).build_market(config, cache_dir=cache_dir, refresh=refresh)
