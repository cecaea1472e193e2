from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alephtx.core.errors import FieldError
from alephtx.core.model import Rounding, from_fixed, to_fixed


@pytest.mark.parametrize(
    ("text", "precision", "raw"),
    [("0.1", 1, 1), ("61659.70", 2, 6165970), ("0.001", 3, 1), ("5", 0, 5), ("1.50", 3, 1500), ("-2.5", 1, -25)],
)
def test_parse(text: str, precision: int, raw: int) -> None:
    assert to_fixed(text, precision) == raw


def test_round_trip_of_point_one() -> None:
    assert from_fixed(to_fixed("0.1", 1), 1) == "0.1"
    assert from_fixed(to_fixed("0.1", 8), 8) == "0.10000000"


@pytest.mark.parametrize(
    "bad",
    ["NaN", "nan", "Infinity", "-inf", "1e5", "", "  ", "1,5", "0x10", "1_000", "abc",
     "\u0660.\u0660\u0660\u0661", "\uff11", "+1", " 1", "1 ", "1\n", ".5", "5.", "--1", "1.2.3", "\u00b9", "1" * 65],
)  # fmt: skip
def test_refuses_what_is_not_a_plain_decimal(bad: str) -> None:
    with pytest.raises(FieldError) as err:
        to_fixed(bad, 2, "price")
    assert err.value.field == "price"
    assert "price=" in str(err.value)


def test_refuses_floats_and_bools() -> None:
    with pytest.raises(FieldError, match="not a float"):
        to_fixed(0.1, 1)  # type: ignore[arg-type]
    with pytest.raises(FieldError):
        to_fixed(True, 1)  # type: ignore[arg-type]


def test_extra_places_refused_unless_rounding_asked() -> None:
    with pytest.raises(FieldError, match="more than 2 decimal places"):
        to_fixed("1.005", 2, "price")
    assert to_fixed("1.005", 2, rounding=Rounding.DOWN) == 100
    assert to_fixed("1.005", 2, rounding=Rounding.UP) == 101
    assert to_fixed("-1.005", 2, rounding=Rounding.DOWN) == -101


def test_precision_bounds() -> None:
    with pytest.raises(FieldError, match="precision"):
        to_fixed("1", 19)


def test_more_places_than_precision_are_refused_never_rounded() -> None:
    """Decimal's 28-digit context once turned this size into 0.002 (rounded up)."""
    with pytest.raises(FieldError, match="more than 3 decimal places"):
        to_fixed("0.0019999999999999999999999999999", 3, "quantity")
    assert to_fixed("0.0019999999999999999999999999999", 3, rounding=Rounding.DOWN) == 1
    assert to_fixed("0.00100000000000000000000000000000", 3) == 1  # zeros past the places are exact
    assert to_fixed(Decimal("0.0019999999999999999999999999999"), 3, rounding=Rounding.DOWN) == 1


def test_values_beyond_int64_are_refused_at_the_boundary() -> None:
    assert to_fixed("9223372036854775.807", 3) == 2**63 - 1
    assert to_fixed("-9223372036854775.808", 3) == -(2**63)
    for text in ("9223372036854775.808", "92233720368547758080", "-9223372036854775.809"):
        with pytest.raises(FieldError, match="beyond what can be represented") as err:
            to_fixed(text, 3, "price")
        assert err.value.field == "price"
    with pytest.raises(FieldError, match="beyond"):
        to_fixed(2**70, 0, "quantity")


def test_error_text_shortens_the_value() -> None:
    with pytest.raises(FieldError) as err:
        to_fixed("x" * 10_000, 2, "price")
    assert len(str(err.value)) < 300 and "10002 chars" in str(err.value)


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1), st.integers(min_value=0, max_value=18))
def test_round_trip_property(raw: int, precision: int) -> None:
    text = from_fixed(raw, precision)
    assert to_fixed(text, precision) == raw
    assert Decimal(text) == Decimal(raw).scaleb(-precision)


def test_the_parse_cache_keeps_every_refusal() -> None:
    assert to_fixed("0.010", 3) == to_fixed("0.010", 3) == 10  # the second comes from the cache
    assert to_fixed(1, 2) == 100
    for _ in range(2):  # refused again, not answered from the cache
        with pytest.raises(FieldError, match="not a float or bool"):
            to_fixed(True, 2)
        with pytest.raises(FieldError, match="more than 3 decimal places"):
            to_fixed("0.0101", 3)
