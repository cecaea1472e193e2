"""Hyperliquid (perpetuals) on loopback: ``/info`` and ``/exchange`` as the venue speaks them, the
``l2Book`` and ``trades`` subscriptions, and the venue's checks: the L1 action signature must
recover to the account's address, nonces must be fresh and unused, prices must have at most five
significant figures and at most 6 - szDecimals decimals."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal
from typing import Any

from aiohttp import web

from alephtx.core.model import Instrument, OrderRequest, OrderStatus, OrderType, Side, TimeInForce, VenueRules
from alephtx.core.model.accounting import CASH_PRECISION
from alephtx.core.model.fixed import from_fixed
from alephtx.core.replay.driver import TapeEvent
from alephtx.core.signers import hyperliquid as hl
from alephtx.core.signers.evm import recover_digest
from alephtx.core.venues.base import VenueOrder, VenueRejected
from alephtx.emulators.base import Emulator

SZ_DECIMALS = 5
BTC_PERP = Instrument.from_strings(
    "hyperliquid", "BTC", "perp", "0.1", "0.00001", "10", base="BTC", quote="USDC", rules=VenueRules(max_sig_figs=5)
)
TIF_IN = {"Gtc": TimeInForce.GTC, "Ioc": TimeInForce.IOC, "Alo": TimeInForce.POST_ONLY}
STATUS = {
    OrderStatus.SUBMITTED: "open",
    OrderStatus.ACCEPTED: "open",
    OrderStatus.CANCEL_PENDING: "open",
    OrderStatus.PARTIALLY_FILLED: "open",
    OrderStatus.FILLED: "filled",
    OrderStatus.CANCELLED: "canceled",
    OrderStatus.EXPIRED: "canceled",
    OrderStatus.REJECTED: "rejected",
}


def sig_figs_ok(px: str) -> bool:
    d = Decimal(px)
    if d == d.to_integral_value():
        return True  # integer prices are always allowed
    digits = len(d.normalize().as_tuple().digits)
    decimals = -d.normalize().as_tuple().exponent  # type: ignore[operator]
    return digits <= 5 and decimals <= 6 - SZ_DECIMALS


class HyperliquidEmulator(Emulator):
    name = "hyperliquid"
    weight_limit = 1200  # weight per minute per address
    weight_window_s = 60.0

    def __init__(self, *args: Any, **kw: Any) -> None:
        kw.setdefault("instrument", BTC_PERP)
        super().__init__(*args, **kw)
        self.address = self.account.api_key.lower()  # the account is its wallet address
        self.oids: dict[str, int] = {}  # cloid -> oid
        self.nonces: set[int] = set()

    # -- streams -------------------------------------------------------------------------------------

    def _l2(self) -> dict[str, Any]:
        """The top 20 levels per side at five significant figures, as Hyperliquid aggregates them."""
        bids, asks = self.venue.books[self.instrument.key].depth(400)
        out = []
        for levels, up in ((bids, False), (asks, True)):
            agg: dict[int, int] = {}
            for px, qty in levels:
                unit = 10 ** max(len(str(px)) - 5, 0)
                key = -(-px // unit) * unit if up else px // unit * unit
                agg[key] = agg.get(key, 0) + qty
            rows = sorted(agg.items(), reverse=not up)[:20]
            fp, fs = self.instrument.format_price, self.instrument.format_size
            out.append([{"px": hl.to_wire(fp(p)), "sz": hl.to_wire(fs(q)), "n": 1} for p, q in rows])
        return {"coin": self.instrument.symbol, "time": int(time.time() * 1000), "levels": out}

    def depth_message(self, ev: TapeEvent) -> str:
        return json.dumps({"channel": "l2Book", "data": self._l2()})

    def trade_message(self, ev: TapeEvent) -> str:
        i = self.instrument
        t = {
            "coin": i.symbol,
            "side": "A" if ev.aggressor is Side.SELL else "B",
            "px": hl.to_wire(i.format_price(ev.price)),
            "sz": hl.to_wire(i.format_size(ev.quantity)),
            "time": ev.exch_ns // 1_000_000,
            "hash": "0x0",
            "tid": ev.trade_id,
        }
        return json.dumps({"channel": "trades", "data": [t]})

    async def on_ws_text(self, ws: web.WebSocketResponse, text: str) -> None:
        try:
            req = json.loads(text)
            if req.get("method") == "ping":
                await ws.send_str('{"channel":"pong"}')
                return
            sub = req["subscription"]
        except (ValueError, KeyError, TypeError, AttributeError):
            await ws.send_str(json.dumps({"channel": "error", "data": f"Invalid subscription {text[:60]}"}))
            return
        kinds: set[str] = getattr(ws, "_aleph_kinds", set())
        if sub.get("type") in ("userFills", "orderUpdates"):
            if str(sub.get("user", "")).lower() != self.address or self.refuse_user_streams:
                await ws.send_str(json.dumps({"channel": "error", "data": f"Invalid subscription {text[:60]}"}))
                return
            await ws.send_str(json.dumps({"channel": "subscriptionResponse", "data": req}))
            kinds.add("user")
            ws._aleph_kinds = kinds  # type: ignore[attr-defined]
            if sub["type"] == "userFills":  # a snapshot of the recent fills comes first
                data = {
                    "isSnapshot": True,
                    "user": self.address,
                    "fills": [self._fill_json(f) for f in self.venue.fills],
                }
                await ws.send_str(json.dumps({"channel": "userFills", "data": data}))
            return
        await ws.send_str(json.dumps({"channel": "subscriptionResponse", "data": req}))
        if sub.get("type") == "l2Book" and sub.get("coin") == self.instrument.symbol:
            kinds.add("depth")
            await ws.send_str(json.dumps({"channel": "l2Book", "data": self._l2()}))
        elif sub.get("type") == "trades" and sub.get("coin") == self.instrument.symbol:
            kinds.add("trade")
        ws._aleph_kinds = kinds  # type: ignore[attr-defined]

    # -- REST ----------------------------------------------------------------------------------------

    def routes(self, r: web.UrlDispatcher) -> None:
        r.add_post("/info", self.info)
        r.add_post("/exchange", self.exchange)
        r.add_get("/ws", self.websocket)

    def weight_of(self, request: web.Request) -> int:
        return 1 if request.path == "/exchange" else 2

    def too_many(self, retry_after: float) -> web.Response:
        return web.Response(
            status=429, text="Too many requests", headers={"Retry-After": str(max(1, round(retry_after)))}
        )

    def _order_json(self, o: VenueOrder) -> dict[str, Any]:
        i = self.instrument
        return {
            "coin": i.symbol,
            "side": "B" if o.side is Side.BUY else "A",
            "limitPx": hl.to_wire(i.format_price(o.price)),
            "sz": hl.to_wire(i.format_size(o.quantity - o.filled)),
            "oid": self.oids[o.client_id],
            "timestamp": o.ts_ns // 1_000_000,
            "origSz": hl.to_wire(i.format_size(o.quantity)),
            "cloid": "0x" + o.client_id,
            "reduceOnly": o.reduce_only,
            "orderType": "Limit",
            "tif": {TimeInForce.IOC: "Ioc", TimeInForce.POST_ONLY: "Alo"}.get(o.tif, "Gtc"),
        }

    def _fill_json(self, f: Any) -> dict[str, Any]:
        i = self.instrument
        return {
            "coin": i.symbol,
            "px": hl.to_wire(i.format_price(f.price)),
            "sz": hl.to_wire(i.format_size(f.quantity)),
            "side": "B" if f.side is Side.BUY else "A",
            "time": f.ts_ns // 1_000_000,
            "startPosition": "0",
            "dir": "Trade",
            "closedPnl": "0",
            "hash": "0x0",
            "oid": self.oids.get(f.client_id, 0),
            "crossed": f.liquidity == "taker",
            "fee": from_fixed(f.fee, i.price_precision + i.size_precision),
            "tid": int(f.trade_id.rsplit("-", 1)[1]),
            "cloid": "0x" + f.client_id,
            "feeToken": "USDC",
        }

    def user_messages(self, report: Any) -> list[str]:
        """``userFills`` for a fill, ``orderUpdates`` for an order that changed."""
        o = self.venue.orders.get(report.client_id)
        if o is None or o.client_id not in self.oids:
            return []
        out = []
        if report.fill is not None:
            data = {"isSnapshot": False, "user": self.address, "fills": [self._fill_json(report.fill)]}
            out.append(json.dumps({"channel": "userFills", "data": data}))
        update = {"order": self._order_json(o), "status": STATUS[o.status], "statusTimestamp": int(time.time() * 1000)}
        out.append(json.dumps({"channel": "orderUpdates", "data": [update]}))
        return out

    async def info(self, request: web.Request) -> web.Response:
        try:
            req = await request.json()
            kind = req["type"]
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": "Failed to deserialize the JSON body"}, status=422)
        i = self.instrument
        if kind == "meta":
            return web.json_response({"universe": [{"name": i.symbol, "szDecimals": SZ_DECIMALS, "maxLeverage": 50}]})
        if kind == "l2Book":
            return web.json_response(self._l2())
        if req.get("user", "").lower() != self.address:  # another address: an empty account, as on the venue
            if kind == "clearinghouseState":
                zero = {"accountValue": "0.0", "totalNtlPos": "0.0", "totalRawUsd": "0.0", "totalMarginUsed": "0.0"}
                return web.json_response({"assetPositions": [], "marginSummary": zero, "withdrawable": "0.0"})
            return web.json_response([] if kind in ("openOrders", "userFills") else {"status": "unknownOid"})
        if kind == "openOrders":
            return web.json_response([self._order_json(o) for o in await self.venue.get_open_orders()])
        if kind == "orderStatus":
            key = req.get("oid")
            o = (
                self.venue.orders.get(key[2:])
                if isinstance(key, str)
                else next((self.venue.orders[c] for c, n in self.oids.items() if n == key), None)
            )
            if o is None:
                return web.json_response({"status": "unknownOid"})
            return web.json_response(
                {
                    "status": "order",
                    "order": {
                        "order": self._order_json(o),
                        "status": STATUS[o.status],
                        "statusTimestamp": int(time.time() * 1000),
                        "filledSz": hl.to_wire(i.format_size(o.filled)),
                    },
                }
            )
        if kind == "clearinghouseState":
            pos = self.venue.matchers[i.key].position
            assert pos is not None
            cash = hl.to_wire(from_fixed(self.venue.cash(), CASH_PRECISION))
            positions = []
            if pos.quantity:
                entry = abs(pos.cost // pos.quantity)
                positions.append(
                    {
                        "type": "oneWay",
                        "position": {
                            "coin": i.symbol,
                            "szi": hl.to_wire(i.format_size(pos.quantity)),
                            "entryPx": hl.to_wire(i.format_price(entry)),
                            "positionValue": "0",
                            "unrealizedPnl": "0",
                            "leverage": {"type": "cross", "value": 10},
                        },
                    }
                )
            return web.json_response(
                {
                    "assetPositions": positions,
                    "withdrawable": cash,
                    "time": int(time.time() * 1000),
                    "marginSummary": {
                        "accountValue": cash,
                        "totalNtlPos": "0",
                        "totalRawUsd": cash,
                        "totalMarginUsed": "0",
                    },
                    "crossMarginSummary": {
                        "accountValue": cash,
                        "totalNtlPos": "0",
                        "totalRawUsd": cash,
                        "totalMarginUsed": "0",
                    },
                }
            )
        if kind == "userFills":
            return web.json_response([self._fill_json(f) for f in reversed(self.venue.fills)])
        return web.json_response({"error": f"unknown info type {kind}"}, status=422)

    def _signer_ok(self, body: dict[str, Any]) -> str | None:
        """The venue's checks of an L1 action: a fresh unused nonce, and a signature by the account."""
        nonce = body.get("nonce")
        now = int(time.time() * 1000) + self.faults.clock_skew_ms
        if not isinstance(nonce, int) or not now - 2 * 86_400_000 < nonce < now + 86_400_000:
            return f"Invalid nonce: duplicate nonce or nonce too far from the current time ({nonce})"
        if nonce in self.nonces:
            return "Invalid nonce: duplicate nonce"
        try:
            s = body["signature"]
            sig = {"r": int(s["r"], 16), "s": int(s["s"], 16), "v": int(s["v"])}
            connection = hl.action_hash(body["action"], body.get("vaultAddress"), nonce, body.get("expiresAfter"))
            # Mainnet or testnet signing (the phantom agent's source "a" or "b"): this one
            # emulator stands for either venue.
            signers = [recover_digest(hl.l1_digest(connection, net), sig).lower() for net in (True, False)]
        except (KeyError, ValueError, TypeError) as exc:
            return f"Invalid signature: {exc}"
        who = self.address if self.address in signers else signers[0]
        if who != self.address:
            return f"User or API Wallet {who} does not exist."
        self.nonces.add(nonce)
        return None

    async def exchange(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            action = body["action"]
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": "Failed to deserialize the JSON body"}, status=422)
        problem = self._signer_ok(body)
        if problem:
            return web.json_response({"status": "err", "response": problem})
        if action.get("type") == "order":
            placed = [await self._place(w) for w in action["orders"]]
            if self.faults.place_timeout_next:
                self.faults.place_timeout_next -= 1
                await asyncio.sleep(self.faults.timeout_s)
            return web.json_response({"status": "ok", "response": {"type": "order", "data": {"statuses": placed}}})
        if action.get("type") == "cancelByCloid":
            statuses: list[Any] = []
            for c in action["cancels"]:
                o = self.venue.orders.get(str(c["cloid"])[2:])
                if o is None or o.status.is_terminal:
                    statuses.append({"error": "Order was never placed, already canceled, or filled."})
                else:
                    await self.venue.cancel_order(self.instrument.key, o.client_id)
                    statuses.append("success")
            return web.json_response({"status": "ok", "response": {"type": "cancel", "data": {"statuses": statuses}}})
        if action.get("type") == "scheduleCancel":  # the dead-man's switch
            at, now = action.get("time"), int(time.time() * 1000)
            if at is None:
                self.arm_countdown(0)
            elif not isinstance(at, int) or at < now + 5000:
                return web.json_response(
                    {
                        "status": "err",
                        "response": "Scheduled cancel time too early, must be at least 5 seconds from now.",
                    }
                )
            else:
                self.arm_countdown((at - now) / 1000)
            return web.json_response({"status": "ok", "response": {"type": "default"}})
        return web.json_response({"status": "err", "response": f"Unsupported action type {action.get('type')}"})

    async def _place(self, w: dict[str, Any]) -> dict[str, Any]:
        i = self.instrument
        raw_cloid = str(w.get("c") or "")
        if w.get("a") != 0 or len(raw_cloid) != 34 or not raw_cloid.startswith("0x"):
            return {"error": "Order has invalid asset or cloid."}
        cloid = raw_cloid[2:]  # the paper venue's client ids are plain letters and digits
        if cloid in self.oids:
            return {"error": "Duplicate cloid."}
        if not sig_figs_ok(w["p"]):
            return {"error": "Order has invalid price."}
        if Decimal(w["s"]).as_tuple().exponent < -SZ_DECIMALS:  # type: ignore[operator]
            return {"error": "Order has invalid size."}
        tif = TIF_IN.get(w["t"]["limit"]["tif"], TimeInForce.GTC)
        side = Side.BUY if w["b"] else Side.SELL
        self.oids[cloid] = 9_000_000 + len(self.oids) + 1
        req = OrderRequest(
            i.key, side, OrderType.LIMIT, i.size(w["s"]), i.price(w["p"]), tif=tif, reduce_only=w["r"], client_id=cloid
        )
        try:
            await self.venue.place_order(req)
        except VenueRejected as exc:
            del self.oids[cloid]
            return {"error": exc.message}
        o = self.venue.orders[cloid]
        oid = self.oids[cloid]
        if o.status is OrderStatus.REJECTED:
            book = self.venue.books[i.key]
            if tif is TimeInForce.POST_ONLY:
                return {
                    "error": f"Post only order would have immediately matched, bbo was "
                    f"{i.format_price(book.best_bid_price())}@{i.format_price(book.best_ask_price())}. asset=0"
                }
            return {"error": "Reduce only order would increase position. asset=0"}
        if o.status is OrderStatus.FILLED:
            return {"filled": {"totalSz": hl.to_wire(i.format_size(o.filled)), "avgPx": w["p"], "oid": oid}}
        if tif is TimeInForce.IOC:
            return (
                {"error": "Order could not immediately match against any resting orders. asset=0"}
                if o.filled == 0
                else {"filled": {"totalSz": hl.to_wire(i.format_size(o.filled)), "avgPx": w["p"], "oid": oid}}
            )
        return {"resting": {"oid": oid, "cloid": raw_cloid}}
