"""Binance keys, from the environment: ALEPH_BINANCE_USDM_API_KEY and ALEPH_BINANCE_USDM_API_SECRET
for USD-M, ALEPH_BINANCE_API_KEY and ALEPH_BINANCE_API_SECRET for spot (ALEPH_<NAME>_… for a venue
configured under another name)."""

from __future__ import annotations

from collections.abc import Mapping

from alephtx.core.venues.credentials import Credentials, from_env


def binance_credentials(env: Mapping[str, str] | None = None, name: str = "binance-usdm") -> Credentials:
    return from_env(name, env)
