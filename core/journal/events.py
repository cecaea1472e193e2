"""What the journal records. Each event is a tagged msgspec struct stored as JSON."""

from __future__ import annotations

import msgspec

from alephtx.core.model import Fill, OrderRequest


class OrderNew(msgspec.Struct, tag="order_new", frozen=True):
    """Written BEFORE the order is sent: the intent survives a crash in the middle of sending."""

    client_id: str
    request: OrderRequest
    ts_ns: int
    tag: str = ""  # free text from the origin (a strategy's intent id, a ticket id)


class OrderAck(msgspec.Struct, tag="order_ack", frozen=True):
    """The venue knows the order (``venue_order_id``); ``accepted`` once it is live on the book.

    A venue with latency can acknowledge receipt before it accepts, and may still reject."""

    client_id: str
    venue_order_id: str
    ts_ns: int
    accepted: bool = True


class OrderRejected(msgspec.Struct, tag="order_rejected", frozen=True):
    client_id: str
    reason: str
    ts_ns: int
    by_risk: bool = False


class CancelRequested(msgspec.Struct, tag="cancel_requested", frozen=True):
    client_id: str
    ts_ns: int


class CancelRefused(msgspec.Struct, tag="cancel_refused", frozen=True):
    """The venue refused a cancel; the order goes back to where it was."""

    client_id: str
    reason: str
    ts_ns: int


class OrderDone(msgspec.Struct, tag="order_done", frozen=True):
    """Cancelled or expired at the venue, with what had filled by then."""

    client_id: str
    status: str  # "cancelled" or "expired"
    filled: int
    ts_ns: int
    reason: str = ""


class FillRecorded(msgspec.Struct, tag="fill", frozen=True):
    fill: Fill


class RiskChange(msgspec.Struct, tag="risk", frozen=True):
    kind: str
    detail: str
    by: str
    ts_ns: int


class Reconciled(msgspec.Struct, tag="reconciled", frozen=True):
    """A difference found at start-up against the venue, and what was done about it."""

    venue: str
    difference: str
    action: str
    ts_ns: int


class StrategyChange(msgspec.Struct, tag="strategy", frozen=True):
    """A strategy started or stopped in a node (with its parameters): a restarted node starts
    the strategies that were running and leaves stopped the ones that were stopped."""

    name: str
    running: bool
    params_json: str
    by: str
    ts_ns: int


Event = (
    OrderNew
    | OrderAck
    | OrderRejected
    | CancelRequested
    | CancelRefused
    | OrderDone
    | FillRecorded
    | RiskChange
    | Reconciled
    | StrategyChange
)

ENCODER = msgspec.json.Encoder()
DECODER = msgspec.json.Decoder(Event)


def client_id_of(ev: Event) -> str:
    if isinstance(ev, FillRecorded):
        return ev.fill.client_id
    return getattr(ev, "client_id", "")


def trade_key(ev: Event) -> str | None:
    """Fills are unique per (instrument, trade id): the journal refuses a second copy."""
    if isinstance(ev, FillRecorded):
        return f"{ev.fill.instrument}|{ev.fill.trade_id}"
    return None
