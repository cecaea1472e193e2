"""Hyperliquid wire values: client ids as cloids, and back; the perpetuals listing (meta)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from alephtx.core.model import Instrument, Kind, VenueRules
from alephtx.core.model.ids import ALPHABET
from alephtx.core.venues.hyperliquid.config import MAX_PRICE_DECIMALS, MAX_SIG_FIGS, MIN_NOTIONAL
from alephtx.core.venues.instruments import parse_rows

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


def parse_instruments(meta: dict[str, Any], venue: str) -> list[Instrument]:
    """The perpetuals of a ``meta`` answer (``{"universe": [{"name", "szDecimals"}, …]}``) that are
    not delisted: lot 10^-szDecimals, tick 10^-(6 - szDecimals), quoted in USDC, with the venue's
    five-significant-figure rule and its 10 USDC minimum order value."""

    def one(u: dict[str, Any]) -> Instrument | None:
        if u.get("isDelisted"):
            return None
        sz = int(u["szDecimals"])
        px = MAX_PRICE_DECIMALS - sz
        tick = f"{Decimal(1).scaleb(-max(px, 0)):f}"
        lot = f"{Decimal(1).scaleb(-sz):f}"
        return Instrument.from_strings(
            venue,
            u["name"],
            Kind.PERP,
            tick,
            lot,
            MIN_NOTIONAL,
            base=u["name"],
            quote="USDC",
            rules=VenueRules(max_sig_figs=MAX_SIG_FIGS),
        )

    return parse_rows(meta["universe"], one, venue)
