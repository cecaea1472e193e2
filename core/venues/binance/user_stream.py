"""Binance's user-data streams (see ``core/venues/user_stream.py`` for what all share).

USD-M: a listenKey from ``POST /fapi/v1/listenKey`` (the API key alone), a WebSocket on
``<ws>/ws/<listenKey>``, a keep-alive (``PUT``) every 30 minutes, a new key when the venue says
``listenKeyExpired`` or the socket drops. Each ``ORDER_TRADE_UPDATE`` becomes the adapter's own
report (``ingest_fill`` / ``ingest_done``).

Spot: the listenKey was retired (2026-02-20); the stream is a subscription on the WebSocket API
(``<ws-api>/ws-api/v3``, ``userDataStream.subscribe.signature``: the API key and a timestamp,
HMAC-signed like a REST request), and its ``executionReport`` events come wrapped with the
subscription's id. A cancel's report names the order in ``C`` (``c`` is the cancel's own id).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from typing import Any

import aiohttp
import msgspec

from alephtx.core.model import OrderStatus
from alephtx.core.signers import HmacSigner
from alephtx.core.venues.credentials import Credentials
from alephtx.core.venues.user_stream import Reopen, StreamRefused, UserStream, expect

DONE = {"CANCELED": OrderStatus.CANCELLED, "EXPIRED": OrderStatus.EXPIRED, "REJECTED": OrderStatus.REJECTED}


class BinanceUserStream(UserStream):
    def __init__(self, adapter: Any, rest_url: str, ws_url: str, api_key: str, keepalive_s: float = 1800.0) -> None:
        super().__init__(adapter, ws_url)
        self.rest_url = rest_url.rstrip("/")
        self._headers = {"X-MBX-APIKEY": api_key}
        self.keepalive_s = keepalive_s
        self.keys = 0  # listenKeys taken (a renewal after expiry counts)

    async def open(self, session: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
        async with session.post(f"{self.rest_url}/fapi/v1/listenKey", headers=self._headers) as resp:
            body = await resp.json(content_type=None)
        if resp.status != 200 or "listenKey" not in body:
            raise StreamRefused(self.name, str(body.get("code", resp.status)), f"listenKey: HTTP {resp.status}")
        self.keys += 1
        return await session.ws_connect(f"{self.ws_url}/ws/{body['listenKey']}", heartbeat=None)

    async def keep_alive(self, session: aiohttp.ClientSession) -> None:
        while True:
            await asyncio.sleep(self.keepalive_s)
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with session.put(f"{self.rest_url}/fapi/v1/listenKey", headers=self._headers) as resp:
                    await resp.read()

    def handle(self, event: Any) -> bool:
        kind = event.get("e")
        if kind == "listenKeyExpired":
            raise Reopen("the listenKey expired")
        return kind == "ORDER_TRADE_UPDATE" and self.apply(event["o"])

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


class BinanceSpotUserStream(UserStream):
    def __init__(self, adapter: Any, ws_api_url: str, credentials: Credentials) -> None:
        super().__init__(adapter, ws_api_url)
        self._creds = credentials

    async def open(self, session: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
        ws = await session.ws_connect(f"{self.ws_url}/ws-api/v3", heartbeat=None)
        params: dict[str, Any] = {"apiKey": self._creds.api_key, "timestamp": int(time.time() * 1000)}
        payload = "&".join(f"{k}={params[k]}" for k in sorted(params))
        params["signature"] = HmacSigner(self._creds.secret).sign(payload)
        rid = str(uuid.uuid4())
        await ws.send_str(json.dumps({"id": rid, "method": "userDataStream.subscribe.signature", "params": params}))
        await expect(ws, self.name, lambda m: _answer(m, rid), self.backlog)
        return ws

    def handle(self, message: Any) -> bool:
        event = message.get("event")
        if not isinstance(event, dict):
            return False
        if event.get("e") == "eventStreamTerminated":
            raise Reopen("the venue ended the subscription")
        if event.get("e") != "executionReport":
            return False
        x, cid = event["x"], str(event.get("C") or event["c"])
        if x == "TRADE":
            row = {
                "symbol": event["s"], "orderId": event["i"], "id": event["t"], "price": event["L"],
                "qty": event["l"], "commission": event["n"], "time": event["T"],
                "isBuyer": event["S"] == "BUY", "isMaker": event["m"],
            }  # fmt: skip
            fill = msgspec.structs.replace(self.adapter.parse_fill(row), client_id=str(event["c"]))
            return bool(self.adapter.ingest_fill(fill))
        status = DONE.get(x)
        return bool(status is not None and self.adapter.ingest_done(cid, status))


def _answer(message: Any, rid: str) -> str | None:
    if message.get("id") != rid:
        return None
    if message.get("status") == 200:
        return ""
    return str((message.get("error") or {}).get("code", message.get("status")))
