"""The engine's API for its front ends: typed reads and the operations, over a running engine.

The agent's desk (``tools/desk.py``, behind the MCP tools) and the gRPC servicer
(``core/server/grpc_server.py``) are adapters over :class:`EngineAPI`: they check their own
arguments and turn these frozen results into JSON dicts or protobuf messages, and format nothing
themselves. Prices, sizes and money are decimal strings here, formatted once (sizes and prices at
the instrument's precision; cash as the ledger holds it, and in cents where a field says ``_usd``).

The API talks to venues only through the adapter interface (``core/venues/base.py``): fee rates
from ``fee_rates``, simulated market time from ``catch_up`` (a no-op for a live venue).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from alephtx.core.model import Instrument, OrderRequest, OrderStatus, OrderType, Side
from alephtx.core.model.accounting import CASH_PRECISION
from alephtx.core.model.fixed import from_fixed
from alephtx.core.risk.codes import Reason

__all__ = [
    "Account",
    "BalanceView",
    "CancelResult",
    "EngineAPI",
    "Halt",
    "InstrumentInfo",
    "Level",
    "OpenOrder",
    "OrderBook",
    "PlaceResult",
    "PositionView",
    "Quote",
    "RiskStatus",
    "StrategyView",
    "Ticker",
]

CENTS = Decimal("0.01")


def _dec(value: int, precision: int) -> Decimal:
    return Decimal(value).scaleb(-precision)


def _usd(cash: int) -> str:
    """Cash units (10**-CASH_PRECISION) as a decimal string in cents."""
    return str(_dec(cash, CASH_PRECISION).quantize(CENTS))


# --- results --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InstrumentInfo:
    instrument: str
    venue: str
    symbol: str
    tick_size: str
    lot_size: str


@dataclass(frozen=True, slots=True)
class Level:
    price: str
    quantity: str


@dataclass(frozen=True, slots=True)
class Ticker:
    """The top of the book; a side is None when the book has none."""

    instrument: str
    bid: str | None
    bid_size: str | None
    ask: str | None
    ask_size: str | None
    mid: str | None
    stale: bool


@dataclass(frozen=True, slots=True)
class OrderBook:
    instrument: str
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    stale: bool


@dataclass(frozen=True, slots=True)
class PositionView:
    """The engine's position; ``realised_pnl`` and ``fees`` in the quote currency, exact."""

    instrument: str
    quantity: str
    realised_pnl: str
    fees: str


@dataclass(frozen=True, slots=True)
class BalanceView:
    venue: str
    asset: str
    total: str
    available: str


@dataclass(frozen=True, slots=True)
class OpenOrder:
    """An order as the ledger holds it (open or, from ``orders()``, done)."""

    client_id: str
    instrument: str
    side: str
    type: str
    quantity: str
    price: str | None
    filled: str
    status: str
    origin: str
    venue_order_id: str


@dataclass(frozen=True, slots=True)
class Account:
    """Equity (cash plus unrealised PnL at the mids): ``equity`` exact, the ``_usd`` fields in cents."""

    trading_state: str
    equity: str
    equity_usd: str
    start_usd: str
    pnl_usd: str
    fills: int
    open_orders: int


@dataclass(frozen=True, slots=True)
class Halt:
    reason: str
    by: str
    ts_ns: int


@dataclass(frozen=True, slots=True)
class RiskStatus:
    """The risk engine's state; money (exposures, spend, money limits) in its micro units, exact."""

    state: str
    halt_reason: str
    halts: tuple[Halt, ...]
    kill_switch_tripped: bool
    halted_venues: Mapping[str, str]
    gross_exposure: str
    net_exposure: str
    open_orders: int
    agent_spent_today: str
    limits: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class StrategyView:
    name: str
    running: bool
    state: str  # "running", "stopped" or "error"
    error: str
    orders_sent: int
    params: Mapping[str, Any]
    instruments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Quote:
    """What an order would cost now by the visible book and the venue's fee rates (None: cannot say)."""

    price: Decimal | None
    notional: Decimal | None
    fees: Decimal | None


@dataclass(frozen=True, slots=True)
class PlaceResult:
    """``placed`` when risk passed and the venue took it; else ``risk_reason``/``risk_text`` or ``venue_error``."""

    placed: bool
    client_id: str
    status: str = ""
    venue_order_id: str = ""
    filled: str = ""
    risk_reason: Reason | None = None
    risk_text: str = ""
    venue_error: str = ""


@dataclass(frozen=True, slots=True)
class CancelResult:
    """``cancelled`` when the cancel went out; else ``reason``: the engine's refusal (no such order,
    already done) or, with ``risk_reason`` set, the risk engine's (cancel rate)."""

    client_id: str
    cancelled: bool
    status: str = ""
    reason: str = ""
    risk_reason: Reason | None = None


# --- the API --------------------------------------------------------------------------------------


