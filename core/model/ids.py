"""The client-order-id alphabet: letters and digits only (OKX's alphabet, which every venue
accepts), and base 62 over it. Ids themselves are made by ``alephtx.core.oms.ids``."""

from __future__ import annotations

import string

ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase


def base62(n: int, width: int = 0) -> str:
    out = []
    while n:
        n, r = divmod(n, 62)
        out.append(ALPHABET[r])
    return "".join(reversed(out)).rjust(width, "0") or "0"
