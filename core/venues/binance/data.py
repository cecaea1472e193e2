"""Binance market data: depth through our own WebSocket client (the parser is Cython; ccxt.pro
would add a Python object per level) synced with the documented snapshot + U/u/pu procedure
(USD-M) or U = previous u + 1 (spot); public trades; the instrument listing (exchangeInfo)."""

from __future__ import annotations

import json

import aiohttp

from alephtx.core.model import Instrument, Side
from alephtx.core.venues.base import VenueUnavailable
from alephtx.core.venues.binance.config import BinanceConfig, BinanceSpotConfig
from alephtx.core.venues.binance.parsing import DepthParser, parse_instruments
from alephtx.core.venues.stream import BookStream, TradeStream, TradeTick


class BinanceBookStream(BookStream):
    def __init__(self, instrument: Instrument, config: BinanceConfig | None = None) -> None:
        cfg = config or BinanceConfig()
        super().__init__(instrument, cfg.ws_url, cfg.rest_url, cfg.silence_timeout_s)
        self.parser = DepthParser(instrument.price_precision, instrument.size_precision)

    def stream_url(self) -> str:
        return f"{self.ws_url}/ws/{self.instrument.symbol.lower()}@depth@0ms"

    def apply(self, text: str) -> int | None:
        p = self.parser
        p.parse(text.encode())
        return self.sync.on_diff(p.first_id, p.final_id, p.prev_final_id, p.sides, p.prices, p.qtys, 0, p.count)

    async def fetch_snapshot(self, session: aiohttp.ClientSession) -> None:
        url = f"{self.rest_url}/fapi/v1/depth?symbol={self.instrument.symbol}&limit=1000"
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as resp:
            raw = await resp.read()
        if resp.status != 200:
            raise ValueError(f"depth snapshot: HTTP {resp.status}")
        if self.tap is not None:
            self.tap(raw)
        p = DepthParser(self.instrument.price_precision, self.instrument.size_precision, 2048)
        p.parse(raw)
        nb = p.bid_count
        self.sync.on_snapshot(p.prices[:nb], p.qtys[:nb], p.prices[nb : p.count], p.qtys[nb : p.count], p.final_id)


class _BinanceTrades(TradeStream):
    """The ``<symbol>@trade`` stream, the same on USD-M and spot."""

    def __init__(self, instrument: Instrument, cfg: BinanceConfig | BinanceSpotConfig) -> None:
        super().__init__(instrument, cfg.ws_url, cfg.rest_url, cfg.silence_timeout_s)

    def stream_url(self) -> str:
        return f"{self.ws_url}/ws/{self.instrument.symbol.lower()}@trade"

    def parse(self, text: str) -> list[TradeTick]:
        t = json.loads(text)
        if t.get("e") != "trade":
            return []
        inst = self.instrument
        side = Side.SELL if t["m"] else Side.BUY  # m: the buyer was the maker, so the seller took
        return [TradeTick(inst.key, str(t["t"]), inst.price(t["p"]), inst.size(t["q"]), side, int(t["T"]) * 1_000_000)]


class BinanceTradeStream(_BinanceTrades):
    def __init__(self, instrument: Instrument, config: BinanceConfig | None = None) -> None:
        super().__init__(instrument, config or BinanceConfig())


class BinanceSpotBookStream(BookStream):
    """Spot diffs carry U and u but no pu: a diff must start right after the previous one."""

    def __init__(self, instrument: Instrument, config: BinanceSpotConfig | None = None) -> None:
        cfg = config or BinanceSpotConfig()
        super().__init__(instrument, cfg.ws_url, cfg.rest_url, cfg.silence_timeout_s)
        self.parser = DepthParser(instrument.price_precision, instrument.size_precision)
        self._snap = DepthParser(instrument.price_precision, instrument.size_precision, 2048)

    def stream_url(self) -> str:
        return f"{self.ws_url}/ws/{self.instrument.symbol.lower()}@depth@100ms"

    def apply(self, text: str) -> int | None:
        p = self.parser
        # The spot rules (first diff: U <= lastUpdateId + 1 <= u; then U == previous u + 1) are the
        # USD-M rules with pu taken as U - 1.
        p.parse_spot(text.encode())
        return self.sync.on_diff(p.first_id - 1, p.final_id, p.first_id - 1, p.sides, p.prices, p.qtys, 0, p.count)

    async def fetch_snapshot(self, session: aiohttp.ClientSession) -> None:
        url = f"{self.rest_url}/api/v3/depth?symbol={self.instrument.symbol}&limit=1000"
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as resp:
            raw = await resp.read()
        if resp.status != 200:
            raise ValueError(f"depth snapshot: HTTP {resp.status}")
        if self.tap is not None:
            self.tap(raw)
        p = self._snap
        p.parse(raw)
        nb = p.bid_count
        self.sync.on_snapshot(p.prices[:nb], p.qtys[:nb], p.prices[nb : p.count], p.qtys[nb : p.count], p.final_id)


class BinanceSpotTradeStream(_BinanceTrades):
    def __init__(self, instrument: Instrument, config: BinanceSpotConfig | None = None) -> None:
        super().__init__(instrument, config or BinanceSpotConfig())


async def fetch_instruments(rest_url: str, venue: str, spot: bool = False, timeout_s: float = 10.0) -> list[Instrument]:
    """What the venue lists (``/fapi/v1/exchangeInfo`` or, for spot, ``/api/v3/exchangeInfo``)."""
    path = "/api/v3/exchangeInfo" if spot else "/fapi/v1/exchangeInfo"
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as session,
        session.get(rest_url.rstrip("/") + path) as resp,
    ):
        if resp.status != 200:
            raise VenueUnavailable(f"HTTP_{resp.status}", f"{path}: {(await resp.text())[:200]}")
        return parse_instruments(await resp.json(content_type=None), venue, spot)
