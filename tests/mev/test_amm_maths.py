"""The AMM maths against the numbers in Uniswap's own test suites, and against their invariants."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alephtx.core.errors import FieldError
from alephtx.core.mev import univ2, univ3
from alephtx.core.mev.errors import MathRevert
from tests.mev import uniswap_vectors as uv

# --- Uniswap V2 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("amount_in", "reserve0", "reserve1", "expected"), uv.SWAP_TEST_CASES)
def test_v2_pair_swap_cases(amount_in: int, reserve0: int, reserve1: int, expected: int) -> None:
    assert univ2.get_amount_out(amount_in, reserve0, reserve1) == expected


@pytest.mark.parametrize(("amount_out", "reserve0", "reserve1", "amount_in"), uv.OPTIMISTIC_TEST_CASES[3:])
def test_v2_pair_optimistic_amount_in(amount_out: int, reserve0: int, reserve1: int, amount_in: int) -> None:
    # Taking token0 out of a flash swap costs ceil(out / 0.997) of token0: the K check's fee alone.
    assert -(-amount_out * 1000 // 997) == amount_in


@pytest.mark.parametrize(("args", "expected"), [(c[:3], c[3]) for c in uv.GET_AMOUNT_OUT])
def test_v2_get_amount_out(args: tuple[int, int, int], expected: Any) -> None:
    if expected == uv.REVERT:
        with pytest.raises(FieldError):
            univ2.get_amount_out(*args)
    else:
        assert univ2.get_amount_out(*args) == expected


@pytest.mark.parametrize(("args", "expected"), [(c[:3], c[3]) for c in uv.GET_AMOUNT_IN])
def test_v2_get_amount_in(args: tuple[int, int, int], expected: Any) -> None:
    if expected == uv.REVERT:
        with pytest.raises(FieldError):
            univ2.get_amount_in(*args)
    else:
        assert univ2.get_amount_in(*args) == expected


@pytest.mark.parametrize(("args", "expected"), [(c[:3], c[3]) for c in uv.QUOTE])
def test_v2_quote(args: tuple[int, int, int], expected: Any) -> None:
    if expected == uv.REVERT:
        with pytest.raises(FieldError):
            univ2.quote(*args)
    else:
        assert univ2.quote(*args) == expected


def test_v2_errors_name_the_field() -> None:
    with pytest.raises(FieldError, match="amount_in"):
        univ2.get_amount_out(1.5, 10, 10)
    with pytest.raises(FieldError, match="fee_bps"):
        univ2.get_amount_out(1, 10, 10, fee_bps=10_000)
    with pytest.raises(FieldError, match=r"amount_out.*below reserve_out"):
        univ2.get_amount_in(10, 10, 10)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**30), st.integers(1, 10**30), st.integers(1, 10**30), st.sampled_from([0, 5, 25, 30, 100]))
def test_v2_amount_in_buys_at_least_that_output(a: int, rin: int, rout: int, fee: int) -> None:
    out = univ2.get_amount_out(a, rin, rout, fee)
    if out == 0:
        return
    need = univ2.get_amount_in(out, rin, rout, fee)
    assert univ2.get_amount_out(need, rin, rout, fee) >= out
    assert need <= a + 1  # the contract rounds up by adding 1, even when the division is exact


def test_v2_fee_bps_30_is_the_contracts_997_over_1000() -> None:
    a, rin, rout = 123_456_789_000, 10**21, 3 * 10**24
    assert univ2.get_amount_out(a, rin, rout) == a * 997 * rout // (rin * 1000 + a * 997)


# --- Uniswap V3: TickMath -------------------------------------------------------------------------


@pytest.mark.parametrize(("tick", "expected"), uv.GET_SQRT_RATIO_AT_TICK_EXACT)
def test_sqrt_ratio_at_tick_exact(tick: int, expected: int) -> None:
    assert univ3.get_sqrt_ratio_at_tick(tick) == expected


@pytest.mark.parametrize(("tick", "expected"), sorted(uv.GET_SQRT_RATIO_AT_TICK_SNAPSHOT.items()))
def test_sqrt_ratio_at_tick_snapshot(tick: int, expected: int) -> None:
    assert univ3.get_sqrt_ratio_at_tick(tick) == expected


@pytest.mark.parametrize("tick", uv.GET_SQRT_RATIO_AT_TICK_REVERTS)
def test_sqrt_ratio_at_tick_out_of_range(tick: int) -> None:
    with pytest.raises(FieldError, match="tick"):
        univ3.get_sqrt_ratio_at_tick(tick)


@pytest.mark.parametrize(("ratio", "expected"), uv.GET_TICK_AT_SQRT_RATIO_EXACT)
def test_tick_at_sqrt_ratio_exact(ratio: int, expected: int) -> None:
    assert univ3.get_tick_at_sqrt_ratio(ratio) == expected


@pytest.mark.parametrize(("expression", "ratio", "expected"), uv.GET_TICK_AT_SQRT_RATIO_SNAPSHOT)
def test_tick_at_sqrt_ratio_snapshot(expression: str, ratio: int, expected: int) -> None:
    if expression.startswith("encode_price_sqrt"):
        assert eval(expression, {"encode_price_sqrt": uv.encode_price_sqrt}) == ratio
    assert univ3.get_tick_at_sqrt_ratio(ratio) == expected


@pytest.mark.parametrize("ratio", uv.GET_TICK_AT_SQRT_RATIO_REVERTS)
def test_tick_at_sqrt_ratio_out_of_range(ratio: int) -> None:
    with pytest.raises(FieldError, match="sqrt_price_x96"):
        univ3.get_tick_at_sqrt_ratio(ratio)


@settings(max_examples=400, deadline=None)
@given(st.integers(uv.MIN_SQRT_RATIO, uv.MAX_SQRT_RATIO - 1))
def test_tick_brackets_its_ratio(ratio: int) -> None:
    tick = univ3.get_tick_at_sqrt_ratio(ratio)
    assert univ3.get_sqrt_ratio_at_tick(tick) <= ratio
    if tick < uv.MAX_TICK:
        assert ratio < univ3.get_sqrt_ratio_at_tick(tick + 1)


# --- Uniswap V3: SqrtPriceMath ----------------------------------------------------------------------


def _outcome(fn: Any, args: tuple[Any, ...]) -> Any:
    """What the contract gives: the value, or REVERT where it would revert."""
    try:
        return fn(*args)
    except (FieldError, MathRevert):
        return uv.REVERT


@pytest.mark.parametrize("case", uv.GET_NEXT_SQRT_PRICE_FROM_INPUT)
def test_next_sqrt_price_from_input(case: tuple[Any, ...]) -> None:
    assert _outcome(univ3.get_next_sqrt_price_from_input, case[:4]) == case[4]


@pytest.mark.parametrize("case", uv.GET_NEXT_SQRT_PRICE_FROM_OUTPUT)
def test_next_sqrt_price_from_output(case: tuple[Any, ...]) -> None:
    assert _outcome(univ3.get_next_sqrt_price_from_output, case[:4]) == case[4]


@pytest.mark.parametrize("case", uv.GET_AMOUNT0_DELTA)
def test_amount0_delta(case: tuple[Any, ...]) -> None:
    assert _outcome(univ3.get_amount0_delta, case[:4]) == case[4]


@pytest.mark.parametrize("case", uv.GET_AMOUNT1_DELTA)
def test_amount1_delta(case: tuple[Any, ...]) -> None:
    assert _outcome(univ3.get_amount1_delta, case[:4]) == case[4]


def test_amount0_delta_for_prices_whose_product_overflows() -> None:
    a, b = uv.encode_price_sqrt(2**90, 1), uv.encode_price_sqrt(2**96, 1)
    up = univ3.get_amount0_delta(a, b, 10**18, True)
    assert up == univ3.get_amount0_delta(a, b, 10**18, False) + 1


def test_swap_computation_where_sqrt_p_times_sqrt_q_overflows() -> None:
    c = uv.SWAP_COMPUTATION_OVERFLOW
    q = univ3.get_next_sqrt_price_from_input(c["sqrtP"], c["liquidity"], c["amountIn"], c["zeroForOne"])
    assert q == c["expected_sqrtQ"]
    assert univ3.get_amount0_delta(q, c["sqrtP"], c["liquidity"], True) == c["expected_amount0Delta_roundUp"]


# --- Uniswap V3: SwapMath ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", uv.COMPUTE_SWAP_STEP, ids=[str(c["name"]) for c in uv.COMPUTE_SWAP_STEP])
def test_compute_swap_step(case: dict[str, Any]) -> None:
    q, amount_in, amount_out, fee = univ3.compute_swap_step(
        case["price"], case["priceTarget"], case["liquidity"], case["amount"], case["fee"]
    )
    want = case["expected"]
    assert (amount_in, amount_out, fee) == (want["amountIn"], want["amountOut"], want["feeAmount"])
    if isinstance(want["sqrtQ"], int):
        assert q == want["sqrtQ"]
    elif case["amount"] > 0:  # fully spent: the price is where the input less the fee takes it
        assert amount_in + fee == case["amount"]
        assert q == univ3.get_next_sqrt_price_from_input(case["price"], case["liquidity"], case["amount"] - fee, False)
        assert q < case["priceTarget"]
    else:
        assert q == univ3.get_next_sqrt_price_from_output(case["price"], case["liquidity"], -case["amount"], False)
        assert q < case["priceTarget"]


@settings(max_examples=300, deadline=None)
@given(
    st.integers(uv.MIN_SQRT_RATIO, uv.MAX_SQRT_RATIO - 1),
    st.integers(uv.MIN_SQRT_RATIO, uv.MAX_SQRT_RATIO - 1),
    st.integers(1, 2**128 - 1),
    st.integers(-(2**128), 2**128).filter(bool),
    st.integers(0, 999_999),
)
def test_swap_step_invariants(price: int, target: int, liquidity: int, amount: int, fee: int) -> None:
    # The properties v3-core's SwapMath echidna test asserts.
    try:
        q, amount_in, amount_out, fee_amount = univ3.compute_swap_step(price, target, liquidity, amount, fee)
    except MathRevert:
        return
    if amount > 0:
        assert amount_in + fee_amount <= amount
    else:
        assert amount_out <= -amount
    if price == target:
        assert (q, amount_in, amount_out, fee_amount) == (price, 0, 0, 0)
    if q != target:  # not reached: all of it was used
        if amount > 0:
            assert amount_in + fee_amount == amount
        else:
            assert amount_out == -amount
    zero_for_one = price >= target
    assert (target <= q <= price) if zero_for_one else (price <= q <= target)


# --- Uniswap V3: a swap across initialised ticks ------------------------------------------------------


def _one_position_pool(liquidity: int, lower: int, upper: int) -> dict[int, int]:
    return {lower: liquidity, upper: -liquidity}


def test_swap_within_one_range_is_one_step() -> None:
    price = uv.encode_price_sqrt(1, 1)
    result = univ3.swap(
        sqrt_price_x96=price, tick=0, liquidity=2 * 10**18, fee_pips=600, tick_spacing=60,
        liquidity_net=_one_position_pool(2 * 10**18, -887220, 887220), zero_for_one=False,
        amount_specified=10**15,
    )  # fmt: skip
    q, amount_in, amount_out, fee = univ3.compute_swap_step(
        price, univ3.get_sqrt_ratio_at_tick(15360), 2 * 10**18, 10**15, 600
    )
    assert (result.amount1, result.amount0, result.sqrt_price_x96) == (amount_in + fee, -amount_out, q)
    assert result.tick == univ3.get_tick_at_sqrt_ratio(q)


def test_swap_crosses_a_tick_and_drops_the_liquidity_there() -> None:
    # Two positions: wide and narrow around the price. Selling enough token0 leaves the narrow one.
    net = {-887220: 10**18, 887220: -(10**18), -600: 5 * 10**18, 600: -5 * 10**18}
    result = univ3.swap(
        sqrt_price_x96=uv.encode_price_sqrt(1, 1), tick=0, liquidity=6 * 10**18, fee_pips=3000,
        tick_spacing=60, liquidity_net=net, zero_for_one=True, amount_specified=10**18,
    )  # fmt: skip
    assert result.ticks_crossed == 1
    assert result.liquidity == 10**18
    assert result.tick < -600
    assert result.amount0 == 10**18 and result.amount1 < 0
    # Exact output back the other way must cost more than was received (fees both ways).
    back = univ3.swap(
        sqrt_price_x96=result.sqrt_price_x96, tick=result.tick, liquidity=result.liquidity, fee_pips=3000,
        tick_spacing=60, liquidity_net=net, zero_for_one=False, amount_specified=-(10**18),
    )  # fmt: skip
    assert back.amount0 == -(10**18)
    assert back.amount1 > -result.amount1


def test_swap_rejects_a_bad_limit_and_misaligned_ticks() -> None:
    p = uv.encode_price_sqrt(1, 1)
    with pytest.raises(FieldError, match="sqrt_price_limit_x96"):
        univ3.swap(sqrt_price_x96=p, tick=0, liquidity=1, fee_pips=500, tick_spacing=10, liquidity_net={},
                   zero_for_one=True, amount_specified=1, sqrt_price_limit_x96=p + 1)  # fmt: skip
    with pytest.raises(FieldError, match="multiple of 10"):
        univ3.swap(sqrt_price_x96=p, tick=0, liquidity=1, fee_pips=500, tick_spacing=10, liquidity_net={5: 1},
                   zero_for_one=True, amount_specified=1)  # fmt: skip
