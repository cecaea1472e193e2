"""A scripted paper-trading session over a recorded capture: what `make demo` shows.

Every order goes through the same risk engine, OMS and journal as in production; the script
stands in for the strategies until they land. Some steps are meant to be refused, to show the
limits at work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from alephtx.core.engine.engine import Engine
from alephtx.core.journal import SqliteJournal
from alephtx.core.model import Fill, Instrument, OrderRequest, OrderType, Side, TimeInForce
from alephtx.core.model.accounting import CASH_PRECISION
from alephtx.core.oms.ids import ClientIdFactory
from alephtx.core.replay.market import replay_into_venue
from alephtx.core.risk import RiskEngine, load_limits
from alephtx.core.venues.paper import FeeModel, PaperVenue

INSTRUMENT = Instrument.from_strings("paper", "BTCUSDT", "perp", "0.10", "0.001", "5")
START_CASH = 100_000


@dataclass
class StepResult:
    at_s: float
    who: str
    what: str
    outcome: str
    ok: bool
    client_id: str = ""
    reason: str = ""  # the stable code when refused (risk reason or the venue's code)


@dataclass
class SessionReport:
    steps: list[StepResult] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    realised: int = 0  # cash units
    unrealised: int = 0
    fees: int = 0
    equity: int = 0
    position: str = "0"
    equity_curve: list[tuple[float, int]] = field(default_factory=list)
    journal: str = ""


Action = Callable[[Engine, int, int], OrderRequest | str]


def _limit(side: str, qty: str, px: Callable[[int, int], int], origin: str, **kw: object) -> Action:
    def build(e: Engine, bid: int, ask: int) -> OrderRequest:
        price = px(bid, ask)
        return OrderRequest(
            INSTRUMENT.key,
            Side(side),
            OrderType.LIMIT,
            INSTRUMENT.size(qty),
            price,
            origin=origin,
            **kw,  # type: ignore[arg-type]
        )

    return build


def _market(side: str, qty: str, origin: str, **kw: object) -> Action:
    def build(e: Engine, bid: int, ask: int) -> OrderRequest:
        return OrderRequest(INSTRUMENT.key, Side(side), OrderType.MARKET, INSTRUMENT.size(qty), origin=origin, **kw)  # type: ignore[arg-type]

    return build


def _tighten(key: str, value: str, by: str) -> Action:
    def act(e: Engine, bid: int, ask: int) -> str:
        e.risk.tighten(key, value, by=by)
        return f"tightened {key} to {value}"

    return act


class _CancelAll:
    """Not an order: cancels everything open (handled by the session loop, which can await)."""

    def __call__(self, e: Engine, bid: int, ask: int) -> str:
        return f"cancelled {len(e.ledger.open_orders())} open order(s)"


_cancel_all = _CancelAll()


T = INSTRUMENT.tick
SCRIPT: list[tuple[float, str, str, Action]] = [
    (
        2,
        "operator",
        "buy 0.050 limit at the best bid (joins the queue)",
        _limit("buy", "0.050", lambda b, a: b, "operator"),
    ),
    (5, "strategy:demo", "buy 0.020 at market", _market("buy", "0.020", "strategy:demo")),
    (8, "agent", "buy 0.100 limit at the best ask", _limit("buy", "0.100", lambda b, a: a, "agent")),
    (
        10,
        "operator",
        "buy 0.010 limit 10% above the market",
        _limit("buy", "0.010", lambda b, a: a * 11 // 10 // T * T, "operator"),
    ),
    (
        12,
        "operator",
        "buy 0.010 post-only at the best ask",
        _limit("buy", "0.010", lambda b, a: a, "operator", tif=TimeInForce.POST_ONLY),
    ),
    (15, "operator", "sell 0.010 limit at the best ask", _limit("sell", "0.010", lambda b, a: a, "operator")),
    (
        18,
        "operator",
        "buy 5.000 fill-or-kill at the best ask",
        _limit("buy", "5.000", lambda b, a: a, "operator", tif=TimeInForce.FOK),
    ),
    (22, "agent", "tighten the per-order limit to 2000 USD", _tighten("global.max_order_notional", "2000", "agent")),
    (24, "operator", "buy 0.050 limit at the best bid (3,000 USD)", _limit("buy", "0.050", lambda b, a: b, "operator")),
    (
        27,
        "strategy:demo",
        "reduce-only sell 1.000 (more than the position)",
        _market("sell", "1.000", "strategy:demo", reduce_only=True),
    ),
    (
        30,
        "operator",
        "sell 0.010 immediate-or-cancel at the best bid",
        _limit("sell", "0.010", lambda b, a: b, "operator", tif=TimeInForce.IOC),
    ),
    (45, "operator", "cancel every open order", _cancel_all),
]


async def run_paper_session(
    capture: Path, limits: Path, journal_path: Path, on_progress: Callable[[int, int], None] | None = None
) -> SessionReport:
    venue = PaperVenue([INSTRUMENT], cash=START_CASH * 10**CASH_PRECISION, fees=FeeModel(2, 5), latency_ns=2_000_000)
    engine = Engine(
        [INSTRUMENT],
        {"paper": venue},
        RiskEngine(load_limits(limits)),
        SqliteJournal(journal_path, fresh=True),  # the old files go once its lock is held
        START_CASH * 10**CASH_PRECISION,
        ids=ClientIdFactory("demo"),
    )
    engine.clock = lambda: venue.now_ns  # market time, so the session is the same every run
    engine.risk.clock = engine.clock
    engine.oms.clock = engine.clock
    await engine.start()
    report = SessionReport(journal=str(journal_path))
    book = venue.books[INSTRUMENT.key]
    t0: int | None = None
    steps = list(SCRIPT)
    next_mark = 0.0
    n = 0
    async for ev in replay_into_venue(capture, INSTRUMENT, venue):
        n += 1
        mid = book.mid_x2()
        if not mid:
            continue
        engine.on_mid(INSTRUMENT.key, mid)
        t0 = ev.exch_ns if t0 is None else t0
        at = (ev.exch_ns - t0) / 1e9
        while steps and at >= steps[0][0]:
            _, who, what, act = steps.pop(0)
            result = act(engine, book.best_bid_price(), book.best_ask_price())
            if isinstance(act, _CancelAll):
                await engine.cancel_all()
            if isinstance(result, str):
                report.steps.append(StepResult(at, who, what, result, True))
                continue
            res = await engine.submit(result)
            if not res.verdict.ok:
                report.steps.append(StepResult(at, who, what, res.verdict.text, False, "", res.verdict.reason.name))
            elif res.error:
                report.steps.append(StepResult(at, who, what, f"venue refused: {res.error}", False))
            else:
                report.steps.append(StepResult(at, who, what, "", True, res.client_id))
        if at >= next_mark:
            await engine.mark()
            report.equity_curve.append((at, engine.equity()))
            next_mark = at + 1.0
        if on_progress is not None and n % 2000 == 0:
            on_progress(int(at), 80)
    await engine.mark()
    led = engine.ledger
    for step in report.steps:  # each order's final outcome, once the market has had its say
        if step.client_id:
            o = led.orders[step.client_id]
            why = led.reasons.get(step.client_id, "")
            step.outcome = f"{o.status.value}, filled {INSTRUMENT.format_size(o.filled)}" + (f": {why}" if why else "")
            step.ok = o.status.value != "rejected"
            if not step.ok:
                step.reason = why.split(":")[0]
    report.fills = sorted(led.fills.values(), key=lambda f: f.ts_ns)
    p = led.positions.get(INSTRUMENT.key)
    report.position = INSTRUMENT.format_size(p.quantity if p else 0)
    report.fees = led.fees_cash()
    report.realised = led.cash() - led.initial_cash + report.fees
    report.unrealised = led.unrealised_cash(engine.mids_x2)
    report.equity = engine.equity()
    engine.journal.close()
    return report
