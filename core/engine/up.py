"""`aleph up`: the engine with its configured paper venues and strategies over a replay (or live
data), the Prometheus endpoint, then the session report with its picture and HTML page."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alephtx.core.config.loader import ConfigError
from alephtx.core.engine.report import equity_picture, html_report
from alephtx.core.engine.session import SessionResult, StrategySpec, VenueFeed, run_session
from alephtx.core.metrics import Metrics
from alephtx.core.model import Instrument
from alephtx.core.replay.samples import sample_capture
from alephtx.core.risk import load_limits
from alephtx.core.venues.paper import FeeModel

DECIMAL = r"^[0-9]+(\.[0-9]+)?$"


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SessionSection(_M):
    capture: str = ""
    timer_ms: int = Field(1000, ge=10)
    cash: str = Field("100000", pattern=DECIMAL)


class VenueSection(_M):
    name: str = Field(pattern=r"^[a-z0-9-]+$")
    symbol: str
    tick_size: str = Field(pattern=DECIMAL)
    lot_size: str = Field(pattern=DECIMAL)
    delay_ms: int = Field(0, ge=0)
    taker_bps: int = Field(5, ge=0)
    maker_bps: int = Field(2, ge=-10)


class StrategySection(_M):
    name: str
    kind: str
    params: dict[str, Any] = {}


class UpConfig(_M):
    session: SessionSection = SessionSection()
    venue: list[VenueSection]
    strategy: list[StrategySection] = []


def load_up_config(path: str | Path) -> UpConfig:
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text())
    except FileNotFoundError:
        raise ConfigError(f"strategies config: file {p} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"strategies config ({p}): not valid TOML: {exc}") from None
    try:
        return UpConfig.model_validate(data)
    except ValidationError as exc:
        lines = [f"{'.'.join(str(x) for x in e['loc'])} = {e.get('input')!r}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(f"strategies config ({p}):\n  " + "\n  ".join(lines)) from None


async def up(
    config: UpConfig,
    risk_path: Path,
    out: Path,
    metrics_port: int = 0,
    capture: Path | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    on_ready: Callable[[Any], Any] | None = None,
) -> tuple[SessionResult, Metrics]:
    feeds = [
        VenueFeed(
            Instrument.from_strings(v.name, v.symbol, "perp", v.tick_size, v.lot_size, "5"),
            v.delay_ms,
            fees=FeeModel(maker_bps=v.maker_bps, taker_bps=v.taker_bps),
        )
        for v in config.venue
    ]
    specs = [StrategySpec(s.name, s.kind, s.params) for s in config.strategy]
    metrics = Metrics()
    if metrics_port:
        metrics.serve(metrics_port)
    out.mkdir(parents=True, exist_ok=True)
    path = capture or (Path(config.session.capture) if config.session.capture else sample_capture())
    result = await run_session(
        path,
        feeds,
        specs,
        load_limits(risk_path),
        out / "journal.db",
        int(float(config.session.cash)),
        config.session.timer_ms,
        on_progress,
        metrics=metrics,
        on_ready=on_ready,
    )
    picture = out / "equity.png"
    equity_picture(result, picture)
    html_report(result, picture, out / "report.html")
    return result, metrics
