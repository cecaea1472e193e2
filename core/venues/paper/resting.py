"""The paper venue's resting orders: what a book update or a trade does to them.

Two implementations of one contract: :class:`CResting` (``_resting.pyx``, the matcher's hot path:
the orders in C arrays, one call into the book per update for every shown size) and
:class:`PyResting` here, its pure-Python twin and the oracle of the property tests. Both keep the
orders in arrival order and return the fills to make, in the order they happen; the matcher
makes them (fees, position, reports) and drops what is filled.

Per order: its side and price, the size ahead of it (``ahead``), what is left to fill, and for
the probabilistic queue the size last shown at its price and the part of the change since that
trades explain (models.py).
"""

from __future__ import annotations

import math
from typing import Any

from alephtx.core.venues.base import VenueOrder
from alephtx.core.venues.paper.models import ProbQueue, QueueModel

__all__ = ["CResting", "PyResting", "make_resting", "queue_params"]

FIFO, POWER, LOG = 0, 1, 2
INT64_MAX = 2**63 - 1


def queue_params(queue: QueueModel | None) -> tuple[int, float]:
    """The queue model as the C side takes it: (kind, exponent)."""
    if queue is None or type(queue) is QueueModel:
        return FIFO, 0.0
    if isinstance(queue, ProbQueue):
        return (POWER, queue.n) if queue.kind == "power" else (LOG, 0.0)
    raise TypeError(f"queue model {type(queue).__name__}: only fifo, power:N and log run in the matcher")


def prob_front(kind: int, n: float, front: int, prev: int, new: int, traded: int) -> int:
    """hftbacktest's ProbQueueModel step (models.ProbQueue.on_depth, inlined for the twin)."""
    chg = prev - new - traded
    if chg <= 0:
        return min(front, new)
    back = prev - front
    b = float(max(back, 0))
    f = float(front)
    if kind == POWER:
        fb, ff = b**n, f**n
    else:
        fb, ff = math.log1p(b), math.log1p(f)
    p = fb / (fb + ff) if fb + ff > 0 else 1.0
    est = front - (1.0 - p) * chg + min(back - p * chg, 0.0)
    return max(0, min(round(est), new))


class _Entry:
    __slots__ = ("ahead", "is_bid", "order", "price", "remaining", "shown", "traded")

    def __init__(self, order: VenueOrder, is_bid: bool, ahead: int) -> None:
        self.order = order
        self.is_bid = is_bid
        self.price = order.price
        self.ahead = ahead
        self.shown = ahead
        self.traded = 0
        self.remaining = order.quantity - order.filled


class PyResting:
    """The pure-Python twin."""

    def __init__(self, kind: int = FIFO, n: float = 0.0, whole: bool = False) -> None:
        self.kind, self.n, self.whole = kind, n, whole
        self._entries: list[_Entry] = []

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, order: VenueOrder, is_bid: bool, ahead: int) -> None:
        self._entries.append(_Entry(order, is_bid, ahead))

    def remove(self, order: VenueOrder) -> bool:
        for i, e in enumerate(self._entries):
            if e.order is order:
                del self._entries[i]
                return True
        return False

    def drop_filled(self) -> None:
        self._entries = [e for e in self._entries if e.remaining > 0]

    def ahead_of(self, order: VenueOrder) -> int | None:
        return next((e.ahead for e in self._entries if e.order is order), None)

    def on_book(self, book: Any, bid: int, ask: int) -> list[tuple[VenueOrder, int]] | None:
        """Orders the book moved through fill whole; the others' queues follow the shown size."""
        fills = None
        for e in self._entries:
            if (e.is_bid and ask and ask <= e.price) or (not e.is_bid and bid and bid >= e.price):
                if fills is None:
                    fills = []
                fills.append((e.order, e.remaining))
                e.remaining = 0
                continue
            shown = book.qty_at(e.is_bid, e.price)
            if self.kind == FIFO:
                e.ahead = min(e.ahead, shown)
            else:
                e.ahead = prob_front(self.kind, self.n, e.ahead, e.shown, shown, e.traded)
                e.shown, e.traded = shown, 0
        return fills

    def on_trade(self, price: int, qty: int, seller_aggressor: bool) -> list[tuple[VenueOrder, int]] | None:
        """A trade eats the queue at its price and fills the orders it prints through, best
        price first, then arrival."""
        buy_side = seller_aggressor  # the passive side
        cands = [
            e
            for e in self._entries
            if e.is_bid == buy_side and (e.price >= price if buy_side else e.price <= price) and e.remaining > 0
        ]
        if not cands:
            return None
        cands.sort(key=lambda e: -e.price if buy_side else e.price)
        fills: list[tuple[VenueOrder, int]] = []
        left = qty
        ours = 0  # of this trade, what our orders at its price took
        for e in cands:
            if e.price != price:  # printed through it
                fills.append((e.order, e.remaining))
                e.remaining = 0
            elif left > 0:
                eaten = min(left, e.ahead)
                e.ahead -= eaten
                left -= eaten
                if e.ahead == 0 and left > 0:
                    take = e.remaining if self.whole else min(left, e.remaining)
                    used = min(left, take)  # of the trade; a whole fill may be more than it printed
                    left -= used
                    ours += used
                    e.remaining -= take
                    fills.append((e.order, take))
        for e in cands:  # the shown size at the price fell by the trade, ours aside (saturating, as in C)
            if e.price == price:
                e.traded = min(e.traded + qty - ours, INT64_MAX)
        return fills or None


def make_resting(queue: QueueModel | None, pure: bool = False, whole: bool = False) -> Any:
    """``whole``: an order a trade reaches fills whole (hftbacktest's no-partial-fill exchange)."""
    kind, n = queue_params(queue)
    return PyResting(kind, n, whole) if pure else CResting(kind, n, whole)


try:
    from alephtx.core.venues.paper._resting import CResting
except ImportError as exc:  # built by `pip install -e .` (make build)
    raise ImportError("alephtx.core.venues.paper._resting is not built; run `make build`") from exc
