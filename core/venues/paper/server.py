"""The paper venue as a service: REST over HTTP on loopback, with its own market replay.

Run it as a separate process when the engine must be testable against a venue that outlives it
(the crash test kills the engine, never the venue):

    python -m alephtx.core.venues.paper.server --port 8300 [--capture FILE] [--speed 1.0]

Binds 127.0.0.1 by default. Bound to any other address it requires a bearer token
(ALEPH_PAPER_TOKEN), and refuses to start without one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import logging
import os
from pathlib import Path
from typing import Any

import msgspec
from aiohttp import web

from alephtx.core.model import Instrument, OrderRequest
from alephtx.core.replay.market import replay_into_venue
from alephtx.core.replay.samples import sample_capture
from alephtx.core.state.accounting import CASH_PRECISION
from alephtx.core.venues.base import VenueRejected
from alephtx.core.venues.paper.venue import PaperVenue

log = logging.getLogger("alephtx.paper.server")
ENC = msgspec.json.Encoder()
REQ = msgspec.json.Decoder(OrderRequest)
BTCUSDT = Instrument.from_strings("paper", "BTCUSDT", "perp", "0.10", "0.001", "5")


def _json(obj: Any, status: int = 200) -> web.Response:
    return web.Response(body=ENC.encode(obj), status=status, content_type="application/json")


def _error(code: str, message: str, status: int = 400) -> web.Response:
    return _json({"code": code, "message": message}, status)


class PaperVenueServer:
    def __init__(
        self, venue: PaperVenue, instrument: Instrument, capture: Path, speed: float = 1.0, token: str | None = None
    ) -> None:
        self.venue = venue
        self.instrument = instrument
        self.capture = capture
        self.speed = speed
        self.token = token
        self.running = asyncio.Event()
        self.running.set()
        self.market_done = False
        self.app = web.Application(middlewares=[self._auth])
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
        loop = asyncio.get_running_loop()
        t0_wall = loop.time()
        t0_mkt: int | None = None
        paused_for = 0.0
        async for ev in replay_into_venue(self.capture, self.instrument, self.venue):
            if not self.running.is_set():
                p0 = loop.time()
                await self.running.wait()
                paused_for += loop.time() - p0
            if t0_mkt is None:
                t0_mkt = ev.exch_ns
            due = t0_wall + paused_for + (ev.exch_ns - t0_mkt) / 1e9 / self.speed
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
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
        try:
            req = REQ.decode(await request.read())
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return _error("BAD_REQUEST", f"order: {exc}")
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
        return _json(await self.venue.get_fills(int(request.query.get("since_ns", "0"))))

    async def reports(self, request: web.Request) -> web.Response:
        return _json(await self.venue.get_reports(int(request.query.get("since", "0"))))

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
    a = ap.parse_args(argv)
    token = os.environ.get("ALEPH_PAPER_TOKEN")
    if a.host not in ("127.0.0.1", "localhost", "::1") and not token:
        raise SystemExit("paper venue: --host other than loopback needs ALEPH_PAPER_TOKEN set")
    venue = PaperVenue([BTCUSDT], cash=int(a.cash) * 10**CASH_PRECISION, latency_ns=int(a.latency_ms * 1e6))
    server = PaperVenueServer(venue, BTCUSDT, a.capture or sample_capture(), a.speed, token)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    web.run_app(server.app, host=a.host, port=a.port, print=None)


if __name__ == "__main__":
    main()
