"""The node's life: start (journal, venues, recovery, strategies, gRPC), run, stop.

What survives a restart (docs/node.md): every order, fill, position and the cash, from the
journal; the trading state, halt reasons and the agent's daily spend, from ``risk-state.db``; which
strategies run, from the journal's strategy changes. Tickets do not: a ticket is valid for
minutes, and one proposed before a restart is refused after it ("no such ticket"), which is the
safe way for it to expire. A paper venue's resting orders do not either (the simulated exchange
restarted): they come back cancelled, and the reconciliation says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from alephtx.core.config.resources import config_file, sample_capture
from alephtx.core.data.catalog import Catalog, CatalogError
from alephtx.core.data.source import MarketSource
from alephtx.core.engine.api import EngineAPI
from alephtx.core.engine.clock import MarketClock
from alephtx.core.engine.engine import Engine
from alephtx.core.engine.service import LocalEngine, VenueStatus
from alephtx.core.engine.tickets import TicketBook
from alephtx.core.errors import FieldError
from alephtx.core.journal import Journal, SqliteJournal, StrategyChange
from alephtx.core.journal.events import Reconciled
from alephtx.core.metrics import Metrics
from alephtx.core.model import Instrument, OrderStatus
from alephtx.core.model.accounting import CASH_PRECISION
from alephtx.core.node.config import NodeConfig
from alephtx.core.node.market import LiveMarket, ReplayMarket
from alephtx.core.oms.ids import ClientIdFactory
from alephtx.core.redact import redact
from alephtx.core.replay.driver import Deliver, make_deliver
from alephtx.core.replay.tape import Tape
from alephtx.core.risk import RiskEngine, load_limits
from alephtx.core.risk.state_store import RiskStateStore
from alephtx.core.strategies import BUILTIN, StrategyHost
from alephtx.core.strategies.host import StrategyError
from alephtx.core.venues.paper import FeeModel, PaperVenue
from alephtx.core.venues.stream import StreamData

log = logging.getLogger("alephtx.node")
MS = 1_000_000


class NodeError(Exception):
    """The node cannot start: the message says which setting and why (nothing was changed)."""


@dataclass
class Node:
    config: NodeConfig
    data_dir: Path
    approval_notional: str = "250"
    ticket_ttl_s: float = 120.0
    metrics: Metrics | None = None
    # Filled in by start():
    engine: Any = None
    host: Any = None
    local: Any = None
    venues: dict[str, PaperVenue] = field(default_factory=dict)  # paper venues by instrument key
    live: dict[str, LiveVenue] = field(default_factory=dict)  # live venues by instrument key
    live_catch_ups: dict[str, int] = field(default_factory=dict)  # by venue name: after reconnects
    market: ReplayMarket | LiveMarket | None = None
    notes: list[str] = field(default_factory=list)  # what start-up decided (a fallback), for the operator
    source: MarketSource | None = None
    recorder: Any = None  # [record]'s, while the node runs
    grpc: Any = None
    bridge: Any = None
    bus: Any = None
    reconciled: list[Reconciled] = field(default_factory=list)
    restored_open: int = 0
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _clock: MarketClock = field(default_factory=MarketClock)

    @property
    def folder(self) -> Path:
        return self.data_dir / "node"

    # -- start -----------------------------------------------------------------------------------

    def _journal(self) -> Journal:
        url = self.config.journal.url
        if not url:
            return SqliteJournal(self.folder / "journal.db")  # locked: a second node here is refused
        if url.startswith("sqlite:///"):
            return SqliteJournal(url[len("sqlite:///") :])
        import psycopg

        from alephtx.core.journal.postgres import PostgresJournal

        try:
            return PostgresJournal(url, table=self.config.journal.table, exclusive=True)
        except psycopg.Error as exc:  # its text can quote the URL: name the setting and the kind only
            raise NodeError(f"journal.url: cannot open the PostgreSQL journal ({type(exc).__name__})") from None

    def _section(self, key: str) -> Any:
        """The [[venue]] section of an instrument key (``name:symbol``)."""
        return next(v for v in self.config.venue if v.name == key.split(":", 1)[0])

    async def start(self, grpc_port: int | None = None, grpc_host: str | None = None) -> None:
        """Everything up to serving: nothing is written before the journal's lock is held."""
        cfg = self.config
        host = grpc_host or cfg.serve.host
        if host not in ("127.0.0.1", "localhost", "::1") and not os.environ.get("ALEPH_GRPC_TOKEN"):
            raise NodeError(f"serve.host: {host} is beyond loopback; set ALEPH_GRPC_TOKEN so that clients need it")
        self.folder.mkdir(parents=True, exist_ok=True)
        limits_path = Path(cfg.risk.limits) if cfg.risk.limits else config_file("risk.toml")
        limits = load_limits(limits_path)
        self.source = self._market_source()
        journal = self._journal()
        try:
            await self._start_engine(journal, limits)
            await self._start_market()
            if cfg.bus.url:
                await self._start_bridge()
            await self._start_strategies()
            await self._serve_grpc(cfg.serve.grpc_port if grpc_port is None else grpc_port, grpc_host)
        except BaseException:
            await self._close_after_failed_start()
            raise

    async def _start_engine(self, journal: Journal, limits: Any) -> None:
        cfg, clock = self.config, self._clock
        clock.ns = time.time_ns()
        instruments: list[Instrument] = []
        adapters: dict[str, Any] = {}
        for v in cfg.venue:
            if v.live:
                lv = await self._connect(v)
                inst = lv.instrument
                self.live[inst.key] = lv
                adapters[v.name] = lv.parts.adapter
            else:
                inst = Instrument.from_strings(v.name, v.symbol, "perp", v.tick_size, v.lot_size, "5")
                self.venues[inst.key] = PaperVenue(
                    [inst],
                    name=v.name,
                    cash=int(v.cash) * 10**CASH_PRECISION,
                    fees=FeeModel(maker_bps=v.maker_bps, taker_bps=v.taker_bps),
                    latency_ns=int(v.latency_ms * MS),
                )
                adapters[v.name] = self.venues[inst.key]
            instruments.append(inst)
        cash = sum(int(v.cash) for v in cfg.venue) * 10**CASH_PRECISION
        store = RiskStateStore(self.data_dir / "risk-state.db")
        engine = Engine(
            instruments,
            adapters,
            RiskEngine(limits, clock=clock.now, store=store),
            journal,
            cash,
            clock=clock.now,
            ids=ClientIdFactory("n"),
        )
        self.engine = engine

        def restore(led: Any) -> None:  # the simulated exchange restarts with the journal's accounts
            for venue in self.venues.values():
                self.restored_open += venue.restore(
                    list(led.fills.values()), list(led.orders.values()), led.positions, clock.ns
                )

        self.reconciled = await engine.start(compare_cash=False, after_rebuild=restore)
        self.host = StrategyHost(engine, self.books)
        if self.metrics is not None:
            from alephtx.core.engine.session import _wire_metrics

            _wire_metrics(engine, self.host, self.metrics)
            from alephtx.core.node.node_metrics import NodeCollector

            self.metrics.registry.register(NodeCollector(self))

        def now() -> int:
            clock.set(time.time_ns())
            return clock.ns

        by_key = {**self.venues, **{k: lv.parts.adapter for k, lv in self.live.items()}}
        api = EngineAPI(engine, self.host, by_key, books=self.books, clock=now)
        tickets = TicketBook(Decimal(self.approval_notional), self.ticket_ttl_s)
        self.local = LocalEngine(
            api, tickets, name=cfg.node.name, venue_status=self.venue_status, on_strategy=self._strategy_changed
        )

    @property
    def books(self) -> dict[str, Any]:
        """Every instrument's book: a paper venue's, or the one a live venue's stream keeps."""
        return {**{k: v.books[k] for k, v in self.venues.items()}, **{k: lv.stream.book for k, lv in self.live.items()}}

    async def _connect(self, v: Any) -> LiveVenue:
        """A live venue's adapter, market data and instrument (from the venue, cached); its keys
        from the environment. Mainnet only with the operator's written acknowledgement."""
        from alephtx.core.venues.base import VenueError
        from alephtx.core.venues.factory import VenueConfig
        from alephtx.core.venues.registry import build

        if not v.testnet and os.environ.get("ALEPH_I_UNDERSTAND_MAINNET") != "1":
            raise NodeError(
                f"venue {v.name}: testnet = false trades real money on {v.kind}; "
                "set ALEPH_I_UNDERSTAND_MAINNET=1 in the environment to confirm (or keep testnet = true)"
            )
        override = bool(v.rest_url or v.ws_url)
        config = VenueConfig(v.registry_kind, v.name, (v.symbol,), v.testnet, v.rest_url, v.ws_url, cache=not override)
        try:
            parts = await build(config)
        except VenueError as exc:
            raise NodeError(f"venue {v.name} ({v.kind}): {exc}") from None
        try:  # the keys, tried once before anything depends on them
            await parts.adapter.check_keys()
        except VenueError as exc:
            with contextlib.suppress(Exception):
                await parts.close()
            raise NodeError(
                f"venue {v.name} ({v.kind}) refused the node's keys: {exc.code}: {redact(exc.message)[:200]} "
                f"(ALEPH_{v.name.upper().replace('-', '_')}_API_KEY and its secret)"
            ) from None
        assert isinstance(parts.data, StreamData)
        inst = parts.instruments.get(v.symbol)
        stream = parts.data.book_stream(v.symbol)
        stream.silence_timeout_s = v.stream_silence_s  # a silent socket is dropped and opened again
        return LiveVenue(v, parts, inst, stream)

    async def _start_market(self) -> None:
        if not self.venues:
            return  # live venues only: each brings its own stream
        if self.config.market.live:
            live = await self._live_market()
            if live is not None:
                self.market = live
                return
        await self._start_replay()

    async def _live_market(self) -> LiveMarket | None:
        """The live venue's public book, or None (noted) when it cannot be reached or listed."""
        from alephtx.core.engine.up import reachable
        from alephtx.core.venues.base import VenueError
        from alephtx.core.venues.factory import VenueConfig
        from alephtx.core.venues.registry import STREAMING, build_market, factory
        from alephtx.core.venues.stream import StreamData

        m = self.config.market
        if m.live not in STREAMING:
            raise NodeError(f"market.live: {m.live!r} has no public stream here; one of {', '.join(STREAMING)}")
        override = bool(m.live_rest or m.live_ws)
        venue = VenueConfig(m.live, rest_url=m.live_rest, ws_url=m.live_ws, cache=not override)
        ws_url = factory(m.live).settings(venue).ws_url
        if not await reachable(ws_url):
            self.notes.append(f"live data from {m.live} ({ws_url}) cannot be reached: replaying the capture instead")
            return None
        try:
            parts = await build_market(venue)
        except VenueError as exc:
            self.notes.append(f"the instruments of {m.live} cannot be listed ({exc}): replaying the capture instead")
            return None
        assert isinstance(parts.data, StreamData)
        first = self.engine.instruments[next(iter(self.venues))]
        market = parts.instruments.by_symbol.get(first.symbol)
        if market is None:
            self.notes.append(f"{m.live} does not list {first.symbol}: replaying the capture instead")
            return None
        listed = Instrument.from_strings(m.live, market.symbol, "perp", market.tick_size, market.lot_size, "5")
        for inst in (self.engine.instruments[k] for k in self.venues):
            if (inst.tick, inst.lot, inst.price_precision, inst.size_precision) != (
                listed.tick,
                listed.lot,
                listed.price_precision,
                listed.size_precision,
            ):
                raise NodeError(
                    f"venue {inst.venue}: tick_size and lot_size must be {m.live}'s for {market.symbol} "
                    f"({market.tick_size}, {market.lot_size}) to follow its book"
                )
        self.notes.append(f"paper venues follow the live book of {m.live} {market.symbol}")
        stream = parts.data.book_stream(market.symbol)
        return LiveMarket(
            stream, self.venues, _Listener(self), self.engine.on_mid, self._clock, f"{m.live} {market.symbol}"
        )

    def _market_source(self) -> MarketSource:
        """The capture or the dataset of [market]; a capture must be a file, a dataset in its catalog."""
        m = self.config.market
        if m.dataset:
            try:
                catalog = Catalog(m.catalog or self.data_dir / "catalog")
                return MarketSource.of_dataset(catalog, m.dataset, m.from_, m.to)
            except CatalogError as exc:
                raise NodeError(f"market.dataset: {exc}") from None
            except FieldError as exc:
                raise NodeError(f"market.{exc}") from None
        capture = Path(m.capture) if m.capture else sample_capture()
        if not capture.is_file():
            raise NodeError(f"market.capture: {capture} is not a file")
        return MarketSource.of_capture(capture)

    async def _start_replay(self) -> None:
        assert self.source is not None
        first = self.engine.instruments[next(iter(self.venues))]
        for key in self.venues:
            inst = self.engine.instruments[key]
            if (inst.price_precision, inst.size_precision) != (first.price_precision, first.size_precision):
                raise NodeError(f"venue {inst.venue}: tick and lot sizes must match the first venue's (one market)")
            try:
                self.source.check(inst)
            except FieldError as exc:
                raise NodeError(f"venue {inst.venue}: {exc}") from None

        def deliver_for(tape: Tape) -> Deliver:
            return make_deliver(
                tape, self.venues, listener=_Listener(self), on_mid=self.engine.on_mid, now=self._clock.now
            )

        self.market = ReplayMarket(
            self.source,
            first,
            deliver_for,
            list(self.venues),
            {k: self._section(k).delay_ms for k in self.venues},
            self._clock,
            self.config.market.speed,
            self.config.market.at_end,
            # A capture is decoded here (a damaged one stops the start, not the market later).
            kept=list(self.source.tapes(first)) if self.source.is_capture else None,
        )

    async def _start_bridge(self) -> None:
        from alephtx.core.bus.nats import NatsBus
        from alephtx.core.strategies.remote import StrategyBridge

        try:
            self.bus = await NatsBus.connect(self.config.bus.url, namespace=self.config.bus.namespace)
        except Exception as exc:
            raise NodeError(f"bus.url: cannot reach NATS ({type(exc).__name__})") from None
        self.bridge = StrategyBridge(self.engine, self.bus, self.books)
        await self.bridge.start()

    async def _start_strategies(self) -> None:
        changes = self.engine.ledger.strategies
        for s in self.config.strategy:
            last = changes.get(s.name)
            params = json.loads(last.params_json) if last is not None else s.params
            spec = BUILTIN.get(s.kind, s.kind)
            try:
                self.host.load(s.name, spec, params)
            except StrategyError as exc:
                raise NodeError(f"strategy {s.name}: {exc}") from None
            running = last.running if last is not None else s.enabled
            if running:
                await self.host.start(s.name)

    async def _serve_grpc(self, port: int, host: str | None) -> None:
        from alephtx.core.server.grpc_server import serve

        host = host or self.config.serve.host
        try:
            self.grpc = await serve(self.local, port=port, host=host, audit=self.folder / "grpc-audit.jsonl")
        except ValueError as exc:  # beyond loopback without ALEPH_GRPC_TOKEN
            raise NodeError(f"serve.host: {exc}") from None
        except RuntimeError as exc:
            raise NodeError(f"serve.grpc_port: cannot listen on {host}:{port} (in use?): {exc}") from None
        if not self.grpc.bound_port:
            raise NodeError(f"serve.grpc_port: cannot listen on {host}:{port} (in use?)")

    async def _close_after_failed_start(self) -> None:
        if self.grpc is not None:
            await self.grpc.stop(0)
        if self.bus is not None:
            await self.bus.close()
        await self._close_live()
        if self.engine is not None:
            self.engine.journal.close()

    async def _close_live(self, disarm: bool = False) -> None:
        """Close the live venues' clients; ``disarm``: an orderly stop, so the dead-man's switches
        are disarmed first (orders left working on purpose stay working)."""
        for lv in self.live.values():
            if disarm and lv.armed:
                with contextlib.suppress(Exception):
                    await lv.parts.adapter.arm_cancel_on_disconnect(0)
            with contextlib.suppress(Exception):
                await lv.parts.close()

    # -- run -------------------------------------------------------------------------------------

    @property
    def grpc_port(self) -> int:
        return int(self.grpc.bound_port) if self.grpc is not None else 0

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set: the market, the timer; then the orderly stop."""
        self._stop = stop
        self._tasks = [asyncio.create_task(self._timer(stop), name="timer")]
        if self.market is not None:
            self._tasks.append(asyncio.create_task(self.market.run(stop), name="market"))
        for key, lv in self.live.items():
            self._tasks.append(asyncio.create_task(lv.stream.run(self._live_book(key), stop), name=f"stream {key}"))
            if lv.section.cancel_on_disconnect_s:
                self._tasks.append(asyncio.create_task(self._heartbeat(lv), name=f"heartbeat {key}"))
            if lv.parts.user is not None:  # execution reports pushed; polling stays the fallback
                name = lv.section.name
                run = lv.parts.user.run(self._pushed(name, lv), stop, self._catch_up_after_reconnect(name))
                self._tasks.append(asyncio.create_task(run, name=f"user stream {name}"))
        if self.config.record.venue:
            self._tasks.append(asyncio.create_task(self._record(stop), name="recorder"))
        for t in self._tasks:
            t.add_done_callback(self._ended)
        await stop.wait()
        await self.shutdown()

    async def _record(self, stop: asyncio.Event) -> None:
        """[record]: the venue's public book and trades recorded and imported while the node runs."""
        from alephtx.core.data.recorder import Recorder

        r = self.config.record
        catalog = Catalog(r.catalog or self.data_dir / "catalog")
        self.recorder = Recorder(
            r.venue, r.symbols, self.data_dir / "recordings", catalog, r.rotate_minutes * 60, r.rest_url, r.ws_url
        )
        await self.recorder.run(stop)

    def _ended(self, task: asyncio.Task[None]) -> None:
        """The market or the timer ended before the node: say so loudly and halt trading (a
        market that no longer moves, or marks that no longer run, must not be traded on)."""
        if task.cancelled() or self._stop.is_set():
            return
        exc = task.exception()
        if task.get_name() == "recorder":  # recording is not trading: said, and trading goes on
            log.error("node: the recorder stopped: %r", exc, exc_info=exc)
            self.notes.append(f"the recorder stopped: {exc}")
            return
        if exc is None and task.get_name() != "timer":
            return  # a market or a stream ends its task only when the node stops
        log.error("node: the %s stopped: %r; trading halted", task.get_name(), exc, exc_info=exc)
        self.engine.risk.halt(f"node: the {task.get_name()} stopped ({type(exc).__name__})", "node")

    async def _heartbeat(self, lv: LiveVenue) -> None:
        """Arm the venue's dead-man's switch and refresh it while the node runs (a failed refresh
        is retried at the next beat: the switch fires only if the node stays silent)."""
        seconds = lv.section.cancel_on_disconnect_s
        while True:
            try:
                lv.armed = await lv.parts.adapter.arm_cancel_on_disconnect(seconds)
            except Exception as exc:
                log.warning("node: %s dead-man's switch not refreshed: %s", lv.section.name, exc)
            if lv.armed is False:
                log.info("node: %s has no dead-man's switch here", lv.section.name)
                return
            await asyncio.sleep(seconds / 3)

    def _catch_up_after_reconnect(self, venue: str) -> Any:
        """The stream was down: fills and cancels meanwhile were never pushed. Ask the venue for
        them (its fills and the state of every order it knows, as polling does), then compare its
        positions with the journal's the way that cannot race a fill on its way
        (``settle_positions``: a difference is adopted only when it stays put while no fill
        arrives), before listening again."""
        from alephtx.core.engine.recovery import recorder, settle_positions

        oms = self.engine.oms

        async def again() -> None:
            found: list[Reconciled] = []
            try:
                await oms.catch_up(venue)
                await settle_positions(oms, venue, recorder(oms, venue, found))
            except Exception as exc:  # the venue out of reach again: polling and the next reconnect retry
                log.warning("node: catching up %s after a reconnect: %s", venue, exc)
                return
            finally:
                self.reconciled += found
                halts = [r for r in found if "halt" in r.action]
                if halts:
                    self.engine.risk.halt_venue(venue, f"reconciliation failed: {halts[-1].difference}")
            self.live_catch_ups[venue] = self.live_catch_ups.get(venue, 0) + 1
            log.info("node: %s caught up after a reconnect", venue)

        return again

    def _pushed(self, venue: str, lv: LiveVenue) -> Any:
        """A user-data stream made new reports in the adapter: hand them to the OMS now (the
        OMS skips a report it has seen, whichever way it came)."""
        oms = self.engine.oms

        async def on_update() -> None:
            for r in lv.parts.adapter.reports_since(oms.report_seq.get(venue, 0)):
                await oms.on_report(venue, r)

        return on_update

    def _live_book(self, key: str) -> Any:
        """A live venue's stream hands its book here on every update: mark, then the listeners."""
        listener, on_mid = _Listener(self), self.engine.on_mid

        lv = self.live[key]

        async def on_book(book: Any) -> None:
            self._clock.set(time.time_ns())
            lv.updates += 1
            lv.last_update = time.monotonic()
            on_mid(key, book.mid_x2())
            if listener.wants_books(key):
                await listener.on_book(key, book)

        return on_book

    async def _timer(self, stop: asyncio.Event) -> None:
        every = self.config.node.timer_ms / 1000
        polled = dict.fromkeys(self.live, time.monotonic())  # reconciled at start: the first poll in poll_ms
        while not stop.is_set():
            await asyncio.sleep(every)
            self._clock.set(time.time_ns())
            for v in self.venues.values():
                await v.catch_up(self._clock.ns)
            await self._poll_live(polled)
            self._watch_live()
            await self.host.on_timer()
            await self.engine.mark()

    def _watch_live(self) -> None:
        """The watchdog: a live venue whose book has not moved for ``stream_silence_s`` (or is
        resyncing) loses its market price, so that no order is priced against a stale book;
        the next fresh update gives it back."""
        now = time.monotonic()
        for key, lv in self.live.items():
            silent = lv.stream.book.stale or now - lv.last_update > lv.section.stream_silence_s
            if silent and not lv.silent:
                lv.silent, lv.silences = True, lv.silences + 1
                self.engine.on_mid(key, 0)
                log.warning("node: %s: no fresh book for %.1f s; its orders are refused", key, now - lv.last_update)
            elif not silent and lv.silent:
                lv.silent = False
                log.info("node: %s: the book is fresh again", key)

    async def _poll_live(self, polled: dict[str, float]) -> None:
        """Execution reports from the live venues, by polling (each at its ``poll_ms``)."""
        now = time.monotonic()
        for key, lv in self.live.items():
            if now - polled[key] >= lv.section.poll_ms / 1000:
                polled[key] = now
                try:
                    await self.engine.oms.catch_up(lv.section.name)
                except Exception as exc:  # the venue out of reach for a moment: the next poll retries
                    log.warning("node: reports from %s: %s", lv.section.name, exc)

    async def shutdown(self) -> None:
        """Stop the market and the strategies, cancel open orders (unless configured to leave
        them), flush and close the journal, stop serving."""
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.config.shutdown.cancel_open_orders:
            for name, s in list(self.host.loaded.items()):
                if s.running:  # stops it and cancels its orders
                    await self.host.stop(name, "node stopping")
            for o in list(self.engine.ledger.open_orders()):
                if o.status is not OrderStatus.CANCEL_PENDING:  # the strategies' own are on their way
                    await self.engine.cancel(o.client_id)
            self._clock.set(time.time_ns() + 10**9)  # past every paper latency: the cancels land
            for v in self.venues.values():
                await v.catch_up(self._clock.ns)
            await self._poll_live(dict.fromkeys(self.live, 0.0))
            await self.engine.oms.drain()
        await self._close_live(disarm=True)
        if self.grpc is not None:
            await self.grpc.stop(0.5)
            self.grpc.audit.close()
        if self.bus is not None:
            await self.bus.close()
        self.engine.journal.close()

    # -- what the service reports ----------------------------------------------------------------

    def venue_status(self) -> list[VenueStatus]:
        halted = self.engine.risk.halted_venues if self.engine is not None else {}
        where = self.market.describe() if self.market else "not started"
        out = [
            VenueStatus(v.name, "paper", True, where, halted.get(v.name, ""), self._reconciliation(v.name))
            for v in self.venues.values()
        ]
        for lv in self.live.values():
            v = lv.section
            net = "testnet" if v.testnet else "MAINNET"
            user = lv.parts.user
            pushed = user is not None and user.connected
            reports = f"reports pushed ({user.events} so far)" if pushed else "reports polled"
            if self.live_catch_ups.get(v.name):
                reports += f", caught up after {self.live_catch_ups[v.name]} reconnects"
            switch = f"; cancel-on-disconnect {v.cancel_on_disconnect_s:g} s" if lv.armed else ""
            market = f"{net} stream{' ' + v.ws_url if v.ws_url else ''} ({lv.updates} book updates; {reports}{switch})"
            up = lv.stream.stats.connects > 0 and not lv.stream.book.stale and not lv.silent
            if lv.silent:
                market += "; SILENT: orders refused until its book is fresh"
            out.append(VenueStatus(v.name, v.kind, up, market, halted.get(v.name, ""), self._reconciliation(v.name)))
        return out

    def _reconciliation(self, venue: str) -> str:
        found = [r for r in self.reconciled if r.venue == venue]
        if not found:
            return "agreed with the journal"
        return "; ".join(f"{r.difference}: {r.action}" for r in found[:5]) + (
            f" (and {len(found) - 5} more)" if len(found) > 5 else ""
        )

    def _strategy_changed(self, name: str, running: bool, by: str) -> None:
        loaded = self.host.loaded.get(name)
        params = dict(loaded.params) if loaded is not None else {}
        self.engine.oms.record(StrategyChange(name, running, json.dumps(params, default=str), by, self._clock.now()))


@dataclass
class LiveVenue:
    """A live venue in the node: its config section, adapter and market data, the instrument it
    trades (as the venue lists it) and the stream that keeps its book."""

    section: Any
    parts: Any
    instrument: Instrument
    stream: Any
    updates: int = 0
    last_update: float = field(default_factory=time.monotonic)  # monotonic; the start counts as fresh
    silent: bool = False  # the watchdog took its market price away
    silences: int = 0
    armed: bool | None = None  # the venue's dead-man's switch: armed, not available, or not tried


class _Listener:
    """The replay's listener in a node: the strategy host, and the NATS bridge's book fan-out."""

    def __init__(self, node: Node) -> None:
        self.node = node

    def wants_books(self, key: str) -> bool:
        return self.node.bridge is not None or self.node.host.wants_books(key)

    def wants_trades(self, key: str) -> bool:
        return self.node.host.wants_trades(key)

    async def on_book(self, key: str, book: Any) -> None:
        host = self.node.host
        if host.wants_books(key):
            await host.on_book(key, book)
        if self.node.bridge is not None:
            await self.node.bridge.publish_book(key)

    async def on_trade(self, tick: Any) -> None:
        await self.node.host.on_trade(tick)
