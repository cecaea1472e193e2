from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from alephtx.core.book import PyL2Book
from alephtx.core.model import Instrument, Side
from alephtx.core.replay.binance_capture import BadLine, BinanceCapture, DepthEvent, TickerEvent, TradeEvent
from alephtx.core.replay.book_replay import replay_book
from tests.conftest import FULL_CAPTURE


def test_sample_replay_reaches_the_last_book_ticker(sample_path: Path, btcusdt: Instrument) -> None:
    s = replay_book(sample_path, btcusdt)
    assert s.messages["snapshot"] == 1 and s.messages["depth"] == 1598
    assert s.messages["trade"] == 3024 and s.messages["bookTicker"] == 15377
    assert s.gaps == 0 and s.crossed == 0 and s.waiting == 0 and not s.bad_lines
    assert s.skipped_old == 4  # diffs older than the snapshot, received before it
    assert s.matches_ticker is True
    assert s.best_bid == (6180380, 1910) and s.best_ask == (6180390, 3650)


def test_twin_book_gives_the_same_replay(sample_path: Path, btcusdt: Instrument) -> None:
    fast = replay_book(sample_path, btcusdt)
    slow = replay_book(sample_path, btcusdt, book=PyL2Book())
    assert (fast.best_bid, fast.best_ask, fast.level_updates) == (slow.best_bid, slow.best_ask, slow.level_updates)


@pytest.mark.skipif(not FULL_CAPTURE.exists(), reason="the full capture lives in ../shared, absent on a bare clone")
def test_full_capture_final_top_of_book(btcusdt: Instrument) -> None:
    s = replay_book(FULL_CAPTURE, btcusdt)
    # ../shared/ANCHORS.md: every correct book must reach these.
    assert btcusdt.format_price(s.best_bid[0]) == "61659.70" and btcusdt.format_size(s.best_bid[1]) == "1.486"
    assert btcusdt.format_price(s.best_ask[0]) == "61659.80" and btcusdt.format_size(s.best_ask[1]) == "0.981"
    assert s.matches_ticker and s.gaps == 0 and s.messages["depth"] == 6551


def test_events_carry_both_clocks(sample_path: Path, btcusdt: Instrument) -> None:
    kinds = set()
    for ev in BinanceCapture(sample_path, btcusdt):
        if isinstance(ev, TradeEvent):
            assert ev.aggressor in (Side.BUY, Side.SELL) and ev.price > 0 and ev.quantity > 0
        if isinstance(ev, DepthEvent | TradeEvent | TickerEvent):
            # Exchange time is ms precision; receive time is local. Both are ns since the epoch
            # in 2024 and within a few seconds of each other.
            assert 1.7e18 < ev.recv_ns < 1.8e18 and abs(ev.exch_ns - ev.recv_ns) < 5e9
        kinds.add(type(ev))
        if len(kinds) == 3:
            break
    assert kinds == {DepthEvent, TradeEvent, TickerEvent}


def test_skipping_tickers_keeps_every_other_event(sample_path: Path, btcusdt: Instrument) -> None:
    def kinds(tickers: bool) -> list[tuple[str, int]]:
        out = []
        for i, ev in enumerate(BinanceCapture(sample_path, btcusdt, tickers=tickers)):
            if i > 4000:
                break
            out.append((type(ev).__name__, getattr(ev, "exch_ns", 0)))
        return out

    full, lean = kinds(True), kinds(False)
    assert any(k == "TickerEvent" for k, _ in full) and not any(k == "TickerEvent" for k, _ in lean)
    wanted = [e for e in full if e[0] != "TickerEvent"]
    assert lean[: len(wanted)] == wanted


def test_a_gap_and_bad_lines_are_reported_not_hidden(tmp_path: Path, sample_path: Path, btcusdt: Instrument) -> None:
    with gzip.open(sample_path, "rb") as f:
        lines = f.readlines()[:3000]
    depth_at = [i for i, ln in enumerate(lines) if b"@depth" in ln[:80] and i > 100]
    del lines[depth_at[5]]  # drop one diff after the snapshot: a sequence gap
    lines.insert(200, b"1723161255030314667 {not json at all\n")
    lines.insert(201, b"garbage-without-a-time\n")
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"".join(lines))
    s = replay_book(broken, btcusdt)
    assert s.gaps == 1
    assert s.waiting > 0  # diffs after the gap wait for a snapshot that never comes
    assert [b.line_no for b in s.bad_lines] == [201, 202]
    assert all(isinstance(b, BadLine) and b.error for b in s.bad_lines)
