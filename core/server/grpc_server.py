"""AlephCore over gRPC (grpc.aio): the engine's API for programs.

Binds 127.0.0.1 by default. A bearer token (ALEPH_GRPC_TOKEN) is required when configured, and
always when bound to another address.

Every argument is checked here before the engine sees it, and every call, served, refused or
failed, leaves one row in the audit log (``core/server/audit.py``). Errors map to status codes
(``docs/engine.md``): a bad argument is INVALID_ARGUMENT with ``field: rule (got 'value')``;
an unknown instrument, order or strategy NOT_FOUND; a risk refusal FAILED_PRECONDITION with the
reason code in the trailing metadata (``risk-reason``); anything unexpected INTERNAL with a
reference the server log carries (never a traceback). Orders over gRPC come from the operator or
an MCP client (``origin``: empty, ``operator`` or ``mcp:<client>``): the agent places orders
through the MCP tickets (and their approval rule), strategies through the strategy host.
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
import logging
import os
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn, TypeAlias

import grpc
from google.protobuf.message import Message

from alephtx.core.engine.api import EngineAPI, StrategyView
from alephtx.core.engine.service import LocalEngine
from alephtx.core.engine.tickets import TicketBook
from alephtx.core.errors import FieldError
from alephtx.core.model import Instrument, OrderRequest, OrderType, Side, TimeInForce
from alephtx.core.model.origin import Origin
from alephtx.core.risk.codes import Reason
from alephtx.core.server.audit import AuditLog, short
from alephtx.core.server.codec import to_pb
from alephtx.core.strategies import StrategyError
from alephtx.core.venues.base import VenueError, VenueUnavailable
from alephtx.proto import aleph_pb2 as pb
from alephtx.proto import aleph_pb2_grpc as pbg

log = logging.getLogger("alephtx.core.server.grpc")

LOOPBACK = ("127.0.0.1", "localhost", "::1")
Ctx: TypeAlias = grpc.aio.ServicerContext
SC = grpc.StatusCode

INT64_MAX = 2**63 - 1
MICRO = 6  # the risk engine's money unit: notionals are int64 micro units of the quote currency
MAX_DEPTH = 200
DEFAULT_DEPTH = 10

# Patterns use fullmatch and [0-9]/[A-Za-z]: ASCII only (no fullwidth digits, no trailing newline).
DECIMAL = re.compile(r"[0-9]{1,40}(\.[0-9]{1,40})?")
ORIGIN = re.compile(r"operator|mcp:[A-Za-z0-9_.-]{1,64}")
CLIENT_ID = re.compile(r"[A-Za-z0-9]{1,32}")
INSTRUMENT = re.compile(r"[A-Za-z0-9_.-]{1,40}:[A-Za-z0-9_./:-]{1,60}")
STRATEGY = re.compile(r"[A-Za-z0-9_-]{1,64}")
BY = re.compile(r"operator|agent|mcp:[A-Za-z0-9_.-]{1,64}|person:[A-Za-z0-9_.@-]{1,64}")
PROPOSER = re.compile(r"operator|agent|mcp:[A-Za-z0-9_.-]{1,64}")

# The field a risk refusal is about, to name it in the message (the code stays in the metadata).
RISK_FIELD = {
    Reason.QTY_INVALID: "quantity",
    Reason.PRICE_INVALID: "price",
    Reason.PRICE_BAND: "price",
    Reason.NO_MARKET_PRICE: "instrument",
    Reason.INSTRUMENT_UNKNOWN: "instrument",
    Reason.INSTRUMENT_NOT_TRADABLE: "instrument",
    Reason.TRADING_HALTED: "instrument",
    Reason.REDUCE_ONLY_WOULD_INCREASE: "reduce_only",
    Reason.REDUCING_ONLY: "side",
    Reason.ORDER_RATE: "instrument",
    Reason.MAX_OPEN_ORDERS: "instrument",
    Reason.CANCEL_RATE: "client_id",
}  # the rest (notional, position, exposure, balance limits) are about the quantity


class Refused(Exception):
    """A call refused with a status code; ``message`` starts with the field it is about."""

    def __init__(self, code: grpc.StatusCode, message: str, trailing: tuple[tuple[str, str], ...] = ()) -> None:
        self.code = code
        self.message = message
        self.trailing = trailing
        super().__init__(message)


def field_text(field: str, value: object, rule: str) -> str:
    """``field: rule (got 'value…')``, the value shortened to about 60 characters."""
    return f"{field}: {rule} (got {short('' if value is None else value)})"


def _check(field: str, value: str, pattern: re.Pattern[str], rule: str) -> str:
    if not pattern.fullmatch(value):
        raise FieldError(field, value, rule)
    return value


def _choice(field: str, value: str, values: list[str], default: str | None = None) -> str:
    """One of ``values``, ASCII, any case; empty means ``default`` when there is one."""
    if not value and default is not None:
        return default
    if not value.isascii() or value.lower() not in values:
        raise FieldError(field, value, "must be one of " + ", ".join(values))
    return value.lower()


def _decimal(field: str, value: str, required: bool) -> str | None:
    if not value:
        if required:
            raise FieldError(field, value, "is required: a decimal string such as '0.010'")
        return None
    if not DECIMAL.fullmatch(value):
        raise FieldError(field, value, "must be a plain decimal string of ASCII digits such as '61659.70'")
    return value


def _args(request: Any) -> dict[str, Any]:
    if isinstance(request, Message):
        return {f.name: getattr(request, f.name) for f in request.DESCRIPTOR.fields}
    if isinstance(request, _Undecodable):
        return {"bytes": request.size, "decode_error": request.error}
    if isinstance(request, bytes):
        return {"bytes": len(request)}
    return {"request": request}


class _Undecodable:
    """A request whose bytes are not the method's message: refused as INVALID_ARGUMENT, audited."""

    def __init__(self, size: int, error: str) -> None:
        self.size = size
        self.error = error


