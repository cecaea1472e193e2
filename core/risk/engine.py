"""The risk engine: the pre-trade checks plus trading state, the kill switch and who may change what.

Every order from every origin passes :meth:`RiskEngine.check`. At run time limits can only be
tightened and trading only halted or reduced (by anyone with access); leaving HALTED or REDUCING
takes the operator's reset. Every change is kept in ``events`` for the journal.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from alephtx.core.model import Instrument, OrderRequest, OrderType, Side, TradingState
from alephtx.core.model.fixed import INT64_MAX, Rounding, from_fixed, to_fixed
from alephtx.core.model.origin import Origin
from alephtx.core.risk._checks import RiskCore
from alephtx.core.risk.checks import PyRiskCore
from alephtx.core.risk.codes import SENTENCES, Reason
from alephtx.core.risk.limits import MICRO, RiskLimits, micro
from alephtx.core.risk.state_store import HaltEntry, RiskStateStore

log = logging.getLogger("alephtx.risk")

AGENT = Origin.AGENT
OPERATOR = Origin.OPERATOR


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer to a pre-trade check: ``ok`` or a reason code with its sentence."""

    reason: Reason
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.reason is _OK  # read on every order, three times: Reason.OK costs ~50 ns to look up

    @property
    def text(self) -> str:
        base = f"{self.reason.name}: {SENTENCES[self.reason]}"
        return f"{base} ({self.detail})" if self.detail else base


@dataclass(frozen=True, slots=True)
class RiskEvent:
    ts_ns: int
    kind: str  # "tighten", "state", "kill_switch", "reset"
    detail: str
    by: str


# Built once: the hot path hands out these instead of constructing enums and verdicts per order.
_OK = Reason.OK
_VERDICTS = {int(r): Verdict(r) for r in Reason}
_ACCEPTED = _VERDICTS[0]
_QTY_INVALID = _VERDICTS[Reason.QTY_INVALID]
_PRICE_INVALID = _VERDICTS[Reason.PRICE_INVALID]
_SIGN = {Side.BUY: 1, Side.SELL: -1}
_PRICED = frozenset((OrderType.LIMIT, OrderType.STOP_LIMIT))


@dataclass
class _Day:
    day: int = -1
    start: int | None = None
    peak: int | None = None


