"""Drive a paper venue (and whoever listens) with a recorded capture, in market time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from alephtx.core.model import Instrument
from alephtx.core.replay.binance_capture import BinanceCapture, DepthEvent, TickerEvent, TradeEvent
from alephtx.core.venues.paper.venue import PaperVenue


async def replay_into_venue(
    path: str | Path, instrument: Instrument, venue: PaperVenue
) -> AsyncIterator[DepthEvent | TradeEvent]:
    """Feed each depth and trade event to ``venue`` (book sync, matching), deliver its reports,
    then yield the event so the caller can act at that moment of market time."""
    key = instrument.key
    sync = venue.syncs[key]
    for ev in BinanceCapture(path, instrument):
        if isinstance(ev, DepthEvent):
            p = ev.parser
            if ev.is_snapshot:
                nb = p.bid_count
                sync.on_snapshot(p.prices[:nb], p.qtys[:nb], p.prices[nb : p.count], p.qtys[nb : p.count], ev.final_id)
            else:
                sync.on_diff(ev.first_id, ev.final_id, ev.prev_final_id, p.sides, p.prices, p.qtys, 0, p.count)
            if sync.needs_snapshot:
                continue  # no trading on a book that is not in sync
            venue.on_depth(key, ev.exch_ns)
        elif isinstance(ev, TradeEvent):
            venue.on_trade(key, ev.exch_ns, ev.price, ev.quantity, ev.aggressor)
        elif isinstance(ev, TickerEvent):
            continue
        else:
            continue
        await venue.flush()
        yield ev
