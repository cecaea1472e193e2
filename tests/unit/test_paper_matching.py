"""The paper venue's matching on a hand-made book: every order type, queue position, fees."""

from __future__ import annotations

import msgspec
import pytest

from alephtx.core.book import L2Book
from alephtx.core.errors import FieldError
from alephtx.core.model import Instrument, OrderRequest, OrderStatus, Side
from alephtx.core.venues.base import ExecReport, VenueRejected
from alephtx.core.venues.paper import FeeModel, PaperVenue

INST = Instrument.from_strings("paper", "BTCUSDT", "perp", "0.10", "0.001", "5")


def venue(latency_ns: int = 0) -> tuple[PaperVenue, list[ExecReport]]:
    v = PaperVenue([INST], fees=FeeModel(maker_bps=2, taker_bps=5), latency_ns=latency_ns)
    book: L2Book = v.books[INST.key]
    # bids 100.0 x 1.000, 99.9 x 2.000; asks 100.1 x 0.500, 100.2 x 3.000
    book.apply_snapshot([10000, 9990], [1000, 2000], [10010, 10020], [500, 3000], 1)
    got: list[ExecReport] = []

    async def on(r: ExecReport) -> None:
        got.append(r)

    v.set_report_handler(on)
    return v, got


def req(
    side: str, type_: str, qty: str, price: str | None = None, tif: str = "gtc", cid: str = "c1", **kw
) -> OrderRequest:  # type: ignore[no-untyped-def]
    return OrderRequest.parse(INST, side, type_, qty, price, tif=tif, client_id=cid, **kw)


async def test_market_order_walks_levels_and_pays_taker_fee() -> None:
    v, got = venue()
    o = await v.place_order(req("buy", "market", "1.000"))
    fills = [r.fill for r in got if r.fill]
    assert [(f.price, f.quantity, f.liquidity) for f in fills] == [(10010, 500, "taker"), (10020, 500, "taker")]
    assert fills[0].fee == -((-10010 * 500 * 5) // 10_000)  # rounded up
    assert (await v.get_order(INST.key, "c1")).status is OrderStatus.FILLED  # type: ignore[union-attr]
    assert o.client_id == "c1"
    (pos,) = await v.get_positions()
    assert pos.quantity == 1000


async def test_market_order_on_a_thin_book_expires_the_rest() -> None:
    v, got = venue()
    await v.place_order(req("sell", "market", "5.000"))
    assert sum(r.fill.quantity for r in got if r.fill) == 3000
    assert got[-1].kind == "expired" and got[-1].status is OrderStatus.EXPIRED


async def test_post_only_that_would_take_is_rejected() -> None:
    v, got = venue()
    await v.place_order(req("buy", "limit", "0.100", "100.10", tif="post_only"))
    assert got[-1].kind == "rejected" and "POST_ONLY_WOULD_TAKE" in got[-1].reason


async def test_fok_all_or_nothing_and_ioc_partial() -> None:
    v, got = venue()
    await v.place_order(req("buy", "limit", "1.000", "100.10", tif="fok"))
    assert not [r for r in got if r.fill] and got[-1].kind == "expired"
    await v.place_order(req("buy", "limit", "1.000", "100.10", tif="ioc", cid="c2"))
    assert [r.fill.quantity for r in got if r.fill] == [500] and got[-1].kind == "expired"
    await v.place_order(req("buy", "limit", "1.000", "100.20", tif="fok", cid="c3"))
    assert sum(r.fill.quantity for r in got if r.fill and r.client_id == "c3") == 1000


async def test_resting_order_keeps_its_queue_place() -> None:
    v, got = venue()
    await v.place_order(req("buy", "limit", "0.300", "100.00"))  # 1.000 ahead of it
    assert not [r for r in got if r.fill]
    v.on_trade(INST.key, 1, 10000, 700, Side.SELL)  # eats 0.700 of the queue ahead
    await v.flush()
    assert not [r for r in got if r.fill]
    v.books[INST.key].set_level(True, 10000, 1100)  # someone joins behind us: the queue stays 0.300
    v.on_depth(INST.key, 2)
    v.on_trade(INST.key, 3, 10000, 500, Side.SELL)  # 0.300 ahead gone, 0.200 for us
    await v.flush()
    fills = [r.fill for r in got if r.fill]
    assert [(f.quantity, f.price, f.liquidity) for f in fills] == [(200, 10000, "maker")]
    v.on_trade(INST.key, 4, 9990, 10, Side.SELL)  # a trade below our price: we were filled first
    await v.flush()
    assert sum(r.fill.quantity for r in got if r.fill) == 300


async def test_cancels_ahead_shrink_the_queue() -> None:
    v, got = venue()
    await v.place_order(req("sell", "limit", "0.100", "100.10"))  # 0.500 ahead
    v.books[INST.key].set_level(False, 10010, 50)  # most of the queue ahead cancelled
    v.on_depth(INST.key, 1)
    v.on_trade(INST.key, 2, 10010, 100, Side.BUY)  # 0.050 ahead, then 0.050 for us
    await v.flush()
    assert [r.fill.quantity for r in got if r.fill] == [50]


async def test_book_moving_through_a_resting_order_fills_it() -> None:
    v, got = venue()
    await v.place_order(req("buy", "limit", "0.200", "99.90"))
    book = v.books[INST.key]
    book.set_level(False, 10010, 0)
    book.set_level(False, 10020, 0)
    book.set_level(False, 9990, 400)  # the best ask is now at our price
    v.on_depth(INST.key, 5)
    await v.flush()
    assert [(r.fill.quantity, r.fill.price) for r in got if r.fill] == [(200, 9990)]


async def test_reduce_only_duplicate_id_and_latency() -> None:
    v, got = venue(latency_ns=1_000)
    await v.place_order(req("sell", "limit", "0.100", "100.50", reduce_only=True))
    assert not got  # still in flight
    v.advance(1_000)
    await v.flush()
    assert got[-1].kind == "rejected" and "REDUCE_ONLY" in got[-1].reason
    with pytest.raises(VenueRejected, match="DUPLICATE_CLIENT_ID"):
        await v.place_order(req("sell", "limit", "0.100", "100.50"))
    with pytest.raises(FieldError, match="client_id"):  # refused where the request is parsed ...
        req("sell", "limit", "0.100", "100.50", cid="bad-id!")
    bad = msgspec.structs.replace(req("sell", "limit", "0.100", "100.50"), client_id="bad-id!")
    with pytest.raises(VenueRejected, match="BAD_CLIENT_ID"):  # ... and by the venue, as a real one does
        await v.place_order(bad)


async def test_cancel_and_cash() -> None:
    v, _ = venue()
    await v.place_order(req("buy", "limit", "0.100", "99.00"))
    await v.cancel_order(INST.key, "c1")
    assert (await v.get_order(INST.key, "c1")).status is OrderStatus.CANCELLED  # type: ignore[union-attr]
    with pytest.raises(VenueRejected, match="ORDER_DONE"):
        await v.cancel_order(INST.key, "c1")
    await v.place_order(req("buy", "market", "0.500", cid="c2"))
    await v.place_order(req("sell", "limit", "0.500", "100.00", cid="c3"))  # takes the 100.00 bid
    (bal,) = await v.get_balances()
    # Bought 0.5 at 100.1, sold 0.5 at 100.0: -0.05 USD, minus fees (5 bps of each side).
    fees = -((-10010 * 500 * 5) // 10_000) + -((-10000 * 500 * 5) // 10_000)
    assert bal.total == v.initial_cash + (-5000 - fees) * 10**7
