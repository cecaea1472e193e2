# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""L2 order book in Cython: no Python object per level, O(1) level updates.

Each side keeps a window of price slots indexed by tick (a size per slot plus a bitmap of the
occupied ones), so setting a level is one store and the next best is one count-leading-zeros
away. Levels outside the window (far from the top) live in a small sorted overflow ladder. The
window recentres on the best price when the market walks towards its edge.

A real Binance book spreads its updates over thousands of levels (median 224 levels from the
top on the BTCUSDT capture), which is why sorted arrays, which move every level above the
change, lose to this layout. Both sides use "keys": price for bids, -price for asks, so the best
level is the highest key on either side and one code path serves both.

Pure-Python twin: pybook.py (sorted lists; the oracle of the property tests).
"""

from libc.stdint cimport int64_t, uint8_t, uint64_t
from libc.string cimport memmove, memset
from cpython.mem cimport PyMem_Malloc, PyMem_Realloc, PyMem_Free

import numpy as np

cdef extern from *:
    int clzll "__builtin_clzll" (unsigned long long) nogil


cdef enum:
    APPLIED = 0
    SKIPPED_OLD = 1
    GAP = 2
    STALE = 3
    CROSSED = 4


cdef object _i64(object values):
    return np.ascontiguousarray(values, dtype=np.int64)


# -- overflow ladder: sorted keys, for levels outside the window ----------------------------------

cdef struct Ladder:
    int64_t* key   # ascending; best at n-1
    int64_t* qty
    Py_ssize_t n
    Py_ssize_t cap


cdef int ladder_init(Ladder* s, Py_ssize_t cap) except -1:
    s.key = <int64_t*>PyMem_Malloc(cap * sizeof(int64_t))
    s.qty = <int64_t*>PyMem_Malloc(cap * sizeof(int64_t))
    if s.key == NULL or s.qty == NULL:
        raise MemoryError()
    s.n = 0
    s.cap = cap
    return 0


cdef int ladder_grow(Ladder* s) except -1:
    cdef Py_ssize_t cap = s.cap * 2
    cdef int64_t* k = <int64_t*>PyMem_Realloc(s.key, cap * sizeof(int64_t))
    if k == NULL:
        raise MemoryError()
    s.key = k
    cdef int64_t* q = <int64_t*>PyMem_Realloc(s.qty, cap * sizeof(int64_t))
    if q == NULL:
        raise MemoryError()
    s.qty = q
    s.cap = cap
    return 0


cdef inline Py_ssize_t lower_bound(const int64_t* a, Py_ssize_t n, int64_t key) noexcept nogil:
    cdef Py_ssize_t lo = 0, hi = n, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo


cdef int ladder_set(Ladder* s, int64_t key, int64_t qty) except -1:
    cdef Py_ssize_t n = s.n, i
    i = n if (n == 0 or key > s.key[n - 1]) else lower_bound(s.key, n, key)
    if i < n and s.key[i] == key:
        if qty == 0:
            memmove(s.key + i, s.key + i + 1, (n - i - 1) * sizeof(int64_t))
            memmove(s.qty + i, s.qty + i + 1, (n - i - 1) * sizeof(int64_t))
            s.n = n - 1
        else:
            s.qty[i] = qty
        return 0
    if qty == 0:
        return 0
    if n == s.cap:
        ladder_grow(s)
    if i < n:
        memmove(s.key + i + 1, s.key + i, (n - i) * sizeof(int64_t))
        memmove(s.qty + i + 1, s.qty + i, (n - i) * sizeof(int64_t))
    s.key[i] = key
    s.qty[i] = qty
    s.n = n + 1
    return 0


# -- one side: a window of tick slots plus the overflow -------------------------------------------

cdef struct Side:
    int64_t* qty      # size per slot, 0 = empty
    uint64_t* bits    # bit i set <=> qty[i] != 0
    Py_ssize_t slots
    Py_ssize_t words
    int64_t base      # key (in ticks) of slot 0
    bint based
    Py_ssize_t top    # slot of the best level in the window, -1 when the window is empty
    Py_ssize_t count  # levels in the window
    Ladder over       # levels outside the window


cdef struct Cursor:
    Py_ssize_t slot
    Py_ssize_t over


cdef inline Py_ssize_t prev_set(const uint64_t* bits, Py_ssize_t i) noexcept nogil:
    """The highest occupied slot <= i, or -1."""
    if i < 0:
        return -1
    cdef Py_ssize_t w = i >> 6
    cdef uint64_t m = bits[w] & ((<uint64_t>0xFFFFFFFFFFFFFFFF) >> (63 - (i & 63)))
    while True:
        if m:
            return (w << 6) + 63 - clzll(m)
        w -= 1
        if w < 0:
            return -1
        m = bits[w]


cdef int side_init(Side* s, Py_ssize_t slots, Py_ssize_t capacity) except -1:
    s.slots = slots
    s.words = slots >> 6
    s.qty = <int64_t*>PyMem_Malloc(slots * sizeof(int64_t))
    s.bits = <uint64_t*>PyMem_Malloc(s.words * sizeof(uint64_t))
    if s.qty == NULL or s.bits == NULL:
        raise MemoryError()
    memset(s.qty, 0, slots * sizeof(int64_t))
    memset(s.bits, 0, s.words * sizeof(uint64_t))
    s.based = False
    s.base = 0
    s.top = -1
    s.count = 0
    ladder_init(&s.over, capacity)
    return 0


cdef void side_free(Side* s) noexcept:
    PyMem_Free(s.qty)
    PyMem_Free(s.bits)
    PyMem_Free(s.over.key)
    PyMem_Free(s.over.qty)


cdef void side_clear(Side* s) noexcept:
    cdef Py_ssize_t i = s.top
    while i >= 0:  # visit only the occupied slots
        s.qty[i] = 0
        i = prev_set(s.bits, i - 1)
    memset(s.bits, 0, s.words * sizeof(uint64_t))
    s.top = -1
    s.count = 0
    s.over.n = 0
    s.based = False


cdef inline void slot_set(Side* s, Py_ssize_t i, int64_t qty) noexcept:
    cdef int64_t old = s.qty[i]
    if qty == 0:
        if old:
            s.qty[i] = 0
            s.bits[i >> 6] &= ~((<uint64_t>1) << (i & 63))
            s.count -= 1
            if i == s.top:
                s.top = prev_set(s.bits, i - 1)
    else:
        if old == 0:
            s.bits[i >> 6] |= (<uint64_t>1) << (i & 63)
            s.count += 1
            if i > s.top:
                s.top = i
        s.qty[i] = qty


cdef inline bint cursor_next(Side* s, Cursor* c, int64_t* key, int64_t* qty) noexcept:
    """Next level best-first, merging the window and the overflow (which may sit on both sides)."""
    cdef int64_t wk
    if c.slot >= 0:
        wk = s.base + c.slot
        if c.over >= 0 and s.over.key[c.over] > wk:
            key[0] = s.over.key[c.over]
            qty[0] = s.over.qty[c.over]
            c.over -= 1
            return True
        key[0] = wk
        qty[0] = s.qty[c.slot]
        c.slot = prev_set(s.bits, c.slot - 1)
        return True
    if c.over >= 0:
        key[0] = s.over.key[c.over]
        qty[0] = s.over.qty[c.over]
        c.over -= 1
        return True
    return False


cdef inline void cursor_start(Side* s, Cursor* c) noexcept:
    c.slot = s.top
    c.over = s.over.n - 1


cdef int side_recentre(Side* s) except -1:
    """Put the best level at three quarters of the window; move the rest in or out to fit."""
    cdef Py_ssize_t n = s.count + s.over.n, i = 0, j
    cdef int64_t* keys = <int64_t*>PyMem_Malloc((n + 1) * sizeof(int64_t))
    cdef int64_t* qtys = <int64_t*>PyMem_Malloc((n + 1) * sizeof(int64_t))
    cdef Cursor c
    cdef int64_t k, q
    if keys == NULL or qtys == NULL:
        PyMem_Free(keys)
        PyMem_Free(qtys)
        raise MemoryError()
    cursor_start(s, &c)
    while cursor_next(s, &c, &k, &q):
        keys[i] = k
        qtys[i] = q
        i += 1
    side_clear(s)
    if n:
        s.base = keys[0] - (s.slots - (s.slots >> 2))
        s.based = True
    # Best first means descending keys: the overflow below the window is appended in reverse.
    for j in range(n - 1, -1, -1):
        k = keys[j] - s.base
        if 0 <= k < s.slots:
            slot_set(s, k, qtys[j])
        else:
            ladder_set(&s.over, keys[j], qtys[j])
    PyMem_Free(keys)
    PyMem_Free(qtys)
    return 0


cdef int side_set(Side* s, int64_t key, int64_t qty) except -1:
    cdef int64_t i
    if not s.based:
        if qty == 0:
            return 0
        s.base = key - (s.slots - (s.slots >> 2))
        s.based = True
    i = key - s.base
    if 0 <= i < s.slots:
        slot_set(s, i, qty)
    else:
        ladder_set(&s.over, key, qty)
    # Recentre when the best is outside the window or near one of its edges (rare: it then
    # takes a move of an eighth of the window to happen again).
    if s.over.n and (s.top < 0 or s.over.key[s.over.n - 1] > s.base + s.top):
        side_recentre(s)
    elif s.top >= 0 and (s.top > s.slots - (s.slots >> 3) or s.top < (s.slots >> 3)):
        side_recentre(s)
    return 0


cdef inline bint side_best(Side* s, int64_t* key, int64_t* qty) noexcept:
    cdef Cursor c
    cursor_start(s, &c)
    return cursor_next(s, &c, key, qty)


cdef class L2Book:
    """Price-level book with integer prices and sizes on a tick grid.

    ``tick`` is the price step in the same integer units as the prices (10 for a 0.10 tick at
    two decimals); a price off the grid is refused. ``window`` is the number of tick slots kept
    directly addressable per side. Sequence rules follow Binance USD-M depth diffs (U, u, pu):
    after a snapshot, diffs with u < lastUpdateId are skipped; the first one applied must cover
    lastUpdateId; every later one must have pu equal to the previous u. A break marks the book
    stale until the next snapshot.
    """

    cdef Side bids
    cdef Side asks
    cdef readonly int64_t tick
    cdef public int64_t last_update_id
    cdef public bint stale
    cdef public bint crossed
    cdef bint first_pending
    cdef public int64_t gaps

    def __cinit__(self, int64_t tick=1, Py_ssize_t window=32768, Py_ssize_t capacity=64):
        if tick < 1:
            raise ValueError(f"tick={tick}: must be a positive integer")
        if window < 64:
            raise ValueError(f"window={window}: must be at least 64 slots")
        window = (window + 63) & ~63
        self.tick = tick
        side_init(&self.bids, window, max(capacity, 1))
        side_init(&self.asks, window, max(capacity, 1))
        self.last_update_id = 0
        self.stale = True  # no snapshot yet
        self.crossed = False
        self.first_pending = False
        self.gaps = 0

    def __dealloc__(self):
        side_free(&self.bids)
        side_free(&self.asks)

    # -- updates ---------------------------------------------------------------------------------

    def clear(self):
        side_clear(&self.bids)
        side_clear(&self.asks)
        self.crossed = False

    def apply_snapshot(self, bid_px, bid_qty, ask_px, ask_qty, int64_t last_update_id):
        """Replace the book; levels (arrays or lists) may come in any order; zero sizes are ignored."""
        self._snapshot(_i64(bid_px), _i64(bid_qty), _i64(ask_px), _i64(ask_qty), last_update_id)

    cdef _snapshot(self, const int64_t[:] bid_px, const int64_t[:] bid_qty,
                   const int64_t[:] ask_px, const int64_t[:] ask_qty, int64_t last_update_id):
        cdef Py_ssize_t i
        if bid_px.shape[0] != bid_qty.shape[0] or ask_px.shape[0] != ask_qty.shape[0]:
            raise ValueError("snapshot: price and size arrays differ in length")
        for i in range(bid_px.shape[0]):
            self._check(bid_px[i], bid_qty[i], i)
        for i in range(ask_px.shape[0]):
            self._check(ask_px[i], ask_qty[i], i)
        self.clear()
        for i in range(bid_px.shape[0]):
            self._set(True, bid_px[i], bid_qty[i], i)
        for i in range(ask_px.shape[0]):
            self._set(False, ask_px[i], ask_qty[i], i)
        self.last_update_id = last_update_id
        self.stale = False
        self.first_pending = True
        self._check_crossed()

    cdef inline int _check(self, int64_t price, int64_t qty, Py_ssize_t i) except -1:
        if qty < 0:
            raise ValueError(f"levels[{i}].qty={qty}: must not be negative")
        if price <= 0 or price % self.tick:
            raise ValueError(f"levels[{i}].price={price}: must be a positive multiple of the tick {self.tick}")
        return 0

    cdef inline int _set(self, bint is_bid, int64_t price, int64_t qty, Py_ssize_t i) except -1:
        if is_bid:
            side_set(&self.bids, price // self.tick, qty)
        else:
            side_set(&self.asks, -(price // self.tick), qty)
        return 0

    cpdef set_level(self, bint is_bid, int64_t price, int64_t qty):
        """Set one level (qty 0 removes it). No sequence checks: for venues without them."""
        self._check(price, qty, 0)
        self._set(is_bid, price, qty, 0)

    def apply_levels(self, const uint8_t[:] sides, const int64_t[:] prices, const int64_t[:] qtys,
                     Py_ssize_t start=0, Py_ssize_t end=-1):
        """Apply levels ``start:end`` of parallel arrays (side 1 = bid, 0 = ask); no sequence checks."""
        self._apply(sides, prices, qtys, start, end)
        return self._check_crossed()

    def apply_diff(self, int64_t first_id, int64_t final_id, int64_t prev_final_id,
                   const uint8_t[:] sides, const int64_t[:] prices, const int64_t[:] qtys,
                   Py_ssize_t start=0, Py_ssize_t end=-1):
        """Apply one depth diff with Binance USD-M sequence rules; returns a status code."""
        if self.stale:
            return STALE
        if final_id < self.last_update_id:
            return SKIPPED_OLD
        if self.first_pending:
            if first_id > self.last_update_id:
                self.stale = True
                self.gaps += 1
                return GAP
            self.first_pending = False
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

    cdef int _apply(self, const uint8_t[:] sides, const int64_t[:] prices, const int64_t[:] qtys,
                    Py_ssize_t start, Py_ssize_t end) except -1:
        cdef Py_ssize_t i, n = prices.shape[0]
        if end < 0:
            end = n
        if sides.shape[0] < end or qtys.shape[0] < end or start < 0 or start > end or end > n:
            raise ValueError(f"levels: range {start}:{end} is outside the arrays")
        # Check the whole message first so that a bad level leaves the book untouched.
        for i in range(start, end):
            self._check(prices[i], qtys[i], i)
        for i in range(start, end):
            self._set(sides[i], prices[i], qtys[i], i)
        return 0

    cdef bint _check_crossed(self):
        cdef int64_t bk, bq, ak, aq
        self.crossed = (side_best(&self.bids, &bk, &bq) and side_best(&self.asks, &ak, &aq)
                        and bk >= -ak)
        return self.crossed

    # -- queries ---------------------------------------------------------------------------------

    @property
    def bid_count(self):
        return self.bids.count + self.bids.over.n

    @property
    def ask_count(self):
        return self.asks.count + self.asks.over.n

    def best_bid(self):
        """(price, qty) of the best bid, or None."""
        cdef int64_t k, q
        if not side_best(&self.bids, &k, &q):
            return None
        return (k * self.tick, q)

    def best_ask(self):
        """(price, qty) of the best ask, or None."""
        cdef int64_t k, q
        if not side_best(&self.asks, &k, &q):
            return None
        return (-k * self.tick, q)

    cpdef int64_t best_bid_price(self):
        """Best bid price, or 0 when there is none (fast path for strategies)."""
        cdef int64_t k, q
        return k * self.tick if side_best(&self.bids, &k, &q) else 0

    cpdef int64_t best_ask_price(self):
        """Best ask price, or 0 when there is none."""
        cdef int64_t k, q
        return -k * self.tick if side_best(&self.asks, &k, &q) else 0

    def spread(self):
        """Best ask minus best bid, or None when a side is empty."""
        cdef int64_t bk, bq, ak, aq
        if not (side_best(&self.bids, &bk, &bq) and side_best(&self.asks, &ak, &aq)):
            return None
        return (-ak - bk) * self.tick

    def mid_x2(self):
        """Best bid plus best ask (twice the mid, exact), or None when a side is empty."""
        cdef int64_t bk, bq, ak, aq
        if not (side_best(&self.bids, &bk, &bq) and side_best(&self.asks, &ak, &aq)):
            return None
        return (bk - ak) * self.tick

    cpdef int64_t qty_at(self, bint is_bid, int64_t price):
        """Size shown at ``price`` on one side (0 when there is no level there)."""
        cdef Side* s = &self.bids if is_bid else &self.asks
        cdef int64_t key, i, lo
        if price <= 0 or price % self.tick:
            return 0
        key = price // self.tick if is_bid else -(price // self.tick)
        if not s.based:
            return 0
        i = key - s.base
        if 0 <= i < s.slots:
            return s.qty[i]
        lo = lower_bound(s.over.key, s.over.n, key)
        if lo < s.over.n and s.over.key[lo] == key:
            return s.over.qty[lo]
        return 0

    def qtys_at(self, const uint8_t[::1] is_bid, const int64_t[::1] prices, int64_t[::1] out, Py_ssize_t n):
        """``out[i] = qty_at(is_bid[i], prices[i])`` for the first ``n``: one call for every
        resting order of the paper venue's matcher on each book update."""
        cdef Py_ssize_t i
        if n > is_bid.shape[0] or n > prices.shape[0] or n > out.shape[0]:
            raise ValueError(f"qtys_at: n={n} is beyond the arrays")
        for i in range(n):
            out[i] = self.qty_at(is_bid[i], prices[i])

    def depth(self, Py_ssize_t n=10):
        """Top ``n`` levels per side, best first: ([(px, qty)...], [(px, qty)...])."""
        return self._side_levels(&self.bids, n, self.tick), self._side_levels(&self.asks, n, -self.tick)

    cdef list _side_levels(self, Side* s, Py_ssize_t n, int64_t mult):
        cdef Cursor c
        cdef int64_t k, q
        cdef list out = []
        cursor_start(s, &c)
        while n > 0 and cursor_next(s, &c, &k, &q):
            out.append((k * mult, q))
            n -= 1
        return out

    def take_cost(self, bint is_buy, int64_t qty):
        """Walk the opposite side to take ``qty``: (filled, cost) with cost = sum(price * size).

        ``filled`` < ``qty`` when the book is too thin. VWAP = cost / filled.
        """
        cdef Side* s = &self.asks if is_buy else &self.bids
        cdef int64_t mult = -self.tick if is_buy else self.tick
        cdef Cursor c
        cdef int64_t left = qty, take, k, q
        cdef object cost = 0  # Python int: price * size can pass 2**63 for large orders
        if qty < 0:
            raise ValueError(f"qty={qty}: must not be negative")
        cursor_start(s, &c)
        while left > 0 and cursor_next(s, &c, &k, &q):
            take = q if q < left else left
            cost += (k * mult) * <object>take
            left -= take
        return qty - left, cost

    def imbalance(self, Py_ssize_t n=5):
        """(bid volume - ask volume) / (sum) over the top ``n`` levels, in [-1, 1]; 0.0 if empty."""
        cdef double b = self._volume(&self.bids, n), a = self._volume(&self.asks, n)
        if a + b == 0:
            return 0.0
        return (b - a) / (b + a)

    cdef double _volume(self, Side* s, Py_ssize_t n):
        cdef Cursor c
        cdef int64_t k, q
        cdef double v = 0
        cursor_start(s, &c)
        while n > 0 and cursor_next(s, &c, &k, &q):
            v += q
            n -= 1
        return v

    def levels(self):
        """Every level, best first: the full state, for tests and snapshots."""
        return self.depth(max(self.bid_count, self.ask_count))