@dataclass
class EngineAPI:
    """Over a running engine's handles: ``venues`` maps an instrument key to its venue adapter,
    ``books`` an instrument key to its L2 book (by default the venues' ``books``).

    ``clock`` (market time in ns), when given, makes this API move simulated venues' market time:
    every operation first catches the venues up to it, and :meth:`place` returns once the venue
    acknowledged the order. Without it something else drives the venues (a session), and
    :meth:`place` returns what the venue answered to the request.
    """

    engine: Any
    host: Any
    venues: Mapping[str, Any]
    books: Mapping[str, Any] = field(default_factory=dict)
    clock: Callable[[], int] | None = None
    ack_timeout_s: float = 2.0

    def __post_init__(self) -> None:
        if not self.books:
            self.books = {k: v.books[k] for k, v in self.venues.items() if k in getattr(v, "books", {})}

    @classmethod
    def from_handles(cls, handles: Any, clock: Callable[[], int] | None = None) -> EngineAPI:
        return cls(handles.engine, handles.host, handles.venues, clock=clock)

    # -- lookups ---------------------------------------------------------------------------------

    def instrument(self, key: object) -> Instrument | None:
        return self.engine.instruments.get(key) if isinstance(key, str) else None

    def instrument_keys(self) -> list[str]:
        return sorted(self.engine.instruments)

    def has_book(self, key: str) -> bool:
        return key in self.books

    def has_order(self, client_id: object) -> bool:
        return isinstance(client_id, str) and client_id in self.engine.ledger.orders

    def strategy_names(self) -> list[str]:
        return sorted(self.host.loaded)

    def now_ns(self) -> int:
        return int(self.engine.clock())

    # -- market time -----------------------------------------------------------------------------

    async def catch_up(self) -> None:
        """Move simulated venues to market time now and deliver what they did meanwhile (fills)."""
        if self.clock is None:
            return
        now = self.clock()
        for venue in {id(v): v for v in self.venues.values()}.values():
            await venue.catch_up(now)

    # -- market ----------------------------------------------------------------------------------

    def instruments(self) -> list[InstrumentInfo]:
        return [
            InstrumentInfo(
                i.key, i.venue, i.symbol, str(_dec(i.tick, i.price_precision)), str(_dec(i.lot, i.size_precision))
            )
            for i in self.engine.instruments.values()
        ]

    def ticker(self, key: str) -> Ticker:
        inst, book = self.engine.instruments[key], self.books[key]
        bid, ask = book.best_bid(), book.best_ask()
        return Ticker(
            inst.key,
            inst.format_price(bid[0]) if bid else None,
            inst.format_size(bid[1]) if bid else None,
            inst.format_price(ask[0]) if ask else None,
            inst.format_size(ask[1]) if ask else None,
            str(_dec(book.mid_x2(), inst.price_precision) / 2) if bid and ask else None,
            bool(book.stale),
        )

    def order_book(self, key: str, depth: int) -> OrderBook:
        inst, book = self.engine.instruments[key], self.books[key]
        bids, asks = book.depth(depth)

        def levels(side: Any) -> tuple[Level, ...]:
            return tuple(Level(inst.format_price(p), inst.format_size(q)) for p, q in side)

        return OrderBook(inst.key, levels(bids), levels(asks), bool(book.stale))

    def quote(self, req: OrderRequest) -> Quote:
        """The expected average price, notional (cents) and fees (at the venue's maker or taker
        rate) of ``req`` against the visible book; all None when the book is not deep enough."""
        inst, book = self.engine.instruments[req.instrument], self.books[req.instrument]
        rates = self.venues[req.instrument].fee_rates(req.instrument)
        if req.type is OrderType.MARKET:
            bids, asks = book.depth(200)
            levels = asks if req.side is Side.BUY else bids
            left, cost = req.quantity, 0
            for p, q in levels:
                take = min(left, q)
                cost += take * p
                left -= take
                if not left:
                    break
            if left:  # the visible book is not deep enough to say
                return Quote(None, None, None)
            price = (Decimal(cost) / req.quantity).scaleb(-inst.price_precision)
            price = price.quantize(Decimal(1).scaleb(-inst.price_precision))
            maker = False
        else:
            price = _dec(req.price, inst.price_precision)
            bid, ask = book.best_bid(), book.best_ask()
            crosses = (req.side is Side.BUY and ask and req.price >= ask[0]) or (
                req.side is Side.SELL and bid and req.price <= bid[0]
            )
            maker = not crosses
        notional = (price * _dec(req.quantity, inst.size_precision)).quantize(CENTS)
        if rates is None:
            return Quote(price, notional, None)
        bps = rates[0] if maker else rates[1]
        return Quote(price, notional, (notional * bps / 10_000).quantize(Decimal("0.0001")))

    # -- account ---------------------------------------------------------------------------------

    def positions(self) -> list[PositionView]:
        out = []
        for key, p in self.engine.ledger.positions.items():
            inst = self.engine.instruments[key]
            scale = inst.price_precision + inst.size_precision
            out.append(
                PositionView(
                    key, inst.format_size(p.quantity), from_fixed(p.realised, scale), from_fixed(p.fees, scale)
                )
            )
        return out

    async def balances(self) -> list[BalanceView]:
        out = []
        for name, venue in self.engine.venues.items():
            for b in await venue.get_balances():
                out.append(
                    BalanceView(name, b.asset, from_fixed(b.total, b.precision), from_fixed(b.available, b.precision))
                )
        return out

    def open_orders(self) -> list[OpenOrder]:
        return [self._order_view(o) for o in self.engine.ledger.open_orders()]

    def orders(self) -> list[OpenOrder]:
        """Every order the ledger holds, open or done, in the order they were sent."""
        return [self._order_view(o) for o in self.engine.ledger.orders.values()]

    def _order_view(self, o: Any) -> OpenOrder:
        r, inst = o.request, self.engine.instruments[o.request.instrument]
        return OpenOrder(
            o.client_id,
            r.instrument,
            r.side.value,
            r.type.value,
            inst.format_size(r.quantity),
            inst.format_price(r.price) if r.price else None,
            inst.format_size(o.filled),
            o.status.value,
            r.origin,
            o.venue_order_id or "",
        )

    def account(self) -> Account:
        e = self.engine
        equity, start = e.equity(), e.ledger.initial_cash
        return Account(
            e.risk.state.name,
            from_fixed(equity, CASH_PRECISION),
            _usd(equity),
            _usd(start),
            _usd(equity - start),
            len(e.ledger.fills),
            len(e.ledger.open_orders()),
        )

    # -- orders ----------------------------------------------------------------------------------

    async def place(self, req: OrderRequest) -> PlaceResult:
        """Through the risk engine to the venue. With a clock, returns once the venue acknowledged
        the order (it left ``submitted``: accepted, filled, rejected...) or after ``ack_timeout_s``."""
        await self.catch_up()
        res = await self.engine.submit(req)
        if not res.verdict.ok:
            return PlaceResult(False, res.client_id, risk_reason=res.verdict.reason, risk_text=res.verdict.text)
        if res.error:
            return PlaceResult(False, res.client_id, venue_error=res.error)
        orders = self.engine.ledger.orders
        if self.clock is not None:
            deadline = time.monotonic() + self.ack_timeout_s
            while orders[res.client_id].status is OrderStatus.SUBMITTED and time.monotonic() < deadline:
                await asyncio.sleep(0.001)
                await self.catch_up()
        o = orders[res.client_id]
        inst = self.engine.instruments[req.instrument]
        return PlaceResult(True, o.client_id, o.status.value, o.venue_order_id or "", inst.format_size(o.filled))

    async def cancel(self, client_id: str) -> CancelResult:
        await self.catch_up()
        result = await self.engine.cancel(client_id)
        await self.catch_up()
        if isinstance(result, str):  # "client_id='x': no such order" or "...: the order is already done"
            return CancelResult(client_id, False, reason=result)
        if not result.ok:
            return CancelResult(client_id, False, reason=result.text, risk_reason=result.reason)
        return CancelResult(client_id, True, self.engine.ledger.orders[client_id].status.value)

    # -- risk ------------------------------------------------------------------------------------

    def risk_status(self) -> RiskStatus:
        st = self.engine.risk.status()
        return RiskStatus(
            st["state"],
            st["halt_reason"],
            tuple(Halt(h["reason"], h["by"], h["ts_ns"]) for h in st["halts"]),
            st["kill_switch_tripped"],
            dict(st["halted_venues"]),
            st["gross_exposure"],
            st["net_exposure"],
            st["open_orders"],
            st["agent_spent_today"],
            dict(st["limits"]),
        )

    def halt(self, reason: str, by: str) -> RiskStatus:
        """Stop all new orders (cancels still go through); only the operator resumes."""
        self.engine.risk.halt(reason, by)
        return self.risk_status()

    # -- strategies ------------------------------------------------------------------------------

    def strategies(self) -> list[StrategyView]:
        return [
            StrategyView(
                s["name"],
                s["running"],
                "running" if s["running"] else ("error" if s["error"] else "stopped"),
                s["error"],
                s["orders_sent"],
                s["params"],
                tuple(s["instruments"]),
            )
            for s in self.host.status()
        ]

    def strategy(self, name: object) -> StrategyView | None:
        return next((s for s in self.strategies() if s.name == name), None)

    async def start_strategy(self, name: str) -> StrategyView:
        """Raises StrategyError when it cannot start (unknown, or its on_start failed)."""
        await self.host.start(name)
        view = self.strategy(name)
        assert view is not None
        return view

    async def stop_strategy(self, name: str, reason: str) -> StrategyView:
        await self.host.stop(name, reason)
        view = self.strategy(name)
        assert view is not None
        return view
