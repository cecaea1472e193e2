"""Market-data WebSockets that stay honest: they reconnect with backoff when dropped, treat a
connected but silent stream as dropped after ``silence_timeout_s``, drop (and count) malformed
messages, and, for books, resync from a snapshot after a sequence gap. Each venue fills in how to
connect, subscribe and parse."""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from alephtx.core.book import GAP, BookSync, L2Book
from alephtx.core.errors import FieldError
from alephtx.core.model import Instrument, Side

log = logging.getLogger("alephtx.stream")
# What a recording says where a connection ended: the messages between it and the next
# connection's snapshot were never received (readers skip it; the book resyncs after it).
GAP_MARKER = '{"aleph":"gap"}'


@dataclass
class StreamStats:
    connects: int = 0
    drops: int = 0
    silences: int = 0
    gaps: int = 0
    snapshots: int = 0
    messages: int = 0
    bad_messages: int = 0


@dataclass(frozen=True, slots=True)
class TradeTick:
    """One public trade. ``aggressor`` is the side that took liquidity."""

    instrument: str
    trade_id: str
    price: int
    quantity: int
    aggressor: Side
    ts_ns: int


class WsStream(abc.ABC):
    """The reconnecting loop; subclasses say what a message means (``handle``)."""

    def __init__(
        self,
        instrument: Instrument,
        ws_url: str,
        rest_url: str,
        silence_timeout_s: float = 10.0,
        max_backoff_s: float = 5.0,
    ) -> None:
        self.instrument = instrument
        self.ws_url = ws_url.rstrip("/")
        self.rest_url = rest_url.rstrip("/")
        self.silence_timeout_s = silence_timeout_s
        self.max_backoff_s = max_backoff_s
        self.stats = StreamStats()
        # Told every message as received (and a venue's REST snapshots, and GAP_MARKER when a
        # connection ends): the recorder writes them to a capture.
        self.tap: Callable[[str | bytes], None] | None = None

    @abc.abstractmethod
    def stream_url(self) -> str:
        """Where to connect."""

    async def subscribe(self, ws: aiohttp.ClientWebSocketResponse) -> None:  # noqa: B027 - optional hook
        """Send the subscription message, for venues that need one."""

    @abc.abstractmethod
    def handle(self, text: str, session: aiohttp.ClientSession) -> Any:
        """Digest one message; return what to hand the caller, or None."""

    def on_connect(self, session: aiohttp.ClientSession) -> None:  # noqa: B027 - optional hook
        """Called after each (re)connection and subscription."""

    def on_disconnect(self, final: bool = False) -> None:  # noqa: B027 - optional hook
        """Called after a connection ends, before the backoff (``final`` once, when stopping)."""

    async def run(self, on_event: Callable[[Any], Awaitable[None] | None], stop: asyncio.Event) -> None:
        backoff = 0.1
        async with aiohttp.ClientSession() as session:
            while not stop.is_set():
                opened = False
                try:
                    async with session.ws_connect(self.stream_url(), heartbeat=None, autoping=True) as ws:
                        opened = True
                        self.stats.connects += 1
                        self._ws = ws
                        await self.subscribe(ws)
                        self.on_connect(session)
                        backoff = 0.1
                        await self._receive(ws, session, on_event, stop)
                except (aiohttp.ClientError, OSError) as exc:
                    self.stats.drops += 1
                    log.warning("%s: connection failed: %s", self.instrument.key, exc)
                if stop.is_set():
                    break
                if opened and self.tap is not None:
                    self.tap(GAP_MARKER)
                self.on_disconnect()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
        self.on_disconnect(final=True)

    async def _receive(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        session: aiohttp.ClientSession,
        on_event: Callable[[Any], Awaitable[None] | None],
        stop: asyncio.Event,
    ) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while not stop.is_set():
            try:
                # Short waits so that a stop is seen promptly; silence is measured apart.
                msg = await ws.receive(timeout=min(0.25, self.silence_timeout_s))
            except TimeoutError:
                if loop.time() - last < self.silence_timeout_s:
                    continue
                self.stats.silences += 1
                log.warning("%s: stream silent for %.1fs; reconnecting", self.instrument.key, self.silence_timeout_s)
                return
            if msg.type != aiohttp.WSMsgType.TEXT:
                self.stats.drops += 1
                return
            self.stats.messages += 1
            last = loop.time()
            if self.tap is not None:
                self.tap(msg.data)
            try:
                event = self.handle(msg.data, session)
            except (ValueError, KeyError, TypeError, IndexError) as exc:
                self.stats.bad_messages += 1
                log.warning("%s: dropped a malformed message: %s", self.instrument.key, exc)
                continue
            if event is not None:
                result = on_event(event)
                if result is not None:
                    await result


