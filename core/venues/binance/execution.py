"""Binance USD-M order execution on ccxt.binanceusdm; only what differs from the generic class."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from alephtx.core.model import (
    Balance,
    Fill,
    Instrument,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    Side,
    TimeInForce,
)
from alephtx.core.model.fixed import Rounding, to_fixed
from alephtx.core.state.accounting import CASH_PRECISION
from alephtx.core.venues.base import VenueOrder
from alephtx.core.venues.binance.config import CAPABILITIES, REST, BinanceConfig
from alephtx.core.venues.binance.data import BinanceBookStream, BinanceTradeStream
from alephtx.core.venues.ccxt_venue import CcxtVenue
from alephtx.core.venues.credentials import Credentials

STATUS = {
    "NEW": OrderStatus.ACCEPTED,
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELLED,
    "REJECTED": OrderStatus.REJECTED,
    "EXPIRED": OrderStatus.EXPIRED,
    "EXPIRED_IN_MATCH": OrderStatus.EXPIRED,
}
TIF = {"GTC": TimeInForce.GTC, "IOC": TimeInForce.IOC, "FOK": TimeInForce.FOK, "GTX": TimeInForce.POST_ONLY}
CCXT_TIF = {TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC", TimeInForce.FOK: "FOK", TimeInForce.POST_ONLY: "PO"}


class BinanceUsdmVenue(CcxtVenue):
    name = "binance-usdm"
    ccxt_class = "binanceusdm"
    capabilities = CAPABILITIES
    book_stream_cls = BinanceBookStream
    trade_stream_cls = BinanceTradeStream

    def __init__(
        self, instruments: list[Instrument], credentials: Credentials, config: BinanceConfig | None = None
    ) -> None:
        self.config = config or BinanceConfig()
        urls = {REST: self.config.rest_url} if self.config.rest_url != REST else None
        super().__init__(
            instruments,
            credentials,
            urls,
            {"fetchCurrencies": False, "recvWindow": self.config.recv_window_ms, "adjustForTimeDifference": False},
            timeout_s=self.config.timeout_s,
            rate_limit_ms=self.config.rate_limit_ms,
        )

    def ccxt_symbol(self, inst: Instrument) -> str:
        return f"{inst.base}/{inst.quote}:{inst.quote}"

    def order_args(self, req: OrderRequest, inst: Instrument) -> tuple[str, str, str, str | None, dict[str, Any]]:
        params: dict[str, Any] = {"clientOrderId": req.client_id}
        if req.reduce_only:
            params["reduceOnly"] = True
        price = None
        if req.type is OrderType.LIMIT:
            price = inst.format_price(req.price)
            params["timeInForce"] = CCXT_TIF[req.tif]
        return (
            ("limit" if req.type is OrderType.LIMIT else "market"),
            req.side.value,
            inst.format_size(req.quantity),
            price,
            params,
        )

    def lookup_params(self, client_id: str) -> dict[str, Any]:
        return {"origClientOrderId": client_id}

    def _inst(self, symbol: str) -> Instrument:
        return self.by_symbol[symbol]

    def parse_order(self, info: dict[str, Any]) -> VenueOrder:
        inst = self._inst(info["symbol"])
        price = info.get("price", "0")
        return VenueOrder(
            client_id=info["clientOrderId"],
            venue_order_id=str(info["orderId"]),
            instrument=inst.key,
            side=Side.BUY if info["side"] == "BUY" else Side.SELL,
            type=OrderType.MARKET if info.get("type") == "MARKET" else OrderType.LIMIT,
            quantity=inst.size(info["origQty"]),
            price=inst.price(price) if Decimal(price) else 0,
            tif=TIF.get(info.get("timeInForce", "GTC"), TimeInForce.GTC),
            reduce_only=bool(info.get("reduceOnly")),
            status=STATUS[info["status"]],
            filled=to_fixed(info.get("executedQty", "0"), inst.size_precision),
            ts_ns=int(info.get("updateTime", 0)) * 1_000_000,
        )

    def parse_fill(self, info: dict[str, Any]) -> Fill:
        inst = self._inst(info["symbol"])
        d = inst.price_precision + inst.size_precision
        return Fill(
            instrument=inst.key,
            client_id=self._client_id_of(str(info["orderId"])),
            venue_order_id=str(info["orderId"]),
            trade_id=str(info["id"]),
            side=Side.BUY if info["side"] == "BUY" else Side.SELL,
            price=inst.price(info["price"]),
            quantity=inst.size(info["qty"]),
            fee=to_fixed(info["commission"], d, "commission", Rounding.UP),
            liquidity="maker" if info.get("maker") else "taker",
            ts_ns=int(info["time"]) * 1_000_000,
        )

    def _client_id_of(self, venue_order_id: str) -> str:
        for cid, o in self._known.items():
            if o.venue_order_id == venue_order_id:
                return cid
        return ""

    def parse_positions(self, raw: list[dict[str, Any]]) -> list[Position]:
        out = []
        for p in raw:
            inst = self._inst(p["symbol"])
            qty = to_fixed(p["positionAmt"], inst.size_precision)
            entry = inst.price(p["entryPrice"]) if Decimal(p["entryPrice"]) else 0
            out.append(Position(inst.key, qty, qty * entry, 0))
        return out

    def parse_balances(self, raw: Any) -> list[Balance]:
        out = []
        for a in raw.get("assets", []):
            total = to_fixed(a["walletBalance"], CASH_PRECISION, "walletBalance", Rounding.DOWN)
            free = to_fixed(a["availableBalance"], CASH_PRECISION, "availableBalance", Rounding.DOWN)
            out.append(Balance(self.name, a["asset"], total, free, CASH_PRECISION))
        return out
