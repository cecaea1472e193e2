"""What the readers of JSON-per-line captures share (Hyperliquid's, Bybit's, OKX's): the loop
over ``<recv ns> <json>`` lines, and levels in the shape of the Binance depth parser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import numpy as np

from alephtx.core.model.fixed import to_fixed
from alephtx.core.replay.binance_capture import BadLine, CaptureReader, Event

_DECODER = msgspec.json.Decoder()


class Levels:
    """A snapshot's levels in the shape of the Binance depth parser (bids first, then asks)."""

    __slots__ = ("bid_count", "count", "prices", "qtys", "sides")

    def __init__(self, bids: list[tuple[int, int]], asks: list[tuple[int, int]]) -> None:
        both = bids + asks
        self.count = len(both)
        self.bid_count = len(bids)
        self.sides = np.array([1] * len(bids) + [0] * len(asks), dtype=np.uint8)
        self.prices = np.array([p for p, _ in both], dtype=np.int64)
        self.qtys = np.array([q for _, q in both], dtype=np.int64)


class JsonCapture(CaptureReader):
    """A capture whose lines are decoded whole; ``_message`` says what one means."""

    def _events(self, lines: Iterator[bytes]) -> Iterator[Event]:
        no = 0
        try:
            for no, line in enumerate(lines, 1):
                sp_at = line.find(b" ")
                if sp_at <= 0:
                    if line.strip():
                        yield BadLine(no, "expected '<recv ns> <json>'")
                    continue
                try:
                    msg = _DECODER.decode(line[sp_at + 1 :])
                    if isinstance(msg, dict) and "aleph" in msg:
                        continue  # the recorder's header and gap markers
                    yield from self._message(no, int(line[:sp_at]), msg)
                except (ValueError, KeyError, TypeError, IndexError, msgspec.DecodeError) as exc:
                    yield BadLine(no, f"{type(exc).__name__}: {exc}")
        finally:
            self.lines = no

    def _message(self, no: int, recv: int, msg: Any) -> Iterator[Event]:
        """What one decoded message means: each venue's reader says (Hyperliquid's, Bybit's,
        OKX's); this base reads no venue of its own, so reaching it is a programming error."""
        raise NotImplementedError(f"{type(self).__name__} reads no message: a reader states _message")

    def _px(self, text: str) -> int:
        return to_fixed(text, self.instrument.price_precision, "price")
