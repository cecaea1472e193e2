"""A venue's user-data stream: execution reports pushed, not polled.

What every venue's private stream shares: open a socket (and log in, subscribe), keep it alive,
hand each message to the venue's parser, and when it drops open a new one with back-off, asking
the node to catch up first (what happened meanwhile was never pushed). Each venue folder's
``user_stream.py`` states what differs: how it opens (``open``), how it keeps alive (``ping`` on
the socket, ``keep_alive`` beside it) and what a message means (``handle``).

Pushed reports go where polling puts them (the adapter's ``ingest_fill`` / ``ingest_done``): a
fill seen both ways (same trade id) is reported once, and polling stays the fallback and the
reconciler.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

log = logging.getLogger("alephtx.venues.user")


class StreamRefused(ConnectionError):
    """The venue refused the stream (its login, its key): ``code`` is the venue's."""

    def __init__(self, venue: str, code: str, message: str) -> None:
        self.code = code
        super().__init__(f"{venue} user stream refused: {code}: {message[:160]}")


class Reopen(Exception):
    """Raised by ``handle``: the venue asked for a new connection (an expired key)."""


class UserStream(abc.ABC):
    # How often ``ping`` runs while connected (venues drop a private socket silent for longer).
    ping_s: float = 15.0
    # The venue answers each ping: a socket that says nothing for three pings is dead though
    # open (a half-open TCP connection), and is replaced. False: the venue sends nothing to wait for.
    answers_pings: bool = False

    def __init__(self, adapter: Any, ws_url: str) -> None:
        self.adapter = adapter
        self.ws_url = ws_url.rstrip("/")
        self.events = 0  # messages that carried reports (a fill or an order update)
        self.connects = 0
        self.connected = False
        self.last_error = ""
        # Messages read while logging in or subscribing, handled first once the stream runs.
        self.backlog: list[Any] = []

    @property
    def ping_every(self) -> float:
        return self.ping_s

    @property
    def name(self) -> str:
        return str(getattr(self.adapter, "name", "venue"))

    # -- what a venue states --------------------------------------------------------------------

    @abc.abstractmethod
    async def open(self, session: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
        """A connected, logged-in, subscribed socket. Raises StreamRefused when the venue says no."""

    @abc.abstractmethod
    def handle(self, message: Any) -> bool:
        """One decoded message into the adapter's reports; True when it made a new one. Raises
        ``Reopen`` when the venue asks for a new connection; KeyError/ValueError/TypeError on a
        malformed report (it is dropped and logged; polling finds it)."""

    async def ping(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """The venue's application-level heartbeat, every ``ping_s`` while connected."""
        return None

    async def keep_alive(self, session: aiohttp.ClientSession) -> None:
        """Beside the socket while it is open (Binance's listenKey keep-alive). Runs until cancelled."""
        await asyncio.Event().wait()

    def decode(self, text: str) -> Any:
        return json.loads(text)

    # -- the loop, the same for every venue --------------------------------------------------------

    async def run(
        self,
        on_update: Callable[[], Awaitable[None]],
        stop: asyncio.Event,
        on_reconnect: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Until ``stop``: apply each pushed update to the adapter, then ``on_update()``. After a
        reconnect (not the first connection) ``on_reconnect()`` runs first: what happened while
        the stream was down was never pushed, and must be looked up (reconciliation)."""
        backoff = 0.1
        async with aiohttp.ClientSession() as session:
            while not stop.is_set():
                helpers: list[asyncio.Task[None]] = []
                self.backlog.clear()
                try:
                    ws = await self.open(session)
                    async with ws:
                        self.connected, backoff, self.last_error = True, 0.1, ""
                        self.connects += 1
                        if self.connects > 1 and on_reconnect is not None:
                            await on_reconnect()
                        helpers = [
                            asyncio.create_task(self.keep_alive(session)),
                            asyncio.create_task(self._pinging(ws)),
                        ]
                        await self._receive(ws, on_update, stop)
                except (aiohttp.ClientError, OSError, ConnectionError, ValueError, TimeoutError) as exc:
                    self.last_error = str(exc)[:200]
                    log.warning("%s user stream: %s", self.name, self.last_error)
                finally:
                    self.connected = False
                    for t in helpers:
                        t.cancel()
                if stop.is_set():
                    break
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _pinging(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        while not ws.closed:
            await asyncio.sleep(self.ping_every)
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.ping(ws)

    async def _receive(
        self, ws: aiohttp.ClientWebSocketResponse, on_update: Callable[[], Awaitable[None]], stop: asyncio.Event
    ) -> None:
        heard = time.monotonic()
        while not stop.is_set():
            if self.backlog:
                message = self.backlog.pop(0)
            else:
                try:
                    msg = await ws.receive(timeout=0.25)
                except TimeoutError:
                    silent = time.monotonic() - heard
                    if self.answers_pings and silent > 3 * self.ping_every:
                        log.warning("%s user stream: silent for %.0f s; connecting again", self.name, silent)
                        return
                    continue
                if msg.type != aiohttp.WSMsgType.TEXT:
                    return  # closed: a new connection
                heard = time.monotonic()
                try:
                    message = self.decode(msg.data)
                except ValueError:
                    if msg.data != "pong":
                        log.warning("%s user stream: a malformed message was dropped", self.name)
                    continue
            try:
                changed = self.handle(message)
            except Reopen as why:
                log.info("%s user stream: %s; connecting again", self.name, why)
                return
            except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:
                log.warning("%s user stream: a report was dropped (%s: %s)", self.name, type(exc).__name__, exc)
                continue
            if changed:
                self.events += 1
                await on_update()


async def expect(
    ws: aiohttp.ClientWebSocketResponse, venue: str, accept: Callable[[Any], str | None], backlog: list[Any]
) -> None:
    """Read answers until ``accept(message)`` says "" (accepted) or an error code (refused: raises
    StreamRefused with it); None passes the message to ``backlog`` (a report pushed before the
    answer is handled once the stream runs). Used for logins and subscriptions."""
    while True:
        msg = await ws.receive(timeout=10)
        if msg.type != aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"{venue} user stream closed while logging in")
        try:
            message = json.loads(msg.data)
        except ValueError:
            continue
        verdict = accept(message)
        if verdict is None:
            backlog.append(message)
            continue
        if verdict:
            raise StreamRefused(venue, verdict, str(message.get("msg") or message.get("ret_msg") or message))
        return
