"""Order tickets: what ``propose_order`` returns and ``confirm_order`` places.

A ticket carries the order, the risk verdict of a preview (nothing counted), the expected price,
notional and fees. Above the approval notional a person must approve it before it can be
confirmed; every ticket expires; a ticket is confirmed at most once.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from alephtx.core.errors import FieldError
from alephtx.core.model import OrderRequest

__all__ = ["Approvals", "Ticket", "TicketBook"]


@dataclass
class Ticket:
    id: str
    request: OrderRequest
    quantity: str
    price: str | None
    verdict_ok: bool
    verdict: str
    expected_price: Decimal | None
    notional: Decimal | None
    fees: Decimal | None
    needs_approval: bool
    created: float
    expires: float
    approved_by: str = ""
    confirmed: bool = False
    result: dict[str, Any] = field(default_factory=dict)

    def view(self, now: float) -> dict[str, Any]:
        r = self.request
        return {
            "ticket_id": self.id,
            "instrument": r.instrument,
            "side": r.side.value,
            "type": r.type.value,
            "quantity": self.quantity,
            "price": self.price,
            "risk_ok": self.verdict_ok,
            "risk_verdict": self.verdict,
            "expected_price": str(self.expected_price) if self.expected_price is not None else None,
            "notional_usd": str(self.notional) if self.notional is not None else None,
            "fees_usd": str(self.fees) if self.fees is not None else None,
            "needs_approval": self.needs_approval,
            "approved": bool(self.approved_by),
            "expires_in_s": max(0.0, round(self.expires - now, 1)),
            "confirmed": self.confirmed,
        }


class TicketBook:
    def __init__(self, approval_notional: Decimal, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.approval_notional = approval_notional
        self.ttl_s = ttl_s
        self.clock = clock
        self.tickets: dict[str, Ticket] = {}

    def new(self, **kw: Any) -> Ticket:
        now = self.clock()
        notional = kw.get("notional")
        # Unknown notional (no price to judge by) always needs a person.
        needs = notional is None or notional > self.approval_notional
        t = Ticket(id="t-" + secrets.token_hex(6), needs_approval=needs, created=now, expires=now + self.ttl_s, **kw)
        self.tickets[t.id] = t
        return t

    def get(self, ticket_id: object) -> Ticket:
        if not isinstance(ticket_id, str) or ticket_id not in self.tickets:
            raise FieldError("ticket_id", ticket_id, "no such ticket (propose_order first)")
        return self.tickets[ticket_id]

    def approve(self, ticket_id: str, by: str) -> Ticket:
        """A person's approval (from the chat's prompt or the operator's CLI), never a tool's."""
        t = self.get(ticket_id)
        if not by or by.startswith(("agent", "mcp")):
            raise PermissionError(f"by={by!r}: only a person approves a ticket")
        self._usable(t)
        t.approved_by = by
        return t

    def take_for_confirmation(self, ticket_id: object) -> Ticket:
        """The ticket, marked confirmed, when it may be placed now; FieldError saying why not."""
        t = self.get(ticket_id)
        self._usable(t)
        if not t.verdict_ok:
            raise FieldError("ticket_id", t.id, f"the risk engine refused this order: {t.verdict}")
        if t.needs_approval and not t.approved_by:
            raise FieldError(
                "ticket_id", t.id, f"notional above {self.approval_notional} USD needs a person's approval first"
            )
        t.confirmed = True
        return t

    def _usable(self, t: Ticket) -> None:
        if t.confirmed:
            raise FieldError("ticket_id", t.id, "already confirmed; a ticket is confirmed once")
        if self.clock() > t.expires:
            raise FieldError("ticket_id", t.id, "expired; propose the order again")


class Approvals:
    """What a person can do with a ticket that needs approval: see it, approve it."""

    def __init__(self, tickets: TicketBook) -> None:
        self._tickets = tickets

    def waiting(self, ticket_id: str) -> dict[str, Any] | None:
        """The ticket's view when it still waits for a person; None otherwise."""
        t = self._tickets.tickets.get(ticket_id)
        if t is None or not t.needs_approval or t.approved_by or t.confirmed:
            return None
        return t.view(self._tickets.clock())

    def approve(self, ticket_id: str, by: str) -> None:
        self._tickets.approve(ticket_id, by)

    def all_waiting(self) -> list[dict[str, Any]]:
        return [v for t in list(self._tickets.tickets) if (v := self.waiting(t)) is not None]
