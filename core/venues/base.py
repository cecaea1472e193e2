"""The adapter interface every venue fulfils, the paper venue included.

The engine cannot tell venues apart: it places, cancels and asks through these calls, and learns
what happened from execution reports, pushed to a handler and also readable by sequence number
(``get_reports(since)``) so that nothing is lost across a disconnect or a restart.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec

from alephtx.core.errors import AlephError
from alephtx.core.model import (
    Balance,
    Fill,
    Instrument,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    Side,
    TimeInForce,
)
from alephtx.core.venues.stream import StreamData


class VenueOrder(msgspec.Struct):
    """An order as the venue knows it."""

    client_id: str
    venue_order_id: str
    instrument: str
    side: Side
    type: OrderType
    quantity: int
    price: int
    tif: TimeInForce
    reduce_only: bool
    status: OrderStatus
    filled: int = 0
    ts_ns: int = 0


class ExecReport(msgspec.Struct, frozen=True):
    """What happened to an order at the venue. ``seq`` orders the reports of one venue."""

    seq: int
    kind: str  # "accepted", "fill", "cancelled", "rejected", "expired"
    client_id: str
    venue_order_id: str
    status: OrderStatus
    filled: int
    ts_ns: int
    fill: Fill | None = None
    reason: str = ""


class VenueError(AlephError):
    """The venue answered with an error: ``code`` is the venue's, ``message`` its text."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


class VenueRejected(VenueError):
    """The venue refused the request; nothing happened."""


class VenueUnavailable(VenueError):
    """No answer (timeout, connection lost): the request may or may not have happened."""


@dataclass(frozen=True)
class Capabilities:
    order_types: tuple[OrderType, ...] = (OrderType.MARKET, OrderType.LIMIT)
    time_in_force: tuple[TimeInForce, ...] = tuple(TimeInForce)
    reduce_only: bool = True
    amend: bool = False  # without amend the OMS replaces by cancel and new order
    client_id_max_len: int = 32
    # Spot venues report holdings, not a position's cost: recovery then compares quantities only.
    position_cost: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)


ReportHandler = Callable[[ExecReport], Awaitable[None]]
Listener = Callable[[Any], Awaitable[None] | None]


class VenueAdapter(abc.ABC):
    name: str
    capabilities: Capabilities
    # True for a venue in this process whose calls never wait on I/O (the paper venue): the OMS
    # arms no timeout around them, which is a timer handle per order saved.
    inline: bool = False
    # The venue's stream classes (core/venues/<venue>/data.py), built with the adapter's config.
    book_stream_cls: Any = None
    trade_stream_cls: Any = None
    config: Any = None
    instruments: dict[str, Instrument]

    def _by_symbol(self, symbol: str) -> Instrument:
        for inst in self.instruments.values():
            if inst.symbol == symbol:
                return inst
        raise VenueRejected("UNKNOWN_SYMBOL", f"symbol={symbol!r}: not listed on {self.name}")

    def market_data(self) -> StreamData:
        """The venue's streams over this adapter's instruments and config (see ``StreamData``)."""
        return StreamData(
            self.name, list(self.instruments.values()), self.book_stream_cls, self.trade_stream_cls, self.config
        )

    async def subscribe_orderbook(self, symbols: list[str], on_book: Listener, stop: asyncio.Event) -> None:
        """Keep a synced book per symbol and hand it to ``on_book`` after each update, until ``stop``."""
        if self.book_stream_cls is None:
            raise VenueRejected("UNSUPPORTED", f"{self.name} has no book stream")
        for s in symbols:
            self._by_symbol(s)
        await self.market_data().subscribe_orderbook(symbols, on_book, stop)

    async def subscribe_trades(self, symbols: list[str], on_trades: Listener, stop: asyncio.Event) -> None:
        """Hand each message's public trades (a list of TradeTick) to ``on_trades``, until ``stop``."""
        if self.trade_stream_cls is None:
            raise VenueRejected("UNSUPPORTED", f"{self.name} has no trade stream")
        for s in symbols:
            self._by_symbol(s)
        await self.market_data().subscribe_trades(symbols, on_trades, stop)

    @abc.abstractmethod
    async def place_order(self, req: OrderRequest) -> VenueOrder:
        """Send a new order (``req.client_id`` set). Raises VenueRejected or VenueUnavailable."""

    @abc.abstractmethod
    async def cancel_order(self, instrument: str, client_id: str) -> VenueOrder:
        """Cancel by client id. Raises VenueRejected when the order is unknown or already done."""

    @abc.abstractmethod
    async def get_order(self, instrument: str, client_id: str) -> VenueOrder | None:
        """The order with this client id, or None when the venue never received it."""

    @abc.abstractmethod
    async def get_open_orders(self) -> list[VenueOrder]: ...

    @abc.abstractmethod
    async def get_positions(self) -> list[Position]: ...

    @abc.abstractmethod
    async def get_balances(self) -> list[Balance]: ...

    @abc.abstractmethod
    async def get_fills(self, since_ns: int = 0) -> list[Fill]: ...

    @abc.abstractmethod
    async def get_reports(self, since_seq: int = 0) -> list[ExecReport]:
        """Every report with ``seq`` > ``since_seq``, in order."""

    def fee_rates(self, instrument: str) -> tuple[Decimal, Decimal] | None:
        """(maker_bps, taker_bps) this account pays on ``instrument``, when the adapter knows them
        without asking the venue (the paper venue's fee model); None otherwise."""
        return None

    def settle(self, now_ns: int) -> None:
        """Move a simulated venue's market time to ``now_ns``: orders that arrived by then are
        matched, their reports wait for :meth:`catch_up`. A live venue's time is its own: no-op."""
        return None

    async def catch_up(self, now_ns: int) -> None:
        """:meth:`settle` to ``now_ns`` and deliver the reports produced meanwhile to the handler
        (fills, acknowledgements). A no-op for a live venue, whose reports arrive on their own."""
        self.settle(now_ns)

    def set_report_handler(self, handler: ReportHandler | None) -> None:
        self._report_handler = handler

    def signer(self) -> object | None:
        """The request signer (None for venues that need no signature, such as the paper venue)."""
        return None

    def track(self, order: VenueOrder) -> None:
        """Follow the reports of an order this adapter did not place in this process (one the
        journal has and the venue listed as open, at a restart). No-op for a venue that needs no
        telling (the paper venue knows its orders)."""
        return None

    async def check_keys(self) -> None:
        """Prove the keys open the account, changing nothing (a node does it before trading).
        Raises VenueRejected with the venue's code when they do not."""
        await self.get_balances()

    async def arm_cancel_on_disconnect(self, seconds: float) -> bool:
        """Arm (or refresh) the venue's dead-man's switch: it cancels our open orders unless armed
        again within ``seconds``; 0 disarms. False: this adapter has no such switch."""
        return False

    async def close(self) -> None:
        return None
