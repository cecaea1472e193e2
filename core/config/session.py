"""The session config (strategies.toml): the paper venues, the strategies on them and the session's
cash and timer. What `aleph up`, the agent's desk and `aleph paper` start an engine from
(``core/engine/bootstrap.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from alephtx.core.config.loader import load_toml_model

DECIMAL = r"^[0-9]+(\.[0-9]+)?$"


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SessionSection(_M):
    capture: str = ""
    timer_ms: int = Field(1000, ge=10)
    # Whole units of the quote currency per paper venue: a decimal string, never a float.
    cash: str = Field("100000", pattern=r"^[0-9]+$")

    @property
    def cash_units(self) -> int:
        return int(self.cash)


class VenueSection(_M):
    name: str = Field(pattern=r"^[a-z0-9-]+$")
    symbol: str
    tick_size: str = Field(pattern=DECIMAL)
    lot_size: str = Field(pattern=DECIMAL)
    delay_ms: int = Field(0, ge=0)
    latency_ms: float = Field(1.0, ge=0)  # an order's way to the paper venue
    taker_bps: int = Field(5, ge=0)
    maker_bps: int = Field(2, ge=-10)


class StrategySection(_M):
    name: str
    kind: str
    params: dict[str, Any] = {}


class SessionConfig(_M):
    session: SessionSection = SessionSection()
    venue: list[VenueSection]
    strategy: list[StrategySection] = []


def load_session_config(path: str | Path) -> SessionConfig:
    return load_toml_model(path, SessionConfig, "strategies config")


UpConfig = SessionConfig  # its name when it lived in core/engine/up.py
load_up_config = load_session_config
