"""Reader for Hyperliquid WebSocket captures: one ``<recv ns> <json>`` message per line, as the
public channels send them: ``l2Book`` (the top levels of both sides, a whole book every time)
and ``trades`` (a list of trades, ``side`` "B" when the buyer took liquidity, "A" when the seller
did). Subscription answers and pongs are skipped.

Events are the Binance reader's (``binance_capture``), so that the book replay, the tape and
every command behind them read both: each ``l2Book`` is a snapshot (numbered in the file's order,
there are no update ids), each trade a trade. ``venue`` is "hyperliquid", ``market`` "perp".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alephtx.core.model import Instrument, Side
from alephtx.core.model.fixed import to_fixed
from alephtx.core.replay.binance_capture import BadLine, DepthEvent, Event, TradeEvent
from alephtx.core.replay.json_capture import JsonCapture, Levels

MS = 1_000_000
SKIP = {"subscriptionResponse", "pong"}


class HyperliquidCapture(JsonCapture):
    market = "perp"

    @property
    def venue(self) -> str:
        return "hyperliquid"

    def __init__(self, path: str | Path, instrument: Instrument, tickers: bool = True) -> None:
        super().__init__(path, instrument, tickers)
        self._books = 0

    def _message(self, no: int, recv: int, msg: Any) -> Iterator[Event]:
        channel = msg.get("channel") if isinstance(msg, dict) else None
        if channel in SKIP or (isinstance(msg, dict) and "aleph" in msg):
            return  # subscription answers, pongs, the recorder's header and gap markers
        inst = self.instrument
        pp, sp = inst.price_precision, inst.size_precision
        if channel == "l2Book":
            data = msg["data"]
            if data["coin"] != inst.symbol:
                yield BadLine(no, f"another coin: {data['coin']}")
                return
            sides = [
                [(to_fixed(lv["px"], pp, "px"), to_fixed(lv["sz"], sp, "sz")) for lv in side] for side in data["levels"]
            ]
            self._books += 1
            levels = Levels(sides[0], sides[1])
            yield DepthEvent(recv, int(data["time"]) * MS, True, self._books, self._books, self._books, levels)
        elif channel == "trades":
            for t in msg["data"]:
                if t["coin"] != inst.symbol:
                    continue
                side = Side.BUY if t["side"] == "B" else Side.SELL
                px, sz = to_fixed(t["px"], pp, "px"), to_fixed(t["sz"], sp, "sz")
                yield TradeEvent(recv, int(t["time"]) * MS, int(t["tid"]), px, sz, side)
        else:
            yield BadLine(no, "unknown stream (not a Hyperliquid l2Book or trades message)")
