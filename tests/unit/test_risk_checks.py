"""The Cython pre-trade checks against their pure-Python twin, and each check on its own."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alephtx.core.risk._checks import RiskCore
from alephtx.core.risk.checks import PyRiskCore
from alephtx.core.risk.codes import Reason

S = 1_000_000_000  # one second in ns
M = 1_000_000  # one quote unit in micro


def make(cls: type, **over: Any) -> Any:
    """One venue (0), one BTC-like instrument (0): tick 0.10 at 2 dp, lot 0.001 at 3 dp."""
    c = cls()
    g = dict(
        max_order_notional=50_000 * M,
        agent_max_order_notional=1_000 * M,
        agent_daily_budget=2_500 * M,
        max_gross_total=250_000 * M,
        max_net_total=150_000 * M,
        price_band_bps=500,
        max_open_total=6,
    )
    g.update({k: v for k, v in over.items() if k in g})
    c.set_globals(**g)
    c.add_venue(0, over.get("vmax_gross", 200_000 * M), over.get("vmax_net", 100_000 * M), 5, 3, 2, 10000)
    c.add_instrument(0, 0, 10, 1, 500_000, 5, over.get("max_position", 2_000))  # min notional 5 USD, 2 BTC
    c.set_balance(0, over.get("balance", 100_000 * M))
    c.set_mid_x2(0, 2 * 6_000_000)  # mid 60000.00
    return c


BOTH = [RiskCore, PyRiskCore]


@pytest.mark.parametrize("cls", BOTH)
def test_each_check(cls: type) -> None:
    c = make(cls)
    assert c.check(0, 1, 10, 6_000_000, False, False, 1) == Reason.OK
    assert c.check(7, 1, 10, 6_000_000, False, False, 2) == Reason.INSTRUMENT_UNKNOWN
    assert c.check(0, 1, 0, 6_000_000, False, False, 2) == Reason.QTY_INVALID
    assert c.check(0, 1, 10, 6_000_005, False, False, 2) == Reason.PRICE_INVALID
    assert c.check(0, 1, 1, 100_000, False, False, 2) == Reason.PRICE_BAND  # 1000.00 vs 60000 mid
    assert c.check(0, 1, 1, 6_000_000, False, False, 2) == Reason.OK  # 60 USD >= 5 min notional
    assert c.check(0, 1, 1000, 6_000_000, False, False, 3 * S) == Reason.MAX_ORDER_NOTIONAL  # 60k > 50k
    assert c.check(0, 1, 20, 6_000_000, False, True, 3 * S) == Reason.AGENT_MAX_ORDER_NOTIONAL  # 1200 > 1000
    assert c.check(0, -1, 10, 6_000_000, True, False, 3 * S) == Reason.REDUCE_ONLY_WOULD_INCREASE
    c.set_tradable(0, False)
    assert c.check(0, 1, 10, 6_000_000, False, False, 3 * S) == Reason.INSTRUMENT_NOT_TRADABLE
    c.set_tradable(0, True)
    c.set_mid_x2(0, 0)
    assert c.check(0, 1, 10, 0, False, False, 3 * S) == Reason.NO_MARKET_PRICE


@pytest.mark.parametrize("cls", BOTH)
def test_min_notional(cls: type) -> None:
    c = make(cls)
    c.set_mid_x2(0, 2 * 400)  # mid 4.00: 0.001 x 4.00 is below 5 USD
    assert c.check(0, 1, 1, 400, False, False, 1) == Reason.BELOW_MIN_NOTIONAL


@pytest.mark.parametrize("cls", BOTH)
def test_position_counts_open_orders_on_its_side(cls: type) -> None:
    c = make(cls, max_position=25)
    assert c.check(0, 1, 15, 6_000_000, False, False, 1) == Reason.OK
    assert c.check(0, 1, 15, 6_000_000, False, False, 2) == Reason.MAX_POSITION  # 15 open + 15 > 25
    assert c.check(0, -1, 20, 6_000_000, False, False, 3) == Reason.OK  # the other side is fine
    c.on_fill(0, 1, 15)
    assert c.position(0) == 15 and c.open_qty(0) == (0, 20)
    assert c.check(0, -1, 10, 6_000_000, True, False, 4) == Reason.OK  # reduces: allowed reduce-only


@pytest.mark.parametrize("cls", BOTH)
def test_exposure_limits(cls: type) -> None:
    c = make(cls, vmax_gross=100 * M, vmax_net=60 * M)
    c.set_position(0, 1)  # 0.001 BTC long: 60 USD
    assert c.exposure(0) == (60 * M, 60 * M) and c.exposure() == (60 * M, 60 * M)
    # Buying 0.001 more: gross 120 > 100.
    assert c.check(0, 1, 1, 6_000_000, False, False, 1) == Reason.MAX_GROSS_EXPOSURE_VENUE
    c2 = make(cls, vmax_gross=1000 * M, vmax_net=60 * M)
    c2.set_position(0, 1)
    assert c2.check(0, 1, 1, 6_000_000, False, False, 1) == Reason.MAX_NET_EXPOSURE_VENUE
    c3 = make(cls, max_gross_total=100 * M)
    c3.set_position(0, 1)
    assert c3.check(0, 1, 1, 6_000_000, False, False, 1) == Reason.MAX_GROSS_EXPOSURE_TOTAL
    c4 = make(cls, max_net_total=100 * M)
    c4.set_position(0, 1)
    assert c4.check(0, 1, 1, 6_000_000, False, False, 1) == Reason.MAX_NET_EXPOSURE_TOTAL
    # Selling 0.001 reduces: never blocked by exposure.
    assert c4.check(0, -1, 1, 6_000_000, False, False, 1) == Reason.OK


@pytest.mark.parametrize("cls", BOTH)
def test_balance_open_orders_rate_and_budget(cls: type) -> None:
    c = make(cls, balance=100 * M)
    assert c.check(0, 1, 2, 6_000_000, False, False, 1) == Reason.INSUFFICIENT_BALANCE  # 120 > 100 funded
    c = make(cls)
    for t in range(3):  # 3 orders per second
        assert c.check(0, 1, 1, 6_000_000, False, False, S + t) == Reason.OK
    assert c.check(0, 1, 1, 6_000_000, False, False, S + 5) == Reason.ORDER_RATE
    assert c.check(0, 1, 1, 6_000_000, False, False, 2 * S + 1) == Reason.OK  # a second later
    assert c.check(0, 1, 1, 6_000_000, False, False, 3 * S + 1) == Reason.OK
    assert c.check(0, 1, 1, 6_000_000, False, False, 4 * S + 1) == Reason.MAX_OPEN_ORDERS  # venue max 5
    c.on_order_done(0, 1, 1)
    assert c.check(0, 1, 1, 6_000_000, False, False, 5 * S + 1) == Reason.OK
    assert c.check_cancel(0, 1) == Reason.OK and c.check_cancel(0, 2) == Reason.OK
    assert c.check_cancel(0, 3) == Reason.CANCEL_RATE
    a = make(cls)
    day = 86_400 * S
    for t in range(2):
        assert a.check(0, 1, 16, 6_000_000, False, True, day + t * S) == Reason.OK  # 960 each
    assert a.check(0, 1, 16, 6_000_000, False, True, day + 3 * S) == Reason.AGENT_DAILY_BUDGET  # 2880 > 2500
    assert a.check(0, 1, 16, 6_000_000, False, True, 2 * day + 1) == Reason.OK  # a new UTC day


@pytest.mark.parametrize("cls", BOTH)
def test_states(cls: type) -> None:
    c = make(cls)
    c.set_position(0, 5)
    c.state = 1  # REDUCING
    assert c.check(0, 1, 1, 6_000_000, False, False, 1) == Reason.REDUCING_ONLY
    assert c.check(0, -1, 5, 6_000_000, False, False, 1) == Reason.OK
    assert c.check(0, -1, 6, 6_000_000, False, False, 2) == Reason.REDUCING_ONLY  # would flip
    c.state = 2  # HALTED
    assert c.check(0, -1, 1, 6_000_000, False, False, 3) == Reason.TRADING_HALTED
    assert c.check_cancel(0, 3) == Reason.OK  # cancels always go through


op = st.one_of(
    st.tuples(
        st.just("check"),
        st.sampled_from([0, 0, 0, 1]),
        st.sampled_from([1, -1]),
        st.integers(-1, 40),
        st.sampled_from([0, 5_700_000, 6_000_000, 6_000_010, 6_400_000, 6_000_005]),
        st.booleans(),
        st.booleans(),
        st.integers(0, 3 * S),
    ),
    st.tuples(st.just("fill"), st.sampled_from([1, -1]), st.integers(0, 20)),
    st.tuples(st.just("done"), st.sampled_from([1, -1]), st.integers(0, 20)),
    st.tuples(st.just("mid"), st.sampled_from([0, 11_000_000, 12_000_000, 12_400_001])),
    st.tuples(st.just("state"), st.sampled_from([0, 1, 2])),
    st.tuples(st.just("cancel"), st.integers(0, 3 * S)),
    st.tuples(st.just("rates"), st.integers(1, 4), st.integers(1, 4)),
    st.tuples(st.just("balance"), st.integers(0, 2_000 * M)),
)


@settings(max_examples=300, deadline=None)
@given(ops=st.lists(op, max_size=60))
def test_cython_checks_equal_twin_on_random_sequences(ops: list[tuple]) -> None:
    kw = dict(max_position=30, vmax_gross=3_000 * M, vmax_net=2_000 * M, agent_daily_budget=1_500 * M)
    cores = [make(RiskCore, **kw), make(PyRiskCore, **kw)]
    now = 0
    for o in ops:
        results = []
        for c in cores:
            if o[0] == "check":
                _, iid, side, qty, price, ro, agent, dt = o
                results.append(c.check(iid, side, qty, price, ro, agent, now + dt))
            elif o[0] == "fill":
                c.on_fill(0, o[1], o[2])
            elif o[0] == "done":
                c.on_order_done(0, o[1], o[2])
            elif o[0] == "mid":
                c.set_mid_x2(0, o[1])
            elif o[0] == "state":
                c.state = o[1]
            elif o[0] == "cancel":
                results.append(c.check_cancel(0, now + o[1]))
            elif o[0] == "rates":
                c.set_venue_limits(0, 3_000 * M, 2_000 * M, 5, o[1], o[2])
            elif o[0] == "balance":
                c.set_balance(0, o[1])
        if o[0] in ("check", "cancel"):
            now += o[-1]
        assert results[:1] == results[1:]
        a, b = cores
        assert (a.position(0), a.open_qty(0), a.exposure(0), a.exposure(), a.open_orders(0), a.agent_spent) == (
            b.position(0),
            b.open_qty(0),
            b.exposure(0),
            b.exposure(),
            b.open_orders(0),
            b.agent_spent,
        )
