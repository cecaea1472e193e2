# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Pre-trade risk checks in Cython: every check one branch, top to bottom.

Notionals are compared in micro units of the quote currency (1e-6 USD for USD-quoted
instruments), converted per instrument from its price and size precisions and always rounded up,
so that a limit is never passed by rounding. Exposures per instrument, per venue and overall are
kept incrementally as fills and mids arrive, so a check never loops over instruments.

No arithmetic here can wrap. Inputs are int64; every product and sum is taken in 128 bits
(``i128``), where a product of two int64 values is exact. The one product of values that may
exceed int64 (a position after the order, up to 2^64, times twice a price) saturates at
``SAT`` = 2^126, and a micro notional or exposure saturates at ``CAP`` = 2^64: both beyond any
limit (limits are int64), and chosen so that saturating never changes a verdict (2^126 micro
rounds to more than 2^64 whatever the instrument's precision). The twin computes the same with
Python's unbounded integers and clamps at CAP; the property tests draw values over the whole
int64 range and demand identical answers.

Pure-Python twin (the test oracle): checks.py ``PyRiskCore``.
"""

from libc.stdint cimport int64_t
from cpython.mem cimport PyMem_Calloc, PyMem_Free

cdef extern from *:
    # GCC and Clang's 128-bit integer: products of two int64 values are exact in it.
    ctypedef long long i128 "__int128"

cdef enum:
    OK = 0
    TRADING_HALTED = 1
    INSTRUMENT_UNKNOWN = 2
    INSTRUMENT_NOT_TRADABLE = 3
    QTY_INVALID = 4
    PRICE_INVALID = 5
    BELOW_MIN_NOTIONAL = 6
    REDUCING_ONLY = 7
    REDUCE_ONLY_WOULD_INCREASE = 8
    MAX_ORDER_NOTIONAL = 9
    AGENT_MAX_ORDER_NOTIONAL = 10
    AGENT_DAILY_BUDGET = 11
    NO_MARKET_PRICE = 12
    PRICE_BAND = 13
    MAX_POSITION = 14
    MAX_GROSS_EXPOSURE_VENUE = 15
    MAX_NET_EXPOSURE_VENUE = 16
    MAX_GROSS_EXPOSURE_TOTAL = 17
    MAX_NET_EXPOSURE_TOTAL = 18
    MAX_OPEN_ORDERS = 19
    ORDER_RATE = 20
    CANCEL_RATE = 21
    INSUFFICIENT_BALANCE = 22

    ACTIVE = 0
    REDUCING = 1
    HALTED = 2

    RATE_SLOTS = 1024  # the most orders (or cancels) per second a venue can be allowed

cdef int64_t DAY_NS = 86400000000000
cdef i128 CAP = (<i128>1) << 64   # micro notionals and exposures saturate here
cdef i128 SAT = (<i128>1) << 126  # raw products saturate here (only |position after| x price)


cdef inline i128 iabs(i128 x) noexcept nogil:
    return -x if x < 0 else x


# A 128-bit division is a library call (tens of ns); every helper below divides in 64 bits when
# its operands fit, which on real prices and sizes is always.
cdef i128 I64_LIM = (<i128>1) << 62  # below this in magnitude, 64-bit arithmetic is safe here


cdef inline i128 floordiv(i128 a, i128 b) noexcept nogil:
    """Python's ``a // b`` for b > 0 (C division truncates towards zero)."""
    cdef i128 q
    cdef int64_t q64
    if -I64_LIM < a < I64_LIM and b < I64_LIM:
        q64 = <int64_t>a // <int64_t>b
        if <int64_t>a % <int64_t>b != 0 and a < 0:
            q64 -= 1
        return q64
    q = a // b
    if a % b != 0 and a < 0:
        q -= 1
    return q


cdef inline i128 ceildiv(i128 a, i128 b) noexcept nogil:
    return -floordiv(-a, b)


cdef inline i128 mul_sat(i128 a, i128 b) noexcept nogil:
    """a * b, saturated at +-SAT; the test divides, so it cannot overflow itself."""
    cdef i128 ma = iabs(a), mb = iabs(b)
    if ma < I64_LIM and mb < I64_LIM:  # the product is below 2^124 < SAT: no test needed
        return a * b
    if ma != 0 and mb > SAT // ma:
        return SAT if (a < 0) == (b < 0) else -SAT
    return a * b


cdef struct Inst:
    bint known
    bint tradable
    int venue
    int64_t tick
    int64_t lot
    int64_t min_notional   # raw units: price * size
    int64_t mul            # raw notional -> micro: * mul / div, rounded up
    int64_t div
    i128 mul_lim           # 2 CAP / mul: a raw notional above it saturates (set with mul)
    int64_t max_position   # size units
    i128 position          # signed size units (fills add up: 128 bits so no sum can wrap)
    i128 open_buy
    i128 open_sell
    int64_t mid_x2         # twice the mid in price units; 0 = no market price
    i128 gross             # |position| * mid, micro
    i128 net               # position * mid, micro


cdef struct Venue:
    bint known
    int64_t max_gross
    int64_t max_net
    int64_t max_open
    int64_t open_orders
    i128 gross
    i128 net
    int64_t balance        # available quote balance, micro
    int64_t margin_bps     # margin needed per unit of notional (10000 = fully funded)
    int order_limit
    int cancel_limit
    int order_head
    int cancel_head
    int64_t order_ts[RATE_SLOTS]
    int64_t cancel_ts[RATE_SLOTS]


cdef inline bint rate_ok(const int64_t* ts, int head, int limit, int64_t now_ns) noexcept nogil:
    """Whether one more event fits: the limit-th most recent must be more than a second old.

    The ring keeps the last RATE_SLOTS events whatever the limit, so a limit can change (be
    tightened) without losing the history that the new limit needs."""
    cdef int64_t t = ts[(head - limit + RATE_SLOTS) % RATE_SLOTS]
    return t == 0 or <i128>now_ns - t >= 1000000000


cdef inline i128 to_micro(const Inst* s, i128 raw_x2) noexcept nogil:
    """Twice-priced raw notional to micro quote units, rounded away from zero, saturated at
    +-CAP. ``raw_x2`` is at most 2^127 in magnitude; one of mul and div is 1."""
    cdef i128 a = iabs(raw_x2)
    cdef i128 m
    cdef int64_t den
    if s.mul > 1:  # den = 2: a * mul / 2 is past CAP exactly when a > 2 CAP / mul
        if a > s.mul_lim:
            m = CAP
        else:
            m = (a * s.mul + 1) >> 1  # a >= 0 here: a shift is the floor division by 2
    elif a < I64_LIM:  # den = 2 div < 2^61: all in 64 bits
        den = 2 * s.div
        m = <int64_t>a // den + (<int64_t>a % den != 0)
    else:
        m = a // (2 * <i128>s.div) + (a % (2 * <i128>s.div) != 0)
        if m > CAP:
            m = CAP
    return -m if raw_x2 < 0 else m


cdef class RiskCore:
    cdef Inst* insts
    cdef Venue* venues
    cdef readonly int max_instruments
    cdef readonly int max_venues
    cdef public int state
    cdef public int64_t max_order_notional
    cdef public int64_t agent_max_order_notional
    cdef public int64_t agent_daily_budget
    cdef public int64_t max_gross_total
    cdef public int64_t max_net_total
    cdef public int64_t price_band_bps
    cdef public int64_t max_open_total
    cdef public int64_t agent_spent
    cdef public int64_t agent_day
    cdef readonly i128 gross_total
    cdef readonly i128 net_total
    cdef readonly int64_t open_total

    def __cinit__(self, int max_instruments=256, int max_venues=32):
        self.insts = <Inst*>PyMem_Calloc(max_instruments, sizeof(Inst))
        self.venues = <Venue*>PyMem_Calloc(max_venues, sizeof(Venue))
        if self.insts == NULL or self.venues == NULL:
            raise MemoryError()
        self.max_instruments = max_instruments
        self.max_venues = max_venues
        self.agent_day = -1

    def __dealloc__(self):
        PyMem_Free(self.insts)
        PyMem_Free(self.venues)

    # -- set-up ------------------------------------------------------------------------------------

    def set_globals(self, int64_t max_order_notional, int64_t agent_max_order_notional,
                    int64_t agent_daily_budget, int64_t max_gross_total, int64_t max_net_total,
                    int64_t price_band_bps, int64_t max_open_total):
        self.max_order_notional = max_order_notional
        self.agent_max_order_notional = agent_max_order_notional
        self.agent_daily_budget = agent_daily_budget
        self.max_gross_total = max_gross_total
        self.max_net_total = max_net_total
        self.price_band_bps = price_band_bps
        self.max_open_total = max_open_total

    def add_venue(self, int vid, int64_t max_gross, int64_t max_net, int64_t max_open,
                  int max_orders_per_s, int max_cancels_per_s, int64_t margin_bps):
        if not 0 <= vid < self.max_venues:
            raise ValueError(f"venue id {vid}: must be from 0 to {self.max_venues - 1}")
        if not 0 < max_orders_per_s <= RATE_SLOTS or not 0 < max_cancels_per_s <= RATE_SLOTS:
            raise ValueError(f"rates: must be from 1 to {RATE_SLOTS} per second")
        cdef Venue* v = &self.venues[vid]
        v.known = True
        v.max_gross = max_gross
        v.max_net = max_net
        v.max_open = max_open
        v.order_limit = max_orders_per_s
        v.cancel_limit = max_cancels_per_s
        v.margin_bps = margin_bps

    def add_instrument(self, int iid, int vid, int64_t tick, int64_t lot, int64_t min_notional,
                       int decimals, int64_t max_position, bint tradable=True):
        """``decimals`` = price precision + size precision (the raw notional's scale)."""
        if not 0 <= iid < self.max_instruments:
            raise ValueError(f"instrument id {iid}: must be from 0 to {self.max_instruments - 1}")
        if not 0 <= vid < self.max_venues or not self.venues[vid].known:
            raise ValueError(f"venue id {vid}: not added")
        if tick <= 0 or lot <= 0:
            raise ValueError("tick and lot: must be positive")
        cdef Inst* s = &self.insts[iid]
        s.known = True
        s.tradable = tradable
        s.venue = vid
        s.tick = tick
        s.lot = lot
        s.min_notional = min_notional
        if not 0 <= decimals <= 24:
            raise ValueError(f"decimals={decimals}: must be from 0 to 24")
        s.mul = 1
        s.div = 1
        for _ in range(6 - decimals):
            s.mul *= 10
        for _ in range(decimals - 6):
            s.div *= 10
        s.mul_lim = (2 * CAP) // s.mul
        s.max_position = max_position

    def set_tradable(self, int iid, bint tradable):
        self._inst(iid).tradable = tradable

    def set_max_position(self, int iid, int64_t max_position):
        self._inst(iid).max_position = max_position

    def set_venue_limits(self, int vid, int64_t max_gross, int64_t max_net, int64_t max_open,
                         int max_orders_per_s, int max_cancels_per_s):
        if not 0 < max_orders_per_s <= RATE_SLOTS or not 0 < max_cancels_per_s <= RATE_SLOTS:
            raise ValueError(f"rates: must be from 1 to {RATE_SLOTS} per second")
        cdef Venue* v = self._venue(vid)
        v.max_gross = max_gross
        v.max_net = max_net
        v.max_open = max_open
        v.order_limit = max_orders_per_s
        v.cancel_limit = max_cancels_per_s

    cdef Inst* _inst(self, int iid) except NULL:
        if not 0 <= iid < self.max_instruments or not self.insts[iid].known:
            raise ValueError(f"instrument id {iid}: not added")
        return &self.insts[iid]

    cdef Venue* _venue(self, int vid) except NULL:
        if not 0 <= vid < self.max_venues or not self.venues[vid].known:
            raise ValueError(f"venue id {vid}: not added")
        return &self.venues[vid]

    # -- state fed by the engine ---------------------------------------------------------------------

    cdef void _reexpose(self, Inst* s) noexcept:
        cdef Venue* v = &self.venues[s.venue]
        cdef i128 gross = to_micro(s, mul_sat(iabs(s.position), s.mid_x2))
        cdef i128 net = to_micro(s, mul_sat(s.position, s.mid_x2))
        v.gross += gross - s.gross
        v.net += net - s.net
        self.gross_total += gross - s.gross
        self.net_total += net - s.net
        s.gross = gross
        s.net = net

    cpdef set_mid_x2(self, int iid, int64_t mid_x2):
        """Twice the mid (bid + ask) from the book; 0 when there is no usable book."""
        cdef Inst* s = self._inst(iid)
        s.mid_x2 = mid_x2
        self._reexpose(s)

    def set_position(self, int iid, int64_t position):
        cdef Inst* s = self._inst(iid)
        s.position = position
        self._reexpose(s)

    def set_balance(self, int vid, int64_t available_micro):
        self._venue(vid).balance = available_micro

    def on_fill(self, int iid, int side, int64_t qty):
        """A fill changes the position and shrinks the open quantity on its side."""
        cdef Inst* s = self._inst(iid)
        s.position += <i128>side * qty
        if side > 0:
            s.open_buy = s.open_buy - qty if s.open_buy > qty else 0
        else:
            s.open_sell = s.open_sell - qty if s.open_sell > qty else 0
        self._reexpose(s)

    def on_order_done(self, int iid, int side, int64_t remaining):
        """An order left the book (cancelled, rejected, expired, filled) with ``remaining`` unfilled."""
        cdef Inst* s = self._inst(iid)
        cdef Venue* v = &self.venues[s.venue]
        if side > 0:
            s.open_buy = s.open_buy - remaining if s.open_buy > remaining else 0
        else:
            s.open_sell = s.open_sell - remaining if s.open_sell > remaining else 0
        if v.open_orders > 0:
            v.open_orders -= 1
        if self.open_total > 0:
            self.open_total -= 1

    def add_open_order(self, int iid, int side, int64_t remaining):
        """Count an order that is already open (after a restart) without checking it."""
        cdef Inst* s = self._inst(iid)
        if side > 0:
            s.open_buy += remaining
        else:
            s.open_sell += remaining
        self.venues[s.venue].open_orders += 1
        self.open_total += 1

    def position(self, int iid):
        return self._inst(iid).position

    def open_qty(self, int iid):
        cdef Inst* s = self._inst(iid)
        return s.open_buy, s.open_sell

    def exposure(self, int vid=-1):
        """(gross, net) in micro quote units for a venue, or overall with -1."""
        if vid < 0:
            return self.gross_total, self.net_total
        cdef Venue* v = self._venue(vid)
        return v.gross, v.net

    def open_orders(self, int vid=-1):
        if vid < 0:
            return self.open_total
        return self._venue(vid).open_orders

    # -- the checks ------------------------------------------------------------------------------------

    cpdef int check(self, int iid, int side, int64_t qty, int64_t price, bint reduce_only,
                    bint is_agent, int64_t now_ns, bint commit=True):
        """Pre-trade check of one order; 0 when accepted (and then counted), else a reason code.

        ``side`` is +1 (buy) or -1 (sell); ``price`` 0 means a market order. ``commit`` False is
        a preview: the same verdict, nothing counted (an order ticket before its confirmation).
        """
        cdef Inst* s
        cdef Venue* v
        cdef i128 pos, ref_x2, notional, worst, new_pos, g, n
        cdef int64_t day
        cdef bint reduces
        if self.state == HALTED:
            return TRADING_HALTED
        if iid < 0 or iid >= self.max_instruments or not self.insts[iid].known:
            return INSTRUMENT_UNKNOWN
        s = &self.insts[iid]
        v = &self.venues[s.venue]
        if not s.tradable:
            return INSTRUMENT_NOT_TRADABLE
        if qty <= 0 or qty % s.lot != 0 or (side != 1 and side != -1):
            return QTY_INVALID
        if price < 0 or (price > 0 and price % s.tick != 0):
            return PRICE_INVALID
        pos = s.position
        reduces = (pos > 0 and side < 0 and qty <= pos) or (pos < 0 and side > 0 and qty <= -pos)
        if self.state == REDUCING and not reduces:
            return REDUCING_ONLY
        if reduce_only and not reduces:
            return REDUCE_ONLY_WOULD_INCREASE
        if price == 0:
            if s.mid_x2 <= 0:
                return NO_MARKET_PRICE
            ref_x2 = s.mid_x2
        else:
            ref_x2 = 2 * <i128>price
            if self.price_band_bps > 0:
                if s.mid_x2 <= 0:
                    return NO_MARKET_PRICE
                if iabs(ref_x2 - s.mid_x2) * 10000 > <i128>self.price_band_bps * s.mid_x2:
                    return PRICE_BAND
        if s.min_notional > 0 and qty * ref_x2 < 2 * <i128>s.min_notional:
            return BELOW_MIN_NOTIONAL
        notional = to_micro(s, qty * ref_x2)
        if notional > self.max_order_notional:
            return MAX_ORDER_NOTIONAL
        if is_agent:
            if notional > self.agent_max_order_notional:
                return AGENT_MAX_ORDER_NOTIONAL
            day = <int64_t>floordiv(now_ns, DAY_NS)
            if day != self.agent_day:
                self.agent_day = day
                self.agent_spent = 0
            if self.agent_spent + notional > self.agent_daily_budget:
                return AGENT_DAILY_BUDGET
        if not reduces:
            worst = pos + s.open_buy + qty if side > 0 else pos - s.open_sell - qty
            if iabs(worst) > s.max_position:
                return MAX_POSITION
            new_pos = pos + <i128>side * qty
            g = to_micro(s, mul_sat(iabs(new_pos), ref_x2))
            n = to_micro(s, mul_sat(new_pos, ref_x2))
            if v.gross - s.gross + g > v.max_gross:
                return MAX_GROSS_EXPOSURE_VENUE
            if iabs(v.net - s.net + n) > v.max_net:
                return MAX_NET_EXPOSURE_VENUE
            if self.gross_total - s.gross + g > self.max_gross_total:
                return MAX_GROSS_EXPOSURE_TOTAL
            if iabs(self.net_total - s.net + n) > self.max_net_total:
                return MAX_NET_EXPOSURE_TOTAL
            if ceildiv(notional * v.margin_bps, 10000) > v.balance:
                return INSUFFICIENT_BALANCE
        if v.open_orders >= v.max_open or self.open_total >= self.max_open_total:
            return MAX_OPEN_ORDERS
        if not rate_ok(v.order_ts, v.order_head, v.order_limit, now_ns):
            return ORDER_RATE
        if not commit:
            return OK
        # Accepted: count it.
        v.order_ts[v.order_head] = now_ns
        v.order_head = (v.order_head + 1) % RATE_SLOTS
        v.open_orders += 1
        self.open_total += 1
        if side > 0:
            s.open_buy += qty
        else:
            s.open_sell += qty
        if is_agent:
            self.agent_spent += notional
        return OK

    cpdef int check_cancel(self, int vid, int64_t now_ns):
        """Cancel-rate throttle per venue; cancels are allowed in every trading state."""
        if vid < 0 or vid >= self.max_venues or not self.venues[vid].known:
            return INSTRUMENT_UNKNOWN
        cdef Venue* v = &self.venues[vid]
        if not rate_ok(v.cancel_ts, v.cancel_head, v.cancel_limit, now_ns):
            return CANCEL_RATE
        v.cancel_ts[v.cancel_head] = now_ns
        v.cancel_head = (v.cancel_head + 1) % RATE_SLOTS
        return OK

    def notional_micro(self, int iid, int64_t qty, int64_t price):
        """The notional the checks would use for ``qty`` at ``price`` (0 = at the mid)."""
        cdef Inst* s = self._inst(iid)
        return to_micro(s, mul_sat(qty, 2 * <i128>price if price else s.mid_x2))
