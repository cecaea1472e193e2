"""The desk: an in-process facade of a running engine for the agent's tools and slash commands.

Every read returns plain JSON-able data with prices and sizes as decimal strings. Orders go only
through tickets (``propose_order`` then ``confirm_order``), always tagged origin "agent" so the
risk engine applies the agent's own limits; the desk can halt trading but never resume it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from alephtx.core.errors import FieldError
from alephtx.core.model import Instrument, OrderRequest, OrderType, Side
from alephtx.core.model.accounting import CASH_PRECISION
from alephtx.core.model.fixed import from_fixed
from alephtx.core.strategies.host import StrategyError
from alephtx.tools.tickets import TicketBook

__all__ = ["Desk", "TradeRecord"]

AGENT = "agent"


@dataclass(frozen=True, slots=True)
class TradeRecord:
    instrument: str
    price: int
    quantity: int
    side: str
    ts_ns: int


def _dec(value: int, precision: int) -> Decimal:
    return Decimal(value).scaleb(-precision)


def _usd(cash: int) -> str:
    return str(_dec(cash, CASH_PRECISION).quantize(Decimal("0.01")))


class Desk:
    def __init__(self, handles: Any, tickets: TicketBook, *, trades: int = 500) -> None:
        self.engine = handles.engine
        self.host = handles.host
        self.venues = handles.venues  # instrument key -> PaperVenue
        self.tickets = tickets
        self.trades: dict[str, deque[TradeRecord]] = {k: deque(maxlen=trades) for k in self.venues}
        # After the replay, market time goes on from its last event at the pace of the wall clock,
        # so that paper fills arrive and the risk engine's rate limits see time pass.
        self._now = handles.now if handles.now is not None else [time.time_ns()]
        self._wall0 = time.monotonic_ns()
        self._market0 = self._now[0]

    async def tick(self) -> None:
        """Move market time to now and deliver what the paper venues did meanwhile (fills)."""
        self._now[0] = max(self._now[0], self._market0 + time.monotonic_ns() - self._wall0)
        for venue in self.venues.values():
            venue.advance(self._now[0])
            await venue.flush()

    # --- construction ------------------------------------------------------------------------------

    @classmethod
    async def from_replay(
        cls,
        workdir: Path,
        *,
        approval_notional: str = "250",
        ticket_ttl_s: float = 120.0,
        capture: Path | None = None,
        strategies: bool = True,
        clock: Callable[[], float] = time.monotonic,
        risk_state: Path | None = None,
    ) -> Desk:
        """A desk on paper venues after the bundled replay (the configured strategies traded it and
        are stopped, their positions kept): books, positions and history to talk about. The venues,
        strategies and limits are the user's strategies.toml and risk.toml when ``aleph init`` wrote
        them, else the packaged defaults (``core/config/resources.py``).
        ``risk_state`` keeps halts and the agent's daily spend across restarts (the data folder's)."""
        from alephtx.core.config.resources import config_file, sample_capture
        from alephtx.core.engine.session import run_session
        from alephtx.core.engine.up import feeds_and_strategies, load_up_config
        from alephtx.core.risk import load_limits

        config = load_up_config(config_file("strategies.toml"))
        feeds, specs = feeds_and_strategies(config)
        if not strategies:
            specs = []
        tape: dict[str, deque[TradeRecord]] = {}

        def on_ready(handles: Any) -> None:
            record = handles.host.on_trade

            async def on_trade(tick: Any) -> None:
                tape.setdefault(tick.instrument, deque(maxlen=500)).append(
                    TradeRecord(tick.instrument, tick.price, tick.quantity, tick.aggressor.value, tick.ts_ns)
                )
                await record(tick)

            handles.host.on_trade = on_trade
            ready.append(handles)

        ready: list[Any] = []
        workdir.mkdir(parents=True, exist_ok=True)
        await run_session(
            capture or sample_capture(),
            feeds,
            specs,
            load_limits(config_file("risk.toml")),
            workdir / "journal.db",
            config.session.cash_units,
            config.session.timer_ms,
            on_ready=on_ready,
            keep_open=True,
            risk_state=risk_state,
        )
        desk = cls(ready[0], TicketBook(Decimal(approval_notional), ticket_ttl_s, clock))
        for key, rows in tape.items():
            desk.trades[key].extend(rows)
        return desk

    # --- helpers -------------------------------------------------------------------------------------

    def _inst(self, instrument: object) -> Instrument:
        inst = self.engine.instruments.get(instrument) if isinstance(instrument, str) else None
        if inst is None:
            raise FieldError("instrument", instrument, f"not traded here; one of {sorted(self.engine.instruments)}")
        return inst

    def _book(self, inst: Instrument) -> Any:
        return self.venues[inst.key].books[inst.key]

    # --- market --------------------------------------------------------------------------------------

    def instruments(self) -> list[dict[str, Any]]:
        return [
            {
                "instrument": i.key,
                "venue": i.venue,
                "symbol": i.symbol,
                "tick_size": str(_dec(i.tick, i.price_precision)),
                "lot_size": str(_dec(i.lot, i.size_precision)),
            }
            for i in self.engine.instruments.values()
        ]

    def ticker(self, instrument: str) -> dict[str, Any]:
        inst = self._inst(instrument)
        book = self._book(inst)
        bid, ask = book.best_bid(), book.best_ask()
        return {
            "instrument": inst.key,
            "bid": inst.format_price(bid[0]) if bid else None,
            "bid_size": inst.format_size(bid[1]) if bid else None,
            "ask": inst.format_price(ask[0]) if ask else None,
            "ask_size": inst.format_size(ask[1]) if ask else None,
            "mid": str(_dec(book.mid_x2(), inst.price_precision) / 2) if bid and ask else None,
            "stale": bool(book.stale),
        }

    def order_book(self, instrument: str, depth: int = 10) -> dict[str, Any]:
        inst = self._inst(instrument)
        if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= 200:
            raise FieldError("depth", depth, "must be an integer from 1 to 200")
        bids, asks = self._book(inst).depth(depth)
        fmt = lambda side: [[inst.format_price(p), inst.format_size(q)] for p, q in side]  # noqa: E731
        return {"instrument": inst.key, "bids": fmt(bids), "asks": fmt(asks)}

    def recent_trades(self, instrument: str, limit: int = 20) -> list[dict[str, Any]]:
        inst = self._inst(instrument)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 500:
            raise FieldError("limit", limit, "must be an integer from 1 to 500")
        rows = list(self.trades[inst.key])[-limit:]
        return [
            {
                "price": inst.format_price(t.price),
                "quantity": inst.format_size(t.quantity),
                "aggressor": t.side,
                "ts_ns": t.ts_ns,
            }
            for t in rows
        ]

    # --- account -------------------------------------------------------------------------------------

    def positions(self) -> list[dict[str, Any]]:
        out = []
        for key, p in self.engine.ledger.positions.items():
            inst = self.engine.instruments[key]
            scale = inst.price_precision + inst.size_precision
            out.append(
                {
                    "instrument": key,
                    "quantity": inst.format_size(p.quantity),
                    "realised_pnl": from_fixed(p.realised, scale),
                    "fees": from_fixed(p.fees, scale),
                }
            )
        return out

    async def balances(self) -> list[dict[str, Any]]:
        out = []
        for name, venue in self.engine.venues.items():
            for b in await venue.get_balances():
                out.append(
                    {
                        "venue": name,
                        "asset": b.asset,
                        "total": from_fixed(b.total, b.precision),
                        "available": from_fixed(b.available, b.precision),
                    }
                )
        return out

    def open_orders(self) -> list[dict[str, Any]]:
        out = []
        for o in self.engine.ledger.open_orders():
            r, inst = o.request, self.engine.instruments[o.request.instrument]
            out.append(
                {
                    "client_id": o.client_id,
                    "instrument": r.instrument,
                    "side": r.side.value,
                    "type": r.type.value,
                    "quantity": inst.format_size(r.quantity),
                    "price": inst.format_price(r.price) if r.price else None,
                    "filled": inst.format_size(o.filled),
                    "status": o.status.value,
                    "origin": r.origin,
                }
            )
        return out

    def pnl(self) -> dict[str, Any]:
        equity = self.engine.equity()
        start = self.engine.ledger.initial_cash
        return {
            "equity_usd": _usd(equity),
            "start_usd": _usd(start),
            "pnl_usd": _usd(equity - start),
            "fills": len(self.engine.ledger.fills),
        }

    # --- trading -------------------------------------------------------------------------------------

    def _expected(self, inst: Instrument, req: OrderRequest) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
        book = self._book(inst)
        venue = self.venues[inst.key]
        fees = venue.matchers[inst.key].fees
        qty = _dec(req.quantity, inst.size_precision)
        if req.type is OrderType.MARKET:
            bids, asks = book.depth(200)
            levels = asks if req.side is Side.BUY else bids
            left, cost = req.quantity, 0
            for p, q in levels:
                take = min(left, q)
                cost += take * p
                left -= take
                if not left:
                    break
            if left:  # the visible book is not deep enough to say
                return None, None, None
            price = Decimal(cost) / req.quantity
            price = price.scaleb(-inst.price_precision).quantize(Decimal(1).scaleb(-inst.price_precision))
            bps = fees.taker_bps
        else:
            price = _dec(req.price, inst.price_precision)
            bid, ask = book.best_bid(), book.best_ask()
            crosses = (req.side is Side.BUY and ask and req.price >= ask[0]) or (
                req.side is Side.SELL and bid and req.price <= bid[0]
            )
            bps = fees.taker_bps if crosses else fees.maker_bps
        notional = (price * qty).quantize(Decimal("0.01"))
        return price, notional, (notional * bps / 10_000).quantize(Decimal("0.0001"))

    def propose_order(
        self, instrument: str, side: str, quantity: str, type: str = "market", price: str | None = None
    ) -> dict[str, Any]:
        """A ticket: the risk engine's verdict (previewed, nothing counted), expected price, cost
        and fees. Nothing is sent until ``confirm_order``."""
        inst = self._inst(instrument)
        for name, value in (("side", side), ("type", type), ("quantity", quantity)):
            if not isinstance(value, str):
                raise FieldError(name, value, "must be a string")
        if price is not None and not isinstance(price, str):
            raise FieldError("price", price, "must be a decimal string, e.g. '61650.5'")
        req = OrderRequest.parse(inst, side, type, quantity, price, origin=AGENT)
        verdict = self.engine.risk.check(req, commit=False)
        expected, notional, fees = self._expected(inst, req)
        t = self.tickets.new(
            request=req,
            verdict_ok=verdict.ok,
            verdict=verdict.text if not verdict.ok else "OK",
            expected_price=expected,
            notional=notional,
            fees=fees,
            quantity=inst.format_size(req.quantity),
            price=inst.format_price(req.price) if req.price else None,
        )
        return t.view(self.tickets.clock())

    async def confirm_order(self, ticket_id: str) -> dict[str, Any]:
        t = self.tickets.take_for_confirmation(ticket_id)
        await self.tick()
        res = await self.engine.submit(t.request)
        # The paper venue sees the order after its latency in market time: let that time pass.
        await asyncio.sleep(self.venues[t.request.instrument].matchers[t.request.instrument].latency_ns / 1e9 + 0.001)
        await self.tick()
        inst = self.engine.instruments[t.request.instrument]
        if not res.verdict.ok:
            t.result = {"placed": False, "risk_verdict": res.verdict.text}
        elif res.error:
            t.result = {"placed": False, "venue_error": res.error}
        else:
            o = self.engine.ledger.orders[res.client_id]
            t.result = {
                "placed": True,
                "client_id": o.client_id,
                "status": o.status.value,
                "filled": inst.format_size(o.filled),
            }
        return {"ticket_id": t.id, **t.result}

    async def cancel_order(self, client_id: str) -> dict[str, Any]:
        if not isinstance(client_id, str) or client_id not in self.engine.ledger.orders:
            raise FieldError("client_id", client_id, "no such order")
        await self.tick()
        result = await self.engine.cancel(client_id)
        await self.tick()
        if isinstance(result, str):
            return {"client_id": client_id, "cancelled": False, "reason": result}
        if not result.ok:
            return {"client_id": client_id, "cancelled": False, "reason": result.text}
        return {"client_id": client_id, "cancelled": True, "status": self.engine.ledger.orders[client_id].status.value}

    # --- risk ----------------------------------------------------------------------------------------

    def risk_status(self) -> dict[str, Any]:
        return dict(self.engine.risk.status())

    def halt_trading(self, reason: str, by: str = AGENT) -> dict[str, Any]:
        if not isinstance(reason, str) or not reason.strip():
            raise FieldError("reason", reason, "say why trading should stop")
        self.engine.risk.halt(reason.strip()[:200], by)
        return {"state": self.engine.risk.state.name, "halt_reason": self.engine.risk.halt_reason}

    # --- strategies ----------------------------------------------------------------------------------

    def list_strategies(self) -> list[dict[str, Any]]:
        return [{k: s[k] for k in ("name", "running", "error", "orders_sent", "params")} for s in self.host.status()]

    def _strategy(self, name: object) -> dict[str, Any]:
        for s in self.list_strategies():
            if s["name"] == name:
                return s
        raise FieldError("name", name, f"no such strategy; one of {[s['name'] for s in self.list_strategies()]}")

    def strategy_parameters(self, name: str) -> dict[str, Any]:
        return {"name": name, "params": self._strategy(name)["params"]}

    async def start_strategy(self, name: str) -> dict[str, Any]:
        self._strategy(name)
        try:
            await self.host.start(name)
        except StrategyError as exc:
            raise FieldError("name", name, str(exc)) from None
        return self._strategy(name)

    async def stop_strategy(self, name: str) -> dict[str, Any]:
        self._strategy(name)
        await self.host.stop(name, "stopped by the agent")
        return self._strategy(name)
