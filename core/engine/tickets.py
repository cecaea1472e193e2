"""Order tickets: what ``propose`` returns and ``confirm`` places.

A ticket carries the order, the risk verdict of a preview (nothing counted), the expected price,
notional and fees. Above the approval notional a person must approve it before it can be
confirmed; every ticket expires; a ticket is confirmed at most once. The node keeps the tickets,
so a ticket proposed by one surface (an MCP client) can be approved from another (Telegram, the
approvals endpoint, ``aleph approve``).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from alephtx.core.errors import FieldError
from alephtx.core.model import OrderRequest

__all__ = ["Ticket", "TicketBook", "TicketResult", "TicketView", "is_person"]


def is_person(by: str) -> bool:
    """Who may approve a ticket: a person (``person:<who>``, ``operator``), never a tool's client."""
    return bool(by) and not by.startswith(("agent", "mcp", "strategy"))


@dataclass(frozen=True, slots=True)
class TicketView:
    """A ticket as every surface shows it; money as decimal strings (None: cannot say)."""

    ticket_id: str
    instrument: str
    side: str
    type: str
    quantity: str
    price: str | None
    risk_ok: bool
    risk_verdict: str
    expected_price: str | None
    notional_usd: str | None
    fees_usd: str | None
    needs_approval: bool
    approved: bool
    expires_in_s: float
    confirmed: bool
    origin: str = ""


@dataclass(frozen=True, slots=True)
class TicketResult:
    """What confirming a ticket did: ``placed``, or why not (the risk engine's verdict or the venue's error)."""

    ticket_id: str
    placed: bool
    client_id: str = ""
    status: str = ""
    filled: str = ""
    risk_verdict: str = ""
    venue_error: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The tool result: only the fields that say something."""
        if self.placed:
            keys: tuple[str, ...] = ("client_id", "status", "filled")
        else:
            keys = ("risk_verdict",) if self.risk_verdict else ("venue_error",)
        return {"ticket_id": self.ticket_id, "placed": self.placed, **{k: getattr(self, k) for k in keys}}


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
    result: TicketResult | None = None

    def typed(self, now: float) -> TicketView:
        r = self.request
        dec = lambda d: str(d) if d is not None else None  # noqa: E731
        return TicketView(
            self.id,
            r.instrument,
            r.side.value,
            r.type.value,
            self.quantity,
            self.price,
            self.verdict_ok,
            self.verdict,
            dec(self.expected_price),
            dec(self.notional),
            dec(self.fees),
            self.needs_approval,
            bool(self.approved_by),
            max(0.0, round(self.expires - now, 1)),
            self.confirmed,
            r.origin,
        )

    def view(self, now: float) -> dict[str, Any]:
        v = asdict(self.typed(now))
        del v["origin"]  # the tools' view: who proposed it is the caller itself
        return v


class TicketBook:
    def __init__(self, approval_notional: Decimal, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.approval_notional = approval_notional
        self.ttl_s = ttl_s
        self.clock = clock
        self.tickets: dict[str, Ticket] = {}

    def new(self, **kw: Any) -> Ticket:
        now = self.clock()
        self._forget_old(now)
        notional = kw.get("notional")
        # Unknown notional (no price to judge by) always needs a person.
        needs = notional is None or notional > self.approval_notional
        t = Ticket(id="t-" + secrets.token_hex(6), needs_approval=needs, created=now, expires=now + self.ttl_s, **kw)
        self.tickets[t.id] = t
        return t

    def _forget_old(self, now: float) -> None:
        """A long-running node would keep every ticket: drop those expired a day ago."""
        for tid in [tid for tid, t in self.tickets.items() if now - t.expires > 86_400]:
            del self.tickets[tid]

    def get(self, ticket_id: object) -> Ticket:
        if not isinstance(ticket_id, str) or ticket_id not in self.tickets:
            raise FieldError("ticket_id", ticket_id, "no such ticket (propose_order first)")
        return self.tickets[ticket_id]

    def approve(self, ticket_id: str, by: str) -> Ticket:
        """A person's approval (from the chat's prompt or the operator's CLI), never a tool's."""
        t = self.get(ticket_id)
        if not is_person(by):
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

    def waiting(self) -> list[Ticket]:
        """Tickets that still wait for a person (not expired, not confirmed)."""
        now = self.clock()
        return [
            t
            for t in self.tickets.values()
            if t.needs_approval and not t.approved_by and not t.confirmed and now <= t.expires
        ]

    def _usable(self, t: Ticket) -> None:
        if t.confirmed:
            raise FieldError("ticket_id", t.id, "already confirmed; a ticket is confirmed once")
        if self.clock() > t.expires:
            raise FieldError("ticket_id", t.id, "expired; propose the order again")
