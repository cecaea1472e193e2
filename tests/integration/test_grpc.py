"""AlephCore over real gRPC on loopback: every call, decimal strings, status codes, the token."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from alephtx.core.engine import Engine
from alephtx.core.engine.session import SessionHandles
from alephtx.core.journal import SqliteJournal
from alephtx.core.model import Instrument
from alephtx.core.risk import RiskEngine, RiskLimits
from alephtx.core.server.grpc_server import serve
from alephtx.core.strategies import StrategyHost
from alephtx.core.venues.paper import PaperVenue
from alephtx.proto import aleph_pb2 as pb
from alephtx.proto import aleph_pb2_grpc as pbg

INST = Instrument.from_strings("paper", "BTCUSDT", "perp", "0.10", "0.001", "5")


@pytest.fixture
async def handles(tmp_path: Path) -> AsyncIterator[SessionHandles]:
    venue = PaperVenue([INST])
    venue.books[INST.key].apply_snapshot([6000000, 5999900], [1000, 500], [6000100], [1000], 1)
    engine = Engine(
        [INST],
        {"paper": venue},
        RiskEngine(RiskLimits.model_validate({"instrument": {INST.key: {"max_position": "1"}}})),
        SqliteJournal(tmp_path / "j.db"),
        100_000 * 10**12,
    )
    await engine.start()
    engine.on_mid(INST.key, venue.books[INST.key].mid_x2())
    host = StrategyHost(engine, venue.books)
    host.load("grid", "grid", {"instrument": INST.key})
    yield SessionHandles(engine, host, {INST.key: venue})


async def client(port: int, token: str | None = None) -> Any:
    ch = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    return ch, pbg.AlephCoreStub(ch), ([("authorization", f"Bearer {token}")] if token else None)


async def test_every_call(handles: SessionHandles) -> None:
    server = await serve(handles, port=0)
    ch, stub, _ = await client(server.bound_port)
    try:
        r = await stub.PlaceOrder(
            pb.PlaceOrderRequest(
                instrument=INST.key, side="buy", type="limit", quantity="0.010", price="59990.00", client_id="g1"
            )
        )
        assert (r.client_id, r.status, r.filled) == ("g1", "accepted", "0.000")
        m = await stub.PlaceOrder(
            pb.PlaceOrderRequest(instrument=INST.key, side="buy", type="market", quantity="0.005")
        )
        assert m.status == "filled" and m.filled == "0.005"
        pos = await stub.GetPositions(pb.Empty())
        assert [(p.instrument, p.quantity) for p in pos.positions] == [(INST.key, "0.005")]
        bal = await stub.GetBalance(pb.Empty())
        assert bal.balances[0].asset == "USDT" and bal.balances[0].total.startswith("9999")
        st = await stub.GetGlobalState(pb.Empty())
        assert st.trading_state == "ACTIVE" and st.open_orders == 1 and st.fills == 1
        risk = await stub.GetRiskStatus(pb.Empty())
        assert risk.state == "ACTIVE" and "max_order_notional" in json.loads(risk.limits_json)
        c = await stub.CancelOrder(pb.CancelOrderRequest(client_id="g1"))
        assert c.status == "cancelled"
        strategies = await stub.ListStrategies(pb.Empty())
        assert [s.name for s in strategies.strategies] == ["grid"] and not strategies.strategies[0].running
        assert (await stub.StartStrategy(pb.StrategyName(name="grid"))).running
        assert not (await stub.StopStrategy(pb.StrategyName(name="grid"))).running
        stream = stub.SubscribeOrderbook(pb.BookRequest(instrument=INST.key, depth=2))
        snap = await stream.read()
        assert [(lv.price, lv.quantity) for lv in snap.bids] == [("60000.00", "1.000"), ("59999.00", "0.500")]
        stream.cancel()
        tick = stub.SubscribeTicker(pb.TickerRequest(instrument=INST.key))
        t = await tick.read()
        assert (t.bid, t.ask) == ("60000.00", "60001.00")
        tick.cancel()
    finally:
        await ch.close()
        await server.stop(0)


async def test_errors_map_to_status_codes(handles: SessionHandles) -> None:
    server = await serve(handles, port=0)
    ch, stub, _ = await client(server.bound_port)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.PlaceOrder(
                pb.PlaceOrderRequest(instrument=INST.key, side="buy", type="limit", quantity="0.010", price="60000.05")
            )
        assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT and "price='60000.05'" in err.value.details()
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.PlaceOrder(
                pb.PlaceOrderRequest(instrument=INST.key, side="buy", type="limit", quantity="0.010", price="70000.00")
            )
        assert err.value.code() is grpc.StatusCode.FAILED_PRECONDITION and "PRICE_BAND" in err.value.details()
        assert ("risk-reason", "PRICE_BAND") in tuple(err.value.trailing_metadata())
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.PlaceOrder(pb.PlaceOrderRequest(instrument="x:Y", side="buy", quantity="1"))
        assert err.value.code() is grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.CancelOrder(pb.CancelOrderRequest(client_id="nope"))
        assert err.value.code() is grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.StartStrategy(pb.StrategyName(name="nope"))
        assert err.value.code() is grpc.StatusCode.NOT_FOUND
    finally:
        await ch.close()
        await server.stop(0)


async def test_token_required_when_configured(handles: SessionHandles) -> None:
    server = await serve(handles, port=0, token="s3cret-token")
    try:
        for token in (None, "wrong"):
            ch, stub, md = await client(server.bound_port, token)
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.GetGlobalState(pb.Empty(), metadata=md)
            assert err.value.code() is grpc.StatusCode.UNAUTHENTICATED
            await ch.close()
        ch, stub, md = await client(server.bound_port, "s3cret-token")
        assert (await stub.GetGlobalState(pb.Empty(), metadata=md)).trading_state == "ACTIVE"
        await ch.close()
    finally:
        await server.stop(0)
    with pytest.raises(ValueError, match="needs a token"):
        await serve(handles, port=0, host="0.0.0.0", token="")