class RiskEngine:
    """``store``, when given, makes the trading state (halts with their reasons, the kill switch)
    and the agent's spend per day durable: restored here, saved on every change."""

    def __init__(
        self, limits: RiskLimits, twin: bool = False, clock: Any = time.time_ns, store: RiskStateStore | None = None
    ) -> None:
        self.limits = limits
        self.core: Any = PyRiskCore() if twin else RiskCore()
        self.clock = clock
        g, a = limits.global_, limits.agent
        self._globals = {
            "max_order_notional": micro(g.max_order_notional, "global.max_order_notional"),
            "agent_max_order_notional": micro(a.max_order_notional, "agent.max_order_notional"),
            "agent_daily_budget": micro(a.daily_notional_budget, "agent.daily_notional_budget"),
            "max_gross_total": micro(g.max_gross_exposure, "global.max_gross_exposure"),
            "max_net_total": micro(g.max_net_exposure, "global.max_net_exposure"),
            "price_band_bps": g.price_band_bps,
            "max_open_total": g.max_open_orders,
        }
        self.core.set_globals(**self._globals)
        self.daily_loss_limit = micro(g.daily_loss_limit, "global.daily_loss_limit")
        self.max_drawdown = micro(g.max_drawdown, "global.max_drawdown")
        self.flatten_on_kill = g.flatten_on_kill
        self.venues: dict[str, int] = {}
        self._venue_limits: dict[str, list[int]] = {}
        self.instruments: dict[str, tuple[int, Instrument]] = {}
        self._iids: dict[str, int] = {}
        self._core_check = self.core.check
        self._max_pos: dict[str, int] = {}
        self.state = TradingState.ACTIVE
        self.halts: list[HaltEntry] = []  # every reason given since the last reset, oldest first
        self.halted_venues: dict[str, str] = {}
        self.events: list[RiskEvent] = []
        self._day = _Day()
        self.kill_switch_tripped = False
        self.store = store
        if store is not None:
            self._restore(store)

    def _restore(self, store: RiskStateStore) -> None:
        saved = store.load()
        self.state = TradingState[saved.state]
        self.core.state = int(self.state)
        self.halts = list(saved.halts)
        self.kill_switch_tripped = saved.kill_switch
        self.core.agent_day, self.core.agent_spent = saved.agent_day, saved.agent_spent
        if self.state is not TradingState.ACTIVE:
            log.warning("risk state restored from %s: %s (%s)", store.path, self.state.name, self.halt_reason)

    def _save(self, kind: str, detail: str, by: str) -> None:
        if self.store is not None:
            event = (self.clock(), kind, detail, by)
            self.store.save_state(self.state.name, self.kill_switch_tripped, self.halts, event)

    @property
    def halt_reason(self) -> str:
        """Every reason given for the halt (or reduce-only state), oldest first."""
        return "; ".join(h.reason for h in self.halts)

    # -- registry ----------------------------------------------------------------------------------

    def add_venue(self, venue: str) -> int:
        if venue in self.venues:
            return self.venues[venue]
        vid = len(self.venues)
        v = self.limits.for_venue(venue)
        vals = [
            micro(v.max_gross_exposure, f"venue.{venue}.max_gross_exposure"),
            micro(v.max_net_exposure, f"venue.{venue}.max_net_exposure"),
            v.max_open_orders,
            v.max_orders_per_second,
            v.max_cancels_per_second,
        ]
        self.core.add_venue(vid, *vals, v.margin_bps)
        self.venues[venue] = vid
        self._venue_limits[venue] = vals
        return vid

    def add_instrument(self, inst: Instrument) -> int:
        if inst.key in self.instruments:
            return self.instruments[inst.key][0]
        vid = self.add_venue(inst.venue)
        iid = len(self.instruments)
        text = self.limits.for_instrument(inst.key).max_position
        max_pos = _size_or_zero(inst, text, f"instrument.{inst.key}.max_position")
        self.core.add_instrument(
            iid,
            vid,
            inst.tick,
            inst.lot,
            inst.min_notional,
            inst.price_precision + inst.size_precision,
            max_pos,
            inst.tradable,
        )
        self.instruments[inst.key] = (iid, inst)
        self._iids[inst.key] = iid
        self._max_pos[inst.key] = max_pos
        return iid

    def iid(self, key: str) -> int:
        return self.instruments[key][0] if key in self.instruments else -1

    # -- market and account state ------------------------------------------------------------------

    def set_mid_x2(self, key: str, mid_x2: int) -> None:
        self.core.set_mid_x2(self.instruments[key][0], mid_x2)

    def set_balance(self, venue: str, available_micro: int) -> None:
        self.core.set_balance(self.add_venue(venue), available_micro)

    def set_position(self, key: str, qty: int) -> None:
        self.core.set_position(self.instruments[key][0], qty)

    def on_fill(self, key: str, side: Side, qty: int) -> None:
        self.core.on_fill(self.instruments[key][0], side.sign, qty)

    def on_order_done(self, key: str, side: Side, remaining: int) -> None:
        self.core.on_order_done(self.instruments[key][0], side.sign, remaining)

    def add_open_order(self, key: str, side: Side, remaining: int) -> None:
        self.core.add_open_order(self.instruments[key][0], side.sign, remaining)

    # -- checks ----------------------------------------------------------------------------------------

    def check(self, req: OrderRequest, now_ns: int | None = None, commit: bool = True) -> Verdict:
        """Check one order; when it passes, it is counted against the limits (open, rate, budget).
        ``commit=False`` previews the verdict and counts nothing (an order ticket)."""
        price = req.price if req.type in _PRICED else 0
        qty = req.quantity
        is_agent = req.origin == AGENT
        # A quantity or price outside int64 is QTY_INVALID or PRICE_INVALID, before any other
        # check (only reachable by building an OrderRequest by hand: parsing refuses these). The
        # core takes int64 arguments and raises OverflowError beyond them, so the upper bounds are
        # read only when it raised (or the lower ones failed); _range_verdict is the check.
        try:
            if qty > 0 and price >= 0:
                code = self._core_check(
                    self._iids.get(req.instrument, -1),
                    _SIGN[req.side],
                    qty,
                    price,
                    req.reduce_only,
                    is_agent,
                    self.clock() if now_ns is None else now_ns,
                    commit,
                )
            else:
                return _range_verdict(qty, price)  # QTY_INVALID or PRICE_INVALID
        except Exception:
            verdict = _range_verdict(qty, price)
            if verdict.ok:
                raise  # in range: not the range check's to answer, as before
            return verdict
        if code:
            if code == 1:  # TRADING_HALTED: say why
                return Verdict(Reason.TRADING_HALTED, self.halt_reason)
            return _VERDICTS[code]
        if is_agent and commit and self.store is not None:
            self.store.save_agent_spend(self.core.agent_day, self.core.agent_spent)
        return _ACCEPTED

    def check_cancel(self, venue: str, now_ns: int | None = None) -> Verdict:
        return Verdict(
            Reason(self.core.check_cancel(self.add_venue(venue), self.clock() if now_ns is None else now_ns))
        )

    # -- who may change what -----------------------------------------------------------------------

    def _event(self, kind: str, detail: str, by: str) -> None:
        ev = RiskEvent(self.clock(), kind, detail, by)
        self.events.append(ev)
        log.warning("risk %s by %s: %s", kind, by, detail)

    def halt(self, reason: str, by: str) -> None:
        """Stop all new orders (cancels still go through). Anyone with access may halt; a halt
        while halted adds its reason to the earlier ones."""
        self.state = TradingState.HALTED
        self.core.state = int(TradingState.HALTED)
        self.halts.append(HaltEntry(reason, by, self.clock()))
        self._event("state", f"HALTED: {reason}", by)
        self._save("state", f"HALTED: {reason}", by)

    def halt_venue(self, venue: str, reason: str, by: str = "recovery") -> None:
        """Stop new orders on one venue's instruments (cancels still go through)."""
        for iid, inst in self.instruments.values():
            if inst.venue == venue:
                self.core.set_tradable(iid, False)
        self.halted_venues[venue] = reason
        self._event("venue_halted", f"{venue}: {reason}", by)

    def reduce_only(self, reason: str, by: str) -> None:
        """Allow only orders that shrink a position. Anyone may; it never un-halts."""
        if self.state is TradingState.HALTED:
            raise PermissionError("trading is HALTED; only the operator's reset leaves it")
        self.state = TradingState.REDUCING
        self.core.state = int(TradingState.REDUCING)
        self.halts.append(HaltEntry(reason, by, self.clock()))
        self._event("state", f"REDUCING: {reason}", by)
        self._save("state", f"REDUCING: {reason}", by)

    @contextmanager
    def reducing(self) -> Iterator[None]:
        """Within this block only orders that shrink a position pass, whatever the state: the
        kill switch's flatten, which must close positions while trading is halted."""
        saved = self.core.state
        self.core.state = int(TradingState.REDUCING)
        try:
            yield
        finally:
            self.core.state = saved

    def operator_reset(self, by: str) -> None:
        """Back to ACTIVE, also after the kill switch. Only the operator; never the agent or a tool."""
        if by != OPERATOR:
            raise PermissionError(f"by={by!r}: only the operator can resume trading")
        self.state = TradingState.ACTIVE
        self.core.state = int(TradingState.ACTIVE)
        self.halts = []
        self.kill_switch_tripped = False
        for iid, inst in self.instruments.values():
            if inst.venue in self.halted_venues:
                self.core.set_tradable(iid, inst.tradable)
        self.halted_venues.clear()
        self._event("reset", "ACTIVE", by)
        self._save("reset", "ACTIVE", by)

    def tighten(self, key: str, value: str | int, by: str) -> None:
        """Lower one limit. ``key`` as in configs/risk.toml: ``global.max_order_notional``,
        ``agent.daily_notional_budget``, ``venue.<name>.max_open_orders``,
        ``instrument.<venue:symbol>.max_position``; a raise is refused."""
        parts = key.split(".")
        if parts[0] == "global" and len(parts) == 2:
            self._tighten_global(parts[1], value, key, by)
        elif parts[0] == "agent" and len(parts) == 2:
            name = {"max_order_notional": "agent_max_order_notional", "daily_notional_budget": "agent_daily_budget"}
            if parts[1] not in name:
                raise KeyError(f"{key}: not a limit; agent limits are {sorted(name)}")
            self._set_global(name[parts[1]], self._money(value, key), key, by)
        elif parts[0] == "venue" and len(parts) == 3:
            self._tighten_venue(parts[1], parts[2], value, key, by)
        elif parts[0] == "instrument" and len(parts) >= 3 and parts[-1] == "max_position":
            inst_key = ".".join(parts[1:-1])
            if inst_key not in self.instruments:
                raise KeyError(f"{key}: unknown instrument {inst_key!r}")
            iid, inst = self.instruments[inst_key]
            new = _size_or_zero(inst, str(value), key)
            self._lower(self._max_pos[inst_key], new, key, inst.format_size)
            self._max_pos[inst_key] = new
            self.core.set_max_position(iid, new)
            self._event("tighten", f"{key} = {value}", by)
        else:
            raise KeyError(f"{key}: not a limit (see docs/risk.md)")

    @staticmethod
    def _money(value: str | int, key: str) -> int:
        return micro(str(value), key)

    @staticmethod
    def _lower(current: int, new: int, key: str, fmt: Any) -> None:
        if new > current:
            raise PermissionError(
                f"{key}: limits can only be tightened at run time (now {fmt(current)}, asked {fmt(new)}); "
                "loosening is an edit of risk.toml (aleph init writes an editable copy) and a restart"
            )

    def _tighten_global(self, name: str, value: str | int, key: str, by: str) -> None:
        money = {
            "max_order_notional": "max_order_notional",
            "max_gross_exposure": "max_gross_total",
            "max_net_exposure": "max_net_total",
        }
        counts = {"price_band_bps": "price_band_bps", "max_open_orders": "max_open_total"}
        if name in money:
            self._set_global(money[name], self._money(value, key), key, by)
        elif name in counts:
            self._set_global(counts[name], int(value), key, by)
        elif name in ("daily_loss_limit", "max_drawdown"):
            new = self._money(value, key)
            attr = "daily_loss_limit" if name == "daily_loss_limit" else "max_drawdown"
            self._lower(getattr(self, attr), new, key, _fmt_money)
            setattr(self, attr, new)
            self._event("tighten", f"{key} = {value}", by)
        else:
            raise KeyError(f"{key}: not a limit (see docs/risk.md)")

    def _set_global(self, attr: str, new: int, key: str, by: str) -> None:
        fmt = _fmt_money if attr not in ("price_band_bps", "max_open_total") else str
        self._lower(self._globals[attr], new, key, fmt)
        self._globals[attr] = new
        self.core.set_globals(**self._globals)
        self._event("tighten", f"{key} = {fmt(new)}", by)

    def _tighten_venue(self, venue: str, name: str, value: str | int, key: str, by: str) -> None:
        order = [
            "max_gross_exposure",
            "max_net_exposure",
            "max_open_orders",
            "max_orders_per_second",
            "max_cancels_per_second",
        ]
        if venue not in self.venues:
            raise KeyError(f"{key}: unknown venue {venue!r}")
        if name not in order:
            raise KeyError(f"{key}: not a limit; venue limits are {order}")
        i = order.index(name)
        new = self._money(value, key) if i < 2 else int(value)
        vals = self._venue_limits[venue]
        self._lower(vals[i], new, key, _fmt_money if i < 2 else str)
        vals[i] = new
        self.core.set_venue_limits(self.venues[venue], *vals)
        self._event("tighten", f"{key} = {value}", by)

    # -- kill switch -----------------------------------------------------------------------------------

    def mark_equity(self, equity_micro: int, now_ns: int | None = None) -> bool:
        """Feed the account's equity; trips the kill switch on the daily loss or drawdown limit.

        Returns True when this call tripped it (the caller then cancels open orders and, when
        configured, flattens positions).
        """
        now = self.clock() if now_ns is None else now_ns
        day = now // 86_400_000_000_000
        d = self._day
        if day != d.day:
            d.day, d.start, d.peak = day, equity_micro, equity_micro
        assert d.start is not None and d.peak is not None
        d.peak = max(d.peak, equity_micro)
        if self.kill_switch_tripped:
            return False
        loss = d.start - equity_micro
        drawdown = d.peak - equity_micro
        why = ""
        if loss >= self.daily_loss_limit:
            why = f"daily loss {_fmt_money(loss)} reached the limit {_fmt_money(self.daily_loss_limit)}"
        elif drawdown >= self.max_drawdown:
            why = (
                f"drawdown {_fmt_money(drawdown)} from the day's peak reached the limit {_fmt_money(self.max_drawdown)}"
            )
        if not why:
            return False
        self.kill_switch_tripped = True  # before halt(), which saves it
        self.halt(f"kill switch: {why}", "risk")
        self._event("kill_switch", why, "risk")
        return True

    def status(self) -> dict[str, Any]:
        gross, net = self.core.exposure(-1)
        return {
            "state": self.state.name,
            "halt_reason": self.halt_reason,
            "halts": [{"reason": h.reason, "by": h.by, "ts_ns": h.ts_ns} for h in self.halts],
            "kill_switch_tripped": self.kill_switch_tripped,
            "halted_venues": dict(self.halted_venues),
            "gross_exposure": _fmt_money(gross),
            "net_exposure": _fmt_money(net),
            "open_orders": self.core.open_orders(-1),
            "agent_spent_today": _fmt_money(self.core.agent_spent),
            "limits": {
                k: (_fmt_money(v) if k not in ("price_band_bps", "max_open_total") else v)
                for k, v in self._globals.items()
            },
        }


def _range_verdict(qty: int, price: int) -> Verdict:
    """The check at the boundary of the core's int64 arguments: QTY_INVALID unless 0 < quantity
    <= INT64_MAX, else PRICE_INVALID unless 0 <= price <= INT64_MAX, else OK (in range)."""
    if not 0 < qty <= INT64_MAX:
        return _QTY_INVALID
    if not 0 <= price <= INT64_MAX:
        return _PRICE_INVALID
    return _ACCEPTED


def _fmt_money(v: int) -> str:
    return from_fixed(v, MICRO)


def _size_or_zero(inst: Instrument, text: str, field: str) -> int:
    """A position limit in base units; zero is allowed (reduce only)."""
    return 0 if to_fixed(text, inst.size_precision, field, Rounding.DOWN) == 0 else inst.size(text, field)
