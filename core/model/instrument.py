"""Instruments: what a venue lists and the rules an order on it must follow."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from alephtx.core.errors import FieldError
from alephtx.core.model.enums import Kind
from alephtx.core.model.fixed import Rounding, from_fixed, to_fixed
from alephtx.core.model.ids import ALPHABET


class VenueRules(msgspec.Struct, frozen=True):
    """Rules that differ between venues beyond tick and lot.

    ``max_sig_figs``: Hyperliquid allows at most 5 significant figures in a price (0 = no rule).
    ``client_id_alphabet`` and ``client_id_max_len``: what the venue accepts as a client order id
    (OKX: letters and digits only, at most 32).
    ``contract_size``: base units per contract where the venue sizes orders, books and positions
    in contracts (OKX swaps: ``ctVal``), as decimal text; "" where it sizes them in base units.
    The instrument's own lot and sizes are always in base units; the venue's adapter and streams
    convert at their boundary.
    """

    max_sig_figs: int = 0
    client_id_alphabet: str = ALPHABET
    client_id_max_len: int = 32
    contract_size: str = ""


class Instrument(msgspec.Struct, frozen=True):
    """A tradable instrument. Tick, lot and min notional are fixed-point integers.

    ``tick`` is in units of ``10**-price_precision``, ``lot`` in units of ``10**-size_precision``,
    ``min_notional`` in units of ``10**-(price_precision + size_precision)`` (price times size).
    Build one from decimal strings with :meth:`from_strings`.
    """

    venue: str
    symbol: str
    kind: Kind
    price_precision: int
    size_precision: int
    tick: int
    lot: int
    min_notional: int = 0
    base: str = ""
    quote: str = ""
    rules: VenueRules = VenueRules()
    tradable: bool = True

    @classmethod
    def from_strings(
        cls,
        venue: str,
        symbol: str,
        kind: Kind | str,
        tick_size: str,
        lot_size: str,
        min_notional: str = "0",
        *,
        base: str = "",
        quote: str = "",
        rules: VenueRules | None = None,
    ) -> Instrument:
        pp = _places("tick_size", tick_size)
        sp = _places("lot_size", lot_size)
        tick = to_fixed(tick_size, pp, "tick_size")
        lot = to_fixed(lot_size, sp, "lot_size")
        if tick <= 0:
            raise FieldError("tick_size", tick_size, "must be greater than zero")
        if lot <= 0:
            raise FieldError("lot_size", lot_size, "must be greater than zero")
        try:
            kind = Kind(kind)
        except ValueError:
            raise FieldError("kind", kind, f"must be one of {[k.value for k in Kind]}") from None
        mn = to_fixed(min_notional, pp + sp, "min_notional", Rounding.UP)
        if mn < 0:
            raise FieldError("min_notional", min_notional, "must not be negative")
        return cls(venue, symbol, kind, pp, sp, tick, lot, mn, base, quote, rules or VenueRules())

    @property
    def key(self) -> str:
        return f"{self.venue}:{self.symbol}"

    # -- boundary conversions -------------------------------------------------------------------

    def average_price(self, value: str | Decimal, field: str = "avgPrice") -> int:
        """An average price a venue reports (a position's entry): not on the tick nor bound to
        the instrument's decimals, so rounded down to them; 0 for "0" or empty."""
        try:
            zero = not value or not Decimal(value)
        except ArithmeticError:
            raise FieldError(field, value, "not a decimal number") from None
        return 0 if zero else to_fixed(value, self.price_precision, field, Rounding.DOWN)

    def price(self, value: str | Decimal, field: str = "price", rounding: Rounding = Rounding.EXACT) -> int:
        """Parse a price and check it is positive, on the tick grid and within the venue's rules.

        With ``rounding`` DOWN or UP, a price off the grid is moved to the grid in that direction
        instead of refused (DOWN is safe for buys, UP for sells).
        """
        raw = to_fixed(value, self.price_precision, field, rounding)
        if raw <= 0:
            raise FieldError(field, value, "must be greater than zero")
        rem = raw % self.tick
        if rem:
            if rounding is Rounding.EXACT:
                raise FieldError(field, value, f"must be a multiple of the tick size {self.tick_size}")
            raw = raw - rem if rounding is Rounding.DOWN else raw - rem + self.tick
        if self.rules.max_sig_figs:
            raw = self._sig_figs(raw, value, field, rounding)
        return raw

    def size(self, value: str | Decimal, field: str = "quantity", rounding: Rounding = Rounding.EXACT) -> int:
        """Parse a quantity and check it is positive and on the lot grid (rounding only DOWN)."""
        if rounding is Rounding.UP:
            raise FieldError(field, value, "sizes are only ever rounded down")
        raw = to_fixed(value, self.size_precision, field, rounding)
        rem = raw % self.lot
        if rem:
            if rounding is Rounding.EXACT:
                raise FieldError(field, value, f"must be a multiple of the lot size {self.lot_size}")
            raw -= rem
        if raw <= 0:
            raise FieldError(field, value, "must be greater than zero")
        return raw

    def notional(self, price: int, size: int) -> int:
        """Price times size, in units of 10**-(price_precision + size_precision)."""
        return price * size

    def check_min_notional(self, price: int, size: int, field: str = "quantity") -> None:
        if self.min_notional and price * size < self.min_notional:
            raise FieldError(
                field,
                self.format_size(size),
                f"notional {from_fixed(price * size, self.price_precision + self.size_precision)} "
                f"is below the minimum {self.min_notional_str}",
            )

    def format_price(self, raw: int) -> str:
        return from_fixed(raw, self.price_precision)

    def format_size(self, raw: int) -> str:
        return from_fixed(raw, self.size_precision)

    @property
    def tick_size(self) -> str:
        return from_fixed(self.tick, self.price_precision)

    @property
    def lot_size(self) -> str:
        return from_fixed(self.lot, self.size_precision)

    @property
    def min_notional_str(self) -> str:
        return from_fixed(self.min_notional, self.price_precision + self.size_precision)

    def _sig_figs(self, raw: int, value: object, field: str, rounding: Rounding) -> int:
        digits = len(str(raw).rstrip("0")) if raw else 0
        # Integer prices are always allowed on Hyperliquid whatever their digit count.
        if raw % 10**self.price_precision == 0 or digits <= self.rules.max_sig_figs:
            return raw
        excess = len(str(raw)) - self.rules.max_sig_figs
        unit = 10**excess
        if rounding is Rounding.EXACT:
            raise FieldError(field, value, f"has more than {self.rules.max_sig_figs} significant figures")
        down = raw - raw % unit
        return down if rounding is Rounding.DOWN else down + unit


def _places(field: str, text: str) -> int:
    """Decimal places of a tick or lot string such as '0.10' -> 2 ('1e-5' is refused)."""
    if not isinstance(text, str):
        raise FieldError(field, text, "must be a decimal string such as '0.01'")
    to_fixed(text, 0, field, Rounding.DOWN)  # validates the text
    _, _, frac = text.strip().partition(".")
    return len(frac)
