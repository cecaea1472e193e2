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
    recv_window_ms: int = 5000
    rate_limit_ms: float = 50.0
    silence_timeout_s: float = 10.0
    timeout_s: float = 5.0


@dataclass(frozen=True)
class BinanceConfig:
    rest_url: str = REST
    ws_url: str = WS
    recv_window_ms: int = 5000
    # ccxt spaces requests by weight; 50 ms a unit keeps a burst under 2400 weight a minute.
    rate_limit_ms: float = 50.0
    silence_timeout_s: float = 10.0
    timeout_s: float = 5.0
