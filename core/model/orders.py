"""Orders, fills, positions and balances. Money fields are fixed-point integers.

These structs go on the bus as they are (msgspec), so they stay flat and typed. Time is int64
nanoseconds since the Unix epoch.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import TypeVar

import msgspec

from alephtx.core.errors import FieldError
from alephtx.core.model.enums import OrderStatus, OrderType, Side, TimeInForce
from alephtx.core.model.instrument import Instrument
from alephtx.core.model.origin import Origin

E = TypeVar("E", bound=Enum)

# What every venue accepts as a client order id (OKX's alphabet, 32 characters at most).
_CLIENT_ID = re.compile(r"[A-Za-z0-9]{1,32}\Z", re.ASCII)


class OrderRequest(msgspec.Struct, frozen=True):
    """What someone asks for. Build it from decimal strings with :meth:`parse`."""

    instrument: str  # Instrument.key, "venue:symbol"
    side: Side
    type: OrderType
    quantity: int
    price: int = 0
    trigger_price: int = 0
    tif: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False
    client_id: str = ""
    origin: str = "operator"

    @classmethod
    def parse(
        cls,
        instrument: Instrument,
        side: str,
        type: str,
        quantity: str,
        price: str | None = None,
        trigger_price: str | None = None,
        tif: str = "gtc",
        reduce_only: bool = False,
        client_id: str = "",
        origin: str = "operator",
    ) -> OrderRequest:
        if client_id and not (isinstance(client_id, str) and _CLIENT_ID.match(client_id)):
            raise FieldError("client_id", client_id, "1 to 32 ASCII letters or digits (what every venue accepts)")
        side_v = _enum(Side, side, "side")
        type_v = _enum(OrderType, type, "type")
        tif_v = _enum(TimeInForce, tif, "tif")
        qty = instrument.size(quantity, "quantity")
        px = 0
        if type_v.has_price:
            if price is None:
                raise FieldError("price", price, f"is required for a {type_v.value} order")
            px = instrument.price(price, "price")
            instrument.check_min_notional(px, qty)
        elif price is not None:
            raise FieldError("price", price, f"must be absent for a {type_v.value} order")
        trig = 0
        if type_v.has_trigger:
            if trigger_price is None:
                raise FieldError("trigger_price", trigger_price, f"is required for a {type_v.value} order")
            trig = instrument.price(trigger_price, "trigger_price")
        if type_v is OrderType.MARKET and tif_v is TimeInForce.POST_ONLY:
            raise FieldError("tif", tif, "post_only needs a limit order")
        return cls(instrument.key, side_v, type_v, qty, px, trig, tif_v, reduce_only, client_id, Origin.check(origin))


class Order(msgspec.Struct):
    """An order the OMS tracks, with its fills so far."""

    request: OrderRequest
    client_id: str
    status: OrderStatus = OrderStatus.NEW
    venue_order_id: str = ""
    filled: int = 0
    avg_price_num: int = 0  # sum(price * qty) of fills; avg = avg_price_num / filled
    created_ns: int = 0
    updated_ns: int = 0

    @property
    def remaining(self) -> int:
        return self.request.quantity - self.filled


class Fill(msgspec.Struct, frozen=True):
    instrument: str
    client_id: str
    venue_order_id: str
    trade_id: str
    side: Side
    price: int
    quantity: int
    fee: int  # in units of the quote currency at price_precision + size_precision
    liquidity: str  # "maker" or "taker"
    ts_ns: int


class Position(msgspec.Struct):
    instrument: str
    quantity: int = 0  # signed: long > 0, short < 0
    cost: int = 0  # signed sum(price * qty) of the open quantity
    realised_pnl: int = 0


class Balance(msgspec.Struct):
    venue: str
    asset: str
    total: int
    available: int
    precision: int


def _enum(enum: type[E], value: object, field: str) -> E:
    try:
        if isinstance(value, str) and not value.isascii():  # "K" (Kelvin) lowercases to "k"
            raise ValueError(value)
        return enum(value.lower() if isinstance(value, str) else value)
    except ValueError:
        raise FieldError(field, value, f"must be one of {[e.value for e in enum]}") from None
