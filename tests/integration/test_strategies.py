"""The shipped strategies on the real replayed sample, and the host that loads and swaps them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from alephtx.core.config.resources import sample_capture
from alephtx.core.engine.session import StrategySpec, VenueFeed, max_drawdown, run_session
from alephtx.core.model import Instrument
from alephtx.core.risk import RiskLimits
from alephtx.core.strategies import StrategyError

A = Instrument.from_strings("paper-a", "BTCUSDT", "perp", "0.10", "0.001", "5")
B = Instrument.from_strings("paper-b", "BTCUSDT", "perp", "0.10", "0.001", "5")


def limits(b_max: str = "1") -> RiskLimits:
    return RiskLimits.model_validate(
        {
            "instrument": {A.key: {"max_position": "1"}, B.key: {"max_position": b_max}},
            "venue": {
                "default": {
                    "max_orders_per_second": 200,
                    "max_cancels_per_second": 400,
                    "max_open_orders": 100,
                    "margin_bps": 1000,
                }
            },
        }
    )


async def session(tmp_path: Path, specs: list[StrategySpec], b_max: str = "1", delay_ms: int = 250) -> Any:
    return await run_session(
        sample_capture(), [VenueFeed(A), VenueFeed(B, delay_ms=delay_ms)], specs, limits(b_max), tmp_path / "j.db"
    )


def status(r: Any, name: str) -> dict[str, Any]:
    return next(s for s in r.host.status() if s["name"] == name)


async def test_all_six_trade_on_real_data_without_breaking_a_limit(tmp_path: Path) -> None:
    specs = [
        StrategySpec("grid", "grid", {"instrument": A.key, "levels": 3, "spacing_ticks": 20}),
        StrategySpec("trend", "trend", {"instrument": A.key}),
        StrategySpec("meanrev", "mean_reversion", {"instrument": A.key}),
        StrategySpec("mm", "market_making", {"instrument": A.key}),
        StrategySpec(
            "arb",
            "arbitrage",
            {"venue_a": A.key, "venue_b": B.key, "fee_bps_a": 0.5, "fee_bps_b": 0.5, "margin_bps": 0.5},
        ),
        StrategySpec("multi", "multi_signal", {"instrument": A.key}),
    ]
    r = await session(tmp_path, specs)
    for s in specs:
        st = status(r, s.name)
        assert st["error"] == "" and st["orders_sent"] > 0, st
        assert r.books[s.name].curve, s.name
    assert r.events > 4000 and r.market_seconds > 80
    # Nothing was refused by risk: each strategy stays inside the limits by construction.
    assert not Counter(x for s in r.host.loaded.values() for x in s.ctx.rejections)
    loaded = r.host.loaded
    assert loaded["grid"].strategy.rearms > 0
    assert loaded["mm"].strategy.max_abs_inventory <= A.size("0.010") and loaded["mm"].strategy.requotes > 10
    mr = loaded["meanrev"].strategy
    assert mr.entries >= 1 and mr.entries - (mr.exits + mr.stops) in (0, 1)
    assert abs(loaded["meanrev"].ctx.positions.get(A.key, 0)) <= A.size("0.002")
    assert abs(loaded["trend"].ctx.positions.get(A.key, 0)) <= A.size("0.010")
    assert loaded["multi"].strategy.votes > 50
    arb = loaded["arb"]
    assert arb.strategy.attempts > 0
    assert arb.ctx.positions.get(A.key, 0) + arb.ctx.positions.get(B.key, 0) == 0  # legs balanced
    assert max_drawdown(r.books["grid"].curve) >= 0


async def test_arbitrage_flattens_when_a_leg_fails(tmp_path: Path) -> None:
    # Venue B's position limit is zero: every sell on B is refused by risk, so each buy on A
    # must be undone at market.
    spec = StrategySpec(
        "arb", "arbitrage", {"venue_a": A.key, "venue_b": B.key, "fee_bps_a": 0.0, "fee_bps_b": 0.0, "margin_bps": 0.0}
    )
    r = await session(tmp_path, [spec], b_max="0")
    arb = r.host.loaded["arb"]
    assert arb.strategy.attempts > 0 and arb.strategy.hedges > 0
    assert "MAX_POSITION" in arb.ctx.rejections
    assert arb.ctx.positions.get(A.key, 0) + arb.ctx.positions.get(B.key, 0) == 0


async def test_multi_signal_with_a_torch_model(tmp_path: Path) -> None:
    import torch

    class Bullish(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.sum(dim=1) * 0 + 10.0  # always strongly long

    path = tmp_path / "model.pt"
    torch.jit.script(Bullish()).save(str(path))
    spec = StrategySpec(
        "multi", "multi_signal", {"instrument": A.key, "model_path": str(path), "w_model": 5.0, "threshold": 0.5}
    )
    r = await session(tmp_path, [spec])
    m = r.host.loaded["multi"]
    assert m.strategy.model is not None and m.strategy.last_score > 0.5
    assert m.ctx.positions.get(A.key, 0) == A.size("0.002")  # the model's vote dominates: long


async def test_bad_parameters_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(StrategyError, match="levels"):
        await session(tmp_path, [StrategySpec("grid", "grid", {"instrument": A.key, "levels": 0})])
    with pytest.raises(StrategyError, match="nope"):
        await session(tmp_path, [StrategySpec("grid", "grid", {"instrument": A.key, "nope": 1})])
    with pytest.raises(StrategyError, match="not traded"):
        await session(tmp_path, [StrategySpec("grid", "grid", {"instrument": "x:Y"})])
