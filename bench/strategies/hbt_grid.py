"""hftbacktest's benchmark grid (../shared/bench/hftbacktest_grid.py) as a plain-Python strategy:
every 100 ms of market time, three post-only buys and three post-only sells one spacing apart
around the mid's grid line, each placed only when no order of ours rests at that price; nothing
is ever cancelled (hftbacktest's loop drops only filled orders)."""

from __future__ import annotations

from alephtx.core.model import Side, TimeInForce
from alephtx.core.strategies.base import Context, Params, Strategy


class HbtGridParams(Params):
    instrument: str
    levels: int = 3
    spacing: str = "2"  # quote units between levels (2 USD)
    size: str = "0.001"


class HbtGrid(Strategy):
    params_model = HbtGridParams
    params: HbtGridParams

    def __init__(self, params: HbtGridParams) -> None:
        super().__init__(params)
        self.instruments = (params.instrument,)
        self.placed = 0

    async def on_timer(self, ctx: Context) -> None:
        key = self.params.instrument
        mid_x2 = ctx.book(key).mid_x2()
        if not mid_x2:
            return
        inst = ctx.instrument(key)
        spacing = inst.price(self.params.spacing)
        qty = inst.size(self.params.size)
        base = mid_x2 // 2 // spacing * spacing
        resting = {o.request.price for o in ctx.open_orders(key)}
        for k in range(1, self.params.levels + 1):
            bid, ask = base - k * spacing, base + k * spacing
            if bid not in resting:
                await ctx.submit(key, Side.BUY, qty, bid, tif=TimeInForce.POST_ONLY)
                self.placed += 1
            if ask not in resting:
                await ctx.submit(key, Side.SELL, qty, ask, tif=TimeInForce.POST_ONLY)
                self.placed += 1
