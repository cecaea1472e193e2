"""The node's API: one set of typed queries and commands, whichever side of the wire the caller is.

:class:`EngineService` is what every surface is written against: the desk behind the MCP tools,
the operator's commands (``aleph status``, ``positions``, ``halt``...), Telegram and the chat's
approvals. Two implementations:

- :class:`LocalEngine`, here: over a running engine in this process (an embedded paper node, or
  the node itself, where the gRPC servicer is its adapter);
- ``RemoteEngine`` (``core/server/client.py``): the same calls over gRPC to a node.

Every method is a coroutine (a remote call is), returns the frozen results of
``core/engine/api.py`` and ``core/engine/tickets.py``, and raises :class:`FieldError` naming the
argument that is wrong, on both sides of the wire.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from alephtx.core.engine.api import (
    Account,
    BalanceView,
    CancelResult,
    EngineAPI,
    InstrumentInfo,
    OpenOrder,
    OrderBook,
    PositionView,
    RiskStatus,
    StrategyView,
    Ticker,
)
from alephtx.core.engine.tickets import TicketBook, TicketResult, TicketView, is_person
from alephtx.core.errors import FieldError
from alephtx.core.model import Instrument, OrderRequest
from alephtx.core.model.fixed import from_fixed
from alephtx.core.strategies.host import StrategyError

__all__ = [
    "EngineService",
    "FillView",
    "LocalEngine",
    "NodeStatus",
    "TradeView",
    "VenueStatus",
]

AGENT = "agent"
MAX_DEPTH = 200
MAX_ROWS = 500


@dataclass(frozen=True, slots=True)
class TradeView:
    """A public trade on the venue's tape (not ours: those are fills)."""

    instrument: str
    price: str
    quantity: str
    aggressor: str
    ts_ns: int


@dataclass(frozen=True, slots=True)
class FillView:
    client_id: str
    instrument: str
    side: str
    price: str
    quantity: str
    fee: str
    liquidity: str
    origin: str
    ts_ns: int


@dataclass(frozen=True, slots=True)
class VenueStatus:
    name: str
    kind: str
    connected: bool
    market: str  # where its market comes from: "replay <file>", "live <venue>", ...
    halted: str  # the venue's own halt reason, "" when it trades
    reconciliation: str = "not run"  # at start: "agreed", or the differences found and what was done


@dataclass(frozen=True, slots=True)
class NodeStatus:
    node: str  # "embedded" in process, else the node's name
    started_ns: int
    uptime_s: float
    trading_state: str
    halt_reason: str
    venues: tuple[VenueStatus, ...]
    strategies: tuple[StrategyView, ...]
    account: Account


@runtime_checkable
class EngineService(Protocol):
    """The node's API. ``origin`` arguments name the caller (``agent``, ``mcp:<client>``,
    ``operator``); the node applies each origin's limits (the agent's own, for instance)."""

    async def instruments(self) -> list[InstrumentInfo]: ...
    async def ticker(self, instrument: str) -> Ticker: ...
    async def order_book(self, instrument: str, depth: int) -> OrderBook: ...
    async def recent_trades(self, instrument: str, limit: int) -> list[TradeView]: ...
    async def positions(self) -> list[PositionView]: ...
    async def balances(self) -> list[BalanceView]: ...
    async def orders(self, open_only: bool) -> list[OpenOrder]: ...
    async def fills(self, limit: int) -> list[FillView]: ...
    async def account(self) -> Account: ...
    async def risk_status(self) -> RiskStatus: ...
    async def halt(self, reason: str, by: str) -> RiskStatus: ...
    async def resume(self, by: str) -> RiskStatus: ...
    async def strategies(self) -> list[StrategyView]: ...
    async def start_strategy(self, name: str) -> StrategyView: ...
    async def stop_strategy(self, name: str, reason: str) -> StrategyView: ...
    async def propose(
        self, instrument: str, side: str, type: str, quantity: str, price: str | None, origin: str
    ) -> TicketView: ...
    async def confirm(self, ticket_id: str, origin: str) -> TicketResult: ...
    async def approve(self, ticket_id: str, by: str) -> TicketView: ...
    async def ticket(self, ticket_id: str) -> TicketView: ...
    async def waiting_tickets(self) -> list[TicketView]: ...
    async def cancel(self, client_id: str, origin: str) -> CancelResult: ...
    async def status(self) -> NodeStatus: ...
    async def close(self) -> None: ...


