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


# --- the whole range of the types --------------------------------------------------------------
# The realistic sequences above never come near 2^63. These draw every value over the whole range
# of its type (int64 for money, prices, sizes and times; C int for ids and sides), weighted
# towards the edges where products wrap: 2^63 / 10^k and its neighbours, the int64 limits, 0, +-1.

I64_MIN, I64_MAX = -(2**63), 2**63 - 1
EDGES = sorted(
    v
    for v in {
        *(b + d for k in range(19) for b in (2**63 // 10**k, 2**62 // 10**k, 2**32) for d in (-1, 0, 1)),
        *(0, 1, 2, 10, I64_MAX - 1),
    }
    if v <= I64_MAX
)
i64 = st.one_of(
    st.integers(I64_MIN, I64_MAX),
    st.sampled_from(EDGES),
    st.sampled_from(EDGES).map(lambda v: -v - 1),  # reaches I64_MIN
    st.integers(-(2**40), 2**40),
)
pos64 = st.one_of(st.integers(1, I64_MAX), st.sampled_from([v for v in EDGES if v > 0]))
c_int = st.one_of(st.integers(-(2**31), 2**31 - 1), st.sampled_from([-1, 0, 1, 2, 2**31 - 1, -(2**31)]))

wide_op = st.one_of(
    st.tuples(st.just("check"), st.sampled_from([0, 1, -1, 7]), c_int, i64, i64, st.booleans(), st.booleans(), i64),
    st.tuples(st.just("check"), st.just(0), st.sampled_from([1, -1]), pos64, pos64, st.booleans(), st.booleans(), i64),
    st.tuples(st.just("fill"), c_int, i64),
    st.tuples(st.just("done"), c_int, i64),
    st.tuples(st.just("open"), c_int, i64),
    st.tuples(st.just("mid"), i64),
    st.tuples(st.just("position"), i64),
    st.tuples(st.just("max_position"), i64),
    st.tuples(st.just("balance"), i64),
    st.tuples(st.just("state"), st.sampled_from([0, 1, 2, 3, -1])),
    st.tuples(st.just("cancel"), c_int, i64),
    st.tuples(st.just("globals"), st.lists(i64, min_size=7, max_size=7)),
    st.tuples(st.just("venue"), i64, i64, i64, st.integers(1, 1024), st.integers(1, 1024)),
    st.tuples(st.just("spent"), i64, i64),
    st.tuples(st.just("notional"), i64, i64),
)


def _apply(c: Any, o: tuple) -> Any:
    """One operation on a core; what it returns or the type of what it raised."""
    try:
        kind = o[0]
        if kind == "check":
            return c.check(*o[1:])
        if kind == "fill":
            return c.on_fill(0, o[1], o[2])
        if kind == "done":
            return c.on_order_done(0, o[1], o[2])
        if kind == "open":
            return c.add_open_order(0, o[1], o[2])
        if kind == "mid":
            return c.set_mid_x2(0, o[1])
        if kind == "position":
            return c.set_position(0, o[1])
        if kind == "max_position":
            return c.set_max_position(0, o[1])
        if kind == "balance":
            return c.set_balance(0, o[1])
        if kind == "state":
            c.state = o[1]
            return None
        if kind == "cancel":
            return c.check_cancel(0 if o[1] % 3 else o[1], o[2])
        if kind == "globals":
            return c.set_globals(*o[1])
        if kind == "venue":
            return c.set_venue_limits(0, *o[1:])
        if kind == "spent":
            c.agent_day, c.agent_spent = o[1], o[2]
            return None
        return c.notional_micro(0, o[1], o[2])
    except (ValueError, OverflowError) as exc:
        return type(exc).__name__


def _state(c: Any) -> tuple:
    return (
        c.position(0),
        c.open_qty(0),
        c.exposure(0),
        c.exposure(),
        c.open_orders(0),
        c.open_orders(),
        c.agent_spent,
        c.agent_day,
    )


@pytest.mark.parametrize("decimals", [0, 4, 6, 9, 24])
@settings(max_examples=150, deadline=None)
@given(ops=st.lists(wide_op, max_size=40))
def test_cython_checks_equal_twin_over_the_whole_int64_range(decimals: int, ops: list[tuple]) -> None:
    cores = []
    for cls in BOTH:
        c = cls()
        c.set_globals(50_000 * M, 1_000 * M, 2_500 * M, 250_000 * M, 150_000 * M, 500, 100)
        c.add_venue(0, 200_000 * M, 100_000 * M, 50, 20, 20, 10000)
        c.add_instrument(0, 0, 10, 1, 500_000, decimals, 2_000)
        c.set_balance(0, 100_000 * M)
        c.set_mid_x2(0, 12_000_000)
        cores.append(c)
    for o in ops:
        a, b = (_apply(c, o) for c in cores)
        assert a == b, o
        assert _state(cores[0]) == _state(cores[1]), o


def test_the_reported_overflow_is_refused() -> None:
    """A buy of 0.974 BTC at 9223372036854775.90 wrapped int64 in the compiled core and passed
    every limit; both cores refuse it, and no product of int64 inputs passes a limit it exceeds."""
    for cls in BOTH:
        c = make(cls)
        c.set_globals(50_000 * M, 1_000 * M, 2_500 * M, 250_000 * M, 150_000 * M, 0, 6)  # no price band
        price = 922337203685477590  # 9223372036854775.90 at 2 decimals: a multiple of the 0.10 tick
        for agent in (False, True):
            assert c.check(0, 1, 974, price, False, agent, 1) == Reason.MAX_ORDER_NOTIONAL
        assert c.notional_micro(0, 974, price) > 50_000 * M
        c.set_globals(50_000 * M, 1_000 * M, 2_500 * M, 250_000 * M, 150_000 * M, 500, 6)
        assert c.check(0, 1, 974, price, False, True, 1) == Reason.PRICE_BAND


@settings(max_examples=400, deadline=None)
@given(qty=pos64, price=pos64, decimals=st.integers(0, 24), agent=st.booleans())
def test_no_accepted_order_is_above_a_limit(qty: int, price: int, decimals: int, agent: bool) -> None:
    """Whatever the magnitudes, an order the core accepts has an exact notional within the limits."""
    c = RiskCore()
    c.set_globals(I64_MAX, 10**12, 10**13, I64_MAX, I64_MAX, 0, 100)
    c.add_venue(0, I64_MAX, I64_MAX, 50, 20, 20, 0)
    c.add_instrument(0, 0, 1, 1, 0, decimals, I64_MAX)
    c.set_mid_x2(0, 2)
    if c.check(0, 1, qty, price, False, agent, 1) == Reason.OK:
        exact = -(-(qty * 2 * price * 10**6) // (2 * 10**decimals))  # micro, rounded up
        assert exact <= I64_MAX
        if agent:
            assert exact <= 10**12
