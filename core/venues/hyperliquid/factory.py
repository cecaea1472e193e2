"""Hyperliquid's factory: a venue config to the native adapter, its streams and its perpetuals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alephtx.core.model import Instrument
from alephtx.core.venues.base import VenueAdapter
from alephtx.core.venues.credentials import Credentials
from alephtx.core.venues.factory import VenueConfig, VenueFactory
from alephtx.core.venues.hyperliquid import config as c
from alephtx.core.venues.hyperliquid.credentials import hyperliquid_credentials
from alephtx.core.venues.hyperliquid.data import HyperliquidBookStream, HyperliquidTradeStream, fetch_instruments
from alephtx.core.venues.hyperliquid.execution import HyperliquidVenue


class HyperliquidFactory(VenueFactory):
    kind = "hyperliquid"
    required = ("private_key",)
    book_stream_cls = HyperliquidBookStream
    trade_stream_cls = HyperliquidTradeStream

    def settings(self, config: VenueConfig) -> c.HyperliquidConfig:
        return c.HyperliquidConfig(
            rest_url=config.rest_url or (c.TESTNET_REST if config.testnet else c.REST),
            ws_url=config.ws_url or (c.TESTNET_WS if config.testnet else c.WS),
            mainnet=not config.testnet,  # the L1 action signature says which chain
        )

    def credentials(self, config: VenueConfig, env: Mapping[str, str] | None = None) -> Credentials:
        return hyperliquid_credentials(env, config.name)

    async def fetch_instruments(self, config: VenueConfig, settings: Any) -> list[Instrument]:
        return await fetch_instruments(settings.rest_url, config.name)

    def adapter(
        self, config: VenueConfig, settings: Any, instruments: list[Instrument], credentials: Credentials
    ) -> VenueAdapter:
        return HyperliquidVenue(instruments, credentials, settings)

    def user_stream(self, settings: Any, adapter: Any, credentials: Credentials) -> Any:
        from alephtx.core.venues.hyperliquid.user_stream import HyperliquidUserStream

        return HyperliquidUserStream(adapter, settings.ws_url)
