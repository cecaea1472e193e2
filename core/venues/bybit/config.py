"""Bybit v5: endpoints, limits and what the venue supports."""

from __future__ import annotations

from dataclasses import dataclass

from alephtx.core.model import OrderType, TimeInForce
from alephtx.core.venues.base import Capabilities

REST = "https://api.{hostname}"  # ccxt's placeholder for its hostname option
HOST = "https://api.bybit.com"  # what the placeholder stands for
WS = "wss://stream.bybit.com"
TESTNET_REST = "https://api-testnet.bybit.com"
TESTNET_WS = "wss://stream-testnet.bybit.com"

CAPABILITIES = Capabilities(
    order_types=(OrderType.MARKET, OrderType.LIMIT),
    time_in_force=(TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK, TimeInForce.POST_ONLY),
    reduce_only=True,
    amend=True,
    client_id_max_len=36,
    notes=(
        "unified trading account, category linear",
        "REST through ccxt.bybit; orderbook.50 through our own WebSocket client (u must grow by one)",
        "HTTP limit 120 requests per 5 seconds per IP",
    ),
)


@dataclass(frozen=True)
class BybitConfig:
    rest_url: str = REST
    ws_url: str = WS
    recv_window_ms: int = 5000
    rate_limit_ms: float = 50.0
    rate_window_s: float = 5.0  # Bybit counts requests per 5 seconds
    silence_timeout_s: float = 10.0
    timeout_s: float = 5.0
