"""How the paper venue answers: fees, an order's way to the venue, and the queue ahead of a
resting order (docs/research.md gives the formulas and where each comes from).

- Fees: maker and taker basis points, fractions of a basis point included (Binance's VIP 1 maker
  is 1.6 bp); a venue's published tiers are in ``fee_tiers.toml``.
- Latency: constant, or from the recorded feed (a base plus how much later than its fastest the
  feed was when the order is sent: the order is taken to wait as the data did).
- Queue: ``fifo``, hftbacktest's risk-averse model (only trades at the price, and the displayed
  size falling below the queue, move it forward), or a probabilistic one (hftbacktest's
  ``ProbQueueModel``: a cancel at the price is ahead of the order with a probability that grows
  with the size behind it).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from alephtx.core.errors import FieldError


@dataclass(frozen=True)
class FeeModel:
    """Maker and taker fees in basis points of the notional, charged rounded up (a venue never
    undercharges). Fractions of a basis point are exact: the rate is kept as a ratio of ints."""

    maker_bps: int | Decimal = 2
    taker_bps: int | Decimal = 5
    # (numerator, denominator) of each rate as a fraction of the notional
    maker: tuple[int, int] = field(init=False, repr=False, compare=False)
    taker: tuple[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "maker", _ratio(self.maker_bps))
        object.__setattr__(self, "taker", _ratio(self.taker_bps))

    def fee(self, price: int, qty: int, maker: bool) -> int:
        num, den = self.maker if maker else self.taker
        return -((-price * qty * num) // den)


def _ratio(bps: int | Decimal) -> tuple[int, int]:
    if isinstance(bps, int):
        return bps, 10_000
    num, den = Decimal(bps).as_integer_ratio()
    return num, den * 10_000


def parse_bps(text: str | int | float | Decimal, name: str) -> int | Decimal:
    """A fee in basis points as a person writes it ("2", "1.6", "-0.5" for a rebate)."""
    try:
        d = Decimal(str(text))
    except InvalidOperation:
        raise FieldError(name, text, "a number of basis points (2, 1.6, -0.5)") from None
    if not d.is_finite() or abs(d) > 1000:
        raise FieldError(name, text, "basis points between -1000 and 1000")
    return int(d) if d == d.to_integral_value() else d


@cache
def fee_tiers() -> dict[str, dict[str, dict[str, Any]]]:
    """The packaged table: venue name -> tier -> {maker_bps, taker_bps, ...}."""
    text = resources.files("alephtx.core.venues.paper").joinpath("fee_tiers.toml").read_text()
    return {k: v for k, v in tomllib.loads(text).items() if isinstance(v, dict)}


def fee_tier(venue_tier: str) -> FeeModel:
    """``VENUE:TIER`` (``binance-usdm:vip1``) as a FeeModel, or a FieldError listing the choices."""
    venue, _, tier = venue_tier.partition(":")
    tiers = fee_tiers()
    if venue not in tiers:
        raise FieldError(
            "fee_tier", venue_tier, f"no published tiers for {venue!r}; venues: {', '.join(sorted(tiers))}"
        )
    if tier not in tiers[venue]:
        raise FieldError("fee_tier", venue_tier, f"{venue} has no tier {tier!r}; tiers: {', '.join(tiers[venue])}")
    row = tiers[venue][tier]
    return FeeModel(parse_bps(row["maker_bps"], "maker_bps"), parse_bps(row["taker_bps"], "taker_bps"))


class FeedLatency:
    """An order's latency from the recorded feed: ``base_ns`` plus how much later than its fastest
    the feed was at the moment the order is sent (the receive minus exchange time of the last
    market message by then, less the smallest such delay of the data read so far). The smallest
    delay is taken away because the recorder's clock and the venue's differ by an unknown offset
    (the bundled capture's recorder ran 1.27 s behind Binance): what the data tells is how the
    path's delay varied (bursts, reconnects), and an order is taken to wait as the feed did.
    Snapshots are left out (a REST snapshot's time is when the venue built it). Fed each tape as
    the replay reaches it."""

    def __init__(self, base_ns: int = 1_000_000) -> None:
        self.base_ns = base_ns
        self._at = np.empty(0, dtype=np.int64)
        self._excess = np.empty(0, dtype=np.int64)
        self._fastest: int | None = None
        self.seen: list[int] = []  # the latencies given, for the report

    def observe(self, exch_ns: np.ndarray, recv_ns: np.ndarray, keep: np.ndarray | None = None) -> None:
        exch, recv = (exch_ns, recv_ns) if keep is None else (exch_ns[keep], recv_ns[keep])
        if not len(exch):
            return
        delay = recv - exch
        low = int(delay.min())
        self._fastest = low if self._fastest is None else min(self._fastest, low)
        # Monotonic times to search in (a trade may carry an earlier time than the depth before it).
        self._at = np.maximum.accumulate(exch)
        self._excess = delay - self._fastest

    def __call__(self, now_ns: int) -> int:
        i = int(np.searchsorted(self._at, now_ns, side="right")) - 1
        ns = self.base_ns + (int(self._excess[i]) if i >= 0 else 0)
        self.seen.append(ns)
        return ns


class QueueModel:
    """The queue ahead of a resting order when the displayed size at its price changes."""

    name = "fifo"

    def on_depth(self, front: int, prev: int, new: int, traded: int) -> int:
        """``front`` ahead of us, the displayed size was ``prev`` and is ``new``; ``traded`` of
        the change was trades at the price (already taken off ``front``)."""
        return min(front, new)


class ProbQueue(QueueModel):
    """hftbacktest's ``ProbQueueModel``: of a decrease that trades do not explain, the share
    ``1 - p`` is ahead of us, ``p = f(back) / (f(back) + f(front))``; ``f(x) = x**n`` (power)
    or ``log(1 + x)`` (log). With more size behind us than ahead, a cancel is more likely behind."""

    def __init__(self, kind: str, n: float = 2.0) -> None:
        self.kind, self.n = kind, n
        self.name = f"power:{n:g}" if kind == "power" else "log"

    def _f(self, x: float) -> float:
        return x**self.n if self.kind == "power" else math.log1p(x)

    def on_depth(self, front: int, prev: int, new: int, traded: int) -> int:
        chg = prev - new - traded
        if chg <= 0:
            return min(front, new)
        back = prev - front
        fb, ff = self._f(max(back, 0)), self._f(front)
        p = fb / (fb + ff) if fb + ff > 0 else 1.0
        est = front - (1.0 - p) * chg + min(back - p * chg, 0.0)
        return max(0, min(round(est), new))


def queue_model(name: str) -> QueueModel:
    """``fifo``, ``power:N`` (N > 0) or ``log``."""
    if name in ("fifo", ""):
        return QueueModel()
    if name == "log":
        return ProbQueue("log")
    kind, _, n = name.partition(":")
    if kind == "power":
        try:
            value = float(n or 2)
        except ValueError:
            value = -1.0
        if 0 < value <= 10:  # beyond, x**N overflows a float for the largest sizes
            return ProbQueue("power", value)
        raise FieldError("queue", name, "power:N takes an exponent above 0 and at most 10 (power:2, power:3)")
    raise FieldError("queue", name, "fifo, power:N or log")


def latency_model(text: str) -> float | FeedLatency:
    """``1.5`` (milliseconds, constant), ``data`` (1 ms plus the feed's delay beyond its fastest)
    or ``data+MS`` (MS milliseconds plus that)."""
    t = text.strip()
    if t.startswith("data"):
        rest = t[4:].strip()
        base = 1.0
        if rest:
            try:
                base = float(rest[1:]) if rest.startswith("+") else -1.0
            except ValueError:
                base = -1.0
            if not (0 <= base <= 60_000):
                raise FieldError("latency", text, "data, or data+MS with MS milliseconds from 0 to 60000 (data+5)")
        return FeedLatency(int(base * 1_000_000))
    try:
        ms = float(t)
    except ValueError:
        raise FieldError("latency", text, "milliseconds (1.5), data or data+MS") from None
    if not (0 <= ms <= 60_000):
        raise FieldError("latency", text, "milliseconds between 0 and 60000")
    return ms
