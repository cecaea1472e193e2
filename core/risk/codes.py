"""Risk rejection reasons: a stable code, a stable name and a sentence people can act on.

Codes are part of the wire contract (gRPC details, MCP tool results, the journal): never
renumber one; add new ones at the end.
"""

from __future__ import annotations

from enum import IntEnum


class Reason(IntEnum):
    OK = 0
    TRADING_HALTED = 1
    INSTRUMENT_UNKNOWN = 2
    INSTRUMENT_NOT_TRADABLE = 3
    QTY_INVALID = 4
    PRICE_INVALID = 5
    BELOW_MIN_NOTIONAL = 6
    REDUCING_ONLY = 7
    REDUCE_ONLY_WOULD_INCREASE = 8
    MAX_ORDER_NOTIONAL = 9
    AGENT_MAX_ORDER_NOTIONAL = 10
    AGENT_DAILY_BUDGET = 11
    NO_MARKET_PRICE = 12
    PRICE_BAND = 13
    MAX_POSITION = 14
    MAX_GROSS_EXPOSURE_VENUE = 15
    MAX_NET_EXPOSURE_VENUE = 16
    MAX_GROSS_EXPOSURE_TOTAL = 17
    MAX_NET_EXPOSURE_TOTAL = 18
    MAX_OPEN_ORDERS = 19
    ORDER_RATE = 20
    CANCEL_RATE = 21
    INSUFFICIENT_BALANCE = 22


SENTENCES: dict[Reason, str] = {
    Reason.OK: "Accepted by every pre-trade check.",
    Reason.TRADING_HALTED: "Trading is halted; only the operator's reset resumes it.",
    Reason.INSTRUMENT_UNKNOWN: "The instrument is not registered with the risk engine.",
    Reason.INSTRUMENT_NOT_TRADABLE: "The instrument is registered but not tradable now.",
    Reason.QTY_INVALID: "The quantity must be positive and a multiple of the lot size.",
    Reason.PRICE_INVALID: "The price must be positive and a multiple of the tick size.",
    Reason.BELOW_MIN_NOTIONAL: "Price times quantity is below the instrument's minimum notional.",
    Reason.REDUCING_ONLY: "Trading is in REDUCING state: only orders that shrink a position are allowed.",
    Reason.REDUCE_ONLY_WOULD_INCREASE: "A reduce-only order may not open or grow a position, nor flip it.",
    Reason.MAX_ORDER_NOTIONAL: "The order's notional is above the per-order limit.",
    Reason.AGENT_MAX_ORDER_NOTIONAL: "The order's notional is above the agent's per-order budget.",
    Reason.AGENT_DAILY_BUDGET: "The order would take the agent past its notional budget for today.",
    Reason.NO_MARKET_PRICE: "There is no market price to check the order against (empty or stale book).",
    Reason.PRICE_BAND: "The limit price is too far from the market mid (fat-finger guard).",
    Reason.MAX_POSITION: "Filled with the open orders on its side, it would pass the instrument's position limit.",
    Reason.MAX_GROSS_EXPOSURE_VENUE: "Filled, it would pass the venue's gross exposure limit.",
    Reason.MAX_NET_EXPOSURE_VENUE: "Filled, it would pass the venue's net exposure limit.",
    Reason.MAX_GROSS_EXPOSURE_TOTAL: "Filled, it would pass the overall gross exposure limit.",
    Reason.MAX_NET_EXPOSURE_TOTAL: "Filled, it would pass the overall net exposure limit.",
    Reason.MAX_OPEN_ORDERS: "There are already as many open orders as allowed.",
    Reason.ORDER_RATE: "Too many orders on this venue in the last second.",
    Reason.CANCEL_RATE: "Too many cancels on this venue in the last second.",
    Reason.INSUFFICIENT_BALANCE: "The available balance does not cover the order's margin.",
}


def describe(code: int) -> str:
    reason = Reason(code)
    return f"{reason.name}: {SENTENCES[reason]}"
