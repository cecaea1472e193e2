"""AlephCore over real gRPC on loopback: every call, decimal strings, status codes, the token."""

from __future__ import annotations

import asyncio
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
        assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert err.value.details() == "price: must be a multiple of the tick size 0.10 (got '60000.05')"
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


async def test_bad_arguments_name_field_value_and_rule(handles: SessionHandles) -> None:
    server = await serve(handles, port=0)
    ch, stub, _ = await client(server.bound_port)
    ok: dict[str, Any] = {"instrument": INST.key, "side": "buy", "type": "limit", "quantity": "0.010"}
    ok["price"] = "59990.00"
    cases: list[tuple[dict[str, Any], str]] = [
        ({"quantity": "1180591620717411303424"}, "quantity: "),  # 2^70
        ({"price": "99999999999999999999.00"}, "price: "),  # beyond int64
        ({"price": "-100.00"}, "price: "),
        ({"price": "1e5"}, "price: "),
        ({"price": "６００００.00"}, "price: "),  # fullwidth digits
        ({"price": " 60000.00"}, "price: "),
        ({"quantity": ""}, "quantity: is required"),
        ({"side": "hold"}, "side: must be one of buy, sell"),
        ({"type": "iceberg"}, "type: "),
        ({"time_in_force": "gtd"}, "time_in_force: "),
        ({"client_id": "a b"}, "client_id: "),
        ({"client_id": "x" * 33}, "client_id: "),
        ({"origin": "mcp:"}, "origin: "),
        ({"origin": "operator\n"}, "origin: "),
        ({"instrument": "paper:\x00BTC"}, "instrument: "),
        ({"type": "market"}, "price: must be absent"),
    ]
    try:
        for change, start in cases:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.PlaceOrder(pb.PlaceOrderRequest(**{**ok, **change}))
            assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT, (change, err.value.details())
            assert err.value.details().startswith(start) and "(got " in err.value.details(), change
        with pytest.raises(grpc.aio.AioRpcError) as err:  # a long value is shortened in the answer
            await stub.PlaceOrder(pb.PlaceOrderRequest(**{**ok, "side": "s" * 100_000}))
        assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT and len(err.value.details()) < 200
        assert "(100000 chars)" in err.value.details()
        for depth in (-1, 201, 2**31 - 1):
            stream = stub.SubscribeOrderbook(pb.BookRequest(instrument=INST.key, depth=depth))
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stream.read()
            assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
            assert err.value.details().startswith("depth: must be from 1 to 200")
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.StartStrategy(pb.StrategyName(name="grid\n"))
        assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT and err.value.details().startswith("name: ")
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.CancelOrder(pb.CancelOrderRequest(client_id=""))
        assert err.value.details() == "client_id: is required (got '')"
        # Bytes that are not the method's message: INVALID_ARGUMENT, not UNKNOWN or INTERNAL.
        raw = ch.unary_unary("/alephtx.v1.AlephCore/PlaceOrder")
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await raw(b"\x0a\x05\xff\xfe\xfd\xfc\xfb")  # field 1 (a string) that is not UTF-8
        assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT and err.value.details().startswith("request: ")
        # The price that once passed every limit (int64 overflow in the risk core): never accepted.
        for qty in ("0.001", "0.010", "1"):
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.PlaceOrder(pb.PlaceOrderRequest(**{**ok, "price": "9223372036854775.90", "quantity": qty}))
            assert err.value.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION)
            assert err.value.details().startswith(("price: ", "quantity: "))
        assert (await stub.GetGlobalState(pb.Empty())).trading_state == "ACTIVE"
        assert not handles.engine.ledger.orders
    finally:
        await ch.close()
        await server.stop(0)


async def test_orders_over_grpc_come_from_the_operator_or_an_mcp_client(handles: SessionHandles) -> None:
    server = await serve(handles, port=0)
    ch, stub, _ = await client(server.bound_port)
    order: dict[str, Any] = {"instrument": INST.key, "side": "buy", "type": "limit", "quantity": "0.010"}
    order["price"] = "59990.00"
    try:
        for origin in ("agent", "strategy:grid"):
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.PlaceOrder(pb.PlaceOrderRequest(**order, origin=origin))
            assert err.value.code() is grpc.StatusCode.PERMISSION_DENIED
            assert err.value.details().startswith("origin: ")
        assert "MCP tickets" in (await _denied(stub, order, "agent"))
        r = await stub.PlaceOrder(pb.PlaceOrderRequest(**order, origin="mcp:desk-1", client_id="m1"))
        assert r.status == "accepted"
        assert {o.request.origin for o in handles.engine.ledger.orders.values()} == {"mcp:desk-1"}
    finally:
        await ch.close()
        await server.stop(0)


