"""Hyperliquid key, from the environment: ALEPH_HYPERLIQUID_PRIVATE_KEY (the wallet or API-wallet
key). The account address (ALEPH_HYPERLIQUID_API_KEY) defaults to the key's own address.
(ALEPH_<NAME>_… for a venue configured under another name.)"""

from __future__ import annotations

from collections.abc import Mapping

from alephtx.core.venues.credentials import Credentials, from_env


def hyperliquid_credentials(env: Mapping[str, str] | None = None, name: str = "hyperliquid") -> Credentials:
    return from_env(name, env)
