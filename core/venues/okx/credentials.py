"""OKX keys: ALEPH_OKX_API_KEY, ALEPH_OKX_API_SECRET and ALEPH_OKX_PASSPHRASE, from the environment."""

from __future__ import annotations

from collections.abc import Mapping

from alephtx.core.venues.credentials import Credentials, from_env


def okx_credentials(env: Mapping[str, str] | None = None) -> Credentials:
    return from_env("okx", env)
