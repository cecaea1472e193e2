"""Tick to order on a live-kind venue: Binance USD-M's loopback emulator sends a depth update on
its WebSocket, our book stream applies it, a strategy's decision passes risk and the journal,
and the order reaches the venue's REST endpoint (the real ccxt client, our signer, HTTP on
127.0.0.1). Beside it, in the same run, the paper path of ``bench/tick_to_order.py`` (book
applied to the paper venue's acknowledgement, all in process), the baseline.

Spans, per order, all read from one clock (the emulator runs in this process):
- venue to venue: the emulator sends the update, and receives the order (tick to order);
- book to venue: our stream has applied the update, and the emulator receives the order (our
  decision path plus the HTTP request: what the paper path's span is on a live venue).
The order is an IOC buy far below the market: the venue expires it, nothing rests or fills.

    python -m bench.live_tick_to_order
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web
from rich.progress import Progress

from alephtx.core.engine import Engine
from alephtx.core.journal import SqliteJournal
from alephtx.core.model import OrderRequest, OrderType, Side, TimeInForce
from alephtx.core.model.accounting import CASH_PRECISION
from alephtx.core.risk import RiskEngine, RiskLimits
from alephtx.core.venues.factory import VenueConfig
from alephtx.core.venues.registry import build
from alephtx.emulators.binance import BinanceEmulator
from alephtx.emulators.registry import account_for
from bench.common import capture_path, save, show
from bench.tick_to_order import in_process, pct

# Orders: under ccxt's budget for a minute (it counts an order as 4 units of USD-M's 1,200), so
# that its throttle holds none back; past ~290 orders in a minute it does (seconds each).
N = 200
EVERY = 4  # an order on every fourth book update


class StampedEmulator(BinanceEmulator):
    """Notes when each depth update leaves and when each order arrives (before its checks)."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.sent: dict[int, int] = {}  # final update id -> ns
        self.received: dict[str, int] = {}  # client order id -> ns

    def depth_message(self, ev: Any) -> str:
        msg = super().depth_message(ev)
        self.sent[ev.final_id] = time.perf_counter_ns()
        return msg

    async def new_order(self, request: web.Request, p: dict[str, str]) -> web.Response:
        self.received.setdefault(p.get("newClientOrderId", ""), request["t_arrived"])
        return await super().new_order(request, p)

    @web.middleware
    async def _faults_and_weight(self, request: web.Request, handler: Any) -> web.StreamResponse:
        request["t_arrived"] = time.perf_counter_ns()  # the moment the request reached the venue
        return await super()._faults_and_weight(request, handler)


async def live(folder: Path) -> tuple[list[int], list[int]]:
    who = account_for("binance-usdm", env={})
    emu = StampedEmulator(account=who.account, speed=4.0)
    await emu.start()
    await emu.synced.wait()
    cfg = VenueConfig("binance-usdm", symbols=("BTCUSDT",), rest_url=emu.url, ws_url=emu.ws_url, cache=False)
    parts = await build(cfg, env=who.exports)
    inst = parts.instruments.get("BTCUSDT")
    limits = RiskLimits.model_validate(
        {
            "instrument": {inst.key: {"max_position": "1"}},
            "venue": {"default": {"max_orders_per_second": 1024, "max_open_orders": 1000}},
            "global": {"max_open_orders": 1000},
        }
    )
    cash = 1_000_000 * 10**CASH_PRECISION
    engine = Engine([inst], {cfg.name: parts.adapter}, RiskEngine(limits), SqliteJournal(folder / "live.db"), cash)
    await engine.start(compare_cash=False)
    stream = parts.data.book_stream("BTCUSDT")  # type: ignore[attr-defined]
    applied: dict[str, tuple[int, int]] = {}  # client id -> (update id, ns the book was applied)
    stop, seen = asyncio.Event(), [0]
    with Progress(transient=True) as progress:
        task = progress.add_task(f"{N} orders on the emulator", total=N)

        async def on_book(book: Any) -> None:
            t_applied = time.perf_counter_ns()
            engine.on_mid(inst.key, book.mid_x2())
            seen[0] += 1
            if seen[0] % EVERY or len(applied) >= N:
                return
            px = book.best_bid_price() - 1000 * inst.tick
            qty = (inst.min_notional // px // inst.lot + 1) * inst.lot
            req = OrderRequest(inst.key, Side.BUY, OrderType.LIMIT, qty, px, tif=TimeInForce.IOC)
            res = await engine.submit(req)
            if res.ok:
                applied[res.client_id] = (book.last_update_id, t_applied)
                progress.advance(task)
            if len(applied) >= N:
                stop.set()

        runner = asyncio.create_task(stream.run(on_book, stop))
        await asyncio.wait_for(stop.wait(), 600)
        await runner
    await parts.close()
    await emu.stop()
    engine.journal.close()
    whole, ours = [], []
    for cid, (u, t_applied) in applied.items():
        t_in = emu.received.get(cid)
        if t_in is None or u not in emu.sent:
            continue
        whole.append(t_in - emu.sent[u])
        ours.append(t_in - t_applied)
    return whole, ours


async def main_async() -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="aleph-bench-live-t2o-"))
    whole, ours = await live(folder)
    paper = [ack for ack, _ in await in_process(capture_path(), False, folder, ioc=True)]
    w50, w99 = pct(whole)
    o50, o99 = pct(ours)
    p50, p99 = pct(paper)
    show(
        f"Tick to order, {len(whole)} orders on Binance USD-M's emulator over loopback, and the paper path",
        ["span", "p50 us", "p99 us"],
        [
            ["live: the venue sends the update -> the venue receives the order", f"{w50:.1f}", f"{w99:.1f}"],
            ["live: our book applied -> the venue receives the order", f"{o50:.1f}", f"{o99:.1f}"],
            ["paper (baseline): book applied -> the paper venue acknowledges", f"{p50:.1f}", f"{p99:.1f}"],
            ["ratio live (book to venue) / paper, p50", f"{o50 / p50:.1f}x", ""],
        ],
    )
    result = {
        "orders": len(whole),
        "live_venue_to_venue_us": {"p50": w50, "p99": w99},
        "live_book_to_venue_us": {"p50": o50, "p99": o99},
        "paper_us": {"p50": p50, "p99": p99},
    }
    save("live_tick_to_order", result)
    return result


if __name__ == "__main__":
    asyncio.run(main_async())