async def _denied(stub: Any, order: dict[str, Any], origin: str) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.PlaceOrder(pb.PlaceOrderRequest(**order, origin=origin))
    return str(err.value.details())


async def test_every_call_is_audited(handles: SessionHandles, tmp_path: Path) -> None:
    path = tmp_path / "audit" / "grpc.jsonl"
    server = await serve(handles, port=0, audit=path)
    ch, stub, _ = await client(server.bound_port)
    try:
        await stub.GetGlobalState(pb.Empty())
        with pytest.raises(grpc.aio.AioRpcError):
            await stub.PlaceOrder(pb.PlaceOrderRequest(instrument=INST.key, side="buy", quantity="9" * 30, price="1"))
        with pytest.raises(grpc.aio.AioRpcError):
            await stub.PlaceOrder(pb.PlaceOrderRequest(instrument=INST.key, side="buy", quantity="1", origin="agent"))
        stream = stub.SubscribeTicker(pb.TickerRequest(instrument=INST.key))
        await stream.read()
        stream.cancel()
        for _ in range(100):  # the stream's row is written when the server sees it end
            if len(server.audit.rows) == 4:
                break
            await asyncio.sleep(0.01)
    finally:
        await ch.close()
        await server.stop(0)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows == list(server.audit.rows)
    assert [(r["tool"], r["ok"], r["code"]) for r in rows] == [
        ("GetGlobalState", True, "OK"),
        ("PlaceOrder", False, "INVALID_ARGUMENT"),
        ("PlaceOrder", False, "PERMISSION_DENIED"),
        ("SubscribeTicker", True, "OK"),
    ]
    assert all(r["origin"].startswith("grpc:ipv4:127.0.0.1:") for r in rows)
    assert rows[1]["origin"].endswith(" as 'operator'") and rows[2]["origin"].endswith(" as 'agent'")
    assert rows[1]["args"]["quantity"] == "9" * 30 and rows[1]["error"].startswith("quantity: ")
    assert set(rows[0]) == {"ts", "origin", "tool", "args", "ok", "code", "error", "ms"}


async def test_an_unexpected_failure_is_internal_and_tells_no_secrets(
    handles: SessionHandles, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> int:
        raise RuntimeError("db password is hunter2")

    monkeypatch.setattr(handles.engine, "equity", broken)
    server = await serve(handles, port=0)
    ch, stub, _ = await client(server.bound_port)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetGlobalState(pb.Empty())
        assert err.value.code() is grpc.StatusCode.INTERNAL
        assert "hunter2" not in err.value.details() and "Traceback" not in err.value.details()
        assert err.value.details().startswith("server: internal error (ref ")
        row = server.audit.rows[-1]
        assert (row["tool"], row["code"]) == ("GetGlobalState", "INTERNAL") and "RuntimeError" in row["error"]
        assert (await stub.GetRiskStatus(pb.Empty())).state == "ACTIVE"  # still serving
    finally:
        await ch.close()
        await server.stop(0)


async def test_refused_tokens_are_audited(handles: SessionHandles) -> None:
    server = await serve(handles, port=0, token="s3cret-token")
    ch, stub, _ = await client(server.bound_port)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.PlaceOrder(pb.PlaceOrderRequest(instrument=INST.key, side="buy", quantity="1"))
        assert err.value.code() is grpc.StatusCode.UNAUTHENTICATED
        stream = stub.SubscribeOrderbook(pb.BookRequest(instrument=INST.key))
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stream.read()
        assert err.value.code() is grpc.StatusCode.UNAUTHENTICATED
    finally:
        await ch.close()
        await server.stop(0)
    assert [(r["tool"], r["code"]) for r in server.audit.rows] == [
        ("PlaceOrder", "UNAUTHENTICATED"),
        ("SubscribeOrderbook", "UNAUTHENTICATED"),
    ]
    assert "s3cret" not in json.dumps(list(server.audit.rows))
