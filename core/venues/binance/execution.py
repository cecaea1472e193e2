"""Binance order execution on ccxt: USD-M futures (ccxt.binanceusdm) and spot (ccxt.binance).

The two are siblings: ``BinanceVenue`` holds what Binance's answers share (order and trade
fields, lookup by ``origClientOrderId``), and each market states its own client, symbols, order
parameters, positions and balances."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
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
from alephtx.core.model.accounting import CASH_PRECISION
from alephtx.core.model.fixed import Rounding, to_fixed
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


class BinanceVenue(CcxtVenue):
    """What Binance's USD-M and spot answers share; each market is a subclass stating the rest."""

    def __init__(
        self,
        instruments: list[Instrument],
        credentials: Credentials,
        config: BinanceConfig | BinanceSpotConfig,
        default_rest: str,
        options: dict[str, Any],
    ) -> None:
        self.config = config
        urls = {default_rest: config.rest_url} if config.rest_url != default_rest else None
        common = {"fetchCurrencies": False, "recvWindow": config.recv_window_ms, "adjustForTimeDifference": False}
        options = common | options
        super().__init__(
            instruments, credentials, urls, options, config.timeout_s, config.rate_limit_ms, config.rate_window_s
        )

    def lookup_params(self, client_id: str) -> dict[str, Any]:
        return {"origClientOrderId": client_id}

    def _inst(self, symbol: str) -> Instrument:
        return self.by_symbol[symbol]

    def _order(self, info: dict[str, Any], typ: OrderType, tif: TimeInForce, ts_ms: int) -> VenueOrder:
        inst = self._inst(info["symbol"])
        price = info.get("price", "0")
        return VenueOrder(
            client_id=info["clientOrderId"],
            venue_order_id=str(info["orderId"]),
            instrument=inst.key,
            side=Side.BUY if info["side"] == "BUY" else Side.SELL,
            type=typ,
            quantity=inst.size(info["origQty"]),
            price=inst.price(price) if Decimal(price) else 0,
            tif=tif,
            reduce_only=bool(info.get("reduceOnly")),
            status=STATUS[info["status"]],
            filled=to_fixed(info.get("executedQty", "0"), inst.size_precision),
            ts_ns=ts_ms * 1_000_000,
        )

    def _fill(self, info: dict[str, Any], side: Side, maker: bool) -> Fill:
        inst = self._inst(info["symbol"])
        d = inst.price_precision + inst.size_precision
        return Fill(
            instrument=inst.key,
            client_id=self._client_id_of(str(info["orderId"])),
            venue_order_id=str(info["orderId"]),
            trade_id=str(info["id"]),
            side=side,
            price=inst.price(info["price"]),
            quantity=inst.size(info["qty"]),
            fee=to_fixed(info["commission"], d, "commission", Rounding.UP),
            liquidity="maker" if maker else "taker",
            ts_ns=int(info["time"]) * 1_000_000,
        )

    def _client_id_of(self, venue_order_id: str) -> str:
        for cid, o in self._known.items():
            if o.venue_order_id == venue_order_id:
                return cid
        return ""


class BinanceUsdmVenue(BinanceVenue):
    name = "binance-usdm"
    ccxt_class = "binanceusdm"
    capabilities = CAPABILITIES
    book_stream_cls: Any = BinanceBookStream
    trade_stream_cls: Any = BinanceTradeStream

    def __init__(
        self, instruments: list[Instrument], credentials: Credentials, config: BinanceConfig | None = None
    ) -> None:
        super().__init__(instruments, credentials, config or BinanceConfig(), REST, {})

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

    def parse_order(self, info: dict[str, Any]) -> VenueOrder:
        typ = OrderType.MARKET if info.get("type") == "MARKET" else OrderType.LIMIT
        tif = TIF.get(info.get("timeInForce", "GTC"), TimeInForce.GTC)
        return self._order(info, typ, tif, int(info.get("updateTime", 0)))

    def parse_fill(self, info: dict[str, Any]) -> Fill:
        return self._fill(info, Side.BUY if info["side"] == "BUY" else Side.SELL, bool(info.get("maker")))

    def parse_positions(self, raw: list[dict[str, Any]]) -> list[Position]:
        out = []
        for p in raw:
            inst = self._inst(p["symbol"])
            qty = to_fixed(p["positionAmt"], inst.size_precision)
            entry = inst.average_price(p["entryPrice"], "entryPrice")
            out.append(Position(inst.key, qty, qty * entry, 0))
        return out

    def parse_balances(self, raw: Any) -> list[Balance]:
        out = []
        for a in raw.get("assets", []):
            total = to_fixed(a["walletBalance"], CASH_PRECISION, "walletBalance", Rounding.DOWN)
            free = to_fixed(a["availableBalance"], CASH_PRECISION, "availableBalance", Rounding.DOWN)
            out.append(Balance(self.name, a["asset"], total, free, CASH_PRECISION))
        return out

    async def arm_cancel_on_disconnect(self, seconds: float) -> bool:
        """USD-M's countdownCancelAll, per symbol: the venue cancels that symbol's open orders
        when the countdown is not refreshed in time."""
        await self._markets()
        ms = max(0, int(seconds * 1000))
        for inst in self.instruments.values():
            params = {"symbol": inst.symbol, "countdownTime": ms}
            await self._call(partial(self.ex.fapiPrivatePostCountdownCancelAll, params))
        return True


class BinanceSpotVenue(BinanceVenue):
    """Binance spot on ccxt.binance: spot's order types (post-only is LIMIT_MAKER) and holdings."""

    name = "binance"
    ccxt_class = "binance"
    capabilities = SPOT_CAPABILITIES
    book_stream_cls: Any = BinanceSpotBookStream
    trade_stream_cls: Any = BinanceSpotTradeStream

    def __init__(
        self, instruments: list[Instrument], credentials: Credentials, config: BinanceSpotConfig | None = None
    ) -> None:
        options = {"defaultType": "spot", "fetchMarkets": {"types": ["spot"]}, "fetchMargins": False}
        super().__init__(instruments, credentials, config or BinanceSpotConfig(), SPOT_REST, options)

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
        typ = OrderType.MARKET if info.get("type") == "MARKET" else OrderType.LIMIT
        # Spot says post-only in the order's type (LIMIT_MAKER), not in its time in force.
        tif = TIF.get(info.get("timeInForce", "GTC"), TimeInForce.GTC)
        tif = TimeInForce.POST_ONLY if info.get("type") == "LIMIT_MAKER" else tif
        return self._order(info, typ, tif, int(info.get("updateTime") or info.get("transactTime") or 0))

    def parse_fill(self, info: dict[str, Any]) -> Fill:
        return self._fill(info, Side.BUY if info["isBuyer"] else Side.SELL, bool(info["isMaker"]))

    def parse_positions(self, raw: list[dict[str, Any]]) -> list[Position]:
        """Spot holds assets: the position in an instrument is the base asset held (free and
        locked), read from the account's balance rows."""
        held = {b.asset: b.total for b in self.parse_balances({"balances": raw})}
        return [Position(i.key, held.get(i.base, 0), 0, 0) for i in self.instruments.values()]

    async def get_positions(self) -> list[Position]:
        await self._markets()
        raw = await self._call(self.ex.fetch_balance)
        return self.parse_positions(raw["info"].get("balances", []))

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
