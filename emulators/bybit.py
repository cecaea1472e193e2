"""Bybit v5 (linear perpetuals, unified account) on loopback: the REST subset ccxt.bybit uses and the
public ``orderbook.50`` topic, with Bybit's signature (hex HMAC over timestamp + key + recv window +
payload), timestamp window and retCodes (10002, 10003, 10004, 110001, 110072)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import web

from alephtx.core.model import Instrument, OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from alephtx.core.model.accounting import CASH_PRECISION
from alephtx.core.model.fixed import from_fixed
from alephtx.core.replay.driver import TapeEvent
from alephtx.core.signers import HmacSigner
from alephtx.core.venues.base import VenueOrder, VenueRejected
from alephtx.emulators.base import Emulator

BTCUSDT_LINEAR = Instrument.from_strings("bybit", "BTCUSDT", "perp", "0.10", "0.001", "5", base="BTC", quote="USDT")
STATUS = {
    OrderStatus.SUBMITTED: "New",
    OrderStatus.ACCEPTED: "New",
    OrderStatus.CANCEL_PENDING: "New",
    OrderStatus.PARTIALLY_FILLED: "PartiallyFilled",
    OrderStatus.FILLED: "Filled",
    OrderStatus.CANCELLED: "Cancelled",
    OrderStatus.EXPIRED: "Cancelled",
    OrderStatus.REJECTED: "Rejected",
}
TIF_IN = {"GTC": TimeInForce.GTC, "IOC": TimeInForce.IOC, "FOK": TimeInForce.FOK, "PostOnly": TimeInForce.POST_ONLY}
TIF_OUT = {v: k for k, v in TIF_IN.items()}


def ok(result: Any) -> web.Response:
    return web.json_response(
        {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": int(time.time() * 1000)}
    )


def fail(code: int, msg: str) -> web.Response:
    return web.json_response(
        {"retCode": code, "retMsg": msg, "result": {}, "retExtInfo": {}, "time": int(time.time() * 1000)}
    )


class BybitEmulator(Emulator):
    name = "bybit"
    weight_limit = 120  # requests per 5 seconds per IP, as Bybit's HTTP limit
    weight_window_s = 5.0

    def __init__(self, *args: Any, **kw: Any) -> None:
        kw.setdefault("instrument", BTCUSDT_LINEAR)
        super().__init__(*args, **kw)
        self.order_ids: dict[str, str] = {}
        self.u = 1
        # Disconnection protection: the window set over REST (0: never set), the private sockets
        # subscribed to dcp and when each last spoke; a socket silent for ping_timeout_s is dead.
        self.dcp_window_s = 0
        self.dcp_sockets: dict[web.WebSocketResponse, float] = {}
        self.ping_timeout_s = 30.0
        self._dcp_task: asyncio.Task[None] | None = None

    # -- streams -------------------------------------------------------------------------------------

    def _book(self, kind: str, bids: list[tuple[str, str]], asks: list[tuple[str, str]], ts: int) -> str:
        self.u += 1
        data = {
            "s": self.instrument.symbol,
            "b": [list(b) for b in bids],
            "a": [list(a) for a in asks],
            "u": self.u,
            "seq": self.u,
        }
        return json.dumps(
            {"topic": f"orderbook.50.{self.instrument.symbol}", "type": kind, "ts": ts, "data": data, "cts": ts}
        )

    def depth_message(self, ev: TapeEvent) -> str:
        fp, fs = self.instrument.format_price, self.instrument.format_size
        bids = [(fp(p), fs(q)) for p, q in ev.bids]
        asks = [(fp(p), fs(q)) for p, q in ev.asks]
        return self._book("delta", bids, asks, ev.exch_ns // 1_000_000)

    def trade_message(self, ev: TapeEvent) -> str:
        i = self.instrument
        t = {
            "T": ev.exch_ns // 1_000_000,
            "s": i.symbol,
            "S": "Sell" if ev.aggressor is Side.SELL else "Buy",
            "v": i.format_size(ev.quantity),
            "p": i.format_price(ev.price),
            "i": str(ev.trade_id),
            "BT": False,
        }
        return json.dumps({"topic": f"publicTrade.{i.symbol}", "type": "snapshot", "ts": t["T"], "data": [t]})

    async def on_ws_text(self, ws: web.WebSocketResponse, text: str) -> None:
        try:
            req = json.loads(text)
        except ValueError:
            await ws.send_str(json.dumps({"success": False, "ret_msg": "invalid json", "op": ""}))
            return
        if ws in self.dcp_sockets:
            self.dcp_sockets[ws] = time.monotonic()
        if req.get("op") == "ping":
            await ws.send_str(json.dumps({"success": True, "ret_msg": "pong", "op": "ping"}))
            return
        if req.get("op") == "auth":
            await ws.send_str(json.dumps(self._auth(ws, req.get("args"))))
            return
        kinds: set[str] = getattr(ws, "_aleph_kinds", set())
        for topic in req.get("args", []):
            if req.get("op") == "unsubscribe":
                if topic.startswith("dcp"):
                    self.dcp_sockets.pop(ws, None)
                kinds.discard("depth" if topic.startswith("orderbook") else "trade")
                continue
            if topic in ("order", "execution") or topic.startswith("dcp"):
                authed = getattr(ws, "_aleph_auth", False)
                answer = {"success": authed, "ret_msg": "" if authed else "Request not authorized", "op": "subscribe"}
                await ws.send_str(json.dumps(answer))
                if authed and topic.startswith("dcp"):
                    self.dcp_sockets[ws] = time.monotonic()
                elif authed:
                    kinds.add("user")
                continue
            await ws.send_str(
                json.dumps({"success": True, "ret_msg": "", "op": "subscribe", "req_id": req.get("req_id", "")})
            )
            if topic == f"orderbook.50.{self.instrument.symbol}":
                bids, asks = self.levels(50)
                snapshot = self._book("snapshot", bids, asks, int(time.time() * 1000))
                kinds.add("depth")
                ws._aleph_kinds = kinds  # type: ignore[attr-defined]
                await ws.send_str(snapshot)
            elif topic == f"publicTrade.{self.instrument.symbol}":
                kinds.add("trade")
        ws._aleph_kinds = kinds  # type: ignore[attr-defined]

    def _auth(self, ws: web.WebSocketResponse, args: Any) -> dict[str, Any]:
        """Bybit's private-stream auth: [key, expires (ms, in the future), hex HMAC of
        "GET/realtime" + expires]."""
        try:
            key, expires, sig = args
            expired = int(expires) <= time.time() * 1000 + self.faults.clock_skew_ms
        except (TypeError, ValueError):
            return {"success": False, "ret_msg": "Params Error", "op": "auth"}
        if self.refuse_user_streams:
            return {"success": False, "ret_msg": "Service unavailable", "op": "auth"}
        if key != self.account.api_key:
            return {"success": False, "ret_msg": "Invalid apikey", "op": "auth"}
        if expired:
            return {"success": False, "ret_msg": "Params Error: request expired", "op": "auth"}
        if not HmacSigner(self.account.secret).verify(f"GET/realtime{expires}", str(sig)):
            return {"success": False, "ret_msg": "Invalid sign", "op": "auth"}
        ws._aleph_auth = True  # type: ignore[attr-defined]
        return {"success": True, "ret_msg": "", "op": "auth", "conn_id": "cejreaspqfh3sjdnldmg-p"}

    def user_messages(self, report: Any) -> list[str]:
        """``execution`` for a fill, ``order`` for every change of the order."""
        o = self.venue.orders.get(report.client_id)
        if o is None or o.client_id not in self.order_ids:
            return []
        now = int(time.time() * 1000)
        out = []
        f = report.fill
        if f is not None:
            i = self.instrument
            d = i.price_precision + i.size_precision
            row = {
                "category": "linear", "symbol": i.symbol, "orderId": self.order_ids[o.client_id],
                "orderLinkId": o.client_id, "side": "Buy" if f.side is Side.BUY else "Sell",
                "execFee": from_fixed(f.fee, d), "execId": f.trade_id, "execPrice": i.format_price(f.price),
                "execQty": i.format_size(f.quantity), "execType": "Trade",
                "execValue": from_fixed(f.price * f.quantity, d), "execTime": str(f.ts_ns // 1_000_000),
                "isMaker": f.liquidity == "maker", "leavesQty": i.format_size(o.quantity - o.filled),
            }  # fmt: skip
            out.append(json.dumps({"topic": "execution", "id": f"e{now}", "creationTime": now, "data": [row]}))
        order = self.order_json(o) | {"category": "linear"}
        out.append(json.dumps({"topic": "order", "id": f"o{now}", "creationTime": now, "data": [order]}))
        return out

    async def set_dcp(self, request: web.Request, p: dict[str, Any]) -> web.Response:
        """POST /v5/order/disconnected-cancel-all: the window, 3 to 300 s."""
        try:
            window = int(p["timeWindow"])
        except (KeyError, TypeError, ValueError):
            return fail(10001, "timeWindow is required")
        if not 3 <= window <= 300:
            return fail(10001, "timeWindow must be between 3 and 300")
        self.dcp_window_s = window
        return ok({})

    async def _watch_dcp(self) -> None:
        """When every socket subscribed to dcp is dead (closed, or silent past ping_timeout_s),
        the countdown of the window runs; a live one again stops it."""
        tripped = False
        while True:
            await asyncio.sleep(0.05)
            if not self.dcp_window_s or not self.dcp_sockets:
                continue
            now = time.monotonic()
            alive = any(not ws.closed and now - t < self.ping_timeout_s for ws, t in self.dcp_sockets.items())
            if alive:
                tripped = False
                self.countdown_until = None
            elif not tripped:
                tripped = True
                self.arm_countdown(self.dcp_window_s)

    async def start(self, port: int = 0) -> str:
        url = await super().start(port)
        self._dcp_task = asyncio.create_task(self._watch_dcp())
        return url

    async def stop(self) -> None:
        if self._dcp_task is not None:
            self._dcp_task.cancel()
        await super().stop()

    # -- REST ----------------------------------------------------------------------------------------

    def routes(self, r: web.UrlDispatcher) -> None:
        r.add_get("/v5/market/time", self.server_time)
        r.add_get("/v5/market/instruments-info", self.instruments)
        r.add_get("/v5/market/orderbook", self.orderbook)
        r.add_post("/v5/order/create", self.signed(self.create))
        r.add_post("/v5/order/cancel", self.signed(self.cancel))
        r.add_get("/v5/order/realtime", self.signed(self.realtime))
        r.add_get("/v5/order/history", self.signed(self.history))
        r.add_get("/v5/execution/list", self.signed(self.executions))
        r.add_get("/v5/position/list", self.signed(self.positions))
        r.add_get("/v5/account/wallet-balance", self.signed(self.wallet))
        r.add_get("/v5/public/linear", self.websocket)
        r.add_get("/v5/private", self.websocket)
        r.add_post("/v5/order/disconnected-cancel-all", self.signed(self.set_dcp))

    def too_many(self, retry_after: float) -> web.Response:
        return web.json_response(
            {"retCode": 10006, "retMsg": "Too many visits!", "result": {}},
            status=429,
            headers={"Retry-After": str(max(1, round(retry_after)))},
        )

    async def server_time(self, request: web.Request) -> web.Response:
        now = time.time() + self.faults.clock_skew_ms / 1000
        return ok({"timeSecond": str(int(now)), "timeNano": str(int(now * 1e9))})

    def signed(self, handler: Any) -> Any:
        async def check(request: web.Request) -> web.StreamResponse:
            h = request.headers
            if h.get("X-BAPI-API-KEY") != self.account.api_key:
                return fail(10003, "API key is invalid.")
            ts, window = h.get("X-BAPI-TIMESTAMP", ""), h.get("X-BAPI-RECV-WINDOW", "5000")
            body = await request.text()
            payload = ts + self.account.api_key + window + (body if request.method == "POST" else request.query_string)
            if not HmacSigner(self.account.secret).verify(payload, h.get("X-BAPI-SIGN", "")):
                return fail(10004, "error sign! origin_string[<hidden>]")
            now = int(time.time() * 1000) + self.faults.clock_skew_ms
            try:
                if not (int(ts) - int(window) <= now < int(ts) + 1000):
                    return fail(10002, "invalid request, please check your server timestamp or recv_window param")
            except ValueError:
                return fail(10002, "invalid request, please check your server timestamp or recv_window param")
            params = json.loads(body) if body else dict(request.query)
            resp: web.StreamResponse = await handler(request, params)
            return resp

        return check

    async def instruments(self, request: web.Request) -> web.Response:
        if request.query.get("category") != "linear":
            return ok({"category": request.query.get("category", ""), "list": [], "nextPageCursor": ""})
        i = self.instrument
        return ok(
            {
                "category": "linear",
                "nextPageCursor": "",
                "list": [
                    {
                        "symbol": i.symbol,
                        "contractType": "LinearPerpetual",
                        "status": "Trading",
                        "baseCoin": i.base,
                        "quoteCoin": i.quote,
                        "launchTime": "1584230400000",
                        "deliveryTime": "0",
                        "deliveryFeeRate": "",
                        "priceScale": str(i.price_precision),
                        "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
                        "priceFilter": {"minPrice": "0.10", "maxPrice": "1999999.80", "tickSize": i.tick_size},
                        "lotSizeFilter": {
                            "maxOrderQty": "100.000",
                            "minOrderQty": i.lot_size,
                            "qtyStep": i.lot_size,
                            "postOnlyMaxOrderQty": "1000.000",
                            "maxMktOrderQty": "100.000",
                            "minNotionalValue": "5",
                        },
                        "unifiedMarginTrade": True,
                        "fundingInterval": 480,
                        "settleCoin": i.quote,
                        "copyTrading": "both",
                    }
                ],
            }
        )

    async def orderbook(self, request: web.Request) -> web.Response:
        bids, asks = self.levels(int(request.query.get("limit", "50")))
        return ok(
            {
                "s": self.instrument.symbol,
                "b": [list(b) for b in bids],
                "a": [list(a) for a in asks],
                "ts": int(time.time() * 1000),
                "u": self.u,
                "seq": self.u,
            }
        )

    def order_json(self, o: VenueOrder) -> dict[str, Any]:
        i = self.instrument
        d = i.price_precision + i.size_precision
        fills = [f for f in self.venue.fills if f.client_id == o.client_id]
        value = sum(f.price * f.quantity for f in fills)
        return {
            "orderId": self.order_ids[o.client_id],
            "orderLinkId": o.client_id,
            "symbol": i.symbol,
            "price": i.format_price(o.price) if o.price else "0",
            "qty": i.format_size(o.quantity),
            "side": "Buy" if o.side is Side.BUY else "Sell",
            "isLeverage": "",
            "positionIdx": 0,
            "orderStatus": STATUS[o.status],
            "cancelType": "UNKNOWN",
            "rejectReason": "EC_NoError",
            "avgPrice": i.format_price(value // o.filled) if o.filled else "",
            "leavesQty": i.format_size(o.quantity - o.filled),
            "leavesValue": "0",
            "cumExecQty": i.format_size(o.filled),
            "cumExecValue": from_fixed(value, d),
            "cumExecFee": from_fixed(sum(f.fee for f in fills), d),
            "timeInForce": TIF_OUT.get(o.tif, "GTC"),
            "orderType": "Market" if o.type is OrderType.MARKET else "Limit",
            "stopOrderType": "",
            "reduceOnly": o.reduce_only,
            "createdTime": str(o.ts_ns // 1_000_000),
            "updatedTime": str(int(time.time() * 1000)),
        }

    async def create(self, request: web.Request, p: dict[str, Any]) -> web.Response:
        i = self.instrument
        cid = str(p.get("orderLinkId", ""))
        if p.get("category") != "linear" or p.get("symbol") != i.symbol:
            return fail(10001, "params error: symbol invalid")
        if cid in self.order_ids:
            return fail(110072, "OrderLinkedID is duplicate")
        try:
            typ = {"Limit": OrderType.LIMIT, "Market": OrderType.MARKET}[p["orderType"]]
            side = {"Buy": Side.BUY, "Sell": Side.SELL}[p["side"]]
            qty = i.size(str(p["qty"]), "qty")
            price = i.price(str(p["price"]), "price") if typ is OrderType.LIMIT else 0
            tif = TIF_IN[p.get("timeInForce", "GTC")] if typ is OrderType.LIMIT else TimeInForce.GTC
        except (KeyError, ValueError) as exc:
            return fail(10001, f"params error: {exc}")
        self.order_ids[cid] = f"bb-{len(self.order_ids) + 1:08d}"
        try:
            await self.venue.place_order(
                OrderRequest(
                    i.key, side, typ, qty, price, tif=tif, reduce_only=bool(p.get("reduceOnly")), client_id=cid
                )
            )
        except VenueRejected as exc:
            del self.order_ids[cid]
            return fail(10001, exc.message)
        if self.faults.place_timeout_next:
            self.faults.place_timeout_next -= 1
            await asyncio.sleep(self.faults.timeout_s)
        return ok({"orderId": self.order_ids[cid], "orderLinkId": cid})

    def _find(self, p: dict[str, Any]) -> VenueOrder | None:
        cid = p.get("orderLinkId")
        if not cid and p.get("orderId"):
            cid = next((c for c, n in self.order_ids.items() if n == p["orderId"]), None)
        return self.venue.orders.get(str(cid or ""))

    async def cancel(self, request: web.Request, p: dict[str, Any]) -> web.Response:
        o = self._find(p)
        if o is None or o.status.is_terminal:
            return fail(110001, "order not exists or too late to cancel")
        await self.venue.cancel_order(self.instrument.key, o.client_id)
        return ok({"orderId": self.order_ids[o.client_id], "orderLinkId": o.client_id})

    async def realtime(self, request: web.Request, p: dict[str, Any]) -> web.Response:
        if p.get("orderLinkId") or p.get("orderId"):
            o = self._find(p)
            rows = [self.order_json(o)] if o is not None else []
        else:
            rows = [self.order_json(o) for o in await self.venue.get_open_orders()]
        return ok({"category": "linear", "list": rows, "nextPageCursor": ""})

    async def history(self, request: web.Request, p: dict[str, Any]) -> web.Response:
        o = self._find(p)
        rows = [self.order_json(o)] if o is not None else [self.order_json(x) for x in self.venue.orders.values()]
        return ok({"category": "linear", "list": rows, "nextPageCursor": ""})

    async def executions(self, request: web.Request, p: dict[str, Any]) -> web.Response:
        i = self.instrument
        d = i.price_precision + i.size_precision
        rows = [
            {
                "symbol": i.symbol,
                "orderId": self.order_ids.get(f.client_id, ""),
                "orderLinkId": f.client_id,
                "side": "Buy" if f.side is Side.BUY else "Sell",
                "orderPrice": "0",
                "orderQty": "0",
                "leavesQty": "0",
                "orderType": "Limit",
                "stopOrderType": "",
                "execFee": from_fixed(f.fee, d),
                "execId": f.trade_id,
                "execPrice": i.format_price(f.price),
                "execQty": i.format_size(f.quantity),
                "execType": "Trade",
                "execValue": from_fixed(f.price * f.quantity, d),
                "execTime": str(f.ts_ns // 1_000_000),
                "isMaker": f.liquidity == "maker",
                "feeRate": "0.0005",
                "markPrice": i.format_price(f.price),
                "closedSize": "",
            }
            for f in reversed(self.venue.fills)
        ]
        return ok({"category": "linear", "list": rows, "nextPageCursor": ""})

    async def positions(self, request: web.Request, p: dict[str, Any]) -> web.Response:
        i = self.instrument
        pos = self.venue.matchers[i.key].position
        assert pos is not None
        avg = abs(pos.cost // pos.quantity) if pos.quantity else 0
        side = "Buy" if pos.quantity > 0 else "Sell" if pos.quantity < 0 else ""
        return ok(
            {
                "category": "linear",
                "nextPageCursor": "",
                "list": [
                    {
                        "positionIdx": 0,
                        "riskId": 1,
                        "riskLimitValue": "2000000",
                        "symbol": i.symbol,
                        "side": side,
                        "size": i.format_size(abs(pos.quantity)),
                        "avgPrice": i.format_price(avg),
                        "positionValue": "0",
                        "tradeMode": 0,
                        "autoAddMargin": 0,
                        "positionStatus": "Normal",
                        "leverage": "10",
                        "markPrice": i.format_price(self.venue.books[i.key].best_bid_price()),
                        "liqPrice": "",
                        "bustPrice": "",
                        "positionIM": "0",
                        "positionMM": "0",
                        "takeProfit": "",
                        "stopLoss": "",
                        "trailingStop": "",
                        "unrealisedPnl": "0",
                        "cumRealisedPnl": "0",
                        "createdTime": "0",
                        "updatedTime": str(int(time.time() * 1000)),
                    }
                ],
            }
        )

    async def wallet(self, request: web.Request, p: dict[str, Any]) -> web.Response:
        c = from_fixed(self.venue.cash(), CASH_PRECISION)
        return ok(
            {
                "list": [
                    {
                        "accountType": "UNIFIED",
                        "totalEquity": c,
                        "totalWalletBalance": c,
                        "totalAvailableBalance": c,
                        "totalMarginBalance": c,
                        "coin": [
                            {
                                "coin": "USDT",
                                "equity": c,
                                "walletBalance": c,
                                "availableToWithdraw": c,
                                "usdValue": c,
                                "unrealisedPnl": "0",
                                "cumRealisedPnl": "0",
                                "locked": "0",
                                "totalOrderIM": "0",
                                "totalPositionIM": "0",
                            }
                        ],
                    }
                ]
            }
        )
