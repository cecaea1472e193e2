"""The paper venue: a venue adapter whose exchange is the Matcher over a replayed or live book.

It keeps its own account (positions, cash, fills, orders) as a real venue would, so that the
engine reconciles against it exactly as against Binance. Market data reaches it through
:meth:`on_depth` / :meth:`on_trade` (a replay or a live feed calls them).
"""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec

from alephtx.core.book import BookSync, L2Book
from alephtx.core.model import Balance, Fill, Instrument, OrderRequest, OrderStatus, Position, Side
from alephtx.core.model.accounting import CASH_PRECISION, to_cash
from alephtx.core.model.enums import TRIGGERED_TYPES
from alephtx.core.venues.base import (
    Capabilities,
    ExecReport,
    Listener,
    ReportHandler,
    VenueAdapter,
    VenueOrder,
    VenueRejected,
)
from alephtx.core.venues.paper.matching import FeeModel, Matcher
from alephtx.core.venues.paper.models import QueueModel
from alephtx.core.venues.stream import TradeTick

CASH_ASSET = "USDT"
# Bound once for place_order (reading a member off an enum class costs about 50 ns on 3.11).
_SUBMITTED = OrderStatus.SUBMITTED
_copy_struct = msgspec.structs.replace


class PaperVenue(VenueAdapter):
    capabilities = Capabilities(notes=("fills against the replayed L2 book with queue position",))
    inline = True

    def __init__(
        self,
        instruments: list[Instrument],
        name: str = "paper",
        cash: int = 100_000 * 10**CASH_PRECISION,
        fees: FeeModel | None = None,
        latency_ns: int = 0,
        latency_of: Callable[[int], int] | None = None,
        queue: QueueModel | None = None,
        whole_fills: bool = False,
    ) -> None:
        self.name = name
        self.instruments = {i.key: i for i in instruments}
        self.books: dict[str, Any] = {}
        self.syncs: dict[str, BookSync] = {}
        self.matchers: dict[str, Matcher] = {}
        for inst in instruments:
            book = L2Book(tick=inst.tick)
            self.books[inst.key] = book
            self.syncs[inst.key] = BookSync(book)
            self.matchers[inst.key] = Matcher(
                inst,
                book,
                self._emit,
                fees or FeeModel(),
                latency_ns,
                latency_of=latency_of,
                queue=queue,
                whole_fills=whole_fills,
            )
        self.initial_cash = cash
        self.orders: dict[str, VenueOrder] = {}
        self.fills: list[Fill] = []
        self.reports: list[ExecReport] = []
        self._outbox: list[ExecReport] = []
        self._report_handler: ReportHandler | None = None
        self._venue_ids = itertools.count(1)
        self._market_trade_ids = itertools.count(1)
        self.now_ns = 0
        self._book_listeners: list[tuple[set[str], Listener]] = []
        self._trade_listeners: list[tuple[set[str], Listener]] = []

    # -- market data -----------------------------------------------------------------------------

    def on_depth(self, key: str, now_ns: int) -> None:
        """The book of ``key`` changed (the caller applied the update to ``books[key]``)."""
        if now_ns > self.now_ns:
            self.now_ns = now_ns
        self.matchers[key].on_book(now_ns)
        for keys, fn in self._book_listeners:
            if key in keys:
                fn(self.books[key])

    def on_trade(self, key: str, now_ns: int, price: int, qty: int, aggressor: Side) -> None:
        if now_ns > self.now_ns:
            self.now_ns = now_ns
        self.matchers[key].on_trade(now_ns, price, qty, aggressor)
        for keys, fn in self._trade_listeners:
            if key in keys:
                fn([TradeTick(key, str(next(self._market_trade_ids)), price, qty, aggressor, now_ns)])

    def advance(self, now_ns: int) -> None:
        self.now_ns = max(self.now_ns, now_ns)
        for m in self.matchers.values():
            m.advance(now_ns)

    def settle(self, now_ns: int) -> None:
        self.advance(now_ns)

    async def catch_up(self, now_ns: int) -> None:
        self.advance(now_ns)
        await self.flush()

    def fee_rates(self, instrument: str) -> tuple[Decimal, Decimal] | None:
        m = self.matchers.get(instrument)
        return None if m is None else (Decimal(m.fees.maker_bps), Decimal(m.fees.taker_bps))

    @property
    def has_reports(self) -> bool:
        """Reports wait for :meth:`flush`."""
        return bool(self._outbox)

    async def flush(self) -> None:
        """Deliver the reports produced since the last call to the handler, in order."""
        out, self._outbox = self._outbox, []
        if self._report_handler is not None:
            for r in out:
                await self._report_handler(r)

    def _emit(self, kind: str, o: VenueOrder, fill: Fill | None, reason: str) -> None:
        if fill is not None:
            self.fills.append(fill)
        r = ExecReport(
            len(self.reports) + 1, kind, o.client_id, o.venue_order_id, o.status, o.filled, self.now_ns, fill, reason
        )
        self.reports.append(r)
        self._outbox.append(r)

    async def subscribe_orderbook(self, symbols: list[str], on_book: Listener, stop: asyncio.Event) -> None:
        """The paper venue's books move with whatever feeds it (a replay, a live stream)."""
        entry = ({self._by_symbol(s).key for s in symbols}, on_book)
        self._book_listeners.append(entry)
        try:
            await stop.wait()
        finally:
            self._book_listeners.remove(entry)

    async def subscribe_trades(self, symbols: list[str], on_trades: Listener, stop: asyncio.Event) -> None:
        entry = ({self._by_symbol(s).key for s in symbols}, on_trades)
        self._trade_listeners.append(entry)
        try:
            await stop.wait()
        finally:
            self._trade_listeners.remove(entry)

    # -- the adapter interface -------------------------------------------------------------------

    async def place_order(self, req: OrderRequest) -> VenueOrder:
        inst = self.instruments.get(req.instrument)
        if inst is None:
            raise VenueRejected("UNKNOWN_INSTRUMENT", f"{req.instrument} is not listed on {self.name}")
        cid = req.client_id
        if not cid or len(cid) > 32 or not (cid.isascii() and cid.isalnum()):
            raise VenueRejected("BAD_CLIENT_ID", "client_id must be 1 to 32 letters or digits")
        if cid in self.orders:
            raise VenueRejected("DUPLICATE_CLIENT_ID", f"an order with client_id {cid} exists")
        if req.type in TRIGGERED_TYPES:  # the matcher has no trigger book: it would rest a stop as a limit
            raise VenueRejected("UNSUPPORTED_ORDER_TYPE", f"{req.type.value}: the paper venue takes market and limit")
        qty, price = req.quantity, req.price
        if qty <= 0 or qty % inst.lot or (price and price % inst.tick):
            raise VenueRejected("BAD_PRECISION", "quantity or price is off the instrument's grid")
        o = VenueOrder(
            cid,
            f"P{next(self._venue_ids)}",
            req.instrument,
            req.side,
            req.type,
            qty,
            price,
            req.tif,
            req.reduce_only,
            _SUBMITTED,
            0,
            self.now_ns,
        )
        self.orders[cid] = o
        self.matchers[req.instrument].submit(o, req)  # (req.instrument is inst.key: a property, not read)
        if self._outbox:
            await self.flush()
        return _copy_struct(o)  # a copy: what the venue holds changes with later reports

    async def cancel_order(self, instrument: str, client_id: str) -> VenueOrder:
        o = self.orders.get(client_id)
        if o is None:
            raise VenueRejected("UNKNOWN_ORDER", f"no order with client_id {client_id}")
        if o.status.is_terminal:
            raise VenueRejected("ORDER_DONE", f"order {client_id} is already {o.status.value}")
        self.matchers[o.instrument].cancel(client_id)
        await self.flush()
        return copy.copy(o)

    def restore(self, fills: list[Fill], orders: list[Any], positions: dict[str, Any], now_ns: int) -> int:
        """A paper venue in a node restarts with its account as the journal left it: these fills,
        positions (``PositionState`` by instrument, copied) and orders. The simulated exchange's
        resting orders did not survive the restart: orders still open are restored cancelled
        (reconciliation then marks them done, saying so). Returns how many were open."""
        mine = set(self.instruments)
        self.fills = [f for f in fills if f.instrument in mine]
        for key, p in positions.items():
            if key in self.matchers:
                self.matchers[key].position = copy.deepcopy(p)
        lost, top = 0, 0
        for o in orders:
            r = o.request
            if r.instrument not in mine:
                continue
            status = o.status
            if not status.is_terminal:
                status, lost = OrderStatus.CANCELLED, lost + 1
            vid = o.venue_order_id or f"P{next(self._venue_ids)}"
            if vid.startswith("P") and vid[1:].isdigit():
                top = max(top, int(vid[1:]))
            self.orders[o.client_id] = VenueOrder(
                o.client_id, vid, r.instrument, r.side, r.type, r.quantity, r.price, r.tif, r.reduce_only,
                status, o.filled, now_ns,
            )  # fmt: skip
        self._venue_ids = itertools.count(top + 1)
        for key, m in self.matchers.items():  # a fill's id is (instrument, trade id): never reuse one
            sym = self.instruments[key].symbol + "-"
            ids = [
                int(f.trade_id[len(sym) :])
                for f in self.fills
                if f.instrument == key and f.trade_id[len(sym) :].isdigit()
            ]
            m._trade_ids = itertools.count(max(ids, default=0) + 1)
        return lost

    async def get_order(self, instrument: str, client_id: str) -> VenueOrder | None:
        o = self.orders.get(client_id)
        return copy.copy(o) if o is not None else None

    async def get_open_orders(self) -> list[VenueOrder]:
        return [copy.copy(o) for o in self.orders.values() if not o.status.is_terminal]

    async def get_positions(self) -> list[Position]:
        out = []
        for key, m in self.matchers.items():
            p = m.position
            assert p is not None
            out.append(Position(key, p.quantity, p.cost, p.realised))
        return out

    def cash(self) -> int:
        total = self.initial_cash
        for key, m in self.matchers.items():
            p = m.position
            assert p is not None
            inst = self.instruments[key]
            total += to_cash(inst, p.realised) - to_cash(inst, p.fees)
        return total

    async def get_balances(self) -> list[Balance]:
        c = self.cash()
        return [Balance(self.name, CASH_ASSET, c, c, CASH_PRECISION)]

    async def get_fills(self, since_ns: int = 0) -> list[Fill]:
        return [f for f in self.fills if f.ts_ns >= since_ns]

    async def get_reports(self, since_seq: int = 0) -> list[ExecReport]:
        return self.reports[since_seq:]
