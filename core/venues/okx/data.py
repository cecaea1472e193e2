"""OKX market data. The books channel: snapshot then updates chained by seqId/prevSeqId, each
checked with OKX's CRC32 checksum of the top 25 levels; a break or a bad checksum resubscribes for
a new snapshot. Public trades. The instrument listing (swaps and spot)."""

from __future__ import annotations

import json
import zlib

import aiohttp
import numpy as np

from alephtx.core.book import APPLIED, GAP
from alephtx.core.model import Instrument, Side
from alephtx.core.venues.base import VenueUnavailable
from alephtx.core.venues.okx.config import OkxConfig
from alephtx.core.venues.okx.parsing import parse_instruments
from alephtx.core.venues.okx.units import base_size
from alephtx.core.venues.stream import BookStream, TradeStream, TradeTick


def okx_checksum(bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> int:
    parts: list[str] = []
    for i in range(25):
        if i < len(bids):
            parts += list(bids[i])
        if i < len(asks):
            parts += list(asks[i])
    crc = zlib.crc32(":".join(parts).encode())
    return crc - (1 << 32) if crc >= 1 << 31 else crc


class OkxBookStream(BookStream):
    def __init__(self, instrument: Instrument, config: OkxConfig | None = None) -> None:
        cfg = config or OkxConfig()
        super().__init__(instrument, cfg.ws_url, cfg.rest_url, cfg.silence_timeout_s)
        self.seq = -1
        self.checksum_failures = 0
        # Each level's price and size as OKX wrote them (per side, by fixed-point price): its
        # checksum is over those strings ("8" is not "8.00"), so it is checked against them.
        self.raw: tuple[dict[int, tuple[str, str]], dict[int, tuple[str, str]]] = ({}, {})

    def stream_url(self) -> str:
        return f"{self.ws_url}/ws/v5/public"

    async def subscribe(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        await ws.send_str(
            json.dumps({"op": "subscribe", "args": [{"channel": "books", "instId": self.instrument.symbol}]})
        )

    def _arrays(self, levels: list[list[str]], side: int) -> tuple[list[int], list[int], list[int]]:
        inst, raw = self.instrument, self.raw[side]
        prices = [inst.price(lv[0]) for lv in levels]
        sizes = [base_size(inst, lv[1], "size") for lv in levels]  # contracts on a swap; "0" removes
        for p, q, lv in zip(prices, sizes, levels, strict=True):
            if q:
                raw[p] = (lv[0], lv[1])
            else:
                raw.pop(p, None)
        return [side] * len(levels), prices, sizes

    def apply(self, text: str) -> int | None:
        msg = json.loads(text)
        if "event" in msg or msg.get("arg", {}).get("channel") != "books":
            return None
        d = msg["data"][0]
        if msg["action"] == "snapshot":
            self.raw = ({}, {})
        bs, bp, bq = self._arrays(d["bids"], 1)
        as_, ap, aq = self._arrays(d["asks"], 0)
        if msg["action"] == "snapshot":
            self.sync.on_snapshot(bp, bq, ap, aq, d["seqId"])
            self.seq = d["seqId"]
            status = APPLIED
        else:
            if self.book.stale or d["prevSeqId"] != self.seq:
                self.book.stale = True
                return GAP
            sides = np.array(bs + as_, dtype=np.uint8)
            self.book.apply_levels(sides, np.array(bp + ap, dtype=np.int64), np.array(bq + aq, dtype=np.int64))
            self.seq = d["seqId"]
            status = APPLIED
        bids, asks = self.book.depth(25)
        raw_b, raw_a = self.raw[1], self.raw[0]
        mine = okx_checksum([raw_b.get(p, ("", "")) for p, _ in bids], [raw_a.get(p, ("", "")) for p, _ in asks])
        if mine != d["checksum"]:
            self.checksum_failures += 1
            self.book.stale = True
            return GAP
        return status

    async def fetch_snapshot(self, session: aiohttp.ClientSession) -> None:
        # OKX resends a snapshot on a new subscription: unsubscribe and subscribe again.
        ws = getattr(self, "_ws", None)
        if ws is not None and not ws.closed and self.seq != -1:
            arg = {"channel": "books", "instId": self.instrument.symbol}
            await ws.send_str(json.dumps({"op": "unsubscribe", "args": [arg]}))
            await ws.send_str(json.dumps({"op": "subscribe", "args": [arg]}))


class OkxTradeStream(TradeStream):
    def __init__(self, instrument: Instrument, config: OkxConfig | None = None) -> None:
        cfg = config or OkxConfig()
        super().__init__(instrument, cfg.ws_url, cfg.rest_url, cfg.silence_timeout_s)

    def stream_url(self) -> str:
        return f"{self.ws_url}/ws/v5/public"

    async def subscribe(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        arg = {"channel": "trades", "instId": self.instrument.symbol}
        await ws.send_str(json.dumps({"op": "subscribe", "args": [arg]}))

    def parse(self, text: str) -> list[TradeTick]:
        msg = json.loads(text)
        if msg.get("arg", {}).get("channel") != "trades" or "data" not in msg:
            return []
        inst = self.instrument
        return [
            TradeTick(
                inst.key,
                d["tradeId"],
                inst.price(d["px"]),
                base_size(inst, d["sz"]),
                Side.BUY if d["side"] == "buy" else Side.SELL,
                int(d["ts"]) * 1_000_000,
            )
            for d in msg["data"]
        ]


async def fetch_instruments(rest_url: str, venue: str, demo: bool = False, timeout_s: float = 10.0) -> list[Instrument]:
    """The live swaps and spot pairs OKX lists (``/api/v5/public/instruments``, one call per type)."""
    headers = {"x-simulated-trading": "1"} if demo else {}
    out: list[Instrument] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s), headers=headers) as session:
        for inst_type in ("SWAP", "SPOT"):
            url = f"{rest_url.rstrip('/')}/api/v5/public/instruments?instType={inst_type}"
            async with session.get(url) as resp:
                if resp.status != 200:
                    raise VenueUnavailable(f"HTTP_{resp.status}", f"instruments: {(await resp.text())[:200]}")
                out += parse_instruments(await resp.json(content_type=None), venue)
    return out
