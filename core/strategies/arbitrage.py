"""Cross-venue arbitrage: when one venue's bid is above the other's ask by more than both venues'
taker fees plus a margin, buy the cheap venue and sell the dear one at once (IOC at the touch).
If one leg fails or fills short, the filled excess is flattened at market: inventory stays flat."""

from __future__ import annotations

from pydantic import Field

from alephtx.core.book import L2Book
from alephtx.core.model import Fill, Order, Side, TimeInForce
from alephtx.core.strategies.base import Context, Params, Strategy


class ArbitrageParams(Params):
    venue_a: str  # instrument keys, e.g. "paper-a:BTCUSDT"
    venue_b: str
    size: str = "0.002"
    fee_bps_a: float = Field(5.0, ge=0)
    fee_bps_b: float = Field(5.0, ge=0)
    margin_bps: float = Field(2.0, ge=0)
    cooldown_ms: int = Field(500, ge=0)


class Arbitrage(Strategy):
    params_model = ArbitrageParams
    params: ArbitrageParams

    def __init__(self, params: ArbitrageParams) -> None:
        super().__init__(params)
        self.instruments = (params.venue_a, params.venue_b)
        self.next_ns = 0
        self.attempts = 0
        self.hedges = 0
        self.legs: set[str] = set()
        self.in_flight = False
        self.target = 0

    def edge_bps(self, bid: int, ask: int) -> float:
        return (bid - ask) / ask * 1e4 if ask else 0.0

    async def on_book(self, ctx: Context, key: str, book: L2Book) -> None:
        now = ctx.now_ns()
        if now < self.next_ns or self.in_flight:
            return
        p = self.params
        a, b = ctx.book(p.venue_a), ctx.book(p.venue_b)
        need = p.fee_bps_a + p.fee_bps_b + p.margin_bps
        for cheap, dear in ((p.venue_a, p.venue_b), (p.venue_b, p.venue_a)):
            ask = (a if cheap == p.venue_a else b).best_ask_price()
            bid = (b if dear == p.venue_b else a).best_bid_price()
            if ask and bid and self.edge_bps(bid, ask) > need:
                self.next_ns = now + p.cooldown_ms * 1_000_000
                await self.trade(ctx, cheap, ask, dear, bid)
                return

    async def trade(self, ctx: Context, cheap: str, ask: int, dear: str, bid: int) -> None:
        self.attempts += 1
        size = ctx.instrument(cheap).size(self.params.size)
        self.target = ctx.position(self.params.venue_a) + ctx.position(self.params.venue_b)
        self.legs = set()
        for cid in (
            await ctx.buy(cheap, size, ask, tif=TimeInForce.IOC),
            await ctx.sell(dear, size, bid, tif=TimeInForce.IOC),
        ):
            if cid is not None:  # a leg refused outright is already done, with nothing filled
                self.legs.add(cid)
        if not self.legs:
            return
        self.in_flight = True

    async def on_fill(self, ctx: Context, fill: Fill, order: Order) -> None:
        await self.on_order_update(ctx, order)

    async def on_order_update(self, ctx: Context, order: Order) -> None:
        if order.status.is_terminal:
            self.legs.discard(order.client_id)
        if self.in_flight and not self.legs:
            self.in_flight = False
            await self.flatten(ctx, self.target)

    async def flatten(self, ctx: Context, target: int) -> None:
        """After both legs ended: if they filled unequally (a leg failed), close the difference at market."""
        p = self.params
        excess = ctx.position(p.venue_a) + ctx.position(p.venue_b) - target
        if excess == 0:
            return
        self.hedges += 1
        # Unwind on the venue whose leg filled (its position moved in the excess's direction).
        where = p.venue_a if (ctx.position(p.venue_a) > 0) == (excess > 0) else p.venue_b
        await ctx.submit(where, Side.SELL if excess > 0 else Side.BUY, abs(excess))
