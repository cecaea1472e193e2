"""OKX sizes its swaps in contracts of ``ctVal`` base units (BTC-USDT-SWAP: 0.01 BTC); the engine
sizes everything in base units. The conversion, both ways, where OKX's numbers enter or leave:
orders, fills, positions, the books and trades channels. Spot pairs are sized in base units
(``contract_size`` is empty): the conversion is the identity there."""

from __future__ import annotations

from decimal import Decimal

from alephtx.core.errors import FieldError
from alephtx.core.model import Instrument
from alephtx.core.model.fixed import to_fixed


def base_size(inst: Instrument, text: str, field: str = "sz") -> int:
    """The venue's size (contracts on a swap) as the instrument's fixed-point base units."""
    ct = inst.rules.contract_size
    if not ct:
        return to_fixed(text, inst.size_precision, field)
    try:
        value = Decimal(text) * Decimal(ct)
    except ArithmeticError:
        raise FieldError(field, text, "not a decimal number") from None
    return to_fixed(value, inst.size_precision, field)


def venue_size(inst: Instrument, quantity: int) -> str:
    """Base units (fixed-point) as the venue's size text (contracts on a swap). A quantity that is
    not a whole number of the venue's lots was refused before (the instrument's lot is the
    venue's lot in base units)."""
    ct = inst.rules.contract_size
    if not ct:
        return inst.format_size(quantity)
    contracts = Decimal(quantity).scaleb(-inst.size_precision) / Decimal(ct)
    return format(contracts.normalize(), "f")
