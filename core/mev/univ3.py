"""Uniswap V3 maths in exact integers: TickMath, SqrtPriceMath, SwapMath and a swap across ticks.

Each function rounds where the v3-core libraries round and raises ``MathRevert`` where they revert
(out-of-range ticks and prices, uint160/uint256 overflow, not enough liquidity), so results agree
with the contracts bit for bit. Prices are Q64.96 square roots (``sqrt_price_x96``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from alephtx.core.mev.errors import FieldError, MathRevert, require_int

__all__ = [
    "MAX_SQRT_RATIO",
    "MAX_TICK",
    "MIN_SQRT_RATIO",
    "MIN_TICK",
    "Q96",
    "SwapResult",
    "compute_swap_step",
    "get_amount0_delta",
    "get_amount1_delta",
    "get_next_sqrt_price_from_input",
    "get_next_sqrt_price_from_output",
    "get_sqrt_ratio_at_tick",
    "get_tick_at_sqrt_ratio",
    "swap",
]

MIN_TICK = -887272
MAX_TICK = 887272
MIN_SQRT_RATIO = 4295128739
MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342
Q96 = 1 << 96
_U256 = (1 << 256) - 1
_U160 = (1 << 160) - 1
_U128 = (1 << 128) - 1
_PIPS = 1_000_000

# sqrt(1.0001)^-(2^i) in Q128.128, one factor per bit of |tick| (TickMath's constants).
_TICK_FACTORS = (
    (0x2, 0xFFF97272373D413259A46990580E213A),
    (0x4, 0xFFF2E50F5F656932EF12357CF3C7FDCC),
    (0x8, 0xFFE5CACA7E10E4E61C3624EAA0941CD0),
    (0x10, 0xFFCB9843D60F6159C9DB58835C926644),
    (0x20, 0xFF973B41FA98C081472E6896DFB254C0),
    (0x40, 0xFF2EA16466C96A3843EC78B326B52861),
    (0x80, 0xFE5DEE046A99A2A811C461F1969C3053),
    (0x100, 0xFCBE86C7900A88AEDCFFC83B479AA3A4),
    (0x200, 0xF987A7253AC413176F2B074CF7815E54),
    (0x400, 0xF3392B0822B70005940C7A398E4B70F3),
    (0x800, 0xE7159475A2C29B7443B29C7FA6E889D9),
    (0x1000, 0xD097F3BDFD2022B8845AD8F792AA5825),
    (0x2000, 0xA9F746462D870FDF8A65DC1F90E061E5),
    (0x4000, 0x70D869A156D2A1B890BB3DF62BAF32F7),
    (0x8000, 0x31BE135F97D08FD981231505542FCFA6),
    (0x10000, 0x9AA508B5B7A84E1C677DE54F3E99BC9),
    (0x20000, 0x5D6AF8DEDB81196699C329225EE604),
    (0x40000, 0x2216E584F5FA1EA926041BEDFE98),
    (0x80000, 0x48A170391F7DC42444E8FA2),
)
_LOG_SQRT10001 = 255738958999603826347141  # 2^64 / log2(sqrt(1.0001)), Q64.64 to Q128.128
_TICK_LOW_ERR = 3402992956809132418596140100660247210
_TICK_HIGH_ERR = 291339464771989622907027621153398088495


# --- FullMath / UnsafeMath ----------------------------------------------------------------------


def _mul_div(a: int, b: int, denominator: int) -> int:
    if denominator == 0:
        raise MathRevert("FullMath.mulDiv: denominator is zero")
    result = a * b // denominator
    if result > _U256:
        raise MathRevert("FullMath.mulDiv: result overflows uint256")
    return result


def _mul_div_up(a: int, b: int, denominator: int) -> int:
    result = _mul_div(a, b, denominator)
    if a * b % denominator:
        if result == _U256:
            raise MathRevert("FullMath.mulDivRoundingUp: result overflows uint256")
        result += 1
    return result


def _div_up(x: int, y: int) -> int:
    return -(-x // y)


def _to_u160(value: int, what: str) -> int:
    if value > _U160:
        raise MathRevert(f"{what} overflows uint160")
    return value


# --- TickMath ------------------------------------------------------------------------------------


def get_sqrt_ratio_at_tick(tick: int) -> int:
    """sqrt(1.0001^tick) as Q64.96, rounded up (TickMath.getSqrtRatioAtTick)."""
    require_int("tick", tick, minimum=MIN_TICK, maximum=MAX_TICK)
    abs_tick = -tick if tick < 0 else tick
    ratio = 0xFFFCB933BD6FAD37AA2D162D1A594001 if abs_tick & 1 else 1 << 128
    for bit, factor in _TICK_FACTORS:
        if abs_tick & bit:
            ratio = (ratio * factor) >> 128
    if tick > 0:
        ratio = _U256 // ratio
    return (ratio >> 32) + (1 if ratio & 0xFFFFFFFF else 0)


def get_tick_at_sqrt_ratio(sqrt_price_x96: int) -> int:
    """The greatest tick whose sqrt ratio is <= ``sqrt_price_x96`` (TickMath.getTickAtSqrtRatio)."""
    require_int("sqrt_price_x96", sqrt_price_x96, minimum=MIN_SQRT_RATIO, maximum=MAX_SQRT_RATIO - 1)
    ratio = sqrt_price_x96 << 32
    msb = ratio.bit_length() - 1
    r = ratio >> (msb - 127) if msb >= 128 else ratio << (127 - msb)
    log_2 = (msb - 128) << 64
    # Fourteen bits of the fractional part by repeated squaring, exactly as the contract does:
    # the tick it returns depends on this truncated log, not on the exact one.
    for shift in range(63, 49, -1):
        r = (r * r) >> 127
        f = r >> 128
        log_2 |= f << shift
        r >>= f
    log_sqrt10001 = log_2 * _LOG_SQRT10001
    tick_low = (log_sqrt10001 - _TICK_LOW_ERR) >> 128
    tick_high = (log_sqrt10001 + _TICK_HIGH_ERR) >> 128
    if tick_low == tick_high:
        return tick_low
    return tick_high if get_sqrt_ratio_at_tick(tick_high) <= sqrt_price_x96 else tick_low


# --- SqrtPriceMath -------------------------------------------------------------------------------


def _next_from_amount0_rounding_up(sqrt_p: int, liquidity: int, amount: int, add: bool) -> int:
    if amount == 0:
        return sqrt_p
    numerator1 = liquidity << 96
    product = amount * sqrt_p
    if add:
        if product <= _U256 and numerator1 + product <= _U256:
            return _mul_div_up(numerator1, sqrt_p, numerator1 + product)
        return _div_up(numerator1, numerator1 // sqrt_p + amount)
    if product > _U256 or numerator1 <= product:
        raise MathRevert("SqrtPriceMath: output exceeds the token0 reserves in range")
    return _to_u160(_mul_div_up(numerator1, sqrt_p, numerator1 - product), "next sqrt price")


def _next_from_amount1_rounding_down(sqrt_p: int, liquidity: int, amount: int, add: bool) -> int:
    if add:
        quotient = (amount << 96) // liquidity
        if sqrt_p + quotient > _U256:
            raise MathRevert("SqrtPriceMath: sqrt price overflows uint256")
        return _to_u160(sqrt_p + quotient, "next sqrt price")
    quotient = _mul_div_up(amount, Q96, liquidity)
    if sqrt_p <= quotient:
        raise MathRevert("SqrtPriceMath: output exceeds the token1 reserves in range")
    return sqrt_p - quotient


def _price_and_liquidity(sqrt_price_x96: int, liquidity: int) -> None:
    require_int("sqrt_price_x96", sqrt_price_x96, minimum=1, maximum=_U160)
    require_int("liquidity", liquidity, minimum=1, maximum=_U128)


def get_next_sqrt_price_from_input(sqrt_price_x96: int, liquidity: int, amount_in: int, zero_for_one: bool) -> int:
    """The price after ``amount_in`` of token0 (zero_for_one) or token1 goes in; never past it."""
    _price_and_liquidity(sqrt_price_x96, liquidity)
    require_int("amount_in", amount_in, maximum=_U256)
    if zero_for_one:
        return _next_from_amount0_rounding_up(sqrt_price_x96, liquidity, amount_in, True)
    return _next_from_amount1_rounding_down(sqrt_price_x96, liquidity, amount_in, True)


def get_next_sqrt_price_from_output(sqrt_price_x96: int, liquidity: int, amount_out: int, zero_for_one: bool) -> int:
    """The price after ``amount_out`` of token1 (zero_for_one) or token0 comes out; at least it."""
    _price_and_liquidity(sqrt_price_x96, liquidity)
    require_int("amount_out", amount_out, maximum=_U256)
    if zero_for_one:
        return _next_from_amount1_rounding_down(sqrt_price_x96, liquidity, amount_out, False)
    return _next_from_amount0_rounding_up(sqrt_price_x96, liquidity, amount_out, False)


def get_amount0_delta(sqrt_a_x96: int, sqrt_b_x96: int, liquidity: int, round_up: bool) -> int:
    """Token0 between two prices for ``liquidity`` (either order), rounded as asked."""
    if sqrt_a_x96 > sqrt_b_x96:
        sqrt_a_x96, sqrt_b_x96 = sqrt_b_x96, sqrt_a_x96
    if sqrt_a_x96 == 0:
        raise MathRevert("SqrtPriceMath.getAmount0Delta: price is zero")
    numerator1 = liquidity << 96
    numerator2 = sqrt_b_x96 - sqrt_a_x96
    if round_up:
        return _div_up(_mul_div_up(numerator1, numerator2, sqrt_b_x96), sqrt_a_x96)
    return _mul_div(numerator1, numerator2, sqrt_b_x96) // sqrt_a_x96


def get_amount1_delta(sqrt_a_x96: int, sqrt_b_x96: int, liquidity: int, round_up: bool) -> int:
    """Token1 between two prices for ``liquidity`` (either order), rounded as asked."""
    if sqrt_a_x96 > sqrt_b_x96:
        sqrt_a_x96, sqrt_b_x96 = sqrt_b_x96, sqrt_a_x96
    if round_up:
        return _mul_div_up(liquidity, sqrt_b_x96 - sqrt_a_x96, Q96)
    return _mul_div(liquidity, sqrt_b_x96 - sqrt_a_x96, Q96)


# --- SwapMath ------------------------------------------------------------------------------------


def compute_swap_step(
    sqrt_current_x96: int,
    sqrt_target_x96: int,
    liquidity: int,
    amount_remaining: int,
    fee_pips: int,
) -> tuple[int, int, int, int]:
    """One step of a swap within a tick range: ``(sqrt_next_x96, amount_in, amount_out, fee)``.

    ``amount_remaining`` > 0 is an exact input, < 0 an exact output (SwapMath.computeSwapStep).
    """
    require_int("sqrt_current_x96", sqrt_current_x96, minimum=1, maximum=_U160)
    require_int("sqrt_target_x96", sqrt_target_x96, minimum=1, maximum=_U160)
    require_int("liquidity", liquidity, maximum=_U128)
    require_int("amount_remaining", amount_remaining, minimum=-(1 << 255), maximum=(1 << 255) - 1)
    require_int("fee_pips", fee_pips, maximum=_PIPS - 1)
    return _swap_step(sqrt_current_x96, sqrt_target_x96, liquidity, amount_remaining, fee_pips)


def _swap_step(current: int, target: int, liquidity: int, remaining: int, fee_pips: int) -> tuple[int, int, int, int]:
    zero_for_one = current >= target
    exact_in = remaining >= 0
    amount_in = amount_out = 0
    if exact_in:
        less_fee = _mul_div(remaining, _PIPS - fee_pips, _PIPS)
        amount_in = (
            get_amount0_delta(target, current, liquidity, True)
            if zero_for_one
            else get_amount1_delta(current, target, liquidity, True)
        )
        if less_fee >= amount_in:
            nxt = target
        else:
            nxt = get_next_sqrt_price_from_input(current, liquidity, less_fee, zero_for_one)
    else:
        amount_out = (
            get_amount1_delta(target, current, liquidity, False)
            if zero_for_one
            else get_amount0_delta(current, target, liquidity, False)
        )
        if -remaining >= amount_out:
            nxt = target
        else:
            nxt = get_next_sqrt_price_from_output(current, liquidity, -remaining, zero_for_one)
    reached = nxt == target
    if zero_for_one:
        if not (reached and exact_in):
            amount_in = get_amount0_delta(nxt, current, liquidity, True)
        if not (reached and not exact_in):
            amount_out = get_amount1_delta(nxt, current, liquidity, False)
    else:
        if not (reached and exact_in):
            amount_in = get_amount1_delta(current, nxt, liquidity, True)
        if not (reached and not exact_in):
            amount_out = get_amount0_delta(current, nxt, liquidity, False)
    if not exact_in and amount_out > -remaining:
        amount_out = -remaining
    # Not reaching the target means the whole input was used: what the step did not swap is fee.
    fee = remaining - amount_in if exact_in and nxt != target else _mul_div_up(amount_in, fee_pips, _PIPS - fee_pips)
    return nxt, amount_in, amount_out, fee


# --- A pool's swap across initialised ticks --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SwapResult:
    """What ``swap`` did: signed pool deltas (positive = paid into the pool) and the end state."""

    amount0: int
    amount1: int
    sqrt_price_x96: int
    tick: int
    liquidity: int
    fees: int
    ticks_crossed: int


def _next_initialized_tick(tick: int, spacing: int, lte: bool, initialized: list[int]) -> tuple[int, bool]:
    """TickBitmap.nextInitializedTickWithinOneWord over a sorted list of initialised ticks.

    The search stops at the edge of a 256-tick bitmap word, as the contract's does: a swap step
    ends there even with no tick initialised, and that split changes the rounding.
    """
    compressed = tick // spacing  # floor, as the contract's adjustment for negative ticks
    if lte:
        word_start = (compressed >> 8) << 8
        best = None
        for t in reversed(initialized):
            if t // spacing <= compressed:
                best = t // spacing
                break
        if best is not None and best >= word_start:
            return best * spacing, True
        return word_start * spacing, False
    compressed += 1
    word_end = ((compressed >> 8) << 8) + 255
    for t in initialized:
        if t // spacing >= compressed:
            if t // spacing <= word_end:
                return t, True
            break
    return word_end * spacing, False


def swap(
    *,
    sqrt_price_x96: int,
    tick: int,
    liquidity: int,
    fee_pips: int,
    tick_spacing: int,
    liquidity_net: Mapping[int, int],
    zero_for_one: bool,
    amount_specified: int,
    sqrt_price_limit_x96: int | None = None,
) -> SwapResult:
    """UniswapV3Pool.swap's loop on a pool whose state is given (no protocol fee, no oracle).

    ``liquidity_net`` maps each initialised tick to its liquidityNet. ``amount_specified`` > 0 is
    an exact input, < 0 an exact output, as in the contract.
    """
    require_int("tick_spacing", tick_spacing, minimum=1, maximum=16384)
    require_int("liquidity", liquidity, maximum=_U128)
    require_int("fee_pips", fee_pips, maximum=_PIPS - 1)
    if amount_specified == 0 or isinstance(amount_specified, bool):
        raise FieldError("amount_specified", amount_specified, "must be a non-zero integer")
    require_int("amount_specified", amount_specified, minimum=-(1 << 255), maximum=(1 << 255) - 1)
    for t in liquidity_net:
        require_int("liquidity_net tick", t, minimum=MIN_TICK, maximum=MAX_TICK)
        if t % tick_spacing:
            raise FieldError("liquidity_net", t, f"tick must be a multiple of {tick_spacing}")
    if sqrt_price_limit_x96 is None:
        sqrt_price_limit_x96 = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    if zero_for_one and not MIN_SQRT_RATIO < sqrt_price_limit_x96 < sqrt_price_x96:
        raise FieldError("sqrt_price_limit_x96", sqrt_price_limit_x96, "must be below the price")
    if not zero_for_one and not sqrt_price_x96 < sqrt_price_limit_x96 < MAX_SQRT_RATIO:
        raise FieldError("sqrt_price_limit_x96", sqrt_price_limit_x96, "must be above the price")

    initialized = sorted(liquidity_net)
    exact_in = amount_specified > 0
    remaining, calculated, price, fees, crossed = amount_specified, 0, sqrt_price_x96, 0, 0
    while remaining != 0 and price != sqrt_price_limit_x96:
        start = price
        tick_next, is_init = _next_initialized_tick(tick, tick_spacing, zero_for_one, initialized)
        tick_next = max(MIN_TICK, min(MAX_TICK, tick_next))
        price_next = get_sqrt_ratio_at_tick(tick_next)
        beyond = price_next < sqrt_price_limit_x96 if zero_for_one else price_next > sqrt_price_limit_x96
        target = sqrt_price_limit_x96 if beyond else price_next
        price, step_in, step_out, fee = _swap_step(price, target, liquidity, remaining, fee_pips)
        fees += fee
        if exact_in:
            remaining -= step_in + fee
            calculated -= step_out
        else:
            remaining += step_out
            calculated += step_in + fee
        if price == price_next:
            if is_init:
                net = liquidity_net[tick_next]
                liquidity += -net if zero_for_one else net
                if liquidity < 0 or liquidity > _U128:
                    raise MathRevert(f"liquidity out of range after crossing tick {tick_next}")
                crossed += 1
            tick = tick_next - 1 if zero_for_one else tick_next
        elif price != start:
            tick = get_tick_at_sqrt_ratio(price)
    used = amount_specified - remaining
    amount0, amount1 = (used, calculated) if zero_for_one == exact_in else (calculated, used)
    return SwapResult(amount0, amount1, price, tick, liquidity, fees, crossed)
