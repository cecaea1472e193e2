"""Backrun arbitrage between two Uniswap V2 pools of the same pair, after a pending swap.

A pending swap moves one pool's price; buying the cheap side there and selling on the other pool
earns the gap. Two constant-product pools in a row behave as one: ``out = K d / (M + N d)`` for
an input ``d``, so the profit ``out - d`` peaks at ``d* = (sqrt(K M) - M) / N``, computed with
``isqrt`` and then checked against the integer swaps of the contracts.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import isqrt
from typing import Any

from alephtx.core.mev.errors import FieldError, require_int
from alephtx.core.mev.univ2 import amount_out_unchecked

__all__ = ["PoolV2", "best_arbitrage", "find_backrun", "optimal_arbitrage_v2"]

_S = 10_000


@dataclass(frozen=True, slots=True)
class PoolV2:
    """A V2 pair's reserves of token X and token Y (both pools quote the same two tokens)."""

    reserve_x: int
    reserve_y: int
    fee_bps: int = 30
    name: str = ""

    def __post_init__(self) -> None:
        require_int(f"{self.name or 'pool'}.reserve_x", self.reserve_x, minimum=1)
        require_int(f"{self.name or 'pool'}.reserve_y", self.reserve_y, minimum=1)
        require_int(f"{self.name or 'pool'}.fee_bps", self.fee_bps, maximum=_S - 1)


_out = amount_out_unchecked


def _two_hop(d: int, a_in: int, a_out: int, ga: int, b_in: int, b_out: int, gb: int) -> int:
    return _out(_out(d, a_in, a_out, ga), b_in, b_out, gb)


def optimal_arbitrage_v2(
    a_in: int, a_out: int, b_in: int, b_out: int, fee_a_bps: int = 30, fee_b_bps: int = 30
) -> tuple[int, int]:
    """Best input for: sell on pool A (reserves a_in -> a_out), sell the proceeds on pool B
    (reserves b_in -> b_out, b_out being A's input token). Returns (amount_in, profit), (0, 0)
    when the round trip loses after fees."""
    ga, gb = _S - fee_a_bps, _S - fee_b_bps
    k = ga * gb * a_out * b_out
    m = _S * _S * a_in * b_in
    n = ga * (_S * b_in + gb * a_out)
    if k <= m:
        return 0, 0
    d = (isqrt(k * m) - m) // n
    # The integer swaps round down twice; the true peak is within a few wei of d.
    best_d, best_p = 0, 0
    for cand in range(max(1, d - 2), d + 3):
        p = _two_hop(cand, a_in, a_out, ga, b_in, b_out, gb) - cand
        if p > best_p:
            best_d, best_p = cand, p
    return best_d, best_p


def best_arbitrage(pool_a: PoolV2, pool_b: PoolV2, gas_cost: int = 0) -> dict[str, Any]:
    """The better of the two round trips X -> Y -> X between two pools, net of ``gas_cost``
    (in token X, like the profit)."""
    require_int("gas_cost", gas_cost)
    # X -> Y on A, Y -> X on B: profit in X.
    d1, p1 = optimal_arbitrage_v2(
        pool_a.reserve_x, pool_a.reserve_y, pool_b.reserve_y, pool_b.reserve_x, pool_a.fee_bps, pool_b.fee_bps
    )
    # X -> Y on B, Y -> X on A.
    d2, p2 = optimal_arbitrage_v2(
        pool_b.reserve_x, pool_b.reserve_y, pool_a.reserve_y, pool_a.reserve_x, pool_b.fee_bps, pool_a.fee_bps
    )
    if p1 >= p2:
        d, p, route = d1, p1, (pool_a.name or "a", pool_b.name or "b")
    else:
        d, p, route = d2, p2, (pool_b.name or "b", pool_a.name or "a")
    net = p - gas_cost
    return {
        "amount_in": d if net > 0 else 0,
        "gross_profit": p,
        "net_profit": net if net > 0 else 0,
        "buy_on": route[0],
        "sell_on": route[1],
        "profitable": net > 0,
    }


def find_backrun(
    pool_a: PoolV2,
    pool_b: PoolV2,
    pending_amount_in: int,
    pending_x_for_y: bool,
    gas_cost: int = 0,
) -> dict[str, Any]:
    """The arbitrage left behind by a pending swap on ``pool_a``: apply the swap, then arbitrage.

    ``pending_x_for_y`` says the pending swap sells X for Y on pool A; a backrun runs after it in
    the same block, so it does not change what the pending swap receives.
    """
    require_int("pending_amount_in", pending_amount_in, minimum=1)
    if not isinstance(pending_x_for_y, bool):
        raise FieldError("pending_x_for_y", pending_x_for_y, "must be true or false")
    g = _S - pool_a.fee_bps
    if pending_x_for_y:
        out = _out(pending_amount_in, pool_a.reserve_x, pool_a.reserve_y, g)
        after = PoolV2(pool_a.reserve_x + pending_amount_in, pool_a.reserve_y - out, pool_a.fee_bps, pool_a.name)
    else:
        out = _out(pending_amount_in, pool_a.reserve_y, pool_a.reserve_x, g)
        after = PoolV2(pool_a.reserve_x - out, pool_a.reserve_y + pending_amount_in, pool_a.fee_bps, pool_a.name)
    result = best_arbitrage(after, pool_b, gas_cost)
    result["pending_out"] = out
    result["pool_after"] = {"reserve_x": after.reserve_x, "reserve_y": after.reserve_y}
    return result
