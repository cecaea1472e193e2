"""The desk: the agent's tools' view of a node, as plain JSON-able data.

An adapter over the engine service (``core/engine/service.py``): its typed results become the
dicts the MCP tools return, prices and sizes as decimal strings. The service is a
:class:`LocalEngine` (an engine in this process: the embedded paper node that ``aleph mcp`` and
``aleph chat`` start without ``--node``) or a ``RemoteEngine`` (a node over gRPC); the desk does
not know which. Orders go only through tickets (``propose_order`` then ``confirm_order``) tagged
with the desk's origin (``agent``), so the risk engine applies the agent's own limits; the desk
can halt trading but never resume it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from alephtx.core.engine.service import EngineService, LocalEngine
from alephtx.core.engine.tickets import TicketBook
from alephtx.core.errors import FieldError

__all__ = ["Desk"]

AGENT = "agent"


class Desk:
    def __init__(self, service: EngineService, origin: str = AGENT) -> None:
        self.service = service
        self.origin = origin

    # --- construction ------------------------------------------------------------------------------

    @classmethod
    def over_handles(cls, handles: Any, tickets: TicketBook) -> Desk:
        """A desk on a running session's engine in this process (see ``LocalEngine.over_handles``)."""
        return cls(LocalEngine.over_handles(handles, tickets))

    @classmethod
    def attached(cls, address: str | None = None) -> Desk:
        """A desk on the node at ``address`` (``--node``, else ``ALEPH_NODE``, else 127.0.0.1:50051)."""
        from alephtx.core.server.client import RemoteEngine

        return cls(RemoteEngine(address))

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

        ready: list[Any] = []
        tape: list[Any] = []

        def on_ready(handles: Any) -> None:
            handles.host.trade_listeners.append(tape.append)
            ready.append(handles)

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
        ready[0].host.trade_listeners.remove(tape.append)  # the service keeps the tape from here
        local = LocalEngine.over_handles(ready[0], TicketBook(Decimal(approval_notional), ticket_ttl_s, clock))
        for tick in tape:
            local.record_trade(tick)
        return cls(local)

    # --- in process ----------------------------------------------------------------------------------

    @property
    def local(self) -> LocalEngine:
        """The engine in this process (tests, the eval runner); a desk attached to a node has none."""
        if not isinstance(self.service, LocalEngine):
            raise RuntimeError("this desk is attached to a node: its engine is in another process")
        return self.service

    @property
    def engine(self) -> Any:
        return self.local.api.engine

    @property
    def host(self) -> Any:
        return self.local.api.host

    @property
    def tickets(self) -> TicketBook:
        return self.local.tickets

    async def instrument_keys(self) -> list[str]:
        return sorted(i.instrument for i in await self.service.instruments())

    async def close(self) -> None:
        await self.service.close()

    # --- market --------------------------------------------------------------------------------------

    async def instruments(self) -> list[dict[str, Any]]:
        return [asdict(i) for i in await self.service.instruments()]

    async def ticker(self, instrument: str) -> dict[str, Any]:
        return asdict(await self.service.ticker(instrument))

    async def order_book(self, instrument: str, depth: int = 10) -> dict[str, Any]:
        book = await self.service.order_book(instrument, depth)
        fmt = lambda side: [[lv.price, lv.quantity] for lv in side]  # noqa: E731
        return {"instrument": book.instrument, "bids": fmt(book.bids), "asks": fmt(book.asks)}

    async def recent_trades(self, instrument: str, limit: int = 20) -> list[dict[str, Any]]:
        keys = ("price", "quantity", "aggressor", "ts_ns")
        return [{k: getattr(t, k) for k in keys} for t in await self.service.recent_trades(instrument, limit)]

    # --- account -------------------------------------------------------------------------------------

    async def positions(self) -> list[dict[str, Any]]:
        return [asdict(p) for p in await self.service.positions()]

    async def balances(self) -> list[dict[str, Any]]:
        return [asdict(b) for b in await self.service.balances()]

    async def open_orders(self) -> list[dict[str, Any]]:
        keys = ("client_id", "instrument", "side", "type", "quantity", "price", "filled", "status", "origin")
        return [{k: getattr(o, k) for k in keys} for o in await self.service.orders(open_only=True)]

    async def pnl(self) -> dict[str, Any]:
        a = await self.service.account()
        return {"equity_usd": a.equity_usd, "start_usd": a.start_usd, "pnl_usd": a.pnl_usd, "fills": a.fills}

    # --- trading -------------------------------------------------------------------------------------

    async def propose_order(
        self, instrument: str, side: str, quantity: str, type: str = "market", price: str | None = None
    ) -> dict[str, Any]:
        """A ticket: the risk engine's verdict (previewed, nothing counted), expected price, cost
        and fees. Nothing is sent until ``confirm_order``."""
        view = await self.service.propose(instrument, side, type, quantity, price, self.origin)
        out = asdict(view)
        del out["origin"]  # the caller itself
        return out

    async def confirm_order(self, ticket_id: str) -> dict[str, Any]:
        return (await self.service.confirm(ticket_id, self.origin)).as_dict()

    async def cancel_order(self, client_id: str) -> dict[str, Any]:
        res = await self.service.cancel(client_id, self.origin)
        if not res.cancelled:
            return {"client_id": client_id, "cancelled": False, "reason": res.reason}
        return {"client_id": client_id, "cancelled": True, "status": res.status}

    # --- approvals (a person's channel, never a tool) ------------------------------------------------

    async def waiting_ticket(self, ticket_id: str) -> dict[str, Any] | None:
        """The ticket's view when it still waits for a person's approval; None otherwise."""
        try:
            t = await self.service.ticket(ticket_id)
        except FieldError:
            return None
        if not t.needs_approval or t.approved or t.confirmed or t.expires_in_s <= 0:
            return None
        out = asdict(t)
        del out["origin"]
        return out

    async def approve(self, ticket_id: str, by: str) -> None:
        await self.service.approve(ticket_id, by)

    async def all_waiting(self) -> list[dict[str, Any]]:
        return [asdict(t) for t in await self.service.waiting_tickets()]

    # --- risk ----------------------------------------------------------------------------------------

    async def risk_status(self) -> dict[str, Any]:
        st = asdict(await self.service.risk_status())
        st["halts"] = list(st["halts"])
        return st

    async def halt_trading(self, reason: str, by: str = AGENT) -> dict[str, Any]:
        st = await self.service.halt(reason, by)
        return {"state": st.state, "halt_reason": st.halt_reason}

    # --- strategies ----------------------------------------------------------------------------------

    @staticmethod
    def _view(s: Any) -> dict[str, Any]:
        keys = ("name", "running", "error", "orders_sent", "params")
        return {k: dict(s.params) if k == "params" else getattr(s, k) for k in keys}

    async def list_strategies(self) -> list[dict[str, Any]]:
        return [self._view(s) for s in await self.service.strategies()]

    async def strategy_parameters(self, name: str) -> dict[str, Any]:
        loaded = await self.service.strategies()
        for s in loaded:
            if s.name == name:
                return {"name": name, "params": dict(s.params)}
        raise FieldError("name", name, f"no such strategy; one of {[s.name for s in loaded]}")

    async def start_strategy(self, name: str) -> dict[str, Any]:
        return self._view(await self.service.start_strategy(name))

    async def stop_strategy(self, name: str) -> dict[str, Any]:
        return self._view(await self.service.stop_strategy(name, "stopped by the agent"))
