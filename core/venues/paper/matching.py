"""The paper venue's matching: orders against the replayed (or live) L2 book and its trades.

Deterministic for a given input: orders arrive after a fixed latency in market time and are
handled in arrival order; the same replay gives the same fills.

- Taking liquidity walks the displayed levels (one fill per level) without moving the market:
  the next depth message from the venue is the truth.
- A resting limit order keeps its place in the queue: the size displayed at its price when it
  arrives is ahead of it. Trades at its price reduce the queue ahead; how a smaller displayed
  size moves it is the queue model's (models.py: by default it only caps it, hftbacktest's
  risk-averse model). It fills when the queue ahead is gone, when a trade prints through its
  price, or when the book moves through it.
- Fees: maker and taker basis points per instrument, rounded up.
- Latency: constant, or a function of market time (the recorded feed's delay, models.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alephtx.core.model import Fill, Instrument, OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from alephtx.core.model.accounting import PositionState, apply_fill
from alephtx.core.venues.base import VenueOrder
from alephtx.core.venues.paper.models import FeeModel, QueueModel
from alephtx.core.venues.paper.resting import make_resting

__all__ = ["DEPTH", "FeeModel", "Matcher"]

DEPTH = 1000  # levels an order may walk through when it takes liquidity


@dataclass
class _Pending:
    arrive_ns: int
    seq: int
    kind: str  # "new" or "cancel"
    req: OrderRequest | None = None
    client_id: str = ""


# Events the matcher emits: (kind, order, fill, reason)
Emit = Callable[[str, VenueOrder, Fill | None, str], None]


@dataclass
class Matcher:
    """One instrument's matching engine. ``book`` is any object with the L2Book query API."""

    instrument: Instrument
    book: Any
    emit: Emit
    fees: FeeModel = field(default_factory=FeeModel)
    latency_ns: int = 0
    position: PositionState | None = None
    latency_of: Callable[[int], int] | None = None  # market time -> latency, instead of latency_ns
    queue: QueueModel | None = None  # None: the risk-averse cap
    pure: bool = False  # the resting orders in pure Python (the twin) instead of C
    whole_fills: bool = False  # a resting order a trade reaches fills whole (no partial fills)
    now_ns: int = 0
    orders: dict[str, VenueOrder] = field(default_factory=dict)
    pending: list[_Pending] = field(default_factory=list)
    _seq: itertools.count[int] = field(default_factory=itertools.count)
    _trade_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        if self.position is None:
            self.position = PositionState(self.instrument.key)
        self.resting = make_resting(self.queue, self.pure, self.whole_fills)

    def queue_ahead(self, client_id: str) -> int | None:
        """The size ahead of a resting order in its queue (None when it does not rest)."""
        o = self.orders.get(client_id)
        return None if o is None else self.resting.ahead_of(o)

    # -- inputs ----------------------------------------------------------------------------------

    def submit(self, order: VenueOrder, req: OrderRequest) -> None:
        """An order leaves the client now and reaches the matcher after the latency."""
        self.pending.append(_Pending(self.now_ns + self._latency(), next(self._seq), "new", req, order.client_id))
        self.orders[order.client_id] = order
        self.advance(self.now_ns)

    def cancel(self, client_id: str) -> None:
        self.pending.append(_Pending(self.now_ns + self._latency(), next(self._seq), "cancel", client_id=client_id))
        self.advance(self.now_ns)

    def _latency(self) -> int:
        return self.latency_ns if self.latency_of is None else self.latency_of(self.now_ns)

    def advance(self, now_ns: int) -> None:
        """Market time moved to ``now_ns``: handle what has arrived by then."""
        if now_ns > self.now_ns:
            self.now_ns = now_ns
        if not self.pending:
            return
        if len(self.pending) == 1:  # the usual case: one order or cancel in flight
            p = self.pending[0]
            if p.arrive_ns <= self.now_ns:
                self.pending = []
                self._handle(p)
            return
        due = [p for p in self.pending if p.arrive_ns <= self.now_ns]
        if not due:
            return
        self.pending = [p for p in self.pending if p.arrive_ns > self.now_ns]
        for p in sorted(due, key=lambda x: (x.arrive_ns, x.seq)):
            self._handle(p)

    def _handle(self, p: _Pending) -> None:
        if p.kind == "new":
            assert p.req is not None
            self._arrive(self.orders[p.client_id], p.req)
        else:
            self._cancel(p.client_id)

    def _moved_to(self, now_ns: int) -> bool:
        """Market time moves (orders in flight arrive); True when orders rest on the book."""
        if self.pending:
            self.advance(now_ns)
        elif now_ns > self.now_ns:
            self.now_ns = now_ns
        return bool(self.resting)

    def on_book(self, now_ns: int) -> None:
        """Call after each book update: queue caps, and fills where the book moved through us."""
        if not self._moved_to(now_ns):
            return
        book = self.book
        fills = self.resting.on_book(book, book.best_bid_price(), book.best_ask_price())
        if fills is not None:
            self._make(fills)

    def on_trade(self, now_ns: int, price: int, qty: int, aggressor: Side) -> None:
        """A market trade: it eats the queue at its price, and fills orders it prints through."""
        if not self._moved_to(now_ns):
            return
        fills = self.resting.on_trade(price, qty, aggressor is Side.SELL)
        if fills is not None:
            self._make(fills)

    def _make(self, fills: list[tuple[VenueOrder, int]]) -> None:
        """The resting orders' fills, at their own price, in the order they happened."""
        for o, qty in fills:
            self._execute(o, qty, o.price, maker=True)
        self.resting.drop_filled()

    # -- order handling ----------------------------------------------------------------------------

    def _reject(self, o: VenueOrder, reason: str) -> None:
        o.status = OrderStatus.REJECTED
        self.emit("rejected", o, None, reason)

    def _arrive(self, o: VenueOrder, req: OrderRequest) -> None:
        assert self.position is not None
        if o.status is not OrderStatus.SUBMITTED:
            return  # cancelled while in flight
        pos = self.position.quantity
        if req.reduce_only:
            reduces = (pos > 0 and o.side is Side.SELL and o.quantity <= pos) or (
                pos < 0 and o.side is Side.BUY and o.quantity <= -pos
            )
            if not reduces:
                self._reject(o, "REDUCE_ONLY_REJECTED: the order would open or grow a position")
                return
        bid, ask = self.book.best_bid_price(), self.book.best_ask_price()
        if o.type is OrderType.MARKET:
            if not (ask if o.side is Side.BUY else bid):
                self._reject(o, "NO_LIQUIDITY: the book has no opposite side")
                return
            o.status = OrderStatus.ACCEPTED
            self.emit("accepted", o, None, "")
            self._take(o, limit=0)
            if o.filled < o.quantity:
                self._finish(o, OrderStatus.CANCELLED if o.filled == 0 else OrderStatus.EXPIRED, "book too thin")
            return
        marketable = (o.side is Side.BUY and ask and o.price >= ask) or (o.side is Side.SELL and bid and o.price <= bid)
        if o.tif is TimeInForce.POST_ONLY and marketable:
            self._reject(o, "POST_ONLY_WOULD_TAKE: the order would take liquidity")
            return
        if o.tif is TimeInForce.FOK and self._available(o) < o.quantity:
            o.status = OrderStatus.ACCEPTED
            self.emit("accepted", o, None, "")
            self._finish(o, OrderStatus.EXPIRED, "FOK: not enough liquidity at the limit")
            return
        o.status = OrderStatus.ACCEPTED
        self.emit("accepted", o, None, "")
        if marketable:
            self._take(o, limit=o.price)
        if o.filled == o.quantity:
            return
        if o.tif in (TimeInForce.IOC, TimeInForce.FOK):
            self._finish(o, OrderStatus.EXPIRED, "IOC: the rest is cancelled")
            return
        self.resting.add(o, o.side is Side.BUY, self.book.qty_at(o.side is Side.BUY, o.price))

    def _available(self, o: VenueOrder) -> int:
        bids, asks = self.book.depth(DEPTH)
        levels = asks if o.side is Side.BUY else bids
        ok = (lambda p: p <= o.price) if o.side is Side.BUY else (lambda p: p >= o.price)
        return sum(q for p, q in levels if ok(p))

    def _take(self, o: VenueOrder, limit: int) -> None:
        bids, asks = self.book.depth(DEPTH)
        for px, qty in asks if o.side is Side.BUY else bids:
            if limit and ((o.side is Side.BUY and px > limit) or (o.side is Side.SELL and px < limit)):
                break
            take = min(qty, o.quantity - o.filled)
            self._execute(o, take, px, maker=False)
            if o.filled == o.quantity:
                break

    def _execute(self, o: VenueOrder, qty: int, price: int, maker: bool) -> None:
        assert self.position is not None
        if qty <= 0:
            return
        fee = self.fees.fee(price, qty, maker)
        apply_fill(self.position, o.side, qty, price, fee)
        o.filled += qty
        o.status = OrderStatus.FILLED if o.filled == o.quantity else OrderStatus.PARTIALLY_FILLED
        fill = Fill(
            self.instrument.key,
            o.client_id,
            o.venue_order_id,
            f"{self.instrument.symbol}-{next(self._trade_ids)}",
            o.side,
            price,
            qty,
            fee,
            "maker" if maker else "taker",
            self.now_ns,
        )
        self.emit("fill", o, fill, "")

    def _finish(self, o: VenueOrder, status: OrderStatus, reason: str) -> None:
        o.status = status
        self.emit("cancelled" if status is OrderStatus.CANCELLED else "expired", o, None, reason)

    def _cancel(self, client_id: str) -> None:
        o = self.orders.get(client_id)
        if o is None or o.status.is_terminal:
            return
        self.resting.remove(o)
        o.status = OrderStatus.CANCELLED
        self.emit("cancelled", o, None, "cancelled by the client")
