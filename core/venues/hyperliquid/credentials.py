"""Hyperliquid key: ALEPH_HYPERLIQUID_PRIVATE_KEY (the wallet or API-wallet key), from the environment.
The account address (ALEPH_HYPERLIQUID_API_KEY) defaults to the key's own address."""

from __future__ import annotations

from collections.abc import Mapping

from alephtx.core.venues.credentials import Credentials, from_env


def hyperliquid_credentials(env: Mapping[str, str] | None = None) -> Credentials:
    return from_env("hyperliquid", env)
