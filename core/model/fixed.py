"""Fixed-point money: decimal strings at the boundary, scaled integers inside the core.

A value with precision ``p`` is stored as ``round(value * 10**p)``. Converting is exact: no float
ever touches a price or a quantity. Parsing refuses NaN, infinities, exponents and extra digits
unless the caller asks for rounding, and then rounds in the direction the caller names.
"""

from __future__ import annotations

import functools
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from enum import StrEnum

from alephtx.core.errors import FieldError

MAX_PRECISION = 18


class Rounding(StrEnum):
    """Direction for values that do not fit the grid. ``EXACT`` refuses them."""

    EXACT = "exact"
    DOWN = "down"  # towards minus infinity: the safe way for a buy price or any size
    UP = "up"  # towards plus infinity: the safe way for a sell price


def _check_precision(precision: int) -> None:
    if not 0 <= precision <= MAX_PRECISION:
        raise FieldError("precision", precision, f"must be an integer from 0 to {MAX_PRECISION}")


def to_fixed(
    value: str | int | Decimal,
    precision: int,
    field: str = "value",
    rounding: Rounding = Rounding.EXACT,
) -> int:
    """Parse a decimal string (or int/Decimal) into an integer scaled by ``10**precision``.

    Floats are refused on purpose: ``0.1`` as a float is not 0.1.
    """
    if type(value) is str:  # not through the cache: True == 1 would find 1's entry
        return _str_to_fixed(value, precision, field, rounding)
    return _to_fixed(value, precision, field, rounding)


@functools.lru_cache(maxsize=4096)
def _str_to_fixed(value: str, precision: int, field: str, rounding: Rounding) -> int:
    """Strategies and configs parse the same few strings over and over (a quote size on every
    requote); a Decimal parse is microseconds, a cache hit a tenth of one. Errors are not cached."""
    return _to_fixed(value, precision, field, rounding)


def _to_fixed(value: str | int | Decimal, precision: int, field: str, rounding: Rounding) -> int:
    _check_precision(precision)
    if isinstance(value, bool | float):
        raise FieldError(field, value, "must be a decimal string, not a float or bool")
    if isinstance(value, int):
        return value * 10**precision
    if isinstance(value, str):
        text = value.strip()
        if not text or any(c in text for c in "eEnNiI_"):
            raise FieldError(field, value, "must be a plain decimal number such as '61659.70'")
        try:
            dec = Decimal(text)
        except InvalidOperation:
            raise FieldError(field, value, "must be a plain decimal number such as '61659.70'") from None
    elif isinstance(value, Decimal):
        dec = value
    else:
        raise FieldError(field, value, "must be a decimal string")
    if not dec.is_finite():
        raise FieldError(field, value, "must be a finite number")
    scaled = dec.scaleb(precision)
    whole = scaled.to_integral_value(rounding=ROUND_FLOOR)
    if whole == scaled:
        return int(whole)
    if rounding is Rounding.EXACT:
        raise FieldError(field, value, f"has more than {precision} decimal places")
    mode = ROUND_FLOOR if rounding is Rounding.DOWN else ROUND_CEILING
    return int(scaled.to_integral_value(rounding=mode))


def from_fixed(raw: int, precision: int) -> str:
    """Format a scaled integer as a decimal string with exactly ``precision`` decimals."""
    _check_precision(precision)
    if precision == 0:
        return str(raw)
    sign = "-" if raw < 0 else ""
    digits = str(abs(raw)).rjust(precision + 1, "0")
    return f"{sign}{digits[:-precision]}.{digits[-precision:]}"


def to_decimal(raw: int, precision: int) -> Decimal:
    return Decimal(raw).scaleb(-precision)