class BookStream(WsStream):
    """A book kept in sync: ``apply`` each message through ``self.sync``; on a gap, resync."""

    def __init__(self, instrument: Instrument, ws_url: str, rest_url: str, silence_timeout_s: float = 10.0) -> None:
        super().__init__(instrument, ws_url, rest_url, silence_timeout_s)
        self.book = L2Book(tick=instrument.tick)
        self.sync = BookSync(self.book)
        self._snapshot_task: asyncio.Task[None] | None = None

    @abc.abstractmethod
    def apply(self, text: str) -> int | None:
        """Apply one message to the book (through ``self.sync``); return its status, None if not a book message."""

    async def fetch_snapshot(self, session: aiohttp.ClientSession) -> None:
        """Venues whose stream starts with a snapshot need nothing here."""

    async def _resync(self, session: aiohttp.ClientSession) -> None:
        try:
            await self.fetch_snapshot(session)
            self.stats.snapshots += 1
        except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as exc:
            log.warning("%s: snapshot failed: %s", self.instrument.key, exc)

    def _want_snapshot(self, session: aiohttp.ClientSession) -> None:
        if self._snapshot_task is None or self._snapshot_task.done():
            self._snapshot_task = asyncio.create_task(self._resync(session))

    def on_connect(self, session: aiohttp.ClientSession) -> None:
        self._want_snapshot(session)

    def on_disconnect(self, final: bool = False) -> None:
        if self._snapshot_task is not None:
            self._snapshot_task.cancel()
        if not final:
            self.book.stale = True  # everything buffered belongs to the old connection: start clean

    def handle(self, text: str, session: aiohttp.ClientSession) -> L2Book | None:
        status = self.apply(text)
        if status == GAP:
            self.stats.gaps += 1
        if self.sync.needs_snapshot:
            self._want_snapshot(session)
            return None
        return self.book if status is not None else None

    def top(self) -> dict[str, Any]:
        return {"bid": self.book.best_bid(), "ask": self.book.best_ask(), "stale": self.book.stale}


class TradeStream(WsStream):
    """Public trades: ``parse`` each message into ticks; the caller gets one list per message."""

    @abc.abstractmethod
    def parse(self, text: str) -> list[TradeTick]:
        """The trades in one message (an empty list for anything else)."""

    def handle(self, text: str, session: aiohttp.ClientSession) -> list[TradeTick] | None:
        ticks = self.parse(text)
        return ticks or None


class StreamData:
    """A venue's market data: a book stream and a trade stream per symbol, built from the folder's
    stream classes (``data.py``) and its config (the URLs). The factories hand one out as
    ``VenueParts.data``; the adapters' ``subscribe_orderbook`` / ``subscribe_trades`` use one too."""

    def __init__(
        self,
        venue: str,
        instruments: list[Instrument],
        book_stream_cls: Any,
        trade_stream_cls: Any,
        config: Any,
    ) -> None:
        self.venue = venue
        self.by_symbol = {i.symbol: i for i in instruments}
        self.book_stream_cls = book_stream_cls
        self.trade_stream_cls = trade_stream_cls
        self.config = config

    def _instrument(self, symbol: str) -> Instrument:
        inst = self.by_symbol.get(symbol)
        if inst is None:
            raise FieldError("symbol", symbol, f"not among {self.venue}'s instruments {sorted(self.by_symbol)}")
        return inst

    def book_stream(self, symbol: str) -> BookStream:
        stream: BookStream = self.book_stream_cls(self._instrument(symbol), self.config)
        return stream

    def trade_stream(self, symbol: str) -> TradeStream:
        stream: TradeStream = self.trade_stream_cls(self._instrument(symbol), self.config)
        return stream

    async def subscribe_orderbook(
        self, symbols: list[str], on_book: Callable[[Any], Awaitable[None] | None], stop: asyncio.Event
    ) -> None:
        """Keep a synced book per symbol and hand it to ``on_book`` after each update, until ``stop``."""
        streams = [self.book_stream(s) for s in symbols]
        await asyncio.gather(*(s.run(on_book, stop) for s in streams))

    async def subscribe_trades(
        self, symbols: list[str], on_trades: Callable[[Any], Awaitable[None] | None], stop: asyncio.Event
    ) -> None:
        """Hand each message's public trades (a list of TradeTick) to ``on_trades``, until ``stop``."""
        streams = [self.trade_stream(s) for s in symbols]
        await asyncio.gather(*(s.run(on_trades, stop) for s in streams))
