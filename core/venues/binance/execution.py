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
from alephtx.core.venues.base import VenueOrder, VenueRejected
from alephtx.core.venues.binance.config import (
    CAPABILITIES,
    REST,
    SPOT_CAPABILITIES,
    SPOT_REST,
    BinanceConfig,
    BinanceSpotConfig,
)
from alephtx.core.venues.binance.data import (
    BinanceBookStream,
    BinanceSpotBookStream,
    BinanceSpotTradeStream,
    BinanceTradeStream,
)
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
    book_stream_cls: Any = BinanceBookStream
    trade_stream_cls: Any = BinanceTradeStream

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


SPOT_STATUS_TYPES = {
    "LIMIT_MAKER": (OrderType.LIMIT, TimeInForce.POST_ONLY),
    "MARKET": (OrderType.MARKET, TimeInForce.GTC),
}


class BinanceSpotVenue(BinanceUsdmVenue):
    """Binance spot on ccxt.binance: the USD-M class with spot's order types and holdings."""

    name = "binance"
    ccxt_class = "binance"
    capabilities = SPOT_CAPABILITIES
    book_stream_cls = BinanceSpotBookStream
    trade_stream_cls = BinanceSpotTradeStream

    def __init__(
        self, instruments: list[Instrument], credentials: Credentials, config: BinanceSpotConfig | None = None
    ) -> None:
        self.config = config or BinanceSpotConfig()
        urls = {SPOT_REST: self.config.rest_url} if self.config.rest_url != SPOT_REST else None
        options = {
            "defaultType": "spot",
            "fetchMarkets": {"types": ["spot"]},
            "fetchCurrencies": False,
            "fetchMargins": False,
            "recvWindow": self.config.recv_window_ms,
            "adjustForTimeDifference": False,
        }
        CcxtVenue.__init__(
            self, instruments, credentials, urls, options, self.config.timeout_s, self.config.rate_limit_ms
        )

    def ccxt_symbol(self, inst: Instrument) -> str:
        return f"{inst.base}/{inst.quote}"

    def order_args(self, req: OrderRequest, inst: Instrument) -> tuple[str, str, str, str | None, dict[str, Any]]:
        if req.reduce_only:
            raise VenueRejected("UNSUPPORTED", "spot has no reduce-only orders")
        params: dict[str, Any] = {"clientOrderId": req.client_id}
        if req.type is OrderType.MARKET:
            return "market", req.side.value, inst.format_size(req.quantity), None, params
        if req.tif is TimeInForce.POST_ONLY:
            params["postOnly"] = True
        else:
            params["timeInForce"] = CCXT_TIF[req.tif]
        return "limit", req.side.value, inst.format_size(req.quantity), inst.format_price(req.price), params

    def parse_order(self, info: dict[str, Any]) -> VenueOrder:
        o = super().parse_order(info | {"type": "LIMIT" if info.get("type") == "LIMIT_MAKER" else info.get("type")})
        if info.get("type") == "LIMIT_MAKER":
            o.tif = TimeInForce.POST_ONLY
        o.ts_ns = int(info.get("updateTime") or info.get("transactTime") or 0) * 1_000_000
        return o

    def parse_fill(self, info: dict[str, Any]) -> Fill:
        side = "BUY" if info["isBuyer"] else "SELL"
        return super().parse_fill(info | {"side": side, "maker": info["isMaker"]})

    async def get_positions(self) -> list[Position]:
        """Spot holds assets: the position in an instrument is the base asset held."""
        held = {b.asset: b.total for b in await self.get_balances()}
        return [Position(i.key, held.get(i.base, 0), 0, 0) for i in self.instruments.values()]

    def parse_balances(self, raw: Any) -> list[Balance]:
        out = []
        quotes = {i.quote for i in self.instruments.values()}
        sizes = {i.base: i.size_precision for i in self.instruments.values()}
        for b in raw.get("balances", []):
            prec = CASH_PRECISION if b["asset"] in quotes else sizes.get(b["asset"], 8)
            free = to_fixed(b["free"], prec, "free", Rounding.DOWN)
            locked = to_fixed(b["locked"], prec, "locked", Rounding.DOWN)
            out.append(Balance(self.name, b["asset"], free + locked, free, prec))
        return out
