"""Replay throughput of the whole engine (books + paper matching + strategies + risk + OMS +
journal) on the real capture, in market events (depth diffs and trades) per second.

Baselines in the same run: the capture parsed and applied to the book alone, and the engine with
no strategy (books and paper venue only).

    python -m bench.replay
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from alephtx.core.engine.session import StrategySpec, VenueFeed, run_session
from alephtx.core.model import Instrument
from alephtx.core.replay.book_replay import replay_book
from alephtx.core.risk import RiskLimits
from bench.common import capture_path, console, save, show

A = Instrument.from_strings("paper-a", "BTCUSDT", "perp", "0.10", "0.001", "5")
LIMITS = RiskLimits.model_validate(
    {
        "instrument": {A.key: {"max_position": "1"}},
        "venue": {
            "default": {
                "max_orders_per_second": 500,
                "max_cancels_per_second": 1000,
                "max_open_orders": 200,
                "margin_bps": 1000,
            }
        },
    }
)
SIX = [
    StrategySpec("grid", "grid", {"instrument": A.key}),
    StrategySpec("trend", "trend", {"instrument": A.key}),
    StrategySpec("meanrev", "mean_reversion", {"instrument": A.key}),
    StrategySpec("mm", "market_making", {"instrument": A.key}),
    StrategySpec("multi", "multi_signal", {"instrument": A.key}),
]


async def main_async() -> None:
    path = capture_path()
    t0 = time.perf_counter()
    s = replay_book(path, A)
    book_s = time.perf_counter() - t0
    book_events = s.messages["depth"] + s.messages["trade"]
    with tempfile.TemporaryDirectory() as tmp:
        bare = await run_session(path, [VenueFeed(A)], [], LIMITS, Path(tmp) / "a.db")
        full = await run_session(path, [VenueFeed(A)], SIX, LIMITS, Path(tmp) / "b.db")
    orders = sum(st["orders_sent"] for st in full.host.status())
    rows = [
        ["capture parsed + book only", f"{book_events:,}", f"{book_s:.2f}", f"{book_events / book_s:,.0f}"],
        [
            "engine + paper venue, no strategy",
            f"{bare.events:,}",
            f"{bare.seconds:.2f}",
            f"{bare.events / bare.seconds:,.0f}",
        ],
        [
            f"engine + 5 strategies ({orders:,} orders)",
            f"{full.events:,}",
            f"{full.seconds:.2f}",
            f"{full.events / full.seconds:,.0f}",
        ],
    ]
    show("Replay throughput (market events: depth diffs and trades)", ["run", "events", "seconds", "events/s"], rows)
    console.print(f"book only / full engine: [bold]{(book_events / book_s) / (full.events / full.seconds):.1f}x[/bold]")
    save(
        "replay",
        {
            "book_only_events_per_s": book_events / book_s,
            "engine_no_strategy_events_per_s": bare.events / bare.seconds,
            "engine_with_strategies_events_per_s": full.events / full.seconds,
            "orders": orders,
        },
    )


if __name__ == "__main__":
    asyncio.run(main_async())
