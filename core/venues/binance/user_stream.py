"""Binance USD-M's user-data stream (see ``core/venues/user_stream.py`` for what all share).

A listenKey from ``POST /fapi/v1/listenKey`` (the API key alone), a WebSocket on
``<ws>/ws/<listenKey>``, a keep-alive (``PUT``) every 30 minutes, a new key when the venue says
``listenKeyExpired`` or the socket drops. Each ``ORDER_TRADE_UPDATE`` becomes the adapter's own
report (``ingest_fill`` / ``ingest_done``).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp
import msgspec

from alephtx.core.model import OrderStatus
from alephtx.core.venues.user_stream import Reopen, StreamRefused, UserStream

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
