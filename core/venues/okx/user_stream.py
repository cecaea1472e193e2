"""OKX's private WebSocket, ``orders`` channel (see ``core/venues/user_stream.py``).

Login with the API key, passphrase and a signature (base64 HMAC-SHA256 over ``timestamp + "GET" +
"/users/self/verify"``, the timestamp in seconds), then ``{"op": "subscribe", "args":
[{"channel": "orders", "instType": "SWAP"}]}``. Each order push carries the order's state and,
for a fill, the trade (``tradeId``, ``fillPx``, ``fillSz``, ``fillFee``). ``"ping"`` keeps the
socket (OKX closes one silent for 30 s).
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

DONE = {"canceled": OrderStatus.CANCELLED, "mmp_canceled": OrderStatus.CANCELLED}


class OkxUserStream(UserStream):
    ping_s = 20.0
    answers_pings = True

    def __init__(self, adapter: Any, ws_url: str, credentials: Credentials, inst_type: str = "SWAP") -> None:
        super().__init__(adapter, ws_url)
        self._creds = credentials
        self.inst_type = inst_type

    async def open(self, session: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
        ws = await session.ws_connect(f"{self.ws_url}/ws/v5/private", heartbeat=None)
        ts = str(int(time.time()))
        sign = HmacSigner(self._creds.secret).sign(ts + "GET/users/self/verify", "base64")
        login = {"apiKey": self._creds.api_key, "passphrase": self._creds.passphrase, "timestamp": ts, "sign": sign}
        await ws.send_str(json.dumps({"op": "login", "args": [login]}))
        await expect(ws, self.name, lambda m: _answer(m, "login"), self.backlog)
        sub = {"op": "subscribe", "args": [{"channel": "orders", "instType": self.inst_type}]}
        await ws.send_str(json.dumps(sub))
        await expect(ws, self.name, lambda m: _answer(m, "subscribe"), self.backlog)
        return ws

    async def ping(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        await ws.send_str("ping")

    def handle(self, message: Any) -> bool:
        if message.get("arg", {}).get("channel") != "orders" or "data" not in message:
            return False
        changed = False
        for d in message["data"]:
            if d.get("instId") not in self.adapter.by_symbol:
                continue
            if d.get("tradeId") and d.get("fillSz") not in (None, "", "0"):
                row = {
                    "instId": d["instId"], "clOrdId": d.get("clOrdId", ""), "ordId": d["ordId"],
                    "tradeId": d["tradeId"], "side": d["side"], "fillPx": d["fillPx"], "fillSz": d["fillSz"],
                    "fee": d.get("fillFee") or "0", "execType": d.get("execType", "T"), "ts": d["fillTime"],
                }  # fmt: skip
                changed |= self.adapter.ingest_fill(self.adapter.parse_fill(row))
            status = DONE.get(d.get("state", ""))
            if status is not None and d.get("clOrdId"):
                changed |= self.adapter.ingest_done(d["clOrdId"], status)
        return bool(changed)


def _answer(message: Any, event: str) -> str | None:
    if message.get("event") == "error":
        return str(message.get("code") or "error")
    return "" if message.get("event") == event else None
