"""Grid: resting buys below and sells above a centre, each fill re-arming the opposite order one
spacing away, within optional price bounds."""

from __future__ import annotations

from pydantic import Field

from alephtx.core.book import L2Book
from alephtx.core.model import Fill, Order, Side
from alephtx.core.strategies.base import Context, Params, Strategy


class GridParams(Params):
    instrument: str
    levels: int = Field(3, ge=1, le=50)
    spacing_ticks: int = Field(20, ge=1)
    size: str = Field("0.001", pattern=r"^[0-9]+(\.[0-9]+)?$")
    lower: str | None = None  # no order below this price
    upper: str | None = None  # no order above this price


class Grid(Strategy):
    params_model = GridParams
    params: GridParams

    def __init__(self, params: GridParams) -> None:
        super().__init__(params)
        self.instruments = (params.instrument,)
        self.armed = False
        self.rearms = 0

    def _in_bounds(self, ctx: Context, px: int) -> bool:
        inst = ctx.instrument(self.params.instrument)
        lo = inst.price(self.params.lower) if self.params.lower else 0
        hi = inst.price(self.params.upper) if self.params.upper else 1 << 62
        return lo <= px <= hi and px > 0

    async def _place(self, ctx: Context, side: Side, px: int) -> None:
        if self._in_bounds(ctx, px):
            inst = ctx.instrument(self.params.instrument)
            await ctx.submit(self.params.instrument, side, inst.size(self.params.size), px)

    async def on_book(self, ctx: Context, key: str, book: L2Book) -> None:
        if self.armed or not book.mid_x2():
            return
        self.armed = True
        inst = ctx.instrument(key)
        step = self.params.spacing_ticks * inst.tick
        centre = book.mid_x2() // 2 // inst.tick * inst.tick
        for k in range(1, self.params.levels + 1):
            await self._place(ctx, Side.BUY, centre - k * step)
            await self._place(ctx, Side.SELL, centre + k * step)

    async def on_fill(self, ctx: Context, fill: Fill, order: Order) -> None:
        if order.remaining:
            return  # re-arm once the grid order is complete
        step = self.params.spacing_ticks * ctx.instrument(fill.instrument).tick
        self.rearms += 1
        if fill.side is Side.BUY:
            await self._place(ctx, Side.SELL, order.request.price + step)
        else:
            await self._place(ctx, Side.BUY, order.request.price - step)
