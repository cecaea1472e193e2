"""Start-up: rebuild state from the journal, then reconcile with each venue (the source of truth).

Every difference is journaled (``Reconciled``) with what was done about it. What cannot be
resolved halts that venue, loudly: its instruments stop trading until the operator looks.
"""

from __future__ import annotations

import logging

from alephtx.core.journal.events import Reconciled
from alephtx.core.model import OrderStatus
from alephtx.core.model.accounting import PositionState
from alephtx.core.oms.manager import OrderManager

log = logging.getLogger("alephtx.recovery")


def rebuild(manager: OrderManager) -> int:
    """Replay the journal into the ledger and the risk engine's counters; returns events read."""
    n = 0
    for seq, ev in manager.journal.read(manager.ledger.last_seq):
        manager.ledger.apply(ev, seq)
        n += 1
    risk, ledger = manager.risk, manager.ledger
    for key, p in ledger.positions.items():
        if key in risk.instruments:
            risk.set_position(key, p.quantity)
    for o in ledger.open_orders():
        if o.request.instrument in risk.instruments:
            risk.add_open_order(o.request.instrument, o.request.side, o.remaining)
    return n


async def reconcile(manager: OrderManager, venue_name: str, compare_cash: bool = True) -> list[Reconciled]:
    venue = manager.venues[venue_name]
    ledger = manager.ledger
    found: list[Reconciled] = []

    def note(difference: str, action: str) -> None:
        ev = Reconciled(venue_name, difference, action, manager.clock())
        manager.record(ev)
        found.append(ev)
        (log.error if "halt" in action else log.warning)("reconcile %s: %s -> %s", venue_name, difference, action)

    mine = {k for k, i in manager.instruments.items() if i.venue == venue_name}
    # 1. Fills the venue has and the journal does not (the engine died before writing them).
    for f in await venue.get_fills(0):
        if f.instrument in mine and (f.instrument, f.trade_id) not in ledger.fills:
            if f.client_id not in ledger.orders:
                note(f"fill {f.trade_id} for unknown order {f.client_id}", "not recorded; halt venue")
                continue
            manager.fill(f)
            note(f"fill {f.trade_id} of {f.client_id} missing from the journal", "recorded")
    # 2. Orders the journal thinks are open: the venue's open orders in one listing, and a
    # lookup only for those not in it (done meanwhile, or never received), so that a thousand
    # resting orders cost one request, not a thousand.
    listed = {vo.client_id: vo for vo in await venue.get_open_orders() if vo.instrument in mine}
    for o in list(ledger.open_orders()):
        if o.request.instrument not in mine:
            continue
        vo = listed.get(o.client_id)
        if vo is not None:
            venue.track(vo)  # the adapter follows it from here (its fills, its end)
        else:
            vo = await venue.get_order(o.request.instrument, o.client_id)
        if vo is None:
            if o.venue_order_id:
                note(f"acknowledged order {o.client_id} unknown to the venue", "halt venue")
            else:
                manager.rejected(o.client_id, "NOT_RECEIVED: the venue never got it (found at restart)")
                note(f"order {o.client_id} was written but never reached the venue", "marked rejected")
            continue
        if not o.venue_order_id:
            manager.acked(o.client_id, vo)
        if vo.status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED):
            manager.done(o.client_id, vo.status.value, vo.filled, manager.clock(), "found at restart")
            note(f"order {o.client_id} is {vo.status.value} at the venue", "marked done")
        elif vo.status is OrderStatus.REJECTED:
            manager.rejected(o.client_id, "rejected at the venue (found at restart)")
            note(f"order {o.client_id} was rejected at the venue", "marked rejected")
        if vo.filled != ledger.orders[o.client_id].filled:
            note(
                f"order {o.client_id}: venue filled {vo.filled}, journal {ledger.orders[o.client_id].filled}",
                "halt venue",
            )
    # 3. Open orders at the venue that the journal does not know.
    for vo in listed.values():
        if vo.client_id not in ledger.orders:
            ours = vo.client_id.startswith(manager.ids.prefix[:2])
            note(
                f"open order {vo.client_id} at the venue is not in the journal", "halt venue" if ours else "left alone"
            )
    # 4. Positions and cash must now agree exactly.
    for p in await venue.get_positions():
        if p.instrument not in mine:
            continue
        mine_p = ledger.positions.get(p.instrument, PositionState(p.instrument))
        with_cost = venue.capabilities.position_cost
        if mine_p.quantity != p.quantity or (with_cost and mine_p.cost != p.cost):
            note(f"position {p.instrument}: venue {p.quantity}, journal {mine_p.quantity}", "halt venue")
    if compare_cash:
        for b in await venue.get_balances():
            if b.total != ledger.cash():
                note(f"cash {b.asset}: venue {b.total}, journal {ledger.cash()}", "halt venue")
    await manager.catch_up(venue_name)
    if any("halt" in r.action for r in found):
        manager.risk.halt_venue(venue_name, f"reconciliation failed: {found[-1].difference}")
    return found
