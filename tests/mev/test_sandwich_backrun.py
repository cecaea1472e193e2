"""Sandwich exposure, backrun sizing and the scanner: against a plain search and exact edges."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alephtx.core.errors import FieldError
from alephtx.core.mev import backrun, sandwich, univ2
from alephtx.core.mev.scanner import Pool, PoolIndex, Swap, scan
from bench.mev import plain_optimal_frontrun

realistic = st.tuples(
    st.integers(10**19, 10**24),  # reserve of X
    st.integers(1, 5_000),  # price of X in Y
    st.integers(1, 500),  # victim size in bps of the pool
    st.sampled_from([5, 30, 50, 100, 300, 1_000]),  # victim slippage in bps
    st.sampled_from([5, 30, 100]),  # pool fee in bps
)


@settings(max_examples=150, deadline=None)
@given(realistic)
def test_optimal_is_at_least_the_plain_search_and_its_edge_is_exact(case: tuple[int, int, int, int, int]) -> None:
    rx, price, size_bps, slip_bps, fee = case
    ry = rx * price
    v = max(1, rx * size_bps // 10_000)
    m = univ2.get_amount_out(v, rx, ry, fee) * (10_000 - slip_bps) // 10_000
    ours = sandwich.optimal_frontrun_v2(rx, ry, v, m, fee)
    plain = plain_optimal_frontrun(rx, ry, v, m, fee)
    assert ours["profit"] >= plain["profit"] - max(1, plain["profit"] // 10**9)
    assert not ours["victim_reverted"]
    if ours["bound"] == "slippage":  # one wei more and the victim's minimum reverts it
        assert sandwich.simulate_v2(rx, ry, v, m, ours["frontrun_in"] + 1, fee)["victim_reverted"]
    if ours["frontrun_in"]:
        assert sandwich.simulate_v2(rx, ry, v, m, ours["frontrun_in"], fee)["profit"] == ours["profit"] > 0


def test_no_front_run_is_the_plain_swap() -> None:
    r = sandwich.simulate_v2(10**21, 2 * 10**24, 10**19, 0, 0)
    assert r == {"frontrun_out": 0, "victim_out": univ2.get_amount_out(10**19, 10**21, 2 * 10**24),
                 "backrun_out": 0, "profit": 0, "victim_reverted": False}  # fmt: skip


def test_a_victim_with_no_room_cannot_be_sandwiched() -> None:
    rx, ry, v = 10**21, 2 * 10**24, 10**19
    exact = univ2.get_amount_out(v, rx, ry)
    assert sandwich.optimal_frontrun_v2(rx, ry, v, exact)["bound"] == "none"
    assert sandwich.optimal_frontrun_v2(rx, ry, v, exact + 1)["frontrun_in"] == 0  # reverts anyway


def test_exposure_and_the_minimum_that_removes_it() -> None:
    rx, ry, v = 1_000 * 10**18, 2_000_000 * 10**18, 10 * 10**18
    expected = univ2.get_amount_out(v, rx, ry)
    gas = 10**16  # 0.01 X for two attacker transactions
    e = sandwich.exposure_v2(rx, ry, v, expected * 97 // 100, gas_cost=gas)
    assert e["expected_out"] == expected and e["max_extractable"] > 0
    assert e["victim_loss"] == expected - e["victim_out_when_sandwiched"] > 0
    safe = e["safe_min_out"]
    assert expected * 97 // 100 < safe <= expected
    at_safe = sandwich.optimal_frontrun_v2(rx, ry, v, safe)
    assert at_safe["frontrun_in"] == 0 or at_safe["profit"] <= gas
    below = sandwich.optimal_frontrun_v2(rx, ry, v, safe - 1)
    assert below["frontrun_in"] > 0 and below["profit"] > gas
    assert sandwich.exposure_v2(rx, ry, v, safe, gas_cost=gas)["max_extractable"] == 0
    assert 0 < e["safe_slippage_bps"] < 300


def test_bad_arguments_name_the_field() -> None:
    with pytest.raises(FieldError, match="victim_amount_in"):
        sandwich.optimal_frontrun_v2(10, 10, 0, 0)
    with pytest.raises(FieldError, match="frontrun_in"):
        sandwich.simulate_v2(10, 10, 1, 0, -1)
    with pytest.raises(FieldError, match="gas_cost"):
        sandwich.exposure_v2(10, 10, 1, 0, gas_cost=-5)
    with pytest.raises(FieldError, match=r"a\.reserve_x"):
        backrun.PoolV2(0, 10, name="a")


@settings(max_examples=100, deadline=None)
@given(st.integers(10**20, 10**23), st.integers(10, 5_000), st.integers(1, 800), st.integers(-300, 300))
def test_backrun_size_is_the_peak(rx: int, price: int, pending_bps: int, skew_bps: int) -> None:
    a = backrun.PoolV2(rx, rx * price, name="a")
    b = backrun.PoolV2(rx * 2, rx * 2 * price * (10_000 + skew_bps) // 10_000, name="b")
    plan = backrun.find_backrun(a, b, rx * pending_bps // 10_000, True)
    if not plan["profitable"]:
        return
    after = backrun.PoolV2(plan["pool_after"]["reserve_x"], plan["pool_after"]["reserve_y"])
    first, second = (after, b) if plan["buy_on"] == "a" else (b, after)

    def profit(d: int) -> int:
        y = univ2.get_amount_out(d, first.reserve_x, first.reserve_y)
        return univ2.get_amount_out(y, second.reserve_y, second.reserve_x) - d if y else -d

    d = plan["amount_in"]
    assert profit(d) == plan["gross_profit"]
    step = max(1, d // 1_000)
    assert profit(d) >= profit(d - step) and profit(d) >= profit(d + step)


def test_scanner_reports_backruns_and_exposure_best_first() -> None:
    pools = [
        Pool("A", "X", "Y", 500 * 10**18, 1_000_000 * 10**18),
        Pool("B", "X", "Y", 800 * 10**18, 1_600_000 * 10**18),
        Pool("C", "X", "Z", 100 * 10**18, 100 * 10**18),
    ]
    index = PoolIndex(pools)
    tight = univ2.get_amount_out(40 * 10**18, 500 * 10**18, 1_000_000 * 10**18)
    swaps = [
        Swap("0x1", "A", "X", 40 * 10**18, tight * 98 // 100),
        Swap("0x2", "C", "X", 10**15, 0),  # tiny, on a pool with no sibling: nothing worth it
        Swap("0x3", "nowhere", "X", 10**18, 0),  # an unknown pool is skipped
    ]
    found = scan(index, swaps, gas_cost=10**15)
    kinds = {(o["kind"], o["tx"]) for o in found}
    assert kinds == {("backrun", "0x1"), ("sandwich_exposure", "0x1")}
    values = [o.get("profit", o.get("extractable")) for o in found]
    assert values == sorted(values, reverse=True)


def test_the_worked_example_of_docs_mev() -> None:
    # docs/mev.md quotes these numbers; if the maths changes, the page must change with it.
    rx, ry, v = 1_000 * 10**18, 2_000_000 * 10**18, 10 * 10**18
    expected = univ2.get_amount_out(v, rx, ry)
    m = expected * 99 // 100
    assert (expected, m) == (19_743_160_687_941_225_977_009, 19_545_729_081_061_813_717_238)
    best = sandwich.optimal_frontrun_v2(rx, ry, v, m)
    assert (best["frontrun_in"], best["victim_out"], best["profit"]) == (
        5_070_447_747_980_987_943, 19_545_729_081_061_813_717_253, 70_162_485_508_261_318,
    )  # fmt: skip
    e = sandwich.exposure_v2(rx, ry, v, m, gas_cost=10**16)
    assert (e["max_extractable"], e["safe_min_out"], e["safe_slippage_bps"]) == (
        60_162_485_508_261_318, 19_715_049_651_390_049_530_013, 14,
    )  # fmt: skip
    plan = backrun.find_backrun(
        backrun.PoolV2(500 * 10**18, 1_000_000 * 10**18, name="a"),
        backrun.PoolV2(800 * 10**18, 1_600_000 * 10**18, name="b"), 40 * 10**18, True,
    )  # fmt: skip
    assert (plan["amount_in"], plan["gross_profit"]) == (22_588_901_018_892_311_371, 1_731_221_355_934_693_466)
