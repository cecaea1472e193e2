"""The recorder: a venue's public book and trades written as captures, rotated, and imported into
the catalog as each one closes.

Each symbol is recorded by the venue's own market-data streams (``core/venues/<venue>/data.py``:
the same subscriptions, reconnection with backoff, silence detection and resync as the node's
live market), tapped: every message is written as received, ``<recv ns> <json>``, to
``<folder>/<venue>/<SYMBOL>/<start UTC>.gz`` (``.part`` while open), with what a replay needs:

- a header first (``{"aleph":"recording", venue, symbol, tick_size, lot_size, contract_size}``),
  so that the file states its instrument;
- the venue's snapshots: Binance's REST depth snapshot as its stream fetches it (at the start and
  after every gap), the others' snapshots as their streams receive them on (re)subscription;
- a gap marker (``{"aleph":"gap"}``) where a connection ended: what the venue sent until the next
  connection was never received, and the book resynchronises on the snapshot after it.

A file is closed every ``rotate_s`` seconds and at every UTC midnight: the streams are restarted
for the next file (which then starts with its own snapshot: a new file replays on its own; the
moment between the two files is not recorded, and the old file ends with a gap marker), and the
closed file is imported into the catalog, in a thread, while the next one records.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alephtx.core.data.catalog import Catalog, CatalogError
from alephtx.core.model import Instrument
from alephtx.core.venues.stream import GAP_MARKER

log = logging.getLogger("alephtx.recorder")
DAY_S = 86_400


@dataclass
class Recording:
    """One symbol's open file, and what has been written and imported."""

    instrument: Instrument
    venue: str
    folder: Path
    path: Path | None = None
    handle: gzip.GzipFile | None = None
    messages: int = 0  # in the open file
    total: int = 0
    gaps: int = 0
    files: list[Path] = field(default_factory=list)
    imported: list[str] = field(default_factory=list)  # "<file>: <dataset>, n rows" or why not

    def open(self, now_ns: int) -> None:
        stamp = dt.datetime.fromtimestamp(now_ns / 1e9, tz=dt.UTC).strftime("%Y%m%dT%H%M%S")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / f"{stamp}.gz.part"
        self.handle = gzip.open(self.path, "wb", compresslevel=6)  # noqa: SIM115 - closed by close()
        self.messages = 0
        inst = self.instrument
        header = {
            "aleph": "recording",
            "venue": self.venue,
            "symbol": inst.symbol,
            "tick_size": inst.tick_size,
            "lot_size": inst.lot_size,
            "contract_size": inst.rules.contract_size,
        }
        self.write(json.dumps(header, separators=(",", ":")))

    def write(self, text: str | bytes) -> None:
        if self.handle is None:
            return
        body = text.encode() if isinstance(text, str) else text
        if b"\n" in body:  # one message a line, always (a REST answer may be pretty-printed)
            body = json.dumps(json.loads(body), separators=(",", ":")).encode()
        self.handle.write(b"%d %s\n" % (time.time_ns(), body))
        self.messages += 1
        self.total += 1
        self.gaps += text == GAP_MARKER

    def close(self) -> Path | None:
        """Close the open file under its final name (None when nothing beyond the header)."""
        if self.handle is None or self.path is None:
            return None
        self.handle.close()
        self.handle = None
        done = self.path.with_suffix("")  # drop .part
        self.path.rename(done)
        self.path = None
        self.files.append(done)
        return done


