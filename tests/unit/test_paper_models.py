"""The paper venue's models: fees (fractions of a basis point, published tiers), latency from the
recorded feed, and the probabilistic queue against hftbacktest's formula worked by hand."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alephtx.core.book import L2Book
from alephtx.core.errors import FieldError
from alephtx.core.model import Instrument, OrderRequest, OrderStatus, Side
from alephtx.core.venues.base import VenueOrder
from alephtx.core.venues.paper.matching import Matcher
from alephtx.core.venues.paper.models import (
    FeedLatency,
    FeeModel,
    ProbQueue,
    QueueModel,
    fee_tier,
    fee_tiers,
    latency_model,
    queue_model,
)

INT64 = st.integers(-(2**63), 2**63 - 1)


@given(INT64, INT64, st.integers(-1000, 1000))
def test_whole_basis_points_round_up_as_they_always_did(price: int, qty: int, bps: int) -> None:
    want = -((-price * qty * bps) // 10_000)
    assert FeeModel(bps, bps).fee(price, qty, maker=True) == want == FeeModel(0, bps).fee(price, qty, maker=False)


@given(INT64, INT64, st.decimals(-1000, 1000, places=4, allow_nan=False, allow_infinity=False))
def test_fractions_of_a_basis_point_are_exact(price: int, qty: int, bps: Decimal) -> None:
    exact = Fraction(price * qty) * Fraction(bps) / 10_000
    assert FeeModel(bps, 5).fee(price, qty, maker=True) == math.ceil(exact)


def test_published_tiers() -> None:
    vip1 = fee_tier("binance-usdm:vip1")
    assert (vip1.maker_bps, vip1.taker_bps) == (Decimal("1.6"), 4)
    assert vip1.fee(100_000, 10_000, maker=True) == 160_000  # 1e9 notional x 0.016 %
    assert all(t for t in fee_tiers().values())  # every venue lists at least one tier
    with pytest.raises(FieldError, match=r"fee_tier.*no tier 'vip99'; tiers: regular, vip1"):
        fee_tier("binance-usdm:vip99")
    with pytest.raises(FieldError, match=r"fee_tier.*'nowhere'; venues: binance, binance-usdm"):
        fee_tier("nowhere:regular")


def test_latency_from_the_feed() -> None:
    # The recorder's clock 1000 ns behind the venue's: delays of -995, -910, -980, a snapshot, -990.
    exch = np.array([1100, 1200, 1150, 1300, 1400], dtype=np.int64)
    recv = np.array([105, 290, 170, 900_300, 410], dtype=np.int64)
    keep = np.array([True, True, True, False, True])  # the fourth is a snapshot: left out
    lat = FeedLatency(base_ns=7)
    assert lat(50) == 7  # nothing seen yet: the base
    lat.observe(exch, recv, keep)
    # beyond the fastest (-995): 0, 85, 15, (snapshot), 5; at 1200 the last message read is the third
    assert [lat(t) for t in (1099, 1100, 1199, 1200, 1399, 10**6)] == [7, 7, 7, 22, 22, 12]
    later = FeedLatency(base_ns=0)
    later.observe(exch[:2], recv[:2])
    assert later(1200) == 85
    later.observe(exch[2:3], recv[2:3] - 30)  # a faster message than any before: the new fastest
    assert later(1150) == 0 and lat.seen[:2] == [7, 7]


def test_models_parse_or_name_what_is_wrong() -> None:
    assert latency_model("2.5") == 2.5 and latency_model("data+3").base_ns == 3_000_000  # type: ignore[union-attr]
    assert latency_model("data").base_ns == 1_000_000  # type: ignore[union-attr]
    assert type(queue_model("fifo")) is QueueModel and queue_model("power:3").name == "power:3"
    assert queue_model("log").name == "log"
    for bad, words in (
        ("fast", "latency"),
        ("data*2", "data[+]MS"),
        ("data+-1", "data[+]MS"),
        ("-1", "between"),
        ("nan", "between"),
    ):
        with pytest.raises(FieldError, match=words):
            latency_model(bad)
    for bad in ("lifo", "power:-1", "power:x", "power:inf", "power:11"):
        with pytest.raises(FieldError, match="queue"):
            queue_model(bad)


def test_prob_queue_follows_hftbacktest_formula() -> None:
    # hftbacktest's ProbQueueModel.depth: chg = prev - new - traded; back = prev - front;
    # p = f(back) / (f(back) + f(front)); front' = front - (1 - p) chg + min(back - p chg, 0).
    q = ProbQueue("power", 2)
    assert q.on_depth(10, 20, 15, 0) == 8  # p = 0.5: 10 - 2.5 = 7.5, rounded half to even: 8
    assert q.on_depth(10, 10, 6, 0) == 6  # nobody behind: the whole cancel was ahead
    assert q.on_depth(2, 20, 10, 0) == 2  # p = 324 / 328: 2 - 10 x 4/328 = 1.88, rounded
    assert q.on_depth(10, 12, 2, 0) == 0  # p = 4 / 104, and the share behind is more than is behind
    assert q.on_depth(10, 20, 25, 0) == 10  # size added behind moves nothing
    assert q.on_depth(10, 20, 15, 5) == 10  # the decrease was the trade, already taken off
    assert q.on_depth(10, 20, 4, 0) == 2  # p = 0.5: 10 - 8 + min(10 - 8, 0)
    log = ProbQueue("log")
    p = math.log1p(10) / (math.log1p(10) + math.log1p(10))
    assert log.on_depth(10, 20, 16, 0) == round(10 - (1 - p) * 4)


def _matcher(queue: QueueModel | None) -> tuple[Matcher, L2Book]:
    inst = Instrument.from_strings("paper", "BTCUSDT", "perp", "0.10", "0.001", "5")
    book = L2Book(tick=inst.tick)
    book.apply_snapshot([10000], [10_000], [10010], [10_000], 1)
    fills: list[int] = []
    m = Matcher(inst, book, lambda kind, o, f, r: fills.append(f.quantity) if f else None, queue=queue)
    req = OrderRequest.parse(inst, "buy", "limit", "1.000", "100.00", client_id="c1")
    o = VenueOrder(
        "c1", "v1", inst.key, req.side, req.type, req.quantity, req.price or 0, req.tif, False, OrderStatus.SUBMITTED
    )
    m.submit(o, req)
    return m, book


def test_a_cancel_behind_us_moves_us_only_in_the_probabilistic_queue() -> None:
    fifo, prob = _matcher(None), _matcher(queue_model("power:2"))
    for m, book in (fifo, prob):
        book.apply_snapshot([10000], [20_000], [10010], [10_000], 2)  # 10 more behind us
        m.on_book(1)
        book.apply_snapshot([10000], [15_000], [10010], [10_000], 3)  # 5 cancelled somewhere
        m.on_book(2)
    assert fifo[0].queue_ahead("c1") == 10_000  # the cap (15) is above the queue
    assert prob[0].queue_ahead("c1") == 7_500  # half of the cancel taken as ahead of us
    for m, _ in (fifo, prob):
        m.on_trade(3, 10000, 8_000, Side.SELL)
    assert fifo[0].queue_ahead("c1") == 2_000 and prob[0].orders["c1"].filled == 500
