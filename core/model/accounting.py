"""Position accounting on fills, exact in integers; shared by the paper venue and the ledger.

Average-cost method: a fill in the position's direction adds to its cost; a fill against it
closes part of the position and realises PnL against the proportional cost. Money values are in
the instrument's raw notional units (price units x size units); the cash ledger converts them to
CASH_PRECISION decimals.
"""

from __future__ import annotations

import msgspec

from alephtx.core.model.enums import Side
from alephtx.core.model.instrument import Instrument
from alephtx.core.model.orders import Fill

CASH_PRECISION = 12  # decimals of quote-currency cash in balances and PnL


class PositionState(msgspec.Struct):
    instrument: str
    quantity: int = 0  # signed size units
    cost: int = 0  # signed raw notional of the open quantity
    realised: int = 0  # raw notional units
    fees: int = 0  # raw notional units


def apply_fill(p: PositionState, side: Side, qty: int, price: int, fee: int) -> int:
    """Update ``p`` with one fill; returns the PnL it realised (raw notional units)."""
    signed = qty if side is Side.BUY else -qty
    p.fees += fee
    if p.quantity == 0 or (p.quantity > 0) == (signed > 0):
        p.quantity += signed
        p.cost += signed * price
        return 0
    closing = min(qty, abs(p.quantity))
    # Proportional cost of the closed part; floor keeps it exact and the rest stays in the cost.
    closed_cost = p.cost * closing // abs(p.quantity)
    sign = 1 if p.quantity > 0 else -1
    realised = sign * closing * price - closed_cost
    p.cost -= closed_cost
    p.quantity += sign * -closing
    p.realised += realised
    left = qty - closing
    if left:  # the fill flipped the position: the rest opens a new one
        p.quantity += -sign * left
        p.cost += -sign * left * price
    if p.quantity == 0:
        p.cost = 0
    return realised


def to_cash(inst: Instrument, raw: int) -> int:
    """Raw notional units of ``inst`` to cash units (10**-CASH_PRECISION), rounding towards -inf."""
    d = inst.price_precision + inst.size_precision
    if d <= CASH_PRECISION:
        return raw * 10 ** (CASH_PRECISION - d)
    return raw // 10 ** (d - CASH_PRECISION)


def unrealised(p: PositionState, mid_x2: int) -> int:
    """Mark-to-mid PnL in raw notional units x 2 (the mid may be half a tick)."""
    return p.quantity * mid_x2 - 2 * p.cost


def fill_key(f: Fill) -> tuple[str, str]:
    return (f.instrument, f.trade_id)
