"""Keeping a book in sync with a venue's snapshot-plus-diffs stream.

Binance's documented procedure: open the diff stream, buffer its messages, fetch a REST snapshot,
drop buffered diffs with ``u`` < ``lastUpdateId``, apply the rest in order (the first must cover
``lastUpdateId``), then require ``pu`` == previous ``u``. On a gap the book goes stale; diffs are
buffered again until the next snapshot, which the owner is asked for through ``needs_snapshot``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np

from alephtx.core.book.status import BUFFERED, STALE

Levels = Sequence[int] | np.ndarray  # a list, or a column of a parser or a tape


class BookSync:
    def __init__(self, book: Any, max_buffer: int = 10_000) -> None:
        self.book = book
        self._buffer: deque[tuple[int, int, int, np.ndarray, np.ndarray, np.ndarray]] = deque(maxlen=max_buffer)
        self.dropped_from_buffer = 0

    @property
    def needs_snapshot(self) -> bool:
        """True before the first snapshot and after a gap or a crossed book."""
        return bool(self.book.stale)

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def on_diff(
        self,
        first_id: int,
        final_id: int,
        prev_final_id: int,
        sides: Levels,
        prices: Levels,
        qtys: Levels,
        start: int = 0,
        end: int = -1,
    ) -> int:
        if not self.book.stale:
            st: int = self.book.apply_diff(first_id, final_id, prev_final_id, sides, prices, qtys, start, end)
            if st != STALE:
                return st
        end = len(prices) if end < 0 else end
        if len(self._buffer) == self._buffer.maxlen:
            self.dropped_from_buffer += 1
        self._buffer.append(
            (
                first_id,
                final_id,
                prev_final_id,
                np.array(sides[start:end], dtype=np.uint8),
                np.array(prices[start:end], dtype=np.int64),
                np.array(qtys[start:end], dtype=np.int64),
            )
        )
        return BUFFERED

    def on_snapshot(
        self,
        bid_px: Levels,
        bid_qty: Levels,
        ask_px: Levels,
        ask_qty: Levels,
        last_update_id: int,
    ) -> list[tuple[int, int]]:
        """Apply a snapshot, then the buffered diffs; returns (status, level count) for each."""
        self.book.apply_snapshot(bid_px, bid_qty, ask_px, ask_qty, last_update_id)
        pending, self._buffer = list(self._buffer), deque(maxlen=self._buffer.maxlen)
        return [(self.book.apply_diff(u0, u1, pu, s, p, q), len(p)) for u0, u1, pu, s, p, q in pending]
