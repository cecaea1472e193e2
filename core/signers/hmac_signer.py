"""HMAC-SHA256 request signing, as Binance (hex), OKX (base64) and Bybit v5 (hex) use it.

What is signed differs per venue and is built by the venue's adapter:
- Binance: the query string (plus the body for POST), hex.
- OKX: timestamp + method + request path (with query) + body, base64.
- Bybit v5: timestamp + api key + recv window + (query string or JSON body), hex.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


class HmacSigner:
    __slots__ = ("_key",)

    def __init__(self, secret: str | bytes) -> None:
        if not secret:
            raise ValueError("secret: must not be empty")
        self._key = secret.encode() if isinstance(secret, str) else bytes(secret)

    def sign(self, payload: str | bytes, encoding: str = "hex") -> str:
        data = payload.encode() if isinstance(payload, str) else payload
        mac = hmac.new(self._key, data, hashlib.sha256).digest()
        if encoding == "hex":
            return mac.hex()
        if encoding == "base64":
            return base64.b64encode(mac).decode()
        raise ValueError(f"encoding={encoding!r}: must be 'hex' or 'base64'")

    def verify(self, payload: str | bytes, signature: str, encoding: str = "hex") -> bool:
        """Constant-time check (the loopback emulators verify requests with it)."""
        return hmac.compare_digest(self.sign(payload, encoding), signature)

    def __repr__(self) -> str:
        return "HmacSigner(<secret hidden>)"
