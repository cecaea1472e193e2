"""Pure-Python twin of the Cython L2 book (_l2book.pyx): the same API and the same results.

It is the oracle in the property tests, so it favours being obviously right over being fast:
sorted key lists via bisect, asks keyed by negated price exactly as the Cython book does.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import Any

from alephtx.core.book.status import APPLIED, CROSSED, GAP, SKIPPED_OLD, STALE

Level = tuple[int, int]


class _Ladder:
    __slots__ = ("key", "qty")

    def __init__(self) -> None:
        self.key: list[int] = []  # ascending, best last
        self.qty: list[int] = []

    def set(self, key: int, qty: int) -> None:
        i = bisect_left(self.key, key)
        if i < len(self.key) and self.key[i] == key:
            if qty == 0:
                del self.key[i]
                del self.qty[i]
            else:
                self.qty[i] = qty
        elif qty:
            self.key.insert(i, key)
            self.qty.insert(i, qty)


class PyL2Book:
    """See :class:`alephtx.core.book.L2Book`; this class mirrors it line for line."""

    def __init__(self, tick: int = 1, window: int = 32768, capacity: int = 64) -> None:
        # window and capacity size the Cython book's memory; here they only keep the API the same.
        if tick < 1:
            raise ValueError(f"tick={tick}: must be a positive integer")
        if window < 64:
            raise ValueError(f"window={window}: must be at least 64 slots")
        self.tick = tick
        self._bids = _Ladder()
        self._asks = _Ladder()
        self.last_update_id = 0
        self.stale = True
        self.crossed = False
        self._first_pending = False
        self.gaps = 0

    def clear(self) -> None:
        self._bids = _Ladder()
        self._asks = _Ladder()
        self.crossed = False

    def apply_snapshot(
        self,
        bid_px: Sequence[int],
        bid_qty: Sequence[int],
        ask_px: Sequence[int],
        ask_qty: Sequence[int],
        last_update_id: int,
    ) -> None:
        if len(bid_px) != len(bid_qty) or len(ask_px) != len(ask_qty):
            raise ValueError("snapshot: price and size arrays differ in length")
        for i, (p, q) in enumerate(zip(bid_px, bid_qty, strict=True)):
            self._check(int(p), int(q), i)
        for i, (p, q) in enumerate(zip(ask_px, ask_qty, strict=True)):
            self._check(int(p), int(q), i)
        self.clear()
        for p, q in zip(bid_px, bid_qty, strict=True):
            self._bids.set(int(p), int(q))
        for p, q in zip(ask_px, ask_qty, strict=True):
            self._asks.set(-int(p), int(q))
        self.last_update_id = int(last_update_id)
        self.stale = False
        self._first_pending = True
        self._check_crossed()

    def _check(self, price: int, qty: int, i: int) -> None:
        if qty < 0:
            raise ValueError(f"levels[{i}].qty={qty}: must not be negative")
        if price <= 0 or price % self.tick:
            raise ValueError(f"levels[{i}].price={price}: must be a positive multiple of the tick {self.tick}")

    def set_level(self, is_bid: bool, price: int, qty: int) -> None:
        self._check(price, qty, 0)
        if is_bid:
            self._bids.set(price, qty)
        else:
            self._asks.set(-price, qty)

    def apply_levels(
        self, sides: Sequence[int], prices: Sequence[int], qtys: Sequence[int], start: int = 0, end: int = -1
    ) -> bool:
        self._apply(sides, prices, qtys, start, end)
        return self._check_crossed()

    def apply_diff(
        self,
        first_id: int,
        final_id: int,
        prev_final_id: int,
        sides: Sequence[int],
        prices: Sequence[int],
        qtys: Sequence[int],
        start: int = 0,
        end: int = -1,
    ) -> int:
        if self.stale:
            return STALE
        if final_id < self.last_update_id:
            return SKIPPED_OLD
        if self._first_pending:
            if first_id > self.last_update_id:
                self.stale = True
                self.gaps += 1
                return GAP
            self._first_pending = False
        elif prev_final_id != self.last_update_id:
            self.stale = True
            self.gaps += 1
            return GAP
        self._apply(sides, prices, qtys, start, end)
        self.last_update_id = final_id
        if self._check_crossed():
            self.stale = True
            return CROSSED
        return APPLIED

    def _apply(self, sides: Sequence[int], prices: Sequence[int], qtys: Sequence[int], start: int, end: int) -> None:
        n = len(prices)
        if end < 0:
            end = n
        if len(sides) < end or len(qtys) < end or start < 0 or start > end or end > n:
            raise ValueError(f"levels: range {start}:{end} is outside the arrays")
        for i in range(start, end):
            self._check(int(prices[i]), int(qtys[i]), i)
        for i in range(start, end):
            if sides[i]:
                self._bids.set(int(prices[i]), int(qtys[i]))
            else:
                self._asks.set(-int(prices[i]), int(qtys[i]))

    def _check_crossed(self) -> bool:
        b, a = self._bids.key, self._asks.key
        self.crossed = bool(b and a and b[-1] >= -a[-1])
        return self.crossed

    @property
    def bid_count(self) -> int:
        return len(self._bids.key)

    @property
    def ask_count(self) -> int:
        return len(self._asks.key)

    def best_bid(self) -> Level | None:
        return (self._bids.key[-1], self._bids.qty[-1]) if self._bids.key else None

    def best_ask(self) -> Level | None:
        return (-self._asks.key[-1], self._asks.qty[-1]) if self._asks.key else None

    def best_bid_price(self) -> int:
        return self._bids.key[-1] if self._bids.key else 0

    def best_ask_price(self) -> int:
        return -self._asks.key[-1] if self._asks.key else 0

    def spread(self) -> int | None:
        if not self._bids.key or not self._asks.key:
            return None
        return -self._asks.key[-1] - self._bids.key[-1]

    def mid_x2(self) -> int | None:
        if not self._bids.key or not self._asks.key:
            return None
        return self._bids.key[-1] - self._asks.key[-1]

    def qty_at(self, is_bid: bool, price: int) -> int:
        ladder, key = (self._bids, price) if is_bid else (self._asks, -price)
        i = bisect_left(ladder.key, key)
        return ladder.qty[i] if i < len(ladder.key) and ladder.key[i] == key else 0

    def qtys_at(self, is_bid: Any, prices: Any, out: Any, n: int) -> None:
        if n > len(is_bid) or n > len(prices) or n > len(out):
            raise ValueError(f"qtys_at: n={n} is beyond the arrays")
        for i in range(n):
            out[i] = self.qty_at(bool(is_bid[i]), int(prices[i]))

    def depth(self, n: int = 10) -> tuple[list[Level], list[Level]]:
        b, a = self._bids, self._asks
        bids = [(b.key[-1 - i], b.qty[-1 - i]) for i in range(min(n, len(b.key)))]
        asks = [(-a.key[-1 - i], a.qty[-1 - i]) for i in range(min(n, len(a.key)))]
        return bids, asks

    def take_cost(self, is_buy: bool, qty: int) -> tuple[int, int]:
        if qty < 0:
            raise ValueError(f"qty={qty}: must not be negative")
        side = self._asks if is_buy else self._bids
        left, cost = qty, 0
        for i in range(len(side.key) - 1, -1, -1):
            if left <= 0:
                break
            take = min(side.qty[i], left)
            px = -side.key[i] if is_buy else side.key[i]
            cost += px * take
            left -= take
        return qty - left, cost

    def imbalance(self, n: int = 5) -> float:
        b = float(sum(self._bids.qty[-n:])) if n > 0 else 0.0
        a = float(sum(self._asks.qty[-n:])) if n > 0 else 0.0
        if a + b == 0:
            return 0.0
        return (b - a) / (b + a)

    def levels(self) -> tuple[list[Level], list[Level]]:
        return self.depth(max(len(self._bids.key), len(self._asks.key)))
