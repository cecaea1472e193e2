"""The ledger: orders, fills, positions and cash, derived only from journal events."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from alephtx.core.journal.events import (
    CancelRefused,
    CancelRequested,
    Event,
    FillRecorded,
    OrderAck,
    OrderDone,
    OrderNew,
    OrderRejected,
    StrategyChange,
    client_id_of,
)
from alephtx.core.model import Fill, Instrument, Order, OrderStatus
from alephtx.core.model.accounting import PositionState, apply_fill, to_cash, unrealised
from alephtx.core.model.states import transition

log = logging.getLogger("alephtx.ledger")


@dataclass
class Ledger:
    instruments: dict[str, Instrument]
    initial_cash: int = 0
    orders: dict[str, Order] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)  # why an order was rejected or ended
    fills: dict[tuple[str, str], Fill] = field(default_factory=dict)
    positions: dict[str, PositionState] = field(default_factory=dict)
    last_seq: int = 0
    # The orders not yet terminal, in the order they were sent: strategies ask for them on every
    # book update, and scanning every order ever sent made that the replay's largest cost.
    live: dict[str, Order] = field(default_factory=dict)
    # The same, by (origin, instrument): a strategy asks for its own on every timer and book update.
    live_by: dict[tuple[str, str], dict[str, Order]] = field(default_factory=dict)
    strategies: dict[str, StrategyChange] = field(default_factory=dict)  # each one's last start or stop

    def apply(self, ev: Event, seq: int = 0) -> None:
        self.last_seq = max(self.last_seq, seq)
        if isinstance(ev, OrderNew):
            o = Order(ev.request, ev.client_id, OrderStatus.NEW, created_ns=ev.ts_ns, updated_ns=ev.ts_ns)
            self.orders[ev.client_id] = o
            self.live[ev.client_id] = o
            self.live_by.setdefault((ev.request.origin, ev.request.instrument), {})[ev.client_id] = o
            self.tags[ev.client_id] = ev.tag
            transition(o, OrderStatus.SUBMITTED, ev.ts_ns)  # the intent is written just before sending
            return
        self._apply_update(ev)
        cid = client_id_of(ev)
        was_live = self.live.get(cid)
        if was_live is not None and was_live.status.is_terminal:
            del self.live[cid]
            del self.live_by[(was_live.request.origin, was_live.request.instrument)][cid]

    def _apply_update(self, ev: Event) -> None:
        if isinstance(ev, OrderAck):
            o = self.orders[ev.client_id]
            o.venue_order_id = ev.venue_order_id or o.venue_order_id
            if ev.accepted and o.status is OrderStatus.SUBMITTED:
                transition(o, OrderStatus.ACCEPTED, ev.ts_ns)
        elif isinstance(ev, OrderRejected):
            transition(self.orders[ev.client_id], OrderStatus.REJECTED, ev.ts_ns)
            self.reasons[ev.client_id] = ev.reason
        elif isinstance(ev, CancelRequested):
            transition(self.orders[ev.client_id], OrderStatus.CANCEL_PENDING, ev.ts_ns)
        elif isinstance(ev, CancelRefused):
            o = self.orders[ev.client_id]
            if o.status is OrderStatus.CANCEL_PENDING:
                o.status = OrderStatus.PARTIALLY_FILLED if o.filled else OrderStatus.ACCEPTED
        elif isinstance(ev, OrderDone):
            o = self.orders[ev.client_id]
            transition(o, OrderStatus.CANCELLED if ev.status == "cancelled" else OrderStatus.EXPIRED, ev.ts_ns)
            if ev.reason:
                self.reasons[ev.client_id] = ev.reason
        elif isinstance(ev, FillRecorded):
            self._fill(ev.fill)
        elif isinstance(ev, StrategyChange):
            self.strategies[ev.name] = ev

    def _fill(self, f: Fill) -> None:
        key = (f.instrument, f.trade_id)
        if key in self.fills:
            return
        self.fills[key] = f
        p = self.positions.setdefault(f.instrument, PositionState(f.instrument))
        apply_fill(p, f.side, f.quantity, f.price, f.fee)
        o = self.orders.get(f.client_id)
        if o is None:
            if f.liquidity != "adjust":  # an adjustment (reconciliation's adoption) has no order
                log.error("ledger: fill %s for unknown order %s", f.trade_id, f.client_id)
            return
        o.filled += f.quantity
        o.avg_price_num += f.price * f.quantity
        transition(o, OrderStatus.FILLED if o.filled >= o.request.quantity else OrderStatus.PARTIALLY_FILLED, f.ts_ns)

    # -- views -----------------------------------------------------------------------------------

    def open_orders(self) -> list[Order]:
        return list(self.live.values())

    def open_orders_of(self, origin: str, instrument: str) -> list[Order]:
        """One origin's (a strategy's) open orders on one instrument, in the order they were sent."""
        mine = self.live_by.get((origin, instrument))
        return list(mine.values()) if mine else []

    def cash(self) -> int:
        total = self.initial_cash
        for key, p in self.positions.items():
            inst = self.instruments[key]
            total += to_cash(inst, p.realised) - to_cash(inst, p.fees)
        return total

    def unrealised_cash(self, mids_x2: dict[str, int]) -> int:
        """Unrealised PnL marked to the books' mids, in cash units (rounded down)."""
        total = 0
        for key, p in self.positions.items():
            if p.quantity and mids_x2.get(key):
                total += to_cash(self.instruments[key], unrealised(p, mids_x2[key])) // 2
        return total

    def fees_cash(self) -> int:
        return sum(to_cash(self.instruments[k], p.fees) for k, p in self.positions.items())
