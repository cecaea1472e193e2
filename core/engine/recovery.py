"""Start-up: rebuild state from the journal, then reconcile with each venue (the source of truth).

Every difference is journaled (``Reconciled``) with what was done about it: a missing fill is
recorded, a position that differs is adopted (``settle_positions``), an order's end is taken from
the venue. What cannot be resolved halts that venue alone, loudly: its instruments stop trading
until the operator looks; the other venues trade on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from alephtx.core.journal.events import Reconciled
from alephtx.core.model import Fill, OrderStatus, Side
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
    note = recorder(manager, venue_name, found)
    mine = {k for k, i in manager.instruments.items() if i.venue == venue_name}
    # 1. Fills the venue has and the journal does not (the engine died before writing them).
    for f in await venue.get_fills(0):
        if f.instrument in mine and (f.instrument, f.trade_id) not in ledger.fills:
            if f.client_id not in ledger.orders:
                if _ours(manager, f.client_id):  # the journal lost an order of this node's
                    note(f"fill {f.trade_id} for unknown order {f.client_id}", "not recorded; halt venue")
                else:  # a trade made outside the node: its effect is the position's (step 4)
                    log.info("reconcile %s: fill %s of an order not sent by this node", venue_name, f.trade_id)
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
            ours = _ours(manager, vo.client_id)
            note(
                f"open order {vo.client_id} at the venue is not in the journal", "halt venue" if ours else "left alone"
            )
    # 4. Positions: a difference that stays put while no fill arrives is adopted (a trade made
    # outside the node, a liquidation); one that cannot be priced halts the venue.
    await settle_positions(manager, venue_name, note)
    if compare_cash:
        for b in await venue.get_balances():
            if b.total != ledger.cash():
                note(f"cash {b.asset}: venue {b.total}, journal {ledger.cash()}", "halt venue")
    await manager.catch_up(venue_name)
    if any("halt" in r.action for r in found):
        manager.risk.halt_venue(venue_name, f"reconciliation failed: {found[-1].difference}")
    return found


def recorder(manager: OrderManager, venue_name: str, found: list[Reconciled]) -> Callable[[str, str], None]:
    """``note(difference, action)``: one difference journaled (``Reconciled``), logged and kept in
    ``found``; an action that says "halt" is logged as an error (the caller halts the venue)."""

    def note(difference: str, action: str) -> None:
        ev = Reconciled(venue_name, difference, action, manager.clock())
        manager.record(ev)
        found.append(ev)
        (log.error if "halt" in action else log.warning)("reconcile %s: %s -> %s", venue_name, difference, action)

    return note


def _ours(manager: OrderManager, client_id: str) -> bool:
    """A client id this node's id factory makes (its prefix), as opposed to another program's."""
    return client_id.startswith(manager.ids.prefix[:2])


async def settle_positions(
    manager: OrderManager,
    venue_name: str,
    note: Callable[[str, str], None],
    attempts: int = 3,
    pause_s: float = 0.2,
) -> bool:
    """Compare the venue's positions with the journal's without racing fills on their way.

    The positions are read first, then every fill up to now is caught up, so the journal holds at
    least what the positions include. Equal: settled. Different: either a fill landed in between
    (read again after a pause) or the venue's position changed outside the node. A difference
    that is the same on every attempt while the journal's fills did not move is adopted: the
    journal records an adjustment fill (``liquidity = "adjust"``, no fee) at the venue's entry
    price, replayed at every restart like any fill. No price to adopt it at (a spot holding): the
    venue halts. Fills still arriving on every attempt: nothing is decided this time (False)."""
    venue, ledger = manager.venues[venue_name], manager.ledger
    mine = {k for k, i in manager.instruments.items() if i.venue == venue_name}
    seen: dict[str, tuple[int, int]] | None = None
    for attempt in range(attempts):
        if attempt:
            await asyncio.sleep(pause_s * attempt)
        fills_before = len(ledger.fills)
        positions = {p.instrument: p for p in await venue.get_positions() if p.instrument in mine}
        await manager.catch_up(venue_name)
        now = {
            k: (p.quantity, p.cost)
            for k, p in positions.items()
            if p.quantity != ledger.positions.get(k, PositionState(k)).quantity
        }
        if not now:
            return True
        if now == seen and len(ledger.fills) == fills_before:
            break  # the same difference twice, and no fill between: it is real
        seen = now if len(ledger.fills) == fills_before else None
    else:
        log.warning("reconcile %s: positions not settled (fills in flight); checked again later", venue_name)
        return False
    for key, (venue_qty, venue_cost) in now.items():
        journal_qty = ledger.positions.get(key, PositionState(key)).quantity
        diff = venue_qty - journal_qty
        price = venue_cost // venue_qty if venue_qty and venue_cost else 0
        difference = f"position {key}: venue {venue_qty}, journal {journal_qty}"
        if price <= 0:
            note(difference, "halt venue: no price to adopt the difference at")
            continue
        ts = manager.clock()
        side = Side.BUY if diff > 0 else Side.SELL
        manager.fill(Fill(key, "", "", f"adjust-{venue_name}-{ts}", side, price, abs(diff), 0, "adjust", ts))
        note(difference, f"adopted: adjusted by {diff} at {price}")
    return True
