"""A market-data WebSocket that stays honest: reconnects with backoff when dropped, treats a
connected but silent stream as dropped after ``silence_timeout_s``, and resyncs the book from a
snapshot after a sequence gap. Each venue fills in how to connect, subscribe and parse."""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from alephtx.core.book import GAP, BookSync, L2Book
from alephtx.core.model import Instrument

log = logging.getLogger("alephtx.stream")


@dataclass
class StreamStats:
    connects: int = 0
    drops: int = 0
    silences: int = 0
    gaps: int = 0
    snapshots: int = 0
    messages: int = 0
    bad_messages: int = 0


class BookStream(abc.ABC):
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
        self.book = L2Book(tick=instrument.tick)
        self.sync = BookSync(self.book)
        self.stats = StreamStats()
        self._snapshot_task: asyncio.Task[None] | None = None

    @abc.abstractmethod
    def stream_url(self) -> str:
        """Where to connect."""

    async def subscribe(self, ws: aiohttp.ClientWebSocketResponse) -> None:  # noqa: B027 - optional hook
        """Send the subscription message, for venues that need one."""

    @abc.abstractmethod
    def apply(self, text: str) -> int | None:
        """Apply one message to the book (through ``self.sync``); return its status, None if not a book message."""

    async def fetch_snapshot(self, session: aiohttp.ClientSession) -> None:  # noqa: B027 - optional hook
        """Venues whose stream starts with a snapshot need nothing here."""

    async def _resync(self, session: aiohttp.ClientSession) -> None:
        try:
            await self.fetch_snapshot(session)
            self.stats.snapshots += 1
        except (TimeoutError, aiohttp.ClientError, KeyError, ValueError) as exc:
            log.warning("%s: snapshot failed: %s", self.instrument.key, exc)

    def _want_snapshot(self, session: aiohttp.ClientSession) -> None:
        if self._snapshot_task is None or self._snapshot_task.done():
            self._snapshot_task = asyncio.create_task(self._resync(session))

    async def run(self, on_update: Callable[[L2Book], Awaitable[None] | None], stop: asyncio.Event) -> None:
        backoff = 0.1
        async with aiohttp.ClientSession() as session:
            while not stop.is_set():
                try:
                    async with session.ws_connect(self.stream_url(), heartbeat=None, autoping=True) as ws:
                        self.stats.connects += 1
                        await self.subscribe(ws)
                        self._want_snapshot(session)
                        backoff = 0.1
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
                                log.warning(
                                    "%s: stream silent for %.1fs; reconnecting",
                                    self.instrument.key,
                                    self.silence_timeout_s,
                                )
                                break
                            if msg.type != aiohttp.WSMsgType.TEXT:
                                self.stats.drops += 1
                                break
                            self.stats.messages += 1
                            last = loop.time()
                            try:
                                status = self.apply(msg.data)
                            except (ValueError, KeyError, TypeError) as exc:
                                self.stats.bad_messages += 1
                                log.warning("%s: dropped a malformed message: %s", self.instrument.key, exc)
                                continue
                            if status == GAP:
                                self.stats.gaps += 1
                            if self.sync.needs_snapshot:
                                self._want_snapshot(session)
                                continue
                            if status is not None:
                                result = on_update(self.book)
                                if result is not None:
                                    await result
                except (aiohttp.ClientError, OSError) as exc:
                    self.stats.drops += 1
                    log.warning("%s: connection failed: %s", self.instrument.key, exc)
                if stop.is_set():
                    break
                # Everything buffered belongs to the old connection: start clean.
                self.book.stale = True
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
        if self._snapshot_task is not None:
            self._snapshot_task.cancel()

    def top(self) -> dict[str, Any]:
        return {"bid": self.book.best_bid(), "ask": self.book.best_ask(), "stale": self.book.stale}
