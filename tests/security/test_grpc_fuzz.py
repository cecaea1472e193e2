"""Fuzz AlephCore over real gRPC on loopback: every method, arguments over their whole range.

Whatever arrives, the server stays up, answers a proper status code (never UNKNOWN or INTERNAL),
names the field in every error, leaves exactly one audit row per call, and the engine's ledger
never holds an order above the per-order notional limit nor one from the agent.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alephtx.core.engine import Engine
from alephtx.core.engine.api import EngineAPI
from alephtx.core.engine.service import LocalEngine
from alephtx.core.engine.session import SessionHandles
from alephtx.core.engine.tickets import TicketBook
from alephtx.core.journal import SqliteJournal
from alephtx.core.model import Instrument
from alephtx.core.risk import RiskEngine, RiskLimits
from alephtx.core.server.audit import AuditLog
from alephtx.core.server.grpc_server import serve
from alephtx.core.strategies import StrategyHost
from alephtx.core.venues.paper import PaperVenue
from alephtx.proto import aleph_pb2 as pb
from alephtx.proto import aleph_pb2_grpc as pbg

T = TypeVar("T")
SC = grpc.StatusCode
INST = Instrument.from_strings("paper", "BTCUSDT", "perp", "0.10", "0.001", "5")
MAX_ORDER_NOTIONAL = Decimal("50000")
FIELD = re.compile(
    r"(instrument|side|type|quantity|price|trigger_price|time_in_force|reduce_only|client_id|origin"
    r"|depth|name|request|venue|limit|reason|by|ticket_id|authorization): \S"
)
ORIGINS = re.compile(r"operator|agent|mcp:[A-Za-z0-9_.-]{1,64}|strategy:[A-Za-z0-9_-]+")
OPERATOR_TOKEN = "p" * 40


def fuzz(examples: int) -> Any:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )


# -- the node under test: engine, paper venue and gRPC server on a loop in their own thread -------


class Node:
    def __init__(self, tmp: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.audit = AuditLog(tmp / "audit.jsonl", keep=100_000)
        self.journal_path = tmp / "j.db"
        self.handles, self.server = self.run(self._start())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.server.bound_port}")
        self.stub = pbg.AlephCoreStub(self.channel)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 10) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _start(self) -> tuple[SessionHandles, Any]:
        venue = PaperVenue([INST])
        venue.books[INST.key].apply_snapshot([6000000, 5999900], [1000, 500], [6000100, 6000200], [1000, 800], 1)
        limits = {
            "global": {"max_order_notional": str(MAX_ORDER_NOTIONAL)},
            "instrument": {INST.key: {"max_position": "1"}},
        }
        engine = Engine(
            [INST],
            {"paper": venue},
            RiskEngine(RiskLimits.model_validate(limits)),
            SqliteJournal(self.journal_path),
            100_000 * 10**12,
        )
        await engine.start()
        engine.on_mid(INST.key, venue.books[INST.key].mid_x2())
        host = StrategyHost(engine, venue.books)
        host.load("grid", "grid", {"instrument": INST.key})
        handles = SessionHandles(engine, host, {INST.key: venue})
        self.service = LocalEngine(EngineAPI.from_handles(handles), TicketBook(Decimal("250"), 120.0))
        return handles, await serve(self.service, port=0, audit=self.audit, operator_token=OPERATOR_TOKEN)

    async def _ledger(self) -> list[tuple[str, int, int]]:
        e = self.handles.engine
        mid = e.mids_x2[INST.key] // 2
        return [(o.request.origin, o.request.quantity, o.request.price or mid) for o in e.ledger.orders.values()]

    def check_invariants(self) -> None:
        """No order above the per-order limit; the agent's only through tickets it confirmed,
        approved by a person when their notional needed it."""
        scale = Decimal(10) ** (INST.price_precision + INST.size_precision)
        tickets = list(self.service.tickets.tickets.values())
        for origin, qty, ref in self.run(self._ledger()):
            assert ORIGINS.fullmatch(origin), origin
            assert Decimal(qty) * ref / scale <= MAX_ORDER_NOTIONAL, (qty, ref)
            if origin == "agent":
                assert any(t.confirmed and t.request.quantity == qty for t in tickets), qty
        for t in tickets:
            assert not (t.confirmed and t.needs_approval and not t.approved_by), t.id

    async def _stop(self) -> None:
        await self.server.stop(0)
        for name in list(self.handles.host.loaded):
            await self.handles.host.stop(name)
        self.handles.engine.journal.close()

    def close(self) -> None:
        self.channel.close()
        self.run(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    n = Node(tmp_path_factory.mktemp("grpc-fuzz"))
    yield n
    n.close()


ALWAYS = {SC.OK, SC.INVALID_ARGUMENT}
CODES = {
    "PlaceOrder": ALWAYS
    | {SC.NOT_FOUND, SC.PERMISSION_DENIED, SC.FAILED_PRECONDITION, SC.ABORTED, SC.RESOURCE_EXHAUSTED},
    "CancelOrder": ALWAYS | {SC.NOT_FOUND, SC.FAILED_PRECONDITION, SC.RESOURCE_EXHAUSTED},
    "StartStrategy": ALWAYS | {SC.NOT_FOUND},
    "StopStrategy": ALWAYS | {SC.NOT_FOUND},
    "SubscribeOrderbook": ALWAYS | {SC.NOT_FOUND},
    "SubscribeTicker": ALWAYS | {SC.NOT_FOUND},
}


def wait_rows(node: Node, n: int, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while len(node.audit.rows) < n and time.monotonic() < deadline:
        time.sleep(0.005)


def checked(node: Node, method: str, call: Callable[[], Any], stream: bool = False) -> grpc.StatusCode:
    """Make one call; check its status, its message, its one audit row; then health and invariants."""
    before = len(node.audit.rows)
    code, details = SC.OK, ""
    trailing: tuple[tuple[str, str], ...] = ()
    try:
        call()
    except grpc.RpcError as exc:
        code, details, trailing = exc.code(), exc.details() or "", tuple(exc.trailing_metadata() or ())
    assert code in CODES.get(method, ALWAYS), (method, code, details)
    if code is not SC.OK:
        assert FIELD.match(details), (method, code, details)
        assert len(details) < 400 and "Traceback" not in details
    if (method, code) in (("PlaceOrder", SC.FAILED_PRECONDITION), ("CancelOrder", SC.RESOURCE_EXHAUSTED)):
        assert any(k == "risk-reason" for k, _ in trailing), details  # a risk refusal names its reason
    if stream:
        wait_rows(node, before + 1)  # a stream's row is written when the server sees it end
    rows = list(node.audit.rows)[before:]
    assert len(rows) == 1 and rows[0]["tool"] == method, rows
    assert rows[0]["code"] == code.name and rows[0]["ok"] is (code is SC.OK)
    assert node.stub.GetGlobalState(pb.Empty(), timeout=5).instruments == [INST.key]  # still up
    node.check_invariants()
    return code


# -- argument strategies -----------------------------------------------------------------------------

CHARS = st.characters(exclude_categories=["Cs"])  # anything UTF-8 can carry, controls included
EDGES = st.sampled_from(
    [
        *(str(v) for v in (2**63 - 1, 2**63, -(2**63), 2**64, 2**70, 10**40)),
        "9223372036854775.90",
        "92233720368547758.07",
        "922337203685477580.7",
        "0.0000000000000000001",
        "0.0019999999999999999999999999999",
        "1e5",
        "1E-3",
        "NaN",
        "inf",
        "-0",
        "0",
        "0.0",
        "-100",
        "+1",
        " 1",
        "1 ",
        "1_000",
        "0x10",
        "١٢٣",
        "１",
        "1.",
        ".5",
        "1..2",
        "",
        "\x00",
        "60000.00\n",
    ]
)
DECIMALS = st.from_regex(r"-?[0-9]{1,25}(\.[0-9]{1,20})?", fullmatch=True)
TEXT = st.text(CHARS, max_size=40)
CONTROL = st.text(st.characters(max_codepoint=31), min_size=1, max_size=8)
LONG = st.builds(lambda c, n: c * n, CHARS, st.integers(100, 50_000))
NOISE = st.one_of(EDGES, DECIMALS, TEXT, CONTROL, LONG)
NEAR_PRICE = st.integers(599_000, 601_000).map(lambda t: f"{t // 10}.{t % 10}0")  # around the 60000.5 mid
SMALL_QTY = st.integers(1, 30).map(lambda n: f"0.{n:03d}")


def one_of(*values: str) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(values), NOISE)


@st.composite
def orders(draw: st.DrawFn) -> pb.PlaceOrderRequest:
    """A plausible order with none, one or two of its fields replaced by noise: so that every
    field, not only the first one checked, meets bad values, and some orders reach risk."""
    type_ = draw(st.sampled_from(["limit", "limit", "limit", "market", "stop_limit", "stop_market", ""]))
    fields: dict[str, Any] = {
        "instrument": draw(st.sampled_from([INST.key] * 6 + ["x:Y", "paper:btcusdt"])),
        "side": draw(st.sampled_from(["buy", "sell", "BUY"])),
        "type": type_,
        "quantity": draw(st.one_of(SMALL_QTY, st.sampled_from(["1", "2.000", "0.0001", "0"]))),
        "price": "" if type_ in ("market", "stop_market") else draw(st.one_of(NEAR_PRICE, EDGES)),
        "trigger_price": draw(NEAR_PRICE) if type_.startswith("stop") else "",
        "time_in_force": draw(st.sampled_from(["gtc", "ioc", "fok", "post_only", ""])),
        "reduce_only": draw(st.booleans()),
        "client_id": draw(st.one_of(st.just(""), st.from_regex(r"[A-Za-z0-9]{1,32}", fullmatch=True))),
        "origin": draw(st.sampled_from(["", "", "operator", "mcp:desk", "agent", "strategy:grid"])),
    }
    text_fields = [k for k in fields if k != "reduce_only"]
    for name in draw(st.lists(st.sampled_from(text_fields), max_size=2, unique=True)):
        fields[name] = draw(NOISE)
    return pb.PlaceOrderRequest(**fields)


# -- the fuzz --------------------------------------------------------------------------------------


@fuzz(90)
@given(req=orders())
def test_place_order(node: Node, req: pb.PlaceOrderRequest) -> None:
    checked(node, "PlaceOrder", lambda: node.stub.PlaceOrder(req, timeout=5))


@fuzz(25)
@given(cid=st.one_of(st.from_regex(r"[A-Za-z0-9]{1,40}", fullmatch=True), NOISE), known=st.booleans())
def test_cancel_order(node: Node, cid: str, known: bool) -> None:
    if known:  # an order that exists, so that cancels are also served
        orders = node.run(_open_ids(node))
        cid = orders[0] if orders else cid
    checked(node, "CancelOrder", lambda: node.stub.CancelOrder(pb.CancelOrderRequest(client_id=cid), timeout=5))


async def _open_ids(node: Node) -> list[str]:
    return [o.client_id for o in node.handles.engine.ledger.open_orders()]


@fuzz(25)
@given(name=one_of("grid", "nope", "grid\n", "GRID", "grid-2"), start=st.booleans())
def test_strategies(node: Node, name: str, start: bool) -> None:
    method = "StartStrategy" if start else "StopStrategy"
    call = getattr(node.stub, method)
    checked(node, method, lambda: call(pb.StrategyName(name=name), timeout=5))


@fuzz(15)
@given(
    instrument=one_of(INST.key, "x:Y"),
    depth=st.one_of(st.sampled_from([0, 1, 200, 201, -1]), st.integers(-(2**31), 2**31 - 1)),
    ticker=st.booleans(),
)
def test_streams(node: Node, instrument: str, depth: int, ticker: bool) -> None:
    method = "SubscribeTicker" if ticker else "SubscribeOrderbook"

    def call() -> None:
        if ticker:
            it = node.stub.SubscribeTicker(pb.TickerRequest(instrument=instrument), timeout=5)
        else:
            it = node.stub.SubscribeOrderbook(pb.BookRequest(instrument=instrument, depth=depth), timeout=5)
        try:
            next(it)
        finally:
            it.cancel()

    checked(node, method, call, stream=True)


SERVICE = pb.DESCRIPTOR.services_by_name["AlephCore"]
UNARY = [m.name for m in SERVICE.methods if not m.server_streaming]
# The engine service's calls (core/engine/service.py) beyond the original eleven.
ENGINE_CALLS = [m for m in SERVICE.methods if m.name not in CODES and not m.server_streaming]
NODE_CODES = ALWAYS | {SC.NOT_FOUND, SC.PERMISSION_DENIED, SC.FAILED_PRECONDITION, SC.ABORTED, SC.RESOURCE_EXHAUSTED}
for _m in ENGINE_CALLS:
    CODES.setdefault(_m.name, NODE_CODES)


@fuzz(40)
@given(method=st.sampled_from(UNARY), raw=st.one_of(st.binary(max_size=300), st.just(b"\x0a\x02\xff\xfe")))
def test_raw_bytes(node: Node, method: str, raw: bytes) -> None:
    """Bytes that may not be the method's message at all (bad UTF-8, truncated fields)."""
    call = node.channel.unary_unary(f"/alephtx.v1.AlephCore/{method}")
    checked(node, method, lambda: call(raw, timeout=5))


