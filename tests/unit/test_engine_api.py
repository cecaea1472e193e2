"""EngineAPI: typed results with decimal strings, and the venue seams the desk uses (fee rates,
catching a simulated venue up to market time, a place that returns once the venue acknowledged)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from alephtx.core.engine import Engine
from alephtx.core.engine.api import EngineAPI, PositionView
from alephtx.core.journal import SqliteJournal
from alephtx.core.model import Instrument, OrderRequest
from alephtx.core.risk import RiskEngine, RiskLimits
from alephtx.core.strategies import StrategyHost
from alephtx.core.venues.paper import FeeModel, PaperVenue

INST = Instrument.from_strings("paper", "BTCUSDT", "perp", "0.10", "0.001", "5")


async def _api(tmp_path: Path, latency_ns: int) -> tuple[EngineAPI, PaperVenue, list[int]]:
    venue = PaperVenue([INST], fees=FeeModel(maker_bps=2, taker_bps=5), latency_ns=latency_ns)
    venue.books[INST.key].apply_snapshot([6000000, 5999900], [1000, 500], [6000100], [1000], 1)
    now = [1_000]
    engine = Engine(
        [INST],
        {"paper": venue},
        RiskEngine(RiskLimits.model_validate({"instrument": {INST.key: {"max_position": "1"}}})),
        SqliteJournal(tmp_path / "j.db"),
        100_000 * 10**12,
        clock=lambda: now[0],
    )
    await engine.start()
    engine.on_mid(INST.key, venue.books[INST.key].mid_x2())
    host = StrategyHost(engine, venue.books)
    host.load("grid", "grid", {"instrument": INST.key})

    def clock() -> int:  # market time moves 1 ms each time it is read
        now[0] += 1_000_000
        return now[0]

    return EngineAPI(engine, host, {INST.key: venue}, clock=clock), venue, now


def test_fee_rates_and_settle_are_the_venue_interface() -> None:
    venue = PaperVenue([INST], fees=FeeModel(maker_bps=2, taker_bps=5))
    assert venue.fee_rates(INST.key) == (Decimal(2), Decimal(5))
    assert venue.fee_rates("paper:NOPE") is None
    venue.settle(5)
    assert venue.now_ns == 5


async def test_reads_are_typed_with_decimal_strings(tmp_path: Path) -> None:
    api, _, _ = await _api(tmp_path, latency_ns=0)
    assert [(i.instrument, i.tick_size, i.lot_size) for i in api.instruments()] == [(INST.key, "0.10", "0.001")]
    t = api.ticker(INST.key)
    assert (t.bid, t.bid_size, t.ask, t.ask_size, t.mid, t.stale) == (
        "60000.00",
        "1.000",
        "60001.00",
        "1.000",
        "60000.50",
        False,
    )
    book = api.order_book(INST.key, 1)
    assert [(lv.price, lv.quantity) for lv in book.bids] == [("60000.00", "1.000")]
    q = api.quote(OrderRequest.parse(INST, "buy", "market", "0.010"))
    assert (q.price, q.notional, q.fees) == (Decimal("60001.00"), Decimal("600.01"), Decimal("0.3000"))
    maker = api.quote(OrderRequest.parse(INST, "buy", "limit", "0.010", "59000"))
    assert maker.fees == Decimal("0.1180")
    a = api.account()
    assert (a.trading_state, a.equity_usd, a.pnl_usd, a.fills, a.open_orders) == ("ACTIVE", "100000.00", "0.00", 0, 0)
    assert [s.state for s in api.strategies()] == ["stopped"]
    assert api.risk_status().halts == ()


async def test_place_returns_once_the_venue_acknowledged(tmp_path: Path) -> None:
    api, _, _ = await _api(tmp_path, latency_ns=3_000_000)  # 3 ms of market time to the venue
    res = await api.place(OrderRequest.parse(INST, "buy", "market", "0.005", origin="operator"))
    assert res.placed and res.status == "filled" and res.filled == "0.005"
    (p,) = api.positions()
    assert isinstance(p, PositionView) and p.quantity == "0.005" and Decimal(p.fees) > 0
    resting = await api.place(OrderRequest.parse(INST, "buy", "limit", "0.010", "59000", origin="operator"))
    assert resting.status == "accepted" and [o.client_id for o in api.open_orders()] == [resting.client_id]
    cancel = await api.cancel(resting.client_id)
    assert cancel.cancelled
    refused = await api.place(OrderRequest.parse(INST, "buy", "market", "5", origin="operator"))
    assert not refused.placed and refused.risk_reason is not None and refused.risk_text
    halted = api.halt("test", "operator")
    assert halted.state == "HALTED" and halted.halts[0].by == "operator"
