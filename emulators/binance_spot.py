"""Binance spot on loopback: the /api/v3 subset ccxt.binance uses and the ``<symbol>@depth@100ms``
stream (U/u without pu: each diff starts right after the previous one), with spot balances
(a sell needs the base asset, a buy the quote) and spot error codes (-2010, -2011, -2013); the
user-data stream on the WebSocket API (``/ws-api/v3``, ``userDataStream.subscribe.signature``)."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from aiohttp import web

from alephtx.core.model import Instrument, OrderType, Side, TimeInForce
from alephtx.core.model.accounting import CASH_PRECISION, to_cash
from alephtx.core.model.fixed import from_fixed
from alephtx.core.replay.driver import TapeEvent
from alephtx.core.signers import HmacSigner
from alephtx.core.venues.base import VenueOrder
from alephtx.emulators.binance import STATUS, TIF_OUT, BinanceBase, err

BTCUSDT_SPOT = Instrument.from_strings("binance", "BTCUSDT", "spot", "0.01", "0.00001", "5", base="BTC", quote="USDT")


class BinanceSpotEmulator(BinanceBase):
    """Spot: a sibling of the USD-M emulator (binance.py), sharing ``BinanceBase``."""

    name = "binance"
    weight_limit = 6000

    def __init__(self, *args: Any, **kw: Any) -> None:
        kw.setdefault("instrument", BTCUSDT_SPOT)
        super().__init__(*args, **kw)
        self.spot_u = 1000  # spot update ids: each diff starts where the last one ended

    def depth_message(self, ev: TapeEvent) -> str:
        bids, asks = self.depth_levels(ev)
        first, last = self.spot_u + 1, self.spot_u + max(ev.count, 1)
        self.spot_u = last
        e_ms = ev.exch_ns // 1_000_000
        return (
            f'{{"e":"depthUpdate","E":{e_ms},"s":"{self.instrument.symbol}","U":{first},"u":{last},'
            f'"b":[{bids}],"a":[{asks}]}}'
        )

    def routes(self, r: web.UrlDispatcher) -> None:
        r.add_get("/api/v3/ping", self.ping)
        r.add_get("/api/v3/time", self.server_time)
        r.add_get("/api/v3/exchangeInfo", self.exchange_info)
        r.add_get("/api/v3/depth", self.depth)
        r.add_post("/api/v3/order", self.signed(self.new_order))
        r.add_delete("/api/v3/order", self.signed(self.cancel_order))
        r.add_get("/api/v3/order", self.signed(self.query_order))
        r.add_get("/api/v3/openOrders", self.signed(self.open_orders))
        r.add_get("/api/v3/myTrades", self.signed(self.user_trades))
        r.add_get("/api/v3/account", self.signed(self.account_info))
        r.add_get("/ws/{stream}", self.ws_stream)
        r.add_get("/ws-api/v3", self.websocket)  # the WebSocket API: the user-data stream's home

    # -- the user-data stream, on the WebSocket API (spot's listenKey was retired in 2026) ----------

    async def on_ws_text(self, ws: web.WebSocketResponse, text: str) -> None:
        try:
            req = json.loads(text)
            rid, method, params = req.get("id"), req["method"], dict(req.get("params") or {})
        except (ValueError, KeyError, TypeError, AttributeError):
            await ws.send_str(json.dumps({"id": None, "status": 400, "error": {"code": -1100, "msg": "Malformed"}}))
            return
        if method != "userDataStream.subscribe.signature":
            await ws.send_str(json.dumps({"id": rid, "status": 400, "error": {"code": -1100, "msg": "Unknown method"}}))
            return
        error = self._user_stream_refusal(params)
        if error is not None:
            await ws.send_str(json.dumps({"id": rid, "status": 400, "error": {"code": error[0], "msg": error[1]}}))
            return
        ws._aleph_kinds = {"user"}  # type: ignore[attr-defined]
        await ws.send_str(json.dumps({"id": rid, "status": 200, "result": {"subscriptionId": 0}}))

    def _user_stream_refusal(self, params: dict[str, Any]) -> tuple[int, str] | None:
        """The WebSocket API's checks of a signed request: the key, the HMAC of the sorted
        parameters without the signature, the timestamp window."""
        if self.refuse_user_streams:
            return -1001, "Internal error; unable to process your request. Please try again."
        if params.get("apiKey") != self.account.api_key:
            return -2015, "Invalid API-key, IP, or permissions for action."
        sig = str(params.pop("signature", ""))
        payload = "&".join(f"{k}={params[k]}" for k in sorted(params))
        if not sig or not HmacSigner(self.account.secret).verify(payload, sig):
            return -1022, "Signature for this request is not valid."
        try:
            ts = int(params.get("timestamp", 0))
        except (TypeError, ValueError):
            return -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."
        now = int(time.time() * 1000) + self.faults.clock_skew_ms
        if ts >= now + 1000 or now - ts > 5000:
            return -1021, "Timestamp for this request is outside of the recvWindow."
        return None

    def user_messages(self, report: Any) -> list[str]:
        """``executionReport`` events, wrapped with the subscription's id as the WebSocket API does."""
        o = self.venue.orders.get(report.client_id)
        if o is None or o.client_id not in self.order_ids:
            return []
        i, f = self.instrument, report.fill
        d = i.price_precision + i.size_precision
        execution = {"accepted": "NEW", "fill": "TRADE", "cancelled": "CANCELED", "expired": "EXPIRED"}
        ms = (report.ts_ns or time.time_ns()) // 1_000_000
        cancelled = report.kind in ("cancelled", "expired")
        event = {
            "e": "executionReport", "E": ms, "s": i.symbol,
            # A cancel's "c" is the cancel request's own id; the order's is "C" then.
            "c": "web_" + secrets.token_hex(8) if cancelled else o.client_id, "C": o.client_id if cancelled else "",
            "S": o.side.value.upper(), "o": "LIMIT" if o.price else "MARKET", "f": "GTC",
            "q": i.format_size(o.quantity), "p": i.format_price(o.price) if o.price else "0.00",
            "x": execution.get(report.kind, "REJECTED"), "X": STATUS[o.status], "r": "NONE",
            "i": self.order_ids[o.client_id], "l": i.format_size(f.quantity) if f else "0.00000",
            "z": i.format_size(o.filled), "L": i.format_price(f.price) if f else "0.00",
            "n": from_fixed(f.fee, d) if f else "0", "N": i.quote if f else None, "T": ms,
            "t": int(f.trade_id.rsplit("-", 1)[-1]) if f else -1, "w": not o.status.is_terminal,
            "m": bool(f and f.liquidity == "maker"), "O": o.ts_ns // 1_000_000,
        }  # fmt: skip
        return [json.dumps({"subscriptionId": 0, "event": event})]

    def weight_of(self, request: web.Request) -> int:
        return 5 if request.path.endswith(("account", "openOrders")) else 1

    async def exchange_info(self, request: web.Request) -> web.Response:
        i = self.instrument
        return web.json_response(
            {
                "timezone": "UTC",
                "serverTime": int(time.time() * 1000),
                "rateLimits": [
                    {
                        "rateLimitType": "REQUEST_WEIGHT",
                        "interval": "MINUTE",
                        "intervalNum": 1,
                        "limit": self.weight_limit,
                    }
                ],
                "symbols": [
                    {
                        "symbol": i.symbol,
                        "status": "TRADING",
                        "baseAsset": i.base,
                        "baseAssetPrecision": 8,
                        "quoteAsset": i.quote,
                        "quotePrecision": 8,
                        "quoteAssetPrecision": 8,
                        "baseCommissionPrecision": 8,
                        "quoteCommissionPrecision": 8,
                        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET"],
                        "icebergAllowed": True,
                        "ocoAllowed": True,
                        "quoteOrderQtyMarketAllowed": True,
                        "isSpotTradingAllowed": True,
                        "isMarginTradingAllowed": False,
                        "permissions": ["SPOT"],
                        "permissionSets": [["SPOT"]],
                        "filters": [
                            {
                                "filterType": "PRICE_FILTER",
                                "minPrice": i.tick_size,
                                "maxPrice": "1000000.00",
                                "tickSize": i.tick_size,
                            },
                            {
                                "filterType": "LOT_SIZE",
                                "minQty": i.lot_size,
                                "maxQty": "9000.00000",
                                "stepSize": i.lot_size,
                            },
                            {
                                "filterType": "NOTIONAL",
                                "minNotional": "5.00000000",
                                "applyMinToMarket": True,
                                "maxNotional": "9000000.00",
                                "applyMaxToMarket": False,
                                "avgPriceMins": 5,
                            },
                        ],
                    }
                ],
            }
        )

    async def depth(self, request: web.Request) -> web.Response:
        if not self.synced.is_set():
            return err(-1001, "Internal error; unable to process your request.", 503)
        bids, asks = self.levels(int(request.query.get("limit", "100")))
        return web.json_response({"lastUpdateId": self.spot_u, "bids": bids, "asks": asks})

    def order_type(self, p: dict[str, str]) -> tuple[OrderType, TimeInForce]:
        if p["type"] == "LIMIT_MAKER":
            return OrderType.LIMIT, TimeInForce.POST_ONLY
        return super().order_type(p)

    def post_only_error(self) -> tuple[int, str]:
        return -2010, "Order would immediately match and take."

    def _holdings(self) -> tuple[int, int]:
        """(base in size units, quote in cash units): the paper position seen as spot balances."""
        pos = self.venue.matchers[self.instrument.key].position
        assert pos is not None
        return pos.quantity, self.venue.cash() - to_cash(self.instrument, pos.cost)

    def check_funds(self, side: Side, qty: int, price: int) -> str:
        base, quote = self._holdings()
        if side is Side.SELL and qty > base:
            return "Account has insufficient balance for requested action."
        book_px = price or self.venue.books[self.instrument.key].best_ask_price()
        if side is Side.BUY and to_cash(self.instrument, qty * book_px) > quote:
            return "Account has insufficient balance for requested action."
        return ""

    def order_json(self, o: VenueOrder) -> dict[str, Any]:
        i = self.instrument
        d = i.price_precision + i.size_precision
        fills = [f for f in self.venue.fills if f.client_id == o.client_id]
        return {
            "symbol": i.symbol,
            "orderId": self.order_ids[o.client_id],
            "orderListId": -1,
            "clientOrderId": o.client_id,
            "price": i.format_price(o.price) if o.price else "0.00",
            "origQty": i.format_size(o.quantity),
            "executedQty": i.format_size(o.filled),
            "cummulativeQuoteQty": from_fixed(sum(f.price * f.quantity for f in fills), d),
            "status": STATUS[o.status],
            "timeInForce": "GTC" if o.tif is TimeInForce.POST_ONLY else TIF_OUT.get(o.tif, "GTC"),
            "type": "MARKET"
            if o.type is OrderType.MARKET
            else ("LIMIT_MAKER" if o.tif is TimeInForce.POST_ONLY else "LIMIT"),
            "side": "BUY" if o.side is Side.BUY else "SELL",
            "stopPrice": "0.00",
            "icebergQty": "0.00",
            "time": o.ts_ns // 1_000_000,
            "updateTime": int(time.time() * 1000),
            "isWorking": True,
            "workingTime": o.ts_ns // 1_000_000,
            "origQuoteOrderQty": "0.00",
            "selfTradePreventionMode": "NONE",
            "transactTime": int(time.time() * 1000),
        }

    async def user_trades(self, request: web.Request, p: dict[str, str]) -> web.Response:
        i = self.instrument
        d = i.price_precision + i.size_precision
        return web.json_response(
            [
                {
                    "symbol": i.symbol,
                    "id": int(f.trade_id.rsplit("-", 1)[1]),
                    "orderId": self.order_ids.get(f.client_id, 0),
                    "orderListId": -1,
                    "price": i.format_price(f.price),
                    "qty": i.format_size(f.quantity),
                    "quoteQty": from_fixed(f.price * f.quantity, d),
                    "commission": from_fixed(f.fee, d),
                    "commissionAsset": i.quote,
                    "time": f.ts_ns // 1_000_000,
                    "isBuyer": f.side is Side.BUY,
                    "isMaker": f.liquidity == "maker",
                    "isBestMatch": True,
                }
                for f in self.venue.fills
            ]
        )

    async def account_info(self, request: web.Request, p: dict[str, str]) -> web.Response:
        base, quote = self._holdings()
        locked_base = sum(
            o.quantity - o.filled
            for o in self.venue.orders.values()
            if not o.status.is_terminal and o.side is Side.SELL
        )
        i = self.instrument
        return web.json_response(
            {
                "makerCommission": 2,
                "takerCommission": 5,
                "canTrade": True,
                "canWithdraw": True,
                "canDeposit": True,
                "updateTime": int(time.time() * 1000),
                "accountType": "SPOT",
                "permissions": ["SPOT"],
                "balances": [
                    {"asset": i.base, "free": i.format_size(base - locked_base), "locked": i.format_size(locked_base)},
                    {"asset": i.quote, "free": from_fixed(quote, CASH_PRECISION), "locked": "0.00000000"},
                ],
            }
        )