class Recorder:
    """Records ``symbols`` of ``venue`` (a venue kind with public streams) until stopped or until
    ``seconds`` have passed. ``rest_url``/``ws_url`` override the venue's endpoints (an emulator)."""

    def __init__(
        self,
        venue: str,
        symbols: list[str],
        folder: Path,
        catalog: Catalog | None,
        rotate_s: float = 3600.0,
        rest_url: str = "",
        ws_url: str = "",
        on_import: Callable[[str], None] | None = None,
    ) -> None:
        if rotate_s <= 0:
            raise ValueError("rotate_s must be positive")
        self.venue, self.symbols, self.folder, self.catalog = venue, symbols, folder, catalog
        self.rotate_s, self.rest_url, self.ws_url = rotate_s, rest_url, ws_url
        self.on_import = on_import
        self.recordings: dict[str, Recording] = {}
        self._imports: list[asyncio.Task[None]] = []
        self._data: Any = None  # the venue's market data (its stream classes), once listed

    async def instruments(self) -> dict[str, Instrument]:
        """The symbols' instruments from the venue's listing (every unknown symbol named)."""
        from alephtx.core.venues.factory import VenueConfig
        from alephtx.core.venues.registry import build_market

        override = bool(self.rest_url or self.ws_url)
        parts = await build_market(
            VenueConfig(self.venue, rest_url=self.rest_url, ws_url=self.ws_url, cache=not override)
        )
        self._data = parts.data
        listed = self._data.by_symbol
        missing = [s for s in self.symbols if s not in listed]
        if missing:
            some = ", ".join(sorted(listed)[:8])
            raise CatalogError(f"symbol: {', '.join(missing)} not listed by {self.venue} (it lists {some}, ...)")
        return {s: listed[s] for s in self.symbols}

    async def run(self, stop: asyncio.Event, seconds: float | None = None) -> None:
        instruments = await self.instruments()
        for sym, inst in instruments.items():
            self.recordings[sym] = Recording(inst, self.venue, self.folder / self.venue / sym)
        deadline = time.monotonic() + seconds if seconds else None
        try:
            while not stop.is_set():
                now = time.time_ns()
                until = min(self.rotate_s, DAY_S - (now / 1e9) % DAY_S)  # rotate, and at UTC midnight
                if deadline is not None:
                    until = min(until, deadline - time.monotonic())
                await self._record_for(max(until, 0.0), stop)
                self._rotate()
                if deadline is not None and time.monotonic() >= deadline:
                    break
        finally:
            for rec in self.recordings.values():
                closed = rec.close()
                if closed is not None:
                    self._import(rec, closed)
            if self._imports:
                await asyncio.gather(*self._imports)

    async def _record_for(self, seconds: float, stop: asyncio.Event) -> None:
        """One file per symbol: the streams run, tapped into it, for ``seconds`` (or until stop)."""
        streams: list[Any] = []
        for sym, rec in self.recordings.items():
            rec.open(time.time_ns())
            for stream in (self._data.book_stream(sym), self._data.trade_stream(sym)):
                stream.tap = (
                    _enveloped(rec.write, stream.stream_url()) if self.venue.startswith("binance") else rec.write
                )
                streams.append(stream)
        local = asyncio.Event()
        tasks = [asyncio.create_task(s.run(lambda _ev: None, local)) for s in streams]
        try:
            waiter = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait([waiter, *tasks], timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            for t in tasks:
                if t in done and t.exception() is not None:
                    raise t.exception()  # type: ignore[misc]
        finally:
            local.set()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _rotate(self) -> None:
        for rec in self.recordings.values():
            if rec.handle is not None:
                rec.write(GAP_MARKER)  # the next file starts after a moment that is not recorded
            closed = rec.close()
            if closed is not None:
                self._import(rec, closed)

    def _import(self, rec: Recording, path: Path) -> None:
        if self.catalog is None:
            return
        catalog = self.catalog

        async def run() -> None:
            try:
                ds, imp = await asyncio.to_thread(catalog.import_capture, path, rec.instrument, self.venue)
                said = f"{path.name}: {ds.name}, {sum(imp.rows.values()):,} rows" + (
                    f" ({'; '.join(imp.problems)})" if imp.problems else ""
                )
            except (CatalogError, ValueError) as exc:
                said = f"{path.name}: not imported ({exc})"
            rec.imported.append(said)
            log.info("recorder: %s", said)
            if self.on_import is not None:
                self.on_import(said)

        self._imports.append(asyncio.create_task(run()))


def _enveloped(write: Callable[[str | bytes], None], url: str) -> Callable[[str | bytes], None]:
    """Binance's raw streams (``/ws/<name>``) written as its combined stream sends them
    (``{"stream": <name>, "data": ...}``: the format of the captures in ../shared/data), so that
    one reader reads both; its REST snapshots (bytes) as they are."""
    if "/ws/" not in url:
        return write
    name = url.rsplit("/ws/", 1)[1]
    head = '{"stream":"' + name + '","data":'

    def tap(message: str | bytes) -> None:
        if isinstance(message, str) and message.startswith('{"e"'):
            write(head + message + "}")
        else:
            write(message)

    return tap
