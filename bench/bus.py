"""Bus benchmark: publish-to-handler latency, one message in flight at a time, p50 and p99.

In-process bus against a direct call of the same handler (the floor), and the NATS bus on
loopback against raw nats-py with the same payload (our codec, stats and error handling on top),
in the same run. Uses the nats-server at 127.0.0.1:4222, or starts one.

    python bench/bus.py
"""

from __future__ import annotations

import asyncio
import time

import msgspec
import nats

from alephtx.core.bus import InProcessBus, Msg
from alephtx.core.bus.nats import NatsBus
from bench.common import console, percentiles, save, show
from tests.support.servers import nats_server


class Tick(msgspec.Struct, frozen=True):
    venue: str
    symbol: str
    bid: int
    ask: int
    sent_ns: int


N_INPROC = 50_000
N_NATS = 5_000


async def inproc() -> tuple[list[int], list[int]]:
    bus = InProcessBus()
    lat: list[int] = []

    async def on(msg: Msg) -> None:
        lat.append(time.perf_counter_ns() - msg.data.sent_ns)

    await bus.subscribe("md.book.binance.BTCUSDT", on, type=Tick)
    for _ in range(N_INPROC):
        await bus.publish("md.book.binance.BTCUSDT", Tick("binance", "BTCUSDT", 1, 2, time.perf_counter_ns()))
    direct: list[int] = []

    async def floor(msg: Msg) -> None:
        direct.append(time.perf_counter_ns() - msg.data.sent_ns)

    for _ in range(N_INPROC):
        await floor(Msg("md.book.binance.BTCUSDT", Tick("binance", "BTCUSDT", 1, 2, time.perf_counter_ns())))
    return lat, direct


async def over_nats(url: str) -> tuple[list[int], list[int]]:
    bus = await NatsBus.connect(url, namespace="bench")
    lat: list[int] = []
    got = asyncio.Event()

    async def on(msg: Msg) -> None:
        lat.append(time.perf_counter_ns() - msg.data.sent_ns)
        got.set()

    await bus.subscribe("md.book.binance.BTCUSDT", on, type=Tick)
    await bus.flush()
    for _ in range(N_NATS):
        got.clear()
        await bus.publish("md.book.binance.BTCUSDT", Tick("binance", "BTCUSDT", 1, 2, time.perf_counter_ns()))
        await got.wait()
    await bus.delete_stream()
    await bus.close()

    nc = await nats.connect(url)
    raw: list[int] = []
    got2 = asyncio.Event()
    dec = msgspec.msgpack.Decoder(Tick)
    enc = msgspec.msgpack.Encoder()

    async def on_raw(m: nats.aio.msg.Msg) -> None:
        raw.append(time.perf_counter_ns() - dec.decode(m.data).sent_ns)
        got2.set()

    await nc.subscribe("raw.md.book", cb=on_raw)
    await nc.flush()
    for _ in range(N_NATS):
        got2.clear()
        await nc.publish("raw.md.book", enc.encode(Tick("binance", "BTCUSDT", 1, 2, time.perf_counter_ns())))
        await got2.wait()
    await nc.close()
    return lat, raw


def main() -> None:
    a, floor = asyncio.run(inproc())
    with nats_server() as url:
        b, raw = asyncio.run(over_nats(url))
    rows = []
    result = {}
    for name, xs in [
        ("in-process bus", a),
        ("direct handler call (floor)", floor),
        ("NATS bus (loopback)", b),
        ("raw nats-py (loopback)", raw),
    ]:
        p50, p99 = percentiles(xs)
        rows.append([name, f"{len(xs):,}", f"{p50 / 1000:.2f}", f"{p99 / 1000:.2f}"])
        result[name] = {"p50_us": p50 / 1000, "p99_us": p99 / 1000, "n": len(xs)}
    show("Publish-to-handler latency", ["path", "messages", "p50 µs", "p99 µs"], rows)
    r_in = result["in-process bus"]["p50_us"] / result["direct handler call (floor)"]["p50_us"]
    r_nats = result["NATS bus (loopback)"]["p50_us"] / result["raw nats-py (loopback)"]["p50_us"]
    console.print(
        f"in-process / direct call p50: [bold]{r_in:.1f}x[/bold]; "
        f"NATS bus / raw nats-py p50: [bold]{r_nats:.2f}x[/bold]"
    )
    result["ratio_inproc_vs_direct_p50"] = r_in
    result["ratio_nats_bus_vs_raw_p50"] = r_nats
    save("bus", result)


if __name__ == "__main__":
    main()
