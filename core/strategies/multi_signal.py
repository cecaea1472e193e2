"""Multi-signal: a weighted vote of book imbalance, trend (EMA gap) and mean reversion (-z-score),
optionally plus a small torch model loaded from a file, trading towards a long, flat or short
target when the vote passes a threshold."""

from __future__ import annotations

import math
from typing import Any

from pydantic import Field

from alephtx.core.book import L2Book
from alephtx.core.strategies.base import Context, Params, Strategy
from alephtx.core.strategies.signals import Ema, RollingStats, Sampler, mid


class MultiSignalParams(Params):
    instrument: str
    size: str = "0.002"
    sample_ms: int = Field(500, ge=10)
    w_imbalance: float = 1.0
    w_trend: float = 1.0
    w_reversion: float = 0.5
    w_model: float = 1.0
    threshold: float = Field(0.35, gt=0)
    model_path: str | None = None  # a TorchScript module: features [imbalance, trend, z] -> score


class MultiSignal(Strategy):
    params_model = MultiSignalParams
    params: MultiSignalParams

    def __init__(self, params: MultiSignalParams) -> None:
        super().__init__(params)
        self.instruments = (params.instrument,)
        self.fast, self.slow = Ema(8), Ema(32)
        self.stats = RollingStats(40)
        self.sampler = Sampler(params.sample_ms)
        self.model: Any = None
        if params.model_path:
            import torch

            self.model = torch.jit.load(params.model_path)
            self.model.eval()
        self.last_score = 0.0
        self.votes = 0

    def features(self, book: L2Book, m: float) -> tuple[float, float, float]:
        f, s = self.fast.update(m), self.slow.update(m)
        self.stats.update(m)
        trend = math.tanh((f - s) / s * 1e4) if s else 0.0
        z = max(-3.0, min(3.0, self.stats.z(m))) / 3.0
        return book.imbalance(5), trend, -z

    def score(self, imbalance: float, trend: float, reversion: float) -> float:
        p = self.params
        total = p.w_imbalance * imbalance + p.w_trend * trend + p.w_reversion * reversion
        weight = p.w_imbalance + p.w_trend + p.w_reversion
        if self.model is not None:
            import torch

            with torch.no_grad():
                out = float(
                    self.model(torch.tensor([[imbalance, trend, reversion]], dtype=torch.float32)).reshape(-1)[0]
                )
            total += p.w_model * math.tanh(out)
            weight += p.w_model
        return total / weight if weight else 0.0

    async def on_book(self, ctx: Context, key: str, book: L2Book) -> None:
        m = mid(book)
        if not m or not self.sampler.due(ctx.now_ns()):
            return
        feats = self.features(book, m)
        if not self.stats.ready:
            return
        self.last_score = self.score(*feats)
        self.votes += 1
        size = ctx.instrument(key).size(self.params.size)
        target = (
            size
            if self.last_score > self.params.threshold
            else -size
            if self.last_score < -self.params.threshold
            else 0
        )
        delta = target - ctx.position(key)
        if delta > 0:
            await ctx.buy(key, delta)
        elif delta < 0:
            await ctx.sell(key, -delta)
