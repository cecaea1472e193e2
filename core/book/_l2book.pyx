# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""L2 order book in Cython: two sorted int64 arrays per side, no Python object per level.

Both sides are kept ascending with the best level at the end, so a change near the top of the
book (where most of them land) moves only a few elements. Asks are stored with negated prices to
make that true for both sides with one code path. Pure-Python twin: pybook.py (the test oracle).
"""

from libc.stdint cimport int64_t, uint8_t
from libc.string cimport memmove
from cpython.mem cimport PyMem_Malloc, PyMem_Realloc, PyMem_Free

cdef enum:
    APPLIED = 0
    SKIPPED_OLD = 1
    GAP = 2
    STALE = 3
    CROSSED = 4


cdef struct Ladder:
    int64_t* key   # price for bids, -price for asks; ascending; best at n-1
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
    """Set the level at ``key`` to ``qty``; qty == 0 removes it."""
    cdef Py_ssize_t n = s.n, i
    if n == 0 or key > s.key[n - 1]:
        i = n  # a new best level: the common append
    else:
        i = lower_bound(s.key, n, key)
    if i < n and s.key[i] == key:
        if qty == 0:
            memmove(s.key + i, s.key + i + 1, (n - i - 1) * sizeof(int64_t))
            memmove(s.qty + i, s.qty + i + 1, (n - i - 1) * sizeof(int64_t))
            s.n = n - 1
        else:
            s.qty[i] = qty
        return 0
    if qty == 0:
        return 0  # removing a level the book does not have: nothing to do
    if n == s.cap:
        ladder_grow(s)
    if i < n:
        memmove(s.key + i + 1, s.key + i, (n - i) * sizeof(int64_t))
        memmove(s.qty + i + 1, s.qty + i, (n - i) * sizeof(int64_t))
    s.key[i] = key
    s.qty[i] = qty
    s.n = n + 1
    return 0


cdef class L2Book:
    """Price-level book with integer prices and sizes.

    Sequence rules follow Binance USD-M depth diffs (U, u, pu): after a snapshot, diffs with
    u < lastUpdateId are skipped; the first one applied must cover lastUpdateId; every later one
    must have pu equal to the previous u. A break marks the book stale until the next snapshot.
    """

    cdef Ladder bids
    cdef Ladder asks
    cdef public int64_t last_update_id
    cdef public bint stale
    cdef public bint crossed
    cdef bint first_pending
    cdef public int64_t gaps

    def __cinit__(self, Py_ssize_t capacity=1024):
        if capacity < 1:
            capacity = 1
        ladder_init(&self.bids, capacity)
        ladder_init(&self.asks, capacity)
        self.last_update_id = 0
        self.stale = True  # no snapshot yet
        self.crossed = False
        self.first_pending = False
        self.gaps = 0

    def __dealloc__(self):
        PyMem_Free(self.bids.key)
        PyMem_Free(self.bids.qty)
        PyMem_Free(self.asks.key)
        PyMem_Free(self.asks.qty)

    # -- updates ---------------------------------------------------------------------------------

    def clear(self):
        self.bids.n = 0
        self.asks.n = 0
        self.crossed = False

    def apply_snapshot(self, const int64_t[:] bid_px, const int64_t[:] bid_qty,
                       const int64_t[:] ask_px, const int64_t[:] ask_qty, int64_t last_update_id):
        """Replace the book; levels may come in any order; zero sizes are ignored."""
        cdef Py_ssize_t i
        if bid_px.shape[0] != bid_qty.shape[0] or ask_px.shape[0] != ask_qty.shape[0]:
            raise ValueError("snapshot: price and size arrays differ in length")
        self.clear()
        for i in range(bid_px.shape[0]):
            ladder_set(&self.bids, bid_px[i], bid_qty[i])
        for i in range(ask_px.shape[0]):
            ladder_set(&self.asks, -ask_px[i], ask_qty[i])
        self.last_update_id = last_update_id
        self.stale = False
        self.first_pending = True
        self._check_crossed()

    cpdef set_level(self, bint is_bid, int64_t price, int64_t qty):
        """Set one level (qty 0 removes it). No sequence checks: for venues without them."""
        if qty < 0:
            raise ValueError(f"qty={qty}: must not be negative")
        if is_bid:
            ladder_set(&self.bids, price, qty)
        else:
            ladder_set(&self.asks, -price, qty)

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
        for i in range(start, end):
            if qtys[i] < 0:
                raise ValueError(f"levels[{i}].qty={qtys[i]}: must not be negative")
            if sides[i]:
                ladder_set(&self.bids, prices[i], qtys[i])
            else:
                ladder_set(&self.asks, -prices[i], qtys[i])
        return 0

    cdef bint _check_crossed(self):
        self.crossed = (self.bids.n > 0 and self.asks.n > 0
                        and self.bids.key[self.bids.n - 1] >= -self.asks.key[self.asks.n - 1])
        return self.crossed

    # -- queries ---------------------------------------------------------------------------------

    @property
    def bid_count(self):
        return self.bids.n

    @property
    def ask_count(self):
        return self.asks.n

    def best_bid(self):
        """(price, qty) of the best bid, or None."""
        if self.bids.n == 0:
            return None
        return (self.bids.key[self.bids.n - 1], self.bids.qty[self.bids.n - 1])

    def best_ask(self):
        """(price, qty) of the best ask, or None."""
        if self.asks.n == 0:
            return None
        return (-self.asks.key[self.asks.n - 1], self.asks.qty[self.asks.n - 1])

    cpdef int64_t best_bid_price(self):
        """Best bid price, or 0 when there is none (fast path for strategies)."""
        return self.bids.key[self.bids.n - 1] if self.bids.n else 0

    cpdef int64_t best_ask_price(self):
        """Best ask price, or 0 when there is none."""
        return -self.asks.key[self.asks.n - 1] if self.asks.n else 0

    def spread(self):
        """Best ask minus best bid, or None when a side is empty."""
        if self.bids.n == 0 or self.asks.n == 0:
            return None
        return -self.asks.key[self.asks.n - 1] - self.bids.key[self.bids.n - 1]

    def mid_x2(self):
        """Best bid plus best ask (twice the mid, exact), or None when a side is empty."""
        if self.bids.n == 0 or self.asks.n == 0:
            return None
        return self.bids.key[self.bids.n - 1] - self.asks.key[self.asks.n - 1]

    def depth(self, Py_ssize_t n=10):
        """Top ``n`` levels per side, best first: ([(px, qty)...], [(px, qty)...])."""
        cdef Py_ssize_t i
        cdef list bids = [], asks = []
        for i in range(min(n, self.bids.n)):
            bids.append((self.bids.key[self.bids.n - 1 - i], self.bids.qty[self.bids.n - 1 - i]))
        for i in range(min(n, self.asks.n)):
            asks.append((-self.asks.key[self.asks.n - 1 - i], self.asks.qty[self.asks.n - 1 - i]))
        return bids, asks

    def take_cost(self, bint is_buy, int64_t qty):
        """Walk the opposite side to take ``qty``: (filled, cost) with cost = sum(price * size).

        ``filled`` < ``qty`` when the book is too thin. VWAP = cost / filled.
        """
        cdef Ladder* s = &self.asks if is_buy else &self.bids
        cdef Py_ssize_t i = s.n - 1
        cdef int64_t left = qty, take, px
        cdef object cost = 0  # Python int: price * size can pass 2**63 for large orders
        if qty < 0:
            raise ValueError(f"qty={qty}: must not be negative")
        while left > 0 and i >= 0:
            take = s.qty[i] if s.qty[i] < left else left
            px = -s.key[i] if is_buy else s.key[i]
            cost += px * <object>take
            left -= take
            i -= 1
        return qty - left, cost

    def imbalance(self, Py_ssize_t n=5):
        """(bid volume - ask volume) / (sum) over the top ``n`` levels, in [-1, 1]; 0.0 if empty."""
        cdef Py_ssize_t i
        cdef double b = 0, a = 0
        for i in range(min(n, self.bids.n)):
            b += self.bids.qty[self.bids.n - 1 - i]
        for i in range(min(n, self.asks.n)):
            a += self.asks.qty[self.asks.n - 1 - i]
        if a + b == 0:
            return 0.0
        return (b - a) / (b + a)

    def levels(self):
        """Every level, best first: the full state, for tests and snapshots."""
        return self.depth(max(self.bids.n, self.asks.n))
