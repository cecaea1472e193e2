"""Risk limits as configured in configs/risk.toml, in the units the checks use.

Money limits are decimal strings in the quote currency (USD for USD, USDT and USDC quoted
instruments) and become integers in micro units. Every limit here can only be tightened at run
time (RiskEngine.tighten); loosening is an edit of the file and a restart.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from alephtx.core.config.loader import load_toml_model
from alephtx.core.model.fixed import Rounding, to_fixed

MICRO = 6
DECIMAL = r"^[0-9]+(\.[0-9]+)?$"


def micro(text: str, field: str) -> int:
    return to_fixed(text, MICRO, field, Rounding.DOWN)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GlobalLimits(_Section):
    max_order_notional: str = Field("50000", pattern=DECIMAL)
    max_gross_exposure: str = Field("250000", pattern=DECIMAL)
    max_net_exposure: str = Field("150000", pattern=DECIMAL)
    price_band_bps: int = Field(500, ge=1, le=10000)
    max_open_orders: int = Field(200, ge=0, le=100000)
    daily_loss_limit: str = Field("5000", pattern=DECIMAL)
    max_drawdown: str = Field("7500", pattern=DECIMAL)
    flatten_on_kill: bool = False


class AgentLimits(_Section):
    max_order_notional: str = Field("1000", pattern=DECIMAL)
    daily_notional_budget: str = Field("10000", pattern=DECIMAL)


class VenueLimits(_Section):
    max_gross_exposure: str = Field("200000", pattern=DECIMAL)
    max_net_exposure: str = Field("100000", pattern=DECIMAL)
    max_open_orders: int = Field(100, ge=0, le=100000)
    max_orders_per_second: int = Field(20, ge=1, le=1024)
    max_cancels_per_second: int = Field(40, ge=1, le=1024)
    # Margin needed per unit of notional, in basis points: 10000 = fully funded (spot), 1000 = 10x.
    margin_bps: int = Field(10000, ge=1, le=10000)


class InstrumentLimits(_Section):
    # In base units (e.g. BTC). An instrument without an entry gets the default, 0: it can only
    # be traded to reduce a position until the operator sets a limit.
    max_position: str = Field("0", pattern=DECIMAL)


class RiskLimits(_Section):
    global_: GlobalLimits = Field(GlobalLimits(), alias="global")
    agent: AgentLimits = AgentLimits()
    venue: dict[str, VenueLimits] = Field(default_factory=lambda: {"default": VenueLimits()})
    instrument: dict[str, InstrumentLimits] = Field(default_factory=lambda: {"default": InstrumentLimits()})

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def for_venue(self, venue: str) -> VenueLimits:
        return self.venue.get(venue) or self.venue.get("default") or VenueLimits()

    def for_instrument(self, key: str) -> InstrumentLimits:
        return self.instrument.get(key) or self.instrument.get("default") or InstrumentLimits()


def load_limits(path: str | Path) -> RiskLimits:
    return load_toml_model(path, RiskLimits, "risk limits")
