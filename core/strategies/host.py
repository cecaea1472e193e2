"""Loading, starting, stopping and hot-swapping strategies while the engine runs.

A strategy comes from a class, ``module:Class``, ``path/to/file.py:Class`` or an entry point in
the ``alephtx.strategies`` group. Stopping it cancels its open orders. A strategy whose callback
raises is stopped and its error kept; the engine and the other strategies go on.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from alephtx.core.book import L2Book
from alephtx.core.errors import AlephError
from alephtx.core.model import Fill, Order
from alephtx.core.model.accounting import PositionState, apply_fill
from alephtx.core.model.origin import Origin
from alephtx.core.strategies.account import StrategyAccount
from alephtx.core.strategies.base import Strategy
from alephtx.core.strategies.context import EngineContext
from alephtx.core.venues.stream import TradeTick

log = logging.getLogger("alephtx.strategies")


class StrategyError(AlephError):
    """A strategy name, file or entry point that cannot be loaded or found (the text says which)."""


@dataclass
class Loaded:
    name: str
    spec: str
    params: dict[str, Any]
    strategy: Strategy
    ctx: EngineContext
    running: bool = False
    error: str = ""
    started_ns: int = 0
    callbacks: int = 0
    busy_ns: int = 0
    keys: frozenset[str] = field(default_factory=frozenset)


def resolve(spec: str | type[Strategy]) -> type[Strategy]:
    """A strategy class from a class, ``module:Class``, ``file.py:Class`` or an entry point name."""
    if isinstance(spec, type):
        return spec
    if ":" not in spec:
        from alephtx.core.strategies import BUILTIN  # here: the package imports this module

        if spec in BUILTIN:
            return BUILTIN[spec]
        eps = {ep.name: ep for ep in entry_points(group="alephtx.strategies")}
        if spec not in eps:
            raise StrategyError(
                f"strategy={spec!r}: not 'module:Class', 'file.py:Class' or an entry point ({sorted(eps)})"
            )
        cls = eps[spec].load()
    else:
        where, _, name = spec.rpartition(":")
        if where.endswith(".py"):
            path = Path(where)
            if not path.exists():
                raise StrategyError(f"strategy={spec!r}: file {path} does not exist")
            mod_name = f"alephtx_strategy_{path.stem}_{abs(hash(path.resolve()))}"
            loader = importlib.util.spec_from_file_location(mod_name, path)
            assert loader is not None and loader.loader is not None
            module = importlib.util.module_from_spec(loader)
            sys.modules[mod_name] = module
            loader.loader.exec_module(module)
        else:
            module = importlib.reload(sys.modules[where]) if where in sys.modules else importlib.import_module(where)
        cls = getattr(module, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise StrategyError(f"strategy={spec!r}: not a Strategy subclass")
    return cls


class StrategyHost:
    def __init__(self, engine: Any, books: dict[str, L2Book]) -> None:
        self.engine = engine
        self.books = books
        self.loaded: dict[str, Loaded] = {}
        # Each strategy's own account (positions, PnL, fills) by name, from its fills: kept across
        # stop, unload and reload (the fills happened), and what a session reports per strategy.
        self.accounts: dict[str, StrategyAccount] = {}
        # Who gets each market callback: running strategies that override it, per instrument.
        # Rebuilt on start and stop; calling the base class's no-ops cost most of a replay.
        self._book_subs: dict[str, tuple[Loaded, ...]] = {}
        self._trade_subs: dict[str, tuple[Loaded, ...]] = {}
        self._timer_subs: tuple[Loaded, ...] = ()
        # Called with every trade tick the session delivers, before the strategies (the desk's
        # tape of recent trades): while there is one, every instrument's trades are delivered.
        self.trade_listeners: list[Callable[[TradeTick], None]] = []
        engine.oms.listeners.append(self._on_order_event)

    # -- lifecycle -------------------------------------------------------------------------------

    def load(self, name: str, spec: str | type[Strategy], params: dict[str, Any] | None = None) -> Loaded:
        if name in self.loaded:
            raise StrategyError(f"name={name!r}: a strategy of that name is loaded; unload it first")
        if not name.replace("_", "").replace("-", "").isalnum():
            raise StrategyError(f"name={name!r}: letters, digits, '-' and '_' only")
        cls = resolve(spec)
        try:
            p = cls.params_model.model_validate(params or {})
        except ValidationError as exc:
            detail = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors())
            raise StrategyError(f"strategy {name} parameters: {detail}") from None
        strategy = cls(p)
        keys = frozenset(strategy.instruments)
        unknown = [k for k in keys if k not in self.engine.instruments]
        if unknown:
            raise StrategyError(f"strategy {name}: instruments {unknown} are not traded by this engine")
        spec_text = spec if isinstance(spec, str) else f"{spec.__module__}:{spec.__qualname__}"
        loaded = Loaded(
            name,
            spec_text,
            dict(params or {}),
            strategy,
            EngineContext(name, self.engine, self.books, self.accounts.setdefault(name, StrategyAccount())),
            keys=keys,
        )
        self.loaded[name] = loaded
        return loaded

    async def start(self, name: str) -> None:
        s = self._get(name)
        if s.running:
            return
        s.running, s.error, s.started_ns = True, "", self.engine.clock()
        self._route()
        await self._call(s, "on_start")

    async def stop(self, name: str, reason: str = "stopped") -> None:
        s = self._get(name)
        if not s.running:
            return
        s.running = False
        self._route()
        try:
            await s.strategy.on_stop(s.ctx)
        except Exception as exc:
            log.error("strategy %s: on_stop raised %s", name, exc)
        await s.ctx.cancel_all()
        log.info("strategy %s: %s", name, reason)

    async def unload(self, name: str) -> None:
        await self.stop(name)
        del self.loaded[name]

    async def reload(self, name: str) -> None:
        """Stop, load the code again (a changed file or module takes effect), start."""
        s = self._get(name)
        running = s.running
        await self.unload(name)
        self.load(name, s.spec, s.params)
        if running:
            await self.start(name)

    def status(self) -> list[dict[str, Any]]:
        return [
            {
                "name": s.name,
                "spec": s.spec,
                "running": s.running,
                "error": s.error,
                "instruments": sorted(s.keys),
                "orders_sent": s.ctx.orders_sent,
                "rejections": len(s.ctx.rejections),
                "callbacks": s.callbacks,
                "busy_ms": round(s.busy_ns / 1e6, 3),
                "params": s.strategy.params.model_dump(mode="json"),
            }
            for s in self.loaded.values()
        ]

    def _get(self, name: str) -> Loaded:
        if name not in self.loaded:
            raise StrategyError(f"name={name!r}: no strategy of that name is loaded ({sorted(self.loaded)})")
        return self.loaded[name]

    # -- dispatch ----------------------------------------------------------------------------------

    async def _call(self, s: Loaded, method: str, *args: Any) -> None:
        t0 = time.perf_counter_ns()
        try:
            await getattr(s.strategy, method)(s.ctx, *args)
        except Exception:
            await self._failed(s, method)
        finally:
            s.callbacks += 1
            s.busy_ns += time.perf_counter_ns() - t0

    async def _failed(self, s: Loaded, method: str) -> None:
        """Called from an ``except`` block: record the error, log it, stop the strategy."""
        exc = sys.exc_info()[1]
        s.error = f"{type(exc).__name__}: {exc}"
        log.error("strategy %s raised in %s; stopping it:\n%s", s.name, method, traceback.format_exc())
        await self.stop(s.name, reason=f"stopped after an error: {s.error}")

    def _route(self) -> None:
        def overrides(s: Loaded, method: str) -> bool:
            return getattr(type(s.strategy), method) is not getattr(Strategy, method)

        running = [s for s in self.loaded.values() if s.running]
        keys = {k for s in running for k in s.keys}
        self._book_subs = {k: tuple(s for s in running if k in s.keys and overrides(s, "on_book")) for k in keys}
        self._trade_subs = {k: tuple(s for s in running if k in s.keys and overrides(s, "on_trade")) for k in keys}
        self._timer_subs = tuple(s for s in running if overrides(s, "on_timer"))

    def wants_books(self, key: str) -> bool:
        """Whether a running strategy listens to ``key``'s book (the replay skips the call if not)."""
        return bool(self._book_subs.get(key))

    def wants_trades(self, key: str) -> bool:
        """Whether a running strategy or a trade listener wants ``key``'s trades (the replay skips
        the tick if not)."""
        return bool(self._trade_subs.get(key)) or bool(self.trade_listeners)

    async def on_book(self, key: str, book: L2Book) -> None:
        for s in self._book_subs.get(key, ()):
            if s.running:  # an earlier callback may have stopped it
                # _call, inlined: the hottest callback saves a coroutine per strategy and update.
                t0 = time.perf_counter_ns()
                try:
                    await s.strategy.on_book(s.ctx, key, book)
                except Exception:
                    await self._failed(s, "on_book")
                finally:
                    s.callbacks += 1
                    s.busy_ns += time.perf_counter_ns() - t0

    async def on_trade(self, tick: TradeTick) -> None:
        for fn in self.trade_listeners:
            fn(tick)
        for s in self._trade_subs.get(tick.instrument, ()):
            if s.running:
                await self._call(s, "on_trade", tick)

    async def on_timer(self) -> None:
        for s in self._timer_subs:
            if s.running:
                await self._call(s, "on_timer")

    async def _on_order_event(self, order: Order, fill: Fill | None) -> None:
        name = Origin.strategy_name(order.request.origin)
        if name is None:
            return
        if fill is not None:  # a stopped (or unloaded) strategy's late fills still count
            acct = self.accounts.get(name)
            if acct is not None:
                p = acct.positions.get(fill.instrument)
                if p is None:
                    p = acct.positions[fill.instrument] = PositionState(fill.instrument)
                apply_fill(p, fill.side, fill.quantity, fill.price, fill.fee)
                acct.fills += 1
        s = self.loaded.get(name)
        if s is None or not s.running:
            return
        if fill is not None:
            await self._call(s, "on_fill", fill, order)
        else:
            await self._call(s, "on_order_update", order)
