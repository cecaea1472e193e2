"""The Cython book against its pure-Python twin, and the book's own rules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alephtx.core.book import APPLIED, BUFFERED, CROSSED, GAP, SKIPPED_OLD, STALE, BookSync, L2Book, PyL2Book

BOOKS = [L2Book, PyL2Book]

prices = st.integers(min_value=1, max_value=400)
qtys = st.integers(min_value=0, max_value=50)
levels = st.lists(st.tuples(st.booleans(), prices, qtys), max_size=60)


def arrays(lv: list[tuple[bool, int, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.array([int(s) for s, _, _ in lv], dtype=np.uint8),
        np.array([p for _, p, _ in lv], dtype=np.int64),
        np.array([q for _, _, q in lv], dtype=np.int64),
    )


def state(book: L2Book | PyL2Book) -> tuple:
    return (
        book.levels(),
        book.best_bid(),
        book.best_ask(),
        book.spread(),
        book.mid_x2(),
        book.crossed,
        book.stale,
        book.last_update_id,
        book.gaps,
        book.bid_count,
        book.ask_count,
        book.imbalance(3),
        book.take_cost(True, 17),
        book.take_cost(False, 23),
        book.depth(4),
        [book.qty_at(True, p) for p in range(0, 4100, 10)],
        [book.qty_at(False, p) for p in range(0, 4100, 10)],
    )


@settings(max_examples=400, deadline=None)
@given(
    snap_bids=st.lists(st.tuples(st.integers(1, 200), st.integers(1, 50)), max_size=40),
    snap_asks=st.lists(st.tuples(st.integers(201, 400), st.integers(1, 50)), max_size=40),
    diffs=st.lists(st.tuples(st.integers(0, 3), levels), max_size=25),
    tick=st.sampled_from([1, 10]),
    window=st.sampled_from([64, 128, 32768]),
)
def test_cython_book_equals_twin_on_random_sequences(snap_bids, snap_asks, diffs, tick, window) -> None:  # type: ignore[no-untyped-def]
    # A 64-slot window over prices spread on 400 ticks sends many levels to the overflow and
    # makes the window recentre often; capacity 2 makes the overflow grow.
    books = [cls(tick=tick, window=window, capacity=2) for cls in BOOKS]
    for b in books:
        b.apply_snapshot(
            np.array([p * tick for p, _ in snap_bids], dtype=np.int64),
            np.array([q for _, q in snap_bids], dtype=np.int64),
            np.array([p * tick for p, _ in snap_asks], dtype=np.int64),
            np.array([q for _, q in snap_asks], dtype=np.int64),
            100,
        )
    assert state(books[0]) == state(books[1])
    u = 100
    for jump, lv in diffs:
        # jump 0 keeps the chain (pu == previous u); other values break it sometimes.
        first, final = u - 1, u + 1 + len(lv)
        prev = u if jump != 3 else u - 7
        s, p, q = arrays(lv)
        p = p * tick
        results = [b.apply_diff(first, final, prev, s, p, q) for b in books]
        assert results[0] == results[1]
        assert state(books[0]) == state(books[1])
        u = final


@settings(max_examples=200, deadline=None)
@given(lv=levels, start=st.integers(0, 10))
def test_apply_levels_and_set_level_agree(lv, start) -> None:  # type: ignore[no-untyped-def]
    a, b = L2Book(window=64, capacity=1), PyL2Book()
    s, p, q = arrays(lv)
    start = min(start, len(lv))
    assert a.apply_levels(s, p, q, start, len(lv)) == b.apply_levels(s, p, q, start, len(lv))
    for side, px, qty in lv[:start]:
        a.set_level(side, px, qty)
        b.set_level(side, px, qty)
    assert state(a) == state(b)


@pytest.mark.parametrize("cls", BOOKS)
def test_queries(cls) -> None:  # type: ignore[no-untyped-def]
    b = cls()
    assert b.best_bid() is None and b.spread() is None and b.mid_x2() is None and b.imbalance() == 0.0
    b.apply_snapshot([100, 99, 98], [1, 2, 3], [101, 103], [4, 5], 7)
    assert b.best_bid() == (100, 1) and b.best_ask() == (101, 4)
    assert b.best_bid_price() == 100 and b.best_ask_price() == 101
    assert b.spread() == 1 and b.mid_x2() == 201
    assert b.depth(2) == ([(100, 1), (99, 2)], [(101, 4), (103, 5)])
    # Taking 6 on the ask side: 4 @ 101 and 2 @ 103.
    assert b.take_cost(True, 6) == (6, 4 * 101 + 2 * 103)
    # More than the book holds: partial.
    assert b.take_cost(False, 100) == (6, 100 * 1 + 99 * 2 + 98 * 3)
    assert b.imbalance(2) == pytest.approx((3 - 9) / 12)
    b.set_level(True, 100, 0)
    assert b.best_bid() == (99, 2)
    with pytest.raises(ValueError, match="qty=-1"):
        b.set_level(True, 100, -1)


@pytest.mark.parametrize("cls", BOOKS)
def test_sequence_rules(cls) -> None:  # type: ignore[no-untyped-def]
    b = cls()
    s, p, q = np.array([1], np.uint8), np.array([99], np.int64), np.array([5], np.int64)
    assert b.apply_diff(1, 2, 0, s, p, q) == STALE  # no snapshot yet
    b.apply_snapshot([100], [1], [101], [1], 50)
    assert b.apply_diff(40, 49, 39, s, p, q) == SKIPPED_OLD  # u < lastUpdateId
    assert b.apply_diff(51, 60, 49, s, p, q) == GAP  # first diff must cover lastUpdateId
    assert b.stale and b.gaps == 1
    b.apply_snapshot([100], [1], [101], [1], 50)
    assert b.apply_diff(45, 55, 44, s, p, q) == APPLIED
    assert b.apply_diff(56, 58, 55, s, p, q) == APPLIED  # pu == previous u
    assert b.apply_diff(60, 61, 59, s, p, q) == GAP  # pu != previous u
    assert b.apply_diff(62, 63, 61, s, p, q) == STALE


@pytest.mark.parametrize("cls", BOOKS)
def test_crossed_book_is_reported_and_not_kept(cls) -> None:  # type: ignore[no-untyped-def]
    b = cls()
    b.apply_snapshot([100], [1], [101], [1], 10)
    st_ = b.apply_diff(10, 11, 9, np.array([1], np.uint8), np.array([102], np.int64), np.array([1], np.int64))
    assert st_ == CROSSED and b.crossed and b.stale


@pytest.mark.parametrize("cls", BOOKS)
def test_bad_ranges_and_sizes(cls) -> None:  # type: ignore[no-untyped-def]
    b = cls()
    s, p, q = np.array([1], np.uint8), np.array([99], np.int64), np.array([-5], np.int64)
    with pytest.raises(ValueError, match="must not be negative"):
        b.apply_levels(s, p, q)
    with pytest.raises(ValueError, match="outside the arrays"):
        b.apply_levels(s, p, q, 0, 5)
    with pytest.raises(ValueError, match="differ in length"):
        b.apply_snapshot([1, 2], [1], [], [], 1)


@pytest.mark.parametrize("cls", BOOKS)
def test_prices_off_the_tick_are_refused_and_leave_the_book_untouched(cls) -> None:  # type: ignore[no-untyped-def]
    b = cls(tick=10)
    b.apply_snapshot([100], [1], [110], [1], 1)
    before = b.levels()
    s = np.array([1, 1], np.uint8)
    with pytest.raises(ValueError, match=r"levels\[1\].price=95: must be a positive multiple of the tick 10"):
        b.apply_levels(s, np.array([90, 95], np.int64), np.array([1, 1], np.int64))
    assert b.levels() == before
    with pytest.raises(ValueError, match="tick"):
        b.apply_snapshot([100, 101], [1, 1], [], [], 2)
    assert b.levels() == before
    with pytest.raises(ValueError, match="tick=0"):
        cls(tick=0)


def test_far_levels_and_a_walking_market_keep_the_window_honest() -> None:
    """Prices that walk far past the window, and levels far from the top, on both books."""
    a, b = L2Book(window=64), PyL2Book()
    for book in (a, b):
        book.apply_snapshot([1000, 10], [1, 2], [1001, 5000], [3, 4], 1)
        for step in range(300):  # the market climbs 3000 ticks, leaving old levels behind
            px = 1000 + step * 10
            book.set_level(True, px, 1 + step % 3)
            book.set_level(False, px + 1, 2)
            if step % 7 == 0:
                book.set_level(False, px + 1, 0)
    assert a.levels() == b.levels()
    assert a.best_bid() == b.best_bid() == (3990, 3)
    assert a.bid_count == b.bid_count == 301  # 300 steps (the first on the snapshot bid) and the bid at 10


def test_sync_buffers_until_snapshot_then_resyncs_after_gap() -> None:
    sync = BookSync(L2Book())
    one = (np.array([1], np.uint8), np.array([99], np.int64), np.array([5], np.int64))
    assert sync.needs_snapshot
    assert sync.on_diff(1, 5, 0, *one) == BUFFERED  # older than the snapshot: dropped on drain
    assert sync.on_diff(6, 12, 5, *one) == BUFFERED  # covers lastUpdateId=10
    assert sync.on_snapshot([100], [1], [101], [1], 10) == [(SKIPPED_OLD, 1), (APPLIED, 1)]
    assert not sync.needs_snapshot and sync.book.last_update_id == 12
    assert sync.on_diff(14, 15, 13, *one) == GAP
    assert sync.needs_snapshot
    assert sync.on_diff(16, 17, 15, *one) == BUFFERED
    assert sync.on_snapshot([100], [1], [101], [1], 16) == [(APPLIED, 1)]
    assert sync.book.best_bid() == (100, 1)
