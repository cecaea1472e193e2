"""Venue credentials: from the environment only, never printed.

Names: ALEPH_<VENUE>_API_KEY, ALEPH_<VENUE>_API_SECRET, ALEPH_<VENUE>_PASSPHRASE (OKX), and
ALEPH_<VENUE>_PRIVATE_KEY (Hyperliquid's wallet key), with <VENUE> upper-cased and '-' as '_'.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Credentials:
    api_key: str = field(default="", repr=False)
    secret: str = field(default="", repr=False)
    passphrase: str = field(default="", repr=False)
    private_key: str = field(default="", repr=False)

    def __repr__(self) -> str:
        have = [n for n in ("api_key", "secret", "passphrase", "private_key") if getattr(self, n)]
        return f"Credentials(<{', '.join(have) or 'none'} set, hidden>)"

    __str__ = __repr__

    def secrets(self) -> list[str]:
        """Every secret value, for log scrubbing and the tests that search logs for them."""
        return [v for v in (self.api_key, self.secret, self.passphrase, self.private_key) if v]


def from_env(venue: str, env: Mapping[str, str] | None = None) -> Credentials:
    env = os.environ if env is None else env
    p = "ALEPH_" + venue.upper().replace("-", "_") + "_"
    return Credentials(
        env.get(p + "API_KEY", ""),
        env.get(p + "API_SECRET", ""),
        env.get(p + "PASSPHRASE", ""),
        env.get(p + "PRIVATE_KEY", ""),
    )
