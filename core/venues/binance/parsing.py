"""Binance message parsing: depth diffs and snapshots, trades, book tickers, the instrument listing.

``DepthParser`` (Cython, _parsing.pyx) turns a depth message into int64 arrays; ``parse_depth_py``
is its pure-Python twin, built on json and Decimal, and the oracle of the property tests.
Trades and book tickers are decoded with msgspec into typed structs. ``parse_instruments`` reads
exchangeInfo (USD-M or spot) into instruments.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import msgspec

from alephtx.core.errors import FieldError
from alephtx.core.model import Instrument, Kind
from alephtx.core.model.fixed import to_fixed
from alephtx.core.venues.binance._parsing import DepthParser, ParseError, parse_fixed
from alephtx.core.venues.instruments import decimal_text, parse_rows, places_of

__all__ = [
    "BookTicker",
    "DepthParser",
    "ParseError",
    "ParsedDepth",
    "Trade",
    "parse_depth_py",
    "parse_fixed",
    "parse_instruments",
]


@dataclass
class ParsedDepth:
    """What the twin returns; the Cython parser exposes the same fields as attributes."""

    is_snapshot: bool
    first_id: int
    final_id: int
    prev_final_id: int
    event_ms: int
    transact_ms: int
    sides: list[int] = field(default_factory=list)
    prices: list[int] = field(default_factory=list)
    qtys: list[int] = field(default_factory=list)


_UNSIGNED_DECIMAL = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
_LIMIT = 10**18  # the Cython parser's bound: 18 significant digits fit an int64


def _fixed(text: str, precision: int, name: str) -> int:
    if not _UNSIGNED_DECIMAL.fullmatch(text):
        raise ParseError(f"depth message: {name}: must be an unsigned decimal")
    try:
        v = to_fixed(text, precision, name)
    except FieldError as exc:
        raise ParseError(f"depth message: {exc}") from None
    if v >= _LIMIT:
        raise ParseError(f"depth message: {name}: more than 18 significant digits")
    return v


def _levels(raw: object, side: int, name: str, pp: int, sp: int, out: ParsedDepth) -> None:
    if not isinstance(raw, list):
        raise ParseError(f"depth message: {name}: expected a list of [price, size] pairs")
    for i, lvl in enumerate(raw):
        if not (isinstance(lvl, list) and len(lvl) == 2 and all(isinstance(x, str) for x in lvl)):
            raise ParseError(f"depth message: {name}[{i}]: expected a [price, size] pair")
        px = _fixed(lvl[0], pp, f"{name}[{i}].price")
        qty = _fixed(lvl[1], sp, f"{name}[{i}].size")
        if px <= 0:
            raise ParseError(f"depth message: {name}[{i}].price: must be a positive decimal")
        out.sides.append(side)
        out.prices.append(px)
        out.qtys.append(qty)


def parse_depth_py(msg: bytes | str, price_precision: int, size_precision: int, spot: bool = False) -> ParsedDepth:
    """Parse a depth diff (bare or in a combined-stream wrapper) or a REST depth snapshot.

    ``spot``: a spot diff has no ``pu``; prev_final_id is then U - 1."""
    try:
        obj = json.loads(msg)
    except ValueError as exc:
        raise ParseError(f"depth message: not JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise ParseError("depth message: expected a JSON object")
    if isinstance(obj.get("data"), dict):
        obj = obj["data"]
    ints = {}
    for key in ("U", "u", "pu", "E", "T", "lastUpdateId"):
        if key in obj:
            v = obj[key]
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise ParseError(f"depth message: {key}: expected an unsigned integer")
            ints[key] = v
    if "lastUpdateId" in ints:
        if "bids" not in obj or "asks" not in obj:
            raise ParseError("depth message: bids/asks: a snapshot needs both 'bids' and 'asks'")
        lid = ints["lastUpdateId"]
        out = ParsedDepth(True, lid, lid, lid, ints.get("E", 0), ints.get("T", 0))
        _levels(obj["bids"], 1, "bids", price_precision, size_precision, out)
        _levels(obj["asks"], 0, "asks", price_precision, size_precision, out)
        return out
    for key in ("U", "u") if spot else ("U", "u", "pu"):
        if key not in ints:
            raise ParseError(f"depth message: {key}: field is missing")
    if spot:
        ints["pu"] = ints["U"] - 1
    if "b" not in obj or "a" not in obj:
        raise ParseError("depth message: b/a: a depth diff needs both 'b' and 'a'")
    out = ParsedDepth(False, ints["U"], ints["u"], ints["pu"], ints.get("E", 0), ints.get("T", 0))
    _levels(obj["b"], 1, "b", price_precision, size_precision, out)
    _levels(obj["a"], 0, "a", price_precision, size_precision, out)
    return out


class Trade(msgspec.Struct, frozen=True):
    """A `@trade` payload: price and quantity stay strings until converted at the instrument."""

    E: int
    T: int
    s: str
    t: int
    p: str
    q: str
    m: bool  # buyer is the maker: the aggressor sold


class BookTicker(msgspec.Struct, frozen=True):
    """A `@bookTicker` payload: best bid/ask price and size."""

    u: int
    s: str
    b: str
    B: str
    a: str
    A: str
    T: int = 0
    E: int = 0


class AggTrade(msgspec.Struct, frozen=True):
    """An `@aggTrade` payload: the trades one taker order filled at one price, as one."""

    E: int
    T: int
    s: str
    a: int  # the aggregate's id
    p: str
    q: str
    m: bool


class _TradeEnvelope(msgspec.Struct):
    data: Trade


class _AggTradeEnvelope(msgspec.Struct):
    data: AggTrade


class _TickerEnvelope(msgspec.Struct):
    data: BookTicker


TRADE_DECODER = msgspec.json.Decoder(_TradeEnvelope)
TICKER_DECODER = msgspec.json.Decoder(_TickerEnvelope)
AGG_TRADE_DECODER = msgspec.json.Decoder(_AggTradeEnvelope)


def parse_instruments(info: dict[str, Any], venue: str, spot: bool = False) -> list[Instrument]:
    """The symbols of an exchangeInfo answer that trade: tick (PRICE_FILTER), lot (LOT_SIZE), minimum
    notional (MIN_NOTIONAL or NOTIONAL). USD-M states its price and quantity precision apart from
    the tick ("0.10" at precision 2); spot pads ticks to 8 decimals ("0.01000000"), trimmed here."""

    def one(s: dict[str, Any]) -> Instrument | None:
        if s.get("status") != "TRADING" or (spot and s.get("isSpotTradingAllowed") is False):
            return None
        filters = {f["filterType"]: f for f in s.get("filters", [])}
        tick = decimal_text(filters["PRICE_FILTER"]["tickSize"])
        lot = decimal_text(filters["LOT_SIZE"]["stepSize"])
        if not spot:  # at least the venue's stated precision, so that its prices read back exactly
            tick = decimal_text(tick, max(places_of(tick), int(s.get("pricePrecision", 0))))
            lot = decimal_text(lot, max(places_of(lot), int(s.get("quantityPrecision", 0))))
        mn = filters.get("MIN_NOTIONAL") or filters.get("NOTIONAL") or {}
        kind = Kind.SPOT if spot else (Kind.PERP if s.get("contractType") == "PERPETUAL" else Kind.FUTURE)
        return Instrument.from_strings(
            venue,
            s["symbol"],
            kind,
            tick,
            lot,
            decimal_text(mn.get("notional") or mn.get("minNotional") or "0"),
            base=s["baseAsset"],
            quote=s["quoteAsset"],
        )

    return parse_rows(info["symbols"], one, venue)
