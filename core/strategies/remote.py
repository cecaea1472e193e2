"""Strategies in another process (or host), speaking to the engine only over the bus (NATS).

The engine side (:class:`StrategyBridge`) publishes book tops on ``md.book.<venue>.<symbol>``
and trades on ``md.trade.<venue>.<symbol>``, answers order requests on ``strategy.<name>.order``
(through the same risk engine and OMS as everything else, tagged ``strategy:<name>``) and sends
each strategy its fills on ``strategy.<name>.fill``. The strategy side (:class:`RemoteContext`,
:func:`run_remote`) rebuilds books from the messages and gives the strategy the same Context API.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec

from alephtx.core.book import L2Book
from alephtx.core.bus import Bus, Msg, subjects
from alephtx.core.model import Fill, Instrument, Order, OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from alephtx.core.model.origin import Origin
from alephtx.core.strategies.base import Strategy

log = logging.getLogger("alephtx.strategies.remote")
DEPTH = 20
INSTRUMENTS = "exec.instruments"  # request: which instruments the engine trades


class BookTop(msgspec.Struct, frozen=True):
    instrument: str
    bids: list[tuple[int, int]]
    asks: list[tuple[int, int]]
    ts_ns: int


class OrderMsg(msgspec.Struct, frozen=True):
    strategy: str
    instrument: str
    side: Side
    quantity: int
    price: int = 0
    tif: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False
    cancel: str = ""  # a client id to cancel instead of a new order
    cancel_all: bool = False


class OrderReply(msgspec.Struct, frozen=True):
    ok: bool
    client_id: str = ""
    reason: str = ""


class FillMsg(msgspec.Struct, frozen=True):
    fill: Fill
    order_status: OrderStatus
    remaining: int


class StrategyBridge:
    """The engine side: books out, orders in, fills back."""

    def __init__(self, engine: Any, bus: Bus, books: dict[str, L2Book]) -> None:
        self.engine = engine
        self.bus = bus
        self.books = books
        self.requests = 0

    async def start(self) -> None:
        # Requests on core NATS, not exec.order.<venue>: that subject is a JetStream stream, whose
        # acknowledgement would race the engine's reply to the same inbox.
        await self.bus.subscribe(subjects.strategy("*", "order"), self._on_order, type=OrderMsg)
        await self.bus.subscribe(INSTRUMENTS, self._on_instruments)
        self.engine.oms.listeners.append(self._on_fill)
        await self.bus.flush()  # the subscriptions are live before anyone is told to connect

    async def _on_instruments(self, msg: Msg) -> list[Instrument]:
        return list(self.engine.instruments.values())

    async def publish_book(self, key: str) -> None:
        inst: Instrument = self.engine.instruments[key]
        bids, asks = self.books[key].depth(DEPTH)
        await self.bus.publish(subjects.book(inst.venue, inst.symbol), BookTop(key, bids, asks, self.engine.clock()))

    async def _on_order(self, msg: Msg) -> OrderReply:
        m: OrderMsg = msg.data
        if msg.subject != subjects.strategy(m.strategy, "order"):
            return OrderReply(False, reason="strategy: the name in the order is not the subject's")
        self.requests += 1
        origin = Origin.strategy(m.strategy)
        if m.cancel_all:
            for o in list(self.engine.ledger.open_orders()):
                if o.request.origin == origin and o.request.instrument == m.instrument:
                    await self.engine.cancel(o.client_id)
            return OrderReply(True)
        if m.cancel:
            o = self.engine.ledger.orders.get(m.cancel)
            if o is None or o.request.origin != origin:
                return OrderReply(False, m.cancel, "no such order of this strategy")
            await self.engine.cancel(m.cancel)
            return OrderReply(True, m.cancel)
        typ = OrderType.LIMIT if m.price else OrderType.MARKET
        req = OrderRequest(
            m.instrument, m.side, typ, m.quantity, m.price, tif=m.tif, reduce_only=m.reduce_only, origin=origin
        )
        res = await self.engine.submit(req, origin)
        if not res.ok:
            return OrderReply(False, res.client_id, res.error or res.verdict.reason.name)
        return OrderReply(True, res.client_id)

    async def _on_fill(self, order: Order, fill: Fill | None) -> None:
        origin = order.request.origin
        name = Origin.strategy_name(origin)
        if fill is not None and name is not None:
            await self.bus.publish(subjects.strategy(name, "fill"), FillMsg(fill, order.status, order.remaining))


class RemoteContext:
    """The strategy side of the Context API, over the bus."""

    def __init__(self, name: str, bus: Bus, instruments: dict[str, Instrument]) -> None:
        self.name = name
        self.subject = subjects.strategy(name, "order")
        self.bus = bus
        self.instruments = instruments
        self.books = {k: L2Book(tick=i.tick) for k, i in instruments.items()}
        self.positions: dict[str, int] = {}
        self.orders: dict[str, str] = {}  # client id -> instrument, while open
        self._now = 0
        self.orders_sent = 0
        self.rejections: list[str] = []

    def now_ns(self) -> int:
        return self._now

    def instrument(self, key: str) -> Instrument:
        return self.instruments[key]

    def book(self, key: str) -> L2Book:
        return self.books[key]

    def position(self, key: str) -> int:
        return self.positions.get(key, 0)

    def open_orders(self, key: str | None = None) -> list[Any]:
        return [cid for cid, k in self.orders.items() if key is None or k == key]

    async def submit(
        self,
        key: str,
        side: Side,
        qty: int,
        price: int | None = None,
        tif: TimeInForce = TimeInForce.GTC,
        reduce_only: bool = False,
        tag: str = "",
    ) -> str | None:
        msg = OrderMsg(self.name, key, side, qty, price or 0, tif, reduce_only)
        reply: OrderReply = await self.bus.request(self.subject, msg, type=OrderReply, timeout=5.0)
        self.orders_sent += 1
        if not reply.ok:
            self.rejections.append(reply.reason)
            return None
        self.orders[reply.client_id] = key
        return reply.client_id

    async def buy(self, key: str, qty: int, price: int | None = None, **kw: Any) -> str | None:
        return await self.submit(key, Side.BUY, qty, price, **kw)

    async def sell(self, key: str, qty: int, price: int | None = None, **kw: Any) -> str | None:
        return await self.submit(key, Side.SELL, qty, price, **kw)

    async def cancel(self, client_id: str) -> None:
        key = self.orders.pop(client_id, None)
        if key is not None:
            await self.bus.request(
                self.subject, OrderMsg(self.name, key, Side.BUY, 0, cancel=client_id), type=OrderReply, timeout=5.0
            )

    async def cancel_all(self, key: str | None = None) -> None:
        for k in [key] if key else list(self.instruments):
            await self.bus.request(
                self.subject, OrderMsg(self.name, k, Side.BUY, 0, cancel_all=True), type=OrderReply, timeout=5.0
            )
            for cid in [c for c, kk in self.orders.items() if kk == k]:
                del self.orders[cid]

    def log(self, message: str) -> None:
        log.info("%s: %s", self.name, message)


async def run_remote(
    strategy: Strategy, name: str, bus: Bus, instruments: dict[str, Instrument], stop: asyncio.Event
) -> RemoteContext:
    """Run ``strategy`` against the engine behind ``bus`` until ``stop``; returns its context."""
    ctx = RemoteContext(name, bus, instruments)
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(maxsize=10_000)

    async def on_book(msg: Msg) -> None:
        top: BookTop = msg.data
        if top.instrument in ctx.books and not queue.full():
            queue.put_nowait(("book", top))

    async def on_fill(msg: Msg) -> None:
        queue.put_nowait(("fill", msg.data))

    for inst in instruments.values():
        await bus.subscribe(subjects.book(inst.venue, inst.symbol), on_book, type=BookTop)
    await bus.subscribe(subjects.strategy(name, "fill"), on_fill, type=FillMsg)
    await bus.flush()
    await strategy.on_start(ctx)
    while not stop.is_set():
        try:
            kind, item = await asyncio.wait_for(queue.get(), 0.25)
        except TimeoutError:
            continue
        if kind == "book":
            top: BookTop = item
            book = ctx.books[top.instrument]
            book.apply_snapshot(
                [p for p, _ in top.bids],
                [q for _, q in top.bids],
                [p for p, _ in top.asks],
                [q for _, q in top.asks],
                top.ts_ns,
            )
            ctx._now = top.ts_ns
            await strategy.on_book(ctx, top.instrument, book)
        else:
            f: FillMsg = item
            fill = f.fill
            ctx.positions[fill.instrument] = ctx.positions.get(fill.instrument, 0) + fill.quantity * fill.side.sign
            if f.order_status.is_terminal:
                ctx.orders.pop(fill.client_id, None)
            order = Order(
                OrderRequest(fill.instrument, fill.side, OrderType.LIMIT, fill.quantity + f.remaining, fill.price),
                fill.client_id,
                f.order_status,
                filled=fill.quantity,
            )
            await strategy.on_fill(ctx, fill, order)
    await strategy.on_stop(ctx)
    await ctx.cancel_all()
    return ctx


async def fetch_instruments(bus: Bus, timeout: float = 5.0) -> dict[str, Instrument]:
    rows: list[Instrument] = await bus.request(INSTRUMENTS, {}, type=list[Instrument], timeout=timeout)
    return {i.key: i for i in rows}