def plausible(name: str, node: Node) -> st.SearchStrategy[str]:
    """A value for a string field that gets past the shape checks now and then."""
    tickets = list(node.service.tickets.tickets)
    known = {
        "instrument": one_of(INST.key, "x:Y"),
        "side": one_of("buy", "sell"),
        "type": one_of("market", "limit", ""),
        "quantity": st.one_of(SMALL_QTY, NOISE),
        "price": st.one_of(NEAR_PRICE, NOISE),
        "origin": one_of("agent", "mcp:fuzz", "operator", "strategy:grid", ""),
        "by": one_of("operator", "person:fuzz", "agent", "mcp:x", ""),
        "ticket_id": st.one_of(st.sampled_from(tickets[-3:] or ["t-0"]), NOISE),
        "reason": st.one_of(st.just("fuzz halt"), NOISE),
        "client_id": st.one_of(st.from_regex(r"[A-Za-z0-9]{1,32}", fullmatch=True), NOISE),
    }
    return known.get(name, NOISE)


@st.composite
def engine_calls(draw: st.DrawFn, node: Node) -> tuple[str, Any]:
    """One of the engine-service calls with every field drawn over its type's range."""
    from google.protobuf.descriptor import FieldDescriptor as F
    from google.protobuf.message_factory import GetMessageClass

    method = draw(st.sampled_from(ENGINE_CALLS))
    kw: dict[str, Any] = {}
    for f in method.input_type.fields:
        if f.type == F.TYPE_STRING:
            kw[f.name] = draw(plausible(f.name, node))
        elif f.type == F.TYPE_INT32:
            kw[f.name] = draw(st.one_of(st.sampled_from([0, 1, 20, 500, 501, -1]), st.integers(-(2**31), 2**31 - 1)))
        elif f.type == F.TYPE_BOOL:
            kw[f.name] = draw(st.booleans())
    return method.name, GetMessageClass(method.input_type)(**kw)


