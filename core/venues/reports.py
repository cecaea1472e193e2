"""The execution reports an adapter makes from what it learns, by polling or pushed.

A venue says what happened twice at times (a poll and its user-data stream, a reconnect's
catch-up and a late push): each fill is reported once by its trade id, each order's end once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from alephtx.core.model import Fill, OrderStatus
from alephtx.core.venues.base import ExecReport, VenueOrder

ENDS = {OrderStatus.CANCELLED: "cancelled", OrderStatus.EXPIRED: "expired"}
LEFT_THE_BOOK = (OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.REJECTED)


class ReportLog:
    """Mixed into an adapter: ``reports`` numbered from 1, ``_known`` orders by client id."""

    reports: list[ExecReport]
    _known: dict[str, VenueOrder]
    _fill_ids: set[str]
    # The adapter's own calls (VenueAdapter), which polling asks.
    get_fills: Callable[..., Awaitable[list[Fill]]]
    get_open_orders: Callable[[], Awaitable[list[VenueOrder]]]
    get_order: Callable[[str, str], Awaitable[VenueOrder | None]]

    def _init_reports(self) -> None:
        self.reports = []
        self._known = {}
        self._fill_ids = set()

    async def get_reports(self, since_seq: int = 0) -> list[ExecReport]:
        """Reports made by polling: new fills, and orders that left the book since the last poll."""
        await self.poll()
        return self.reports[since_seq:]

    async def poll(self) -> None:
        for f in await self.get_fills(0):
            self.ingest_fill(f)
        # Orders still in the venue's open listing have not ended: only the others are looked
        # up (one request for the listing, not one per resting order at every poll).
        listed = {o.client_id for o in await self.get_open_orders()} if self._pending_known() else set()
        for cid, o in list(self._known.items()):
            if o.status.is_terminal or cid in listed:
                continue
            now = await self.get_order(o.instrument, cid)
            if now is not None and now.status in LEFT_THE_BOOK:
                self.ingest_done(cid, now.status)

    def ingest_fill(self, f: Fill) -> bool:
        """A fill seen by polling or pushed by the venue's user-data stream: reported once."""
        if f.trade_id in self._fill_ids:
            return False
        self._fill_ids.add(f.trade_id)
        o = self._known.get(f.client_id)
        if o is not None:
            o.filled += f.quantity
            o.status = OrderStatus.FILLED if o.filled >= o.quantity else OrderStatus.PARTIALLY_FILLED
        self._report("fill", f.client_id, o, f)
        return True

    def ingest_done(self, client_id: str, status: OrderStatus) -> bool:
        """An order that left the book (cancelled, expired, rejected), seen by polling or pushed:
        reported once."""
        o = self._known.get(client_id)
        if o is None or o.status.is_terminal:
            return False
        o.status = status
        self._report(ENDS.get(status, "rejected"), client_id, o, None)
        return True

    def track(self, order: VenueOrder) -> None:
        self._known.setdefault(order.client_id, order)

    def _pending_known(self) -> bool:
        """Some order this adapter knows has not ended yet (polling has something to ask)."""
        return any(not o.status.is_terminal for o in self._known.values())

    def reports_since(self, since_seq: int) -> list[ExecReport]:
        """The reports made so far (by polling or pushed), without asking the venue."""
        return self.reports[since_seq:]

    def _report(self, kind: str, cid: str, o: VenueOrder | None, fill: Fill | None) -> None:
        self.reports.append(
            ExecReport(
                len(self.reports) + 1,
                kind,
                cid,
                o.venue_order_id if o else (fill.venue_order_id if fill else ""),
                o.status if o else OrderStatus.FILLED,
                o.filled if o else 0,
                fill.ts_ns if fill else 0,
                fill,
            )
        )
