"""Replay throughput of the whole engine (books + paper matching + strategies + risk + OMS +
journal) on the real capture, in market events (depth diffs and trades) and in data points
(price-level updates and trades) per second.

The engine replays the capture's tape (decoded once, cached); decoding and loading the tape are
timed on their own rows. Baselines in the same run: the capture's JSON parsed and applied to the
book alone (the path before tapes), and the engine with no strategy (books and paper venue only).

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
from alephtx.core.replay.tape import Tape
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
        t0 = time.perf_counter()
        tape = Tape.from_capture(path, A)
        decode_s = time.perf_counter() - t0
        tape.save(Path(tmp) / "tape.npz")
        t0 = time.perf_counter()
        Tape.load(Path(tmp) / "tape.npz")
        load_s = time.perf_counter() - t0
        Tape.cached(path, A)  # the sessions read the cached tape (decoded here the first time)
        bare = await run_session(path, [VenueFeed(A)], [], LIMITS, Path(tmp) / "a.db")
        full = await run_session(path, [VenueFeed(A)], SIX, LIMITS, Path(tmp) / "b.db")
    # Data points: every price-level update and every trade, the unit engines that report
    # "data points per second with full book maintenance" count.
    points = tape.level_updates + tape.trades
    orders = sum(st["orders_sent"] for st in full.host.status())

    def row(name: str, events: int, seconds: float, pts: int | None = points) -> list[str]:
        p = "" if pts is None else f"{pts:,}"
        rate = "" if pts is None else f"{pts / seconds:,.0f}"
        return [name, f"{events:,}", p, f"{seconds:.3f}", f"{events / seconds:,.0f}", rate]

    rows = [
        row("capture (JSON) parsed + book only", book_events, book_s),
        row("capture decoded into a tape", len(tape), decode_s, None),
        row("tape loaded from its file", len(tape), load_s, None),
        row("engine + paper venue, no strategy", bare.events, bare.seconds),
        row(f"engine + 5 strategies ({orders:,} orders)", full.events, full.seconds),
    ]
    show(
        "Replay throughput (events: depth diffs, the snapshot and trades)",
        ["run", "events", "data points", "seconds", "events/s", "data points/s"],
        rows,
    )
    console.print(
        f"engine with 5 strategies vs the JSON path with the book alone: "
        f"[bold]{(full.events / full.seconds) / (book_events / book_s):.1f}x[/bold] events/s; "
        f"data points/s with 5 strategies: [bold]{points / full.seconds:,.0f}[/bold], "
        f"without: [bold]{points / bare.seconds:,.0f}[/bold]"
    )
    save(
        "replay",
        {
            "book_only_events_per_s": book_events / book_s,
            "tape_decode_s": decode_s,
            "tape_load_s": load_s,
            "engine_no_strategy_events_per_s": bare.events / bare.seconds,
            "engine_with_strategies_events_per_s": full.events / full.seconds,
            "engine_no_strategy_points_per_s": points / bare.seconds,
            "engine_with_strategies_points_per_s": points / full.seconds,
            "data_points": points,
            "orders": orders,
        },
    )


if __name__ == "__main__":
    asyncio.run(main_async())
