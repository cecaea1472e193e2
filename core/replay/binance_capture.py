"""Reader for raw Binance USD-M WebSocket captures: one ``<recv ns> <json>`` message per line.

The capture holds depth diffs (``@depth``), trades (``@trade``), book tickers (``@bookTicker``)
and REST depth snapshots (a bare object with ``lastUpdateId``). Events carry the local receive
time and the exchange time, both in ns since the epoch.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import msgspec

from alephtx.core.model import Instrument, Side
from alephtx.core.venues.binance.parsing import TICKER_DECODER, TRADE_DECODER, DepthParser, parse_fixed

MS = 1_000_000


@dataclass(slots=True)
class DepthEvent:
    """A depth diff or snapshot. The arrays belong to the reader and change with the next event."""

    recv_ns: int
    exch_ns: int
    is_snapshot: bool
    first_id: int
    final_id: int
    prev_final_id: int
    parser: DepthParser  # sides/prices/qtys[:count]

    @property
    def count(self) -> int:
        return int(self.parser.count)


@dataclass(slots=True, frozen=True)
class TradeEvent:
    recv_ns: int
    exch_ns: int
    trade_id: int
    price: int
    quantity: int
    aggressor: Side


@dataclass(slots=True, frozen=True)
class TickerEvent:
    recv_ns: int
    exch_ns: int
    update_id: int
    bid: int
    bid_qty: int
    ask: int
    ask_qty: int


@dataclass(slots=True, frozen=True)
class BadLine:
    """A line that could not be read; kept so that nothing is lost silently."""

    line_no: int
    error: str


Event = DepthEvent | TradeEvent | TickerEvent | BadLine


def open_lines(path: str | Path) -> tuple[BinaryIO, Iterator[bytes], Callable[[], int], int]:
    """Open a capture (gzipped or plain); also returns a position function over the file size."""
    raw = open(path, "rb")  # noqa: SIM115 - closed by the caller through the returned handle
    size = Path(path).stat().st_size
    head = raw.read(2)
    raw.seek(0)
    stream: BinaryIO = gzip.GzipFile(fileobj=raw) if head == b"\x1f\x8b" else raw  # type: ignore[assignment]
    return stream, iter(stream), raw.tell, size


class BinanceCapture:
    """Iterate a capture as typed events for one instrument. ``tickers=False`` skips the book
    tickers before decoding them (the engine's replay does not use them; they are 70% of lines)."""

    def __init__(self, path: str | Path, instrument: Instrument, tickers: bool = True) -> None:
        self.path = Path(path)
        self.tickers = tickers
        self.instrument = instrument
        self.parser = DepthParser(instrument.price_precision, instrument.size_precision)
        self.position: Callable[[], int] = lambda: 0
        self.size = self.path.stat().st_size

    def __iter__(self) -> Iterator[Event]:
        pp, sp = self.instrument.price_precision, self.instrument.size_precision
        parser = self.parser
        tickers = self.tickers
        handle, lines, self.position, self.size = open_lines(self.path)
        with handle:
            for no, line in enumerate(lines, 1):
                sp_at = line.find(b" ")
                if sp_at <= 0:
                    if line.strip():
                        yield BadLine(no, "expected '<recv ns> <json>'")
                    continue
                head = line[sp_at + 1 : sp_at + 40]
                try:
                    if b"@depth" in head or head.startswith(b'{"lastUpdateId"'):
                        recv = parser.parse_line(line)
                        ex = parser.event_ms * MS if parser.event_ms else recv
                        yield DepthEvent(
                            recv, ex, parser.is_snapshot, parser.first_id, parser.final_id, parser.prev_final_id, parser
                        )
                    elif b"@trade" in head:
                        t = TRADE_DECODER.decode(line[sp_at + 1 :]).data
                        yield TradeEvent(
                            int(line[:sp_at]),
                            t.T * MS,
                            t.t,
                            parse_fixed(t.p, pp),
                            parse_fixed(t.q, sp),
                            Side.SELL if t.m else Side.BUY,
                        )
                    elif b"@bookTicker" in head:
                        if not tickers:
                            continue
                        k = TICKER_DECODER.decode(line[sp_at + 1 :]).data
                        yield TickerEvent(
                            int(line[:sp_at]),
                            (k.T or k.E) * MS,
                            k.u,
                            parse_fixed(k.b, pp),
                            parse_fixed(k.B, sp),
                            parse_fixed(k.a, pp),
                            parse_fixed(k.A, sp),
                        )
                    else:
                        yield BadLine(no, "unknown stream")
                except (ValueError, msgspec.DecodeError, msgspec.ValidationError) as exc:
                    yield BadLine(no, str(exc))
