"""Reconciliation at start with 1,000 open orders on a live-kind venue (Binance USD-M's loopback
emulator, the real adapter and ccxt client over HTTP on 127.0.0.1).

A node restarted over a journal with 1,000 resting orders reconciles them with the venue before
it trades. Measured: ``Engine.start`` (journal rebuild, then reconciliation) against the same
1,000 orders looked up one by one (``get_order`` each: what reconciliation did before it read
the venue's open orders in one listing), the baseline, in the same process.

ccxt's own throttle is off and the emulator's weight limit lifted: the figures are our side's
cost over loopback. On a real venue each request also waits for the venue's rate limit (Binance
USD-M weight 1 per order query: 1,000 queries are most of a minute's 2,400 weight), which is the
larger reason to list instead of looking up.

    python -m bench.reconcile
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.progress import track

from alephtx.core.engine.engine import Engine
from alephtx.core.journal import SqliteJournal
from alephtx.core.model import OrderRequest, OrderType, Side
from alephtx.core.model.accounting import CASH_PRECISION
from alephtx.core.risk import RiskEngine, RiskLimits
from alephtx.core.venues.factory import VenueConfig
from alephtx.core.venues.registry import build
from alephtx.emulators.registry import EMULATORS, account_for
from bench.common import save, show

N = 1_000
LIMITS = {
    "global": {"max_open_orders": 5000, "max_gross_exposure": "10000000", "max_net_exposure": "10000000"},
    "venue": {
        "default": {
            "max_open_orders": 5000, "max_orders_per_second": 1024,
            "max_gross_exposure": "10000000", "max_net_exposure": "10000000",
        }
    },
}  # fmt: skip


async def main() -> dict[str, Any]:
    info = EMULATORS["binance-usdm"]
    who = account_for("binance-usdm", env={})
    emu = info.cls(instrument=info.instrument, account=who.account, speed=1.0)
    emu.weight_limit = 10**9
    await emu.start()
    await emu.synced.wait()
    emu.running.clear()  # the market stands still: no resting order fills meanwhile
    cfg = VenueConfig(info.kind, symbols=(info.instrument.symbol,), rest_url=emu.url, ws_url=emu.ws_url, cache=False)
    parts = await build(cfg, env=who.exports)
    adapter = parts.adapter
    adapter.ex.enableRateLimit = False
    inst = parts.instruments.get(info.instrument.symbol)
    limits = RiskLimits.model_validate(LIMITS | {"instrument": {inst.key: {"max_position": "1000"}}})
    cash = 10_000_000 * 10**CASH_PRECISION
    folder = Path(tempfile.mkdtemp(prefix="aleph-bench-reconcile-"))
    try:
        first = Engine([inst], {cfg.name: adapter}, RiskEngine(limits), SqliteJournal(str(folder / "j.db")), cash)
        await first.start(compare_cash=False)
        mid_x2 = emu.venue.books[inst.key].mid_x2()
        first.on_mid(inst.key, mid_x2)
        below = (mid_x2 // 2 * 97 // 100) // inst.tick * inst.tick  # rests: 3% under the market
        qty = (inst.min_notional // below // inst.lot + 1) * inst.lot  # the venue's smallest order
        for i in track(range(N), description=f"placing {N} resting orders"):
            req = OrderRequest(inst.key, Side.BUY, OrderType.LIMIT, qty, below - (i % 50) * inst.tick)
            res = await first.submit(req)
            assert res.ok, res
        first.journal.close()
        assert len(await adapter.get_open_orders()) == N

        # A restart: a new adapter (it knows none of the orders) over the same journal.
        restarted = await build(cfg, env=who.exports)
        restarted.adapter.ex.enableRateLimit = False
        again = Engine(
            [inst], {cfg.name: restarted.adapter}, RiskEngine(limits), SqliteJournal(str(folder / "j.db")), cash
        )
        t0 = time.perf_counter()
        found = await again.start(compare_cash=False)
        start_s = time.perf_counter() - t0
        assert not found, found  # nothing differed: the journal and the venue agree
        assert len(list(again.ledger.open_orders())) == N
        again.journal.close()
        await restarted.close()

        open_ids = [(inst.key, o.client_id) for o in await adapter.get_open_orders()]
        t0 = time.perf_counter()
        for key, cid in track(open_ids, description="baseline: one lookup per order"):
            await adapter.get_order(key, cid)
        lookups_s = time.perf_counter() - t0
    finally:
        await parts.close()
        await emu.stop()
    show(
        f"Reconciliation at start, {N} open orders, Binance USD-M emulator over loopback",
        ["path", "seconds", "requests"],
        [
            ["Engine.start (rebuild + reconcile, one listing)", f"{start_s:.3f}", "a few"],
            ["baseline: the orders' lookups alone", f"{lookups_s:.3f}", str(N)],
            ["ratio (baseline / start)", f"{lookups_s / start_s:.1f}x", ""],
        ],
    )
    result = {"open_orders": N, "start_s": start_s, "lookups_s": lookups_s, "ratio": lookups_s / start_s}
    save("reconcile", result)
    return result


if __name__ == "__main__":
    asyncio.run(main())
