"""Bybit's factory: a venue config to the v5 linear adapter, its streams and its instruments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alephtx.core.model import Instrument
from alephtx.core.venues.base import VenueAdapter
from alephtx.core.venues.bybit import config as c
from alephtx.core.venues.bybit.credentials import bybit_credentials
from alephtx.core.venues.bybit.data import BybitBookStream, BybitTradeStream, fetch_instruments
from alephtx.core.venues.bybit.execution import BybitVenue
from alephtx.core.venues.credentials import Credentials
from alephtx.core.venues.factory import VenueConfig, VenueFactory


class BybitFactory(VenueFactory):
    kind = "bybit"
    book_stream_cls = BybitBookStream
    trade_stream_cls = BybitTradeStream

    def settings(self, config: VenueConfig) -> c.BybitConfig:
        return c.BybitConfig(
            rest_url=config.rest_url or (c.TESTNET_REST if config.testnet else c.REST),
            ws_url=config.ws_url or (c.TESTNET_WS if config.testnet else c.WS),
        )

    def rest_url(self, settings: Any) -> str:
        url: str = settings.rest_url
        return url.replace(c.REST, c.HOST)

    def credentials(self, config: VenueConfig, env: Mapping[str, str] | None = None) -> Credentials:
        return bybit_credentials(env, config.name)

    async def fetch_instruments(self, config: VenueConfig, settings: Any) -> list[Instrument]:
        return await fetch_instruments(self.rest_url(settings), config.name)

    def adapter(
        self, config: VenueConfig, settings: Any, instruments: list[Instrument], credentials: Credentials
    ) -> VenueAdapter:
        return BybitVenue(instruments, credentials, settings)

    def user_stream(self, settings: Any, adapter: Any, credentials: Credentials) -> Any:
        from alephtx.core.venues.bybit.user_stream import BybitUserStream

        return BybitUserStream(adapter, settings.ws_url, credentials)
