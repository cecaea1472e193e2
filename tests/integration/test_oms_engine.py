"""The OMS and the engine against the paper venue, in one process: journal first, venue as truth."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from alephtx.core.engine import Engine
from alephtx.core.journal import OrderNew, SqliteJournal
from alephtx.core.model import Instrument, OrderRequest, OrderStatus, Side
from alephtx.core.model.accounting import CASH_PRECISION
from alephtx.core.model.states import TRANSITIONS, transition
from alephtx.core.risk import Reason, RiskEngine, RiskLimits
from alephtx.core.venues.base import VenueOrder, VenueUnavailable
from alephtx.core.venues.paper import PaperVenue

INST = Instrument.from_strings("paper", "BTCUSDT", "perp", "0.10", "0.001", "5")
CASH = 100_000 * 10**CASH_PRECISION
LIMITS = RiskLimits.model_validate({"instrument": {INST.key: {"max_position": "2"}}})


def make_venue() -> PaperVenue:
    v = PaperVenue([INST], cash=CASH)
    v.books[INST.key].apply_snapshot([6000000, 5999900], [1000, 2000], [6000100, 6000200], [500, 3000], 1)
    return v


def make_engine(venue: PaperVenue, path: Path) -> Engine:
    e = Engine([INST], {"paper": venue}, RiskEngine(LIMITS), SqliteJournal(path), CASH)
    e.on_mid(INST.key, 6000000 + 6000100)
    return e


def order(side: str, type_: str, qty: str, price: str | None = None, **kw) -> OrderRequest:  # type: ignore[no-untyped-def]
    return OrderRequest.parse(INST, side, type_, qty, price, **kw)


async def venue_matches_ledger(e: Engine, v: PaperVenue) -> None:
    (pos,) = await v.get_positions()
    mine = e.ledger.positions.get(INST.key)
    assert mine is not None and (mine.quantity, mine.cost) == (pos.quantity, pos.cost)
    assert e.ledger.cash() == v.cash()
    assert {(f.instrument, f.trade_id) for f in v.fills} == set(e.ledger.fills)
    assert {o.client_id for o in await v.get_open_orders()} == {o.client_id for o in e.ledger.open_orders()}


async def test_orders_fill_and_the_ledger_equals_the_venue(tmp_path: Path) -> None:
    v = make_venue()
    e = make_engine(v, tmp_path / "j.db")
    assert await e.start() == []
    r1 = await e.submit(order("buy", "market", "0.700"))
    assert r1.ok and e.ledger.orders[r1.client_id].status is OrderStatus.FILLED
    r2 = await e.submit(order("sell", "limit", "0.200", "60002.00"))
    assert e.ledger.orders[r2.client_id].status is OrderStatus.ACCEPTED
    await venue_matches_ledger(e, v)
    assert e.ledger.positions[INST.key].quantity == 700
    assert e.risk.core.position(0) == 700 and e.risk.core.open_orders(-1) == 1
    await e.cancel(r2.client_id)
    assert e.ledger.orders[r2.client_id].status is OrderStatus.CANCELLED
    assert e.risk.core.open_orders(-1) == 0
    await venue_matches_ledger(e, v)


async def test_risk_rejections_never_reach_the_venue(tmp_path: Path) -> None:
    v = make_venue()
    e = make_engine(v, tmp_path / "j.db")
    await e.start()
    r = await e.submit(order("buy", "limit", "0.010", "70000.00"))
    assert r.verdict.reason is Reason.PRICE_BAND and not v.orders
    r = await e.submit(order("buy", "limit", "0.100", "60000.00", origin="agent"))
    assert r.verdict.reason is Reason.AGENT_MAX_ORDER_NOTIONAL and not v.orders
    assert [x.reason for _, x in e.rejections] == [Reason.PRICE_BAND, Reason.AGENT_MAX_ORDER_NOTIONAL]


async def test_same_client_id_twice_sends_one_order(tmp_path: Path) -> None:
    v = make_venue()
    e = make_engine(v, tmp_path / "j.db")
    await e.start()
    req = order("buy", "limit", "0.010", "59990.00", client_id="myorder1")
    a = await e.submit(req)
    b = await e.submit(req)
    assert a.client_id == b.client_id == "myorder1" and len(v.orders) == 1
    assert "already submitted" in b.verdict.detail


class FlakyVenue(PaperVenue):
    """Loses the answer to a placement: before or after the order reached the book."""

    mode = "after"

    async def place_order(self, req: OrderRequest) -> VenueOrder:
        if self.mode == "before":
            raise VenueUnavailable("TIMEOUT", "no answer")
        await super().place_order(req)
        raise VenueUnavailable("TIMEOUT", "the answer was lost")


@pytest.mark.parametrize("mode", ["before", "after"])
async def test_uncertain_placement_is_resolved_by_lookup_not_resubmission(tmp_path: Path, mode: str) -> None:
    v = FlakyVenue([INST], cash=CASH)
    v.mode = mode
    v.books[INST.key].apply_snapshot([6000000], [1000], [6000100], [500], 1)
    e = make_engine(v, tmp_path / "j.db")
    await e.start()
    r = await e.submit(order("buy", "market", "0.100"))
    o = e.ledger.orders[r.client_id]
    if mode == "before":
        assert o.status is OrderStatus.REJECTED and not v.orders
    else:
        assert o.status is OrderStatus.FILLED and len(v.orders) == 1  # adopted, not sent again
        await venue_matches_ledger(e, v)


async def test_restart_rebuilds_and_records_fills_the_journal_missed(tmp_path: Path) -> None:
    v = make_venue()
    e = make_engine(v, tmp_path / "j.db")
    await e.start()
    await e.submit(order("buy", "limit", "0.300", "60000.00"))  # rests behind 1.000
    # The engine "dies": its handler is gone, the market keeps trading through its order.
    v.set_report_handler(None)
    v.on_trade(INST.key, 10, 6000000, 1300, Side.SELL)
    await v.flush()
    assert len(v.fills) == 1 and not e.ledger.fills
    e.journal.close()
    e2 = make_engine(v, tmp_path / "j.db")
    found = await e2.start()
    assert [f.action for f in found] == ["recorded"]
    await venue_matches_ledger(e2, v)
    assert e2.risk.core.position(0) == 300 and e2.risk.state.name == "ACTIVE"


async def test_a_written_order_that_never_reached_the_venue_is_rejected_at_restart(tmp_path: Path) -> None:
    v = make_venue()
    e = make_engine(v, tmp_path / "j.db")
    await e.start()
    req = order("buy", "limit", "0.010", "59990.00", client_id="lost1")
    e.oms.record(OrderNew("lost1", req, 1))  # written, then the process died before sending
    e.journal.close()
    e2 = make_engine(v, tmp_path / "j.db")
    found = await e2.start()
    assert e2.ledger.orders["lost1"].status is OrderStatus.REJECTED
    assert found[0].action == "marked rejected" and not v.orders


async def test_a_position_difference_is_adopted_once_and_survives_a_restart(tmp_path: Path) -> None:
    """The venue holds more than the journal's fills say (a trade made outside the node): the
    difference is adopted at the venue's entry price as an adjustment, journaled, and a second
    restart finds nothing to do."""
    v = make_venue()
    e = make_engine(v, tmp_path / "j.db")
    await e.start()
    await e.submit(order("buy", "market", "0.100"))
    pos = v.matchers[INST.key].position
    assert pos is not None
    entry = pos.cost // pos.quantity
    pos.quantity += 5  # the venue disagrees
    pos.cost += 5 * entry
    e.journal.close()
    e2 = make_engine(v, tmp_path / "j.db")
    found = await e2.start()
    assert [f.action for f in found] == [f"adopted: adjusted by 5 at {entry}"], found
    assert e2.ledger.positions[INST.key].quantity == pos.quantity and not e2.risk.halted_venues
    assert e2.risk.core.position(0) == pos.quantity
    e2.journal.close()
    e3 = make_engine(v, tmp_path / "j.db")
    assert await e3.start() == [] and e3.ledger.positions[INST.key].quantity == pos.quantity


async def test_an_unresolvable_difference_halts_the_venue(tmp_path: Path) -> None:
    """A position the venue holds without a price to adopt it at (no cost: a spot holding)."""
    v = make_venue()
    e = make_engine(v, tmp_path / "j.db")
    await e.start()
    await e.submit(order("buy", "market", "0.100"))
    v.matchers[INST.key].position.quantity += 5  # type: ignore[union-attr]  # the venue disagrees
    v.matchers[INST.key].position.cost = 0  # type: ignore[union-attr]  # and says nothing of its price
    e.journal.close()
    e2 = make_engine(v, tmp_path / "j.db")
    found = await e2.start()
    assert any("halt" in f.action for f in found)
    assert "paper" in e2.risk.halted_venues
    r = await e2.submit(order("buy", "market", "0.001"))
    assert r.verdict.reason is Reason.INSTRUMENT_NOT_TRADABLE


def test_illegal_transitions_are_refused_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    from alephtx.core.model import Order

    o = Order(order("buy", "market", "0.001"), "c1", OrderStatus.FILLED)
    with caplog.at_level(logging.ERROR):
        assert not transition(o, OrderStatus.CANCELLED)
    assert o.status is OrderStatus.FILLED and "illegal transition filled -> cancelled" in caplog.text
    assert all(not TRANSITIONS[s] for s in OrderStatus if s.is_terminal)


async def test_the_journal_log_moves_into_the_database_when_the_loop_step_ends(tmp_path: Path) -> None:
    v = make_venue()
    e = make_engine(v, tmp_path / "j.db")
    journal = e.oms.journal
    assert isinstance(journal, SqliteJournal)
    await e.start()
    await asyncio.sleep(0)
    r = await e.submit(order("sell", "limit", "0.200", "60002.00"))
    assert e.ledger.orders[r.client_id].status is OrderStatus.ACCEPTED  # the ledger has it at once
    assert [row[2] for row in journal._pending] == ["order_new", "order_ack"]  # in the log, not yet in SQLite
    assert len(journal._log.records()) == 2
    await asyncio.sleep(0)  # the end of this step of the event loop
    assert journal._pending == [] and journal._log.records() == []
    assert [type(ev).__name__ for _, ev in journal.read()][-2:] == ["OrderNew", "OrderAck"]
