"""The paper venue's HTTP client: the same adapter interface, over loopback REST.

Reports are read by sequence number (``get_reports``); the OMS polls them with ``catch_up``.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import msgspec

from alephtx.core.model import Balance, Fill, OrderRequest, Position
from alephtx.core.venues.base import Capabilities, ExecReport, VenueAdapter, VenueOrder, VenueRejected, VenueUnavailable

ENC = msgspec.json.Encoder()


class PaperHttpVenue(VenueAdapter):
    capabilities = Capabilities(notes=("paper venue over HTTP",))

    def __init__(self, base_url: str, name: str = "paper", token: str | None = None, timeout_s: float = 2.0) -> None:
        self.name = name
        self.base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def _call(self, method: str, path: str, typ: Any, body: bytes | None = None, ok404: bool = False) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout, headers=self._headers)
        try:
            async with self._session.request(method, self.base + path, data=body) as resp:
                raw = await resp.read()
                if resp.status == 404 and ok404:
                    return None
                if resp.status >= 500:
                    raise VenueUnavailable(f"HTTP_{resp.status}", raw[:200].decode(errors="replace"))
                if resp.status >= 400:
                    err = msgspec.json.decode(raw)
                    raise VenueRejected(str(err.get("code", resp.status)), str(err.get("message", "")))
                return msgspec.json.decode(raw, type=typ)
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise VenueUnavailable("UNREACHABLE", f"{method} {path}: {type(exc).__name__}") from None

    async def place_order(self, req: OrderRequest) -> VenueOrder:
        result: VenueOrder = await self._call("POST", "/v1/orders", VenueOrder, ENC.encode(req))
        return result

    async def cancel_order(self, instrument: str, client_id: str) -> VenueOrder:
        result: VenueOrder = await self._call("DELETE", f"/v1/orders/{client_id}?instrument={instrument}", VenueOrder)
        return result

    async def get_order(self, instrument: str, client_id: str) -> VenueOrder | None:
        result: VenueOrder | None = await self._call("GET", f"/v1/orders/{client_id}", VenueOrder, ok404=True)
        return result

    async def get_open_orders(self) -> list[VenueOrder]:
        result: list[VenueOrder] = await self._call("GET", "/v1/orders", list[VenueOrder])
        return result

    async def get_positions(self) -> list[Position]:
        result: list[Position] = await self._call("GET", "/v1/positions", list[Position])
        return result

    async def get_balances(self) -> list[Balance]:
        result: list[Balance] = await self._call("GET", "/v1/balances", list[Balance])
        return result

    async def get_fills(self, since_ns: int = 0) -> list[Fill]:
        result: list[Fill] = await self._call("GET", f"/v1/fills?since_ns={since_ns}", list[Fill])
        return result

    async def get_reports(self, since_seq: int = 0) -> list[ExecReport]:
        result: list[ExecReport] = await self._call("GET", f"/v1/reports?since={since_seq}", list[ExecReport])
        return result

    async def ticker(self) -> dict[str, int]:
        result: dict[str, int] = await self._call("GET", "/v1/ticker", dict[str, int])
        return result

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
