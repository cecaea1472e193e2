"""Bybit keys, from the environment: ALEPH_BYBIT_API_KEY and ALEPH_BYBIT_API_SECRET
(ALEPH_<NAME>_… for a venue configured under another name)."""

from __future__ import annotations

from collections.abc import Mapping

from alephtx.core.venues.credentials import Credentials, from_env


def bybit_credentials(env: Mapping[str, str] | None = None, name: str = "bybit") -> Credentials:
    return from_env(name, env)
