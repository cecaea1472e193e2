"""Risk benchmark: one pre-trade check called from Python, p50 and p99, Cython against the
pure-Python twin in the same run. The check passes (the slow path: every check runs) and the
order is then released so that the open-order and rate limits never trip.

    python bench/risk.py
"""

from __future__ import annotations

import time

from alephtx.core.risk._checks import RiskCore
from alephtx.core.risk.checks import PyRiskCore
from bench.common import console, percentiles, save, show

N = 200_000
M = 1_000_000


def setup(cls: type):  # type: ignore[no-untyped-def]
    c = cls()
    c.set_globals(50_000 * M, 1_000 * M, 2**62, 250_000 * M, 150_000 * M, 500, 10**6)
    c.add_venue(0, 200_000 * M, 100_000 * M, 10**6, 1024, 1024, 10000)
    c.add_instrument(0, 0, 10, 1, 500_000, 5, 2_000)
    c.set_balance(0, 100_000 * M)
    c.set_mid_x2(0, 2 * 6_000_000)
    return c


def measure(cls: type) -> list[int]:
    c = setup(cls)
    check, done, clock = c.check, c.on_order_done, time.perf_counter_ns
    out = []
    now = 0
    for _ in range(N):
        now += 10_000_000  # 100 orders/s of simulated time: under the rate limit
        t0 = clock()
        code = check(0, 1, 10, 6_000_000, False, True, now)
        t1 = clock()
        if code:
            raise RuntimeError(f"check refused the benchmark order: {code}")
        done(0, 1, 10)
        out.append(t1 - t0)
    return out


def measure_engine() -> list[int]:
    """The same check through RiskEngine.check(OrderRequest): what the OMS pays per order."""
    from alephtx.core.model import Instrument, OrderRequest, OrderType, Side
    from alephtx.core.risk import RiskEngine, RiskLimits

    inst = Instrument.from_strings("paper", "BTCUSDT", "perp", "0.10", "0.001", "5")
    now = [0]

    def clock() -> int:
        now[0] += 100_000_000  # 10 orders/s of simulated time: under the default 20/s
        return now[0]

    r = RiskEngine(RiskLimits.model_validate({"instrument": {inst.key: {"max_position": "2"}}}), clock=clock)
    r.add_instrument(inst)
    r.set_mid_x2(inst.key, 2 * 6_000_000)
    r.set_balance("paper", 100_000 * M)
    req = OrderRequest(inst.key, Side.BUY, OrderType.LIMIT, 10, 6_000_000, origin="operator")
    check, done, tclock = r.check, r.on_order_done, time.perf_counter_ns
    out = []
    for _ in range(N):
        t0 = tclock()
        v = check(req)
        t1 = tclock()
        if not v.ok:
            raise RuntimeError(f"check refused the benchmark order: {v.text}")
        done(inst.key, Side.BUY, 10)
        out.append(t1 - t0)
    return out


def main() -> None:
    floor = []
    clock = time.perf_counter_ns
    for _ in range(N):
        t0 = clock()
        t1 = clock()
        floor.append(t1 - t0)
    f50, _ = percentiles(floor)
    cy = measure(RiskCore)
    py = measure(PyRiskCore)
    eng = measure_engine()
    rows, result = [], {"timer_overhead_ns": f50}
    for name, xs in [("RiskCore (Cython)", cy), ("PyRiskCore (twin)", py), ("RiskEngine.check(OrderRequest)", eng)]:
        p50, p99 = percentiles(xs)
        rows.append([name, f"{p50:.0f}", f"{p99:.0f}", f"{p50 - f50:.0f}"])
        result[name] = {"p50_ns": p50, "p99_ns": p99}
    show("One pre-trade check from Python", ["checks", "p50 ns", "p99 ns", "p50 minus timer"], rows)
    ratio = result["PyRiskCore (twin)"]["p50_ns"] / result["RiskCore (Cython)"]["p50_ns"]
    console.print(f"twin / Cython p50: [bold]{ratio:.1f}x[/bold] (timer overhead {f50:.0f} ns included in both)")
    result["ratio_twin_vs_cython_p50"] = ratio
    save("risk", result)


if __name__ == "__main__":
    main()
