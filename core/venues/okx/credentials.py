"""OKX keys, from the environment: ALEPH_OKX_API_KEY, ALEPH_OKX_API_SECRET and ALEPH_OKX_PASSPHRASE
(ALEPH_<NAME>_… for a venue configured under another name)."""

from __future__ import annotations

from collections.abc import Mapping

from alephtx.core.venues.credentials import Credentials, from_env


def okx_credentials(env: Mapping[str, str] | None = None, name: str = "okx") -> Credentials:
    return from_env(name, env)
