"""Bybit v5 linear order execution on ccxt.bybit; only what differs from the generic class."""

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
from alephtx.core.venues.base import VenueOrder
from alephtx.core.venues.bybit.config import CAPABILITIES, REST, BybitConfig
from alephtx.core.venues.bybit.data import BybitBookStream, BybitTradeStream
from alephtx.core.venues.ccxt_venue import CcxtVenue
from alephtx.core.venues.credentials import Credentials

STATUS = {
    "New": OrderStatus.ACCEPTED,
    "Created": OrderStatus.SUBMITTED,
    "Untriggered": OrderStatus.ACCEPTED,
    "PartiallyFilled": OrderStatus.PARTIALLY_FILLED,
    "Filled": OrderStatus.FILLED,
    "Cancelled": OrderStatus.CANCELLED,
    "PartiallyFilledCanceled": OrderStatus.CANCELLED,
    "Rejected": OrderStatus.REJECTED,
    "Deactivated": OrderStatus.EXPIRED,
}
TIF = {"GTC": TimeInForce.GTC, "IOC": TimeInForce.IOC, "FOK": TimeInForce.FOK, "PostOnly": TimeInForce.POST_ONLY}


class BybitVenue(CcxtVenue):
    name = "bybit"
    ccxt_class = "bybit"
    capabilities = CAPABILITIES
    answers_with_ids_only = True
    book_stream_cls: Any = BybitBookStream
    trade_stream_cls: Any = BybitTradeStream

    def __init__(
        self, instruments: list[Instrument], credentials: Credentials, config: BybitConfig | None = None
    ) -> None:
        self.config = config or BybitConfig()
        urls = {REST: self.config.rest_url} if self.config.rest_url != REST else None
        options = {
            "fetchMarkets": {"types": ["linear"]},
            "enableUnifiedAccount": True,
            "enableUnifiedMargin": False,
            "recvWindow": self.config.recv_window_ms,
            "adjustForTimeDifference": False,
            "fetchCurrencies": False,
        }
        cfg = self.config
        super().__init__(instruments, credentials, urls, options, cfg.timeout_s, cfg.rate_limit_ms, cfg.rate_window_s)
        self.ex.has["fetchCurrencies"] = False
        self.dcp_window_s = 0  # the dead-man's switch's window; the user stream subscribes dcp when set

    def ccxt_symbol(self, inst: Instrument) -> str:
        return f"{inst.base}/{inst.quote}:{inst.quote}"

    def order_args(self, req: OrderRequest, inst: Instrument) -> tuple[str, str, str, str | None, dict[str, Any]]:
        params: dict[str, Any] = {"clientOrderId": req.client_id}
        if req.reduce_only:
            params["reduceOnly"] = True
        if req.type is OrderType.MARKET:
            return "market", req.side.value, inst.format_size(req.quantity), None, params
        if req.tif is TimeInForce.POST_ONLY:
            params["postOnly"] = True
        else:
            params["timeInForce"] = req.tif.value.upper()
        return "limit", req.side.value, inst.format_size(req.quantity), inst.format_price(req.price), params

    def lookup_params(self, client_id: str) -> dict[str, Any]:
        return {"orderLinkId": client_id, "acknowledged": True}

    def parse_order(self, info: dict[str, Any]) -> VenueOrder:
        inst = self.by_symbol[info["symbol"]]
        px = info.get("price") or "0"
        return VenueOrder(
            client_id=info["orderLinkId"],
            venue_order_id=info["orderId"],
            instrument=inst.key,
            side=Side.BUY if info["side"] == "Buy" else Side.SELL,
            type=OrderType.MARKET if info.get("orderType") == "Market" else OrderType.LIMIT,
            quantity=inst.size(info["qty"]),
            price=inst.price(px) if Decimal(px) else 0,
            tif=TIF.get(info.get("timeInForce", "GTC"), TimeInForce.GTC),
            reduce_only=bool(info.get("reduceOnly")),
            status=STATUS[info["orderStatus"]],
            filled=to_fixed(info.get("cumExecQty") or "0", inst.size_precision),
            ts_ns=int(info.get("updatedTime") or 0) * 1_000_000,
        )

    def parse_fill(self, info: dict[str, Any]) -> Fill:
        inst = self.by_symbol[info["symbol"]]
        d = inst.price_precision + inst.size_precision
        return Fill(
            instrument=inst.key,
            client_id=info.get("orderLinkId", ""),
            venue_order_id=info["orderId"],
            trade_id=info["execId"],
            side=Side.BUY if info["side"] == "Buy" else Side.SELL,
            price=inst.price(info["execPrice"]),
            quantity=inst.size(info["execQty"]),
            fee=to_fixed(info["execFee"], d, "execFee", Rounding.UP),
            liquidity="maker" if info.get("isMaker") else "taker",
            ts_ns=int(info["execTime"]) * 1_000_000,
        )

    def parse_positions(self, raw: list[dict[str, Any]]) -> list[Position]:
        out = []
        for p in raw:
            inst = self.by_symbol[p["symbol"]]
            qty = to_fixed(p["size"], inst.size_precision) * (-1 if p.get("side") == "Sell" else 1)
            out.append(Position(inst.key, qty, qty * inst.average_price(p["avgPrice"]) if qty else 0, 0))
        return out

    def parse_balances(self, raw: Any) -> list[Balance]:
        out = []
        for acct in raw.get("result", {}).get("list", []):
            for c in acct.get("coin", []):
                total = to_fixed(c["walletBalance"], CASH_PRECISION, "walletBalance", Rounding.DOWN)
                free = to_fixed(
                    c.get("availableToWithdraw") or c["walletBalance"], CASH_PRECISION, "available", Rounding.DOWN
                )
                out.append(Balance(self.name, c["coin"], total, free, CASH_PRECISION))
        return out

    async def arm_cancel_on_disconnect(self, seconds: float) -> bool:
        """Bybit's disconnection protection: the venue cancels our derivatives orders once every
        private stream subscribed to ``dcp`` has been dead for the window (3 to 300 whole
        seconds; a shorter wish is raised to 3). Set once per window; the user stream's pings
        keep it from firing, so it needs the stream. 0 unsubscribes the stream from ``dcp``."""
        if seconds <= 0:
            self.dcp_window_s = 0
            return True
        window = min(300, max(3, round(seconds)))
        if window != self.dcp_window_s:
            await self._markets()
            params = {"product": "DERIVATIVES", "timeWindow": window}
            await self._call(partial(self.ex.privatePostV5OrderDisconnectedCancelAll, params))
            self.dcp_window_s = window
        return True
