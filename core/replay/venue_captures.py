"""Readers for Bybit's and OKX's public WebSocket captures: one ``<recv ns> <json>`` message per
line, as the venues send them (what `aleph data record` writes, or any recorder that keeps the
raw messages).

- Bybit (``/v5/public/linear``): ``orderbook.N.SYMBOL`` (a ``snapshot``, then ``delta``s whose
  ``u`` grows by one; ``u`` == 1 is a new snapshot) and ``publicTrade.SYMBOL`` (``S`` the taker's
  side; its ids are UUIDs, so trades are numbered in the file's order).
- OKX (``/ws/v5/public``): ``books`` (``action`` snapshot or update, chained by ``prevSeqId`` =
  the previous ``seqId``), ``books5``/``bbo-tbt`` (each a snapshot) and ``trades``; a swap's sizes
  are contracts, turned into base units by the instrument's contract size (a recording states it
  in its first line).

Their ids are stated in Binance's terms (a diff covers its previous id to its own, its previous
is the one before), so that the one book sync serves every venue. Subscription answers, pongs
and the recorder's own lines (``{"aleph": ...}``: the recording's header, gap markers) are
skipped; another symbol's messages are bad lines, never mixed in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from alephtx.core.model import Side
from alephtx.core.model.fixed import to_fixed
from alephtx.core.replay.binance_capture import BadLine, DepthEvent, Event, TradeEvent
from alephtx.core.replay.json_capture import JsonCapture, Levels
from alephtx.core.venues.okx.units import base_size

MS = 1_000_000


class BybitCapture(JsonCapture):
    market = "futures"

    @property
    def venue(self) -> str:
        return "bybit"

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._trades = 0

    def _message(self, no: int, recv: int, msg: Any) -> Iterator[Event]:
        topic = msg.get("topic", "") if isinstance(msg, dict) else ""
        sp = self.instrument.size_precision
        if topic.startswith("orderbook."):
            d = msg["data"]
            if d["s"] != self.instrument.symbol:
                yield BadLine(no, f"another symbol: {d['s']}")
                return
            bids = [(self._px(p), to_fixed(q, sp, "size")) for p, q in d["b"]]
            asks = [(self._px(p), to_fixed(q, sp, "size")) for p, q in d["a"]]
            u = int(d["u"])
            exch = int(msg.get("cts") or msg["ts"]) * MS
            if msg["type"] == "snapshot" or u == 1:
                yield DepthEvent(recv, exch, True, u, u, u, Levels(bids, asks))
            else:
                yield DepthEvent(recv, exch, False, u - 1, u, u - 1, Levels(bids, asks))
        elif topic.startswith("publicTrade."):
            for t in msg["data"]:
                if t["s"] != self.instrument.symbol:
                    continue
                self._trades += 1
                side = Side.BUY if t["S"] == "Buy" else Side.SELL
                px, sz = self._px(t["p"]), to_fixed(t["v"], sp, "v")
                yield TradeEvent(recv, int(t["T"]) * MS, self._trades, px, sz, side)
        elif isinstance(msg, dict) and ("op" in msg or "success" in msg):
            return  # subscription answers, pongs
        elif isinstance(msg, dict) and "arg" in msg:
            yield BadLine(no, "another venue's message (OKX's) in a Bybit capture")
        else:
            yield BadLine(no, "unknown stream (not a Bybit orderbook or publicTrade message)")


class OkxCapture(JsonCapture):
    @property
    def venue(self) -> str:
        return "okx"

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.market = "swap" if self.instrument.rules.contract_size else "spot"  # swaps size in contracts

    def _message(self, no: int, recv: int, msg: Any) -> Iterator[Event]:
        if not isinstance(msg, dict) or "event" in msg:
            return  # subscription answers, errors of the subscription, pongs
        if "arg" not in msg or "data" not in msg:
            yield BadLine(no, "unknown stream (not an OKX books or trades message)")
            return
        arg = msg["arg"]
        channel, inst = arg["channel"], self.instrument
        if arg.get("instId") != inst.symbol:
            yield BadLine(no, f"another symbol: {arg.get('instId')}")
            return
        if channel in ("books", "books5", "bbo-tbt", "books-l2-tbt", "books50-l2-tbt"):
            if not msg["data"]:
                yield BadLine(no, "a books message without data")
                return
            d = msg["data"][0]
            bids = [(self._px(lv[0]), base_size(inst, lv[1], "size")) for lv in d["bids"]]
            asks = [(self._px(lv[0]), base_size(inst, lv[1], "size")) for lv in d["asks"]]
            seq = int(d.get("seqId", 0))
            exch = int(d["ts"]) * MS
            if msg.get("action", "snapshot") == "snapshot":
                yield DepthEvent(recv, exch, True, seq, seq, seq, Levels(bids, asks))
            else:
                prev = int(d["prevSeqId"])
                yield DepthEvent(recv, exch, False, prev, seq, prev, Levels(bids, asks))
        elif channel == "trades":
            for t in msg["data"]:
                side = Side.BUY if t["side"] == "buy" else Side.SELL
                px, sz = self._px(t["px"]), base_size(inst, t["sz"], "sz")
                yield TradeEvent(recv, int(t["ts"]) * MS, int(t["tradeId"]), px, sz, side)
        else:
            yield BadLine(no, f"unknown channel {channel!r} (not an OKX books or trades message)")
