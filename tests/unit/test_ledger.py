"""The ledger's index of live orders must always equal a scan of every order for the non-terminal."""

from __future__ import annotations

from alephtx.core.journal.events import (
    CancelRefused,
    CancelRequested,
    Event,
    FillRecorded,
    OrderAck,
    OrderDone,
    OrderNew,
    OrderRejected,
)
from alephtx.core.model import Fill, Instrument, OrderRequest, OrderType, Side
from alephtx.core.state.ledger import Ledger

INST = Instrument.from_strings("paper", "BTCUSDT", "perp", "0.10", "0.001", "5")


def req(cid: str, qty: int = 10) -> OrderRequest:
    return OrderRequest(INST.key, Side.BUY, OrderType.LIMIT, qty, 6_000_000, client_id=cid)


def fill(cid: str, trade: str, qty: int) -> FillRecorded:
    return FillRecorded(Fill(INST.key, cid, "P", trade, Side.BUY, 6_000_000, qty, 1, "maker", 1))


def test_live_orders_follow_every_kind_of_event() -> None:
    events: list[tuple[Event, list[str]]] = [
        (OrderNew("a", req("a"), 1), ["a"]),
        (OrderNew("b", req("b"), 2), ["a", "b"]),
        (OrderNew("c", req("c"), 3), ["a", "b", "c"]),
        (OrderAck("a", "P1", 4), ["a", "b", "c"]),
        (OrderRejected("b", "NO", 5), ["a", "c"]),
        (fill("a", "t1", 4), ["a", "c"]),  # partly filled: still live
        (CancelRequested("a", 6), ["a", "c"]),
        (CancelRefused("a", "late", 7), ["a", "c"]),
        (fill("a", "t2", 6), ["c"]),  # filled
        (fill("a", "t2", 6), ["c"]),  # the same fill again changes nothing
        (OrderAck("c", "P3", 8), ["c"]),
        (OrderDone("c", "expired", 0, 9), []),
        (OrderNew("d", req("d"), 10), ["d"]),
    ]
    led = Ledger({INST.key: INST})
    for ev, live in events:
        led.apply(ev)
        assert [o.client_id for o in led.open_orders()] == live, ev
        assert led.open_orders() == [o for o in led.orders.values() if not o.status.is_terminal]
