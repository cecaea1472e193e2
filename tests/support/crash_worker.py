"""A trading engine process for the crash test: it trades on the paper venue server until killed.

    python -m tests.support.crash_worker --venue URL --journal PATH [--reconcile-only]

Each order carries the intent number that produced it (tag ``intent:<k>``). After a restart the
worker continues from the journal's highest intent, never redoing one: if the engine ever sent an
intent twice, the venue would hold two orders for it, and the test would see that.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys

from alephtx.core.engine import Engine
from alephtx.core.journal import Reconciled, SqliteJournal
from alephtx.core.model import OrderRequest, OrderType, Side, TimeInForce
from alephtx.core.model.accounting import CASH_PRECISION
from alephtx.core.risk import RiskEngine, RiskLimits
from alephtx.core.venues.paper.client import PaperHttpVenue
from alephtx.emulators.paper import BTCUSDT as INST

CASH = 100_000 * 10**CASH_PRECISION
LIMITS = RiskLimits.model_validate(
    {
        "instrument": {INST.key: {"max_position": "0.5"}},
        "venue": {"default": {"max_orders_per_second": 200, "max_cancels_per_second": 200, "max_open_orders": 40}},
    }
)


async def run(url: str, journal: str, reconcile_only: bool, seed: int) -> None:
    venue = PaperHttpVenue(url)
    engine = Engine([INST], {"paper": venue}, RiskEngine(LIMITS), SqliteJournal(journal), CASH)
    found = await engine.start()
    if reconcile_only:
        led = engine.ledger
        p = led.positions.get(INST.key)
        print(
            json.dumps(
                {
                    "reconciled": [{"difference": r.difference, "action": r.action} for r in found],
                    "reconciled_total": sum(isinstance(e, Reconciled) for _, e in engine.journal.read()),
                    "halted": engine.risk.halted_venues,
                    "position": [p.quantity, p.cost] if p else [0, 0],
                    "cash": led.cash(),
                    "open_orders": sorted(o.client_id for o in led.open_orders()),
                    "fills": sorted(tid for _, tid in led.fills),
                    "tags": led.tags,
                }
            )
        )
        await venue.close()
        return
    done = [int(t.split(":")[1]) for t in engine.ledger.tags.values() if t.startswith("intent:")]
    k = max(done, default=0) + 1
    print(f"worker: start at intent {k}, reconciled {len(found)}", file=sys.stderr, flush=True)
    while True:
        t = await venue.ticker()
        if t["mid_x2"]:
            engine.on_mid(INST.key, t["mid_x2"])
            rng = random.Random(seed * 1_000_003 + k)
            opens = engine.ledger.open_orders()
            if opens and rng.random() < 0.3:
                await engine.cancel(rng.choice(opens).client_id)
            else:
                side = rng.choice([Side.BUY, Side.SELL])
                qty = rng.randint(1, 10)
                kind = rng.random()
                if kind < 0.15:
                    req = OrderRequest(INST.key, side, OrderType.MARKET, qty, origin="strategy:crash")
                else:
                    ref = t["bid"] if side is Side.BUY else t["ask"]
                    off = rng.randint(-2, 3) * INST.tick
                    px = ref - off if side is Side.BUY else ref + off
                    tif = TimeInForce.IOC if kind < 0.3 else TimeInForce.GTC
                    req = OrderRequest(INST.key, side, OrderType.LIMIT, qty, px, tif=tif, origin="strategy:crash")
                await engine.submit(req, tag=f"intent:{k}")
            k += 1
        await engine.oms.catch_up("paper")
        await asyncio.sleep(0.003)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--venue", required=True)
    ap.add_argument("--journal", required=True)
    ap.add_argument("--reconcile-only", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    asyncio.run(run(a.venue, a.journal, a.reconcile_only, a.seed))


if __name__ == "__main__":
    main()
