"""Drive paper venues (and whoever listens) with a recorded capture, in market time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from alephtx.core.model import Instrument
from alephtx.core.replay.binance_capture import BinanceCapture, DepthEvent, TickerEvent, TradeEvent
from alephtx.core.venues.paper.venue import PaperVenue


def apply_depth(
    venue: PaperVenue, key: str, ev: DepthEvent, sides: object, prices: object, qtys: object, n: int
) -> bool:
    """Apply one depth event to the venue's book (its sync procedure); True when the book is usable."""
    sync = venue.syncs[key]
    if ev.is_snapshot:
        nb = ev.parser.bid_count
        sync.on_snapshot(prices[:nb], qtys[:nb], prices[nb:n], qtys[nb:n], ev.final_id)  # type: ignore[index]
    else:
        sync.on_diff(ev.first_id, ev.final_id, ev.prev_final_id, sides, prices, qtys, 0, n)  # type: ignore[arg-type]
    if sync.needs_snapshot:
        return False  # no trading on a book that is not in sync
    venue.on_depth(key, ev.exch_ns)
    return True


async def replay_into_venue(
    path: str | Path, instrument: Instrument, venue: PaperVenue
) -> AsyncIterator[DepthEvent | TradeEvent]:
    """Feed each depth and trade event to ``venue`` (book sync, matching), deliver its reports,
    then yield the event so the caller can act at that moment of market time."""
    key = instrument.key
    for ev in BinanceCapture(path, instrument, tickers=False):
        if isinstance(ev, DepthEvent):
            p = ev.parser
            if not apply_depth(venue, key, ev, p.sides, p.prices, p.qtys, p.count):
                continue
        elif isinstance(ev, TradeEvent):
            venue.on_trade(key, ev.exch_ns, ev.price, ev.quantity, ev.aggressor)
        elif isinstance(ev, TickerEvent):
            continue
        else:
            continue
        await venue.flush()
        yield ev
