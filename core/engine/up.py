"""`aleph up`: the engine with its configured paper venues and strategies over a replay (or live
data), the Prometheus endpoint, then the session report with its picture and HTML page."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from alephtx.core.config.loader import ConfigError
from alephtx.core.config.session import SessionConfig, UpConfig, load_session_config, load_up_config
from alephtx.core.data.source import MarketSource
from alephtx.core.engine import bootstrap
from alephtx.core.engine.bootstrap import feeds_and_strategies
from alephtx.core.engine.report import equity_picture, html_report
from alephtx.core.engine.session import SessionResult, StrategySpec, VenueFeed, run_live_session
from alephtx.core.metrics import Metrics
from alephtx.core.model import Instrument
from alephtx.core.risk import load_limits

# The config schema lives in core/config/session.py; these names stay importable from here.
__all__ = ["SessionConfig", "UpConfig", "feeds_and_strategies", "load_session_config", "load_up_config", "up"]


async def reachable(url: str, timeout_s: float = 3.0) -> bool:
    """Whether a TCP connection to the URL's host and port opens (the venue can be reached)."""
    u = urlparse(url)
    port = u.port or (443 if u.scheme in ("https", "wss") else 80)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(u.hostname, port), timeout_s)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


async def up(
    config: SessionConfig,
    risk_path: Path,
    out: Path,
    metrics_port: int = 0,
    capture: Path | MarketSource | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    on_ready: Callable[[Any], Any] | None = None,
    live: str | None = None,
    live_urls: tuple[str, str] | None = None,
    seconds: float = 60.0,
    notes: list[str] | None = None,
) -> tuple[SessionResult, Metrics]:
    """Replay (the default), or with ``live`` paper-trade on that venue's public book when it can
    be reached (``live_urls`` = (rest, ws) overrides its endpoints), else fall back to the replay."""
    notes = notes if notes is not None else []
    feeds, specs = feeds_and_strategies(config)
    metrics = Metrics()
    if metrics_port:
        metrics.serve(metrics_port)
    out.mkdir(parents=True, exist_ok=True)
    if live:
        result = await _live(config, feeds, specs, risk_path, out, live, live_urls, seconds, metrics, on_ready, notes)
        if result is not None:
            _write_report(result, out)
            return result, metrics
    result = await bootstrap.replay(
        config,
        load_limits(risk_path),
        out / "journal.db",
        capture=capture,
        on_progress=on_progress,
        metrics=metrics,
        on_ready=on_ready,
    )
    _write_report(result, out)
    return result, metrics


def _write_report(result: SessionResult, out: Path) -> None:
    picture = out / "equity.png"
    equity_picture(result, picture)
    html_report(result, picture, out / "report.html")


async def _live(
    config: SessionConfig,
    feeds: list[VenueFeed],
    specs: list[StrategySpec],
    risk_path: Path,
    out: Path,
    live: str,
    live_urls: tuple[str, str] | None,
    seconds: float,
    metrics: Metrics,
    on_ready: Callable[[Any], Any] | None,
    notes: list[str],
) -> SessionResult | None:
    from alephtx.core.venues.base import VenueError
    from alephtx.core.venues.factory import VenueConfig
    from alephtx.core.venues.registry import STREAMING, build_market, factory
    from alephtx.core.venues.stream import StreamData

    if live not in STREAMING:
        raise ConfigError(f"live={live!r}: must be one of {list(STREAMING)}")
    rest, ws = live_urls or ("", "")
    venue = VenueConfig(live, rest_url=rest, ws_url=ws, cache=live_urls is None)  # an override is not cached
    ws_url = factory(live).settings(venue).ws_url
    if not await reachable(ws_url):
        notes.append(f"live data from {live} ({ws_url}) cannot be reached: replaying the capture instead")
        return None
    try:
        parts = await build_market(venue)  # the instruments come from the venue (or its cached table)
    except VenueError as exc:
        notes.append(f"the instruments of {live} cannot be listed ({exc}): replaying the capture instead")
        return None
    assert isinstance(parts.data, StreamData)
    first = feeds[0]
    listed = parts.instruments.by_symbol
    market = listed.get(first.instrument.symbol) or next(iter(listed.values()))
    paper = Instrument.from_strings(
        first.instrument.venue, market.symbol, "perp", market.tick_size, market.lot_size, "5"
    )
    keep = [
        s
        for s in specs
        if all(v == paper.key for k, v in s.params.items() if k in ("instrument", "venue_a", "venue_b"))
    ]
    for s in specs:
        if s not in keep:
            notes.append(f"strategy {s.name} needs a venue the live session does not have: not started")
    notes.append(f"paper trading on live {live} {market.symbol} for {seconds:.0f} s")
    stream = parts.data.book_stream(market.symbol)
    return await run_live_session(
        stream,
        VenueFeed(paper, fees=first.fees),
        keep,
        load_limits(risk_path),
        out / "journal.db",
        seconds,
        config.session.cash_units,
        config.session.timer_ms,
        metrics,
        on_ready,
    )
