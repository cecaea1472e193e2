"""The order state machine: every allowed transition is written here; anything else is refused.

NEW ─► SUBMITTED ─► ACCEPTED ─► PARTIALLY_FILLED ─► FILLED
 │         │            │  ▲            │
 │         │            ▼  │            ▼
 │         │      CANCEL_PENDING ──► CANCELLED / EXPIRED / FILLED
 └─► REJECTED ◄────────┘
"""

from __future__ import annotations

import logging

from alephtx.core.model.enums import OrderStatus
from alephtx.core.model.orders import Order

log = logging.getLogger("alephtx.oms")  # transitions are the order manager's business

S = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.NEW: frozenset({S.SUBMITTED, S.REJECTED}),
    # A fast venue may report fills or the end of an order before its acknowledgement arrives.
    S.SUBMITTED: frozenset(
        {S.ACCEPTED, S.REJECTED, S.PARTIALLY_FILLED, S.FILLED, S.CANCEL_PENDING, S.CANCELLED, S.EXPIRED}
    ),
    S.ACCEPTED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCEL_PENDING, S.CANCELLED, S.EXPIRED}),
    S.PARTIALLY_FILLED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCEL_PENDING, S.CANCELLED, S.EXPIRED}),
    # A cancel can lose the race to fills; a refused cancel returns the order to where it was.
    S.CANCEL_PENDING: frozenset({S.CANCELLED, S.EXPIRED, S.PARTIALLY_FILLED, S.FILLED, S.ACCEPTED}),
    S.FILLED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
}


def can_transition(current: OrderStatus, new: OrderStatus) -> bool:
    return new in TRANSITIONS[current]


def transition(order: Order, new: OrderStatus, ts_ns: int = 0) -> bool:
    """Move ``order`` to ``new`` if allowed; otherwise log and leave it as it is."""
    if new in TRANSITIONS[order.status]:
        order.status = new
        if ts_ns:
            order.updated_ns = ts_ns
        return True
    log.error("oms: refused illegal transition %s -> %s for %s", order.status.value, new.value, order.client_id)
    return False
