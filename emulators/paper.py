"""The paper venue as a service: REST over HTTP on loopback, with its own market replay.

Run it as a separate process when the engine must be testable against a venue that outlives it
(the crash test kills the engine, never the venue):

    python -m alephtx.emulators.paper --port 8300 [--capture FILE] [--speed 1.0]

Binds 127.0.0.1 by default. Bound to any other address it requires a bearer token
(ALEPH_PAPER_TOKEN), and refuses to start without one.

It checks an order as a venue does before its matcher sees it, and answers a refusal as a venue
does: HTTP 400 with ``{"code": ..., "param": ..., "message": "param: rule (got 'value')"}``.
Amounts (``quantity``, ``price``, ``trigger_price``) are either JSON integers in the
instrument's smallest unit (what ``PaperHttpVenue`` sends: ``"quantity": 10`` is 0.010 BTC) or
decimal strings of ASCII digits (``"quantity": "0.010"``); floats, signs, exponents, Unicode
digits and values beyond int64 or ``--max-quantity`` are refused. Malformed bodies are a 400,
never a 500.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import logging
import os
import re
from pathlib import Path
from typing import Any

import msgspec
from aiohttp import web

from alephtx.core.config.resources import sample_capture
from alephtx.core.errors import FieldError
from alephtx.core.logs import setup_logging
from alephtx.core.model import Instrument, OrderRequest, OrderType, Side, TimeInForce, to_fixed
from alephtx.core.model.accounting import CASH_PRECISION
from alephtx.core.replay.driver import play
from alephtx.core.replay.tape import Tape
from alephtx.core.venues.base import VenueRejected
from alephtx.core.venues.paper.venue import PaperVenue

log = logging.getLogger("alephtx.paper.server")
ENC = msgspec.json.Encoder()
BTCUSDT = Instrument.from_strings("paper", "BTCUSDT", "perp", "0.10", "0.001", "5")
INT64_MAX = 2**63 - 1
MAX_BODY = 64 * 1024
DECIMAL = re.compile(r"[0-9]{1,40}(\.[0-9]{1,40})?")  # fullmatch, ASCII digits only
CLIENT_ID = re.compile(r"[A-Za-z0-9]{1,32}")
ORIGIN = re.compile(r"[!-~]{1,80}")  # printable ASCII
STOP_TYPES = (OrderType.STOP_MARKET.value, OrderType.STOP_LIMIT.value)


def _json(obj: Any, status: int = 200) -> web.Response:
    return web.Response(body=ENC.encode(obj), status=status, content_type="application/json")


def _error(code: str, message: str, status: int = 400, param: str = "") -> web.Response:
    body = {"code": code, "message": message}
    if param:
        body["param"] = param
    return _json(body, status)


def _shown(value: object, limit: int = 60) -> str:
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}... (+{len(value) - limit} chars)"
    text = repr(value)
    return text if len(text) <= limit + 2 else text[:limit] + "..."


class ParamError(Exception):
    """A refused request parameter: a venue's error code, the parameter and the rule it broke."""

    def __init__(self, code: str, param: str, value: object, rule: str, status: int = 400) -> None:
        self.code = code
        self.param = param
        self.status = status
        self.message = f"{param}: {rule} (got {_shown(value)})"
        super().__init__(self.message)

    def response(self) -> web.Response:
        return _error(self.code, self.message, self.status, self.param)


def _text(obj: dict[str, Any], name: str, default: str | None = None) -> str:
    if name not in obj or obj[name] is None:
        if default is None:
            raise ParamError("MISSING_PARAMETER", name, None, "is required")
        return default
    value = obj[name]
    if not isinstance(value, str):
        raise ParamError("BAD_PARAMETER", name, value, "must be a string")
    return value


def _choice(obj: dict[str, Any], name: str, values: list[str], default: str | None = None) -> str:
    value = _text(obj, name, default)
    if value not in values:
        raise ParamError("BAD_PARAMETER", name, value, "must be one of " + ", ".join(values))
    return value


