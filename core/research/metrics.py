"""A backtest's figures, from its equity samples and its fills (docs/research.md gives each
formula). Money is in the quote currency as floats here: these are statistics of a finished run,
reported, never traded on.

- Equity ``E_t`` = capital + realised + unrealised - fees, sampled on the session's timer (market
  time); per-sample returns ``r_t = E_t / E_(t-1) - 1``.
- Sharpe = mean(r) / std(r) x sqrt(N), Sortino = mean(r) / sqrt(mean(min(r, 0)^2)) x sqrt(N),
  with N the samples in a year of 365 days (crypto trades every day); None without variation.
- Max drawdown: the largest fall of E from its running peak, in money and as a fraction of the
  peak; its duration: the longest time from a peak until E is back above it (or the end).
- Calmar = annualised return / max drawdown fraction, only for runs of a day or more (annualising
  minutes of market gives numbers that mean nothing): None otherwise.
- Round trips (FIFO over each instrument's fills: one ends when the position is flat again or
  flips): win rate, profit factor (gross profit / gross loss), average holding time.
- Exposure: the share of market time with a position; turnover: traded notional / capital.
- Expectancy: the mean round-trip PnL; best and worst round trip; buy and hold: the instrument's
  own move (first to last mid) over the run, the benchmark beside the strategy's return.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

YEAR_S = 365 * 86_400


@dataclass(frozen=True)
class Trade:
    """One fill, in the units a report reads (prices and sizes as floats of the instrument)."""

    ts_s: float  # market seconds since the run's first event
    instrument: str
    side: int  # +1 buy, -1 sell
    price: float
    quantity: float
    fee: float


@dataclass(frozen=True)
class RoundTrip:
    instrument: str
    opened_s: float
    closed_s: float
    pnl: float  # price difference times size, fees of its fills included


@dataclass
class Metrics:
    net_pnl: float
    fees: float
    return_pct: float
    sharpe: float | None
    sortino: float | None
    calmar: float | None
    max_drawdown: float
    max_drawdown_pct: float
    max_drawdown_duration_s: float
    fills: int
    round_trips: int
    win_rate: float | None
    profit_factor: float | None
    expectancy: float | None  # mean round-trip PnL
    best_trade: float | None
    worst_trade: float | None
    avg_holding_s: float | None
    exposure_pct: float
    turnover: float
    end_positions: dict[str, float]
    buy_and_hold_pct: float | None  # the instrument's own move over the run: the benchmark
    market_seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 10) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def compute(
    equity: Sequence[tuple[float, float]],
    trades: Sequence[Trade],
    capital: float,
    prices: Sequence[tuple[float, float]] = (),
) -> Metrics:
    """``equity``: (market seconds, PnL) samples; ``trades``: the fills in time order; ``prices``:
    (market seconds, mid) samples of the instrument (the buy-and-hold benchmark)."""
    values = [capital + pnl for _, pnl in equity] or [capital]
    times = [t for t, _ in equity] or [0.0]
    span = max(times[-1] - times[0], 0.0)
    step = span / (len(times) - 1) if len(times) > 1 else 0.0
    rets = [values[i] / values[i - 1] - 1 for i in range(1, len(values)) if values[i - 1] > 0]
    per_year = YEAR_S / step if step > 0 else 0.0
    sharpe = sortino = None
    if len(rets) > 1 and per_year:
        mean = sum(rets) / len(rets)
        sd = math.sqrt(sum((r - mean) ** 2 for r in rets) / (len(rets) - 1))
        down = math.sqrt(sum(min(r, 0.0) ** 2 for r in rets) / len(rets))
        sharpe = mean / sd * math.sqrt(per_year) if sd > 0 else None
        sortino = mean / down * math.sqrt(per_year) if down > 0 else None
    dd, dd_pct, dd_dur = _drawdown(times, values)
    net = values[-1] - capital
    calmar = None
    if span >= 86_400 and dd_pct > 0 and values[-1] > 0:
        annual = (values[-1] / capital) ** (YEAR_S / span) - 1
        calmar = annual / dd_pct
    trips = round_trips(trades)
    wins = [t.pnl for t in trips if t.pnl > 0]
    losses = [-t.pnl for t in trips if t.pnl < 0]
    fees = sum(t.fee for t in trades)
    notional = sum(t.price * t.quantity for t in trades)
    return Metrics(
        net_pnl=net,
        fees=fees,
        return_pct=net / capital * 100 if capital else 0.0,
        sharpe=sharpe,
        sortino=sortino,
        calmar=calmar,
        max_drawdown=dd,
        max_drawdown_pct=dd_pct * 100,
        max_drawdown_duration_s=dd_dur,
        fills=len(trades),
        round_trips=len(trips),
        win_rate=len(wins) / len(trips) * 100 if trips else None,
        profit_factor=(sum(wins) / sum(losses)) if losses else None,
        expectancy=sum(t.pnl for t in trips) / len(trips) if trips else None,
        best_trade=max((t.pnl for t in trips), default=None),
        worst_trade=min((t.pnl for t in trips), default=None),
        avg_holding_s=sum(t.closed_s - t.opened_s for t in trips) / len(trips) if trips else None,
        exposure_pct=_exposure(trades, times[0], times[-1]) * 100,
        turnover=notional / capital if capital else 0.0,
        end_positions=_positions(trades),
        buy_and_hold_pct=(prices[-1][1] / prices[0][1] - 1) * 100 if len(prices) > 1 and prices[0][1] else None,
        market_seconds=span,
    )


def _drawdown(times: Sequence[float], values: Sequence[float]) -> tuple[float, float, float]:
    """(largest fall from a running peak, as a fraction of that peak, longest time under a peak)."""
    peak, peak_t = values[0], times[0]
    worst = worst_pct = longest = 0.0
    for t, v in zip(times, values, strict=True):
        if v >= peak:
            longest = max(longest, t - peak_t)
            peak, peak_t = v, t
            continue
        worst = max(worst, peak - v)
        worst_pct = max(worst_pct, (peak - v) / peak if peak > 0 else 0.0)
    if values[-1] < peak:
        longest = max(longest, times[-1] - peak_t)
    return worst, worst_pct, longest


def round_trips(trades: Sequence[Trade]) -> list[RoundTrip]:
    """Per instrument: a round trip opens when the position leaves zero and ends when it is flat
    again (or flips: the rest of that fill opens the next one); its PnL is the price difference
    against the average entry times what was closed, less every fee of its fills."""
    out: list[RoundTrip] = []
    state: dict[str, list[float]] = {}  # instrument -> [qty (signed), avg entry, realised, opened]
    for t in trades:
        s = state.setdefault(t.instrument, [0.0, 0.0, 0.0, t.ts_s])
        qty, avg = s[0], s[1]
        signed = t.side * t.quantity
        if abs(qty) < 1e-12 or (qty > 0) == (signed > 0):  # opening or adding
            if abs(qty) < 1e-12:
                s[2], s[3] = 0.0, t.ts_s
            s[1] = (avg * abs(qty) + t.price * t.quantity) / (abs(qty) + t.quantity)
            s[0] = qty + signed
            s[2] -= t.fee
            continue
        closing = min(t.quantity, abs(qty))
        share = closing / t.quantity
        s[2] += (t.price - avg) * closing * (1 if qty > 0 else -1) - t.fee * share
        s[0] = qty + math.copysign(closing, signed)
        if abs(s[0]) < 1e-12:
            out.append(RoundTrip(t.instrument, s[3], t.ts_s, s[2]))
            left = t.quantity - closing
            s[0], s[1], s[2], s[3] = 0.0, 0.0, 0.0, t.ts_s
            if left > 1e-12:  # flipped: the rest opens the next trip
                s[0], s[1], s[2] = math.copysign(left, signed), t.price, -t.fee * (1 - share)
    return out


def _exposure(trades: Sequence[Trade], start: float, end: float) -> float:
    if end <= start or not trades:
        return 0.0
    pos: dict[str, float] = {}
    held = 0.0
    last = start
    for t in trades:
        if any(abs(q) > 1e-12 for q in pos.values()):
            held += t.ts_s - last
        last = t.ts_s
        pos[t.instrument] = pos.get(t.instrument, 0.0) + t.side * t.quantity
    if any(abs(q) > 1e-12 for q in pos.values()):
        held += end - last
    return min(held / (end - start), 1.0)


def _positions(trades: Sequence[Trade]) -> dict[str, float]:
    pos: dict[str, float] = {}
    for t in trades:
        pos[t.instrument] = round(pos.get(t.instrument, 0.0) + t.side * t.quantity, 12)
    return dict(sorted(pos.items()))
