"""One suite, two buses: in-process and NATS (a real nats-server with JetStream)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import msgspec
import nats
import pytest

from alephtx.core.bus import Bus, InProcessBus, Msg, subjects
from alephtx.core.bus.nats import NatsBus
from alephtx.core.model import OrderRequest, OrderType, Side


class Quote(msgspec.Struct, frozen=True):
    venue: str
    bid: int
    ask: int


@pytest.fixture(params=["inproc", "nats"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Bus]:
    if request.param == "inproc":
        b: Bus = InProcessBus()
        yield b
        await b.close()
        return
    url = request.getfixturevalue("nats_url")
    nb = await NatsBus.connect(url, namespace=f"t{uuid.uuid4().hex[:10]}")
    yield nb
    await nb.delete_stream()
    await nb.close()


async def settle(bus: Bus) -> None:
    if isinstance(bus, NatsBus):
        await bus.flush()
        await asyncio.sleep(0.05)


async def test_publish_subscribe_typed(bus: Bus) -> None:
    got: list[Msg] = []

    async def on(msg: Msg) -> None:
        got.append(msg)

    await bus.subscribe(subjects.book("binance", "BTCUSDT"), on, type=Quote)
    await bus.publish(subjects.book("binance", "BTCUSDT"), Quote("binance", 100, 101))
    await bus.publish(subjects.book("binance", "ETHUSDT"), Quote("binance", 1, 2))  # not subscribed
    await settle(bus)
    assert [(m.subject, m.data) for m in got] == [("md.book.binance.BTCUSDT", Quote("binance", 100, 101))]


async def test_wildcards(bus: Bus) -> None:
    star: list[str] = []
    tail: list[str] = []

    async def on_star(msg: Msg) -> None:
        star.append(msg.subject)

    async def on_tail(msg: Msg) -> None:
        tail.append(msg.subject)

    await bus.subscribe("md.book.*.BTCUSDT", on_star)
    await bus.subscribe("md.>", on_tail)
    for s in ["md.book.binance.BTCUSDT", "md.book.okx.BTCUSDT", "md.trade.okx.BTCUSDT", "md.book.okx.ETH"]:
        await bus.publish(s, {"n": 1})
    await settle(bus)
    assert sorted(star) == ["md.book.binance.BTCUSDT", "md.book.okx.BTCUSDT"]
    assert len(tail) == 4


async def test_request_reply(bus: Bus) -> None:
    async def echo(msg: Msg) -> Quote:
        return Quote(msg.data.venue, msg.data.bid * 2, msg.data.ask * 2)

    await bus.subscribe("risk.query", echo, type=Quote)
    await settle(bus)
    reply = await bus.request("risk.query", Quote("x", 1, 2), type=Quote, timeout=2)
    assert reply == Quote("x", 2, 4)
    with pytest.raises(TimeoutError):
        await bus.request("nobody.listens", {"a": 1}, timeout=0.2)


async def test_malformed_message_is_counted_not_fatal(bus: Bus, request: pytest.FixtureRequest) -> None:
    got: list[Quote] = []

    async def on(msg: Msg) -> None:
        got.append(msg.data)

    await bus.subscribe("md.book.x.Y", on, type=Quote)
    if isinstance(bus, NatsBus):
        # A foreign publisher on the same server sends bytes that are not a Quote.
        raw = await nats.connect(request.getfixturevalue("nats_url"))
        await raw.publish(bus._prefix + "md.book.x.Y", b"\xc1\xc1 not msgpack")
        await raw.publish(bus._prefix + "md.book.x.Y", msgspec.msgpack.encode({"venue": 5}))
        await raw.flush()
        await raw.close()
    else:
        await bus.publish("md.book.x.Y", b"\xc1\xc1 not msgpack")
        await bus.publish("md.book.x.Y", {"venue": 5})
    await bus.publish("md.book.x.Y", Quote("ok", 1, 2))
    await settle(bus)
    assert got == [Quote("ok", 1, 2)]
    assert bus.stats.decode_errors == 2


async def test_handler_error_is_counted_and_subscription_survives(bus: Bus) -> None:
    seen: list[int] = []

    async def flaky(msg: Msg) -> None:
        if msg.data["n"] == 1:
            raise RuntimeError("boom")
        seen.append(msg.data["n"])

    await bus.subscribe("strategy.grid.tick", flaky)
    await bus.publish("strategy.grid.tick", {"n": 1})
    await bus.publish("strategy.grid.tick", {"n": 2})
    await settle(bus)
    assert seen == [2] and bus.stats.handler_errors == 1


async def test_queue_group_delivers_each_message_once(bus: Bus) -> None:
    a: list[int] = []
    b: list[int] = []

    async def on_a(msg: Msg) -> None:
        a.append(msg.data)

    async def on_b(msg: Msg) -> None:
        b.append(msg.data)

    await bus.subscribe("agent.work", on_a, queue="workers")
    await bus.subscribe("agent.work", on_b, queue="workers")
    for i in range(20):
        await bus.publish("agent.work", i)
    await settle(bus)
    assert sorted(a + b) == list(range(20))


async def test_unsubscribe(bus: Bus) -> None:
    got: list[int] = []

    async def on(msg: Msg) -> None:
        got.append(msg.data)

    sub = await bus.subscribe("risk.state", on)
    await bus.publish("risk.state", 1)
    await settle(bus)
    await sub.unsubscribe()
    await bus.publish("risk.state", 2)
    await settle(bus)
    assert got == [1]


async def test_bad_subjects_are_refused(bus: Bus) -> None:
    async def on(msg: Msg) -> None:
        return None

    with pytest.raises(ValueError, match="wildcards are only allowed when subscribing"):
        await bus.publish("md.book.*", 1)
    with pytest.raises(ValueError, match="'>' must be the last token"):
        await bus.subscribe("md.>.x", on)
    with pytest.raises(ValueError, match="non-empty"):
        await bus.publish("md..x", 1)


async def test_orders_survive_a_subscriber_restart_on_jetstream(nats_url: str) -> None:
    """Orders published while the durable consumer is away are delivered when it comes back."""
    ns = f"t{uuid.uuid4().hex[:10]}"
    pub = await NatsBus.connect(nats_url, namespace=ns)
    order = OrderRequest("binance:BTCUSDT", Side.BUY, OrderType.LIMIT, 10, 6165970, origin="agent")
    try:
        await pub.publish(subjects.order("binance"), order)  # acked by the stream
        got: list[OrderRequest] = []
        done = asyncio.Event()

        async def on(msg: Msg) -> None:
            got.append(msg.data)
            done.set()

        sub_bus = await NatsBus.connect(nats_url, namespace=ns)
        await sub_bus.subscribe("exec.order.>", on, type=OrderRequest, durable="oms")
        await asyncio.wait_for(done.wait(), 5)
        assert got == [order]
        await sub_bus.close()
        with pytest.raises(ValueError, match="only"):
            await pub.subscribe("md.book.>", on, durable="x")
    finally:
        await pub.delete_stream()
        await pub.close()
