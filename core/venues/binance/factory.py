"""Binance's factories: a venue config to the USD-M or spot adapter, its streams and its instruments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alephtx.core.model import Instrument
from alephtx.core.venues.base import VenueAdapter
from alephtx.core.venues.binance import config as c
from alephtx.core.venues.binance.credentials import binance_credentials
from alephtx.core.venues.binance.data import (
    BinanceBookStream,
    BinanceSpotBookStream,
    BinanceSpotTradeStream,
    BinanceTradeStream,
    fetch_instruments,
)
from alephtx.core.venues.binance.execution import BinanceSpotVenue, BinanceUsdmVenue
from alephtx.core.venues.credentials import Credentials
from alephtx.core.venues.factory import VenueConfig, VenueFactory


class BinanceUsdmFactory(VenueFactory):
    kind = "binance-usdm"
    book_stream_cls = BinanceBookStream
    trade_stream_cls = BinanceTradeStream

    def settings(self, config: VenueConfig) -> c.BinanceConfig:
        return c.BinanceConfig(
            rest_url=config.rest_url or (c.TESTNET_REST if config.testnet else c.REST),
            ws_url=config.ws_url or (c.TESTNET_WS if config.testnet else c.WS),
        )

    def credentials(self, config: VenueConfig, env: Mapping[str, str] | None = None) -> Credentials:
        return binance_credentials(env, config.name)

    async def fetch_instruments(self, config: VenueConfig, settings: Any) -> list[Instrument]:
        return await fetch_instruments(settings.rest_url, config.name, spot=False)

    def adapter(
        self, config: VenueConfig, settings: Any, instruments: list[Instrument], credentials: Credentials
    ) -> VenueAdapter:
        return BinanceUsdmVenue(instruments, credentials, settings)

    def user_stream(self, settings: Any, adapter: Any, credentials: Credentials) -> Any:
        from alephtx.core.venues.binance.user_stream import BinanceUserStream

        return BinanceUserStream(adapter, settings.rest_url, settings.ws_url, credentials.api_key)


class BinanceSpotFactory(VenueFactory):
    kind = "binance"
    book_stream_cls = BinanceSpotBookStream
    trade_stream_cls = BinanceSpotTradeStream

    def settings(self, config: VenueConfig) -> c.BinanceSpotConfig:
        return c.BinanceSpotConfig(
            rest_url=config.rest_url or (c.SPOT_TESTNET_REST if config.testnet else c.SPOT_REST),
            ws_url=config.ws_url or (c.SPOT_TESTNET_WS if config.testnet else c.SPOT_WS),
            # An overridden ws_url (an emulator, a proxy) serves the WebSocket API too.
            ws_api_url=config.ws_url or (c.SPOT_TESTNET_WS_API if config.testnet else c.SPOT_WS_API),
        )

    def credentials(self, config: VenueConfig, env: Mapping[str, str] | None = None) -> Credentials:
        return binance_credentials(env, config.name)

    async def fetch_instruments(self, config: VenueConfig, settings: Any) -> list[Instrument]:
        return await fetch_instruments(settings.rest_url, config.name, spot=True)

    def adapter(
        self, config: VenueConfig, settings: Any, instruments: list[Instrument], credentials: Credentials
    ) -> VenueAdapter:
        return BinanceSpotVenue(instruments, credentials, settings)

    def user_stream(self, settings: Any, adapter: Any, credentials: Credentials) -> Any:
        from alephtx.core.venues.binance.user_stream import BinanceSpotUserStream

        return BinanceSpotUserStream(adapter, settings.ws_api_url, credentials)
