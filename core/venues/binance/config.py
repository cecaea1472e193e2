"""Binance USD-M futures and spot: endpoints, limits and what each supports."""

from __future__ import annotations

from dataclasses import dataclass

from alephtx.core.model import OrderType, TimeInForce
from alephtx.core.venues.base import Capabilities

REST = "https://fapi.binance.com"
WS = "wss://fstream.binance.com"
TESTNET_REST = "https://testnet.binancefuture.com"
TESTNET_WS = "wss://fstream.binancefuture.com"

CAPABILITIES = Capabilities(
    order_types=(OrderType.MARKET, OrderType.LIMIT, OrderType.STOP_MARKET, OrderType.STOP_LIMIT),
    time_in_force=(TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK, TimeInForce.POST_ONLY),
    reduce_only=True,
    amend=True,
    client_id_max_len=36,
    notes=(
        "REST through ccxt.binanceusdm; depth through our own WebSocket client with the U/u/pu rules",
        "request weight 2400 per minute; orders 1200 per minute",
    ),
)


SPOT_REST = "https://api.binance.com"
SPOT_WS = "wss://stream.binance.com:9443"
SPOT_TESTNET_REST = "https://testnet.binance.vision"
SPOT_TESTNET_WS = "wss://stream.testnet.binance.vision"
# Spot's user-data stream lives on the WebSocket API (the listenKey was retired on 2026-02-20).
SPOT_WS_API = "wss://ws-api.binance.com:443"
SPOT_TESTNET_WS_API = "wss://ws-api.testnet.binance.vision"

SPOT_CAPABILITIES = Capabilities(
    order_types=(OrderType.MARKET, OrderType.LIMIT),
    time_in_force=(TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK, TimeInForce.POST_ONLY),
    reduce_only=False,
    amend=False,
    client_id_max_len=36,
    position_cost=False,
    notes=(
        "spot: holdings, not positions; post-only is LIMIT_MAKER",
        "REST through ccxt.binance; depth through our own client (U = previous u + 1)",
        "request weight 6000 per minute",
    ),
)


@dataclass(frozen=True)
class BinanceSpotConfig:
    rest_url: str = SPOT_REST
    ws_url: str = SPOT_WS
    ws_api_url: str = SPOT_WS_API
    recv_window_ms: int = 5000
    rate_limit_ms: float = 50.0
    rate_window_s: float = 60.0  # spot counts request weight per minute
    silence_timeout_s: float = 10.0
    timeout_s: float = 5.0


@dataclass(frozen=True)
class BinanceConfig:
    rest_url: str = REST
    ws_url: str = WS
    recv_window_ms: int = 5000
    # ccxt counts requests by its weights, 50 ms a unit: over a rolling minute (USD-M counts
    # weight per minute), 1,200 units, spent in bursts as the venue allows, not spaced out.
    rate_limit_ms: float = 50.0
    rate_window_s: float = 60.0
    silence_timeout_s: float = 10.0
    timeout_s: float = 5.0
