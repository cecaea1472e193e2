"""Binance USD-M's user-data stream: execution reports pushed, not polled.

A listenKey from ``POST /fapi/v1/listenKey`` (the API key alone), a WebSocket on
``<ws>/ws/<listenKey>``, a keep-alive (``PUT``) every 30 minutes, a new key when the venue says
``listenKeyExpired`` or the socket drops. Each ``ORDER_TRADE_UPDATE`` becomes the adapter's own
report (``ingest_fill`` / ``ingest_done``), where polling puts them too: a fill seen both ways
(same trade id) is reported once, and polling stays the fallback and the reconciler.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import msgspec

from alephtx.core.model import OrderStatus

log = logging.getLogger("alephtx.venues.binance.user")

DONE = {"CANCELED": OrderStatus.CANCELLED, "EXPIRED": OrderStatus.EXPIRED, "REJECTED": OrderStatus.REJECTED}


class BinanceUserStream:
    def __init__(self, adapter: Any, rest_url: str, ws_url: str, api_key: str, keepalive_s: float = 1800.0) -> None:
        self.adapter = adapter
        self.rest_url = rest_url.rstrip("/")
        self.ws_url = ws_url.rstrip("/")
        self._headers = {"X-MBX-APIKEY": api_key}
        self.keepalive_s = keepalive_s
        self.keys = 0  # listenKeys taken (a renewal after expiry counts)
        self.events = 0
        self.connected = False

    async def _new_key(self, session: aiohttp.ClientSession) -> str:
        async with session.post(f"{self.rest_url}/fapi/v1/listenKey", headers=self._headers) as resp:
            body = await resp.json(content_type=None)
        if resp.status != 200 or "listenKey" not in body:
            raise ConnectionError(f"listenKey: HTTP {resp.status} {str(body.get('code', ''))[:10]}")
        self.keys += 1
        return str(body["listenKey"])

    async def _keep_alive(self, session: aiohttp.ClientSession) -> None:
        while True:
            await asyncio.sleep(self.keepalive_s)
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with session.put(f"{self.rest_url}/fapi/v1/listenKey", headers=self._headers) as resp:
                    await resp.read()

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
        connections = 0
        async with aiohttp.ClientSession() as session:
            while not stop.is_set():
                keeper: asyncio.Task[None] | None = None
                try:
                    key = await self._new_key(session)
                    async with session.ws_connect(f"{self.ws_url}/ws/{key}", heartbeat=None) as ws:
                        self.connected, backoff = True, 0.1
                        connections += 1
                        if connections > 1 and on_reconnect is not None:
                            await on_reconnect()
                        keeper = asyncio.create_task(self._keep_alive(session))
                        await self._receive(ws, on_update, stop)
                except (aiohttp.ClientError, OSError, ConnectionError, ValueError) as exc:
                    log.warning("%s user stream: %s", self.adapter.name, exc)
                finally:
                    self.connected = False
                    if keeper is not None:
                        keeper.cancel()
                if stop.is_set():
                    break
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _receive(
        self, ws: aiohttp.ClientWebSocketResponse, on_update: Callable[[], Awaitable[None]], stop: asyncio.Event
    ) -> None:
        while not stop.is_set():
            try:
                msg = await ws.receive(timeout=0.25)
            except TimeoutError:
                continue
            if msg.type != aiohttp.WSMsgType.TEXT:
                return  # closed: a new key and a new socket
            try:
                event = json.loads(msg.data)
                kind = event.get("e")
            except (ValueError, AttributeError):
                log.warning("%s user stream: a malformed message was dropped", self.adapter.name)
                continue
            if kind == "listenKeyExpired":
                log.info("%s user stream: listenKey expired; taking a new one", self.adapter.name)
                return
            if kind == "ORDER_TRADE_UPDATE":
                try:
                    changed = self.apply(event["o"])
                except (KeyError, ValueError, TypeError) as exc:
                    log.warning("%s user stream: an order update was dropped (%s)", self.adapter.name, exc)
                    continue
                self.events += 1
                if changed:
                    await on_update()

    def apply(self, o: dict[str, Any]) -> bool:
        """One order update into the adapter's reports; True when it made a new one."""
        x = o["x"]
        if x == "TRADE":
            row = {
                "symbol": o["s"], "orderId": o["i"], "id": o["t"], "side": o["S"], "price": o["L"],
                "qty": o["l"], "commission": o["n"], "maker": o["m"], "time": o["T"],
            }  # fmt: skip
            fill = msgspec.structs.replace(self.adapter.parse_fill(row), client_id=str(o["c"]))
            return bool(self.adapter.ingest_fill(fill))
        status = DONE.get(x)
        return bool(status is not None and self.adapter.ingest_done(str(o["c"]), status))
