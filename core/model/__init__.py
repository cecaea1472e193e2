"""Domain model: instruments, orders, fills, positions; fixed-point money."""

from alephtx.core.model.enums import Kind, OrderStatus, OrderType, Side, TimeInForce, TradingState
from alephtx.core.model.fixed import Rounding, from_fixed, to_fixed
from alephtx.core.model.instrument import Instrument, VenueRules
from alephtx.core.model.orders import Balance, Fill, Order, OrderRequest, Position

__all__ = [
    "Balance",
    "Fill",
    "Instrument",
    "Kind",
    "Order",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "Position",
    "Rounding",
    "Side",
    "TimeInForce",
    "TradingState",
    "VenueRules",
    "from_fixed",
    "to_fixed",
]
