"""Bybit keys: ALEPH_BYBIT_API_KEY and ALEPH_BYBIT_API_SECRET, from the environment."""

from __future__ import annotations

from collections.abc import Mapping

from alephtx.core.venues.credentials import Credentials, from_env


def bybit_credentials(env: Mapping[str, str] | None = None) -> Credentials:
    return from_env("bybit", env)
