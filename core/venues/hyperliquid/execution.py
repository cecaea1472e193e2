"""Hyperliquid order execution: a native aiohttp client that signs L1 actions with our signer."""

from __future__ import annotations

import asyncio
import time
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import aiohttp

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
from alephtx.core.signers import EvmSigner
from alephtx.core.signers import hyperliquid as hl
from alephtx.core.venues.base import VenueAdapter, VenueOrder, VenueRejected, VenueUnavailable
from alephtx.core.venues.credentials import Credentials
from alephtx.core.venues.hyperliquid.config import CAPABILITIES, HyperliquidConfig
from alephtx.core.venues.hyperliquid.data import HyperliquidBookStream, HyperliquidTradeStream
from alephtx.core.venues.hyperliquid.parsing import client_id_of, cloid_of
from alephtx.core.venues.logscrub import register_secrets
from alephtx.core.venues.reports import ReportLog

TIF = {TimeInForce.GTC: "Gtc", TimeInForce.IOC: "Ioc", TimeInForce.POST_ONLY: "Alo", TimeInForce.FOK: "Ioc"}
STATUS = {
    "open": OrderStatus.ACCEPTED,
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELLED,
    "marginCanceled": OrderStatus.CANCELLED,
    "rejected": OrderStatus.REJECTED,
    "triggered": OrderStatus.ACCEPTED,
}