def _amount(obj: dict[str, Any], name: str, precision: int) -> int | None:
    """An amount in the smallest unit: a JSON integer as it is, a decimal string scaled; None if absent."""
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ParamError(
            "BAD_PARAMETER", name, value, "must be a decimal string such as '0.010' or an integer of units (no floats)"
        )
    if isinstance(value, str):
        if not DECIMAL.fullmatch(value):
            raise ParamError(
                "BAD_PARAMETER", name, value, "must be a plain decimal string of ASCII digits such as '61659.70'"
            )
        whole, _, frac = value.partition(".")
        if len(frac.rstrip("0")) > precision:
            raise ParamError("BAD_PRECISION", name, value, f"has more than {precision} decimal places")
        raw = int(whole + frac[:precision].ljust(precision, "0"))  # exact: at most 80 ASCII digits
    else:
        raw = value
    if raw > INT64_MAX:
        raise ParamError("BAD_PARAMETER", name, value, "is beyond the venue's range (a 64-bit integer of units)")
    return raw


def parse_order(obj: Any, instruments: dict[str, Instrument], max_quantity: str) -> OrderRequest:
    """The order in a request body, checked as a venue checks it (``ParamError`` otherwise)."""
    if not isinstance(obj, dict):
        raise ParamError("BAD_JSON", "body", type(obj).__name__, "must be a JSON object")
    key = _text(obj, "instrument")
    inst = instruments.get(key)
    if inst is None:
        raise ParamError("UNKNOWN_INSTRUMENT", "instrument", key, f"is not listed here ({', '.join(instruments)})")
    side = _choice(obj, "side", [s.value for s in Side])
    type_ = _choice(obj, "type", [t.value for t in OrderType])
    if type_ in STOP_TYPES:
        raise ParamError("UNSUPPORTED_ORDER_TYPE", "type", type_, "the paper venue takes market and limit orders")
    tif = _choice(obj, "tif", [t.value for t in TimeInForce], TimeInForce.GTC.value)
    if type_ == OrderType.MARKET and tif == TimeInForce.POST_ONLY:
        raise ParamError("BAD_PARAMETER", "tif", tif, "post_only needs a limit order")
    reduce_only = obj.get("reduce_only", False)
    if not isinstance(reduce_only, bool):
        raise ParamError("BAD_PARAMETER", "reduce_only", reduce_only, "must be true or false")
    cid = _text(obj, "client_id")
    if not CLIENT_ID.fullmatch(cid):
        raise ParamError("BAD_CLIENT_ID", "client_id", cid, "must be 1 to 32 ASCII letters or digits")
    origin = _text(obj, "origin", "operator")
    if not ORIGIN.fullmatch(origin):
        raise ParamError("BAD_PARAMETER", "origin", origin, "must be 1 to 80 printable ASCII characters")

    qty = _amount(obj, "quantity", inst.size_precision)
    if qty is None:
        raise ParamError("MISSING_PARAMETER", "quantity", None, "is required")
    if qty <= 0:
        raise ParamError("BAD_PARAMETER", "quantity", obj["quantity"], "must be greater than zero")
    if qty % inst.lot:
        raise ParamError(
            "BAD_PRECISION", "quantity", obj["quantity"], f"must be a multiple of the lot size {inst.lot_size}"
        )
    max_qty = to_fixed(max_quantity, inst.size_precision, "max_quantity")
    if qty > max_qty:
        raise ParamError("MAX_QUANTITY", "quantity", obj["quantity"], f"must be at most {max_quantity}")

    trigger = _amount(obj, "trigger_price", inst.price_precision)
    if trigger:
        raise ParamError("BAD_PARAMETER", "trigger_price", obj["trigger_price"], "must be absent: no stop orders here")
    price = _amount(obj, "price", inst.price_precision)
    if type_ == OrderType.MARKET:
        if price:
            raise ParamError("BAD_PARAMETER", "price", obj["price"], "must be absent (or 0) for a market order")
        price = 0
    else:
        if price is None:
            raise ParamError("MISSING_PARAMETER", "price", None, f"is required for a {type_} order")
        if price <= 0:
            raise ParamError("BAD_PARAMETER", "price", obj["price"], "must be greater than zero")
        if price % inst.tick:
            raise ParamError(
                "BAD_PRECISION", "price", obj["price"], f"must be a multiple of the tick size {inst.tick_size}"
            )
        if price * qty > INT64_MAX:
            raise ParamError(
                "BAD_PARAMETER", "quantity", obj["quantity"], "price × quantity is beyond the venue's range"
            )
        if inst.min_notional and price * qty < inst.min_notional:
            raise ParamError(
                "MIN_NOTIONAL",
                "quantity",
                obj["quantity"],
                f"price × quantity is below the minimum {inst.min_notional_str}",
            )
    return OrderRequest(
        inst.key, Side(side), OrderType(type_), qty, price, 0, TimeInForce(tif), reduce_only, cid, origin
    )


