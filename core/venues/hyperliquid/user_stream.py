"""Hyperliquid's user events on its public WebSocket (see ``core/venues/user_stream.py``).

No login: the account's address is public, so ``userFills`` and ``orderUpdates`` are subscribed
by address (``{"method": "subscribe", "subscription": {"type": "userFills", "user": ...}}``). The
first ``userFills`` message is a snapshot (``isSnapshot``) of recent fills: they go through the
same once-only ingest, so what polling already reported is not reported again. ``{"method":
"ping"}`` keeps the socket (the venue closes one silent for a minute).
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import aiohttp

from alephtx.core.model import OrderStatus
from alephtx.core.venues.hyperliquid.parsing import client_id_of
from alephtx.core.venues.user_stream import UserStream, expect

DONE = {
    "canceled": OrderStatus.CANCELLED,
    "marginCanceled": OrderStatus.CANCELLED,
    "reduceOnlyCanceled": OrderStatus.CANCELLED,
    "selfTradeCanceled": OrderStatus.CANCELLED,
    "scheduledCancel": OrderStatus.CANCELLED,
    "rejected": OrderStatus.REJECTED,
}


class HyperliquidUserStream(UserStream):
    ping_s = 20.0
    answers_pings = True

    async def open(self, session: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
        ws = await session.ws_connect(f"{self.ws_url}/ws", heartbeat=None)
        user = self.adapter.address
        for kind in ("orderUpdates", "userFills"):
            await ws.send_str(json.dumps({"method": "subscribe", "subscription": {"type": kind, "user": user}}))
            await expect(ws, self.name, partial(_subscribed, kind=kind), self.backlog)
        return ws

    async def ping(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        await ws.send_str('{"method":"ping"}')

    def handle(self, message: Any) -> bool:
        channel = message.get("channel")
        changed = False
        if channel == "userFills":
            for row in message["data"]["fills"]:
                fill = self.adapter.parse_fill(row)
                changed |= fill is not None and self.adapter.ingest_fill(fill)
        elif channel == "orderUpdates":
            for u in message["data"]:
                status, cloid = DONE.get(u["status"]), u["order"].get("cloid")
                if status is not None and cloid:
                    changed |= self.adapter.ingest_done(client_id_of(cloid), status)
        return bool(changed)


def _subscribed(message: Any, kind: str) -> str | None:
    if message.get("channel") == "error":
        return "subscription"
    if message.get("channel") == "subscriptionResponse":
        return "" if message["data"]["subscription"]["type"] == kind else None
    return None
