"""Bybit market data. orderbook.50: a snapshot, then deltas whose ``u`` grows by exactly one; a
break resubscribes for a new snapshot (``u`` == 1 also means the venue restarted its book). Public
trades. The instrument listing (linear contracts)."""

from __future__ import annotations

import json

import aiohttp
import numpy as np

from alephtx.core.book import APPLIED, GAP
from alephtx.core.model import Instrument, Side
from alephtx.core.model.fixed import to_fixed
from alephtx.core.venues.base import VenueUnavailable
from alephtx.core.venues.bybit.config import BybitConfig
from alephtx.core.venues.bybit.parsing import parse_instruments
from alephtx.core.venues.stream import BookStream, TradeStream, TradeTick


class BybitBookStream(BookStream):
    def __init__(self, instrument: Instrument, config: BybitConfig | None = None) -> None:
        cfg = config or BybitConfig()
        super().__init__(instrument, cfg.ws_url, cfg.rest_url, cfg.silence_timeout_s)
        self.u = -1
        self.topic = f"orderbook.50.{instrument.symbol}"

    def stream_url(self) -> str:
        return f"{self.ws_url}/v5/public/linear"

    async def subscribe(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        await ws.send_str(json.dumps({"op": "subscribe", "args": [self.topic]}))

    def _levels(self, rows: list[list[str]], side: int) -> tuple[list[int], list[int], list[int]]:
        inst = self.instrument
        return (
            [side] * len(rows),
            [inst.price(r[0]) for r in rows],
            [to_fixed(r[1], inst.size_precision, "size") for r in rows],
        )

    def apply(self, text: str) -> int | None:
        msg = json.loads(text)
        if msg.get("topic") != self.topic:
            return None
        d = msg["data"]
        bs, bp, bq = self._levels(d["b"], 1)
        as_, ap, aq = self._levels(d["a"], 0)
        if msg["type"] == "snapshot" or d["u"] == 1:
            self.sync.on_snapshot(bp, bq, ap, aq, d["u"])
            self.u = d["u"]
            return APPLIED
        if self.book.stale or d["u"] != self.u + 1:
            self.book.stale = True
            return GAP
        sides = np.array(bs + as_, dtype=np.uint8)
        self.book.apply_levels(sides, np.array(bp + ap, dtype=np.int64), np.array(bq + aq, dtype=np.int64))
        self.u = d["u"]
        return APPLIED

    async def fetch_snapshot(self, session: aiohttp.ClientSession) -> None:
        ws = getattr(self, "_ws", None)
        if ws is not None and not ws.closed and self.u != -1:
            await ws.send_str(json.dumps({"op": "unsubscribe", "args": [self.topic]}))
            await ws.send_str(json.dumps({"op": "subscribe", "args": [self.topic]}))


class BybitTradeStream(TradeStream):
    def __init__(self, instrument: Instrument, config: BybitConfig | None = None) -> None:
        cfg = config or BybitConfig()
        super().__init__(instrument, cfg.ws_url, cfg.rest_url, cfg.silence_timeout_s)
        self.topic = f"publicTrade.{instrument.symbol}"

    def stream_url(self) -> str:
        return f"{self.ws_url}/v5/public/linear"

    async def subscribe(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        await ws.send_str(json.dumps({"op": "subscribe", "args": [self.topic]}))

    def parse(self, text: str) -> list[TradeTick]:
        msg = json.loads(text)
        if msg.get("topic") != self.topic:
            return []
        inst = self.instrument
        return [
            TradeTick(
                inst.key,
                d["i"],
                inst.price(d["p"]),
                inst.size(d["v"]),
                Side.BUY if d["S"] == "Buy" else Side.SELL,
                int(d["T"]) * 1_000_000,
            )
            for d in msg["data"]
        ]


async def fetch_instruments(rest_url: str, venue: str, timeout_s: float = 10.0) -> list[Instrument]:
    """The linear contracts Bybit lists (``/v5/market/instruments-info``, page after page)."""
    out: list[Instrument] = []
    cursor = ""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as session:
        for _ in range(50):  # 1000 a page: far more pages than Bybit has linear contracts
            url = f"{rest_url.rstrip('/')}/v5/market/instruments-info?category=linear&limit=1000"
            async with session.get(url + (f"&cursor={cursor}" if cursor else "")) as resp:
                if resp.status != 200:
                    raise VenueUnavailable(f"HTTP_{resp.status}", f"instruments: {(await resp.text())[:200]}")
                answer = await resp.json(content_type=None)
            out += parse_instruments(answer, venue)
            cursor = answer.get("result", {}).get("nextPageCursor") or ""
            if not cursor:
                break
    return out
