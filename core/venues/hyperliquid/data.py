"""Hyperliquid market data. l2Book: every message is the whole (top 20, five-significant-figure)
book, so there is no sequence to break; a dropped or silent socket still reconnects, and the book
is replaced whole. Public trades. The perpetuals listing (``/info`` meta)."""

from __future__ import annotations

import json

import aiohttp

from alephtx.core.book import APPLIED
from alephtx.core.model import Instrument, Side
from alephtx.core.model.fixed import to_fixed
from alephtx.core.venues.base import VenueUnavailable
from alephtx.core.venues.hyperliquid.config import HyperliquidConfig
from alephtx.core.venues.hyperliquid.parsing import parse_instruments
from alephtx.core.venues.stream import BookStream, TradeStream, TradeTick


class HyperliquidBookStream(BookStream):
    def __init__(self, instrument: Instrument, config: HyperliquidConfig | None = None) -> None:
        cfg = config or HyperliquidConfig()
        super().__init__(instrument, cfg.ws_url, cfg.rest_url, cfg.silence_timeout_s)

    def stream_url(self) -> str:
        return f"{self.ws_url}/ws"

    async def subscribe(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        sub = {"type": "l2Book", "coin": self.instrument.symbol}
        await ws.send_str(json.dumps({"method": "subscribe", "subscription": sub}))

    def apply(self, text: str) -> int | None:
        msg = json.loads(text)
        if msg.get("channel") != "l2Book" or msg["data"]["coin"] != self.instrument.symbol:
            return None
        inst = self.instrument
        bids, asks = msg["data"]["levels"]
        pp, sp = inst.price_precision, inst.size_precision
        self.sync.on_snapshot(
            [to_fixed(lv["px"], pp, "px") for lv in bids],
            [to_fixed(lv["sz"], sp, "sz") for lv in bids],
            [to_fixed(lv["px"], pp, "px") for lv in asks],
            [to_fixed(lv["sz"], sp, "sz") for lv in asks],
            int(msg["data"]["time"]),
        )
        return APPLIED


class HyperliquidTradeStream(TradeStream):
    def __init__(self, instrument: Instrument, config: HyperliquidConfig | None = None) -> None:
        cfg = config or HyperliquidConfig()
        super().__init__(instrument, cfg.ws_url, cfg.rest_url, cfg.silence_timeout_s)

    def stream_url(self) -> str:
        return f"{self.ws_url}/ws"

    async def subscribe(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        sub = {"type": "trades", "coin": self.instrument.symbol}
        await ws.send_str(json.dumps({"method": "subscribe", "subscription": sub}))

    def parse(self, text: str) -> list[TradeTick]:
        msg = json.loads(text)
        if msg.get("channel") != "trades":
            return []
        inst = self.instrument
        pp, sp = inst.price_precision, inst.size_precision
        return [
            TradeTick(
                inst.key,
                str(d["tid"]),
                to_fixed(d["px"], pp, "px"),
                to_fixed(d["sz"], sp, "sz"),
                Side.BUY if d["side"] == "B" else Side.SELL,
                int(d["time"]) * 1_000_000,
            )
            for d in msg["data"]
            if d["coin"] == inst.symbol
        ]


async def fetch_instruments(rest_url: str, venue: str, timeout_s: float = 10.0) -> list[Instrument]:
    """The perpetuals Hyperliquid lists (``POST /info {"type": "meta"}``)."""
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as session,
        session.post(rest_url.rstrip("/") + "/info", json={"type": "meta"}) as resp,
    ):
        if resp.status != 200:
            raise VenueUnavailable(f"HTTP_{resp.status}", f"meta: {(await resp.text())[:200]}")
        return parse_instruments(await resp.json(content_type=None), venue)
