"""MEV benchmark: one optimal V2 sandwich-size search, and a scanner over many pools, each against
a plain search (bisection for the slippage edge, ternary search for the profit peak) in the same
run. Goal: one search in at most 50 us.

    python -m bench.mev
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from rich.progress import track

from alephtx.core.mev import sandwich, univ2
from alephtx.core.mev.scanner import Pool, PoolIndex, Swap, scan
from bench.common import console, save, show

CASES = 2_000
POOLS_PER_PAIR = 4
PAIRS = 250
SWAPS = 2_000


def plain_optimal_frontrun(x: int, y: int, v: int, m: int, fee_bps: int = 30) -> dict[str, Any]:
    """The textbook way: bisect for the largest front-run the victim's minimum allows, then
    ternary-search the profit over [0, that]. Same integer swaps as the library."""
    g = 10_000 - fee_bps
    run = sandwich._run

    def ok(f: int) -> bool:
        return not run(x, y, v, m, f, g)[3]

    def profit(f: int) -> int:
        return run(x, y, v, m, f, g)[2] - f

    if not ok(0):
        return {"frontrun_in": 0, "profit": 0}
    lo, hi = 0, max(1, x)
    while ok(hi) and hi < 64 * x:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    a, b = 0, lo
    while b - a > 2:
        m1, m2 = a + (b - a) // 3, b - (b - a) // 3
        if profit(m1) < profit(m2):
            a = m1
        else:
            b = m2
    f = max(range(a, b + 1), key=profit)
    p = profit(f)
    return {"frontrun_in": f if p > 0 else 0, "profit": p if p > 0 else 0}


def _cases(rng: random.Random) -> list[tuple[int, int, int, int]]:
    out = []
    for _ in range(CASES):
        rx = rng.randrange(10**20, 10**23)  # 100 to 100,000 tokens of 18 decimals
        ry = rx * rng.randrange(1, 4_000)
        v = rx * rng.randrange(1, 300) // 10_000  # 0.01% to 3% of the pool
        slippage_bps = rng.choice([10, 50, 100, 300])
        m = univ2.get_amount_out(v, rx, ry) * (10_000 - slippage_bps) // 10_000
        out.append((rx, ry, v, m))
    return out


def time_searches(fn: Any, cases: list[tuple[int, int, int, int]]) -> tuple[list[float], list[int]]:
    times, profits = [], []
    clock = time.perf_counter_ns
    for c in cases:
        t0 = clock()
        r = fn(*c)
        times.append((clock() - t0) / 1000)
        profits.append(r["profit"])
    return times, profits


def scanner_world(rng: random.Random) -> tuple[PoolIndex, list[Swap]]:
    pools = []
    for p in range(PAIRS):
        base_x = rng.randrange(10**20, 10**23)
        price = rng.randrange(1, 4_000)
        for k in range(POOLS_PER_PAIR):
            rx = base_x * rng.randrange(50, 200) // 100
            ry = rx * price * rng.randrange(990, 1010) // 1000  # pools of a pair within 1% of each other
            pools.append(Pool(f"pool{p}-{k}", f"X{p}", f"Y{p}", rx, ry))
    swaps = []
    for i in range(SWAPS):
        pool = rng.choice(pools)
        v = pool.reserve0 * rng.randrange(1, 300) // 10_000
        m = univ2.get_amount_out(v, pool.reserve0, pool.reserve1) * 99 // 100
        swaps.append(Swap(f"0x{i:064x}", pool.address, pool.token0, v, m))
    return PoolIndex(pools), swaps


def main() -> None:
    rng = random.Random(2026)
    cases = _cases(rng)
    for c in cases[:50]:  # warm both, and check they agree
        sandwich.optimal_frontrun_v2(*c)
        plain_optimal_frontrun(*c)
    ours, ours_profit = time_searches(sandwich.optimal_frontrun_v2, track(cases, description="closed form"))
    plain, plain_profit = time_searches(plain_optimal_frontrun, track(cases, description="plain search"))
    worse = sum(1 for a, b in zip(ours_profit, plain_profit, strict=True) if a < b - max(1, b // 10**9))
    o50, p50 = statistics.median(ours), statistics.median(plain)
    o99 = statistics.quantiles(ours, n=100)[98]
    p99 = statistics.quantiles(plain, n=100)[98]

    index, swaps = scanner_world(rng)
    evaluations = len(swaps) * POOLS_PER_PAIR  # one exposure + (pools of the pair - 1) backruns each
    t0 = time.perf_counter()
    found = scan(index, swaps)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    found_plain = scan(index, swaps, sandwich_search=plain_optimal_frontrun)
    t_plain = time.perf_counter() - t0
    show(
        f"V2 sandwich search ({CASES:,} realistic cases) and scanner ({len(index):,} pools, {len(swaps):,} swaps)",
        ["what", "ours", "plain search", "ratio"],
        [
            ["one search p50 (us)", f"{o50:.1f}", f"{p50:.1f}", f"{p50 / o50:.1f}x"],
            ["one search p99 (us)", f"{o99:.1f}", f"{p99:.1f}", f"{p99 / o99:.1f}x"],
            ["scanner evaluations/s", f"{evaluations / t_ours:,.0f}", f"{evaluations / t_plain:,.0f}", f"{t_plain / t_ours:.1f}x"],
            ["opportunities found", f"{len(found):,}", f"{len(found_plain):,}", ""],
        ],
    )  # fmt: skip
    console.print(f"cases where ours found less profit than the plain search (beyond 1e-9): {worse}")
    save(
        "mev",
        {
            "search_p50_us": o50, "search_p99_us": o99, "plain_p50_us": p50, "plain_p99_us": p99,
            "scanner_evals_per_s": evaluations / t_ours, "plain_scanner_evals_per_s": evaluations / t_plain,
            "worse_cases": worse, "goal_search_us": 50,
        },
    )  # fmt: skip


if __name__ == "__main__":
    main()
