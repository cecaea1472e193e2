"""A venue adapter on ccxt's async REST client; each venue subclass states only what differs.

In the style of Freqtrade's exchange classes: this class owns retries, backoff and the mapping
of ccxt's errors onto ours; a subclass gives the ccxt class, the symbol mapping, the order
parameters and the parsers of the venue's raw answers (``info``), so that prices and sizes are
read from the venue's own decimal strings, never from ccxt's floats.

Rate limits: ccxt's own throttle (``enableRateLimit``) counts requests by the venue's weights
over the venue's window (``rate_window_s``) before the venue complains; on a 429 or 418 anyway,
reads wait for Retry-After and try again.
Placing an order is never retried: no answer means "uncertain", resolved by the OMS by lookup.
"""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

import ccxt.async_support as ccxta
from ccxt.base import errors as cx

from alephtx.core.model import Balance, Fill, Instrument, OrderRequest, Position
from alephtx.core.venues.base import Capabilities, VenueAdapter, VenueOrder, VenueRejected, VenueUnavailable
from alephtx.core.venues.credentials import Credentials
from alephtx.core.venues.logscrub import register_secrets
from alephtx.core.venues.reports import ReportLog

log = logging.getLogger("alephtx.venues")
T = TypeVar("T")

REJECTED = (
    cx.InvalidNonce,
    cx.InvalidOrder,
    cx.InsufficientFunds,
    cx.OrderNotFound,
    cx.BadRequest,
    cx.AuthenticationError,
    cx.PermissionDenied,
    cx.BadSymbol,
)
# OperationFailed is ccxt's base class of transient failures (NetworkError and the venue's own
# "internal error, try again" codes); rejections are caught before it.
RETRYABLE = (cx.OperationFailed,)


