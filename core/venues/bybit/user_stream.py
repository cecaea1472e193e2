"""Bybit's private WebSocket, ``order`` and ``execution`` topics (see ``core/venues/user_stream.py``).

``{"op": "auth", "args": [key, expires, signature]}`` with the signature a hex HMAC-SHA256 over
``"GET/realtime" + expires`` (ms), then the topics. ``{"op": "ping"}`` keeps the socket.

Bybit's dead-man's switch (disconnection protection, DCP) lives on this socket: once the adapter
has set a window (``POST /v5/order/disconnected-cancel-all``), the stream subscribes
``dcp.future``, and when every connection subscribed to it has been dead for the window the venue
cancels the account's orders. The ping keeps it alive: at least three per window.
"""

from __future__ import annotations

import json
import time
from typing import Any

import aiohttp

from alephtx.core.model import OrderStatus
from alephtx.core.signers import HmacSigner
from alephtx.core.venues.credentials import Credentials
from alephtx.core.venues.user_stream import UserStream, expect

DONE = {"Cancelled": OrderStatus.CANCELLED, "Deactivated": OrderStatus.CANCELLED, "Rejected": OrderStatus.REJECTED}
DCP_TOPIC = "dcp.future"


class BybitUserStream(UserStream):
    answers_pings = True

    def __init__(self, adapter: Any, ws_url: str, credentials: Credentials) -> None:
        super().__init__(adapter, ws_url)
        self._creds = credentials
        self.dcp_subscribed = False

    @property
    def ping_every(self) -> float:
        window = float(getattr(self.adapter, "dcp_window_s", 0) or 0)
        return min(self.ping_s, window / 3) if window else self.ping_s

    async def open(self, session: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
        ws = await session.ws_connect(f"{self.ws_url}/v5/private", heartbeat=None)
        expires = int(time.time() * 1000) + 10_000
        sig = HmacSigner(self._creds.secret).sign(f"GET/realtime{expires}")
        await ws.send_str(json.dumps({"op": "auth", "args": [self._creds.api_key, expires, sig]}))
        await expect(ws, self.name, lambda m: _answer(m, "auth"), self.backlog)
        self.dcp_subscribed = False
        await self._subscribe(ws, ["order", "execution"])
        await self.ping(ws)  # subscribes dcp when the switch is armed
        return ws

    async def _subscribe(self, ws: aiohttp.ClientWebSocketResponse, topics: list[str]) -> None:
        await ws.send_str(json.dumps({"op": "subscribe", "args": topics}))
        await expect(ws, self.name, lambda m: _answer(m, "subscribe"), self.backlog)

    async def ping(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        armed = bool(getattr(self.adapter, "dcp_window_s", 0))
        if armed != self.dcp_subscribed:  # the adapter armed (or disarmed) the switch meanwhile
            op = "subscribe" if armed else "unsubscribe"
            await ws.send_str(json.dumps({"op": op, "args": [DCP_TOPIC]}))
            self.dcp_subscribed = armed
        await ws.send_str('{"op":"ping"}')

    def handle(self, message: Any) -> bool:
        topic, changed = message.get("topic"), False
        if topic == "execution":
            for row in message["data"]:
                if row.get("execType", "Trade") == "Trade" and row.get("symbol") in self.adapter.by_symbol:
                    changed |= self.adapter.ingest_fill(self.adapter.parse_fill(row))
        elif topic == "order":
            for row in message["data"]:
                status = DONE.get(row.get("orderStatus", ""))
                if status is not None and row.get("orderLinkId"):
                    changed |= self.adapter.ingest_done(row["orderLinkId"], status)
        return bool(changed)


def _answer(message: Any, op: str) -> str | None:
    if message.get("op") != op:
        return None
    return "" if message.get("success") else str(message.get("ret_msg") or "refused")[:60]
