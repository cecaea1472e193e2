"""OKX (v5, perpetual swaps) on loopback: the REST subset ccxt.okx uses and the public ``books``
channel, with OKX's signature (base64 HMAC over timestamp + method + path + body), timestamp
window, passphrase and error codes (50102, 50111, 50113, 51016, 51603, 50011)."""

from __future__ import annotations

import asyncio
import json
import time
import zlib
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from alephtx.core.model import Instrument, Kind, OrderRequest, OrderStatus, OrderType, Side, TimeInForce, VenueRules
from alephtx.core.model.accounting import CASH_PRECISION, to_cash
from alephtx.core.model.fixed import from_fixed
from alephtx.core.replay.driver import TapeEvent
from alephtx.core.signers import HmacSigner
from alephtx.core.venues.base import VenueOrder, VenueRejected
from alephtx.core.venues.okx.units import base_size, venue_size
from alephtx.emulators.base import Emulator

# As OKX lists it: contracts of 0.01 BTC, a lot of 0.1 contract (0.001 BTC).
BTC_SWAP = Instrument.from_strings(
    "okx", "BTC-USDT-SWAP", "perp", "0.1", "0.001", "5", base="BTC", quote="USDT",
    rules=VenueRules(contract_size="0.01"),
)  # fmt: skip
BTC_USDT_SPOT = Instrument.from_strings("okx", "BTC-USDT", "spot", "0.1", "0.00001", "5", base="BTC", quote="USDT")
STATE = {
    OrderStatus.SUBMITTED: "live",
    OrderStatus.ACCEPTED: "live",
    OrderStatus.CANCEL_PENDING: "live",
    OrderStatus.PARTIALLY_FILLED: "partially_filled",
    OrderStatus.FILLED: "filled",
    OrderStatus.CANCELLED: "canceled",
    OrderStatus.EXPIRED: "canceled",
    OrderStatus.REJECTED: "canceled",
}
ORD_TYPE = {
    "market": (OrderType.MARKET, TimeInForce.GTC),
    "limit": (OrderType.LIMIT, TimeInForce.GTC),
    "post_only": (OrderType.LIMIT, TimeInForce.POST_ONLY),
    "ioc": (OrderType.LIMIT, TimeInForce.IOC),
    "fok": (OrderType.LIMIT, TimeInForce.FOK),
}


def ok(data: list[Any]) -> web.Response:
    return web.json_response({"code": "0", "msg": "", "data": data})


def fail(code: str, msg: str, status: int = 200) -> web.Response:
    return web.json_response({"code": code, "msg": msg, "data": []}, status=status)


