"""Binance USD-M futures on loopback: the /fapi REST subset ccxt's binanceusdm uses, and the
``<symbol>@depth@0ms`` / ``<symbol>@trade`` streams, with Binance's signature and timestamp rules
and error codes (-1021, -1022, -2011, -2013, -2015, -4116).

``BinanceBase`` is what USD-M and spot (binance_spot.py) share: signed requests, order entry,
queries and the streams' framing; each market is a sibling subclass with its own paths, listing,
order and account answers."""

from __future__ import annotations

import abc
import asyncio
import json
import re
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from alephtx.core.model import Instrument, OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from alephtx.core.model.accounting import CASH_PRECISION
from alephtx.core.model.fixed import from_fixed
from alephtx.core.replay.driver import TapeEvent
from alephtx.core.signers import HmacSigner
from alephtx.core.venues.base import VenueOrder, VenueRejected
from alephtx.emulators.base import Emulator

BTCUSDT = Instrument.from_strings("binance-usdm", "BTCUSDT", "perp", "0.10", "0.001", "100", base="BTC", quote="USDT")
STATUS = {
    OrderStatus.SUBMITTED: "NEW",
    OrderStatus.ACCEPTED: "NEW",
    OrderStatus.CANCEL_PENDING: "NEW",
    OrderStatus.PARTIALLY_FILLED: "PARTIALLY_FILLED",
    OrderStatus.FILLED: "FILLED",
    OrderStatus.CANCELLED: "CANCELED",
    OrderStatus.REJECTED: "REJECTED",
    OrderStatus.EXPIRED: "EXPIRED",
}
TIF_IN = {"GTC": TimeInForce.GTC, "IOC": TimeInForce.IOC, "FOK": TimeInForce.FOK, "GTX": TimeInForce.POST_ONLY}
TIF_OUT = {v: k for k, v in TIF_IN.items()}
_SIG = re.compile(r"&?signature=[0-9a-fA-F]*")


def err(code: int, msg: str, status: int = 400) -> web.Response:
    return web.json_response({"code": code, "msg": msg}, status=status)


