"""OKX wire formats: the instrument listing (``/api/v5/public/instruments``)."""

from __future__ import annotations

from typing import Any

from alephtx.core.model import Instrument, Kind
from alephtx.core.venues.instruments import decimal_text, parse_rows

KINDS = {"SWAP": Kind.PERP, "SPOT": Kind.SPOT}


def parse_instruments(answer: dict[str, Any], venue: str) -> list[Instrument]:
    """The live linear swaps and spot pairs of one listing answer. Inverse swaps are skipped (the
    adapters trade USDT-margined swaps). OKX states no minimum notional, only a minimum size
    (``minSz``, the lot here); swap sizes are in contracts of ``ctVal`` base units."""
    if answer.get("code") not in ("0", 0):
        raise ValueError(f"instruments: OKX answered code {answer.get('code')!r}: {answer.get('msg', '')}")

    def one(d: dict[str, Any]) -> Instrument | None:
        kind = KINDS.get(d["instType"])
        if kind is None or d.get("state") != "live":
            return None
        if kind is Kind.PERP:
            if d.get("ctType") != "linear":
                return None
            base, _, quote = (d.get("uly") or d["instFamily"]).partition("-")
        else:
            base, quote = d["baseCcy"], d["quoteCcy"]
        return Instrument.from_strings(
            venue, d["instId"], kind, decimal_text(d["tickSz"]), decimal_text(d["lotSz"]), base=base, quote=quote
        )

    return parse_rows(answer.get("data", []), one, venue)
