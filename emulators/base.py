"""What every loopback venue emulator shares: a paper venue as the exchange, a replay of recorded
real data as its market, WebSocket fan-out, request weight accounting and fault injection.

Each venue's emulator (binance.py, okx.py, …) adds its real paths, field names, signature checks
and error codes on top. They bind 127.0.0.1 and exist so that adapters can be tested end to end
with the real ccxt client and our own WebSocket code, since the real venues cannot be reached, and
so that people can try the platform without keys (``aleph emulator VENUE``). They sit above core:
core never imports them.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from alephtx.core.config.resources import sample_capture
from alephtx.core.model import Instrument
from alephtx.core.model.accounting import CASH_PRECISION
from alephtx.core.replay.driver import TapeEvent, play
from alephtx.core.replay.tape import Tape
from alephtx.core.venues.paper.venue import PaperVenue

log = logging.getLogger("alephtx.emulator")


@dataclass
class Faults:
    """Fault injection; each counter is consumed by the next matching request or message."""

    rate_limit_next: int = 0  # answer 429 with Retry-After
    retry_after_s: float = 0.2
    ban_next: int = 0  # answer 418 (IP ban)
    server_error_next: int = 0  # answer 503
    slow_next: int = 0  # delay the answer by slow_s
    slow_s: float = 0.0
    place_timeout_next: int = 0  # accept an order, then answer only after timeout_s
    timeout_s: float = 3.0
    drop_ws_next: int = 0  # close the next WebSocket after a few messages
    gap_next: int = 0  # skip one depth message in the stream (a sequence gap)
    silence_ws: bool = False  # keep the WebSocket open but send nothing
    clock_skew_ms: int = 0  # the venue's clock runs ahead by this much (timestamp window checks)


@dataclass
class Account:
    api_key: str
    secret: str
    passphrase: str = ""


class Emulator(abc.ABC):
    """Subclasses set ``name``, register routes in ``routes()`` and format stream messages."""

    name = "emulator"
    # Weight allowed per window; the emulator answers 429 beyond it, as the venue would.
    weight_limit = 1200
    weight_window_s = 60.0

    def __init__(
        self,
        instrument: Instrument,
        account: Account,
        capture: Path | None = None,
        speed: float = 1.0,
        cash: int = 100_000,
    ) -> None:
        self.instrument = instrument
        self.account = account
        self.capture = capture or sample_capture()
        self.speed = speed
        self.venue = PaperVenue([instrument], name=self.name, cash=cash * 10**CASH_PRECISION)
        self.faults = Faults()
        self.requests: list[list[Any]] = []  # [method, path, status], logged on arrival (status 0 until answered)
        self.weight_used: list[tuple[float, int]] = []
        self.rejected_429 = 0
        self.sockets: set[web.WebSocketResponse] = set()
        self.synced = asyncio.Event()
        self.running = asyncio.Event()  # cleared: the market stands still (consistent reads in tests)
        self.running.set()
        self.market_done = asyncio.Event()
        self.app = web.Application(middlewares=[self._faults_and_weight])
        self.routes(self.app.router)
        self._runner: web.AppRunner | None = None
        self._task: asyncio.Task[None] | None = None
        self._switch: asyncio.Task[None] | None = None
        self.countdown_until: float | None = None  # the dead-man's switch's deadline (monotonic)
        self.countdown_fired = 0
        self.pushed = 0  # the venue's reports already sent on the user-data streams
        self._pusher: asyncio.Task[None] | None = None
        self.refuse_user_streams = False  # a fault: logins (listenKeys) to the user stream refused
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server: Any = site._server
        self.port = server.sockets[0].getsockname()[1]
        self._task = asyncio.create_task(self._drive())
        self._switch = asyncio.create_task(self._watch_countdown())
        self._pusher = asyncio.create_task(self._push_reports())
        return self.url

    @property
    def market(self) -> asyncio.Task[None] | None:
        """The replay driving the market (done when the capture has been played, or has failed)."""
        return self._task

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        for task in (self._switch, self._pusher):
            if task is not None:
                task.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for ws in list(self.sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- the dead-man's switch ----------------------------------------------------------------------

    def arm_countdown(self, seconds: float) -> None:
        """Cancel every open order unless armed again within ``seconds`` (0 disarms): what
        Binance's countdownCancelAll and OKX's cancel-all-after do."""
        self.countdown_until = time.monotonic() + seconds if seconds > 0 else None

    async def _watch_countdown(self) -> None:
        while True:
            await asyncio.sleep(0.02)
            if self.countdown_until is None or time.monotonic() < self.countdown_until:
                continue
            self.countdown_until = None
            self.countdown_fired += 1
            for o in await self.venue.get_open_orders():
                await self.venue.cancel_order(o.instrument, o.client_id)

    # -- the user-data stream -------------------------------------------------------------------------

    async def _push_reports(self) -> None:
        """The venue's execution reports, as they happen, on every socket subscribed to "user"."""
        while True:
            await asyncio.sleep(0.02)
            reports = self.venue.reports[self.pushed :]
            self.pushed += len(reports)
            for r in reports:
                for msg in self.user_messages(r):
                    await self.broadcast(msg, "user")

    def user_messages(self, report: Any) -> list[str]:
        """One report of the paper venue as the venue's own user-stream messages."""
        return []

    async def drop_user_streams(self) -> int:
        """Close every user-data socket (a fault for tests: the stream dies); returns how many."""
        dropped = [ws for ws in list(self.sockets) if "user" in getattr(ws, "_aleph_kinds", ())]
        for ws in dropped:
            self.sockets.discard(ws)
            await ws.close()
        return len(dropped)

    async def drop_market_streams(self) -> int:
        """Close every public market-data socket (a fault for tests: depth and trades die)."""
        kinds = {"depth", "trade"}
        dropped = [ws for ws in list(self.sockets) if kinds & set(getattr(ws, "_aleph_kinds", ()))]
        for ws in dropped:
            self.sockets.discard(ws)
            await ws.close()
        return len(dropped)

    def user_stream_count(self) -> int:
        return sum(1 for ws in self.sockets if "user" in getattr(ws, "_aleph_kinds", ()) and not ws.closed)

    # -- market ----------------------------------------------------------------------------------

    async def _drive(self) -> None:
        tape = Tape.cached(self.capture, self.instrument)
        book = self.venue.books[self.instrument.key]
        async for ev in play(tape, self.venue, self.instrument.key, speed=self.speed, running=self.running):
            if not self.synced.is_set():
                if not book.mid_x2():
                    continue  # trades arrive before the first snapshot: no market yet
                self.synced.set()
            msg: str | None = None
            if ev.is_depth:
                msg, kind = self.depth_message(ev), "depth"
                if self.faults.gap_next:  # built (the venue's sequence moves on), then lost
                    self.faults.gap_next -= 1
                    continue
            elif ev.is_trade:
                msg, kind = self.trade_message(ev), "trade"
            if msg is not None and not self.faults.silence_ws:
                await self.broadcast(msg, kind)
        self.market_done.set()

    def depth_message(self, ev: TapeEvent) -> str | None:
        return None

    def trade_message(self, ev: TapeEvent) -> str | None:
        return None

    async def broadcast(self, msg: str, kind: str) -> None:
        """Send to every socket subscribed to ``kind`` ("depth" or "trade")."""
        for ws in list(self.sockets):
            if ws.closed:
                self.sockets.discard(ws)
                continue
            if kind not in getattr(ws, "_aleph_kinds", ()):
                continue
            try:
                await ws.send_str(msg)
            except (ConnectionError, RuntimeError):
                self.sockets.discard(ws)
                continue
            drops = getattr(ws, "_aleph_drop_after", None)
            if drops is not None:
                ws._aleph_drop_after = drops - 1  # type: ignore[attr-defined]
                if drops <= 1:
                    self.sockets.discard(ws)
                    await ws.close()

    async def websocket(
        self, request: web.Request, on_open: Callable[[web.WebSocketResponse], Awaitable[None]] | None = None
    ) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        if self.faults.drop_ws_next:
            self.faults.drop_ws_next -= 1
            ws._aleph_drop_after = 5  # type: ignore[attr-defined]
        if on_open is not None:
            await on_open(ws)
        self.sockets.add(ws)
        async for m in ws:
            if m.type == WSMsgType.TEXT:
                await self.on_ws_text(ws, m.data)
            elif m.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                break
        self.sockets.discard(ws)
        return ws

    async def on_ws_text(self, ws: web.WebSocketResponse, text: str) -> None:
        return None

    # -- book views --------------------------------------------------------------------------------

    def levels(self, depth: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        bids, asks = self.venue.books[self.instrument.key].depth(depth)
        fp, fs = self.instrument.format_price, self.instrument.format_size
        return [(fp(p), fs(q)) for p, q in bids], [(fp(p), fs(q)) for p, q in asks]

    # -- middleware: faults and request weight -------------------------------------------------------

    def weight_of(self, request: web.Request) -> int:
        return 1

    def too_many(self, retry_after: float) -> web.Response:
        return web.json_response(
            {"code": 429, "msg": "Too many requests"},
            status=429,
            headers={"Retry-After": str(max(1, round(retry_after)))},
        )

    @web.middleware
    async def _faults_and_weight(self, request: web.Request, handler: Any) -> web.StreamResponse:
        f = self.faults
        if request.path.endswith(("/ws", "/stream")) or request.headers.get("Upgrade", "").lower() == "websocket":
            resp: web.StreamResponse = await handler(request)
            return resp
        status = 0
        entry: list[Any] = [request.method, request.path, 0]
        self.requests.append(entry)
        try:
            if f.ban_next:
                f.ban_next -= 1
                status = 418
                return web.json_response({"code": -1003, "msg": "Way too many requests; IP banned."}, status=418)
            if f.rate_limit_next:
                f.rate_limit_next -= 1
                status = 429
                self.rejected_429 += 1
                return self.too_many(f.retry_after_s)
            if f.server_error_next:
                f.server_error_next -= 1
                status = 503
                # As a load balancer in front of any venue answers: no venue error body.
                return web.Response(status=503, text="503 Service Temporarily Unavailable")
            if f.slow_next:
                f.slow_next -= 1
                await asyncio.sleep(f.slow_s)
            now = time.monotonic()
            self.weight_used = [(t, w) for t, w in self.weight_used if now - t < self.weight_window_s]
            used = sum(w for _, w in self.weight_used) + self.weight_of(request)
            if used > self.weight_limit:
                status = 429
                self.rejected_429 += 1
                return self.too_many(self.weight_window_s - (now - self.weight_used[0][0]))
            self.weight_used.append((now, self.weight_of(request)))
            resp = await handler(request)
            status = resp.status
            return resp
        finally:
            entry[2] = status

    @abc.abstractmethod
    def routes(self, r: web.UrlDispatcher) -> None:
        """Register the venue's real paths."""
