r"""Fixed-point money: decimal strings at the boundary, scaled integers inside the core.

A value with precision ``p`` is stored as ``round(value * 10**p)``. Converting is exact: no float
ever touches a price or a quantity. Parsing accepts only ASCII
``-?[0-9]+(\.[0-9]+)?``, refuses extra digits unless the caller asks for rounding (and then rounds
in the direction the caller names), and refuses any value whose scaled integer leaves int64.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from enum import StrEnum

from alephtx.core.errors import FieldError

MAX_PRECISION = 18
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


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


# The only accepted text: ASCII digits, one optional fraction, a leading '-' at most. No '+', no
# spaces, no exponent, no Unicode digits ('٠', '１'): what is not this exact shape is refused.
_DECIMAL = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?\Z", re.ASCII)
_MAX_TEXT = 64  # longer than any int64 with 18 places; also keeps int() away from huge strings
PLAIN = "must be a plain decimal string such as '61659.70' (ASCII digits, at most one '.', no sign but '-')"


def _to_fixed(value: str | int | Decimal, precision: int, field: str, rounding: Rounding) -> int:
    _check_precision(precision)
    if isinstance(value, bool | float):
        raise FieldError(field, value, "must be a decimal string, not a float or bool")
    if isinstance(value, int):
        return _in_range(value * 10**precision, value, field)
    if isinstance(value, str):
        m = _DECIMAL.match(value) if len(value) <= _MAX_TEXT else None
        if m is None:
            raise FieldError(field, value, PLAIN)
        negative, whole, frac = m.group(1) == "-", m.group(2), m.group(3) or ""
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise FieldError(field, value, "must be a finite number")
        sign, digits, exp = value.as_tuple()
        assert isinstance(exp, int)
        text = "".join(map(str, digits)) + "0" * max(exp, 0)
        places = -min(exp, 0)
        text = text.rjust(places + 1, "0")  # at least one digit before the point
        negative, whole, frac = bool(sign), text[: len(text) - places], text[len(text) - places :]
    else:
        raise FieldError(field, value, "must be a decimal string")
    # Exact integer arithmetic: no Decimal context, whose 28 digits once rounded
    # "0.0019999999999999999999999999999" up to 0.002.
    kept, extra = frac[:precision].ljust(precision, "0"), frac[precision:]
    raw = int(whole + kept)
    if extra.strip("0"):
        if rounding is Rounding.EXACT:
            raise FieldError(field, value, f"has more than {precision} decimal places")
        if (rounding is Rounding.UP) != negative:  # the magnitude grows: UP on a positive, DOWN on a negative
            raw += 1
    return _in_range(-raw if negative else raw, value, field)


def _in_range(raw: int, value: object, field: str) -> int:
    """Every fixed-point value in the core is an int64: a larger one is refused here, at the boundary."""
    if not INT64_MIN <= raw <= INT64_MAX:
        raise FieldError(field, value, "is beyond what can be represented (a 64-bit integer of the smallest unit)")
    return raw


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
