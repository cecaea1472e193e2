"""The exact maths against the real Uniswap V2 bytecode in pyrevm: equal to the wei."""

from __future__ import annotations

import random
from typing import Any

import pytest

from alephtx.core.mev import backrun, sandwich, univ2
from alephtx.core.mev.evm import Chain
from alephtx.core.mev.uniswap_v2_evm import UniswapV2
from tests.mev import uniswap_vectors as uv
from tests.mev.conftest import LP, SEARCHER, TRADER, Market


@pytest.mark.parametrize(("amount_in", "reserve0", "reserve1", "expected"), uv.SWAP_TEST_CASES)
def test_router_swap_equals_the_vectors_and_the_maths(
    market: Market, amount_in: int, reserve0: int, reserve1: int, expected: int
) -> None:
    market.uni.add_liquidity(LP, market.x, market.y, reserve0, reserve1)
    got = market.uni.swap_exact_in(TRADER, amount_in, [market.x, market.y])
    assert got == expected == univ2.get_amount_out(amount_in, reserve0, reserve1)


def test_random_swaps_both_ways_equal_the_maths(market: Market) -> None:
    rng = random.Random(7)
    market.uni.add_liquidity(LP, market.x, market.y, 3 * 10**21, 7_000_000 * 10**18)
    for _ in range(25):
        token_in, token_out = (market.x, market.y) if rng.random() < 0.5 else (market.y, market.x)
        r_in, r_out = market.uni.reserves(token_in, token_out)
        amount = rng.randrange(1, r_in // 5)
        predicted = univ2.get_amount_out(amount, r_in, r_out)
        assert market.uni.swap_exact_in(TRADER, amount, [token_in, token_out]) == predicted
        assert market.uni.reserves(token_in, token_out) == (r_in + amount, r_out - predicted)


def test_exact_output_swap_costs_get_amount_in(market: Market) -> None:
    market.uni.add_liquidity(LP, market.x, market.y, 5 * 10**18, 10 * 10**18)
    want = 10**18
    cost = univ2.get_amount_in(want, 5 * 10**18, 10 * 10**18)
    assert cost == 557227237267357629  # v2-periphery's Router01 test
    market.uni.approve(TRADER, market.x)
    result = market.chain.call(
        TRADER, market.uni.router,
        "swapTokensForExactTokens(uint256,uint256,address[],address,uint256)",
        [want, cost, [market.x, market.y], TRADER, 2**40],
    )  # fmt: skip
    assert result.success and list(result.decode(["uint256[]"])[0]) == [cost, want]
    # One wei less of allowance is not enough: the router's own check.
    r_in, r_out = market.uni.reserves(market.x, market.y)
    short = market.chain.call(
        TRADER, market.uni.router,
        "swapTokensForExactTokens(uint256,uint256,address[],address,uint256)",
        [want, univ2.get_amount_in(want, r_in, r_out) - 1, [market.x, market.y], TRADER, 2**40],
    )  # fmt: skip
    assert not short.success and short.reason == "UniswapV2Router: EXCESSIVE_INPUT_AMOUNT"


def _sandwich_in_evm(market: Market, victim_in: int, victim_min: int, frontrun: int) -> dict[str, Any]:
    uni = market.uni
    fo = uni.swap_exact_in(SEARCHER, frontrun, [market.x, market.y])
    uni.approve(TRADER, market.x)
    victim = market.chain.call(
        TRADER, uni.router, "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
        [victim_in, victim_min, [market.x, market.y], TRADER, 2**40],
    )  # fmt: skip
    bo = uni.swap_exact_in(SEARCHER, fo, [market.y, market.x])
    return {
        "frontrun_out": fo,
        "victim_out": victim.decode(["uint256[]"])[0][-1] if victim.success else 0,
        "backrun_out": bo,
        "profit": bo - frontrun,
        "victim_reverted": not victim.success,
        "reason": victim.reason,
    }


def test_optimal_sandwich_happens_exactly_so_in_the_evm(market: Market) -> None:
    rx, ry = 1_000 * 10**18, 2_000_000 * 10**18
    market.uni.add_liquidity(LP, market.x, market.y, rx, ry)
    victim_in = 10 * 10**18
    victim_min = univ2.get_amount_out(victim_in, rx, ry) * 99 // 100  # 1% slippage
    best = sandwich.optimal_frontrun_v2(rx, ry, victim_in, victim_min)
    assert best["bound"] == "slippage" and best["profit"] > 0
    cp = market.chain.snapshot()
    seen = _sandwich_in_evm(market, victim_in, victim_min, best["frontrun_in"])
    market.chain.revert(cp)
    assert {k: seen[k] for k in ("frontrun_out", "victim_out", "backrun_out", "profit", "victim_reverted")} == {
        k: best[k] for k in ("frontrun_out", "victim_out", "backrun_out", "profit", "victim_reverted")
    }
    # One wei more and the victim's own minimum reverts it: the search found the edge.
    over = _sandwich_in_evm(market, victim_in, victim_min, best["frontrun_in"] + 1)
    assert over["victim_reverted"] and over["reason"] == "UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT"
    predicted = sandwich.simulate_v2(rx, ry, victim_in, victim_min, best["frontrun_in"] + 1)
    assert predicted["victim_reverted"] and predicted["profit"] == over["profit"] < 0


def test_backrun_profit_after_a_pending_swap_matches_the_evm() -> None:
    chain = Chain()
    for who in (LP, TRADER, SEARCHER):
        chain.set_balance(who, 10**24)
    uni_a = UniswapV2.deploy(chain, LP)  # two deployments: two pools of the same pair
    uni_b = UniswapV2.deploy(chain, LP)
    x, y = uni_a.token(10**30), uni_a.token(10**30)
    for who in (TRADER, SEARCHER):
        uni_a.transfer(LP, x, who, 10**27)
        uni_a.transfer(LP, y, who, 10**27)
    uni_a.add_liquidity(LP, x, y, 500 * 10**18, 1_000_000 * 10**18)
    uni_b.add_liquidity(LP, x, y, 800 * 10**18, 1_600_000 * 10**18)
    pending = 40 * 10**18  # sells X on A: X gets cheap on A
    plan = backrun.find_backrun(
        backrun.PoolV2(500 * 10**18, 1_000_000 * 10**18, name="a"),
        backrun.PoolV2(800 * 10**18, 1_600_000 * 10**18, name="b"),
        pending, pending_x_for_y=True,
    )  # fmt: skip
    assert plan["profitable"] and plan["buy_on"] == "b" and plan["sell_on"] == "a"
    uni_a.swap_exact_in(TRADER, pending, [x, y])
    assert uni_a.reserves(x, y) == (plan["pool_after"]["reserve_x"], plan["pool_after"]["reserve_y"])
    # Sell X for Y on B, where X is still dear, and the Y for X on A, where it is cheap now.
    got_y = uni_b.swap_exact_in(SEARCHER, plan["amount_in"], [x, y])
    got_x = uni_a.swap_exact_in(SEARCHER, got_y, [y, x])
    assert got_x - plan["amount_in"] == plan["gross_profit"]