class CcxtVenue(ReportLog, VenueAdapter):
    ccxt_class: str = ""
    capabilities = Capabilities()
    max_retries = 4
    backoff_s = 0.2

    def __init__(
        self,
        instruments: list[Instrument],
        credentials: Credentials,
        urls: dict[str, str] | None = None,
        options: dict[str, Any] | None = None,
        timeout_s: float = 5.0,
        rate_limit_ms: float | None = None,
        rate_window_s: float | None = None,
    ) -> None:
        self.instruments = {i.key: i for i in instruments}
        self.by_symbol = {i.symbol: i for i in instruments}
        self._creds = credentials
        register_secrets(*credentials.secrets())
        config: dict[str, Any] = {
            "apiKey": credentials.api_key,
            "secret": credentials.secret,
            "enableRateLimit": True,
            "timeout": int(timeout_s * 1000),
            "options": options or {},
        }
        if credentials.passphrase:
            config["password"] = credentials.passphrase
        if rate_limit_ms is not None:
            config["rateLimit"] = rate_limit_ms
        if rate_window_s:
            # Count over the venue's own window, as it does: a burst within its budget goes at
            # once (a quote's two sides together), instead of one request per cost x rateLimit.
            config["rateLimiterAlgorithm"] = "rollingWindow"
            config["rollingWindowSize"] = rate_window_s * 1000
        self.ex: Any = getattr(ccxta, self.ccxt_class)(config)
        if urls:
            self.point_at(urls)
        self._markets_loaded = False
        self._init_reports()
        self.retries = 0
        self.clock_resyncs = 0

    def point_at(self, urls: dict[str, str]) -> None:
        """Replace the venue's base URLs (``{"https://fapi.binance.com": "http://127.0.0.1:N"}``)."""
        api = self.ex.urls["api"]
        for key, value in list(api.items()) if isinstance(api, dict) else []:
            if isinstance(value, str):
                for old, new in urls.items():
                    value = value.replace(old, new)
                api[key] = value
            elif isinstance(value, dict):
                for k2, v2 in value.items():
                    for old, new in urls.items():
                        v2 = v2.replace(old, new)
                    value[k2] = v2

    # -- hooks for the venue subclass -------------------------------------------------------------

    @abc.abstractmethod
    def ccxt_symbol(self, inst: Instrument) -> str:
        """Every venue's subclass maps its symbols (see binance/execution.py)."""

    @abc.abstractmethod
    def order_args(self, req: OrderRequest, inst: Instrument) -> tuple[str, str, str, str | None, dict[str, Any]]:
        """Every venue's subclass states its order parameters."""

    @abc.abstractmethod
    def parse_order(self, info: dict[str, Any]) -> VenueOrder:
        """Every venue's subclass parses its own order answers."""

    @abc.abstractmethod
    def parse_fill(self, info: dict[str, Any]) -> Fill:
        """Every venue's subclass parses its own trade answers."""

    @abc.abstractmethod
    def parse_positions(self, raw: list[dict[str, Any]]) -> list[Position]:
        """Every venue's subclass parses its own positions."""

    @abc.abstractmethod
    def parse_balances(self, raw: Any) -> list[Balance]:
        """Every venue's subclass parses its own balances."""

    def lookup_params(self, client_id: str) -> dict[str, Any]:
        return {"clientOrderId": client_id}

    # -- retries and errors --------------------------------------------------------------------------

    async def _call(self, fn: Callable[[], Awaitable[T]], retry: bool = True) -> T:
        attempt = 0
        resynced = False
        while True:
            try:
                return await fn()
            except cx.InvalidNonce as exc:
                # Our clock and the venue's disagree (Binance -1021): the request was refused
                # before anything happened, so measuring the offset and sending it again is safe.
                if resynced or not hasattr(self.ex, "load_time_difference"):
                    raise VenueRejected(type(exc).__name__, self._scrub(str(exc))) from None
                resynced = True
                await self.resync_clock()
            except REJECTED as exc:
                raise VenueRejected(type(exc).__name__, self._scrub(str(exc))) from None
            except RETRYABLE as exc:
                if not retry or attempt >= self.max_retries:
                    raise VenueUnavailable(type(exc).__name__, self._scrub(str(exc))) from None
                attempt += 1
                self.retries += 1
                wait = self._retry_after() or self.backoff_s * 2 ** (attempt - 1)
                log.warning("%s: %s, retry %d in %.2fs", self.name, type(exc).__name__, attempt, wait)
                await asyncio.sleep(wait)
            except cx.ExchangeError as exc:
                raise VenueRejected(type(exc).__name__, self._scrub(str(exc))) from None

    async def resync_clock(self) -> None:
        """Measure the venue's clock against ours (ccxt's load_time_difference) and sign with it."""
        try:
            await self.ex.load_time_difference()
        except cx.BaseError as exc:
            raise VenueUnavailable(type(exc).__name__, self._scrub(str(exc))) from None
        self.clock_resyncs += 1
        offset = self.ex.options.get("timeDifference", 0)
        log.warning(
            "%s: the venue's clock and ours differ by %s ms; requests are signed with it now", self.name, offset
        )

    def _retry_after(self) -> float:
        headers = getattr(self.ex, "last_response_headers", None) or {}
        value = headers.get("Retry-After") or headers.get("retry-after")
        try:
            return float(value) if value is not None else 0.0
        except ValueError:
            return 0.0

    def _scrub(self, text: str) -> str:
        """Error texts carry URLs and bodies; keep every secret out of them."""
        for s in self._creds.secrets():
            text = text.replace(s, "<hidden>")
        return text

    async def _markets(self) -> None:
        if not self._markets_loaded:
            await self._call(self.ex.load_markets)
            self._markets_loaded = True

    # -- the adapter interface ---------------------------------------------------------------------

    async def place_order(self, req: OrderRequest) -> VenueOrder:
        await self._markets()
        inst = self.instruments[req.instrument]
        typ, side, amount, price, params = self.order_args(req, inst)
        info = await self._call(
            lambda: self.ex.create_order(self.ccxt_symbol(inst), typ, side, amount, price, params), retry=False
        )
        o = await self.after_place(req, info["info"])
        self._known[o.client_id] = o
        return o

    # OKX and Bybit answer a placement or a cancel with ids only: the order is one lookup away.
    answers_with_ids_only = False

    async def after_place(self, req: OrderRequest, info: dict[str, Any]) -> VenueOrder:
        """Venues whose placement answer is the whole order parse it; others look it up."""
        if not self.answers_with_ids_only:
            return self.parse_order(info)
        return await self._look_up(req.instrument, req.client_id, "placed")

    async def _look_up(self, instrument: str, client_id: str, what: str) -> VenueOrder:
        found = await self.get_order(instrument, client_id)
        if found is None:
            raise VenueUnavailable("NOT_VISIBLE", f"{self.name}: order {client_id} {what} but not found yet")
        return found

    async def cancel_order(self, instrument: str, client_id: str) -> VenueOrder:
        await self._markets()
        inst = self.instruments[instrument]
        info = await self._call(
            lambda: self.ex.cancel_order(None, self.ccxt_symbol(inst), self.lookup_params(client_id))
        )
        return await self.after_cancel(instrument, client_id, info["info"])

    async def after_cancel(self, instrument: str, client_id: str, info: dict[str, Any]) -> VenueOrder:
        """Venues whose cancel answer is the whole order parse it; others look it up."""
        if not self.answers_with_ids_only:
            return self.parse_order(info)
        return await self._look_up(instrument, client_id, "cancelled")

    async def get_order(self, instrument: str, client_id: str) -> VenueOrder | None:
        await self._markets()
        inst = self.instruments[instrument]
        try:
            info = await self._call(
                lambda: self.ex.fetch_order(None, self.ccxt_symbol(inst), self.lookup_params(client_id))
            )
        except VenueRejected as exc:
            if exc.code == "OrderNotFound":
                return None
            raise
        o = self.parse_order(info["info"])
        self._known.setdefault(o.client_id, o)
        return o

    async def get_open_orders(self) -> list[VenueOrder]:
        await self._markets()
        out: list[VenueOrder] = []
        for inst in self.instruments.values():
            rows = await self._call(partial(self.ex.fetch_open_orders, self.ccxt_symbol(inst)))
            out += [self.parse_order(r["info"]) for r in rows]
        return out

    async def get_positions(self) -> list[Position]:
        await self._markets()
        symbols = [self.ccxt_symbol(i) for i in self.instruments.values()]
        rows = await self._call(lambda: self.ex.fetch_positions(symbols))
        return self.parse_positions([r["info"] for r in rows])

    async def get_balances(self) -> list[Balance]:
        await self._markets()
        raw = await self._call(self.ex.fetch_balance)
        return self.parse_balances(raw["info"])

    async def get_fills(self, since_ns: int = 0) -> list[Fill]:
        await self._markets()
        out: list[Fill] = []
        since_ms = since_ns // 1_000_000 or None
        for inst in self.instruments.values():
            rows = await self._call(partial(self.ex.fetch_my_trades, self.ccxt_symbol(inst), since_ms))
            out += [self.parse_fill(r["info"]) for r in rows]
        return [f for f in out if f.ts_ns >= since_ns]

    async def close(self) -> None:
        await self.ex.close()
