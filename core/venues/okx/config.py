"""OKX: endpoints, limits and what the venue supports."""

from __future__ import annotations

from dataclasses import dataclass

from alephtx.core.model import OrderType, TimeInForce
from alephtx.core.venues.base import Capabilities

REST = "https://{hostname}"  # ccxt's placeholder for its hostname option
HOST = "https://www.okx.com"  # what the placeholder stands for
WS = "wss://ws.okx.com:8443"
DEMO_WS = "wss://wspap.okx.com:8443"  # demo trading: the same REST host with x-simulated-trading: 1

CAPABILITIES = Capabilities(
    order_types=(OrderType.MARKET, OrderType.LIMIT),
    time_in_force=(TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK, TimeInForce.POST_ONLY),
    reduce_only=True,
    amend=True,
    client_id_max_len=32,
    notes=(
        "client ids: letters and digits only, at most 32 (OKX's clOrdId alphabet)",
        "REST through ccxt.okx; books through our own WebSocket client (seqId/prevSeqId and the CRC32 checksum)",
        "order placement 60 requests per 2 seconds per instrument",
    ),
)


SPOT_CAPABILITIES = Capabilities(
    order_types=(OrderType.MARKET, OrderType.LIMIT),
    time_in_force=(TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK, TimeInForce.POST_ONLY),
    reduce_only=False,
    amend=True,
    client_id_max_len=32,
    position_cost=False,
    notes=("spot (tdMode cash): holdings, not positions", "client ids: letters and digits only, at most 32"),
)


@dataclass(frozen=True)
class OkxConfig:
    rest_url: str = REST
    ws_url: str = WS
    demo: bool = False  # OKX's demo trading (its testnet): every REST request says x-simulated-trading
    rate_limit_ms: float = 40.0
    rate_window_s: float = 2.0  # OKX counts requests per 2 seconds
    silence_timeout_s: float = 10.0
    timeout_s: float = 5.0
