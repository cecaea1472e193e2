"""OKX wire formats: the instrument listing (``/api/v5/public/instruments``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from alephtx.core.model import Instrument, Kind, VenueRules
from alephtx.core.venues.instruments import decimal_text, parse_rows

KINDS = {"SWAP": Kind.PERP, "SPOT": Kind.SPOT}


def parse_instruments(answer: dict[str, Any], venue: str) -> list[Instrument]:
    """The live linear swaps and spot pairs of one listing answer. Inverse swaps are skipped (the
    adapters trade USDT-margined swaps). OKX states no minimum notional, only a minimum size
    (``minSz``, the lot here); swap sizes are in contracts of ``ctVal`` base units: the instrument's lot is
    ``lotSz`` x ``ctVal`` and its rules carry ``ctVal`` (core/venues/okx/units.py converts)."""
    if answer.get("code") not in ("0", 0):
        raise ValueError(f"instruments: OKX answered code {answer.get('code')!r}: {answer.get('msg', '')}")

    def one(d: dict[str, Any]) -> Instrument | None:
        kind = KINDS.get(d["instType"])
        if kind is None or d.get("state") != "live":
            return None
        lot, rules = Decimal(d["lotSz"]), VenueRules()
        if kind is Kind.PERP:
            if d.get("ctType") != "linear":
                return None
            base, _, quote = (d.get("uly") or d["instFamily"]).partition("-")
            # Sized in contracts of ctVal base units: the lot in base units is lotSz x ctVal.
            ct = Decimal(d["ctVal"])
            if ct <= 0:
                raise ValueError(f"ctVal={d['ctVal']!r}: must be greater than zero")
            lot, rules = lot * ct, VenueRules(contract_size=decimal_text(d["ctVal"]))
        else:
            base, quote = d["baseCcy"], d["quoteCcy"]
        return Instrument.from_strings(
            venue, d["instId"], kind, decimal_text(d["tickSz"]), decimal_text(lot),
            base=base, quote=quote, rules=rules,
        )  # fmt: skip

    return parse_rows(answer.get("data", []), one, venue)
