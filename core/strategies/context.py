"""The engine side of a strategy's context: reads from the engine, orders through the OMS and risk."""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any

from alephtx.core.book import L2Book
from alephtx.core.model import Instrument, Order, OrderRequest, OrderType, Side, TimeInForce
from alephtx.core.model.origin import Origin
from alephtx.core.strategies.account import StrategyAccount

log = logging.getLogger("alephtx.strategies")


class EngineContext:
    def __init__(
        self, name: str, engine: Any, books: dict[str, L2Book], account: StrategyAccount | None = None
    ) -> None:
        self.name = name
        self.origin = Origin.strategy(name)
        self._engine = engine
        self._books = books
        self.orders_sent = 0
        self.rejections: list[str] = []
        # The strategy's own account (position per instrument, from its own fills; kept by the
        # host): two strategies on one instrument never see (or trade against) each other's inventory.
        self.account = account if account is not None else StrategyAccount()

    @property
    def positions(self) -> dict[str, int]:
        """The strategy's own position per instrument (a copy)."""
        return {k: p.quantity for k, p in self.account.positions.items()}

    def now_ns(self) -> int:
        return int(self._engine.clock())

    def instrument(self, key: str) -> Instrument:
        inst: Instrument = self._engine.instruments[key]
        return inst

    def book(self, key: str) -> L2Book:
        return self._books[key]

    def position(self, key: str) -> int:
        p = self.account.positions.get(key)
        return p.quantity if p is not None else 0

    def account_position(self, key: str) -> int:
        """The whole account's position on the instrument (all strategies and people)."""
        p = self._engine.ledger.positions.get(key)
        return p.quantity if p is not None else 0

    def open_orders(self, key: str | None = None) -> list[Order]:
        if key is not None:
            return self._engine.ledger.open_orders_of(self.origin, key)
        return [o for o in self._engine.ledger.open_orders() if o.request.origin == self.origin]

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
        """Send an order; returns its client id, or None when risk or the venue refused it."""
        typ = OrderType.LIMIT if price is not None else OrderType.MARKET
        req = OrderRequest(key, side, typ, qty, price or 0, tif=tif, reduce_only=reduce_only, origin=self.origin)
        res = await self._engine.submit(req, tag or self.origin)
        self.orders_sent += 1
        if not res.ok:
            self.rejections.append(res.error or res.verdict.reason.name)
            return None
        return str(res.client_id)

    # buy and sell hand back submit's coroutine rather than awaiting it in one of their own: a
    # coroutine less on the path from a book update to the order.
    def buy(self, key: str, qty: int, price: int | None = None, **kw: Any) -> Coroutine[Any, Any, str | None]:
        return self.submit(key, Side.BUY, qty, price, **kw)

    def sell(self, key: str, qty: int, price: int | None = None, **kw: Any) -> Coroutine[Any, Any, str | None]:
        return self.submit(key, Side.SELL, qty, price, **kw)

    async def cancel(self, client_id: str) -> None:
        await self._engine.cancel(client_id)

    async def cancel_all(self, key: str | None = None) -> None:
        for o in self.open_orders(key):
            await self._engine.cancel(o.client_id)

    def log(self, message: str) -> None:
        log.info("%s: %s", self.name, message)