def _lenient(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if deserializer is None:
        return None

    def parse(raw: bytes) -> Any:
        try:
            return deserializer(raw)
        except Exception as exc:
            return _Undecodable(len(raw), type(exc).__name__)

    return parse


def classify(exc: BaseException) -> tuple[grpc.StatusCode, str, tuple[tuple[str, str], ...]]:
    """The status code, the message for the client and the trailing metadata for an exception."""
    if isinstance(exc, Refused):
        return exc.code, exc.message, exc.trailing
    if isinstance(exc, FieldError):
        return SC.INVALID_ARGUMENT, field_text(exc.field, exc.value, exc.rule), ()
    if isinstance(exc, PermissionError):
        return SC.PERMISSION_DENIED, f"by: {short(str(exc), 160)}", ()
    if isinstance(exc, StrategyError):
        return SC.NOT_FOUND, f"name: {short(str(exc), 160)}", ()
    if isinstance(exc, VenueUnavailable):
        return SC.UNAVAILABLE, f"venue: no answer ({short(exc.code, 40)}); the outcome is not known yet", ()
    if isinstance(exc, VenueError):
        return SC.ABORTED, f"venue: refused: {short(exc.code, 40)}: {short(exc.message, 160)}", ()
    if isinstance(exc, ValueError | OverflowError | TypeError):
        return SC.INVALID_ARGUMENT, f"request: {type(exc).__name__}: {short(str(exc), 160)}", ()
    return SC.INTERNAL, "", ()


class Audited(grpc.aio.ServerInterceptor):
    """Wraps every method: one audit row per call, and every exception mapped to a status code
    (a handler never ends in UNKNOWN). Put first, so the token check's refusals are audited too."""

    def __init__(self, audit: AuditLog) -> None:
        self.audit = audit

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None:
            return handler
        name = details.method.rsplit("/", 1)[-1]
        deser = _lenient(handler.request_deserializer)
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(name, handler.unary_unary), deser, handler.response_serializer
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._stream(name, handler.unary_stream), deser, handler.response_serializer
            )
        return handler  # AlephCore has no client-streaming methods

    @staticmethod
    def _origin(request: Any, context: Ctx) -> str:
        try:
            peer = context.peer()
        except Exception:
            peer = "unknown peer"
        origin = f"grpc:{peer}"
        if isinstance(request, pb.PlaceOrderRequest):
            origin += f" as {short(request.origin or 'operator', 70)}"
        return origin

    def _record(
        self, name: str, origin: str, args: dict[str, Any], t0: float, code: grpc.StatusCode, error: str
    ) -> None:
        try:
            self.audit.record(name, origin, args, code is SC.OK, error, time.perf_counter() - t0, code.name)
        except Exception:  # the audit must never turn a served call into a failed one
            log.exception("audit: could not record %s", name)

    async def _fail(
        self, name: str, origin: str, args: dict[str, Any], t0: float, exc: BaseException, context: Ctx
    ) -> None:
        """Record a failed call and end it with its status code (raises grpc's AbortError)."""
        if isinstance(exc, grpc.aio.AbortError):  # someone aborted with a code already: keep it
            code = context.code()
            code = code if isinstance(code, grpc.StatusCode) else SC.ABORTED
            self._record(name, origin, args, t0, code, short(context.details() or "", 200))
            raise exc
        code, message, trailing = classify(exc)
        if code is SC.INTERNAL:
            ref = secrets.token_hex(4)
            log.error("%s from %s failed (ref %s)", name, origin, ref, exc_info=exc)
            message = f"server: internal error (ref {ref}); the server log has the details"
            self._record(name, origin, args, t0, code, f"{message}: {type(exc).__name__}: {short(str(exc), 200)}")
        else:
            self._record(name, origin, args, t0, code, message)
        if trailing:
            context.set_trailing_metadata(trailing)
        await context.abort(code, message)

    def _unary(self, name: str, behavior: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def call(request: Any, context: Ctx) -> Any:
            t0 = time.perf_counter()
            origin, args = self._origin(request, context), _args(request)
            try:
                if isinstance(request, _Undecodable):
                    raise FieldError("request", f"<{request.size} bytes>", f"is not a valid {name} request message")
                reply = await behavior(request, context)
            except asyncio.CancelledError:
                self._record(name, origin, args, t0, SC.CANCELLED, "cancelled: the client went away")
                raise
            except BaseException as exc:
                await self._fail(name, origin, args, t0, exc, context)
                raise
            self._record(name, origin, args, t0, SC.OK, "")
            return reply

        return call

    def _stream(self, name: str, behavior: Callable[..., Any]) -> Callable[..., AsyncIterator[Any]]:
        async def call(request: Any, context: Ctx) -> AsyncIterator[Any]:
            t0 = time.perf_counter()
            origin, args = self._origin(request, context), _args(request)
            done = False
            try:
                if isinstance(request, _Undecodable):
                    raise FieldError("request", f"<{request.size} bytes>", f"is not a valid {name} request message")
                result = behavior(request, context)
                if inspect.isawaitable(result):
                    await result
                else:
                    async for item in result:
                        yield item
            except (asyncio.CancelledError, GeneratorExit):
                done = True  # a stream ends when its client leaves: served, not failed
                self._record(name, origin, args, t0, SC.OK, "")
                raise
            except BaseException as exc:
                done = True
                await self._fail(name, origin, args, t0, exc, context)
                raise
            finally:
                if not done:
                    self._record(name, origin, args, t0, SC.OK, "")

        return call


class TokenCheck(grpc.aio.ServerInterceptor):
    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()
        refusal = Refused(SC.UNAUTHENTICATED, "authorization: a valid bearer token is required")

        async def deny(request: Any, context: Ctx) -> NoReturn:
            raise refusal

        async def deny_stream(request: Any, context: Ctx) -> AsyncIterator[Any]:
            raise refusal
            yield  # an async generator, as a streaming method's handler is

        self._deny = grpc.unary_unary_rpc_method_handler(deny)
        self._deny_stream = grpc.unary_stream_rpc_method_handler(deny_stream)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        got = dict(details.invocation_metadata or ()).get("authorization", "")
        if hmac.compare_digest(str(got).encode(), self._expected):
            return await continuation(details)
        return self._deny_stream if details.method.endswith(("SubscribeOrderbook", "SubscribeTicker")) else self._deny


class AlephCore(pbg.AlephCoreServicer):
    """An adapter over :class:`EngineAPI` (``core/engine/api.py``): checks the arguments and builds
    protobuf messages from its typed results."""

    def __init__(self, service: Any, poll_s: float = 0.05, operator_token: str | None = None) -> None:
        """``service``: a :class:`LocalEngine` (the node's), or a session's handles (an engine API
        over them, with tickets of its own). ``operator_token``: what Resume and ApproveTicket
        want in the ``x-operator-token`` metadata; without one those calls are refused."""
        if not isinstance(service, LocalEngine):
            service = LocalEngine(EngineAPI.from_handles(service), TicketBook(Decimal("250"), 120.0))
        self.service: LocalEngine = service
        self.api = service.api
        self.engine = service.api.engine
        self.poll_s = poll_s
        self._operator = f"{operator_token}".encode() if operator_token else None

    # -- arguments -------------------------------------------------------------------------------

    def _instrument(self, key: str) -> Instrument:
        if not key:
            raise FieldError("instrument", key, "is required: 'venue:symbol'")
        inst: Instrument | None = self.engine.instruments.get(key)
        if inst is None:
            _check("instrument", key, INSTRUMENT, "must be 'venue:symbol' in ASCII letters, digits and . _ - /")
            known = sorted(self.engine.instruments)
            listed = ", ".join(known[:10]) + (f" and {len(known) - 10} more" if len(known) > 10 else "")
            raise Refused(SC.NOT_FOUND, field_text("instrument", key, f"not traded here (traded: {listed})"))
        return inst

    def _book(self, key: str) -> Instrument:
        inst = self._instrument(key)
        if not self.api.has_book(inst.key):
            raise Refused(SC.NOT_FOUND, field_text("instrument", key, "no book is kept for it here"))
        return inst

    @staticmethod
    def _order_origin(origin: str) -> str:
        if not origin:
            return "operator"
        if origin == Origin.AGENT:
            raise Refused(
                SC.PERMISSION_DENIED,
                field_text(
                    "origin", origin, "the agent places orders through MCP tickets (propose_order, confirm_order)"
                ),
            )
        if Origin.strategy_name(origin) is not None:
            raise Refused(
                SC.PERMISSION_DENIED, field_text("origin", origin, "strategy orders come from the strategy host")
            )
        return _check("origin", origin, ORIGIN, "must be empty, 'operator' or 'mcp:<client>' (letters, digits, . _ -)")

    @staticmethod
    def _client_id(inst: Instrument | None, cid: str, required: bool) -> str:
        if not cid:
            if required:
                raise FieldError("client_id", cid, "is required")
            return cid
        _check("client_id", cid, CLIENT_ID, "must be 1 to 32 ASCII letters or digits")
        if inst is not None:
            rules = inst.rules
            if len(cid) > rules.client_id_max_len or any(c not in rules.client_id_alphabet for c in cid):
                raise FieldError(
                    "client_id", cid, f"must be at most {rules.client_id_max_len} characters the venue accepts"
                )
        return cid

    def _in_range(self, inst: Instrument, req: OrderRequest, request: pb.PlaceOrderRequest) -> None:
        """Values the engine holds in int64 (prices, sizes, micro notionals) must fit one."""
        for field, raw, text in (
            ("quantity", req.quantity, request.quantity),
            ("price", req.price, request.price),
            ("trigger_price", req.trigger_price, request.trigger_price),
        ):
            if raw > INT64_MAX:
                raise FieldError(field, text, "is beyond the engine's range")
        ref = req.price or req.trigger_price or self.engine.mids_x2.get(inst.key, 0) // 2
        scale = inst.price_precision + inst.size_precision
        micro = -(-ref * req.quantity * 10**MICRO // 10**scale)
        if micro > INT64_MAX:
            raise FieldError("quantity", request.quantity, "price × quantity is beyond the engine's range")

    # -- market data -----------------------------------------------------------------------------

    async def SubscribeOrderbook(self, request: pb.BookRequest, context: Ctx) -> AsyncIterator[pb.BookSnapshot]:
        inst = self._book(request.instrument)
        depth = request.depth or DEFAULT_DEPTH
        if not 1 <= depth <= MAX_DEPTH:
            raise FieldError("depth", request.depth, f"must be from 1 to {MAX_DEPTH} (0 means {DEFAULT_DEPTH})")
        last = None
        while True:
            book = self.api.order_book(inst.key, depth)
            if book != last:
                last = book
                yield pb.BookSnapshot(
                    instrument=book.instrument,
                    bids=[pb.Level(price=lv.price, quantity=lv.quantity) for lv in book.bids],
                    asks=[pb.Level(price=lv.price, quantity=lv.quantity) for lv in book.asks],
                    ts_ns=self.api.now_ns(),
                    stale=book.stale,
                )
            await asyncio.sleep(self.poll_s)

    async def SubscribeTicker(self, request: pb.TickerRequest, context: Ctx) -> AsyncIterator[pb.Ticker]:
        inst = self._book(request.instrument)
        last = None
        while True:
            t = self.api.ticker(inst.key)
            top = (t.bid, t.bid_size, t.ask, t.ask_size)
            if top != last and t.bid is not None and t.ask is not None:
                last = top
                yield pb.Ticker(
                    instrument=t.instrument,
                    bid=t.bid,
                    bid_size=t.bid_size,
                    ask=t.ask,
                    ask_size=t.ask_size,
                    ts_ns=self.api.now_ns(),
                )
            await asyncio.sleep(self.poll_s)

    # -- orders ----------------------------------------------------------------------------------

    async def PlaceOrder(self, request: pb.PlaceOrderRequest, context: Ctx) -> pb.PlaceOrderReply:
        origin = self._order_origin(request.origin)
        inst = self._instrument(request.instrument)
        side = _choice("side", request.side, [s.value for s in Side])
        type_ = _choice("type", request.type, [t.value for t in OrderType], "limit")
        tif = _choice("time_in_force", request.time_in_force, [t.value for t in TimeInForce], "gtc")
        quantity = _decimal("quantity", request.quantity, required=True)
        price = _decimal("price", request.price, required=False)
        trigger = _decimal("trigger_price", request.trigger_price, required=False)
        cid = self._client_id(inst, request.client_id, required=False)
        try:
            req = OrderRequest.parse(
                inst, side, type_, quantity or "", price, trigger, tif, request.reduce_only, cid, origin
            )
        except FieldError as exc:
            field = "time_in_force" if exc.field == "tif" else exc.field
            raise FieldError(field, exc.value, exc.rule) from None
        self._in_range(inst, req, request)
        res = await self.api.place(req)
        if res.risk_reason is not None:
            reason = res.risk_reason
            raise Refused(
                SC.FAILED_PRECONDITION,
                f"{RISK_FIELD.get(reason, 'quantity')}: {res.risk_text}",
                (("risk-reason", reason.name),),
            )
        if res.venue_error:
            raise Refused(SC.ABORTED, f"venue: refused: {short(res.venue_error, 200)}")
        return pb.PlaceOrderReply(
            client_id=res.client_id, status=res.status, venue_order_id=res.venue_order_id, filled=res.filled
        )

    async def CancelOrder(self, request: pb.CancelOrderRequest, context: Ctx) -> pb.CancelOrderReply:
        cid = self._client_id(None, request.client_id, required=True)
        res = await self.api.cancel(cid)
        if res.risk_reason is not None:
            raise Refused(
                SC.RESOURCE_EXHAUSTED,
                f"{RISK_FIELD.get(res.risk_reason, 'client_id')}: {res.reason}",
                (("risk-reason", res.risk_reason.name),),
            )
        if not res.cancelled:  # "client_id='x': no such order" or "...: the order is already done"
            rule = res.reason.split(": ", 1)[-1]
            code = SC.NOT_FOUND if "no such order" in res.reason else SC.FAILED_PRECONDITION
            raise Refused(code, field_text("client_id", cid, rule))
        return pb.CancelOrderReply(client_id=res.client_id, status=res.status)

    # -- state -----------------------------------------------------------------------------------

    async def GetPositions(self, request: pb.Empty, context: Ctx) -> pb.Positions:
        return pb.Positions(positions=[to_pb(p, pb.Position) for p in await self.service.positions()])

    async def GetBalance(self, request: pb.Empty, context: Ctx) -> pb.Balances:
        return pb.Balances(
            balances=[
                pb.Balance(venue=b.venue, asset=b.asset, total=b.total, available=b.available)
                for b in await self.api.balances()
            ]
        )

    async def GetGlobalState(self, request: pb.Empty, context: Ctx) -> pb.GlobalState:
        a = self.api.account()
        return pb.GlobalState(
            trading_state=a.trading_state,
            equity=a.equity,
            open_orders=a.open_orders,
            fills=a.fills,
            instruments=self.api.instrument_keys(),
            ts_ns=self.api.now_ns(),
        )

    async def GetRiskStatus(self, request: pb.Empty, context: Ctx) -> pb.RiskStatus:
        return to_pb(await self.service.risk_status(), pb.RiskStatus)

    # -- strategies ------------------------------------------------------------------------------

    @staticmethod
    def _info(st: StrategyView) -> pb.StrategyInfo:
        return to_pb(st, pb.StrategyInfo)

    async def ListStrategies(self, request: pb.Empty, context: Ctx) -> pb.Strategies:
        return pb.Strategies(strategies=[self._info(s) for s in self.api.strategies()])

    async def _switch(self, name: str, start: bool) -> pb.StrategyInfo:
        if not name:
            raise FieldError("name", name, "is required")
        _check("name", name, STRATEGY, "must be 1 to 64 ASCII letters, digits, '-' or '_'")
        if self.api.strategy(name) is None:
            known = ", ".join(self.api.strategy_names()) or "none"
            raise Refused(SC.NOT_FOUND, field_text("name", name, f"no strategy of that name is loaded ({known})"))
        view = await (self.api.start_strategy(name) if start else self.api.stop_strategy(name, "stopped over gRPC"))
        return self._info(view)

    async def StartStrategy(self, request: pb.StrategyName, context: Ctx) -> pb.StrategyInfo:
        return await self._switch(request.name, True)

    async def StopStrategy(self, request: pb.StrategyName, context: Ctx) -> pb.StrategyInfo:
        return await self._switch(request.name, False)

    # -- the rest of the engine service (core/engine/service.py) ----------------------------------
    # Each call checks its arguments' shape here; the service checks their meaning (FieldError).

    def _operator_only(self, context: Ctx, what: str) -> None:
        if self._operator is None:
            raise Refused(
                SC.PERMISSION_DENIED, f"authorization: {what} needs the operator; this node has no ALEPH_OPERATOR_TOKEN"
            )
        got = dict(context.invocation_metadata() or ()).get("x-operator-token", "")
        if not hmac.compare_digest(str(got).encode(), self._operator):
            raise Refused(SC.PERMISSION_DENIED, f"authorization: {what} needs the operator's token (x-operator-token)")

    @staticmethod
    def _by(value: str, default: str) -> str:
        return _check("by", value or default, BY, "must be 'operator', 'agent', 'mcp:<client>' or 'person:<who>'")

    async def ListInstruments(self, request: pb.Empty, context: Ctx) -> pb.Instruments:
        return pb.Instruments(instruments=[to_pb(i, pb.InstrumentInfo) for i in await self.service.instruments()])

    async def GetTicker(self, request: pb.TickerRequest, context: Ctx) -> pb.Ticker:
        inst = self._book(request.instrument)
        msg = to_pb(await self.service.ticker(inst.key), pb.Ticker)
        msg.ts_ns = self.api.now_ns()
        return msg

    async def GetOrderBook(self, request: pb.BookRequest, context: Ctx) -> pb.BookSnapshot:
        inst = self._book(request.instrument)
        depth = request.depth or DEFAULT_DEPTH
        if not 1 <= depth <= MAX_DEPTH:
            raise FieldError("depth", request.depth, f"must be from 1 to {MAX_DEPTH} (0 means {DEFAULT_DEPTH})")
        msg = to_pb(await self.service.order_book(inst.key, depth), pb.BookSnapshot)
        msg.ts_ns = self.api.now_ns()
        return msg

    async def GetRecentTrades(self, request: pb.TradesRequest, context: Ctx) -> pb.Trades:
        inst = self._instrument(request.instrument)
        rows = await self.service.recent_trades(inst.key, request.limit or 20)
        return pb.Trades(trades=[to_pb(t, pb.TradeInfo) for t in rows])

    async def ListOrders(self, request: pb.OrdersRequest, context: Ctx) -> pb.Orders:
        return pb.Orders(orders=[to_pb(o, pb.OrderInfo) for o in await self.service.orders(request.open_only)])

    async def ListFills(self, request: pb.FillsRequest, context: Ctx) -> pb.Fills:
        return pb.Fills(fills=[to_pb(f, pb.FillInfo) for f in await self.service.fills(request.limit or 100)])

    async def GetAccount(self, request: pb.Empty, context: Ctx) -> pb.AccountInfo:
        return to_pb(await self.service.account(), pb.AccountInfo)

    async def Halt(self, request: pb.HaltRequest, context: Ctx) -> pb.RiskStatus:
        by = self._by(request.by, "operator")
        return to_pb(await self.service.halt(request.reason, by), pb.RiskStatus)

    async def Resume(self, request: pb.ResumeRequest, context: Ctx) -> pb.RiskStatus:
        self._operator_only(context, "lifting a halt")
        by = self._by(request.by, "operator")
        return to_pb(await self.service.resume(by), pb.RiskStatus)

    async def ProposeOrder(self, request: pb.ProposeRequest, context: Ctx) -> pb.TicketInfo:
        origin = _check("origin", request.origin or "agent", PROPOSER, "must be 'agent', 'operator' or 'mcp:<client>'")
        inst = self._book(request.instrument)
        price = request.price if request.HasField("price") else None
        view = await self.service.propose(
            inst.key, request.side, request.type or "market", request.quantity, price, origin
        )
        return to_pb(view, pb.TicketInfo)

    async def ConfirmTicket(self, request: pb.TicketRequest, context: Ctx) -> pb.TicketOutcome:
        return to_pb(await self.service.confirm(request.ticket_id, request.origin or "agent"), pb.TicketOutcome)

    async def ApproveTicket(self, request: pb.ApproveRequest, context: Ctx) -> pb.TicketInfo:
        self._operator_only(context, "approving a ticket")
        by = self._by(request.by, "operator")
        try:
            view = await self.service.approve(request.ticket_id, by)
        except PermissionError as exc:
            raise Refused(SC.PERMISSION_DENIED, f"by: {exc}") from None
        return to_pb(view, pb.TicketInfo)

    async def GetTicket(self, request: pb.TicketRequest, context: Ctx) -> pb.TicketInfo:
        return to_pb(await self.service.ticket(request.ticket_id), pb.TicketInfo)

    async def ListWaitingTickets(self, request: pb.Empty, context: Ctx) -> pb.Tickets:
        return pb.Tickets(tickets=[to_pb(t, pb.TicketInfo) for t in await self.service.waiting_tickets()])

    async def GetNodeStatus(self, request: pb.Empty, context: Ctx) -> pb.NodeStatus:
        return to_pb(await self.service.status(), pb.NodeStatus)

    async def Cancel(self, request: pb.CancelOrderRequest, context: Ctx) -> pb.CancelOrderOutcome:
        cid = self._client_id(None, request.client_id, required=True)
        return to_pb(await self.service.cancel(cid, "operator"), pb.CancelOrderOutcome)


async def serve(
    service: Any,
    port: int = 0,
    host: str = "127.0.0.1",
    token: str | None = None,
    audit: AuditLog | str | Path | None = None,
    operator_token: str | None = None,
) -> grpc.aio.Server:
    """Start the server over ``service`` (a :class:`LocalEngine`, or a session's handles);
    ``server.bound_port`` is the port it listens on, ``server.audit`` its audit log: ``audit`` as
    given, a JSON-lines file at that path, else one at $ALEPH_GRPC_AUDIT, else rows in memory and
    in the ``alephtx.core.server.audit`` logger only. ``operator_token`` (default
    $ALEPH_OPERATOR_TOKEN) unlocks Resume and ApproveTicket; it must differ from ``token``."""
    token = token if token is not None else os.environ.get("ALEPH_GRPC_TOKEN") or None
    operator_token = operator_token if operator_token is not None else os.environ.get("ALEPH_OPERATOR_TOKEN") or None
    if host not in LOOPBACK and not token:
        raise ValueError(f"host={host!r}: serving beyond loopback needs a token (ALEPH_GRPC_TOKEN)")
    if operator_token and token and hmac.compare_digest(operator_token, token):
        raise FieldError(
            "ALEPH_OPERATOR_TOKEN", "<same as ALEPH_GRPC_TOKEN>", "must differ: a client could approve itself"
        )
    if not isinstance(audit, AuditLog):
        audit = AuditLog(audit or os.environ.get("ALEPH_GRPC_AUDIT") or None)
    interceptors: list[grpc.aio.ServerInterceptor] = [Audited(audit)]
    if token:
        interceptors.append(TokenCheck(token))
    # No SO_REUSEPORT: a second server on a port in use must fail, not share it with the first.
    server = grpc.aio.server(interceptors=interceptors, options=[("grpc.so_reuseport", 0)])
    pbg.add_AlephCoreServicer_to_server(AlephCore(service, operator_token=operator_token), server)
    bound = server.add_insecure_port(f"{host}:{port}")
    await server.start()
    server.bound_port = bound
    server.audit = audit
    return server