def checksum(bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> int:
    """OKX's book checksum: CRC32 (signed) of the top 25 levels interleaved, bid then ask."""
    parts: list[str] = []
    for i in range(25):
        if i < len(bids):
            parts += [bids[i][0], bids[i][1]]
        if i < len(asks):
            parts += [asks[i][0], asks[i][1]]
    crc = zlib.crc32(":".join(parts).encode())
    return crc - (1 << 32) if crc >= 1 << 31 else crc


class OkxEmulator(Emulator):
    name = "okx"
    weight_limit = 60  # requests per 2 seconds, as OKX's order endpoints allow
    weight_window_s = 2.0

    def __init__(self, *args: Any, **kw: Any) -> None:
        kw.setdefault("instrument", BTC_SWAP)
        super().__init__(*args, **kw)
        self.order_ids: dict[str, str] = {}
        self.seq = 1000

    # -- streams -------------------------------------------------------------------------------------

    def _book_msg(
        self, action: str, bids: list[tuple[str, str]], asks: list[tuple[str, str]], ts: int, prev: int
    ) -> str:
        top_b, top_a = self.levels(25)
        self.seq += 1
        data = {
            "asks": [[p, q, "0", "1"] for p, q in asks],
            "bids": [[p, q, "0", "1"] for p, q in bids],
            "ts": str(ts),
            "checksum": checksum(top_b, top_a),
            "prevSeqId": prev,
            "seqId": self.seq,
        }
        return json.dumps(
            {"arg": {"channel": "books", "instId": self.instrument.symbol}, "action": action, "data": [data]}
        )

    def levels(self, depth: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """The book's top as OKX writes it: swap sizes in contracts."""
        bids, asks = self.venue.books[self.instrument.key].depth(depth)
        fp, fs = self.instrument.format_price, self.wire_size
        return [(fp(p), fs(q)) for p, q in bids], [(fp(p), fs(q)) for p, q in asks]

    def wire_size(self, quantity: int) -> str:
        return venue_size(self.instrument, quantity)

    def depth_message(self, ev: TapeEvent) -> str:
        fp, fs = self.instrument.format_price, self.wire_size
        bids = [(fp(p), fs(q)) for p, q in ev.bids]
        asks = [(fp(p), fs(q)) for p, q in ev.asks]
        return self._book_msg("update", bids, asks, ev.exch_ns // 1_000_000, self.seq)

    def trade_message(self, ev: TapeEvent) -> str:
        i = self.instrument
        d = {
            "instId": i.symbol,
            "tradeId": str(ev.trade_id),
            "px": i.format_price(ev.price),
            "sz": self.wire_size(ev.quantity),
            "side": "sell" if ev.aggressor is Side.SELL else "buy",
            "ts": str(ev.exch_ns // 1_000_000),
        }
        return json.dumps({"arg": {"channel": "trades", "instId": i.symbol}, "data": [d]})

    async def on_ws_text(self, ws: web.WebSocketResponse, text: str) -> None:
        if text == "ping":
            await ws.send_str("pong")
            return
        try:
            req = json.loads(text)
            args = req["args"]
        except (ValueError, KeyError, TypeError):
            await ws.send_str(json.dumps({"event": "error", "code": "60012", "msg": f"Invalid request: {text[:80]}"}))
            return
        kinds: set[str] = getattr(ws, "_aleph_kinds", set())
        if req.get("op") == "login":
            await ws.send_str(json.dumps(self._login(ws, args)))
            return
        for a in args:
            if a.get("channel") == "orders":
                if not getattr(ws, "_aleph_login", False):
                    await ws.send_str(json.dumps({"event": "error", "code": "60011", "msg": "Please log in"}))
                    continue
                await ws.send_str(json.dumps({"event": "subscribe", "arg": a}))
                kinds.add("user")
                continue
            if a.get("instId") != self.instrument.symbol:
                await ws.send_str(
                    json.dumps({"event": "error", "code": "60018", "msg": "Instrument ID doesn't exist."})
                )
                continue
            await ws.send_str(json.dumps({"event": "subscribe", "arg": a}))
            if a.get("channel") == "books":
                # Built and registered with no await between: no update can slip past this client.
                bids, asks = self.levels(400)
                snapshot = self._book_msg("snapshot", bids, asks, int(time.time() * 1000), -1)
                kinds.add("depth")
                ws._aleph_kinds = kinds  # type: ignore[attr-defined]
                await ws.send_str(snapshot)
            elif a.get("channel") == "trades":
                kinds.add("trade")
        ws._aleph_kinds = kinds  # type: ignore[attr-defined]

    def _login(self, ws: web.WebSocketResponse, args: list[Any]) -> dict[str, Any]:
        """OKX's WebSocket login: the key, the passphrase, a timestamp in seconds within 30 s and
        the base64 HMAC of timestamp + "GET/users/self/verify"."""
        try:
            a = args[0]
            ts, sign = str(a["timestamp"]), str(a["sign"])
            fresh = abs(float(ts) - time.time() - self.faults.clock_skew_ms / 1000) <= 30
        except (IndexError, KeyError, TypeError, ValueError):
            return {"event": "error", "code": "60012", "msg": "Invalid request"}
        if self.refuse_user_streams:
            return {"event": "error", "code": "50001", "msg": "Service temporarily unavailable"}
        if a.get("apiKey") != self.account.api_key:
            return {"event": "error", "code": "60005", "msg": "Invalid apiKey"}
        if a.get("passphrase") != self.account.passphrase:
            return {"event": "error", "code": "60024", "msg": "Wrong passphrase"}
        if not fresh:
            return {"event": "error", "code": "60004", "msg": "Invalid timestamp"}
        if not HmacSigner(self.account.secret).verify(ts + "GET/users/self/verify", sign, "base64"):
            return {"event": "error", "code": "60007", "msg": "Invalid sign"}
        ws._aleph_login = True  # type: ignore[attr-defined]
        return {"event": "login", "code": "0", "msg": "", "connId": "a4d3ae55"}

    def user_messages(self, report: Any) -> list[str]:
        """The ``orders`` channel: the order as it stands, with the trade when the report is a fill."""
        o = self.venue.orders.get(report.client_id)
        if o is None or o.client_id not in self.order_ids:
            return []
        i, f = self.instrument, report.fill
        d = self.order_json(o) | {"tradeId": "", "fillPx": "", "fillSz": "0", "fillFee": "0", "fillTime": ""}
        if f is not None:
            d |= {
                "tradeId": f.trade_id.rsplit("-", 1)[1],
                "fillPx": i.format_price(f.price),
                "fillSz": self.wire_size(f.quantity),
                "fillFee": "-" + from_fixed(f.fee, i.price_precision + i.size_precision),
                "fillFeeCcy": "USDT",
                "execType": "M" if f.liquidity == "maker" else "T",
                "fillTime": str(f.ts_ns // 1_000_000),
            }
        arg = {"channel": "orders", "instType": d["instType"], "uid": "77982378738415879"}
        return [json.dumps({"arg": arg, "data": [d]})]

    # -- REST ----------------------------------------------------------------------------------------

    def routes(self, r: web.UrlDispatcher) -> None:
        r.add_get("/api/v5/public/time", self.server_time)
        r.add_get("/api/v5/public/instruments", self.instruments)
        r.add_get("/api/v5/market/books", self.books)
        r.add_post("/api/v5/trade/order", self.signed(self.new_order))
        r.add_post("/api/v5/trade/cancel-order", self.signed(self.cancel_order))
        r.add_get("/api/v5/trade/order", self.signed(self.get_order))
        r.add_get("/api/v5/trade/orders-pending", self.signed(self.pending))
        r.add_get("/api/v5/trade/fills", self.signed(self.fills))
        r.add_get("/api/v5/trade/fills-history", self.signed(self.fills))
        r.add_get("/api/v5/account/positions", self.signed(self.positions))
        r.add_get("/api/v5/account/balance", self.signed(self.balance))
        r.add_post("/api/v5/trade/cancel-all-after", self.signed(self.cancel_all_after))
        r.add_get("/ws/v5/public", self.websocket)
        r.add_get("/ws/v5/private", self.websocket)

    def too_many(self, retry_after: float) -> web.Response:
        return web.json_response(
            {"code": "50011", "msg": "Too Many Requests", "data": []},
            status=429,
            headers={"Retry-After": str(max(1, round(retry_after)))},
        )

    async def server_time(self, request: web.Request) -> web.Response:
        return ok([{"ts": str(int(time.time() * 1000) + self.faults.clock_skew_ms)}])

    def signed(self, handler: Any) -> Any:
        async def check(request: web.Request) -> web.StreamResponse:
            h = request.headers
            if h.get("OK-ACCESS-KEY") != self.account.api_key:
                return fail("50111", "Invalid OK-ACCESS-KEY.", 401)
            if h.get("OK-ACCESS-PASSPHRASE") != self.account.passphrase:
                return fail("50105", "Your OK-ACCESS-PASSPHRASE is incorrect.", 401)
            ts = h.get("OK-ACCESS-TIMESTAMP", "")
            body = await request.text()
            path = request.path_qs
            if not HmacSigner(self.account.secret).verify(
                ts + request.method + path + body, h.get("OK-ACCESS-SIGN", ""), "base64"
            ):
                return fail("50113", "Invalid Sign", 401)
            try:
                sent = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()
            except ValueError:
                return fail("50112", "Invalid OK-ACCESS-TIMESTAMP", 401)
            if abs(time.time() + self.faults.clock_skew_ms / 1000 - sent) > 30:
                return fail("50102", "Timestamp request expired", 401)
            params = json.loads(body) if body else dict(request.query)
            resp: web.StreamResponse = await handler(request, params)
            return resp

        return check

    @property
    def spot(self) -> bool:
        return self.instrument.kind is Kind.SPOT

    async def instruments(self, request: web.Request) -> web.Response:
        i = self.instrument
        kind = "SPOT" if self.spot else "SWAP"
        if request.query.get("instType") != kind:
            return ok([])
        if self.spot:
            return ok(
                [
                    {
                        "instType": "SPOT",
                        "instId": i.symbol,
                        "uly": "",
                        "instFamily": "",
                        "baseCcy": i.base,
                        "quoteCcy": i.quote,
                        "settleCcy": "",
                        "ctValCcy": "",
                        "ctVal": "",
                        "ctMult": "",
                        "ctType": "",
                        "lever": "10",
                        "tickSz": i.tick_size,
                        "lotSz": i.lot_size,
                        "minSz": i.lot_size,
                        "state": "live",
                        "listTime": "1611916828000",
                        "expTime": "",
                        "maxLmtSz": "10000",
                        "maxMktSz": "1000000",
                        "alias": "",
                        "optType": "",
                        "stk": "",
                        "category": "1",
                        "ruleType": "normal",
                    }
                ]
            )
        return ok(
            [
                {
                    "instType": "SWAP",
                    "instId": i.symbol,
                    "uly": "BTC-USDT",
                    "instFamily": "BTC-USDT",
                    "baseCcy": "",
                    "quoteCcy": "",
                    "settleCcy": "USDT",
                    "ctValCcy": "BTC",
                    "ctVal": i.rules.contract_size or "1",
                    "ctMult": "1",
                    "ctType": "linear",
                    "lever": "100",
                    "tickSz": i.tick_size,
                    "lotSz": self.wire_size(i.lot),
                    "minSz": self.wire_size(i.lot),
                    "state": "live",
                    "listTime": "1611916828000",
                    "expTime": "",
                    "maxLmtSz": "10000",
                    "maxMktSz": "1000",
                    "alias": "",
                    "optType": "",
                    "stk": "",
                    "category": "1",
                    "ruleType": "normal",
                }
            ]
        )

    async def books(self, request: web.Request) -> web.Response:
        bids, asks = self.levels(int(request.query.get("sz", "400")))
        return ok(
            [
                {
                    "asks": [[p, q, "0", "1"] for p, q in asks],
                    "bids": [[p, q, "0", "1"] for p, q in bids],
                    "ts": str(int(time.time() * 1000)),
                }
            ]
        )

    def order_json(self, o: VenueOrder) -> dict[str, Any]:
        i = self.instrument
        fills = [f for f in self.venue.fills if f.client_id == o.client_id]
        avg = sum(f.price * f.quantity for f in fills) // o.filled if o.filled else 0
        fee = sum(f.fee for f in fills)
        kind = (
            "market"
            if o.type is OrderType.MARKET
            else {TimeInForce.POST_ONLY: "post_only", TimeInForce.IOC: "ioc", TimeInForce.FOK: "fok"}.get(
                o.tif, "limit"
            )
        )
        return {
            "instType": "SWAP",
            "instId": i.symbol,
            "ordId": self.order_ids[o.client_id],
            "clOrdId": o.client_id,
            "px": i.format_price(o.price) if o.price else "",
            "sz": self.wire_size(o.quantity),
            "ordType": kind,
            "side": "buy" if o.side is Side.BUY else "sell",
            "posSide": "net",
            "tdMode": "cross",
            "accFillSz": self.wire_size(o.filled),
            "fillPx": "",
            "avgPx": i.format_price(avg) if avg else "",
            "state": STATE[o.status],
            "reduceOnly": "true" if o.reduce_only else "false",
            "fee": "-" + from_fixed(fee, i.price_precision + i.size_precision) if fee else "0",
            "feeCcy": "USDT",
            "cTime": str(o.ts_ns // 1_000_000),
            "uTime": str(int(time.time() * 1000)),
            "lever": "10",
            "tag": "",
        }

    async def new_order(self, request: web.Request, p: dict[str, Any]) -> web.Response:
        i = self.instrument
        cid = str(p.get("clOrdId", ""))
        if p.get("instId") != i.symbol:
            return ok([{"ordId": "", "clOrdId": cid, "sCode": "51001", "sMsg": "Instrument ID doesn't exist."}])
        if cid in self.order_ids:
            return web.json_response(
                {
                    "code": "1",
                    "msg": "All operations failed",
                    "data": [{"ordId": "", "clOrdId": cid, "sCode": "51016", "sMsg": "Duplicated clOrdId"}],
                }
            )
        try:
            typ, tif = ORD_TYPE[p["ordType"]]
            side = {"buy": Side.BUY, "sell": Side.SELL}[p["side"]]
            qty = base_size(i, str(p["sz"]), "sz")
            price = i.price(str(p["px"]), "px") if typ is OrderType.LIMIT else 0
        except (KeyError, ValueError) as exc:
            return web.json_response(
                {
                    "code": "1",
                    "msg": "All operations failed",
                    "data": [{"ordId": "", "clOrdId": cid, "sCode": "51000", "sMsg": f"Parameter error: {exc}"}],
                }
            )
        if self.spot:
            base, quote = self._holdings()
            px = price or self.venue.books[i.key].best_ask_price()
            if (side is Side.SELL and qty > base) or (side is Side.BUY and to_cash(i, qty * px) > quote):
                return web.json_response(
                    {
                        "code": "1",
                        "msg": "All operations failed",
                        "data": [
                            {
                                "ordId": "",
                                "clOrdId": cid,
                                "sCode": "51008",
                                "sMsg": "Order failed. Insufficient balance.",
                            }
                        ],
                    }
                )
        self.order_ids[cid] = str(600_000_000_000 + len(self.order_ids) + 1)
        reduce_only = str(p.get("reduceOnly", "false")).lower() == "true"
        try:
            await self.venue.place_order(
                OrderRequest(i.key, side, typ, qty, price, tif=tif, reduce_only=reduce_only, client_id=cid)
            )
        except VenueRejected as exc:
            del self.order_ids[cid]
            return web.json_response(
                {
                    "code": "1",
                    "msg": "All operations failed",
                    "data": [{"ordId": "", "clOrdId": cid, "sCode": "51000", "sMsg": exc.message}],
                }
            )
        o = self.venue.orders[cid]
        if o.status is OrderStatus.REJECTED:
            msg = (
                "Order failed. Post only order will take liquidity."
                if tif is TimeInForce.POST_ONLY
                else "Reduce-only order rejected."
            )
            return web.json_response(
                {
                    "code": "1",
                    "msg": "All operations failed",
                    "data": [{"ordId": self.order_ids[cid], "clOrdId": cid, "sCode": "51124", "sMsg": msg}],
                }
            )
        if self.faults.place_timeout_next:
            self.faults.place_timeout_next -= 1
            await asyncio.sleep(self.faults.timeout_s)
        return ok(
            [
                {
                    "ordId": self.order_ids[cid],
                    "clOrdId": cid,
                    "tag": "",
                    "ts": str(int(time.time() * 1000)),
                    "sCode": "0",
                    "sMsg": "Order placed",
                }
            ]
        )

    def _find(self, p: dict[str, Any]) -> VenueOrder | None:
        cid = p.get("clOrdId")
        if not cid and p.get("ordId"):
            cid = next((c for c, n in self.order_ids.items() if n == p["ordId"]), None)
        return self.venue.orders.get(str(cid or ""))

    async def cancel_order(self, request: web.Request, p: dict[str, Any]) -> web.Response:
        o = self._find(p)
        if o is None or o.status.is_terminal:
            return web.json_response(
                {
                    "code": "1",
                    "msg": "All operations failed",
                    "data": [
                        {
                            "ordId": "",
                            "clOrdId": str(p.get("clOrdId", "")),
                            "sCode": "51400",
                            "sMsg": "Cancellation failed as the order has been filled, canceled or does not exist.",
                        }
                    ],
                }
            )
        await self.venue.cancel_order(self.instrument.key, o.client_id)
        return ok([{"ordId": self.order_ids[o.client_id], "clOrdId": o.client_id, "sCode": "0", "sMsg": ""}])

    async def get_order(self, request: web.Request, p: dict[str, Any]) -> web.Response:
        o = self._find(p)
        if o is None:
            return fail("51603", "Order does not exist")
        return ok([self.order_json(o)])

    async def pending(self, request: web.Request, p: dict[str, Any]) -> web.Response:
        return ok([self.order_json(o) for o in await self.venue.get_open_orders()])

    async def fills(self, request: web.Request, p: dict[str, Any]) -> web.Response:
        i = self.instrument
        d = i.price_precision + i.size_precision
        return ok(
            [
                {
                    "instType": "SWAP",
                    "instId": i.symbol,
                    "tradeId": f.trade_id.rsplit("-", 1)[1],
                    "ordId": self.order_ids.get(f.client_id, ""),
                    "clOrdId": f.client_id,
                    "billId": f.trade_id.rsplit("-", 1)[1],
                    "tag": "",
                    "fillPx": i.format_price(f.price),
                    "fillSz": self.wire_size(f.quantity),
                    "side": "buy" if f.side is Side.BUY else "sell",
                    "posSide": "net",
                    "execType": "M" if f.liquidity == "maker" else "T",
                    "feeCcy": "USDT",
                    "fee": "-" + from_fixed(f.fee, d),
                    "ts": str(f.ts_ns // 1_000_000),
                    "fillTime": str(f.ts_ns // 1_000_000),
                }
                for f in reversed(self.venue.fills)
            ]
        )

    async def positions(self, request: web.Request, p: dict[str, Any]) -> web.Response:
        i = self.instrument
        pos = self.venue.matchers[i.key].position
        assert pos is not None
        if pos.quantity == 0 or self.spot:  # spot holds assets, it has no positions
            return ok([])
        avg = abs(pos.cost // pos.quantity)
        return ok(
            [
                {
                    "instType": "SWAP",
                    "instId": i.symbol,
                    "mgnMode": "cross",
                    "posId": "1",
                    "posSide": "net",
                    "pos": self.wire_size(pos.quantity),
                    "posCcy": "",
                    "availPos": "",
                    "avgPx": i.format_price(avg),
                    "upl": "0",
                    "lever": "10",
                    "liqPx": "",
                    "markPx": i.format_price(self.venue.books[i.key].best_bid_price()),
                    "margin": "",
                    "notionalUsd": "0",
                    "ccy": "USDT",
                    "cTime": "0",
                    "uTime": str(int(time.time() * 1000)),
                }
            ]
        )

    def _holdings(self) -> tuple[int, int]:
        pos = self.venue.matchers[self.instrument.key].position
        assert pos is not None
        return pos.quantity, self.venue.cash() - to_cash(self.instrument, pos.cost)

    async def cancel_all_after(self, request: web.Request, p: dict[str, Any]) -> web.Response:
        """OKX's dead-man's switch: timeOut seconds, 0 (off) or 10 to 120."""
        try:
            seconds = int(p["timeOut"])
        except (KeyError, ValueError, TypeError):
            return web.json_response({"code": "51000", "msg": "Parameter timeOut error", "data": []})
        if seconds != 0 and not 10 <= seconds <= 120:
            return web.json_response({"code": "51000", "msg": "Parameter timeOut error", "data": []})
        self.arm_countdown(seconds)
        now = int(time.time() * 1000)
        return ok([{"triggerTime": str(now + seconds * 1000 if seconds else 0), "tag": "", "ts": str(now)}])

    async def balance(self, request: web.Request, p: dict[str, Any]) -> web.Response:
        if self.spot:
            base, quote = self._holdings()
            now = str(int(time.time() * 1000))
            q, b = from_fixed(quote, CASH_PRECISION), self.instrument.format_size(base)
            return ok(
                [
                    {
                        "totalEq": q,
                        "uTime": now,
                        "details": [
                            {
                                "ccy": self.instrument.quote,
                                "eq": q,
                                "cashBal": q,
                                "availBal": q,
                                "availEq": q,
                                "frozenBal": "0",
                                "uTime": now,
                            },
                            {
                                "ccy": self.instrument.base,
                                "eq": b,
                                "cashBal": b,
                                "availBal": b,
                                "availEq": b,
                                "frozenBal": "0",
                                "uTime": now,
                            },
                        ],
                    }
                ]
            )
        c = from_fixed(self.venue.cash(), CASH_PRECISION)
        return ok(
            [
                {
                    "totalEq": c,
                    "uTime": str(int(time.time() * 1000)),
                    "details": [
                        {
                            "ccy": "USDT",
                            "eq": c,
                            "cashBal": c,
                            "availBal": c,
                            "availEq": c,
                            "frozenBal": "0",
                            "ordFrozen": "0",
                            "upl": "0",
                            "uTime": str(int(time.time() * 1000)),
                        }
                    ],
                }
            ]
        )
