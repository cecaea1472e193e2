"""Instruments come from the venue, with a cached table.

Each venue folder fetches its listing from the venue's public endpoint (``data.py``:
``fetch_instruments``: exchangeInfo, instruments, instruments-info, meta) and reads it into
``Instrument`` values (``parsing.py``: ``parse_instruments``). An ``InstrumentProvider`` holds the
result for one configured venue and keeps it on disk as a JSON table, so that a restart while the
venue cannot be reached still knows every tick, lot and minimum notional.

The table: ``<cache dir>/instruments/<kind>-<main|testnet>-<12 hex of the REST URL's sha256>.json``;
fresh for ``max_age_s`` (a day), fetched again after; when the venue cannot be reached, the cached
table is used however old, with a warning. The cache dir is ``ALEPH_CACHE_DIR``, else
``$XDG_CACHE_HOME/alephtx``, else ``~/.cache/alephtx``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import aiohttp
import msgspec

from alephtx.core.errors import AlephError, FieldError
from alephtx.core.model import Instrument
from alephtx.core.venues.base import VenueUnavailable

log = logging.getLogger("alephtx.venues.instruments")

Fetch = Callable[[], Awaitable[list[Instrument]]]
DAY_S = 86_400.0


def default_cache_dir() -> Path:
    if os.environ.get("ALEPH_CACHE_DIR"):
        return Path(os.environ["ALEPH_CACHE_DIR"])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "alephtx"


class CachedTable(msgspec.Struct):
    kind: str
    rest_url: str
    testnet: bool
    fetched_ns: int
    instruments: list[Instrument]


def cached_instrument(kind: str, symbol: str, cache_dir: Path | None = None) -> tuple[Instrument, int] | None:
    """``symbol`` from a table of venue ``kind`` that an earlier run cached (mainnet's, the
    newest first), and when that table was fetched (ns); None when no cached table lists it.
    Read offline: what a capture's instrument comes from when the venue cannot be asked."""
    folder = (cache_dir or default_cache_dir()) / "instruments"
    tables = sorted(folder.glob(f"{kind}-main-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in tables:
        try:
            table = msgspec.json.decode(path.read_bytes(), type=CachedTable)
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            continue
        for inst in table.instruments:
            if inst.symbol == symbol:
                return inst, table.fetched_ns
    return None


class InstrumentProvider:
    """The instruments one configured venue lists: fetched, cached, looked up by symbol."""

    def __init__(
        self,
        venue: str,
        kind: str,
        rest_url: str,
        fetch: Fetch,
        *,
        testnet: bool = False,
        cache_dir: Path | None = None,
        max_age_s: float = DAY_S,
    ) -> None:
        self.venue = venue
        self.kind = kind
        self.rest_url = rest_url
        self.testnet = testnet
        self._fetch = fetch
        self.cache_dir = cache_dir
        self.max_age_s = max_age_s
        self.by_symbol: dict[str, Instrument] = {}
        self.source = ""  # "venue", "cache" or "stale cache" after load()

    @property
    def path(self) -> Path | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256(self.rest_url.encode()).hexdigest()[:12]
        net = "testnet" if self.testnet else "main"
        return self.cache_dir / "instruments" / f"{self.kind}-{net}-{digest}.json"

    async def load(self, refresh: bool = False) -> list[Instrument]:
        """The venue's instruments: from a fresh cache, else from the venue, else from a stale cache."""
        cached = self._read()
        if cached is not None and not refresh and time.time_ns() - cached.fetched_ns < self.max_age_s * 1e9:
            return self._keep(cached.instruments, "cache")
        try:
            got = await self._fetch()
        except (aiohttp.ClientError, TimeoutError, OSError, AlephError, KeyError, ValueError, TypeError) as exc:
            why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            if cached is None:
                raise VenueUnavailable(
                    "NO_INSTRUMENTS", f"{self.venue}: cannot list instruments from {self.rest_url} ({why})"
                ) from None
            age_h = (time.time_ns() - cached.fetched_ns) / 3.6e12
            log.warning("%s: instruments from a %.1f h old cache: no answer (%s)", self.venue, age_h, why)
            return self._keep(cached.instruments, "stale cache")
        if not got:
            raise VenueUnavailable("NO_INSTRUMENTS", f"{self.venue}: {self.rest_url} lists no instrument we can trade")
        self._write(got)
        return self._keep(got, "venue")

    def get(self, symbol: str) -> Instrument:
        inst = self.by_symbol.get(symbol)
        if inst is None:
            listed = sorted(self.by_symbol)
            some = ", ".join(listed[:8]) + (f" and {len(listed) - 8} more" if len(listed) > 8 else "")
            raise FieldError("symbols", symbol, f"{self.venue} does not list it (it lists {some})")
        return inst

    def select(self, symbols: Iterable[str]) -> list[Instrument]:
        """The instruments of ``symbols`` (all of them when empty), in that order."""
        wanted = list(symbols)
        return [self.get(s) for s in wanted] if wanted else list(self.by_symbol.values())

    def _keep(self, instruments: list[Instrument], source: str) -> list[Instrument]:
        mine = [i if i.venue == self.venue else msgspec.structs.replace(i, venue=self.venue) for i in instruments]
        self.by_symbol = {i.symbol: i for i in mine}
        self.source = source
        return mine

    def _read(self) -> CachedTable | None:
        path = self.path
        if path is None or not path.exists():
            return None
        try:
            table = msgspec.json.decode(path.read_bytes(), type=CachedTable)
        except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            log.warning("%s: ignoring an unreadable instrument cache %s: %s", self.venue, path, exc)
            return None
        return table if table.rest_url == self.rest_url and table.instruments else None

    def _write(self, instruments: list[Instrument]) -> None:
        path = self.path
        if path is None:
            return
        table = CachedTable(self.kind, self.rest_url, self.testnet, time.time_ns(), instruments)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(msgspec.json.format(msgspec.json.encode(table)))
            tmp.replace(path)  # a reader never sees half a table
        except OSError as exc:
            log.warning("%s: cannot write the instrument cache %s: %s", self.venue, path, exc)


# -- helpers for the venues' parsers --------------------------------------------------------------


def decimal_text(value: Any, places: int | None = None) -> str:
    """A venue's decimal (``"0.01000000"``, ``"1E-5"``, ``5``) as plain text without trailing zeros,
    or with exactly ``places`` decimals (Binance states its price precision apart from the tick)."""
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a decimal: {value!r}") from None
    if places is not None:
        return f"{d:.{places}f}"
    text = f"{d.normalize():f}"
    return text


def places_of(text: str) -> int:
    return len(text.partition(".")[2])


def parse_rows(rows: Iterable[Any], parse: Callable[[Any], Instrument | None], venue: str) -> list[Instrument]:
    """Parse each listed row; a row we cannot read is skipped (and counted in the log), not fatal."""
    out: list[Instrument] = []
    bad = 0
    for row in rows:
        try:
            inst = parse(row)
        except (KeyError, ValueError, TypeError, IndexError):
            bad += 1
            continue
        if inst is not None:
            out.append(inst)
    if bad:
        log.warning("%s: %d listed instruments could not be read and were skipped", venue, bad)
    return out
