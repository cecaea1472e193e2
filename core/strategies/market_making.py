"""Market making in the Avellaneda-Stoikov style: quotes around a reservation price skewed against
inventory, a spread from risk aversion, volatility and order-arrival intensity; quotes refresh
when the market moves or they age, and the side that would grow inventory past its cap is pulled."""

from __future__ import annotations

import math

from pydantic import Field

from alephtx.core.book import L2Book
from alephtx.core.model import Fill, Order, Side, TimeInForce
from alephtx.core.strategies.base import Context, Params, Strategy
from alephtx.core.strategies.signals import RollingStats, Sampler


class MarketMakingParams(Params):
    instrument: str
    size: str = "0.002"
    max_inventory: str = "0.010"
    gamma: float = Field(0.1, gt=0)  # risk aversion
    kappa: float = Field(1.5, gt=0)  # order-arrival intensity, per tick of distance
    horizon_s: float = Field(30.0, gt=0)
    min_half_spread_ticks: int = Field(1, ge=1)
    refresh_ticks: int = Field(5, ge=1)
    refresh_ms: int = Field(2000, ge=50)
    vol_window: int = Field(50, ge=5)


class MarketMaking(Strategy):
    params_model = MarketMakingParams
    params: MarketMakingParams

    def __init__(self, params: MarketMakingParams) -> None:
        super().__init__(params)
        self.instruments = (params.instrument,)
        self.vol = RollingStats(params.vol_window)
        self.sampler = Sampler(200)
        self.quoted_mid = 0
        self.quoted_at = 0
        self.last_mid = 0.0
        self.max_abs_inventory = 0
        self.requotes = 0

    def quotes(self, ctx: Context, book: L2Book, inventory: int) -> tuple[int, int]:
        """(bid, ask) prices on the tick grid, from the Avellaneda-Stoikov formulas in ticks."""
        inst = ctx.instrument(self.params.instrument)
        m = book.mid_x2() / 2
        sigma_ticks = max(self.vol.std * m / inst.tick, 1e-9)  # per sample, in ticks
        q = inventory / inst.size(self.params.size)  # inventory in quote-size units
        g, k, tau = self.params.gamma, self.params.kappa, self.params.horizon_s
        reservation = m - q * g * sigma_ticks**2 * tau * inst.tick
        half = (g * sigma_ticks**2 * tau + (2 / g) * math.log(1 + g / k)) / 2
        half_ticks = max(self.params.min_half_spread_ticks, round(half))
        bid = int(reservation // inst.tick - half_ticks) * inst.tick
        ask = int(-(-reservation // inst.tick) + half_ticks) * inst.tick
        return min(bid, book.best_bid_price()), max(ask, book.best_ask_price())

    async def on_book(self, ctx: Context, key: str, book: L2Book) -> None:
        m2 = book.mid_x2()
        if not m2:
            return
        now = ctx.now_ns()
        if self.sampler.due(now):
            m = m2 / 2
            if self.last_mid:
                self.vol.update(math.log(m / self.last_mid))
            self.last_mid = m
        if not self.vol.ready:
            return
        inst = ctx.instrument(key)
        moved = abs(m2 - self.quoted_mid) / 2 >= self.params.refresh_ticks * inst.tick
        aged = now - self.quoted_at >= self.params.refresh_ms * 1_000_000
        if self.quoted_mid and not (moved or aged):
            return
        await self.requote(ctx, key, book)

    async def requote(self, ctx: Context, key: str, book: L2Book) -> None:
        await ctx.cancel_all(key)
        inv = ctx.position(key)
        inst = ctx.instrument(key)
        size, cap = inst.size(self.params.size), inst.size(self.params.max_inventory)
        bid, ask = self.quotes(ctx, book, inv)
        if inv + size <= cap:
            await ctx.buy(key, size, bid, tif=TimeInForce.POST_ONLY)
        if inv - size >= -cap:
            await ctx.sell(key, size, ask, tif=TimeInForce.POST_ONLY)
        self.quoted_mid, self.quoted_at = book.mid_x2(), ctx.now_ns()
        self.requotes += 1

    async def on_fill(self, ctx: Context, fill: Fill, order: Order) -> None:
        self.max_abs_inventory = max(self.max_abs_inventory, abs(ctx.position(fill.instrument)))
        self.quoted_mid = 0  # requote on the next book: the inventory changed

    async def on_stop(self, ctx: Context) -> None:
        pos = ctx.position(self.params.instrument)
        if pos:
            await ctx.submit(self.params.instrument, Side.SELL if pos > 0 else Side.BUY, abs(pos))
