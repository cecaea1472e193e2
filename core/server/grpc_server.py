"""AlephCore over gRPC (grpc.aio): the engine's API for programs.

Binds 127.0.0.1 by default. A bearer token (ALEPH_GRPC_TOKEN) is required when configured, and
always when bound to another address. Errors map to gRPC status codes; a risk refusal is
FAILED_PRECONDITION with the reason code in the trailing metadata (``risk-reason``).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeAlias

import grpc

from alephtx.core.errors import FieldError
from alephtx.core.model import OrderRequest
from alephtx.core.model.fixed import from_fixed
from alephtx.core.state.accounting import CASH_PRECISION
from alephtx.core.strategies import StrategyError
from alephtx.proto import aleph_pb2 as pb
from alephtx.proto import aleph_pb2_grpc as pbg

LOOPBACK = ("127.0.0.1", "localhost", "::1")
Ctx: TypeAlias = grpc.aio.ServicerContext


class TokenCheck(grpc.aio.ServerInterceptor):
    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

        async def deny(request: Any, context: grpc.aio.ServicerContext) -> Any:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "a valid bearer token is required")

        self._deny = grpc.unary_unary_rpc_method_handler(deny)
        self._deny_stream = grpc.unary_stream_rpc_method_handler(deny)

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
    def __init__(self, handles: Any, poll_s: float = 0.05) -> None:
        self.engine = handles.engine
        self.host = handles.host
        self.books = {key: v.books[key] for key, v in handles.venues.items()}
        self.poll_s = poll_s

    def _inst(self, key: str, context: grpc.aio.ServicerContext) -> Any:
        inst = self.engine.instruments.get(key)
        return inst

    async def _need_inst(self, key: str, context: grpc.aio.ServicerContext) -> Any:
        inst = self.engine.instruments.get(key)
        if inst is None:
            await context.abort(
                grpc.StatusCode.NOT_FOUND, f"instrument={key!r}: not traded here ({sorted(self.engine.instruments)})"
            )
        return inst

    # -- market data -----------------------------------------------------------------------------

    async def SubscribeOrderbook(
        self, request: pb.BookRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.BookSnapshot]:
        inst = await self._need_inst(request.instrument, context)
        book = self.books[inst.key]
        depth = request.depth or 10
        last = None
        while True:
            bids, asks = book.depth(depth)
            state = (bids, asks, book.stale)
            if state != last:
                last = state
                yield pb.BookSnapshot(
                    instrument=inst.key,
                    bids=[pb.Level(price=inst.format_price(p), quantity=inst.format_size(q)) for p, q in bids],
                    asks=[pb.Level(price=inst.format_price(p), quantity=inst.format_size(q)) for p, q in asks],
                    ts_ns=self.engine.clock(),
                    stale=book.stale,
                )
            await asyncio.sleep(self.poll_s)

    async def SubscribeTicker(
        self, request: pb.TickerRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.Ticker]:
        inst = await self._need_inst(request.instrument, context)
        book = self.books[inst.key]
        last = None
        while True:
            top = (book.best_bid(), book.best_ask())
            if top != last and top[0] and top[1]:
                last = top
                (bp, bq), (ap, aq) = top
                yield pb.Ticker(
                    instrument=inst.key,
                    bid=inst.format_price(bp),
                    bid_size=inst.format_size(bq),
                    ask=inst.format_price(ap),
                    ask_size=inst.format_size(aq),
                    ts_ns=self.engine.clock(),
                )
            await asyncio.sleep(self.poll_s)

    # -- orders ----------------------------------------------------------------------------------

    async def PlaceOrder(self, request: pb.PlaceOrderRequest, context: Ctx) -> pb.PlaceOrderReply:
        inst = await self._need_inst(request.instrument, context)
        if request.origin.startswith("strategy:"):
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED, "origin: strategy orders come from the strategy host"
            )
        try:
            req = OrderRequest.parse(
                inst,
                request.side,
                request.type or "limit",
                request.quantity,
                request.price or None,
                request.trigger_price or None,
                request.time_in_force or "gtc",
                request.reduce_only,
                request.client_id,
                request.origin or "operator",
            )
        except FieldError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        res = await self.engine.submit(req)
        if not res.verdict.ok:
            context.set_trailing_metadata((("risk-reason", res.verdict.reason.name),))
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, res.verdict.text)
        if res.error:
            await context.abort(grpc.StatusCode.ABORTED, f"venue refused: {res.error}")
        o = self.engine.ledger.orders[res.client_id]
        return pb.PlaceOrderReply(
            client_id=o.client_id,
            status=o.status.value,
            venue_order_id=o.venue_order_id,
            filled=inst.format_size(o.filled),
        )

    async def CancelOrder(
        self, request: pb.CancelOrderRequest, context: grpc.aio.ServicerContext
    ) -> pb.CancelOrderReply:
        result = await self.engine.cancel(request.client_id)
        if isinstance(result, str):
            code = grpc.StatusCode.NOT_FOUND if "no such order" in result else grpc.StatusCode.FAILED_PRECONDITION
            await context.abort(code, result)
        if not result.ok:
            context.set_trailing_metadata((("risk-reason", result.reason.name),))
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, result.text)
        o = self.engine.ledger.orders[request.client_id]
        return pb.CancelOrderReply(client_id=o.client_id, status=o.status.value)

    # -- state -----------------------------------------------------------------------------------

    async def GetPositions(self, request: pb.Empty, context: Ctx) -> pb.Positions:
        out = []
        for key, p in self.engine.ledger.positions.items():
            inst = self.engine.instruments[key]
            out.append(
                pb.Position(
                    instrument=key,
                    quantity=inst.format_size(p.quantity),
                    realised_pnl=from_fixed(p.realised, inst.price_precision + inst.size_precision),
                )
            )
        return pb.Positions(positions=out)

    async def GetBalance(self, request: pb.Empty, context: Ctx) -> pb.Balances:
        out = []
        for name, venue in self.engine.venues.items():
            for b in await venue.get_balances():
                out.append(
                    pb.Balance(
                        venue=name,
                        asset=b.asset,
                        total=from_fixed(b.total, b.precision),
                        available=from_fixed(b.available, b.precision),
                    )
                )
        return pb.Balances(balances=out)

    async def GetGlobalState(self, request: pb.Empty, context: Ctx) -> pb.GlobalState:
        e = self.engine
        return pb.GlobalState(
            trading_state=e.risk.state.name,
            equity=from_fixed(e.equity(), CASH_PRECISION),
            open_orders=len(e.ledger.open_orders()),
            fills=len(e.ledger.fills),
            instruments=sorted(e.instruments),
            ts_ns=e.clock(),
        )

    async def GetRiskStatus(self, request: pb.Empty, context: Ctx) -> pb.RiskStatus:
        st = self.engine.risk.status()
        return pb.RiskStatus(
            state=st["state"],
            halt_reason=st["halt_reason"],
            kill_switch_tripped=st["kill_switch_tripped"],
            gross_exposure=st["gross_exposure"],
            net_exposure=st["net_exposure"],
            limits_json=json.dumps(st["limits"]),
        )

    # -- strategies ------------------------------------------------------------------------------

    def _info(self, st: dict[str, Any]) -> pb.StrategyInfo:
        return pb.StrategyInfo(
            name=st["name"],
            running=st["running"],
            error=st["error"],
            orders_sent=st["orders_sent"],
            params_json=json.dumps(st["params"]),
        )

    async def ListStrategies(self, request: pb.Empty, context: Ctx) -> pb.Strategies:
        return pb.Strategies(strategies=[self._info(s) for s in self.host.status()])

    async def _switch(self, name: str, start: bool, context: grpc.aio.ServicerContext) -> pb.StrategyInfo:
        try:
            await (self.host.start(name) if start else self.host.stop(name, "stopped over gRPC"))
        except StrategyError as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
        return self._info(next(s for s in self.host.status() if s["name"] == name))

    async def StartStrategy(self, request: pb.StrategyName, context: Ctx) -> pb.StrategyInfo:
        return await self._switch(request.name, True, context)

    async def StopStrategy(self, request: pb.StrategyName, context: Ctx) -> pb.StrategyInfo:
        return await self._switch(request.name, False, context)


async def serve(handles: Any, port: int = 0, host: str = "127.0.0.1", token: str | None = None) -> grpc.aio.Server:
    """Start the server; ``server.bound_port`` is the port it listens on."""
    token = token if token is not None else os.environ.get("ALEPH_GRPC_TOKEN") or None
    if host not in LOOPBACK and not token:
        raise ValueError(f"host={host!r}: serving beyond loopback needs a token (ALEPH_GRPC_TOKEN)")
    server = grpc.aio.server(interceptors=[TokenCheck(token)] if token else [])
    pbg.add_AlephCoreServicer_to_server(AlephCore(handles), server)
    bound = server.add_insecure_port(f"{host}:{port}")
    await server.start()
    server.bound_port = bound
    return server
