"""From a venue's config to its parts: the adapter (orders), its market data and its instruments.

Every venue folder has a ``factory.py`` with a ``VenueFactory`` subclass that states what differs:
its settings (the folder's frozen config, URLs resolved for mainnet, testnet or an override), where
its instruments come from, its credentials, its adapter and its stream classes. The registry
(``core/venues/registry.py``) names the factory of each venue kind, so that code goes from a
configured venue to a working adapter in one call::

    parts = await build(VenueConfig("bybit", symbols=("BTCUSDT",), testnet=True))
    await parts.adapter.place_order(...)
    await parts.data.subscribe_orderbook(["BTCUSDT"], on_book, stop)
    parts.instruments.get("BTCUSDT").tick_size

``build_market`` builds the data and the instruments alone, without credentials (paper trading on
a venue's live book needs no key).
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from alephtx.core.errors import FieldError
from alephtx.core.model import Instrument
from alephtx.core.venues.base import VenueAdapter
from alephtx.core.venues.credentials import Credentials, from_env
from alephtx.core.venues.instruments import InstrumentProvider, default_cache_dir
from alephtx.core.venues.stream import StreamData


@dataclass(frozen=True)
class VenueConfig:
    """One venue to connect.

    ``kind``: which factory (a key of ``registry.FACTORIES``: binance, binance-usdm, okx, bybit,
    hyperliquid, paper). ``name``: this venue's name in the engine (instrument keys are
    ``name:symbol``) and in its credentials' variables (``ALEPH_<NAME>_API_KEY``…); the kind by
    default. ``symbols``: the venue's own symbols to trade; every listed one when empty.
    ``testnet``: the venue's testnet (demo trading on OKX). ``rest_url`` / ``ws_url``: override the
    venue's endpoints (an emulator from ``aleph emulator``, a proxy). ``cache``: keep the venue's
    instrument table on disk. ``instruments``: what the paper venue lists (real venues say it)."""

    kind: str
    name: str = ""
    symbols: tuple[str, ...] = ()
    testnet: bool = False
    rest_url: str = ""
    ws_url: str = ""
    cache: bool = True
    instruments: tuple[Instrument, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.kind)
        object.__setattr__(self, "symbols", tuple(self.symbols))
        for f in ("rest_url", "ws_url"):
            url = getattr(self, f)
            if url and not url.startswith(("http://", "https://", "ws://", "wss://")):
                raise FieldError(f, url, "must be an http(s):// or ws(s):// URL")


class MarketData(Protocol):
    """What a venue's data part does (``StreamData`` for the real venues; the paper venue itself)."""

    async def subscribe_orderbook(
        self, symbols: list[str], on_book: Callable[[Any], Awaitable[None] | None], stop: asyncio.Event
    ) -> None: ...

    async def subscribe_trades(
        self, symbols: list[str], on_trades: Callable[[Any], Awaitable[None] | None], stop: asyncio.Event
    ) -> None: ...


@dataclass
class MarketParts:
    config: VenueConfig
    data: MarketData
    instruments: InstrumentProvider


@dataclass
class VenueParts(MarketParts):
    adapter: VenueAdapter
    # The venue's user-data stream (execution reports pushed) when the folder has one; its
    # ``run(on_update, stop)`` feeds the adapter's reports. None: reports by polling only.
    user: Any = None

    async def close(self) -> None:
        await self.adapter.close()


class VenueFactory(abc.ABC):
    """A venue folder's factory: the hooks say what differs, ``build`` is the same for every venue."""

    kind: str = ""
    # The credentials an adapter cannot work without (names of ``Credentials`` fields).
    required: tuple[str, ...] = ("api_key", "secret")
    book_stream_cls: Any = None
    trade_stream_cls: Any = None

    @abc.abstractmethod
    def settings(self, config: VenueConfig) -> Any:
        """The folder's own frozen config, its URLs resolved (override, else testnet, else mainnet)."""

    @abc.abstractmethod
    async def fetch_instruments(self, config: VenueConfig, settings: Any) -> list[Instrument]:
        """What the venue lists, from its public endpoint (the folder's ``data.fetch_instruments``)."""

    @abc.abstractmethod
    def adapter(
        self, config: VenueConfig, settings: Any, instruments: list[Instrument], credentials: Credentials
    ) -> VenueAdapter:
        """The folder's adapter (``execution.py``) over these instruments."""

    def credentials(self, config: VenueConfig, env: Mapping[str, str] | None = None) -> Credentials:
        """The keys, from the environment under the venue's name (the folder's ``credentials.py``)."""
        return from_env(config.name, env)

    def user_stream(self, settings: Any, adapter: VenueAdapter, credentials: Credentials) -> Any:
        """The folder's user-data stream over ``adapter`` (see ``VenueParts.user``), if it has one."""
        return None

    def data(self, config: VenueConfig, settings: Any, instruments: list[Instrument]) -> MarketData:
        return StreamData(config.name, instruments, self.book_stream_cls, self.trade_stream_cls, settings)

    def rest_url(self, settings: Any) -> str:
        """Where the instruments come from (the cache's key)."""
        url: str = settings.rest_url
        return url

    def provider(self, config: VenueConfig, settings: Any, cache_dir: Path | None = None) -> InstrumentProvider:
        return InstrumentProvider(
            config.name,
            self.kind,
            self.rest_url(settings),
            lambda: self.fetch_instruments(config, settings),
            testnet=config.testnet,
            cache_dir=(cache_dir or default_cache_dir()) if config.cache else None,
        )

    async def build_market(
        self, config: VenueConfig, *, cache_dir: Path | None = None, refresh: bool = False
    ) -> MarketParts:
        settings = self.settings(config)
        provider = self.provider(config, settings, cache_dir)
        await provider.load(refresh)
        return MarketParts(config, self.data(config, settings, provider.select(config.symbols)), provider)

    async def build(
        self,
        config: VenueConfig,
        *,
        env: Mapping[str, str] | None = None,
        cache_dir: Path | None = None,
        refresh: bool = False,
    ) -> VenueParts:
        creds = self.credentials(config, env)
        prefix = "ALEPH_" + config.name.upper().replace("-", "_") + "_"
        for need in self.required:
            if not getattr(creds, need):
                raise FieldError(prefix + VARIABLES[need], "", f"not set: the {config.kind} adapter needs it")
        market = await self.build_market(config, cache_dir=cache_dir, refresh=refresh)
        instruments = market.instruments.select(config.symbols)
        settings = self.settings(config)
        adapter = self.adapter(config, settings, instruments, creds)
        adapter.name = config.name
        user = self.user_stream(settings, adapter, creds)
        return VenueParts(config, market.data, market.instruments, adapter, user)


# Credentials fields -> the end of their environment variable (core/venues/credentials.py).
VARIABLES = {"api_key": "API_KEY", "secret": "API_SECRET", "passphrase": "PASSPHRASE", "private_key": "PRIVATE_KEY"}