def _since(request: web.Request, name: str) -> int:
    text = request.query.get(name, "0")
    if len(text) > 19 or not text.isascii() or not text.isdigit() or int(text) > INT64_MAX:
        raise ParamError("BAD_PARAMETER", name, text, "must be an integer from 0 to 2^63-1")
    return int(text)


class PaperVenueServer:
    def __init__(
        self,
        venue: PaperVenue,
        instrument: Instrument,
        capture: Path,
        speed: float = 1.0,
        token: str | None = None,
        max_quantity: str = "1000",
    ) -> None:
        for inst in venue.instruments.values():  # refuse a bad limit at start, not at the first order
            if to_fixed(max_quantity, inst.size_precision, "max_quantity") < inst.lot:
                raise FieldError("max_quantity", max_quantity, f"must be at least the lot size {inst.lot_size}")
        self.venue = venue
        self.instrument = instrument
        self.capture = capture
        self.speed = speed
        self.token = token
        self.max_quantity = max_quantity
        self.running = asyncio.Event()
        self.running.set()
        self.market_done = False
        self.app = web.Application(middlewares=[self._errors, self._auth], client_max_size=MAX_BODY)
        r = self.app.router
        r.add_post("/v1/orders", self.place)
        r.add_get("/v1/orders", self.open_orders)
        r.add_get("/v1/orders/{client_id}", self.get_order)
        r.add_delete("/v1/orders/{client_id}", self.cancel)
        r.add_get("/v1/fills", self.fills)
        r.add_get("/v1/reports", self.reports)
        r.add_get("/v1/positions", self.positions)
        r.add_get("/v1/balances", self.balances)
        r.add_get("/v1/ticker", self.ticker)
        r.add_get("/v1/all_orders", self.all_orders)
        r.add_post("/v1/market/pause", self.pause)
        r.add_post("/v1/market/resume", self.resume)
        self.app.on_startup.append(self._start_market)
        self.app.on_cleanup.append(self._stop_market)

    @web.middleware
    async def _errors(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Every answer is JSON: refusals with their code, HTTP errors too, and a bug is a 500
        whose details stay in this log."""
        try:
            resp: web.StreamResponse = await handler(request)
            return resp
        except ParamError as exc:
            return exc.response()
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "BODY_TOO_LARGE"}.get(exc.status, "BAD_REQUEST")
            msg = (
                f"body: larger than {MAX_BODY} bytes"
                if exc.status == 413
                else f"{request.method} {request.path}: {exc.reason}"
            )
            return _error(code, msg[:200], exc.status)
        except Exception:
            log.exception("paper venue: %s %s failed", request.method, request.path)
            return _error("INTERNAL", "internal error; the venue's log has the details", 500)

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.token:
            got = request.headers.get("Authorization", "")
            if not hmac.compare_digest(got.encode(), f"Bearer {self.token}".encode()):
                return _error("UNAUTHORIZED", "a valid bearer token is required", 401)
        resp: web.StreamResponse = await handler(request)
        return resp

    # -- market -----------------------------------------------------------------------------------

    async def _start_market(self, app: web.Application) -> None:
        self._task = asyncio.create_task(self._drive())

    async def _stop_market(self, app: web.Application) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _drive(self) -> None:
        """Replay the capture in market time scaled by ``speed`` (pausable for consistent reads)."""
        tape = Tape.cached(self.capture, self.instrument)
        async for _ in play(tape, self.venue, self.instrument.key, speed=self.speed, running=self.running):
            # Nothing to do per event: the service has no stream to publish (clients ask its REST
            # endpoints), and play() has already applied the event to the venue and its books.
            pass
        self.market_done = True
        log.info("paper venue: the capture ended; the market is now still")

    async def pause(self, request: web.Request) -> web.Response:
        self.running.clear()
        return _json({"paused": True})

    async def resume(self, request: web.Request) -> web.Response:
        self.running.set()
        return _json({"paused": False})

    # -- REST ---------------------------------------------------------------------------------------

    async def place(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            obj = msgspec.json.decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
            raise ParamError("BAD_JSON", "body", body[:40], f"must be a JSON object ({str(exc)[:80]})") from None
        req = parse_order(obj, self.venue.instruments, self.max_quantity)
        try:
            o = await self.venue.place_order(req)
        except VenueRejected as exc:
            return _error(exc.code, exc.message)
        return _json(o)

    async def cancel(self, request: web.Request) -> web.Response:
        try:
            o = await self.venue.cancel_order(request.query.get("instrument", ""), request.match_info["client_id"])
        except VenueRejected as exc:
            return _error(exc.code, exc.message, 404 if exc.code == "UNKNOWN_ORDER" else 400)
        return _json(o)

    async def get_order(self, request: web.Request) -> web.Response:
        o = await self.venue.get_order("", request.match_info["client_id"])
        return _json(o) if o is not None else _error("UNKNOWN_ORDER", "no such order", 404)

    async def open_orders(self, request: web.Request) -> web.Response:
        return _json(await self.venue.get_open_orders())

    async def all_orders(self, request: web.Request) -> web.Response:
        return _json(list(self.venue.orders.values()))

    async def fills(self, request: web.Request) -> web.Response:
        return _json(await self.venue.get_fills(_since(request, "since_ns")))

    async def reports(self, request: web.Request) -> web.Response:
        return _json(await self.venue.get_reports(_since(request, "since")))

    async def positions(self, request: web.Request) -> web.Response:
        return _json(await self.venue.get_positions())

    async def balances(self, request: web.Request) -> web.Response:
        return _json(await self.venue.get_balances())

    async def ticker(self, request: web.Request) -> web.Response:
        book = self.venue.books[self.instrument.key]
        return _json({"bid": book.best_bid_price(), "ask": book.best_ask_price(), "mid_x2": book.mid_x2() or 0})


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="AlephTX paper venue over HTTP")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8300)
    ap.add_argument("--capture", type=Path, default=None)
    ap.add_argument("--speed", type=float, default=1.0)
    ap.add_argument("--cash", default="100000", help="starting cash in USDT")
    ap.add_argument("--latency-ms", type=float, default=0.0)
    ap.add_argument("--max-quantity", default="1000", help="the largest order quantity, in base units")
    a = ap.parse_args(argv)
    token = os.environ.get("ALEPH_PAPER_TOKEN")
    if a.host not in ("127.0.0.1", "localhost", "::1") and not token:
        raise SystemExit("paper venue: --host other than loopback needs ALEPH_PAPER_TOKEN set")
    venue = PaperVenue([BTCUSDT], cash=int(a.cash) * 10**CASH_PRECISION, latency_ns=int(a.latency_ms * 1e6))
    try:
        server = PaperVenueServer(venue, BTCUSDT, a.capture or sample_capture(), a.speed, token, a.max_quantity)
    except FieldError as exc:
        raise SystemExit(f"paper venue: --max-quantity {exc}") from None
    setup_logging("INFO")  # with the secret filter (its token never reaches a log)
    web.run_app(server.app, host=a.host, port=a.port, print=None)


if __name__ == "__main__":
    main()
