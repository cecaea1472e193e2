"""``RemoteEngine``: the engine service (``core/engine/service.py``) of a node, over gRPC.

What a surface attached to a node (``aleph mcp --node``, ``aleph chat --node``, ``aleph status``)
holds instead of an engine: the same calls, the same typed results, and the node's refusals as
the same exceptions (:class:`FieldError` naming the field, :class:`PermissionError`), so the desk
and the commands above it cannot tell which side of the wire they are on.

Tokens come from the environment: ``ALEPH_GRPC_TOKEN`` (the node's clients' token, when it asks
for one) and ``ALEPH_OPERATOR_TOKEN`` (the operator's: lifting a halt, approving a ticket).
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc

from alephtx.core.engine.api import (
    Account,
    BalanceView,
    CancelResult,
    InstrumentInfo,
    OpenOrder,
    OrderBook,
    PositionView,
    RiskStatus,
    StrategyView,
    Ticker,
)
from alephtx.core.engine.service import FillView, NodeStatus, TradeView
from alephtx.core.engine.tickets import TicketResult, TicketView
from alephtx.core.errors import AlephError, FieldError
from alephtx.core.server.codec import from_pb
from alephtx.proto import aleph_pb2 as pb
from alephtx.proto import aleph_pb2_grpc as pbg

__all__ = ["DEFAULT_NODE", "NodeUnavailable", "RemoteEngine", "node_address"]

DEFAULT_NODE = "127.0.0.1:50051"
T = TypeVar("T")
SC = grpc.StatusCode
# The server's refusals read "field: rule (got 'value')" (core/server/grpc_server.py, field_text).
FIELD_TEXT = re.compile(r"(?s)([A-Za-z_][A-Za-z0-9_.]*): (.*?)(?: \(got (.*)\))?")
ADDRESS = re.compile(r"[A-Za-z0-9.-]{1,253}:[0-9]{1,5}|\[[0-9A-Fa-f:]{2,39}\]:[0-9]{1,5}")


class NodeUnavailable(AlephError):
    """No node answers at the address (not started, stopped, or another port)."""


def node_address(given: str | None = None) -> str:
    """``--node`` as given, else ``ALEPH_NODE``, else 127.0.0.1:50051; checked as HOST:PORT."""
    address = given or os.environ.get("ALEPH_NODE") or DEFAULT_NODE
    if not ADDRESS.fullmatch(address) or not 0 < int(address.rsplit(":", 1)[1]) < 65536:
        raise FieldError("node", address, "must be HOST:PORT, e.g. 127.0.0.1:50051")
    return address


class RemoteEngine:
    """:class:`EngineService` over a gRPC channel to a node at ``address``."""

    def __init__(self, address: str | None = None, *, timeout_s: float = 10.0) -> None:
        self.address = node_address(address)
        self.timeout_s = timeout_s
        self.name = f"node at {self.address}"
        self._channel = grpc.aio.insecure_channel(self.address)
        self._stub = pbg.AlephCoreStub(self._channel)
        token = os.environ.get("ALEPH_GRPC_TOKEN", "")
        self._meta: tuple[tuple[str, str], ...] = (("authorization", f"Bearer {token}"),) if token else ()
        operator = os.environ.get("ALEPH_OPERATOR_TOKEN", "")
        self._operator_meta = (*self._meta, ("x-operator-token", operator)) if operator else self._meta

    async def _call(self, method: Callable[..., Awaitable[Any]], request: Any, operator: bool = False) -> Any:
        try:
            return await method(
                request, metadata=self._operator_meta if operator else self._meta, timeout=self.timeout_s
            )
        except grpc.aio.AioRpcError as exc:
            raise self._error(exc) from None

    def _error(self, exc: grpc.aio.AioRpcError) -> Exception:
        code, text = exc.code(), exc.details() or ""
        if code is SC.UNAVAILABLE and not text.startswith("venue:"):
            return NodeUnavailable(
                f"no node answers at {self.address} (start one with `aleph node`, or give --node HOST:PORT)"
            )
        if code is SC.DEADLINE_EXCEEDED:
            return NodeUnavailable(f"the node at {self.address} did not answer within {self.timeout_s:g} s")
        if code is SC.UNAUTHENTICATED:
            return PermissionError(f"{text} (set ALEPH_GRPC_TOKEN to the node's token)")
        if code is SC.PERMISSION_DENIED:
            return PermissionError(text)
        if code in (SC.INVALID_ARGUMENT, SC.NOT_FOUND, SC.FAILED_PRECONDITION, SC.RESOURCE_EXHAUSTED):
            m = FIELD_TEXT.fullmatch(text)
            if m:
                field, rule, value = m.group(1), m.group(2), m.group(3)
                return FieldError(field, _unquote(value) if value is not None else "", rule)
        return AlephError(f"node at {self.address}: {code.name}: {text}")

    async def _get(self, method: Callable[..., Awaitable[Any]], request: Any, cls: type[T]) -> T:
        return from_pb(await self._call(method, request), cls)

    # -- market ------------------------------------------------------------------------------

    async def instruments(self) -> list[InstrumentInfo]:
        reply = await self._call(self._stub.ListInstruments, pb.Empty())
        return [from_pb(i, InstrumentInfo) for i in reply.instruments]

    async def ticker(self, instrument: str) -> Ticker:
        return await self._get(self._stub.GetTicker, pb.TickerRequest(instrument=_s(instrument, "instrument")), Ticker)

    async def order_book(self, instrument: str, depth: int) -> OrderBook:
        _int("depth", depth, 1, 200)
        req = pb.BookRequest(instrument=_s(instrument, "instrument"), depth=depth)
        return await self._get(self._stub.GetOrderBook, req, OrderBook)

    async def recent_trades(self, instrument: str, limit: int) -> list[TradeView]:
        _int("limit", limit, 1, 500)
        reply = await self._call(
            self._stub.GetRecentTrades, pb.TradesRequest(instrument=_s(instrument, "instrument"), limit=limit)
        )
        return [from_pb(t, TradeView) for t in reply.trades]

    # -- account -----------------------------------------------------------------------------

    async def positions(self) -> list[PositionView]:
        reply = await self._call(self._stub.GetPositions, pb.Empty())
        return [from_pb(p, PositionView) for p in reply.positions]

    async def balances(self) -> list[BalanceView]:
        reply = await self._call(self._stub.GetBalance, pb.Empty())
        return [from_pb(b, BalanceView) for b in reply.balances]

    async def orders(self, open_only: bool) -> list[OpenOrder]:
        reply = await self._call(self._stub.ListOrders, pb.OrdersRequest(open_only=bool(open_only)))
        return [from_pb(o, OpenOrder) for o in reply.orders]

    async def fills(self, limit: int) -> list[FillView]:
        _int("limit", limit, 1, 10_000)
        reply = await self._call(self._stub.ListFills, pb.FillsRequest(limit=limit))
        return [from_pb(f, FillView) for f in reply.fills]

    async def account(self) -> Account:
        return await self._get(self._stub.GetAccount, pb.Empty(), Account)

    # -- risk --------------------------------------------------------------------------------

    async def risk_status(self) -> RiskStatus:
        return await self._get(self._stub.GetRiskStatus, pb.Empty(), RiskStatus)

    async def halt(self, reason: str, by: str) -> RiskStatus:
        req = pb.HaltRequest(reason=_s(reason, "reason"), by=_s(by, "by"))
        return await self._get(self._stub.Halt, req, RiskStatus)

    async def resume(self, by: str) -> RiskStatus:
        return from_pb(
            await self._call(self._stub.Resume, pb.ResumeRequest(by=_s(by, "by")), operator=True), RiskStatus
        )

    # -- strategies --------------------------------------------------------------------------

    async def strategies(self) -> list[StrategyView]:
        reply = await self._call(self._stub.ListStrategies, pb.Empty())
        return [from_pb(s, StrategyView) for s in reply.strategies]

    async def start_strategy(self, name: str) -> StrategyView:
        return await self._get(self._stub.StartStrategy, pb.StrategyName(name=_s(name, "name")), StrategyView)

    async def stop_strategy(self, name: str, reason: str) -> StrategyView:
        return await self._get(self._stub.StopStrategy, pb.StrategyName(name=_s(name, "name")), StrategyView)

    # -- tickets -----------------------------------------------------------------------------

    async def propose(
        self, instrument: str, side: str, type: str, quantity: str, price: str | None, origin: str
    ) -> TicketView:
        req = pb.ProposeRequest(
            instrument=_s(instrument, "instrument"),
            side=_s(side, "side"),
            type=_s(type, "type"),
            quantity=_s(quantity, "quantity"),
            origin=_s(origin, "origin"),
        )
        if price is not None:
            req.price = _s(price, "price")
        return await self._get(self._stub.ProposeOrder, req, TicketView)

    async def confirm(self, ticket_id: str, origin: str) -> TicketResult:
        req = pb.TicketRequest(ticket_id=_s(ticket_id, "ticket_id"), origin=_s(origin, "origin"))
        return await self._get(self._stub.ConfirmTicket, req, TicketResult)

    async def approve(self, ticket_id: str, by: str) -> TicketView:
        req = pb.ApproveRequest(ticket_id=_s(ticket_id, "ticket_id"), by=_s(by, "by"))
        return from_pb(await self._call(self._stub.ApproveTicket, req, operator=True), TicketView)

    async def ticket(self, ticket_id: str) -> TicketView:
        return await self._get(self._stub.GetTicket, pb.TicketRequest(ticket_id=_s(ticket_id, "ticket_id")), TicketView)

    async def waiting_tickets(self) -> list[TicketView]:
        reply = await self._call(self._stub.ListWaitingTickets, pb.Empty())
        return [from_pb(t, TicketView) for t in reply.tickets]

    async def cancel(self, client_id: str, origin: str) -> CancelResult:
        req = pb.CancelOrderRequest(client_id=_s(client_id, "client_id"))
        return await self._get(self._stub.Cancel, req, CancelResult)

    # -- the node ----------------------------------------------------------------------------

    async def status(self) -> NodeStatus:
        return await self._get(self._stub.GetNodeStatus, pb.Empty(), NodeStatus)

    async def close(self) -> None:
        await self._channel.close()


def _s(value: object, field: str) -> str:
    """A string argument, checked before it travels (protobuf would raise a TypeError naming nothing)."""
    if not isinstance(value, str):
        raise FieldError(field, value, "must be a string")
    return value


def _int(field: str, value: object, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise FieldError(field, value, f"must be an integer from {lo} to {hi}")


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text
