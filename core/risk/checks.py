"""Pure-Python twin of the Cython risk checks (_checks.pyx): the same API and the same answers.

Kept deliberately plain (dicts and lists) as the oracle of the property tests; read the two side
by side: each check is in the same order with the same arithmetic. Python's integers never wrap,
so this is the exact answer; the one rule both share beyond exact arithmetic is that a micro
notional or exposure saturates at ``CAP`` (2^64, beyond every int64 limit), where the Cython core
would otherwise need more than 128 bits.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from alephtx.core.model.enums import TradingState
from alephtx.core.risk.codes import Reason

ACTIVE, REDUCING, HALTED = TradingState
RATE_SLOTS = 1024
DAY_NS = 86_400_000_000_000
SECOND_NS = 1_000_000_000
CAP = 1 << 64  # micro notionals and exposures saturate here, as in the Cython core


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def _to_micro(mul: int, div: int, raw_x2: int) -> int:
    num, den = raw_x2 * mul, div * 2
    m = min(_ceil_div(abs(num), den), CAP)
    return m if num >= 0 else -m


@dataclass
class _Inst:
    venue: int
    tick: int
    lot: int
    min_notional: int
    mul: int
    div: int
    max_position: int
    tradable: bool
    position: int = 0
    open_buy: int = 0
    open_sell: int = 0
    mid_x2: int = 0
    gross: int = 0
    net: int = 0


@dataclass
class _Venue:
    max_gross: int
    max_net: int
    max_open: int
    order_limit: int
    cancel_limit: int
    margin_bps: int
    open_orders: int = 0
    gross: int = 0
    net: int = 0
    balance: int = 0
    orders: deque[int] = field(default_factory=lambda: deque(maxlen=RATE_SLOTS))  # accepted order times
    cancels: deque[int] = field(default_factory=lambda: deque(maxlen=RATE_SLOTS))


class PyRiskCore:
    def __init__(self, max_instruments: int = 256, max_venues: int = 32) -> None:
        self.max_instruments = max_instruments
        self.max_venues = max_venues
        self.insts: dict[int, _Inst] = {}
        self.venues: dict[int, _Venue] = {}
        self.state = ACTIVE
        self.max_order_notional = self.agent_max_order_notional = self.agent_daily_budget = 0
        self.max_gross_total = self.max_net_total = self.price_band_bps = self.max_open_total = 0
        self.agent_spent = 0
        self.agent_day = -1
        self.gross_total = self.net_total = self.open_total = 0

    def set_globals(
        self,
        max_order_notional: int,
        agent_max_order_notional: int,
        agent_daily_budget: int,
        max_gross_total: int,
        max_net_total: int,
        price_band_bps: int,
        max_open_total: int,
    ) -> None:
        self.max_order_notional = max_order_notional
        self.agent_max_order_notional = agent_max_order_notional
        self.agent_daily_budget = agent_daily_budget
        self.max_gross_total = max_gross_total
        self.max_net_total = max_net_total
        self.price_band_bps = price_band_bps
        self.max_open_total = max_open_total

    def add_venue(
        self,
        vid: int,
        max_gross: int,
        max_net: int,
        max_open: int,
        max_orders_per_s: int,
        max_cancels_per_s: int,
        margin_bps: int,
    ) -> None:
        if not 0 <= vid < self.max_venues:
            raise ValueError(f"venue id {vid}: must be from 0 to {self.max_venues - 1}")
        if not 0 < max_orders_per_s <= RATE_SLOTS or not 0 < max_cancels_per_s <= RATE_SLOTS:
            raise ValueError(f"rates: must be from 1 to {RATE_SLOTS} per second")
        self.venues[vid] = _Venue(max_gross, max_net, max_open, max_orders_per_s, max_cancels_per_s, margin_bps)

    def add_instrument(
        self,
        iid: int,
        vid: int,
        tick: int,
        lot: int,
        min_notional: int,
        decimals: int,
        max_position: int,
        tradable: bool = True,
    ) -> None:
        if not 0 <= iid < self.max_instruments:
            raise ValueError(f"instrument id {iid}: must be from 0 to {self.max_instruments - 1}")
        if vid not in self.venues:
            raise ValueError(f"venue id {vid}: not added")
        if tick <= 0 or lot <= 0:
            raise ValueError("tick and lot: must be positive")
        if not 0 <= decimals <= 24:
            raise ValueError(f"decimals={decimals}: must be from 0 to 24")
        mul, div = (10 ** (6 - decimals), 1) if decimals <= 6 else (1, 10 ** (decimals - 6))
        self.insts[iid] = _Inst(vid, tick, lot, min_notional, mul, div, max_position, tradable)

    def _inst(self, iid: int) -> _Inst:
        if iid not in self.insts:
            raise ValueError(f"instrument id {iid}: not added")
        return self.insts[iid]

    def _venue(self, vid: int) -> _Venue:
        if vid not in self.venues:
            raise ValueError(f"venue id {vid}: not added")
        return self.venues[vid]

    def set_tradable(self, iid: int, tradable: bool) -> None:
        self._inst(iid).tradable = tradable

    def set_max_position(self, iid: int, max_position: int) -> None:
        self._inst(iid).max_position = max_position

    def set_venue_limits(
        self, vid: int, max_gross: int, max_net: int, max_open: int, max_orders_per_s: int, max_cancels_per_s: int
    ) -> None:
        if not 0 < max_orders_per_s <= RATE_SLOTS or not 0 < max_cancels_per_s <= RATE_SLOTS:
            raise ValueError(f"rates: must be from 1 to {RATE_SLOTS} per second")
        v = self._venue(vid)
        v.max_gross, v.max_net, v.max_open = max_gross, max_net, max_open
        v.order_limit, v.cancel_limit = max_orders_per_s, max_cancels_per_s

    def _reexpose(self, s: _Inst) -> None:
        v = self.venues[s.venue]
        gross = _to_micro(s.mul, s.div, abs(s.position) * s.mid_x2)
        net = _to_micro(s.mul, s.div, s.position * s.mid_x2)
        v.gross += gross - s.gross
        v.net += net - s.net
        self.gross_total += gross - s.gross
        self.net_total += net - s.net
        s.gross, s.net = gross, net

    def set_mid_x2(self, iid: int, mid_x2: int) -> None:
        s = self._inst(iid)
        s.mid_x2 = mid_x2
        self._reexpose(s)

    def set_position(self, iid: int, position: int) -> None:
        s = self._inst(iid)
        s.position = position
        self._reexpose(s)

    def set_balance(self, vid: int, available_micro: int) -> None:
        self._venue(vid).balance = available_micro

    def on_fill(self, iid: int, side: int, qty: int) -> None:
        s = self._inst(iid)
        s.position += side * qty
        if side > 0:
            s.open_buy = max(s.open_buy - qty, 0)
        else:
            s.open_sell = max(s.open_sell - qty, 0)
        self._reexpose(s)

    def on_order_done(self, iid: int, side: int, remaining: int) -> None:
        s = self._inst(iid)
        v = self.venues[s.venue]
        if side > 0:
            s.open_buy = max(s.open_buy - remaining, 0)
        else:
            s.open_sell = max(s.open_sell - remaining, 0)
        v.open_orders = max(v.open_orders - 1, 0)
        self.open_total = max(self.open_total - 1, 0)

    def add_open_order(self, iid: int, side: int, remaining: int) -> None:
        s = self._inst(iid)
        if side > 0:
            s.open_buy += remaining
        else:
            s.open_sell += remaining
        self.venues[s.venue].open_orders += 1
        self.open_total += 1

    def position(self, iid: int) -> int:
        return self._inst(iid).position

    def open_qty(self, iid: int) -> tuple[int, int]:
        s = self._inst(iid)
        return s.open_buy, s.open_sell

    def exposure(self, vid: int = -1) -> tuple[int, int]:
        if vid < 0:
            return self.gross_total, self.net_total
        v = self._venue(vid)
        return v.gross, v.net

    def open_orders(self, vid: int = -1) -> int:
        return self.open_total if vid < 0 else self._venue(vid).open_orders

    @staticmethod
    def _within_rate(times: deque[int], limit: int, now_ns: int) -> bool:
        """The limit-th most recent event must be more than a second old (history kept whole)."""
        if len(times) < limit:
            return True
        t = times[-limit]
        return t == 0 or now_ns - t >= SECOND_NS

    def check(
        self,
        iid: int,
        side: int,
        qty: int,
        price: int,
        reduce_only: bool,
        is_agent: bool,
        now_ns: int,
        commit: bool = True,
    ) -> int:
        if self.state == HALTED:
            return Reason.TRADING_HALTED
        if iid not in self.insts:
            return Reason.INSTRUMENT_UNKNOWN
        s = self.insts[iid]
        v = self.venues[s.venue]
        if not s.tradable:
            return Reason.INSTRUMENT_NOT_TRADABLE
        if qty <= 0 or qty % s.lot or side not in (1, -1):
            return Reason.QTY_INVALID
        if price < 0 or (price > 0 and price % s.tick):
            return Reason.PRICE_INVALID
        pos = s.position
        reduces = (pos > 0 and side < 0 and qty <= pos) or (pos < 0 and side > 0 and qty <= -pos)
        if self.state == REDUCING and not reduces:
            return Reason.REDUCING_ONLY
        if reduce_only and not reduces:
            return Reason.REDUCE_ONLY_WOULD_INCREASE
        if price == 0:
            if s.mid_x2 <= 0:
                return Reason.NO_MARKET_PRICE
            ref_x2 = s.mid_x2
        else:
            ref_x2 = 2 * price
            if self.price_band_bps > 0:
                if s.mid_x2 <= 0:
                    return Reason.NO_MARKET_PRICE
                if abs(ref_x2 - s.mid_x2) * 10000 > self.price_band_bps * s.mid_x2:
                    return Reason.PRICE_BAND
        if s.min_notional > 0 and qty * ref_x2 < 2 * s.min_notional:
            return Reason.BELOW_MIN_NOTIONAL
        notional = _to_micro(s.mul, s.div, qty * ref_x2)
        if notional > self.max_order_notional:
            return Reason.MAX_ORDER_NOTIONAL
        if is_agent:
            if notional > self.agent_max_order_notional:
                return Reason.AGENT_MAX_ORDER_NOTIONAL
            day = now_ns // DAY_NS
            if day != self.agent_day:
                self.agent_day, self.agent_spent = day, 0
            if self.agent_spent + notional > self.agent_daily_budget:
                return Reason.AGENT_DAILY_BUDGET
        if not reduces:
            worst = pos + s.open_buy + qty if side > 0 else pos - s.open_sell - qty
            if abs(worst) > s.max_position:
                return Reason.MAX_POSITION
            new_pos = pos + side * qty
            g = _to_micro(s.mul, s.div, abs(new_pos) * ref_x2)
            n = _to_micro(s.mul, s.div, new_pos * ref_x2)
            if v.gross - s.gross + g > v.max_gross:
                return Reason.MAX_GROSS_EXPOSURE_VENUE
            if abs(v.net - s.net + n) > v.max_net:
                return Reason.MAX_NET_EXPOSURE_VENUE
            if self.gross_total - s.gross + g > self.max_gross_total:
                return Reason.MAX_GROSS_EXPOSURE_TOTAL
            if abs(self.net_total - s.net + n) > self.max_net_total:
                return Reason.MAX_NET_EXPOSURE_TOTAL
            if _ceil_div(notional * v.margin_bps, 10000) > v.balance:
                return Reason.INSUFFICIENT_BALANCE
        if v.open_orders >= v.max_open or self.open_total >= self.max_open_total:
            return Reason.MAX_OPEN_ORDERS
        if not self._within_rate(v.orders, v.order_limit, now_ns):
            return Reason.ORDER_RATE
        if not commit:
            return Reason.OK
        v.orders.append(now_ns)
        v.open_orders += 1
        self.open_total += 1
        if side > 0:
            s.open_buy += qty
        else:
            s.open_sell += qty
        if is_agent:
            self.agent_spent += notional
        return Reason.OK

    def check_cancel(self, vid: int, now_ns: int) -> int:
        if vid not in self.venues:
            return Reason.INSTRUMENT_UNKNOWN
        v = self.venues[vid]
        if not self._within_rate(v.cancels, v.cancel_limit, now_ns):
            return Reason.CANCEL_RATE
        v.cancels.append(now_ns)
        return Reason.OK

    def notional_micro(self, iid: int, qty: int, price: int) -> int:
        s = self._inst(iid)
        return _to_micro(s.mul, s.div, qty * (2 * price if price else s.mid_x2))
