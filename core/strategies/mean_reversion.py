"""Mean reversion: the z-score of the mid against its rolling mean; fade large deviations, exit
when the price is back near the mean, and stop out when it runs further against the position."""

from __future__ import annotations

from pydantic import Field

from alephtx.core.book import L2Book
from alephtx.core.strategies.base import Context, Params, Strategy
from alephtx.core.strategies.signals import RollingStats, Sampler, mid


class MeanReversionParams(Params):
    instrument: str
    window: int = Field(60, ge=5)
    sample_ms: int = Field(250, ge=10)
    entry_z: float = Field(2.0, gt=0)
    exit_z: float = Field(0.5, ge=0)
    stop_bps: float = Field(15.0, gt=0)
    size: str = "0.002"


class MeanReversion(Strategy):
    params_model = MeanReversionParams
    params: MeanReversionParams

    def __init__(self, params: MeanReversionParams) -> None:
        super().__init__(params)
        self.instruments = (params.instrument,)
        self.stats = RollingStats(params.window)
        self.sampler = Sampler(params.sample_ms)
        self.entry_price = 0.0
        self.entries = self.exits = self.stops = 0

    async def on_book(self, ctx: Context, key: str, book: L2Book) -> None:
        m = mid(book)
        if not m or not self.sampler.due(ctx.now_ns()):
            return
        self.stats.update(m)
        if not self.stats.ready:
            return
        z = self.stats.z(m)
        pos = ctx.position(key)
        p = self.params
        if pos == 0:
            if abs(z) >= p.entry_z:
                size = ctx.instrument(key).size(p.size)
                cid = await (ctx.sell(key, size) if z > 0 else ctx.buy(key, size))
                if cid:
                    self.entry_price = m
                    self.entries += 1
            return
        entry = self.entry_price or m
        adverse_bps = (m - entry) / entry * 1e4 * (-1 if pos > 0 else 1)
        if abs(z) <= p.exit_z or adverse_bps >= p.stop_bps:
            if adverse_bps >= p.stop_bps:
                self.stops += 1
            else:
                self.exits += 1
            # Not reduce-only: that flag is judged on the whole account, which other strategies share.
            await (ctx.sell(key, pos) if pos > 0 else ctx.buy(key, -pos))
