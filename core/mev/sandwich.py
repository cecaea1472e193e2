"""Sandwich exposure of a Uniswap V2 swap: what a front-run plus back-run around it can take.

X is the token the victim sells, Y the one it buys. The attacker sells ``frontrun_in`` X before
the victim and sells everything it bought back after; its profit is in X. The victim's
``victim_min_out`` bounds the attack: a front-run so large that the victim would get less
reverts the victim's swap and leaves the attacker with two fees and no victim to trade against.

``optimal_frontrun_v2`` solves the slippage bound as a quadratic in exact integers (``isqrt``)
and corrects the last few wei against the contract's rounding, rather than searching: one
search costs a handful of integer swaps.
"""

from __future__ import annotations

from math import isqrt
from typing import Any

from alephtx.core.mev.errors import require_int
from alephtx.core.mev.univ2 import amount_out_unchecked

__all__ = ["exposure_v2", "optimal_frontrun_v2", "simulate_v2"]

_S = 10_000


_out = amount_out_unchecked


def _run(x: int, y: int, v: int, m: int, f: int, g: int) -> tuple[int, int, int, bool]:
    """(frontrun_out, victim_out, backrun_out, victim_reverted) for a front-run of ``f``."""
    fo = _out(f, x, y, g)
    x1, y1 = x + f, y - fo
    vo = _out(v, x1, y1, g)
    if vo < m or vo == 0:
        return fo, 0, _out(fo, y1, x1, g), True
    return fo, vo, _out(fo, y1 - vo, x1 + v, g), False


def _check(reserve_x: int, reserve_y: int, victim_amount_in: int, victim_min_out: int, fee_bps: int) -> int:
    require_int("reserve_x", reserve_x, minimum=1)
    require_int("reserve_y", reserve_y, minimum=1)
    require_int("victim_amount_in", victim_amount_in, minimum=1)
    require_int("victim_min_out", victim_min_out)
    return _S - require_int("fee_bps", fee_bps, maximum=_S - 1)


def simulate_v2(
    reserve_x: int,
    reserve_y: int,
    victim_amount_in: int,
    victim_min_out: int,
    frontrun_in: int,
    fee_bps: int = 30,
) -> dict[str, Any]:
    """Front-run, victim, back-run on one pair, as the pair contract would execute them.

    A reverted victim receives nothing (``victim_out`` 0) and leaves the pool as it was; the
    back-run still runs, as it would in a bundle that does not require the victim.
    """
    g = _check(reserve_x, reserve_y, victim_amount_in, victim_min_out, fee_bps)
    require_int("frontrun_in", frontrun_in)
    fo, vo, bo, reverted = _run(reserve_x, reserve_y, victim_amount_in, victim_min_out, frontrun_in, g)
    return {
        "frontrun_out": fo,
        "victim_out": vo,
        "backrun_out": bo,
        "profit": bo - frontrun_in,
        "victim_reverted": reverted,
    }


