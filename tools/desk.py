"""The desk: an in-process facade of a running engine for the agent's tools and slash commands.

Every read returns plain JSON-able data with prices and sizes as decimal strings. Orders go only
through tickets (``propose_order`` then ``confirm_order``), always tagged origin "agent" so the
risk engine applies the agent's own limits; the desk can halt trading but never resume it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from alephtx.core.engine.api import EngineAPI, StrategyView
from alephtx.core.errors import FieldError
from alephtx.core.model import Instrument, OrderRequest
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


class Desk:
    """An adapter over :class:`EngineAPI` (``core/engine/api.py``): its typed results as the JSON
    dicts the MCP tools return, plus the agent's tickets and the recent-trades tape."""

    def __init__(self, handles: Any, tickets: TicketBook, *, trades: int = 500) -> None:
        self.engine = handles.engine
        self.host = handles.host
        self.venues = handles.venues  # instrument key -> venue adapter
        self.tickets = tickets
        self.trades: dict[str, deque[TradeRecord]] = {k: deque(maxlen=trades) for k in self.venues}
        # After the replay, market time goes on from its last event at the pace of the wall clock,
        # so that paper fills arrive and the risk engine's rate limits see time pass.
        clock = getattr(handles, "clock", None)
        if clock is not None:  # the session's MarketClock
            self._read, self._move = clock.now, clock.set
        else:  # the session's clock as a one-element list, or none: wall time
            cell = handles.now if getattr(handles, "now", None) is not None else [time.time_ns()]
            self._read = lambda: cell[0]
            self._move = lambda ns: cell.__setitem__(0, max(cell[0], ns))
        self._wall0 = time.monotonic_ns()
        self._market0 = self._read()
        self.api = EngineAPI.from_handles(handles, clock=self._market_now)

    def _market_now(self) -> int:
        self._move(self._market0 + time.monotonic_ns() - self._wall0)
        return self._read()

    async def tick(self) -> None:
        """Move market time to now and deliver what the paper venues did meanwhile (fills)."""
        await self.api.catch_up()

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
        from alephtx.core.config.resources import config_file
        from alephtx.core.config.session import load_session_config
        from alephtx.core.engine import bootstrap
        from alephtx.core.risk import load_limits

        tape: dict[str, deque[TradeRecord]] = {}

        def record(tick: Any) -> None:
            tape.setdefault(tick.instrument, deque(maxlen=500)).append(
                TradeRecord(tick.instrument, tick.price, tick.quantity, tick.aggressor.value, tick.ts_ns)
            )

        def on_ready(handles: Any) -> None:
            handles.host.trade_listeners.append(record)
            ready.append(handles)

        ready: list[Any] = []
        await bootstrap.replay(
            load_session_config(config_file("strategies.toml")),
            load_limits(config_file("risk.toml")),
            workdir / "journal.db",
            capture=capture,
            strategies=strategies,
            on_ready=on_ready,
            keep_open=True,
            risk_state=risk_state,
        )
        ready[0].host.trade_listeners.remove(record)  # the desk keeps its own tape from here
        desk = cls(ready[0], TicketBook(Decimal(approval_notional), ticket_ttl_s, clock))
        for key, rows in tape.items():
            desk.trades[key].extend(rows)
        return desk

    # --- helpers -------------------------------------------------------------------------------------

    def _inst(self, instrument: object) -> Instrument:
        inst = self.api.instrument(instrument)
        if inst is None:
            raise FieldError("instrument", instrument, f"not traded here; one of {self.api.instrument_keys()}")
        return inst

    # --- market --------------------------------------------------------------------------------------

    def instruments(self) -> list[dict[str, Any]]:
        return [asdict(i) for i in self.api.instruments()]

    def ticker(self, instrument: str) -> dict[str, Any]:
        return asdict(self.api.ticker(self._inst(instrument).key))

    def order_book(self, instrument: str, depth: int = 10) -> dict[str, Any]:
        inst = self._inst(instrument)
        if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= 200:
            raise FieldError("depth", depth, "must be an integer from 1 to 200")
        book = self.api.order_book(inst.key, depth)
        fmt = lambda side: [[lv.price, lv.quantity] for lv in side]  # noqa: E731
        return {"instrument": book.instrument, "bids": fmt(book.bids), "asks": fmt(book.asks)}

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
        return [asdict(p) for p in self.api.positions()]

    async def balances(self) -> list[dict[str, Any]]:
        return [asdict(b) for b in await self.api.balances()]

    def open_orders(self) -> list[dict[str, Any]]:
        keys = ("client_id", "instrument", "side", "type", "quantity", "price", "filled", "status", "origin")
        return [{k: getattr(o, k) for k in keys} for o in self.api.open_orders()]

    def pnl(self) -> dict[str, Any]:
        a = self.api.account()
        return {"equity_usd": a.equity_usd, "start_usd": a.start_usd, "pnl_usd": a.pnl_usd, "fills": a.fills}

    # --- trading -------------------------------------------------------------------------------------

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
        quote = self.api.quote(req)
        t = self.tickets.new(
            request=req,
            verdict_ok=verdict.ok,
            verdict=verdict.text if not verdict.ok else "OK",
            expected_price=quote.price,
            notional=quote.notional,
            fees=quote.fees,
            quantity=inst.format_size(req.quantity),
            price=inst.format_price(req.price) if req.price else None,
        )
        return t.view(self.tickets.clock())

    async def confirm_order(self, ticket_id: str) -> dict[str, Any]:
        t = self.tickets.take_for_confirmation(ticket_id)
        res = await self.api.place(t.request)  # returns once the venue acknowledged the order
        await self.tick()
        if res.risk_reason is not None:
            t.result = {"placed": False, "risk_verdict": res.risk_text}
        elif res.venue_error:
            t.result = {"placed": False, "venue_error": res.venue_error}
        else:
            t.result = {"placed": True, "client_id": res.client_id, "status": res.status, "filled": res.filled}
        return {"ticket_id": t.id, **t.result}

    async def cancel_order(self, client_id: str) -> dict[str, Any]:
        if not self.api.has_order(client_id):
            raise FieldError("client_id", client_id, "no such order")
        res = await self.api.cancel(client_id)
        if not res.cancelled:
            return {"client_id": client_id, "cancelled": False, "reason": res.reason}
        return {"client_id": client_id, "cancelled": True, "status": res.status}

    # --- risk ----------------------------------------------------------------------------------------

    def risk_status(self) -> dict[str, Any]:
        st = asdict(self.api.risk_status())
        st["halts"] = list(st["halts"])
        return st

    def halt_trading(self, reason: str, by: str = AGENT) -> dict[str, Any]:
        if not isinstance(reason, str) or not reason.strip():
            raise FieldError("reason", reason, "say why trading should stop")
        st = self.api.halt(reason.strip()[:200], by)
        return {"state": st.state, "halt_reason": st.halt_reason}

    # --- strategies ----------------------------------------------------------------------------------

    @staticmethod
    def _view(s: StrategyView) -> dict[str, Any]:
        keys = ("name", "running", "error", "orders_sent", "params")
        return {k: getattr(s, k) for k in keys}

    def list_strategies(self) -> list[dict[str, Any]]:
        return [self._view(s) for s in self.api.strategies()]

    def _strategy(self, name: object) -> dict[str, Any]:
        s = self.api.strategy(name)
        if s is None:
            raise FieldError("name", name, f"no such strategy; one of {[s.name for s in self.api.strategies()]}")
        return self._view(s)

    def strategy_parameters(self, name: str) -> dict[str, Any]:
        return {"name": name, "params": self._strategy(name)["params"]}

    async def start_strategy(self, name: str) -> dict[str, Any]:
        self._strategy(name)
        try:
            return self._view(await self.api.start_strategy(name))
        except StrategyError as exc:
            raise FieldError("name", name, str(exc)) from None

    async def stop_strategy(self, name: str) -> dict[str, Any]:
        self._strategy(name)
        return self._view(await self.api.stop_strategy(name, "stopped by the agent"))
