"""Tick to order: a book update reaches a strategy that decides to trade; the order passes risk,
is journaled and the paper venue acknowledges it. p50 and p99 over the real replay.

Two moments end the span, both measured on every order: the venue's acknowledgement (its
matcher accepts the order and emits the report: tick to order proper), and the strategy holding
the answer (the OMS has journaled the acknowledgement and the call has returned through the
layers: the round trip a strategy sees).

Paths in the same run: in process with the Cython risk checks; the same with the pure-Python risk
twin (the baseline); an IOC order (its expiry and the strategy's callback for it fall in the
"back" span), with and without the event loop getting a turn between book updates (without, the
journal's batches into SQLite land inside some spans); and the strategy in a process of its own
(bench/remote_taker.py) behind NATS on loopback: book out over the bus, order request back over
it, through the nats-server at 127.0.0.1:4222 or a new one. Both processes read
CLOCK_MONOTONIC, so their timestamps subtract.

    python -m bench.tick_to_order
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from alephtx.core.book import L2Book
from alephtx.core.bus.nats import NatsBus
from alephtx.core.engine import Engine
from alephtx.core.engine.clock import MarketClock
from alephtx.core.journal import SqliteJournal
from alephtx.core.model import Instrument, TimeInForce
from alephtx.core.replay.driver import make_deliver
from alephtx.core.replay.tape import TRADE, Tape
from alephtx.core.risk import RiskEngine, RiskLimits
from alephtx.core.strategies import Params, Strategy, StrategyHost
from alephtx.core.strategies.remote import StrategyBridge
from alephtx.core.venues.paper import PaperVenue
from bench.common import capture_path, console, save, show
from tests.support.servers import nats_server

ROOT = Path(__file__).resolve().parents[1]
INST = Instrument.from_strings("paper", "BTCUSDT", "perp", "0.10", "0.001", "5")
EVERY = 5  # trade on every fifth book update
LIMITS = RiskLimits.model_validate(
    {
        "instrument": {INST.key: {"max_position": "1"}},
        "venue": {"default": {"max_orders_per_second": 1024, "max_open_orders": 1000}},
        "global": {"max_open_orders": 1000},
    }
)


class P(Params):
    instrument: str
    ioc: bool = False


class Taker(Strategy):
    """Every EVERY-th book: a buy far below the market. GTC (the default): it rests, the venue
    acknowledges it, and the strategy cancels it on the next book update (outside the measured
    span). IOC: acknowledged, then expired by the venue within the same call, and the strategy is
    told, all inside the span."""

    params_model = P

    def __init__(self, params: P) -> None:
        super().__init__(params)
        self.instruments = (params.instrument,)
        self.ioc = params.ioc
        self.n = 0
        self.marks: list[int] = []
        self.resting: str | None = None

    async def on_book(self, ctx: Any, key: str, book: L2Book) -> None:
        self.n += 1
        if self.resting is not None:
            await ctx.cancel(self.resting)
            self.resting = None
        if self.n % EVERY:
            return
        px = book.best_bid_price() - 1000 * INST.tick
        cid = await ctx.buy(key, INST.lot, px, tif=TimeInForce.IOC if self.ioc else TimeInForce.GTC)
        if cid:
            self.marks.append(time.perf_counter_ns())
            self.resting = None if self.ioc else cid


class StampedVenue(PaperVenue):
    """The paper venue, noting the moment its matcher accepts each order: the end of tick to
    order. (The OMS journaling that acknowledgement comes after, inside the "back" span.)"""

    def __init__(self, instruments: list[Instrument]) -> None:
        super().__init__(instruments)
        self.acked_at: list[int] = []
        self.acked = asyncio.Event()  # for a waiter in another task: no busy loop stealing a core

    def _emit(self, kind: str, o: Any, fill: Any, reason: str) -> None:
        if kind == "accepted":
            self.acked_at.append(time.perf_counter_ns())
            self.acked.set()
        super()._emit(kind, o, fill, reason)


Spans = list[tuple[int, int]]  # per order: (to the venue's acknowledgement, back in the strategy), ns


class Stamped:
    """The replay's listener: notes the moment a synchronised book is handed on (the start of
    every span), then hands it to ``on_book`` (the host, or the bridge to the other process)."""

    def __init__(self, on_book: Any) -> None:
        self.on_book_then = on_book
        self.t0 = 0
        self.books = 0

    def wants_books(self, key: str) -> bool:
        return True

    def wants_trades(self, key: str) -> bool:
        return False

    async def on_book(self, key: str, book: L2Book) -> None:
        self.books += 1
        self.t0 = time.perf_counter_ns()  # the book update has just been applied
        await self.on_book_then(key, book)

    async def on_trade(self, tick: Any) -> None:
        return None


def depth_events(path: Path) -> tuple[Tape, list[tuple[int, int]]]:
    """The capture's tape and its depth events as (index, exchange time): the bench feeds books."""
    tape = Tape.cached(path, INST)
    kinds = tape.kind.tolist()
    return tape, [(i, t) for i, t in enumerate(tape.exch_ns.tolist()) if kinds[i] != TRADE]


