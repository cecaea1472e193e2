"""Uniswap V2 pricing, as UniswapV2Library computes it: integer maths, rounding as the contract.

``fee_bps`` is the pool fee in basis points: 30 is Uniswap V2's 0.3% (997/1000); forks use others.
"""

from __future__ import annotations

from alephtx.core.mev.errors import FieldError, require_int

__all__ = ["get_amount_in", "get_amount_out", "quote"]

_BPS = 10_000


def _fee_factor(fee_bps: int) -> int:
    return _BPS - require_int("fee_bps", fee_bps, maximum=_BPS - 1)


def _reserves(reserve_in: int, reserve_out: int) -> None:
    require_int("reserve_in", reserve_in, minimum=1)
    require_int("reserve_out", reserve_out, minimum=1)


def amount_out_unchecked(amount_in: int, reserve_in: int, reserve_out: int, fee_factor: int) -> int:
    """getAmountOut with the fee as ``fee_factor`` / 10,000 and no argument checks: the searches'
    hot path, which validates once at its entry. 0 for a non-positive input."""
    if amount_in <= 0:
        return 0
    with_fee = amount_in * fee_factor
    return with_fee * reserve_out // (reserve_in * _BPS + with_fee)


def get_amount_out(amount_in: int, reserve_in: int, reserve_out: int, fee_bps: int = 30) -> int:
    """What a swap of ``amount_in`` returns (rounded down, as the pair's invariant check needs)."""
    require_int("amount_in", amount_in, minimum=1)
    _reserves(reserve_in, reserve_out)
    with_fee = amount_in * _fee_factor(fee_bps)
    return with_fee * reserve_out // (reserve_in * _BPS + with_fee)


def get_amount_in(amount_out: int, reserve_in: int, reserve_out: int, fee_bps: int = 30) -> int:
    """The least input that returns ``amount_out`` (rounded up by one, as the contract does)."""
    require_int("amount_out", amount_out, minimum=1)
    _reserves(reserve_in, reserve_out)
    if amount_out >= reserve_out:
        raise FieldError("amount_out", amount_out, f"must be below reserve_out={reserve_out}")
    numerator = reserve_in * amount_out * _BPS
    denominator = (reserve_out - amount_out) * _fee_factor(fee_bps)
    return numerator // denominator + 1


def quote(amount_a: int, reserve_a: int, reserve_b: int) -> int:
    """The amount of B worth ``amount_a`` at the pool's price, without fee or price impact."""
    require_int("amount_a", amount_a, minimum=1)
    require_int("reserve_a", reserve_a, minimum=1)
    require_int("reserve_b", reserve_b, minimum=1)
    return amount_a * reserve_b // reserve_a
