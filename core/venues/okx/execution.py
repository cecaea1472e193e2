"""OKX swap order execution on ccxt.okx; only what differs from the generic class."""

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
from alephtx.core.venues.ccxt_venue import CcxtVenue
from alephtx.core.venues.credentials import Credentials
from alephtx.core.venues.okx.config import CAPABILITIES, REST, SPOT_CAPABILITIES, OkxConfig
from alephtx.core.venues.okx.data import OkxBookStream, OkxTradeStream
from alephtx.core.venues.okx.units import base_size, venue_size

STATE = {
    "live": OrderStatus.ACCEPTED,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELLED,
    "mmp_canceled": OrderStatus.CANCELLED,
}
ORD_TYPE = {
    "market": (OrderType.MARKET, TimeInForce.GTC),
    "limit": (OrderType.LIMIT, TimeInForce.GTC),
    "post_only": (OrderType.LIMIT, TimeInForce.POST_ONLY),
    "ioc": (OrderType.LIMIT, TimeInForce.IOC),
    "fok": (OrderType.LIMIT, TimeInForce.FOK),
}


class OkxVenue(CcxtVenue):
    name = "okx"
    ccxt_class = "okx"
    capabilities = CAPABILITIES
    answers_with_ids_only = True
    book_stream_cls: Any = OkxBookStream
    trade_stream_cls: Any = OkxTradeStream

    def __init__(
        self, instruments: list[Instrument], credentials: Credentials, config: OkxConfig | None = None
    ) -> None:
        self.config = config or OkxConfig()
        urls = {REST: self.config.rest_url} if self.config.rest_url != REST else None
        super().__init__(
            instruments,
            credentials,
            urls,
            {"fetchMarkets": {"types": ["swap"]}, "fetchCurrencies": False, "createOrder": "privatePostTradeOrder"},
            timeout_s=self.config.timeout_s,
            rate_limit_ms=self.config.rate_limit_ms,
            rate_window_s=self.config.rate_window_s,
        )
        self.ex.has["fetchCurrencies"] = False
        if self.config.demo:
            self.ex.headers = {**(self.ex.headers or {}), "x-simulated-trading": "1"}

    def ccxt_symbol(self, inst: Instrument) -> str:
        return f"{inst.base}/{inst.quote}:{inst.quote}"

    def order_args(self, req: OrderRequest, inst: Instrument) -> tuple[str, str, str, str | None, dict[str, Any]]:
        params: dict[str, Any] = {"clientOrderId": req.client_id, "tdMode": "cross"}
        if req.reduce_only:
            params["reduceOnly"] = True
        size = venue_size(inst, req.quantity)  # contracts on a swap
        if req.type is OrderType.MARKET:
            return "market", req.side.value, size, None, params
        if req.tif is TimeInForce.POST_ONLY:
            params["postOnly"] = True
        elif req.tif in (TimeInForce.IOC, TimeInForce.FOK):
            params["timeInForce"] = req.tif.value.upper()
        return "limit", req.side.value, size, inst.format_price(req.price), params

    def lookup_params(self, client_id: str) -> dict[str, Any]:
        return {"clOrdId": client_id}

    def parse_order(self, info: dict[str, Any]) -> VenueOrder:
        inst = self.by_symbol[info["instId"]]
        typ, tif = ORD_TYPE.get(info.get("ordType", "limit"), (OrderType.LIMIT, TimeInForce.GTC))
        px = info.get("px") or "0"
        return VenueOrder(
            client_id=info["clOrdId"],
            venue_order_id=info["ordId"],
            instrument=inst.key,
            side=Side.BUY if info["side"] == "buy" else Side.SELL,
            type=typ,
            quantity=base_size(inst, info["sz"]),
            price=inst.price(px) if Decimal(px) else 0,
            tif=tif,
            reduce_only=info.get("reduceOnly") == "true",
            status=STATE[info["state"]],
            filled=base_size(inst, info.get("accFillSz") or "0", "accFillSz"),
            ts_ns=int(info.get("uTime") or 0) * 1_000_000,
        )

    def parse_fill(self, info: dict[str, Any]) -> Fill:
        inst = self.by_symbol[info["instId"]]
        d = inst.price_precision + inst.size_precision
        return Fill(
            instrument=inst.key,
            client_id=info.get("clOrdId", ""),
            venue_order_id=info["ordId"],
            trade_id=info["tradeId"],
            side=Side.BUY if info["side"] == "buy" else Side.SELL,
            price=inst.price(info["fillPx"]),
            quantity=base_size(inst, info["fillSz"], "fillSz"),
            fee=to_fixed(info["fee"].lstrip("-"), d, "fee", Rounding.UP),  # OKX reports fees paid as negatives
            liquidity="maker" if info.get("execType") == "M" else "taker",
            ts_ns=int(info["ts"]) * 1_000_000,
        )

    def parse_positions(self, raw: list[dict[str, Any]]) -> list[Position]:
        out = []
        for p in raw:
            inst = self.by_symbol[p["instId"]]
            qty = base_size(inst, p["pos"], "pos")
            out.append(Position(inst.key, qty, qty * inst.average_price(p["avgPx"], "avgPx") if qty else 0, 0))
        return out

    def parse_balances(self, raw: Any) -> list[Balance]:
        out = []
        for acct in raw.get("data", []):
            for d in acct.get("details", []):
                total = to_fixed(d["cashBal"], CASH_PRECISION, "cashBal", Rounding.DOWN)
                free = to_fixed(d["availBal"], CASH_PRECISION, "availBal", Rounding.DOWN)
                out.append(Balance(self.name, d["ccy"], total, free, CASH_PRECISION))
        return out

    async def arm_cancel_on_disconnect(self, seconds: float) -> bool:
        """OKX's cancel-all-after: whole seconds from 10 to 120 (0 disarms); a shorter wish is
        raised to 10, a longer one lowered to 120, as the venue allows no other."""
        timeout = 0 if seconds <= 0 else min(120, max(10, round(seconds)))
        await self._markets()
        await self._call(partial(self.ex.privatePostTradeCancelAllAfter, {"timeOut": str(timeout)}))
        return True


