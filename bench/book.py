"""Book benchmark: the real BTCUSDT capture's level updates, pre-parsed, applied to the Cython
book and to its pure-Python twin in the same run (and to NautilusTrader's book when a venv with
it exists at /tmp/nt, see ../shared/ANCHORS.md). Prints level updates per second and ratios.

    python bench/book.py [CAPTURE] [--nautilus]
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from alephtx.core.book import APPLIED, L2Book, PyL2Book
from alephtx.core.model import Instrument
from alephtx.core.replay.binance_capture import BinanceCapture, DepthEvent
from bench.common import best_of, capture_path, console, save, show

NT_PYTHON = Path("/tmp/nt/bin/python")
NT_SCRIPT = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "nautilus_book.py"


def preparse(path: Path, inst: Instrument) -> tuple[tuple, list[tuple[int, int, int, int, int]], np.ndarray, ...]:  # type: ignore[type-arg]
    """Snapshot arrays, then every diff that the sync procedure applies, as one set of arrays."""
    snapshot = None
    msgs: list[tuple[int, int, int, int, int]] = []
    sides: list[np.ndarray] = []
    prices: list[np.ndarray] = []
    qtys: list[np.ndarray] = []
    pending = []
    at = 0
    for ev in BinanceCapture(path, inst):
        if not isinstance(ev, DepthEvent):
            continue
        p = ev.parser
        n = p.count
        if ev.is_snapshot:
            nb = p.bid_count
            snapshot = (
                p.prices[:nb].copy(),
                p.qtys[:nb].copy(),
                p.prices[nb:n].copy(),
                p.qtys[nb:n].copy(),
                ev.final_id,
            )
            continue
        item = (ev.first_id, ev.final_id, ev.prev_final_id, p.sides[:n].copy(), p.prices[:n].copy(), p.qtys[:n].copy())
        if snapshot is None:
            pending.append(item)  # received before the snapshot: the venue's procedure buffers it
        else:
            pending.append(item)
            for u0, u1, pu, s, px, q in pending:
                if u1 < snapshot[4]:
                    continue
                msgs.append((u0, u1, pu, at, at + len(px)))
                sides.append(s)
                prices.append(px)
                qtys.append(q)
                at += len(px)
            pending = []
    assert snapshot is not None, "the capture has no snapshot"
    return snapshot, msgs, np.concatenate(sides), np.concatenate(prices), np.concatenate(qtys)


def main() -> None:
    path = capture_path()
    inst = Instrument.from_strings("binance-usdm", "BTCUSDT", "perp", "0.10", "0.001")
    snap, msgs, sides, prices, qtys = preparse(path, inst)
    levels = int(sum(m[4] - m[3] for m in msgs))
    console.print(f"{path.name}: {len(msgs):,} depth diffs after the snapshot, {levels:,} level updates")

    def run(book_cls: type) -> object:
        book = book_cls(tick=inst.tick)
        book.apply_snapshot(*snap)
        apply = book.apply_diff
        for u0, u1, pu, a, b in msgs:
            if apply(u0, u1, pu, sides, prices, qtys, a, b) != APPLIED:
                raise RuntimeError("sequence broke during the benchmark")
        return book

    last: dict[str, object] = {}

    def cy() -> None:
        last["cy"] = run(L2Book)

    def py() -> None:
        last["py"] = run(PyL2Book)

    # Per level, one Python call each: what a venue without batched messages costs.
    plist = prices.tolist()
    qlist = qtys.tolist()
    slist = sides.tolist()

    def cy_level() -> None:
        book = L2Book(tick=inst.tick)
        book.apply_snapshot(*snap)
        set_level = book.set_level
        for i in range(levels):
            set_level(slist[i], plist[i], qlist[i])
        last["cy_level"] = book

    t_cy = best_of(cy, 7)
    t_cy_level = best_of(cy_level, 3)
    t_py = best_of(py, 2)
    cyb, pyb = last["cy"], last["py"]
    top = (cyb.best_bid(), cyb.best_ask())  # type: ignore[attr-defined]
    assert top == (pyb.best_bid(), pyb.best_ask()), "the twin disagrees with the Cython book"  # type: ignore[attr-defined]
    rows = [
        ["L2Book (Cython) apply_diff per message", f"{levels / t_cy / 1e6:.2f} M/s", f"{t_cy * 1e9 / levels:.1f}"],
        [
            "L2Book (Cython) set_level per level",
            f"{levels / t_cy_level / 1e6:.2f} M/s",
            f"{t_cy_level * 1e9 / levels:.1f}",
        ],
        ["PyL2Book (twin) apply_diff per message", f"{levels / t_py / 1e6:.2f} M/s", f"{t_py * 1e9 / levels:.1f}"],
    ]
    result = {
        "capture": path.name,
        "levels": levels,
        "messages": len(msgs),
        "cython_updates_per_s": levels / t_cy,
        "cython_per_level_call_updates_per_s": levels / t_cy_level,
        "twin_updates_per_s": levels / t_py,
        "ratio_cython_vs_twin": t_py / t_cy,
        "best_bid": [inst.format_price(top[0][0]), inst.format_size(top[0][1])],
        "best_ask": [inst.format_price(top[1][0]), inst.format_size(top[1][1])],
    }
    if "--nautilus" in sys.argv and NT_PYTHON.exists() and NT_SCRIPT.exists():
        out = subprocess.run([str(NT_PYTHON), str(NT_SCRIPT), str(path)], capture_output=True, text=True, timeout=600)
        nt = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(
            ["NautilusTrader apply_deltas per message", f"{nt['apply_deltas_updates_per_s'] / 1e6:.2f} M/s", ""]
        )
        rows.append(["NautilusTrader apply_delta per level", f"{nt['apply_delta_updates_per_s'] / 1e6:.2f} M/s", ""])
        result["nautilus"] = nt
        result["ratio_cython_vs_nautilus_batched"] = (levels / t_cy) / nt["apply_deltas_updates_per_s"]
    show("L2 book: level updates of the real capture", ["book", "updates/s", "ns/update"], rows)
    console.print(f"Cython / twin: [bold]{t_py / t_cy:.1f}x[/bold]")
    if "ratio_cython_vs_nautilus_batched" in result:
        console.print(
            f"Cython / NautilusTrader (per message): [bold]{result['ratio_cython_vs_nautilus_batched']:.2f}x[/bold]"
        )
    console.print(f"final top of book: bid {result['best_bid']}, ask {result['best_ask']}")
    save("book", result)


if __name__ == "__main__":
    main()
