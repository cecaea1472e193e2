"""Binance keys: ALEPH_BINANCE_USDM_API_KEY and ALEPH_BINANCE_USDM_API_SECRET, from the environment."""

from __future__ import annotations

from collections.abc import Mapping

from alephtx.core.venues.credentials import Credentials, from_env


def binance_credentials(env: Mapping[str, str] | None = None) -> Credentials:
    return from_env("binance-usdm", env)