def check_int(name: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise FieldError(name, value, f"must be an integer from {lo} to {hi}")
    return value


@dataclass
class LocalEngine:
    """:class:`EngineService` over an engine in this process.

    ``venue_status()`` gives the venues' state (the node's runtime knows it; an embedded desk
    says "paper, replay"). ``trades`` keeps the last ``MAX_ROWS`` public trades per instrument,
    fed by the strategy host's trade listeners."""

    api: EngineAPI
    tickets: TicketBook
    name: str = "embedded"
    venue_status: Callable[[], list[VenueStatus]] = list
    # Told of every start and stop through this API (a node journals them: they survive a restart).
    on_strategy: Callable[[str, bool, str], None] | None = None
    trades: dict[str, deque[TradeView]] = field(default_factory=dict)
    started_ns: int = field(default_factory=time.time_ns)
    _t0: float = field(default_factory=time.monotonic)

    @classmethod
    def over_handles(cls, handles: Any, tickets: TicketBook, **kw: Any) -> LocalEngine:
        """Over a session's handles. After a replay, market time goes on from its last event at the
        pace of the wall clock (the handles' ``clock``), so that paper fills arrive and the risk
        engine's rate limits see time pass; without a clock, wall time."""
        clock = getattr(handles, "clock", None)
        if clock is None:
            return cls(EngineAPI.from_handles(handles), tickets, **kw)
        wall0, market0 = time.monotonic_ns(), clock.now()

        def market_now() -> int:
            clock.set(market0 + time.monotonic_ns() - wall0)
            return int(clock.now())

        return cls(EngineAPI.from_handles(handles, clock=market_now), tickets, **kw)

    def __post_init__(self) -> None:
        for key in self.api.engine.instruments:
            self.trades.setdefault(key, deque(maxlen=MAX_ROWS))
        self.api.host.trade_listeners.append(self.record_trade)

    @property
    def engine(self) -> Any:
        return self.api.engine

    def record_trade(self, tick: Any) -> None:
        inst = self.api.engine.instruments.get(tick.instrument)
        if inst is None:
            return
        self.trades.setdefault(tick.instrument, deque(maxlen=MAX_ROWS)).append(
            TradeView(
                tick.instrument,
                inst.format_price(tick.price),
                inst.format_size(tick.quantity),
                tick.aggressor.value,
                tick.ts_ns,
            )
        )

    def _inst(self, instrument: object, need_book: bool = True) -> Instrument:
        inst = self.api.instrument(instrument)
        if inst is None:
            raise FieldError("instrument", instrument, f"not traded here; one of {self.api.instrument_keys()}")
        if need_book and not self.api.has_book(inst.key):
            raise FieldError("instrument", instrument, "this node keeps no book for it")
        return inst

    # -- market ------------------------------------------------------------------------------

    async def instruments(self) -> list[InstrumentInfo]:
        return self.api.instruments()

    async def ticker(self, instrument: str) -> Ticker:
        await self.api.catch_up()
        return self.api.ticker(self._inst(instrument).key)

    async def order_book(self, instrument: str, depth: int) -> OrderBook:
        inst = self._inst(instrument)
        check_int("depth", depth, 1, MAX_DEPTH)
        await self.api.catch_up()
        return self.api.order_book(inst.key, depth)

    async def recent_trades(self, instrument: str, limit: int) -> list[TradeView]:
        inst = self._inst(instrument, need_book=False)
        check_int("limit", limit, 1, MAX_ROWS)
        await self.api.catch_up()
        return list(self.trades.get(inst.key, ()))[-limit:]

    # -- account -----------------------------------------------------------------------------

    async def positions(self) -> list[PositionView]:
        await self.api.catch_up()
        return self.api.positions()

    async def balances(self) -> list[BalanceView]:
        await self.api.catch_up()
        return await self.api.balances()

    async def orders(self, open_only: bool) -> list[OpenOrder]:
        await self.api.catch_up()
        return self.api.open_orders() if open_only else self.api.orders()

    async def fills(self, limit: int) -> list[FillView]:
        check_int("limit", limit, 1, 10_000)
        await self.api.catch_up()
        led, out = self.api.engine.ledger, []
        for f in list(led.fills.values())[-limit:]:
            inst = self.api.engine.instruments[f.instrument]
            o = led.orders.get(f.client_id)
            out.append(
                FillView(
                    f.client_id,
                    f.instrument,
                    f.side.value,
                    inst.format_price(f.price),
                    inst.format_size(f.quantity),
                    from_fixed(f.fee, inst.price_precision + inst.size_precision),
                    f.liquidity,
                    o.request.origin if o is not None else "",
                    f.ts_ns,
                )
            )
        return out

    async def account(self) -> Account:
        await self.api.catch_up()
        return self.api.account()

    # -- risk --------------------------------------------------------------------------------

    async def risk_status(self) -> RiskStatus:
        return self.api.risk_status()

    async def halt(self, reason: str, by: str) -> RiskStatus:
        if not isinstance(reason, str) or not reason.strip():
            raise FieldError("reason", reason, "say why trading should stop")
        if not isinstance(by, str) or not by:
            raise FieldError("by", by, "say who halts")
        return self.api.halt(reason.strip()[:200], by)

    async def resume(self, by: str) -> RiskStatus:
        """The operator's act alone: the transports check that the caller is the operator."""
        if not is_person(by):
            raise PermissionError(f"by={by!r}: only the operator lifts a halt")
        self.api.engine.risk.operator_reset(by)
        return self.api.risk_status()

    # -- strategies --------------------------------------------------------------------------

    async def strategies(self) -> list[StrategyView]:
        return self.api.strategies()

    def _strategy(self, name: object) -> StrategyView:
        s = self.api.strategy(name)
        if s is None:
            raise FieldError("name", name, f"no such strategy; one of {self.api.strategy_names()}")
        return s

    async def start_strategy(self, name: str) -> StrategyView:
        self._strategy(name)
        try:
            view = await self.api.start_strategy(name)
        except StrategyError as exc:
            raise FieldError("name", name, str(exc)) from None
        if self.on_strategy is not None:
            self.on_strategy(name, view.running, "api")
        return view

    async def stop_strategy(self, name: str, reason: str) -> StrategyView:
        self._strategy(name)
        view = await self.api.stop_strategy(name, reason)
        if self.on_strategy is not None:
            self.on_strategy(name, False, "api")
        return view

    # -- tickets -----------------------------------------------------------------------------

    async def propose(
        self, instrument: str, side: str, type: str, quantity: str, price: str | None, origin: str
    ) -> TicketView:
        """A ticket: the risk engine's verdict (previewed, nothing counted), expected price, cost
        and fees. Nothing is sent until ``confirm``."""
        inst = self._inst(instrument)
        for name, value in (("side", side), ("type", type), ("quantity", quantity)):
            if not isinstance(value, str):
                raise FieldError(name, value, "must be a string")
        if price is not None and not isinstance(price, str):
            raise FieldError("price", price, "must be a decimal string, e.g. '61650.5'")
        await self.api.catch_up()
        req = OrderRequest.parse(inst, side, type, quantity, price, origin=origin or AGENT)
        verdict = self.api.engine.risk.check(req, commit=False)
        quote = self.api.quote(req)
        t = self.tickets.new(
            request=req,
            verdict_ok=verdict.ok,
            verdict=verdict.text if not verdict.ok else "OK",
            expected_price=quote.price,
            notional=quote.notional,
            fees=quote.fees,
            quantity=inst.format_size(req.quantity),
            price=inst.format_price(req.price) if req.price else None,
        )
        return t.typed(self.tickets.clock())

    async def confirm(self, ticket_id: str, origin: str) -> TicketResult:
        t = self.tickets.take_for_confirmation(ticket_id)
        res = await self.api.place(t.request)  # returns once the venue acknowledged the order
        await self.api.catch_up()
        if res.risk_reason is not None:
            t.result = TicketResult(t.id, False, risk_verdict=res.risk_text)
        elif res.venue_error:
            t.result = TicketResult(t.id, False, venue_error=res.venue_error)
        else:
            t.result = TicketResult(t.id, True, res.client_id, res.status, res.filled)
        return t.result

    async def approve(self, ticket_id: str, by: str) -> TicketView:
        t = self.tickets.approve(ticket_id, by)
        return t.typed(self.tickets.clock())

    async def ticket(self, ticket_id: str) -> TicketView:
        return self.tickets.get(ticket_id).typed(self.tickets.clock())

    async def waiting_tickets(self) -> list[TicketView]:
        now = self.tickets.clock()
        return [t.typed(now) for t in self.tickets.waiting()]

    async def cancel(self, client_id: str, origin: str) -> CancelResult:
        if not self.api.has_order(client_id):
            raise FieldError("client_id", client_id, "no such order")
        return await self.api.cancel(client_id)

    # -- the node ----------------------------------------------------------------------------

    async def status(self) -> NodeStatus:
        await self.api.catch_up()
        risk = self.api.risk_status()
        return NodeStatus(
            self.name,
            self.started_ns,
            round(time.monotonic() - self._t0, 3),
            risk.state,
            risk.halt_reason,
            tuple(self.venue_status()),
            tuple(self.api.strategies()),
            self.api.account(),
        )

    async def close(self) -> None:
        return None
