"""Hyperliquid wire values: client ids as cloids, and back."""

from __future__ import annotations

from alephtx.core.oms.ids import ALPHABET

_INDEX = {c: i for i, c in enumerate(ALPHABET)}


def cloid_of(client_id: str) -> str:
    """A 16-byte cloid that encodes a base62 client id of at most 20 characters, reversibly:
    the first byte is the length, the other 15 the id read as a base-62 number."""
    if not 0 < len(client_id) <= 20 or any(c not in _INDEX for c in client_id):
        raise ValueError(f"client_id={client_id!r}: 1 to 20 letters or digits for Hyperliquid")
    n = 0
    for c in client_id:
        n = n * 62 + _INDEX[c]
    return "0x" + bytes([len(client_id)]).hex() + n.to_bytes(15, "big").hex()


def client_id_of(cloid: str) -> str:
    raw = bytes.fromhex(cloid[2:])
    length, n = raw[0], int.from_bytes(raw[1:], "big")
    out = []
    for _ in range(length):
        n, r = divmod(n, 62)
        out.append(ALPHABET[r])
    return "".join(reversed(out))