@fuzz(150)
@given(data=st.data(), operator=st.booleans())
def test_every_engine_call(node: Node, data: st.DataObject, operator: bool) -> None:
    """Tickets proposed, confirmed and approved, halts and resumes (with and without the
    operator's token), reads with bounds over int32: one proper status and audit row each."""
    name, req = data.draw(engine_calls(node))
    meta = (("x-operator-token", OPERATOR_TOKEN),) if operator else ()
    call = getattr(node.stub, name)
    checked(node, name, lambda: call(req, timeout=5, metadata=meta))
    if name == "Halt":
        node.run(_resume(node))  # keep trading in reach of the next calls


async def _resume(node: Node) -> None:
    node.handles.engine.risk.operator_reset("operator")


def test_operator_calls_need_the_operators_token(node: Node) -> None:
    for token in ((), (("x-operator-token", "q" * 40),)):
        try:
            node.stub.Resume(pb.ResumeRequest(by="operator"), timeout=5, metadata=token)
        except grpc.RpcError as exc:
            assert exc.code() is SC.PERMISSION_DENIED and "operator" in (exc.details() or "")
        else:
            raise AssertionError("Resume without the operator's token was served")
    st_ = node.stub.Resume(pb.ResumeRequest(by="operator"), timeout=5, metadata=(("x-operator-token", OPERATOR_TOKEN),))
    assert st_.state == "ACTIVE"


def test_the_audit_file_has_every_row(node: Node) -> None:
    checked(node, "ListStrategies", lambda: node.stub.ListStrategies(pb.Empty(), timeout=5))
    assert node.audit.path is not None
    rows = [json.loads(line) for line in node.audit.path.read_text().splitlines()]
    assert len(rows) == len(node.audit.rows) > 0 and rows[-1] == node.audit.rows[-1]
    assert node.stub.GetRiskStatus(pb.Empty(), timeout=5).state in ("ACTIVE", "REDUCING")
