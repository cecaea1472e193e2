"""The paper venue's factory: a venue config (with the instruments it lists) to a ``PaperVenue``.

The paper venue is its own market data: its books move with whatever feeds it (a replay, a real
venue's stream), and ``subscribe_orderbook`` / ``subscribe_trades`` hand them on; so ``data`` and
``adapter`` are the same object. It needs no credentials, and its instruments come from the config
(``VenueConfig.instruments``), never from a cache."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from alephtx.core.errors import FieldError
from alephtx.core.model import Instrument
from alephtx.core.venues.base import VenueAdapter
from alephtx.core.venues.credentials import Credentials
from alephtx.core.venues.factory import MarketParts, VenueConfig, VenueFactory, VenueParts
from alephtx.core.venues.instruments import InstrumentProvider
from alephtx.core.venues.paper.venue import PaperVenue


class PaperFactory(VenueFactory):
    kind = "paper"
    required = ()

    def settings(self, config: VenueConfig) -> None:
        return None

    def rest_url(self, settings: Any) -> str:
        return ""

    def credentials(self, config: VenueConfig, env: Mapping[str, str] | None = None) -> Credentials:
        return Credentials()

    async def fetch_instruments(self, config: VenueConfig, settings: Any) -> list[Instrument]:
        return [msgspec.structs.replace(i, venue=config.name) for i in config.instruments]

    def provider(self, config: VenueConfig, settings: Any, cache_dir: Path | None = None) -> InstrumentProvider:
        return InstrumentProvider(config.name, self.kind, "", lambda: self.fetch_instruments(config, settings))

    def adapter(
        self, config: VenueConfig, settings: Any, instruments: list[Instrument], credentials: Credentials
    ) -> VenueAdapter:
        return PaperVenue(instruments, name=config.name)

    async def build_market(
        self, config: VenueConfig, *, cache_dir: Path | None = None, refresh: bool = False
    ) -> MarketParts:
        return await self.build(config)

    async def build(
        self,
        config: VenueConfig,
        *,
        env: Mapping[str, str] | None = None,
        cache_dir: Path | None = None,
        refresh: bool = False,
    ) -> VenueParts:
        if not config.instruments:
            raise FieldError("instruments", (), "the paper venue lists the instruments its config gives: none given")
        provider = self.provider(config, None)
        await provider.load()
        venue = PaperVenue(provider.select(config.symbols), name=config.name)
        return VenueParts(config, venue, provider, venue)
