"""The order manager: every order goes risk → journal → venue, and every report → journal → state.

- Idempotent: a request whose client id is already known returns that order; nothing is sent.
- Write-ahead: the intent (OrderNew) is durable before the venue hears of it, so a crash while
  sending leaves a record that recovery resolves by asking the venue, never by sending again.
- Uncertain outcomes (timeout, lost connection) are resolved by looking the order up by client
  id, never by resubmitting blindly.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import msgspec

from alephtx.core.journal import Journal
from alephtx.core.journal.events import (
    CancelRefused,
    CancelRequested,
    Event,
    FillRecorded,
    OrderAck,
    OrderDone,
    OrderNew,
    OrderRejected,
)
from alephtx.core.model import Fill, Instrument, Order, OrderRequest, OrderStatus
from alephtx.core.oms.ids import ClientIdFactory
from alephtx.core.risk import Reason, RiskEngine, Verdict
from alephtx.core.state.ledger import Ledger
from alephtx.core.venues.base import ExecReport, VenueAdapter, VenueOrder, VenueRejected, VenueUnavailable

log = logging.getLogger("alephtx.oms")
# Read once: on Python 3.11 a member read off its enum class costs about 50 ns, on every report.
_SUBMITTED = OrderStatus.SUBMITTED
_FILLED = OrderStatus.FILLED
_replace = msgspec.structs.replace


@dataclass(frozen=True)
class SubmitResult:
    client_id: str
    verdict: Verdict
    order: Order | None = None
    error: str = ""  # the venue's refusal, when there was one

    @property
    def ok(self) -> bool:
        return self.verdict.ok and not self.error


class OrderManager:
    def __init__(
        self,
        venues: dict[str, VenueAdapter],
        instruments: dict[str, Instrument],
        risk: RiskEngine,
        journal: Journal,
        ledger: Ledger,
        ids: ClientIdFactory,
        clock: Callable[[], int] = time.time_ns,
        place_timeout_s: float = 5.0,
    ) -> None:
        self.venues = venues
        self.instruments = instruments
        self.risk = risk
        self.journal = journal
        self.ledger = ledger
        self.ids = ids
        self.clock = clock
        self.place_timeout_s = place_timeout_s
        self.report_seq: dict[str, int] = dict.fromkeys(venues, 0)
        # Called after each fill (order, fill) and each end of an order (order, None): strategies.
        self.listeners: list[Callable[[Order, Fill | None], Awaitable[None]]] = []
        self._pending: list[Awaitable[None]] = []
        self._flush_scheduled = False
        for name, v in venues.items():
            v.set_report_handler(functools.partial(self.on_report, name))  # no wrapper coroutine

    def record(self, ev: Event) -> int | None:
        """Journal first, then apply to the ledger: state only ever follows what is durable.

        The journal is flushed when this step of the event loop ends (the SQLite journal then
        moves its logged rows into the database), which keeps that work off the order's path."""
        seq = self.journal.append(ev, self.clock())
        if seq is not None:
            self.ledger.apply(ev, seq)
        if not self._flush_scheduled:
            try:
                asyncio.get_running_loop().call_soon(self._flush)
                self._flush_scheduled = True
            except RuntimeError:  # no loop (a synchronous caller): write now
                self.journal.flush()
        return seq

    def _flush(self) -> None:
        self._flush_scheduled = False
        self.journal.flush()

    # -- new orders ------------------------------------------------------------------------------

    async def submit(self, req: OrderRequest, tag: str = "") -> SubmitResult:
        if req.client_id and req.client_id in self.ledger.orders:
            o = self.ledger.orders[req.client_id]
            return SubmitResult(o.client_id, Verdict(Reason.OK, "already submitted"), o)
        inst = self.instruments.get(req.instrument)
        if inst is None:
            return SubmitResult(req.client_id, Verdict(Reason.INSTRUMENT_UNKNOWN, req.instrument))
        verdict = self.risk.check(req)
        if not verdict.ok:
            return SubmitResult(req.client_id, verdict)
        cid = req.client_id or self.ids.next()
        req = _replace(req, client_id=cid)
        self.record(OrderNew(cid, req, self.clock(), tag))
        venue = self.venues[inst.venue]
        try:
            if venue.inline:
                vo = await venue.place_order(req)
            else:
                async with asyncio.timeout(self.place_timeout_s):  # no task per order, unlike wait_for
                    vo = await venue.place_order(req)
        except VenueRejected as exc:
            self.rejected(cid, str(exc))
            return SubmitResult(cid, verdict, self.ledger.orders[cid], str(exc))
        except (VenueUnavailable, TimeoutError, OSError) as exc:
            log.warning("oms: placing %s had no answer (%s); asking the venue", cid, exc)
            await self.resolve_uncertain(cid)
            return SubmitResult(cid, verdict, self.ledger.orders[cid])
        self.acked(cid, vo)
        return SubmitResult(cid, verdict, self.ledger.orders[cid])

    def acked(self, cid: str, vo: VenueOrder) -> None:
        o = self.ledger.orders[cid]
        if not o.venue_order_id:
            self.record(OrderAck(cid, vo.venue_order_id, self.clock(), vo.status is not _SUBMITTED))

    def rejected(self, cid: str, reason: str) -> None:
        o = self.ledger.orders[cid]
        if o.status.is_terminal:
            return
        self.record(OrderRejected(cid, reason, self.clock()))
        self.risk.on_order_done(o.request.instrument, o.request.side, o.remaining)
        self._notify(o, None)

    async def resolve_uncertain(self, cid: str, attempts: int = 5, wait_s: float = 0.2) -> None:
        """Find out whether the venue got the order: adopt it if so, record a rejection if not."""
        o = self.ledger.orders[cid]
        venue = self.venues[self.instruments[o.request.instrument].venue]
        for i in range(attempts):
            try:
                vo = await asyncio.wait_for(venue.get_order(o.request.instrument, cid), self.place_timeout_s)
            except (VenueUnavailable, TimeoutError, OSError) as exc:
                log.warning("oms: looking up %s failed (%s), try %d of %d", cid, exc, i + 1, attempts)
                await asyncio.sleep(wait_s)
                continue
            if vo is None:
                self.rejected(cid, "NOT_RECEIVED: the venue has no such order (resolved by lookup)")
            else:
                self.acked(cid, vo)
                await self.catch_up(self.instruments[o.request.instrument].venue)
            return
        log.error("oms: the outcome of %s is still unknown; recovery will resolve it", cid)

    # -- cancels ---------------------------------------------------------------------------------

    async def cancel(self, cid: str) -> Verdict | str:
        o = self.ledger.orders.get(cid)
        if o is None:
            return f"client_id={cid!r}: no such order"
        if o.status.is_terminal:
            return f"client_id={cid!r}: the order is already {o.status.value}"
        venue_name = self.instruments[o.request.instrument].venue
        v = self.risk.check_cancel(venue_name)
        if not v.ok:
            return v
        self.record(CancelRequested(cid, self.clock()))
        try:
            async with asyncio.timeout(self.place_timeout_s):
                await self.venues[venue_name].cancel_order(o.request.instrument, cid)
        except VenueRejected as exc:
            # Lost the race (filled or done already): the reports tell the truth; catch up on them.
            log.info("oms: cancel of %s refused: %s", cid, exc)
            await self.catch_up(venue_name)
            if self.ledger.orders[cid].status is OrderStatus.CANCEL_PENDING:
                self.record(CancelRefused(cid, str(exc), self.clock()))
        except (VenueUnavailable, TimeoutError, OSError) as exc:
            log.warning("oms: cancel of %s had no answer (%s)", cid, exc)
        return v

    # -- reports from venues -------------------------------------------------------------------------

    async def on_report(self, venue: str, r: ExecReport) -> None:
        if r.seq <= self.report_seq.get(venue, 0):
            return  # already seen (handler and polling can both deliver it)
        self.report_seq[venue] = r.seq
        o = self.ledger.orders.get(r.client_id)
        if o is None:
            log.warning("oms: %s report for an order this engine did not send: %s", venue, r.client_id)
            return
        if r.kind == "accepted":
            if o.status is _SUBMITTED:
                self.record(OrderAck(r.client_id, r.venue_order_id, r.ts_ns))
        elif r.kind == "fill" and r.fill is not None:
            self.fill(r.fill)
        elif r.kind in ("cancelled", "expired"):
            self.done(r.client_id, r.kind, r.filled, r.ts_ns, r.reason)
        elif r.kind == "rejected":
            self.rejected(r.client_id, r.reason)
        if self._pending:
            await self.drain()

    def fill(self, f: Fill) -> bool:
        """Record a fill once (the journal refuses a second copy) and count it in the risk engine."""
        o = self.ledger.orders.get(f.client_id)
        before = o.status if o is not None else None
        if self.record(FillRecorded(f)) is None:
            return False
        self.risk.on_fill(f.instrument, f.side, f.quantity)
        if o is not None and o.status is _FILLED and before is not _FILLED:
            self.risk.on_order_done(o.request.instrument, o.request.side, 0)
        if o is not None:
            self._notify(o, f)
        return True

    def _notify(self, o: Order, f: Fill | None) -> None:
        for fn in self.listeners:
            self._pending.append(fn(o, f))

    @property
    def has_pending(self) -> bool:
        """Listener calls wait for :meth:`drain`."""
        return bool(self._pending)

    async def drain(self) -> None:
        """Run the listener calls queued by the last reports (kept out of the journaling path)."""
        while self._pending:
            batch, self._pending = self._pending, []
            for coro in batch:
                await coro

    def done(self, cid: str, status: str, filled: int, ts_ns: int, reason: str) -> None:
        """The order ended at the venue (cancelled or expired)."""
        o = self.ledger.orders[cid]
        if o.status.is_terminal:
            return
        self.record(OrderDone(cid, status, filled, ts_ns, reason))
        self.risk.on_order_done(o.request.instrument, o.request.side, o.remaining)
        self._notify(o, None)

    async def catch_up(self, venue: str) -> None:
        """Read every report the venue has after the last one seen (after a gap or a restart)."""
        for r in await self.venues[venue].get_reports(self.report_seq.get(venue, 0)):
            await self.on_report(venue, r)