def _max_frontrun(x: int, y: int, v: int, m: int, g: int) -> int:
    """The largest front-run that leaves the victim at least ``m`` (at least 1 wei: the pair
    refuses a zero output), and -1 when the victim reverts even untouched."""
    m = max(m, 1)
    if _out(v, x, y, g) < m:
        return -1
    # Without rounding, the victim gets >= m iff A f^2 + B f + C <= 0 with the terms below
    # (derived in docs/mev.md); the root is then corrected against the integer swaps.
    p = _S * x + g * v
    a = m * _S * g
    b = m * (p * g + _S * _S * x)
    c = m * p * _S * x - g * v * y * _S * x
    disc = b * b - 4 * a * c
    f = max(0, (isqrt(disc) - b) // (2 * a))

    def ok(n: int) -> bool:
        return not _run(x, y, v, m, n, g)[3]

    if ok(f):  # grow past the estimate by doubling, then bisect back
        step = 1
        while ok(f + step):
            f += step
            step <<= 1
        lo, hi = f, f + step  # ok(lo), not ok(hi)
    else:
        step = 1
        while f - step > 0 and not ok(f - step):
            f -= step
            step <<= 1
        lo, hi = max(0, f - step), f
        if not ok(lo):
            return 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return lo


def _profit(x: int, y: int, v: int, m: int, f: int, g: int) -> int:
    return _run(x, y, v, m, f, g)[2] - f


def _smooth_profit(x: int, y: int, v: int, m: int, g: int, f: float) -> float:
    """The profit of a front-run ``f`` in floating point, without the contracts' rounding."""
    gf = g / _S
    a = gf * f * y / (x + gf * f)
    x1, y1 = x + f, y - a
    b = gf * v * y1 / (x1 + gf * v)
    if b < m:  # the victim reverts: only the two fees are left
        return gf * a * x1 / (y1 + gf * a) - f
    return gf * a * (x1 + v) / (y1 - b + gf * a) - f


def _best_below(x: int, y: int, v: int, m: int, g: int, hi: int) -> int:
    """The front-run in [0, hi] with the highest profit.

    Profit rises then falls in the front-run size. A golden-section search on the smooth,
    floating-point version of the three swaps brackets the peak to about 1e-9 of its size (the
    profit is flat there); the integer swaps then pick the best of the last few candidates.
    """

    def smooth(f: float) -> float:
        return _smooth_profit(x, y, v, m, g, f)

    inv_phi = 0.6180339887498949
    lo, top = 0.0, float(hi)
    c, d = top - (top - lo) * inv_phi, lo + (top - lo) * inv_phi
    pc, pd = smooth(c), smooth(d)
    while top - lo > max(8.0, top * 1e-9):
        if pc >= pd:
            top, d, pd = d, c, pc
            c = top - (top - lo) * inv_phi
            pc = smooth(c)
        else:
            lo, c, pc = c, d, pd
            d = lo + (top - lo) * inv_phi
            pd = smooth(d)
    mid = int((lo + top) / 2)
    span = max(2, int(top - lo))
    candidates = {max(0, min(hi, mid + k * span // 2)) for k in range(-2, 3)}
    return max(sorted(candidates), key=lambda n: _profit(x, y, v, m, n, g))


def optimal_frontrun_v2(
    reserve_x: int,
    reserve_y: int,
    victim_amount_in: int,
    victim_min_out: int,
    fee_bps: int = 30,
) -> dict[str, Any]:
    """The most profitable front-run that still lets the victim's swap through.

    Returns ``frontrun_in`` and ``profit`` (0 and 0 when no sandwich makes money), the swap
    results of ``simulate_v2`` at that size, ``max_frontrun_in`` (the slippage bound; with no
    minimum, the victim must still get 1 wei) and ``bound``: "slippage" when the victim's minimum is what stops
    a larger attack, "profit" when a larger front-run would earn less, "none" when no sandwich
    pays.
    """
    g = _check(reserve_x, reserve_y, victim_amount_in, victim_min_out, fee_bps)
    x, y, v, m = reserve_x, reserve_y, victim_amount_in, victim_min_out
    f_max = _max_frontrun(x, y, v, m, g)
    if f_max <= 0:
        return _answer(x, y, v, m, 0, g, max(f_max, 0), "none")
    # Profit still rising at the bound: the bound is the answer (the common case, one check).
    probe = max(1, f_max // 1_000_000)
    if _profit(x, y, v, m, f_max, g) >= _profit(x, y, v, m, f_max - probe, g):
        f, bound = f_max, "slippage"
    elif _smooth_profit(x, y, v, m, g, float(probe)) <= 0:
        # Profit is concave in the front-run: falling from the first step, it never turns positive.
        return _answer(x, y, v, m, 0, g, f_max, "none")
    else:
        f, bound = _best_below(x, y, v, m, g, f_max), "profit"
    if _profit(x, y, v, m, f, g) <= 0:
        return _answer(x, y, v, m, 0, g, f_max, "none")
    return _answer(x, y, v, m, f, g, f_max, bound)


def _answer(x: int, y: int, v: int, m: int, f: int, g: int, f_max: int, bound: str) -> dict[str, Any]:
    fo, vo, bo, reverted = _run(x, y, v, m, f, g)
    return {
        "frontrun_in": f,
        "profit": bo - f,
        "frontrun_out": fo,
        "victim_out": vo,
        "backrun_out": bo,
        "victim_reverted": reverted,
        "max_frontrun_in": f_max,
        "bound": bound,
    }


def exposure_v2(
    reserve_in: int,
    reserve_out: int,
    amount_in: int,
    min_out: int,
    fee_bps: int = 30,
    gas_cost: int = 0,
) -> dict[str, Any]:
    """How much a sandwich could take from this swap, and the ``min_out`` that stops it.

    ``gas_cost`` is what the attacker's two transactions cost, in the input token's units: a
    sandwich that earns less is not worth running. ``safe_min_out`` is the lowest minimum that
    leaves no sandwich worth more than the gas; routing the swap privately (a bundle or a
    private RPC) removes the exposure whatever the minimum.
    """
    require_int("reserve_in", reserve_in, minimum=1)
    require_int("reserve_out", reserve_out, minimum=1)
    require_int("amount_in", amount_in, minimum=1)
    require_int("min_out", min_out)
    g = _check(reserve_in, reserve_out, amount_in, min_out, fee_bps)
    require_int("gas_cost", gas_cost)
    expected = _out(amount_in, reserve_in, reserve_out, g)
    attack = optimal_frontrun_v2(reserve_in, reserve_out, amount_in, min_out, fee_bps)
    extractable = max(0, attack["profit"] - gas_cost) if attack["frontrun_in"] else 0

    def pays(m: int) -> bool:
        best = optimal_frontrun_v2(reserve_in, reserve_out, amount_in, m, fee_bps)
        return best["frontrun_in"] > 0 and best["profit"] > gas_cost

    lo, hi = min_out, expected  # pays(hi) is False: nothing fits under the untouched output
    if not pays(lo):
        safe = min_out
    else:
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if pays(mid):
                lo = mid
            else:
                hi = mid
        safe = hi
    return {
        "expected_out": expected,
        "min_out": min_out,
        "max_extractable": extractable,
        "frontrun_in": attack["frontrun_in"] if extractable else 0,
        "victim_out_when_sandwiched": attack["victim_out"] if extractable else expected,
        "victim_loss": expected - attack["victim_out"] if extractable else 0,
        "safe_min_out": safe,
        "safe_slippage_bps": (expected - safe) * _S // expected if expected else 0,
        "private_routing_removes_exposure": True,
    }
