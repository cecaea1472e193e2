"""One way to start an engine from a session config: config → paper venues (feeds) → strategies →
risk limits → session. `aleph up` (``core/engine/up.py``), the agent's desk (``Desk.from_replay``)
and the scripted `aleph paper` session (``cli/paper.py``) all start here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from alephtx.core.config.resources import sample_capture
from alephtx.core.config.session import SessionConfig
from alephtx.core.data.source import MarketSource
from alephtx.core.engine.session import SessionHandles, SessionResult, StrategySpec, VenueFeed, run_session
from alephtx.core.metrics import Metrics
from alephtx.core.model import Instrument
from alephtx.core.risk import RiskLimits
from alephtx.core.venues.paper import FeeModel


def feeds_and_strategies(config: SessionConfig) -> tuple[list[VenueFeed], list[StrategySpec]]:
    """The paper venues and the strategies a session config names."""
    feeds = [
        VenueFeed(
            Instrument.from_strings(v.name, v.symbol, "perp", v.tick_size, v.lot_size, "5"),
            v.delay_ms,
            v.latency_ms,
            fees=FeeModel(maker_bps=v.maker_bps, taker_bps=v.taker_bps),
        )
        for v in config.venue
    ]
    return feeds, [StrategySpec(s.name, s.kind, s.params) for s in config.strategy]


async def replay(
    config: SessionConfig,
    limits: RiskLimits,
    journal: Path,
    *,
    capture: Path | MarketSource | None = None,
    strategies: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
    metrics: Metrics | None = None,
    on_ready: Callable[[SessionHandles], Any] | None = None,
    on_timer: Callable[[SessionHandles, float], Awaitable[None]] | None = None,
    keep_open: bool = False,
    risk_state: Path | None = None,
    ids: str = "s",
) -> SessionResult:
    """Replay a capture or a catalog dataset (``capture``, else the config's capture, else the
    bundled sample) through the
    engine, the config's paper venues and (unless ``strategies`` is False) its strategies, under
    ``limits``. The rest is ``run_session``'s."""
    feeds, specs = feeds_and_strategies(config)
    path = capture or (Path(config.session.capture) if config.session.capture else sample_capture())
    journal.parent.mkdir(parents=True, exist_ok=True)
    return await run_session(
        path,
        feeds,
        specs if strategies else [],
        limits,
        journal,
        config.session.cash_units,
        config.session.timer_ms,
        on_progress,
        metrics=metrics,
        on_ready=on_ready,
        keep_open=keep_open,
        risk_state=risk_state,
        on_timer=on_timer,
        ids=ids,
    )