class BinanceBase(Emulator):
    """What the USD-M and spot emulators share; each market is a subclass stating its own paths,
    exchangeInfo, depth snapshot, order and account answers."""

    funds_error = -2010  # the code of "insufficient balance" on this market

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.order_ids: dict[str, int] = {}
        self.listen_keys: dict[str, float] = {}  # listenKey -> when it expires (monotonic)
        self.listen_key_ttl_s = 3600.0

    def depth_levels(self, ev: TapeEvent) -> tuple[str, str]:
        """A depth event's bids and asks as the JSON arrays of a depth message."""
        fp, fs = self.instrument.format_price, self.instrument.format_size
        bids = ",".join(f'["{fp(p)}","{fs(q)}"]' for p, q in ev.bids)
        asks = ",".join(f'["{fp(p)}","{fs(q)}"]' for p, q in ev.asks)
        return bids, asks

    def trade_message(self, ev: TapeEvent) -> str:
        inst = self.instrument
        ms = ev.exch_ns // 1_000_000
        return (
            f'{{"e":"trade","E":{ms},"T":{ms},"s":"{inst.symbol}","t":{ev.trade_id},"p":"{inst.format_price(ev.price)}",'
            f'"q":"{inst.format_size(ev.quantity)}","X":"MARKET","m":{"true" if ev.aggressor is Side.SELL else "false"}}}'
        )

    async def ping(self, request: web.Request) -> web.Response:
        return web.json_response({})

    async def server_time(self, request: web.Request) -> web.Response:
        return web.json_response({"serverTime": int(time.time() * 1000) + self.faults.clock_skew_ms})

    async def ws_stream(self, request: web.Request) -> web.WebSocketResponse:
        names = request.match_info.get("stream") or request.query.get("streams", "")
        kinds = {k for n in names.split("/") for k, tag in (("depth", "@depth"), ("trade", "@trade")) if tag in n}
        if names in self.listen_keys:  # /ws/<listenKey>: the account's user-data stream
            kinds = {"user"}

        async def on_open(ws: web.WebSocketResponse) -> None:
            ws._aleph_kinds = kinds  # type: ignore[attr-defined]

        return await self.websocket(request, on_open)

    # -- signed requests -------------------------------------------------------------------------------

    def signed(self, handler: Any) -> Any:
        async def check(request: web.Request) -> web.StreamResponse:
            if request.headers.get("X-MBX-APIKEY") != self.account.api_key:
                return err(-2015, "Invalid API-key, IP, or permissions for action.", 401)
            body = await request.text()
            query = request.query_string
            params = dict(parse_qsl(query)) | dict(parse_qsl(body))
            sig = params.pop("signature", "")
            payload = _SIG.sub("", query) + _SIG.sub("", body)
            if not sig or not HmacSigner(self.account.secret).verify(payload, sig):
                return err(-1022, "Signature for this request is not valid.")
            now = int(time.time() * 1000) + self.faults.clock_skew_ms
            try:
                ts = int(params.get("timestamp", "0"))
                window = min(int(params.get("recvWindow", "5000")), 60000)
            except ValueError:
                return err(-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.")
            if ts >= now + 1000 or now - ts > window:
                return err(-1021, "Timestamp for this request is outside of the recvWindow.")
            resp: web.StreamResponse = await handler(request, params)
            return resp

        return check

    def too_many(self, retry_after: float) -> web.Response:
        return web.json_response(
            {"code": -1003, "msg": f"Too many requests; current limit is {self.weight_limit} requests per minute."},
            status=429,
            headers={"Retry-After": str(max(1, round(retry_after)))},
        )

    # -- trading -----------------------------------------------------------------------------------------

    @abc.abstractmethod
    def order_json(self, o: VenueOrder) -> dict[str, Any]:
        """An order as this market's REST answers show it."""

    async def new_order(self, request: web.Request, p: dict[str, str]) -> web.Response:
        i = self.instrument
        if p.get("symbol") != i.symbol:
            return err(-1121, "Invalid symbol.")
        try:
            side = {"BUY": Side.BUY, "SELL": Side.SELL}[p["side"]]
            typ, tif = self.order_type(p)
            qty = i.size(p["quantity"], "quantity")
            price = i.price(p["price"], "price") if typ is OrderType.LIMIT else 0
        except (KeyError, ValueError) as exc:
            return err(-1102, f"Mandatory parameter was not sent, was empty/null, or malformed: {exc}")
        short = self.check_funds(side, qty, price)
        if short:
            return err(self.funds_error, short)
        cid = p.get("newClientOrderId") or f"emu{len(self.order_ids) + 1}"
        if len(cid) > 36 or not re.fullmatch(r"[\.A-Z\:/a-z0-9_-]{1,36}", cid):
            return err(-4015, "Client order id is not valid.")
        if cid in self.order_ids:
            return err(-4116, "ClientOrderId is duplicated.")
        self.order_ids[cid] = 8_000_000_000 + len(self.order_ids) + 1
        req = OrderRequest(
            i.key, side, typ, qty, price, tif=tif, reduce_only=p.get("reduceOnly") == "true", client_id=cid
        )
        try:
            o = await self.venue.place_order(req)
        except VenueRejected as exc:
            del self.order_ids[cid]
            return err(-1111, exc.message)
        o = self.venue.orders[cid]
        if o.status is OrderStatus.REJECTED:
            if o.tif is TimeInForce.POST_ONLY:
                return err(*self.post_only_error())
            return err(-2022, "ReduceOnly Order is rejected.")
        if self.faults.place_timeout_next:
            self.faults.place_timeout_next -= 1
            await asyncio.sleep(self.faults.timeout_s)  # the order exists; the answer comes too late
        return web.json_response(self.order_json(o))

    def order_type(self, p: dict[str, str]) -> tuple[OrderType, TimeInForce]:
        typ = {"LIMIT": OrderType.LIMIT, "MARKET": OrderType.MARKET}[p["type"]]
        return typ, TIF_IN[p.get("timeInForce", "GTC")] if typ is OrderType.LIMIT else TimeInForce.GTC

    def post_only_error(self) -> tuple[int, str]:
        return -5022, "Due to the order could not be executed as maker, the Post Only order will be rejected."

    def check_funds(self, side: Side, qty: int, price: int) -> str:
        """Futures are margined: the paper venue's risk-free margin never runs out here."""
        return ""

    def _find(self, p: dict[str, str]) -> VenueOrder | None:
        cid = p.get("origClientOrderId")
        if cid is None and "orderId" in p:
            cid = next((c for c, n in self.order_ids.items() if str(n) == p["orderId"]), None)
        return self.venue.orders.get(cid or "")

    async def cancel_order(self, request: web.Request, p: dict[str, str]) -> web.Response:
        o = self._find(p)
        if o is None or o.status.is_terminal:
            return err(-2011, "Unknown order sent.")
        await self.venue.cancel_order(self.instrument.key, o.client_id)
        return web.json_response(self.order_json(self.venue.orders[o.client_id]))

    async def query_order(self, request: web.Request, p: dict[str, str]) -> web.Response:
        o = self._find(p)
        if o is None:
            return err(-2013, "Order does not exist.")
        return web.json_response(self.order_json(o))

    async def open_orders(self, request: web.Request, p: dict[str, str]) -> web.Response:
        return web.json_response([self.order_json(o) for o in await self.venue.get_open_orders()])


class BinanceEmulator(BinanceBase):
    """USD-M futures."""

    name = "binance-usdm"
    weight_limit = 2400  # request weight per minute, as on fapi
    funds_error = -2019  # "Margin is insufficient."

    def __init__(self, *args: Any, **kw: Any) -> None:
        kw.setdefault("instrument", BTCUSDT)
        super().__init__(*args, **kw)

    # -- streams ---------------------------------------------------------------------------------

    def depth_message(self, ev: TapeEvent) -> str:
        bids, asks = self.depth_levels(ev)
        e_ms = ev.exch_ns // 1_000_000
        return (
            f'{{"e":"depthUpdate","E":{e_ms},"T":{e_ms},"s":"{self.instrument.symbol}",'
            f'"U":{ev.first_id},"u":{ev.final_id},"pu":{ev.prev_final_id},"b":[{bids}],"a":[{asks}]}}'
        )

    # -- routes ----------------------------------------------------------------------------------------

    def routes(self, r: web.UrlDispatcher) -> None:
        r.add_get("/fapi/v1/ping", self.ping)
        r.add_get("/fapi/v1/time", self.server_time)
        r.add_get("/fapi/v1/exchangeInfo", self.exchange_info)
        r.add_get("/fapi/v1/depth", self.depth)
        r.add_post("/fapi/v1/order", self.signed(self.new_order))
        r.add_delete("/fapi/v1/order", self.signed(self.cancel_order))
        r.add_get("/fapi/v1/order", self.signed(self.query_order))
        r.add_get("/fapi/v1/openOrders", self.signed(self.open_orders))
        r.add_get("/fapi/v1/userTrades", self.signed(self.user_trades))
        r.add_get("/fapi/v1/leverageBracket", self.signed(self.leverage_bracket))
        for v in ("v2", "v3"):
            r.add_get(f"/fapi/{v}/positionRisk", self.signed(self.position_risk))
            r.add_get(f"/fapi/{v}/account", self.signed(self.account_info))
            r.add_get(f"/fapi/{v}/balance", self.signed(self.balance))
        r.add_post("/fapi/v1/countdownCancelAll", self.signed(self.countdown_cancel_all))
        r.add_post("/fapi/v1/listenKey", self.listen_key)
        r.add_put("/fapi/v1/listenKey", self.listen_key)
        r.add_delete("/fapi/v1/listenKey", self.listen_key)
        r.add_get("/ws/{stream}", self.ws_stream)
        r.add_get("/stream", self.ws_stream)

    # -- the user-data stream ----------------------------------------------------------------------------

    async def listen_key(self, request: web.Request) -> web.Response:
        """POST a new listenKey (the API key alone, no signature, as on fapi), PUT keeps the
        account's alive for another hour, DELETE closes it."""
        if request.headers.get("X-MBX-APIKEY") != self.account.api_key:
            return err(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        now = time.monotonic()
        if request.method == "POST":
            if self.refuse_user_streams:  # a fault: the user-data stream cannot be opened
                return err(-1001, "Internal error; unable to process your request. Please try again.", 503)
            key = secrets.token_hex(32)
            self.listen_keys[key] = now + self.listen_key_ttl_s
            return web.json_response({"listenKey": key})
        live = [k for k, until in self.listen_keys.items() if until > now]
        if not live:
            return err(-1125, "This listenKey does not exist.")
        for k in live:
            if request.method == "PUT":
                self.listen_keys[k] = now + self.listen_key_ttl_s
            else:
                del self.listen_keys[k]
        return web.json_response({})

    async def expire_listen_keys(self) -> None:
        """Every listenKey expires now (a fault for tests): its sockets get listenKeyExpired."""
        self.listen_keys.clear()
        ms = int(time.time() * 1000)
        await self.broadcast(json.dumps({"e": "listenKeyExpired", "E": ms, "listenKey": ""}), "user")

    async def countdown_cancel_all(self, request: web.Request, p: dict[str, str]) -> web.Response:
        """The dead-man's switch: cancel the symbol's open orders unless called again within
        countdownTime ms (0 disarms)."""
        if p.get("symbol") != self.instrument.symbol:
            return err(-1121, "Invalid symbol.")
        try:
            ms = int(p["countdownTime"])
        except (KeyError, ValueError):
            return err(-1102, "Mandatory parameter 'countdownTime' was not sent, was empty/null, or malformed.")
        self.arm_countdown(ms / 1000)
        return web.json_response({"symbol": self.instrument.symbol, "countdownTime": str(ms)})

    def user_messages(self, report: Any) -> list[str]:
        return [json.dumps(self.order_update(report))]

    def order_update(self, r: Any) -> dict[str, Any]:
        i, o = self.instrument, self.venue.orders.get(r.client_id)
        f = r.fill
        execution = {"accepted": "NEW", "fill": "TRADE", "cancelled": "CANCELED", "expired": "EXPIRED"}
        ms = (r.ts_ns or time.time_ns()) // 1_000_000
        return {
            "e": "ORDER_TRADE_UPDATE",
            "E": ms,
            "T": ms,
            "o": {
                "s": i.symbol,
                "c": r.client_id,
                "S": (o.side if o else Side.BUY).value.upper(),
                "o": (o.type.value.upper() if o else "LIMIT"),
                "f": TIF_OUT.get(o.tif, "GTC") if o else "GTC",
                "q": i.format_size(o.quantity) if o else "0",
                "p": i.format_price(o.price) if o and o.price else "0",
                "x": execution.get(r.kind, "REJECTED"),
                "X": STATUS[r.status],
                "i": self.order_ids.get(r.client_id, 0),
                "l": i.format_size(f.quantity) if f else "0",
                "z": i.format_size(r.filled),
                "L": i.format_price(f.price) if f else "0",
                "N": "USDT",
                "n": from_fixed(f.fee, i.price_precision + i.size_precision) if f else "0",
                "T": ms,
                "t": int(f.trade_id.rsplit("-", 1)[-1]) if f else 0,
                "m": bool(f and f.liquidity == "maker"),
                "R": bool(o and o.reduce_only),
            },
        }

    def weight_of(self, request: web.Request) -> int:
        if request.path == "/fapi/v1/depth":
            return 20
        if request.path == "/fapi/v1/exchangeInfo":
            return 1
        return 5 if request.path.endswith(("account", "userTrades", "openOrders")) else 1

    # -- public ------------------------------------------------------------------------------------------

    async def exchange_info(self, request: web.Request) -> web.Response:
        i = self.instrument
        return web.json_response(
            {
                "timezone": "UTC",
                "serverTime": int(time.time() * 1000),
                "futuresType": "U_MARGINED",
                "rateLimits": [
                    {
                        "rateLimitType": "REQUEST_WEIGHT",
                        "interval": "MINUTE",
                        "intervalNum": 1,
                        "limit": self.weight_limit,
                    },
                    {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
                ],
                "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"}],
                "symbols": [
                    {
                        "symbol": i.symbol,
                        "pair": i.symbol,
                        "contractType": "PERPETUAL",
                        "deliveryDate": 4133404800000,
                        "onboardDate": 1569398400000,
                        "status": "TRADING",
                        "maintMarginPercent": "2.5000",
                        "requiredMarginPercent": "5.0000",
                        "baseAsset": i.base,
                        "quoteAsset": i.quote,
                        "marginAsset": i.quote,
                        "pricePrecision": i.price_precision,
                        "quantityPrecision": i.size_precision,
                        "baseAssetPrecision": 8,
                        "quotePrecision": 8,
                        "underlyingType": "COIN",
                        "triggerProtect": "0.0500",
                        "liquidationFee": "0.012500",
                        "marketTakeBound": "0.05",
                        "filters": [
                            {
                                "filterType": "PRICE_FILTER",
                                "minPrice": "556.80",
                                "maxPrice": "4529764",
                                "tickSize": i.tick_size,
                            },
                            {"filterType": "LOT_SIZE", "stepSize": i.lot_size, "maxQty": "1000", "minQty": i.lot_size},
                            {
                                "filterType": "MARKET_LOT_SIZE",
                                "stepSize": i.lot_size,
                                "maxQty": "120",
                                "minQty": i.lot_size,
                            },
                            {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                            {
                                "filterType": "MIN_NOTIONAL",
                                "notional": from_fixed(i.min_notional, i.price_precision + i.size_precision),
                            },
                            {
                                "filterType": "PERCENT_PRICE",
                                "multiplierUp": "1.0500",
                                "multiplierDown": "0.9500",
                                "multiplierDecimal": "4",
                            },
                        ],
                        "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET"],
                        "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
                    }
                ],
            }
        )

    async def depth(self, request: web.Request) -> web.Response:
        if request.query.get("symbol") != self.instrument.symbol:
            return err(-1121, "Invalid symbol.")
        if not self.synced.is_set():
            return err(-1001, "Internal error; unable to process your request.", 503)
        limit = int(request.query.get("limit", "500"))
        bids, asks = self.levels(limit)
        book = self.venue.books[self.instrument.key]
        now = int(time.time() * 1000)
        return web.json_response({"lastUpdateId": book.last_update_id, "E": now, "T": now, "bids": bids, "asks": asks})

    # -- orders and account ----------------------------------------------------------------------------

    def order_json(self, o: VenueOrder) -> dict[str, Any]:
        i = self.instrument
        fills = [f for f in self.venue.fills if f.client_id == o.client_id]
        cum_quote = sum(f.price * f.quantity for f in fills)
        avg = (cum_quote // o.filled) if o.filled else 0
        return {
            "orderId": self.order_ids[o.client_id],
            "symbol": i.symbol,
            "status": STATUS[o.status],
            "clientOrderId": o.client_id,
            "price": i.format_price(o.price) if o.price else "0",
            "avgPrice": i.format_price(avg) if avg else "0",
            "origQty": i.format_size(o.quantity),
            "executedQty": i.format_size(o.filled),
            "cumQty": i.format_size(o.filled),
            "cumQuote": from_fixed(cum_quote, i.price_precision + i.size_precision),
            "timeInForce": TIF_OUT.get(o.tif, "GTC"),
            "type": "MARKET" if o.type is OrderType.MARKET else "LIMIT",
            "origType": "MARKET" if o.type is OrderType.MARKET else "LIMIT",
            "reduceOnly": o.reduce_only,
            "closePosition": False,
            "side": "BUY" if o.side is Side.BUY else "SELL",
            "positionSide": "BOTH",
            "stopPrice": "0",
            "workingType": "CONTRACT_PRICE",
            "priceProtect": False,
            "time": o.ts_ns // 1_000_000,
            "updateTime": int(time.time() * 1000),
        }

    async def user_trades(self, request: web.Request, p: dict[str, str]) -> web.Response:
        i = self.instrument
        d = i.price_precision + i.size_precision
        since = int(p.get("startTime", "0")) * 1_000_000
        out = []
        for f in self.venue.fills:
            if f.ts_ns < since:
                continue
            out.append(
                {
                    "buyer": f.side is Side.BUY,
                    "commission": from_fixed(f.fee, d),
                    "commissionAsset": "USDT",
                    "id": int(f.trade_id.rsplit("-", 1)[1]),
                    "maker": f.liquidity == "maker",
                    "orderId": self.order_ids.get(f.client_id, 0),
                    "price": i.format_price(f.price),
                    "qty": i.format_size(f.quantity),
                    "quoteQty": from_fixed(f.price * f.quantity, d),
                    "realizedPnl": "0",
                    "side": "BUY" if f.side is Side.BUY else "SELL",
                    "positionSide": "BOTH",
                    "symbol": i.symbol,
                    "time": f.ts_ns // 1_000_000,
                }
            )
        return web.json_response(out)

    def _position(self) -> dict[str, Any]:
        i = self.instrument
        pos = self.venue.matchers[i.key].position
        assert pos is not None
        entry = (pos.cost // pos.quantity) if pos.quantity else 0
        return {
            "symbol": i.symbol,
            "positionAmt": i.format_size(pos.quantity),
            "entryPrice": i.format_price(abs(entry)),
            "breakEvenPrice": "0",
            "markPrice": i.format_price(self.venue.books[i.key].best_bid_price()),
            "unRealizedProfit": "0",
            "liquidationPrice": "0",
            "leverage": "10",
            "maxNotionalValue": "10000000",
            "marginType": "cross",
            "isolatedMargin": "0",
            "isAutoAddMargin": "false",
            "positionSide": "BOTH",
            "notional": "0",
            "isolatedWallet": "0",
            "updateTime": int(time.time() * 1000),
        }

    async def leverage_bracket(self, request: web.Request, p: dict[str, str]) -> web.Response:
        bracket = {
            "bracket": 1,
            "initialLeverage": 125,
            "notionalCap": 300000,
            "notionalFloor": 0,
            "maintMarginRatio": 0.004,
            "cum": 0,
        }
        return web.json_response([{"symbol": self.instrument.symbol, "brackets": [bracket]}])

    async def position_risk(self, request: web.Request, p: dict[str, str]) -> web.Response:
        return web.json_response([self._position()])

    def _cash(self) -> str:
        return from_fixed(self.venue.cash(), CASH_PRECISION)

    async def balance(self, request: web.Request, p: dict[str, str]) -> web.Response:
        c = self._cash()
        return web.json_response(
            [
                {
                    "accountAlias": "AlephEmu",
                    "asset": "USDT",
                    "balance": c,
                    "crossWalletBalance": c,
                    "crossUnPnl": "0",
                    "availableBalance": c,
                    "maxWithdrawAmount": c,
                    "marginAvailable": True,
                    "updateTime": int(time.time() * 1000),
                }
            ]
        )

    async def account_info(self, request: web.Request, p: dict[str, str]) -> web.Response:
        c = self._cash()
        return web.json_response(
            {
                "totalWalletBalance": c,
                "totalUnrealizedProfit": "0",
                "totalMarginBalance": c,
                "availableBalance": c,
                "maxWithdrawAmount": c,
                "assets": [
                    {
                        "asset": "USDT",
                        "walletBalance": c,
                        "unrealizedProfit": "0",
                        "marginBalance": c,
                        "availableBalance": c,
                        "maxWithdrawAmount": c,
                        "crossWalletBalance": c,
                        "updateTime": int(time.time() * 1000),
                    }
                ],
                "positions": [self._position()],
            }
        )
