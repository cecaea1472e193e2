"""Client order ids that every venue accepts and that never collide, also across restarts.

Letters and digits only (OKX's alphabet), at most 32 characters:
``<prefix><boot:8><counter>``, where boot is the start time in milliseconds plus random bits in
base 62, fresh at every start, so a restarted engine can never reuse an id.
"""

from __future__ import annotations

import itertools
import secrets
import time

from alephtx.core.model.ids import ALPHABET, base62

__all__ = ["ALPHABET", "ClientIdFactory", "base62"]


class ClientIdFactory:
    def __init__(self, prefix: str = "ax", boot: str | None = None) -> None:
        if not prefix.isalnum() or len(prefix) > 8:
            raise ValueError(f"prefix={prefix!r}: 1 to 8 letters or digits")
        # 44 bits of milliseconds (to 2527) and 20 random bits: 11 base-62 characters at most.
        self.boot = boot or base62((time.time_ns() // 1_000_000) << 20 | secrets.randbits(20), 11)
        self.prefix = prefix + self.boot
        self._n = itertools.count(1)

    def next(self) -> str:
        cid = self.prefix + base62(next(self._n))
        if len(cid) > 32:
            raise OverflowError("client id counter exhausted; restart the engine for a new boot id")
        return cid
