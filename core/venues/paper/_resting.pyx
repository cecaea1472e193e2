# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The paper venue's resting orders in C arrays (the matcher's hot path).

A book update costs one call into the book for the shown size at every resting order's price
(``L2Book.qtys_at``) and a C loop; a trade, a C loop over the orders on its passive side. Only
fills come back to Python. Same contract and results as the pure-Python twin
``resting.PyResting`` (the property tests hold them equal, probabilistic queue included: the same
IEEE operations in the same order, and ``rint`` rounds half to even as Python's ``round`` does).
"""

from libc.math cimport log1p, pow, rint
from libc.stdint cimport INT64_MAX, int64_t, uint8_t

cdef extern from *:
    ctypedef long long int128 "__int128"  # sizes near 2**63 subtract without wrapping

import numpy as np

cdef enum:
    FIFO = 0
    POWER = 1
    LOG = 2


cdef inline int64_t prob_front(int kind, double n, int64_t front, int64_t prev, int64_t new,
                               int64_t traded) noexcept:
    cdef int128 chg = <int128>prev - new - traded
    cdef int128 back
    cdef double b, f, fb, ff, p, est, tail, r
    if chg <= 0:
        return front if front < new else new
    back = <int128>prev - front
    b = <double>(back if back > 0 else 0)
    f = <double>front
    if kind == POWER:
        fb = pow(b, n)
        ff = pow(f, n)
    else:
        fb = log1p(b)
        ff = log1p(f)
    p = fb / (fb + ff) if fb + ff > 0 else 1.0
    tail = <double>back - p * <double>chg
    est = <double>front - (1.0 - p) * <double>chg + (tail if tail < 0.0 else 0.0)
    r = rint(est)
    if r < 0:
        return 0
    if r >= 9223372036854775808.0:  # 2**63: past every int64 (as a double, new may round up to it)
        return new
    return new if <int64_t>r > new else <int64_t>r


cdef class CResting:
    cdef int kind
    cdef double n
    cdef bint whole
    cdef Py_ssize_t count
    cdef list orders
    cdef object np_bid, np_price, np_shown_now
    cdef uint8_t[::1] is_bid
    cdef int64_t[::1] price, ahead, shown, traded, remaining, shown_now, scratch

    def __init__(self, int kind=FIFO, double n=0.0, bint whole=False):
        self.kind = kind
        self.n = n
        self.whole = whole
        self.count = 0
        self.orders = []
        self._alloc(16)

    cdef _alloc(self, Py_ssize_t cap):
        """Grow every column to ``cap``, keeping what is there."""
        cdef Py_ssize_t k = self.count
        bid = np.zeros(cap, dtype=np.uint8)
        price = np.zeros(cap, dtype=np.int64)
        cols = [np.zeros(cap, dtype=np.int64) for _ in range(6)]
        if k:
            bid[:k] = self.np_bid[:k]
            price[:k] = self.np_price[:k]
            for col, old in zip(cols[:4], (self.ahead, self.shown, self.traded, self.remaining)):
                col[:k] = np.asarray(old)[:k]
        self.np_bid, self.np_price, self.np_shown_now = bid, price, cols[4]
        self.is_bid, self.price = bid, price
        self.ahead, self.shown, self.traded, self.remaining = cols[0], cols[1], cols[2], cols[3]
        self.shown_now, self.scratch = cols[4], cols[5]

    def __len__(self):
        return self.count

    def add(self, order, bint is_bid, int64_t ahead):
        cdef Py_ssize_t i = self.count
        if i == self.price.shape[0]:
            self._alloc(2 * i)
        self.is_bid[i] = is_bid
        self.price[i] = order.price
        self.ahead[i] = ahead
        self.shown[i] = ahead
        self.traded[i] = 0
        self.remaining[i] = order.quantity - order.filled
        self.orders.append(order)
        self.count = i + 1

    cdef void _delete(self, Py_ssize_t i):
        cdef Py_ssize_t j
        for j in range(i, self.count - 1):
            self.is_bid[j] = self.is_bid[j + 1]
            self.price[j] = self.price[j + 1]
            self.ahead[j] = self.ahead[j + 1]
            self.shown[j] = self.shown[j + 1]
            self.traded[j] = self.traded[j + 1]
            self.remaining[j] = self.remaining[j + 1]
        self.count -= 1

    def remove(self, order):
        cdef Py_ssize_t i
        for i in range(self.count):
            if self.orders[i] is order:
                del self.orders[i]
                self._delete(i)
                return True
        return False

    def drop_filled(self):
        cdef Py_ssize_t i = self.count - 1
        while i >= 0:
            if self.remaining[i] <= 0:
                del self.orders[i]
                self._delete(i)
            i -= 1

    def ahead_of(self, order):
        cdef Py_ssize_t i
        for i in range(self.count):
            if self.orders[i] is order:
                return self.ahead[i]
        return None

    def on_book(self, book, int64_t bid, int64_t ask):
        cdef Py_ssize_t i, k = self.count
        cdef int64_t q
        cdef list fills = None
        if k == 0:
            return None
        book.qtys_at(self.np_bid, self.np_price, self.np_shown_now, k)
        for i in range(k):
            if (self.is_bid[i] and ask and ask <= self.price[i]) or (not self.is_bid[i] and bid and bid >= self.price[i]):
                if fills is None:
                    fills = []
                fills.append((self.orders[i], self.remaining[i]))
                self.remaining[i] = 0
                continue
            q = self.shown_now[i]
            if self.kind == FIFO:
                if q < self.ahead[i]:
                    self.ahead[i] = q
            else:
                self.ahead[i] = prob_front(self.kind, self.n, self.ahead[i], self.shown[i], q, self.traded[i])
                self.shown[i] = q
                self.traded[i] = 0
        return fills

    def on_trade(self, int64_t price, int64_t qty, bint seller_aggressor):
        cdef Py_ssize_t i, j, m = 0, c
        cdef int64_t left = qty, ours = 0, eaten, take, used, key_c, key_j
        cdef bint buy_side = seller_aggressor
        cdef list fills = None
        # Candidates: the passive side at or behind the trade's price, in arrival order.
        for i in range(self.count):
            if self.is_bid[i] == buy_side and self.remaining[i] > 0 and (
                self.price[i] >= price if buy_side else self.price[i] <= price
            ):
                self.scratch[m] = i
                m += 1
        if m == 0:
            return None
        # Best price first, arrival order within a price (a stable insertion sort: few candidates).
        for i in range(1, m):
            c = self.scratch[i]
            key_c = -self.price[c] if buy_side else self.price[c]
            j = i - 1
            while j >= 0:
                key_j = -self.price[self.scratch[j]] if buy_side else self.price[self.scratch[j]]
                if key_j <= key_c:
                    break
                self.scratch[j + 1] = self.scratch[j]
                j -= 1
            self.scratch[j + 1] = c
        for j in range(m):
            i = self.scratch[j]
            if self.price[i] != price:  # printed through it
                if fills is None:
                    fills = []
                fills.append((self.orders[i], self.remaining[i]))
                self.remaining[i] = 0
            elif left > 0:
                eaten = left if left < self.ahead[i] else self.ahead[i]
                self.ahead[i] -= eaten
                left -= eaten
                if self.ahead[i] == 0 and left > 0:
                    take = self.remaining[i] if self.whole or left >= self.remaining[i] else left
                    used = left if left < take else take
                    left -= used
                    ours += used
                    self.remaining[i] -= take
                    if fills is None:
                        fills = []
                    fills.append((self.orders[i], take))
        for j in range(m):
            i = self.scratch[j]
            if self.price[i] == price:  # saturating: a sum of sizes stays an int64
                self.traded[i] = INT64_MAX if self.traded[i] > INT64_MAX - (qty - ours) else self.traded[i] + qty - ours
        return fills
