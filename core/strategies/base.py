"""The strategy API: typed parameters, callbacks, and a context that is the strategy's only reach.

A strategy never holds the engine: it reads books, positions and its own orders through its
context and submits or cancels through it, and every order goes through the risk engine tagged
``strategy:<name>``. Callbacks are coroutines; a strategy that raises is stopped and reported,
and the engine goes on.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from alephtx.core.book import L2Book
from alephtx.core.model import Fill, Instrument, Order, Side, TimeInForce
from alephtx.core.venues.stream import TradeTick


class Params(BaseModel):
    """Base of every strategy's parameters: validated, immutable, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Context(Protocol):
    """What a strategy can see and do (core/strategies/context.py implements it)."""

    name: str

    def now_ns(self) -> int: ...
    def instrument(self, key: str) -> Instrument: ...
    def book(self, key: str) -> L2Book: ...
    def position(self, key: str) -> int: ...
    def open_orders(self, key: str | None = None) -> list[Order]: ...
    async def buy(self, key: str, qty: int, price: int | None = None, **kw: Any) -> str | None: ...
    async def sell(self, key: str, qty: int, price: int | None = None, **kw: Any) -> str | None: ...
    async def submit(
        self,
        key: str,
        side: Side,
        qty: int,
        price: int | None = None,
        tif: TimeInForce = TimeInForce.GTC,
        reduce_only: bool = False,
        tag: str = "",
    ) -> str | None: ...
    async def cancel(self, client_id: str) -> None: ...
    async def cancel_all(self, key: str | None = None) -> None: ...
    def log(self, message: str) -> None: ...


class Strategy:
    """Subclass, set ``params_model``, and override the callbacks you need."""

    params_model: ClassVar[type[Params]] = Params
    # The instruments the strategy trades and watches; set from its parameters by the host.
    instruments: tuple[str, ...] = ()

    def __init__(self, params: Params) -> None:
        self.params = params

    async def on_start(self, ctx: Context) -> None:
        return None

    async def on_book(self, ctx: Context, key: str, book: L2Book) -> None:
        return None

    async def on_trade(self, ctx: Context, tick: TradeTick) -> None:
        return None

    async def on_fill(self, ctx: Context, fill: Fill, order: Order) -> None:
        return None

    async def on_order_update(self, ctx: Context, order: Order) -> None:
        return None

    async def on_timer(self, ctx: Context) -> None:
        return None

    async def on_stop(self, ctx: Context) -> None:
        return None
