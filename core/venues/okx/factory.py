"""OKX's factory: a venue config to the swap or spot adapter, its streams and its instruments.

One OKX venue config trades one product: swaps (``OkxVenue``, tdMode cross) or spot pairs
(``OkxSpotVenue``, tdMode cash), chosen by the kind of the configured symbols."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alephtx.core.errors import FieldError
from alephtx.core.model import Instrument, Kind
from alephtx.core.venues.base import VenueAdapter
from alephtx.core.venues.credentials import Credentials
from alephtx.core.venues.factory import VenueConfig, VenueFactory
from alephtx.core.venues.okx import config as c
from alephtx.core.venues.okx.credentials import okx_credentials
from alephtx.core.venues.okx.data import OkxBookStream, OkxTradeStream, fetch_instruments
from alephtx.core.venues.okx.execution import OkxSpotVenue, OkxVenue


class OkxFactory(VenueFactory):
    kind = "okx"
    required = ("api_key", "secret", "passphrase")
    book_stream_cls = OkxBookStream
    trade_stream_cls = OkxTradeStream

    def settings(self, config: VenueConfig) -> c.OkxConfig:
        return c.OkxConfig(
            rest_url=config.rest_url or c.REST,
            ws_url=config.ws_url or (c.DEMO_WS if config.testnet else c.WS),
            demo=config.testnet,
        )

    def rest_url(self, settings: Any) -> str:
        url: str = settings.rest_url
        return url.replace(c.REST, c.HOST)

    def credentials(self, config: VenueConfig, env: Mapping[str, str] | None = None) -> Credentials:
        return okx_credentials(env, config.name)

    async def fetch_instruments(self, config: VenueConfig, settings: Any) -> list[Instrument]:
        return await fetch_instruments(self.rest_url(settings), config.name, demo=settings.demo)

    def adapter(
        self, config: VenueConfig, settings: Any, instruments: list[Instrument], credentials: Credentials
    ) -> VenueAdapter:
        spot = [i.symbol for i in instruments if i.kind is Kind.SPOT]
        if spot and len(spot) < len(instruments):
            swaps = [i.symbol for i in instruments if i.kind is not Kind.SPOT]
            why = f"mixes spot {spot[:3]} and swaps {swaps[:3]}: one OKX venue config trades one of them"
            raise FieldError("symbols", list(config.symbols), why)
        cls = OkxSpotVenue if spot else OkxVenue
        return cls(instruments, credentials, settings)

    def user_stream(self, settings: Any, adapter: Any, credentials: Credentials) -> Any:
        from alephtx.core.venues.okx.user_stream import OkxUserStream

        inst_type = "SPOT" if isinstance(adapter, OkxSpotVenue) else "SWAP"
        return OkxUserStream(adapter, settings.ws_url, credentials, inst_type)
