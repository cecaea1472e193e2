"""The engine ties the pieces together and owns start-up (rebuild and reconcile) and the kill switch."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from alephtx.core.engine.recovery import rebuild, reconcile
from alephtx.core.journal import Journal
from alephtx.core.journal.events import Reconciled, RiskChange
from alephtx.core.model import Instrument, OrderRequest, OrderType, Side
from alephtx.core.model.accounting import CASH_PRECISION
from alephtx.core.oms.ids import ClientIdFactory
from alephtx.core.oms.manager import OrderManager, SubmitResult
from alephtx.core.risk import RiskEngine, Verdict
from alephtx.core.state.ledger import Ledger
from alephtx.core.venues.base import VenueAdapter

log = logging.getLogger("alephtx.engine")
CASH_TO_MICRO = 10 ** (CASH_PRECISION - 6)


class Engine:
    def __init__(
        self,
        instruments: list[Instrument],
        venues: dict[str, VenueAdapter],
        risk: RiskEngine,
        journal: Journal,
        initial_cash: int,
        clock: Callable[[], int] = time.time_ns,
        ids: ClientIdFactory | None = None,
    ) -> None:
        self.instruments = {i.key: i for i in instruments}
        for inst in instruments:
            risk.add_instrument(inst)
        self.risk = risk
        self.journal = journal
        self.ledger = Ledger(self.instruments, initial_cash)
        self.oms = OrderManager(venues, self.instruments, risk, journal, self.ledger, ids or ClientIdFactory(), clock)
        self.venues = venues
        self.clock = clock
        self.mids_x2: dict[str, int] = {}
        self._risk_events_seen = 0
        self._fills_seen = -1
        self.rejections: list[tuple[OrderRequest, Verdict]] = []
        # Called after each submit with (request, result, seconds it took): metrics and the like.
        # Only when there is one does a submit read the timer.
        self.submit_listeners: list[Callable[[OrderRequest, SubmitResult, float], None]] = []

    async def start(
        self, compare_cash: bool = True, after_rebuild: Callable[[Ledger], None] | None = None
    ) -> list[Reconciled]:
        """Rebuild from the journal, then reconcile with every venue. ``after_rebuild(ledger)``
        runs in between (a node's paper venues take their accounts from the journal there)."""
        n = rebuild(self.oms)
        log.info("engine: rebuilt state from %d journal events", n)
        if after_rebuild is not None:
            after_rebuild(self.ledger)
        found: list[Reconciled] = []
        for name in self.venues:
            found += await reconcile(self.oms, name, compare_cash)
        self._balances_to_risk()
        self._journal_risk_events()
        await self.oms.drain()
        return found

    def _balances_to_risk(self) -> None:
        for name in self.venues:
            self.risk.set_balance(name, self.ledger.cash() // CASH_TO_MICRO)

    def _journal_risk_events(self) -> None:
        for ev in self.risk.events[self._risk_events_seen :]:
            self.oms.record(RiskChange(ev.kind, ev.detail, ev.by, ev.ts_ns))
        self._risk_events_seen = len(self.risk.events)

    # -- orders ----------------------------------------------------------------------------------

    async def submit(self, req: OrderRequest, tag: str = "") -> SubmitResult:
        listeners = self.submit_listeners
        t0 = time.perf_counter() if listeners else 0.0
        res = await self.oms.submit(req, tag)
        if self.oms.has_pending:
            await self.oms.drain()
        if not res.verdict.ok:
            self.rejections.append((req, res.verdict))
        self._after_fills()
        if listeners:
            seconds = time.perf_counter() - t0
            for fn in listeners:
                fn(req, res, seconds)
        return res

    async def cancel(self, client_id: str) -> Verdict | str:
        return await self.oms.cancel(client_id)

    async def cancel_all(self) -> None:
        for o in list(self.ledger.open_orders()):
            await self.oms.cancel(o.client_id)

    # -- market and marking ------------------------------------------------------------------------

    def on_mid(self, key: str, mid_x2: int) -> None:
        self.mids_x2[key] = mid_x2
        self.risk.set_mid_x2(key, mid_x2)

    def equity(self) -> int:
        """Cash plus unrealised PnL at the mids, in cash units (10**-CASH_PRECISION)."""
        return self.ledger.cash() + self.ledger.unrealised_cash(self.mids_x2)

    async def mark(self) -> bool:
        """Mark equity against the kill switch; on a trip cancel everything (and flatten if set)."""
        self._balances_to_risk()
        tripped = self.risk.mark_equity(self.equity() // CASH_TO_MICRO, self.clock())
        if tripped:
            await self.cancel_all()
            if self.risk.flatten_on_kill:
                await self.flatten()
        self._journal_risk_events()
        return tripped

    async def flatten(self) -> None:
        """Close every position with reduce-only market orders.

        The kill switch has already halted trading; these orders alone pass the risk engine in
        REDUCING state, so whatever else happens they can only shrink positions."""
        with self.risk.reducing():  # these orders only: they can only shrink positions
            for key, p in self.ledger.positions.items():
                if p.quantity:
                    side = Side.SELL if p.quantity > 0 else Side.BUY
                    req = OrderRequest(
                        key, side, OrderType.MARKET, abs(p.quantity), reduce_only=True, origin="operator"
                    )
                    await self.oms.submit(req, "flatten")

    def _after_fills(self) -> None:
        if len(self.ledger.fills) != self._fills_seen:  # cash moves only with fills
            self._fills_seen = len(self.ledger.fills)
            self._balances_to_risk()
        if len(self.risk.events) != self._risk_events_seen:
            self._journal_risk_events()

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"positions": {}, "orders": {}, "fills": len(self.ledger.fills)}
        for key, p in self.ledger.positions.items():
            inst = self.instruments[key]
            out["positions"][key] = inst.format_size(p.quantity)
        for o in self.ledger.orders.values():
            out["orders"][o.status.value] = out["orders"].get(o.status.value, 0) + 1
        return out
