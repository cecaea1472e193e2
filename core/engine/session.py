"""A trading session: strategies on one or more paper venues over a recorded capture, in market
time, through the same risk engine, OMS and journal as production.

Several venues can replay the same capture, one of them late by ``delay_ms`` (the way a slower
venue's prices trail a faster one's), which is what cross-venue strategies trade on.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alephtx.core.data.source import MarketSource
from alephtx.core.engine.clock import MarketClock
from alephtx.core.engine.engine import Engine
from alephtx.core.journal import SqliteJournal
from alephtx.core.metrics import Metrics
from alephtx.core.model import Fill, Instrument, Order, OrderStatus
from alephtx.core.model.accounting import CASH_PRECISION
from alephtx.core.oms.ids import ClientIdFactory
from alephtx.core.replay.driver import Deliver, make_deliver
from alephtx.core.replay.tape import SNAPSHOT, Tape
from alephtx.core.risk import RiskEngine, RiskLimits
from alephtx.core.risk.state_store import RiskStateStore
from alephtx.core.strategies import BUILTIN, Strategy, StrategyHost
from alephtx.core.strategies.account import StrategyAccount
from alephtx.core.venues.paper import FeeModel, PaperVenue
from alephtx.core.venues.paper.models import FeedLatency, QueueModel

MS = 1_000_000


@dataclass(frozen=True)
class VenueFeed:
    instrument: Instrument
    delay_ms: int = 0  # this venue sees the capture this much later
    latency_ms: float = 1.0  # order to venue
    fees: FeeModel = field(default_factory=lambda: FeeModel(maker_bps=2, taker_bps=5))
    latency_of: FeedLatency | None = None  # instead of latency_ms: the recorded feed's delay
    queue: QueueModel | None = None  # None: the risk-averse queue
    whole_fills: bool = False  # resting orders fill whole when a trade reaches them


@dataclass(frozen=True)
class StrategySpec:
    name: str
    strategy: str | type[Strategy]  # a BUILTIN name, "module:Class", "file.py:Class" or a class
    params: dict[str, Any] = field(default_factory=dict)


StrategyBook = StrategyAccount  # one strategy's own account: the host keeps it (host.accounts)


@dataclass
class SessionResult:
    engine: Engine
    host: StrategyHost
    books: dict[str, StrategyBook]
    events: int
    seconds: float
    market_seconds: float
    journal: str
    first_ns: int = 0  # market time of the first event (the zero of market_seconds and the curves)


@dataclass
class _Running:
    venues: dict[str, PaperVenue]
    engine: Engine
    host: StrategyHost
    accounts: dict[str, StrategyBook]
    clock: MarketClock


async def start_engine(
    feeds: list[VenueFeed],
    strategies: list[StrategySpec],
    limits: RiskLimits,
    journal: Path,
    cash: int,
    metrics: Metrics | None,
    on_ready: Callable[[Any], Any] | None,
    risk_state: Path | None = None,
    ids: str | ClientIdFactory = "s",
) -> _Running:
    """Venues, engine, host and strategies on one market clock, started: what replayed and live
    sessions share. ``ids``: the prefix of the session's client order ids, or the factory itself
    (a backtest's has a fixed boot: the same ids every run)."""
    # The journal first, before anything else is touched. A session starts from nothing (a leftover
    # log would be replayed): the old files go once its lock is held; a journal another engine holds
    # raises JournalInUse (naming the folder and that process), and nothing here was touched.
    ledger_journal = SqliteJournal(journal, fresh=True)
    venues = {
        f.instrument.key: PaperVenue(
            [f.instrument],
            name=f.instrument.venue,
            cash=cash * 10**CASH_PRECISION,
            fees=f.fees,
            latency_ns=int(f.latency_ms * MS),
            latency_of=f.latency_of,
            queue=f.queue,
            whole_fills=f.whole_fills,
        )
        for f in feeds
    }
    instruments = [f.instrument for f in feeds]
    clock = MarketClock()
    engine = Engine(
        instruments,
        {v.name: v for v in venues.values()},
        RiskEngine(limits, clock=clock.now, store=RiskStateStore(risk_state) if risk_state else None),
        ledger_journal,
        cash * 10**CASH_PRECISION * len(venues),
        clock=clock.now,
        ids=ids if isinstance(ids, ClientIdFactory) else ClientIdFactory(ids),
    )
    try:
        await engine.start(compare_cash=False)
        books = {key: v.books[key] for key, v in venues.items()}
        host = StrategyHost(engine, books)
        accounts = host.accounts  # each strategy's own account, kept by the host from its fills
        for s in strategies:
            spec = BUILTIN.get(s.strategy, s.strategy) if isinstance(s.strategy, str) else s.strategy
            host.load(s.name, spec, s.params)
        for s in strategies:
            await host.start(s.name)
        if metrics is not None:
            _wire_metrics(engine, host, metrics)
        if on_ready is not None:  # e.g. the gRPC server, given the running engine and host
            ready = on_ready(SessionHandles(engine, host, venues, clock))
            if ready is not None:
                await ready
    except BaseException:
        engine.journal.close()  # a session that cannot start leaves its journal closed
        raise
    return _Running(venues, engine, host, accounts, clock)


def _sample(run: _Running, first_ns: int, metrics: Metrics | None) -> None:
    at = (run.clock.ns - first_ns) / 1e9
    for name, acct in run.accounts.items():
        r, u, f = acct.pnl(run.engine.instruments, run.engine.mids_x2)
        acct.curve.append((at, r + u - f))
        if metrics is not None:
            metrics.pnl.labels(name).set((r + u - f) / 10**CASH_PRECISION)


async def run_session(
    capture: str | Path | MarketSource,
    feeds: list[VenueFeed],
    strategies: list[StrategySpec],
    limits: RiskLimits,
    journal: str | Path,
    cash: int = 100_000,
    timer_ms: int = 1000,
    on_progress: Callable[[int, int], None] | None = None,
    metrics: Metrics | None = None,
    on_ready: Callable[[Any], Any] | None = None,
    keep_open: bool = False,
    risk_state: Path | None = None,
    on_timer: Callable[[SessionHandles, float], Awaitable[None]] | None = None,
    ids: str | ClientIdFactory = "s",
) -> SessionResult:
    """Replay ``capture`` (a capture file, or a ``MarketSource``: a catalog dataset over a range,
    played window by window) through the engine and the strategies. ``keep_open`` leaves the engine
    and its journal open afterwards (the agent's desk keeps trading on the final books).
    ``risk_state``: a file that keeps the trading state (halts) and the agent's spend across runs.
    ``on_timer(handles, seconds)``: called on each timer tick (every ``timer_ms`` of market time,
    ``seconds`` since the first event) after the strategies' ``on_timer`` and the mark: a script
    that acts at moments of market time (`aleph paper`) runs there."""
    base = feeds[0].instrument
    source = capture if isinstance(capture, MarketSource) else MarketSource.of_capture(capture)
    for f in feeds:
        source.check(f.instrument)
    total = source.events_hint()
    chunks = source.tapes(base, on_progress if source.is_capture else None)
    first_tape = next(chunks, None)  # a capture is decoded here, before the engine starts
    run = await start_engine(feeds, strategies, limits, Path(journal), cash, metrics, on_ready, risk_state, ids)
    venues, engine, host, accounts, clock = run.venues, run.engine, run.host, run.accounts, run.clock
    handles = SessionHandles(engine, host, venues, clock)
    # Late venues queue (due time, the deliver of the event's tape, event index, its time): a
    # tape's arrays never change, so nothing is copied.
    delayed: dict[str, deque[tuple[int, Deliver, int, int]]] = {
        k: deque() for k, f in zip(venues, feeds, strict=True) if f.delay_ms
    }
    delays = {f.instrument.key: f.delay_ms * MS for f in feeds}
    book_updates = metrics.book_updates if metrics is not None else None

    feed_latencies = [f.latency_of for f in feeds if f.latency_of is not None]

    def deliver_for(tape: Tape) -> Deliver:  # reads the tape's columns into lists
        for lat in feed_latencies:
            lat.observe(tape.exch_ns, tape.recv_ns, tape.kind != SNAPSHOT)
        return make_deliver(
            tape,
            venues,
            listener=host,
            on_mid=engine.on_mid,
            now=clock.now,
            on_book_update=(lambda key: book_updates.labels(key).inc()) if book_updates is not None else None,
        )

    deliver = deliver_for(first_tape) if first_tape is not None else None  # set-up, before the clock starts
    t_start = time.perf_counter()
    first_ns = 0
    next_timer = 0
    events = 0

    plain = [k for k in venues if k not in delayed]
    # Only this loop moves the clock during the replay: it keeps market time in a local (the
    # loop's hottest reads) and stores it in the clock when it moves (MarketClock.set, inlined).
    now_ns = clock.ns
    tape = first_tape
    while tape is not None and deliver is not None:
        exch = tape.exch_ns.tolist()
        for i, t in enumerate(exch):
            if t > now_ns:
                now_ns = clock.ns = t
            if delayed:
                first_ns = first_ns or t
                for key, q in delayed.items():  # what the late venues see by now
                    while q and q[0][0] <= now_ns:
                        _, late, j, tj = q.popleft()
                        if (pending := late(key, j, tj + delays[key])) is not None:
                            await pending
                    q.append((now_ns + delays[key], deliver, i, t))
            for key in plain:
                if (pending := deliver(key, i, t)) is not None:
                    await pending
            if now_ns >= next_timer:
                first_ns = first_ns or t
                next_timer = now_ns + timer_ms * MS
                await host.on_timer()
                await engine.mark()
                _sample(run, first_ns, metrics)
                if on_timer is not None:
                    await on_timer(handles, (now_ns - first_ns) / 1e9)
            if on_progress is not None and i % 2000 == 0:
                on_progress(events + i, max(total, events + len(exch)) if total else len(exch))
        events += len(exch)
        tape = next(chunks, None)
        deliver = deliver_for(tape) if tape is not None else None
    for s in strategies:
        await host.stop(s.name, "session ended")
    if not keep_open:
        engine.journal.close()
    return SessionResult(
        engine,
        host,
        accounts,
        events,
        time.perf_counter() - t_start,
        (clock.ns - first_ns) / 1e9,
        str(journal),
        first_ns,
    )


async def run_live_session(
    stream: Any,
    feed: VenueFeed,
    strategies: list[StrategySpec],
    limits: RiskLimits,
    journal: str | Path,
    seconds: float,
    cash: int = 100_000,
    timer_ms: int = 1000,
    metrics: Metrics | None = None,
    on_ready: Callable[[Any], Any] | None = None,
) -> SessionResult:
    """A paper venue whose market is a live venue's book (``stream``, a BookStream), for
    ``seconds`` of wall time: paper trading on live data."""
    journal = Path(journal)
    run = await start_engine([feed], strategies, limits, journal, cash, metrics, on_ready)
    key = feed.instrument.key
    venue = run.venues[key]
    book = venue.books[key]
    run.clock.ns = first_ns = time.time_ns()
    events = 0

    async def on_live_book(live: Any) -> None:
        nonlocal events
        events += 1
        run.clock.set(time.time_ns())
        bids, asks = live.depth(1000)
        book.apply_snapshot(
            [p for p, _ in bids], [q for _, q in bids], [p for p, _ in asks], [q for _, q in asks], events
        )
        venue.on_depth(key, run.clock.ns)
        await venue.flush()
        run.engine.on_mid(key, book.mid_x2())
        await run.host.on_book(key, book)

    async def timer() -> None:
        while True:
            await asyncio.sleep(timer_ms / 1000)
            run.clock.set(time.time_ns())
            venue.advance(run.clock.ns)
            await venue.flush()
            await run.host.on_timer()
            await run.engine.mark()
            _sample(run, first_ns, metrics)

    stop = asyncio.Event()
    t_start = time.perf_counter()
    ticker = asyncio.create_task(timer())
    feed_task = asyncio.create_task(stream.run(on_live_book, stop))
    await asyncio.sleep(seconds)
    stop.set()
    ticker.cancel()
    await asyncio.gather(feed_task, return_exceptions=True)
    for s in strategies:
        if s.name in run.host.loaded:
            await run.host.stop(s.name, "session ended")
    _sample(run, first_ns, metrics)
    run.engine.journal.close()
    elapsed = time.perf_counter() - t_start
    return SessionResult(run.engine, run.host, run.accounts, events, elapsed, elapsed, str(journal))


@dataclass
class SessionHandles:
    """What a server needs to serve a running session."""

    engine: Engine
    host: StrategyHost
    venues: dict[str, PaperVenue]
    clock: MarketClock | None = None  # the session's market clock, for whoever acts after the replay


def _wire_metrics(engine: Engine, host: StrategyHost, metrics: Metrics) -> None:
    async def on_event(order: Order, fill: Fill | None) -> None:
        if fill is not None:
            metrics.fills.labels(fill.instrument).inc()
            if metrics.position is not None:
                p = engine.ledger.positions.get(fill.instrument)
                metrics.position.labels(fill.instrument).set(p.quantity if p else 0)
        elif order.status is OrderStatus.REJECTED:
            metrics.venue_rejections.labels(order.request.instrument.partition(":")[0]).inc()

    def on_submit(req: Any, res: Any, seconds: float) -> None:
        metrics.order_latency.observe(seconds)
        metrics.orders.labels(req.origin).inc()
        if not res.verdict.ok:
            metrics.rejections.labels(res.verdict.reason.name).inc()

    engine.oms.listeners.append(on_event)
    engine.submit_listeners.append(on_submit)
    engine.journal.on_commit = metrics.journal_commit.observe


def max_drawdown(curve: list[tuple[float, int]]) -> int:
    peak, worst = None, 0
    for _, e in curve:
        peak = e if peak is None else max(peak, e)
        worst = max(worst, peak - e)
    return worst
