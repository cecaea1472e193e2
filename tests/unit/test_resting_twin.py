"""The matcher's resting orders in C (``_resting.pyx``) against their pure-Python twin
(``resting.py``), on random sequences of arrivals, cancels, book updates and trades, sizes and
prices drawn over the whole int64 range (edges included), for every queue model; then two whole
matchers, one on each, fed the same market, emit the same reports."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from alephtx.core.book import L2Book, PyL2Book
from alephtx.core.model import Instrument, OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from alephtx.core.venues.base import VenueOrder
from alephtx.core.venues.paper.matching import Matcher
from alephtx.core.venues.paper.models import queue_model
from alephtx.core.venues.paper.resting import CResting, PyResting, queue_params

MAX = 2**63 - 1
EDGES = [0, 1, 2, 3, MAX, MAX - 1, MAX // 2, MAX // 3, 2**62, 2**53, 2**53 + 1, 10**18, 10**15, 999, 1000]
SIZES = st.one_of(st.sampled_from(EDGES), st.integers(0, MAX), st.integers(0, 5000))
QUEUES = ["fifo", "power:2", "power:3", "power:0.5", "power:10", "log"]


def _prices(base: int) -> list[int]:
    """Six neighbouring prices from ``base`` (tick 1), so orders share levels and trades cross."""
    return [base + k for k in range(6)]


@st.composite
def scenario(draw: Any) -> tuple[str, bool, list[tuple[Any, ...]]]:
    queue = draw(st.sampled_from(QUEUES))
    whole = draw(st.booleans())
    base = draw(st.sampled_from([1, 1000, 2**40, MAX - 10]))
    prices = _prices(base)
    ops: list[tuple[Any, ...]] = []
    for _ in range(draw(st.integers(1, 40))):
        kind = draw(st.sampled_from(["add", "add", "remove", "book", "book", "trade", "trade"]))
        if kind == "add":
            ops.append(("add", draw(st.booleans()), draw(st.sampled_from(prices)), draw(SIZES), draw(SIZES)))
        elif kind == "remove":
            ops.append(("remove", draw(st.integers(0, 50))))
        elif kind == "book":
            levels = draw(st.lists(st.tuples(st.booleans(), st.sampled_from(prices), SIZES), max_size=8))
            ops.append(("book", levels, draw(st.sampled_from([0, *prices])), draw(st.sampled_from([0, *prices]))))
        else:
            ops.append(("trade", draw(st.sampled_from(prices)), draw(SIZES), draw(st.booleans())))
    return queue, whole, ops


def _order(n: int, is_bid: bool, price: int, qty: int) -> VenueOrder:
    side = Side.BUY if is_bid else Side.SELL
    return VenueOrder(f"c{n}", f"v{n}", "x:Y", side, OrderType.LIMIT, qty, price, TimeInForce.GTC, False,
                      OrderStatus.ACCEPTED)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(scenario())
def test_c_resting_equals_its_twin_over_int64(case: tuple[str, bool, list[tuple[Any, ...]]]) -> None:
    queue, whole, ops = case
    kind, n = queue_params(queue_model(queue))
    py, c = PyResting(kind, n, whole), CResting(kind, n, whole)
    book = PyL2Book(tick=1)
    orders: list[VenueOrder] = []
    for step, op in enumerate(ops):
        if op[0] == "add":
            _, is_bid, price, qty, ahead = op
            o = _order(step, is_bid, price, max(qty, 1))
            orders.append(o)
            py.add(o, is_bid, ahead)
            c.add(o, is_bid, ahead)
        elif op[0] == "remove":
            if orders:
                o = orders[op[1] % len(orders)]
                assert py.remove(o) == c.remove(o)
        elif op[0] == "book":
            for is_bid, price, qty in op[1]:
                book.set_level(is_bid, price, qty)
            got_py, got_c = py.on_book(book, op[2], op[3]), c.on_book(book, op[2], op[3])
            assert got_py == got_c, (step, op)
            py.drop_filled()
            c.drop_filled()
        elif op[0] == "trade":
            got_py, got_c = py.on_trade(op[1], op[2], op[3]), c.on_trade(op[1], op[2], op[3])
            assert got_py == got_c, (step, op)
            py.drop_filled()
            c.drop_filled()
        assert len(py) == len(c)
        assert [py.ahead_of(o) for o in orders] == [c.ahead_of(o) for o in orders], (step, op)


INST = Instrument.from_strings("paper", "BTCUSDT", "perp", "0.10", "0.001", "0")


@st.composite
def market(draw: Any) -> tuple[str, bool, list[tuple[Any, ...]]]:
    """A book around 100.00 with orders arriving (after a latency), cancelled, and the market
    moving and trading through them."""
    queue = draw(st.sampled_from(QUEUES))
    whole = draw(st.booleans())
    ticks = [10000 + 10 * k for k in range(-4, 5)]
    ops: list[tuple[Any, ...]] = []
    for _ in range(draw(st.integers(1, 60))):
        kind = draw(st.sampled_from(["order", "order", "cancel", "book", "book", "trade", "trade"]))
        if kind == "order":
            ops.append(("order", draw(st.sampled_from(["buy", "sell"])), draw(st.sampled_from(ticks)),
                        draw(st.integers(1, 3000)), draw(st.sampled_from(["gtc", "post_only", "ioc"]))))  # fmt: skip
        elif kind == "cancel":
            ops.append(("cancel", draw(st.integers(0, 100))))
        elif kind == "book":
            mid = draw(st.sampled_from(ticks))
            sizes = draw(st.lists(st.integers(0, 5000), min_size=6, max_size=6))
            ops.append(("book", mid, sizes))
        else:
            ops.append(("trade", draw(st.sampled_from(ticks)), draw(st.integers(1, 4000)), draw(st.booleans())))
    return queue, whole, ops


@settings(max_examples=300, deadline=None)
@given(market())
def test_two_matchers_one_on_each_emit_the_same(case: tuple[str, bool, list[tuple[Any, ...]]]) -> None:
    queue, whole, ops = case
    runs: list[list[tuple[Any, ...]]] = []
    for pure in (True, False):
        book = L2Book(tick=INST.tick)
        book.apply_snapshot([9990, 9980, 9970], [1000, 2000, 3000], [10010, 10020, 10030], [1000, 2000, 3000], 1)
        seen: list[tuple[Any, ...]] = []

        def emit(kind: str, o: VenueOrder, fill: Any, reason: str, seen: list[tuple[Any, ...]] = seen) -> None:
            seen.append((kind, o.client_id, o.status, o.filled, None if fill is None else (fill.price, fill.quantity,
                         fill.fee, fill.liquidity, fill.trade_id), reason))  # fmt: skip

        m = Matcher(INST, book, emit, latency_ns=5, queue=queue_model(queue), pure=pure, whole_fills=whole)
        ids: list[str] = []
        t = 0
        for step, op in enumerate(ops):
            t += 3
            if op[0] == "order":
                req = OrderRequest.parse(INST, op[1], "limit", f"{op[3] / 1000:.3f}", f"{op[2] / 100:.2f}",
                                         tif=op[4], client_id=f"c{step}")  # fmt: skip
                o = VenueOrder(req.client_id, f"v{step}", INST.key, req.side, req.type, req.quantity,
                               req.price or 0, req.tif, False, OrderStatus.SUBMITTED)  # fmt: skip
                ids.append(o.client_id)
                m.now_ns = t
                m.submit(o, req)
            elif op[0] == "cancel":
                if ids:
                    m.now_ns = t
                    m.cancel(ids[op[1] % len(ids)])
            elif op[0] == "book":
                mid, sizes = op[1], op[2]
                book.apply_snapshot([mid - 10, mid - 20, mid - 30], sizes[:3], [mid + 10, mid + 20, mid + 30],
                                    sizes[3:], step + 2)  # fmt: skip
                m.on_book(t)
            else:
                m.on_trade(t, op[1], op[2], Side.SELL if op[3] else Side.BUY)
        m.advance(t + 100)
        runs.append([*seen, ("ahead", [m.queue_ahead(i) for i in ids])])
    assert runs[0] == runs[1]
