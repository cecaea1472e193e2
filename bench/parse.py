"""Parsing benchmark: raw depth JSON of the real capture to fixed-point level arrays.

Compares the Cython DepthParser with json.loads alone (stdlib, no conversion) and with the
pure-Python twin (json + Decimal), in the same run. Prints time per message and per level.

    python bench/parse.py [CAPTURE]
"""

from __future__ import annotations

import gzip
import json

from alephtx.core.venues.binance.parsing import DepthParser, parse_depth_py
from bench.common import best_of, capture_path, console, save, show


def main() -> None:
    path = capture_path()
    with gzip.open(path, "rb") as f:
        msgs = [ln.split(b" ", 1)[1] for ln in f if b"@depth" in ln[:80]]
    parser = DepthParser(2, 3)
    levels = 0
    for m in msgs:
        levels += parser.parse(m)
    n = len(msgs)
    console.print(f"{path.name}: {n:,} depth messages, {levels:,} levels ({levels / n:.1f} per message)")

    parse = parser.parse

    def cy() -> None:
        for m in msgs:
            parse(m)

    loads = json.loads

    def stdlib() -> None:
        for m in msgs:
            loads(m)

    def twin() -> None:
        for m in msgs:
            parse_depth_py(m, 2, 3)

    t_cy = best_of(cy, 7)
    t_json = best_of(stdlib, 3)
    t_twin = best_of(twin, 1)
    rows = [
        [name, f"{t * 1e6 / n:.2f}", f"{t * 1e9 / levels:.1f}", f"{t / t_cy:.1f}x"]
        for name, t in [
            ("DepthParser (Cython) to int64 arrays", t_cy),
            ("json.loads only (no conversion)", t_json),
            ("twin: json.loads + Decimal", t_twin),
        ]
    ]
    show("Depth message parsing", ["parser", "µs/message", "ns/level", "time vs Cython"], rows)
    console.print(
        f"json.loads / Cython: [bold]{t_json / t_cy:.1f}x[/bold]; twin / Cython: [bold]{t_twin / t_cy:.0f}x[/bold]"
    )
    save(
        "parse",
        {
            "messages": n,
            "levels": levels,
            "cython_us_per_message": t_cy * 1e6 / n,
            "cython_ns_per_level": t_cy * 1e9 / levels,
            "json_loads_us_per_message": t_json * 1e6 / n,
            "twin_us_per_message": t_twin * 1e6 / n,
            "ratio_json_vs_cython": t_json / t_cy,
            "ratio_twin_vs_cython": t_twin / t_cy,
        },
    )


if __name__ == "__main__":
    main()