class HyperliquidVenue(ReportLog, VenueAdapter):
    name = "hyperliquid"
    capabilities = CAPABILITIES
    book_stream_cls: Any = HyperliquidBookStream
    trade_stream_cls: Any = HyperliquidTradeStream

    def __init__(
        self, instruments: list[Instrument], credentials: Credentials, config: HyperliquidConfig | None = None
    ) -> None:
        self.config = config or HyperliquidConfig()
        self.instruments = {i.key: i for i in instruments}
        self.by_coin = {i.symbol: i for i in instruments}
        register_secrets(credentials.private_key)
        self.wallet = EvmSigner(credentials.private_key)
        self.address = (credentials.api_key or self.wallet.address).lower()
        self._session: aiohttp.ClientSession | None = None
        self._assets: dict[str, int] = {}
        self._last_nonce = 0
        self._next_call = 0.0
        self._init_reports()

    def signer(self) -> EvmSigner:
        return self.wallet

    # -- transport -------------------------------------------------------------------------------------

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.config.timeout_s))
        # One shared throttle: requests at least min_interval_s apart, before the venue complains.
        now = time.monotonic()
        if now < self._next_call:
            await asyncio.sleep(self._next_call - now)
        self._next_call = max(now, self._next_call) + self.config.min_interval_s
        for attempt in range(4):
            try:
                async with self._session.post(self.config.rest_url + path, json=body) as resp:
                    if resp.status in (429, 418) or resp.status >= 500:
                        if path == "/exchange" and resp.status >= 500:
                            raise VenueUnavailable(f"HTTP_{resp.status}", "no answer to an exchange action")
                        await asyncio.sleep(float(resp.headers.get("Retry-After", 0.2 * 2**attempt)))
                        continue
                    if resp.status >= 400:
                        raise VenueRejected(f"HTTP_{resp.status}", (await resp.text())[:200])
                    return await resp.json()
            except (aiohttp.ClientError, TimeoutError) as exc:
                if path == "/exchange" or attempt == 3:
                    raise VenueUnavailable("UNREACHABLE", f"{path}: {type(exc).__name__}") from None
                await asyncio.sleep(0.2 * 2**attempt)
        raise VenueUnavailable("RATE_LIMITED", f"{path}: still limited after retries")

    async def _asset(self, coin: str) -> int:
        if not self._assets:
            meta = await self._post("/info", {"type": "meta"})
            self._assets = {u["name"]: i for i, u in enumerate(meta["universe"])}
        return self._assets[coin]

    def _nonce(self) -> int:
        # Milliseconds, strictly increasing: Hyperliquid refuses a reused nonce.
        self._last_nonce = max(int(time.time() * 1000), self._last_nonce + 1)
        return self._last_nonce

    async def _action(self, action: dict[str, Any]) -> Any:
        nonce = self._nonce()
        sig = hl.sign_l1_action(self.wallet, action, None, nonce, self.config.mainnet)
        body = {
            "action": action,
            "nonce": nonce,
            "signature": {"r": hex(sig["r"]), "s": hex(sig["s"]), "v": sig["v"]},
            "vaultAddress": None,
        }
        resp = await self._post("/exchange", body)
        if resp.get("status") != "ok":
            raise VenueRejected("EXCHANGE_ERROR", str(resp.get("response")))
        return resp["response"]

    # -- orders -----------------------------------------------------------------------------------------

    def _wire_price(self, req: OrderRequest, inst: Instrument, book_px: int) -> str:
        if req.type is OrderType.LIMIT:
            return hl.to_wire(inst.format_price(req.price))
        # A market order is an IOC limit at the slippage bound, rounded outward to 5 significant figures.
        bound = Decimal(inst.format_price(book_px)) * (
            1 + Decimal(self.config.market_slippage_bps) / 10_000 * req.side.sign
        )
        exp = bound.adjusted() - 4
        q = Decimal(1).scaleb(max(exp, -1))
        return hl.to_wire(bound.quantize(q, rounding=ROUND_CEILING if req.side is Side.BUY else ROUND_FLOOR))

    async def place_order(self, req: OrderRequest) -> VenueOrder:
        inst = self.instruments[req.instrument]
        cloid = cloid_of(req.client_id)
        ref = 0
        if req.type is OrderType.MARKET:
            book = await self._post("/info", {"type": "l2Book", "coin": inst.symbol})
            side_levels = book["levels"][1 if req.side is Side.BUY else 0]
            if not side_levels:
                raise VenueRejected("NO_LIQUIDITY", "the book has no opposite side")
            ref = _px(inst, side_levels[0]["px"])
        tif = TimeInForce.IOC if req.type is OrderType.MARKET else req.tif
        wire = hl.order_wire(
            await self._asset(inst.symbol),
            req.side is Side.BUY,
            self._wire_price(req, inst, ref),
            hl.to_wire(inst.format_size(req.quantity)),
            req.reduce_only,
            TIF[tif],
            cloid,
        )
        resp = await self._action(hl.order_action([wire]))
        status = resp["data"]["statuses"][0]
        if "error" in status:
            raise VenueRejected("ORDER_ERROR", status["error"])
        found = await self.get_order(req.instrument, req.client_id)
        if found is None:
            raise VenueUnavailable("NOT_VISIBLE", f"order {req.client_id} accepted but not visible yet")
        return found

    async def cancel_order(self, instrument: str, client_id: str) -> VenueOrder:
        inst = self.instruments[instrument]
        action = {
            "type": "cancelByCloid",
            "cancels": [{"asset": await self._asset(inst.symbol), "cloid": cloid_of(client_id)}],
        }
        resp = await self._action(action)
        status = resp["data"]["statuses"][0]
        if status != "success":
            raise VenueRejected(
                "CANCEL_ERROR", status.get("error", str(status)) if isinstance(status, dict) else str(status)
            )
        found = await self.get_order(instrument, client_id)
        assert found is not None
        return found

    async def get_order(self, instrument: str, client_id: str) -> VenueOrder | None:
        resp = await self._post("/info", {"type": "orderStatus", "user": self.address, "oid": cloid_of(client_id)})
        if resp.get("status") != "order":
            return None
        o = self._parse_order(resp["order"]["order"], resp["order"]["status"], resp["order"].get("filledSz"))
        self._known.setdefault(o.client_id, o)
        return o

    def _parse_order(self, d: dict[str, Any], status: str, filled_sz: str | None = None) -> VenueOrder:
        inst = self.by_coin[d["coin"]]
        orig = inst.size(d["origSz"])
        left = to_fixed(d["sz"], inst.size_precision)
        tif = {"Ioc": TimeInForce.IOC, "Alo": TimeInForce.POST_ONLY}.get(d.get("tif", "Gtc"), TimeInForce.GTC)
        filled = to_fixed(filled_sz, inst.size_precision) if filled_sz is not None else orig - left
        st = STATUS.get(status, OrderStatus.ACCEPTED)
        if st is OrderStatus.ACCEPTED and filled:
            st = OrderStatus.PARTIALLY_FILLED
        return VenueOrder(
            client_id_of(d["cloid"]),
            str(d["oid"]),
            inst.key,
            Side.BUY if d["side"] == "B" else Side.SELL,
            OrderType.LIMIT,
            orig,
            inst.price(d["limitPx"]),
            tif,
            bool(d.get("reduceOnly")),
            st,
            filled,
            int(d["timestamp"]) * 1_000_000,
        )

    async def get_open_orders(self) -> list[VenueOrder]:
        rows = await self._post("/info", {"type": "openOrders", "user": self.address})
        return [self._parse_order(r, "open") for r in rows if r["coin"] in self.by_coin]

    async def get_positions(self) -> list[Position]:
        state = await self._post("/info", {"type": "clearinghouseState", "user": self.address})
        out = []
        held = {p["position"]["coin"]: p["position"] for p in state["assetPositions"]}
        for coin, inst in self.by_coin.items():
            p = held.get(coin)
            qty = to_fixed(p["szi"], inst.size_precision) if p else 0
            entry = inst.average_price(p["entryPx"], "entryPx") if p and qty else 0
            out.append(Position(inst.key, qty, qty * entry, 0))
        return out

    async def get_balances(self) -> list[Balance]:
        state = await self._post("/info", {"type": "clearinghouseState", "user": self.address})
        total = to_fixed(state["marginSummary"]["accountValue"], CASH_PRECISION, "accountValue", Rounding.DOWN)
        free = to_fixed(state["withdrawable"], CASH_PRECISION, "withdrawable", Rounding.DOWN)
        return [Balance(self.name, "USDC", total, free, CASH_PRECISION)]

    async def get_fills(self, since_ns: int = 0) -> list[Fill]:
        rows = await self._post("/info", {"type": "userFills", "user": self.address})
        out = [f for f in map(self.parse_fill, rows) if f is not None]
        return [f for f in out if f.ts_ns >= since_ns]

    def parse_fill(self, r: dict[str, Any]) -> Fill | None:
        """One of the account's fills (``userFills``, by REST or pushed); None when it is not ours
        to track (another coin, or an order placed without a client id)."""
        inst = self.by_coin.get(r["coin"])
        if inst is None or not r.get("cloid"):
            return None
        d = inst.price_precision + inst.size_precision
        return Fill(
            inst.key,
            client_id_of(r["cloid"]),
            str(r["oid"]),
            str(r["tid"]),
            Side.BUY if r["side"] == "B" else Side.SELL,
            _px(inst, r["px"]),
            inst.size(r["sz"]),
            to_fixed(r["fee"], d, "fee", Rounding.UP),
            "taker" if r["crossed"] else "maker",
            int(r["time"]) * 1_000_000,
        )

    async def check_keys(self) -> None:
        """Reading an account needs no key on Hyperliquid (any address answers, an unknown one
        with an empty account), so the proof is a signed action that changes nothing: cancelling a
        client id never used. The venue checks the signature first ("User or API Wallet ... does
        not exist" when the key is not the account's or its agent's), then finds no such order."""
        await self.get_balances()
        inst = next(iter(self.instruments.values()))
        cancel = {"asset": await self._asset(inst.symbol), "cloid": "0x" + "0" * 32}
        await self._action({"type": "cancelByCloid", "cancels": [cancel]})

    async def arm_cancel_on_disconnect(self, seconds: float) -> bool:
        """Hyperliquid's scheduleCancel: every open order cancelled at a time at least 5 s ahead
        when the venue reads it (a shorter wish is raised to 6 s: 5 and a second for the
        request's way there); without a time it is unscheduled."""
        action: dict[str, Any] = {"type": "scheduleCancel"}
        if seconds > 0:
            action["time"] = int(time.time() * 1000) + max(6000, int(seconds * 1000))
        await self._action(action)
        return True

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _px(inst: Instrument, text: str) -> int:
    """A price the venue reports (a fill, a level, an entry): on the grid, but not bound by the
    five-significant-figure rule, which only applies to the prices of new orders."""
    return to_fixed(text, inst.price_precision, "px")
