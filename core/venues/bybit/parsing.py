"""Bybit wire formats: the instrument listing (``/v5/market/instruments-info``, category linear)."""

from __future__ import annotations

from typing import Any

from alephtx.core.model import Instrument, Kind
from alephtx.core.venues.instruments import decimal_text, parse_rows, places_of

KINDS = {"LinearPerpetual": Kind.PERP, "LinearFutures": Kind.FUTURE}


def parse_instruments(answer: dict[str, Any], venue: str) -> list[Instrument]:
    """The trading linear contracts of one page: tick (priceFilter, at least ``priceScale``
    decimals), lot (lotSizeFilter.qtyStep), minimum notional (lotSizeFilter.minNotionalValue)."""
    if answer.get("retCode") != 0:
        raise ValueError(f"instruments: Bybit answered retCode {answer.get('retCode')!r}: {answer.get('retMsg', '')}")

    def one(d: dict[str, Any]) -> Instrument | None:
        kind = KINDS.get(d.get("contractType", ""))
        if kind is None or d.get("status") != "Trading":
            return None
        tick = decimal_text(d["priceFilter"]["tickSize"])
        tick = decimal_text(tick, max(places_of(tick), int(d.get("priceScale") or 0)))
        lots = d["lotSizeFilter"]
        return Instrument.from_strings(
            venue,
            d["symbol"],
            kind,
            tick,
            decimal_text(lots["qtyStep"]),
            decimal_text(lots.get("minNotionalValue") or "0"),
            base=d["baseCoin"],
            quote=d["quoteCoin"],
        )

    return parse_rows(answer.get("result", {}).get("list", []), one, venue)