async def setup(twin: bool, folder: Path) -> tuple[Engine, StampedVenue]:
    venue = StampedVenue([INST])
    clock = MarketClock()  # market time, as a session's
    engine = Engine(
        [INST],
        {"paper": venue},
        RiskEngine(LIMITS, twin=twin, clock=clock.now),
        SqliteJournal(folder / f"j{uuid.uuid4().hex}.db"),
        venue.initial_cash,
        clock=clock.now,
    )
    await engine.start()
    engine._market_clock = clock  # type: ignore[attr-defined]
    return engine, venue


async def in_process(path: Path, twin: bool, folder: Path, ioc: bool = False, yields: bool = True) -> Spans:
    """``yields``: give the event loop a turn between book updates, as a live feed does while it
    waits for the next message (the journal moves its log into SQLite then, off the path);
    without it that batch lands inside some orders' spans."""
    engine, venue = await setup(twin, folder)
    host = StrategyHost(engine, venue.books)
    loaded = host.load("taker", Taker, {"instrument": INST.key, "ioc": ioc})
    await host.start("taker")
    taker: Any = loaded.strategy
    out: Spans = []
    tape, events = depth_events(path)
    stamp = Stamped(host.on_book)
    deliver = make_deliver(tape, {INST.key: venue}, listener=stamp, on_mid=engine.on_mid)
    clock = engine._market_clock  # type: ignore[attr-defined]
    for i, t in events:
        clock.set(t)
        before = len(taker.marks)
        if (pending := deliver(INST.key, i, t)) is not None:
            await pending
        if len(taker.marks) > before:
            out.append((venue.acked_at[-1] - stamp.t0, taker.marks[-1] - stamp.t0))
        if yields:
            await asyncio.sleep(0)
    return out


async def over_nats(path: Path, url: str, folder: Path, limit: int = 800) -> Spans:
    """The strategy in another process (bench/remote_taker.py), the engine here, NATS between."""
    engine, venue = await setup(False, folder)
    ns = f"bench{uuid.uuid4().hex[:8]}"
    bus = await NatsBus.connect(url, namespace=ns)
    bridge = StrategyBridge(engine, bus, venue.books)
    await bridge.start()
    marks = folder / f"marks{ns}.txt"
    ready = Path(f"{marks}.ready")
    child = subprocess.Popen([sys.executable, "-m", "bench.remote_taker", url, ns, str(marks)], cwd=ROOT)
    try:
        for _ in range(3000):  # its start-up: imports, connect, subscribe
            if ready.exists() or child.poll() is not None:
                break
            await asyncio.sleep(0.01)
        if not ready.exists():
            raise RuntimeError(f"the remote strategy did not start (exit code {child.poll()})")
        starts, acks = await _feed_remote(path, engine, venue, bridge, limit)
    finally:
        child.terminate()  # it cancels its orders on the way out: keep answering meanwhile
        for _ in range(3000):
            if child.poll() is not None:
                break
            await asyncio.sleep(0.01)
        else:
            child.kill()
    await bus.delete_stream()
    await bus.close()
    backs = [int(x) for x in marks.read_text().split()]
    if len(backs) != len(starts):
        raise RuntimeError(f"{len(starts)} orders reached the venue, the strategy saw {len(backs)} answers")
    return [(a, b - t0) for t0, a, b in zip(starts, acks, backs, strict=True)]


