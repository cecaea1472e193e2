# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Binance depth messages straight from JSON bytes to fixed-point integer arrays.

A depth diff carries about 68 price levels as decimal strings; going through json.loads and a
decimal parser costs several microseconds per message. This scanner reads the bytes once and
writes each level into preallocated int64 arrays, with no Python object per level.
Pure-Python twin (the test oracle): parsing.py ``parse_depth_py``.
"""

import numpy as np

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.unicode cimport PyUnicode_AsUTF8AndSize
from libc.stdint cimport int64_t, uint8_t
from libc.string cimport memcmp

cdef enum:
    MAX_DIGITS = 18  # 10**18 < 2**63: more significant digits than this could overflow


cdef inline const char* skip_ws(const char* p, const char* end) noexcept nogil:
    while p < end and (p[0] == b' ' or p[0] == b'\n' or p[0] == b'\r' or p[0] == b'\t'):
        p += 1
    return p


class ParseError(ValueError):
    """A depth message that is not what Binance sends; the text names the field."""


cdef object fail(str field, const char* p, const char* end, str rule):
    cdef Py_ssize_t n = end - p
    if n > 24:
        n = 24
    near = p[:n].decode("utf-8", "replace") if n > 0 else "<end of message>"
    raise ParseError(f"depth message: {field}: {rule} (at {near!r})")


cdef int64_t parse_fixed_c(const char* s, Py_ssize_t n, int precision, bint* ok) noexcept nogil:
    """Parse an unsigned decimal such as 61659.70 into an integer scaled by 10**precision."""
    cdef int64_t v = 0
    cdef Py_ssize_t i = 0
    cdef int digits = 0, frac = 0
    cdef bint dot = False, int_digit = False, frac_digit = False
    cdef char c
    ok[0] = False
    while i < n:
        c = s[i]
        if c >= b'0' and c <= b'9':
            if dot:
                frac_digit = True
            else:
                int_digit = True
            if dot:
                if frac == precision:
                    if c != b'0':  # a non-zero digit past the instrument's precision
                        return 0
                    i += 1
                    continue
                frac += 1
            if v != 0 or c != b'0':
                digits += 1
                if digits > MAX_DIGITS:
                    return 0
            v = v * 10 + (c - 48)
        elif c == b'.' and not dot:
            dot = True
        else:
            return 0
        i += 1
    if not int_digit or (dot and not frac_digit):  # "5." and ".5" are refused, as at every boundary
        return 0
    while frac < precision:
        v *= 10
        frac += 1
        digits += 1
        if digits > MAX_DIGITS:
            return 0
    ok[0] = True
    return v


def parse_fixed(str text, int precision):
    """Fast fixed-point parse of an unsigned decimal string; ValueError when it is not one."""
    cdef Py_ssize_t n
    cdef const char* s = PyUnicode_AsUTF8AndSize(text, &n)
    cdef bint ok
    cdef int64_t v = parse_fixed_c(s, n, precision, &ok)
    if not ok:
        raise ValueError(f"{text!r}: not an unsigned decimal with at most {precision} places")
    return v


cdef class DepthParser:
    """Parses one Binance depth diff or REST depth snapshot per call into reusable arrays.

    After :meth:`parse` the message's levels are ``sides[:count]`` (1 bid, 0 ask),
    ``prices[:count]`` and ``qtys[:count]``; ids and times are attributes. The arrays are
    reused by the next call: copy them to keep them.
    """

    cdef public int price_precision
    cdef public int size_precision
    cdef public object sides
    cdef public object prices
    cdef public object qtys
    cdef uint8_t[::1] _side
    cdef int64_t[::1] _px
    cdef int64_t[::1] _qty
    cdef Py_ssize_t cap
    cdef public Py_ssize_t count
    cdef public Py_ssize_t bid_count
    cdef public int64_t first_id
    cdef public int64_t final_id
    cdef public int64_t prev_final_id
    cdef public int64_t event_ms
    cdef public int64_t transact_ms
    cdef public bint is_snapshot
    cdef bint spot
    cdef unsigned int seen

    def __init__(self, int price_precision, int size_precision, Py_ssize_t capacity=256):
        if not 0 <= price_precision <= 18 or not 0 <= size_precision <= 18:
            raise ValueError("precision: must be from 0 to 18")
        self.price_precision = price_precision
        self.size_precision = size_precision
        self._alloc(max(capacity, 16))

    cdef _alloc(self, Py_ssize_t cap):
        sides = np.zeros(cap, dtype=np.uint8)
        prices = np.zeros(cap, dtype=np.int64)
        qtys = np.zeros(cap, dtype=np.int64)
        if self.count:
            sides[:self.count] = self.sides[:self.count]
            prices[:self.count] = self.prices[:self.count]
            qtys[:self.count] = self.qtys[:self.count]
        self.sides, self.prices, self.qtys = sides, prices, qtys
        self._side, self._px, self._qty = sides, prices, qtys
        self.cap = cap

    def parse_line(self, bytes line):
        """Parse a capture line ``<recv ns> <json>``; returns the receive time in ns."""
        self.spot = False
        cdef const char* s = PyBytes_AS_STRING(line)
        cdef Py_ssize_t n = PyBytes_GET_SIZE(line), i = 0
        cdef int64_t recv = 0
        while i < n and s[i] >= b'0' and s[i] <= b'9':
            recv = recv * 10 + (s[i] - 48)
            i += 1
        if i == 0 or i >= n or s[i] != b' ':
            raise ParseError("capture line: receive time: expected '<ns> <json>'")
        self._parse(s + i + 1, s + n)
        return recv

    def parse(self, bytes msg):
        """Parse one JSON message (a combined-stream wrapper or the bare payload)."""
        self.spot = False
        self._parse(PyBytes_AS_STRING(msg), PyBytes_AS_STRING(msg) + PyBytes_GET_SIZE(msg))
        return self.count

    def parse_spot(self, bytes msg):
        """A spot diff: like a USD-M one but without ``pu`` (prev_final_id is then U - 1)."""
        self.spot = True
        self._parse(PyBytes_AS_STRING(msg), PyBytes_AS_STRING(msg) + PyBytes_GET_SIZE(msg))
        return self.count

    cdef int _parse(self, const char* p, const char* end) except -1:
        self.count = 0
        self.bid_count = 0
        self.seen = 0
        self.is_snapshot = False
        self.first_id = self.final_id = self.prev_final_id = 0
        self.event_ms = self.transact_ms = 0
        p = skip_ws(p, end)
        p = self._object(p, end, 0)
        if self.is_snapshot:
            if (self.seen & 0b11000) != 0b11000:
                fail("bids/asks", p, end, "a snapshot needs both 'bids' and 'asks'")
            self.first_id = self.final_id
            self.prev_final_id = self.final_id
        else:
            # U=1, u=2, pu=4, b=8, a=16
            if (self.seen & 1) == 0:
                fail("U", p, end, "field is missing")
            if (self.seen & 2) == 0:
                fail("u", p, end, "field is missing")
            if self.spot:
                self.prev_final_id = self.first_id - 1
            elif (self.seen & 4) == 0:
                fail("pu", p, end, "field is missing")
            if (self.seen & 0b11000) != 0b11000:
                fail("b/a", p, end, "a depth diff needs both 'b' and 'a'")
        return 0

    cdef const char* _object(self, const char* p, const char* end, int depth) except NULL:
        cdef const char* key
        cdef Py_ssize_t klen
        if p >= end or p[0] != b'{':
            fail("message", p, end, "expected a JSON object")
        p = skip_ws(p + 1, end)
        if p < end and p[0] == b'}':
            return p + 1
        while True:
            if p >= end or p[0] != b'"':
                fail("message", p, end, "expected a key")
            key = p + 1
            p = key
            while p < end and p[0] != b'"':
                p += 1
            klen = p - key
            p = skip_ws(p + 1, end)
            if p >= end or p[0] != b':':
                fail("message", p, end, "expected ':' after a key")
            p = skip_ws(p + 1, end)
            p = self._value(key, klen, p, end, depth)
            p = skip_ws(p, end)
            if p < end and p[0] == b',':
                p = skip_ws(p + 1, end)
                continue
            if p < end and p[0] == b'}':
                return p + 1
            fail("message", p, end, "expected ',' or '}'")

    cdef const char* _value(self, const char* key, Py_ssize_t klen, const char* p, const char* end,
                            int depth) except NULL:
        cdef int64_t v
        if klen == 1:
            if key[0] == b'b':
                self.seen |= 8
                return self._levels(p, end, 1, "b")
            if key[0] == b'a':
                self.seen |= 16
                return self._levels(p, end, 0, "a")
            if key[0] == b'U':
                self.seen |= 1
                return self._int(p, end, &self.first_id, "U")
            if key[0] == b'u':
                self.seen |= 2
                return self._int(p, end, &self.final_id, "u")
            if key[0] == b'E':
                return self._int(p, end, &self.event_ms, "E")
            if key[0] == b'T':
                return self._int(p, end, &self.transact_ms, "T")
        elif klen == 2 and key[0] == b'p' and key[1] == b'u':
            self.seen |= 4
            return self._int(p, end, &self.prev_final_id, "pu")
        elif klen == 4 and memcmp(key, b"data", 4) == 0 and depth == 0:
            return self._object(p, end, 1)
        elif klen == 4 and memcmp(key, b"bids", 4) == 0:
            self.seen |= 8
            return self._levels(p, end, 1, "bids")
        elif klen == 4 and memcmp(key, b"asks", 4) == 0:
            self.seen |= 16
            return self._levels(p, end, 0, "asks")
        elif klen == 12 and memcmp(key, b"lastUpdateId", 12) == 0:
            self.is_snapshot = True
            return self._int(p, end, &self.final_id, "lastUpdateId")
        return skip_value(p, end)

    cdef const char* _int(self, const char* p, const char* end, int64_t* out, str field) except NULL:
        cdef int64_t v = 0
        cdef int n = 0
        while p < end and p[0] >= b'0' and p[0] <= b'9':
            v = v * 10 + (p[0] - 48)
            p += 1
            n += 1
        if n == 0 or n > MAX_DIGITS:
            fail(field, p, end, "expected an unsigned integer")
        out[0] = v
        return p

    cdef const char* _levels(self, const char* p, const char* end, uint8_t side, str field) except NULL:
        cdef const char* s
        cdef bint ok
        cdef int64_t px, qty
        cdef Py_ssize_t i = 0
        if p >= end or p[0] != b'[':
            fail(field, p, end, "expected a list of [price, size] pairs")
        p = skip_ws(p + 1, end)
        if p < end and p[0] == b']':
            return p + 1
        while True:
            if p >= end or p[0] != b'[':
                fail(f"{field}[{i}]", p, end, "expected a [price, size] pair")
            p = skip_ws(p + 1, end)
            if p >= end or p[0] != b'"':
                fail(f"{field}[{i}].price", p, end, "expected a quoted decimal")
            s = p + 1
            p = s
            while p < end and p[0] != b'"':
                p += 1
            px = parse_fixed_c(s, p - s, self.price_precision, &ok)
            if not ok or px <= 0:
                fail(f"{field}[{i}].price", s, end,
                     f"must be a positive decimal with at most {self.price_precision} places")
            p = skip_ws(p + 1, end)
            if p >= end or p[0] != b',':
                fail(f"{field}[{i}]", p, end, "expected ',' between price and size")
            p = skip_ws(p + 1, end)
            if p >= end or p[0] != b'"':
                fail(f"{field}[{i}].size", p, end, "expected a quoted decimal")
            s = p + 1
            p = s
            while p < end and p[0] != b'"':
                p += 1
            qty = parse_fixed_c(s, p - s, self.size_precision, &ok)
            if not ok:
                fail(f"{field}[{i}].size", s, end,
                     f"must be a non-negative decimal with at most {self.size_precision} places")
            p = skip_ws(p + 1, end)
            if p >= end or p[0] != b']':
                fail(f"{field}[{i}]", p, end, "expected ']' after the size")
            if self.count == self.cap:
                self._alloc(self.cap * 2)
            self._side[self.count] = side
            self._px[self.count] = px
            self._qty[self.count] = qty
            self.count += 1
            if side:
                self.bid_count += 1
            i += 1
            p = skip_ws(p + 1, end)
            if p < end and p[0] == b',':
                p = skip_ws(p + 1, end)
                continue
            if p < end and p[0] == b']':
                return p + 1
            fail(field, p, end, "expected ',' or ']'")


cdef const char* skip_value(const char* p, const char* end) except NULL:
    """Skip any JSON value (fields this parser does not need)."""
    cdef int nest = 0
    cdef bint in_str = False
    if p >= end:
        fail("message", p, end, "expected a value")
    if p[0] == b'"':
        p += 1
        while p < end and p[0] != b'"':
            if p[0] == b'\\':
                p += 1
            p += 1
        if p >= end:
            fail("message", p, end, "unterminated string")
        return p + 1
    if p[0] == b'{' or p[0] == b'[':
        while p < end:
            if in_str:
                if p[0] == b'\\':
                    p += 1
                elif p[0] == b'"':
                    in_str = False
            elif p[0] == b'"':
                in_str = True
            elif p[0] == b'{' or p[0] == b'[':
                nest += 1
            elif p[0] == b'}' or p[0] == b']':
                nest -= 1
                if nest == 0:
                    return p + 1
            p += 1
        fail("message", p, end, "unterminated object or list")
    while p < end and p[0] != b',' and p[0] != b'}' and p[0] != b']':
        p += 1
    return p
