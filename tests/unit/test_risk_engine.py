from __future__ import annotations

from pathlib import Path

import pytest

from alephtx.core.config import ConfigError
from alephtx.core.model import Instrument, OrderRequest
from alephtx.core.risk import Reason, RiskEngine, TradingState, load_limits
from tests.conftest import ROOT

S = 1_000_000_000
M = 1_000_000


@pytest.fixture
def inst() -> Instrument:
    return Instrument.from_strings("paper", "BTCUSDT", "perp", "0.10", "0.001", "5")


@pytest.fixture(params=[False, True], ids=["cython", "twin"])
def risk(request: pytest.FixtureRequest, inst: Instrument) -> RiskEngine:
    t = [10 * S]

    def clock() -> int:
        t[0] += S  # one second per call: the rate limits stay out of these tests
        return t[0]

    r = RiskEngine(load_limits(ROOT / "configs" / "risk.toml"), twin=request.param, clock=clock)
    r.add_instrument(inst)
    r.set_mid_x2(inst.key, 2 * 6_000_000)
    r.set_balance("paper", 100_000 * M)
    return r


def order(
    inst: Instrument, qty: str = "0.010", price: str | None = "60000.00", origin: str = "operator", **kw
) -> OrderRequest:  # type: ignore[no-untyped-def]
    return OrderRequest.parse(
        inst, kw.pop("side", "buy"), "limit" if price else "market", qty, price, origin=origin, **kw
    )


def test_shipped_limits_load_and_pass_a_small_order(risk: RiskEngine, inst: Instrument) -> None:
    v = risk.check(order(inst))
    assert v.ok and v.reason is Reason.OK


def test_verdicts_carry_code_and_sentence(risk: RiskEngine, inst: Instrument) -> None:
    v = risk.check(order(inst, "3.000"))
    assert v.reason is Reason.MAX_ORDER_NOTIONAL  # 180,000 USD > 50,000
    assert v.text.startswith("MAX_ORDER_NOTIONAL: ") and "per-order limit" in v.text
    v = risk.check(order(inst, "0.500"))
    assert v.reason is Reason.OK
    v = risk.check(order(inst, "0.100", origin="agent"))
    assert v.reason is Reason.AGENT_MAX_ORDER_NOTIONAL  # 6,000 USD > 1,000 for the agent


def test_a_preview_gives_the_verdict_and_counts_nothing(risk: RiskEngine, inst: Instrument) -> None:
    before = risk.status()
    for _ in range(50):  # far past the rate limit and the open-order limit, were they counted
        assert risk.check(order(inst, "0.010", origin="agent"), commit=False).ok
    assert risk.status() == before
    assert risk.check(order(inst, "3.000"), commit=False).reason is Reason.MAX_ORDER_NOTIONAL
    assert risk.check(order(inst, "0.010", origin="agent")).ok
    assert risk.status()["open_orders"] == before["open_orders"] + 1


def test_position_limit_from_config(risk: RiskEngine, inst: Instrument) -> None:
    assert risk.check(order(inst, "0.800")).ok
    assert risk.check(order(inst, "0.800")).ok
    assert risk.check(order(inst, "0.800")).reason is Reason.MAX_POSITION  # 2.4 BTC > 2


def test_unknown_instrument_gets_zero_position_limit(inst: Instrument) -> None:
    r = RiskEngine(load_limits(ROOT / "configs" / "risk.toml"))
    eth = Instrument.from_strings("paper", "ETHUSDT", "perp", "0.01", "0.001")
    r.add_instrument(eth)
    r.set_mid_x2(eth.key, 2 * 300_000)
    r.set_balance("paper", 100_000 * M)
    assert r.check(OrderRequest.parse(eth, "buy", "limit", "0.010", "3000.00")).reason is Reason.MAX_POSITION


def test_tighten_only(risk: RiskEngine, inst: Instrument) -> None:
    risk.tighten("global.max_order_notional", "400", by="agent")
    assert risk.check(order(inst, "0.010")).reason is Reason.MAX_ORDER_NOTIONAL  # 600 > 400
    with pytest.raises(PermissionError, match="can only be tightened"):
        risk.tighten("global.max_order_notional", "1000", by="agent")
    risk.tighten(f"instrument.{inst.key}.max_position", "0.005", by="mcp:desk")
    risk.tighten("global.max_order_notional", "400", by="agent")  # equal is allowed
    assert risk.check(order(inst, "0.001")).ok
    assert risk.check(order(inst, "0.005")).reason is Reason.MAX_POSITION
    risk.tighten("venue.paper.max_open_orders", 1, by="agent")
    assert risk.check(order(inst, "0.001")).reason is Reason.MAX_OPEN_ORDERS
    risk.tighten("agent.daily_notional_budget", "0", by="agent")
    with pytest.raises(KeyError, match="not a limit"):
        risk.tighten("global.speed", "1", by="agent")
    with pytest.raises(KeyError, match="unknown venue"):
        risk.tighten("venue.nowhere.max_open_orders", 1, by="agent")
    kinds = [e.kind for e in risk.events]
    assert kinds.count("tighten") == 5


def test_halt_reduce_and_only_the_operator_resumes(risk: RiskEngine, inst: Instrument) -> None:
    risk.set_position(inst.key, 10)
    risk.reduce_only("volatile", by="agent")
    assert risk.check(order(inst)).reason is Reason.REDUCING_ONLY
    assert risk.check(order(inst, "0.010", side="sell")).ok
    risk.halt("agent saw a problem", by="agent")
    v = risk.check(order(inst, side="sell"))
    assert v.reason is Reason.TRADING_HALTED and "agent saw a problem" in v.text
    with pytest.raises(PermissionError):
        risk.reduce_only("x", by="agent")  # REDUCING is not a way out of HALTED
    for who in ("agent", "mcp:client", "strategy:grid"):
        with pytest.raises(PermissionError, match="only the operator"):
            risk.operator_reset(by=who)
    assert risk.state is TradingState.HALTED
    risk.operator_reset(by="operator")
    assert risk.state is TradingState.ACTIVE and risk.check(order(inst)).ok


def test_kill_switch_on_daily_loss_and_drawdown(risk: RiskEngine, inst: Instrument) -> None:
    day = 86_400 * S * 20_000
    assert not risk.mark_equity(100_000 * M, day)
    assert not risk.mark_equity(96_000 * M, day + 1)  # -4,000 < 5,000
    assert risk.mark_equity(94_999 * M, day + 2)  # -5,001
    assert risk.state is TradingState.HALTED and risk.kill_switch_tripped
    assert "daily loss" in risk.halt_reason
    risk.operator_reset(by="operator")
    # Next day: start 100k, peak 110k, then a 7,500 drawdown from the peak trips it.
    nd = day + 86_400 * S
    risk.mark_equity(100_000 * M, nd)
    risk.mark_equity(110_000 * M, nd + 1)
    assert risk.mark_equity(102_500 * M, nd + 2)
    assert "drawdown" in risk.halt_reason


def test_bad_limit_files_name_the_key(tmp_path: Path) -> None:
    f = tmp_path / "risk.toml"
    f.write_text('[global]\nprice_band_bps = 0\nmax_order_notional = "lots"\n')
    with pytest.raises(ConfigError) as err:
        load_limits(f)
    assert "global.price_band_bps = 0" in str(err.value) and "global.max_order_notional = 'lots'" in str(err.value)
    f.write_text("[venue.paper]\nspeed = 1\n")
    with pytest.raises(ConfigError, match=r"venue\.paper\.speed"):
        load_limits(f)