async def _feed_remote(
    path: Path, engine: Engine, venue: StampedVenue, bridge: StrategyBridge, limit: int
) -> tuple[list[int], list[int]]:
    """Publish books; every EVERY-th makes the remote strategy trade: wait for its order at the
    venue, then give its answer time to travel back before the next book."""
    starts: list[int] = []
    acks: list[int] = []
    tape, events = depth_events(path)
    stamp = Stamped(lambda key, book: bridge.publish_book(key))
    deliver = make_deliver(tape, {INST.key: venue}, listener=stamp, on_mid=engine.on_mid)
    clock = engine._market_clock  # type: ignore[attr-defined]
    for i, t in events:
        if len(starts) >= limit:
            break
        clock.set(t)
        published = stamp.books
        venue.acked.clear()
        if (pending := deliver(INST.key, i, t)) is not None:
            await pending
        if stamp.books == published:
            continue  # the book is not in sync: nothing was published
        if stamp.books % EVERY == 0:
            with contextlib.suppress(TimeoutError):  # counted as missing below
                await asyncio.wait_for(venue.acked.wait(), 0.5)
            if venue.acked.is_set():
                starts.append(stamp.t0)
                acks.append(venue.acked_at[-1] - stamp.t0)
        await asyncio.sleep(0.002)  # the book (and any answer) reaches the other process
    return starts, acks


def pct(xs: list[int]) -> tuple[float, float]:
    qs = statistics.quantiles(xs, n=100, method="inclusive")
    return statistics.median(xs) / 1000, qs[98] / 1000


async def main_async() -> None:
    path = capture_path()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cy = await in_process(path, False, folder)
        py = await in_process(path, True, folder)
        ioc = await in_process(path, False, folder, ioc=True)
        worst = await in_process(path, False, folder, ioc=True, yields=False)
        with nats_server() as url:
            nt = await over_nats(path, url, folder)
    rows, result = [], {}
    for name, spans in [
        ("in process, Cython risk", cy),
        ("in process, Python risk twin", py),
        ("in process, IOC (expiry + callback in back)", ioc),
        ("IOC, loop never yields (batches in spans)", worst),
        ("strategy in another process, NATS, IOC", nt),
    ]:
        a50, a99 = pct([a for a, _ in spans])
        b50, b99 = pct([b for _, b in spans])
        rows.append([name, f"{len(spans):,}", f"{a50:.1f}", f"{a99:.1f}", f"{b50:.1f}", f"{b99:.1f}"])
        result[name] = {"n": len(spans), "p50_us": a50, "p99_us": a99, "back_p50_us": b50, "back_p99_us": b99}
    show(
        "Tick to order: to the venue's acknowledgement, and back in the strategy",
        ["path", "orders", "ack p50 µs", "ack p99 µs", "back p50 µs", "back p99 µs"],
        rows,
    )
    ratio = result["in process, Python risk twin"]["p50_us"] / result["in process, Cython risk"]["p50_us"]
    nats_ratio = (
        result["strategy in another process, NATS, IOC"]["p50_us"]
        / result["in process, IOC (expiry + callback in back)"]["p50_us"]
    )
    console.print(
        f"ack p50, twin / Cython: [bold]{ratio:.2f}x[/bold]; NATS / in process (IOC): [bold]{nats_ratio:.1f}x[/bold]"
    )
    result["ratio_twin_vs_cython_p50"] = ratio
    save("tick_to_order", result)


if __name__ == "__main__":
    asyncio.run(main_async())