class OkxSpotVenue(OkxVenue):
    """OKX spot (tdMode cash): the swap class with spot symbols and holdings."""

    capabilities = SPOT_CAPABILITIES

    def __init__(
        self, instruments: list[Instrument], credentials: Credentials, config: OkxConfig | None = None
    ) -> None:
        super().__init__(instruments, credentials, config)
        self.ex.options["fetchMarkets"] = {"types": ["spot"]}
        self.ex.options["defaultType"] = "spot"

    def ccxt_symbol(self, inst: Instrument) -> str:
        return f"{inst.base}/{inst.quote}"

    def order_args(self, req: OrderRequest, inst: Instrument) -> tuple[str, str, str, str | None, dict[str, Any]]:
        if req.reduce_only:
            raise VenueRejected("UNSUPPORTED", "spot has no reduce-only orders")
        typ, side, qty, price, params = super().order_args(req, inst)
        params["tdMode"] = "cash"
        if typ == "market":
            params["tgtCcy"] = "base_ccy"  # a market buy's size is in BTC, not USDT
        return typ, side, qty, price, params

    async def get_positions(self) -> list[Position]:
        held = {b.asset: b.total for b in await self.get_balances()}
        return [Position(i.key, held.get(i.base, 0), 0, 0) for i in self.instruments.values()]

    def parse_balances(self, raw: Any) -> list[Balance]:
        out = []
        sizes = {i.base: i.size_precision for i in self.instruments.values()}
        for acct in raw.get("data", []):
            for d in acct.get("details", []):
                prec = sizes.get(d["ccy"], CASH_PRECISION)
                total = to_fixed(d["cashBal"], prec, "cashBal", Rounding.DOWN)
                free = to_fixed(d["availBal"], prec, "availBal", Rounding.DOWN)
                out.append(Balance(self.name, d["ccy"], total, free, prec))
        return out
