"""Trend following: a fast/slow EMA crossover on the mid, sized so that each position carries
about the same risk (a volatility-scaled size), trading towards the target with market orders."""

from __future__ import annotations

import math

from pydantic import Field

from alephtx.core.book import L2Book
from alephtx.core.strategies.base import Context, Params, Strategy
from alephtx.core.strategies.signals import Ema, RollingStats, Sampler, mid


class TrendParams(Params):
    instrument: str
    fast: int = Field(10, ge=2)
    slow: int = Field(40, ge=3)
    sample_ms: int = Field(500, ge=10)
    risk_usd: float = Field(20.0, gt=0)  # target move per position over one sample's volatility
    min_size: str = "0.001"
    max_size: str = "0.010"
    deadband_bps: float = Field(1.0, ge=0)  # no signal while the EMAs are closer than this


class Trend(Strategy):
    params_model = TrendParams
    params: TrendParams

    def __init__(self, params: TrendParams) -> None:
        super().__init__(params)
        self.instruments = (params.instrument,)
        self.fast, self.slow = Ema(params.fast), Ema(params.slow)
        self.returns = RollingStats(params.slow)
        self.sampler = Sampler(params.sample_ms)
        self.last = 0.0
        self.samples = 0
        self.target = 0

    def target_size(self, ctx: Context, price: float) -> int:
        inst = ctx.instrument(self.params.instrument)
        vol = self.returns.std * price
        raw = self.params.risk_usd / vol if vol > 0 else 0.0
        lots = max(
            inst.size(self.params.min_size), min(inst.size(self.params.max_size), int(raw * 10**inst.size_precision))
        )
        return lots // inst.lot * inst.lot

    async def on_book(self, ctx: Context, key: str, book: L2Book) -> None:
        m = mid(book)
        if not m or not self.sampler.due(ctx.now_ns()):
            return
        if self.last:
            self.returns.update(math.log(m / self.last))
        self.last = m
        f, s = self.fast.update(m), self.slow.update(m)
        self.samples += 1
        if self.samples < self.params.slow or not self.returns.ready:
            return
        gap_bps = (f - s) / s * 1e4
        direction = 0 if abs(gap_bps) < self.params.deadband_bps else (1 if gap_bps > 0 else -1)
        self.target = direction * self.target_size(ctx, m)
        delta = self.target - ctx.position(key)
        if delta > 0:
            await ctx.buy(key, delta)
        elif delta < 0:
            await ctx.sell(key, -delta)
