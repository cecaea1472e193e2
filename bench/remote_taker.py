"""The tick-to-order benchmark's strategy in a process of its own, speaking to the engine only
over NATS:

    python -m bench.remote_taker NATS_URL NAMESPACE OUT

It trades like bench/tick_to_order.py's Taker (an IOC on every fifth book) until SIGTERM, then
writes to OUT, one per line, the moment it held each answer. ``time.perf_counter_ns`` reads
CLOCK_MONOTONIC, the same clock in every process of the machine, so the benchmark can subtract
its own timestamps from these. ``OUT.ready`` appears once the strategy is subscribed.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

from alephtx.core.bus.nats import NatsBus
from alephtx.core.strategies.remote import fetch_instruments, run_remote
from bench.tick_to_order import INST, P, Taker


class ReadyTaker(Taker):
    def __init__(self, params: P, ready: Path) -> None:
        super().__init__(params)
        self.ready = ready

    async def on_start(self, ctx: Any) -> None:  # run_remote calls it once it is subscribed
        self.ready.touch()


async def main(url: str, namespace: str, out: Path) -> None:
    bus = await NatsBus.connect(url, namespace=namespace)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    taker = ReadyTaker(P(instrument=INST.key, ioc=True), Path(f"{out}.ready"))
    await run_remote(taker, "taker", bus, await fetch_instruments(bus), stop)
    await bus.close()
    out.write_text("".join(f"{t}\n" for t in taker.marks))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], Path(sys.argv[3])))
