"""The tape: a capture decoded once into columns must hold exactly what the capture reader yields."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest

from alephtx.core.model import Instrument, Side
from alephtx.core.replay import tape as tape_mod
from alephtx.core.replay.binance_capture import BinanceCapture, DepthEvent, TradeEvent
from alephtx.core.replay.tape import DEPTH, SNAPSHOT, TRADE, Tape


def test_the_tape_holds_every_depth_and_trade_event_of_the_capture(sample_path: Path, btcusdt: Instrument) -> None:
    tape = Tape.from_capture(sample_path, btcusdt)
    i = levels = 0
    for ev in BinanceCapture(sample_path, btcusdt, tickers=False):
        if isinstance(ev, DepthEvent):
            p = ev.parser
            lo, hi = int(tape.start[i]), int(tape.end[i])
            assert tape.kind[i] == (SNAPSHOT if ev.is_snapshot else DEPTH)
            assert tape.b[i] == ev.final_id and hi - lo == p.count
            if not ev.is_snapshot:
                assert (tape.a[i], tape.c[i]) == (ev.first_id, ev.prev_final_id)
                levels += p.count
            else:
                assert tape.c[i] == p.bid_count
            assert tape.prices[lo:hi].tolist() == list(p.prices[: p.count])
            assert tape.qtys[lo:hi].tolist() == list(p.qtys[: p.count])
            assert tape.sides[lo:hi].tolist() == list(p.sides[: p.count])
        elif isinstance(ev, TradeEvent):
            assert tape.kind[i] == TRADE
            assert (tape.a[i], tape.b[i], tape.c[i]) == (ev.trade_id, ev.price, ev.quantity)
            assert bool(tape.start[i]) is (ev.aggressor is Side.SELL)
        else:
            continue
        assert (tape.exch_ns[i], tape.recv_ns[i]) == (ev.exch_ns, ev.recv_ns)
        i += 1
    assert i == len(tape) == 1 + 1598 + 3024  # the snapshot, the diffs, the trades
    assert tape.trades == 3024 and tape.level_updates == levels > 50_000 and not tape.bad


def test_save_and_load_give_the_same_tape(tmp_path: Path, sample_path: Path, btcusdt: Instrument) -> None:
    tape = Tape.from_capture(sample_path, btcusdt)
    tape.save(tmp_path / "t.npz")
    back = Tape.load(tmp_path / "t.npz")
    for col in ("kind", "exch_ns", "recv_ns", "a", "b", "c", "start", "end", "sides", "prices", "qtys"):
        assert np.array_equal(getattr(tape, col), getattr(back, col)), col
    assert back.bad == tape.bad


def test_bad_lines_are_kept_with_their_line_numbers(tmp_path: Path, sample_path: Path, btcusdt: Instrument) -> None:
    with gzip.open(sample_path, "rb") as f:
        lines = f.readlines()[:500]
    lines.insert(10, b"1723161255030314667 {not json at all\n")
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"".join(lines))
    tape = Tape.from_capture(broken, btcusdt)
    tape.save(tmp_path / "b.npz")
    assert [n for n, _ in Tape.load(tmp_path / "b.npz").bad] == [11]


def test_a_tape_of_another_format_is_refused(tmp_path: Path, sample_path: Path, btcusdt: Instrument) -> None:
    Tape.from_capture(sample_path, btcusdt).save(tmp_path / "t.npz")
    with np.load(tmp_path / "t.npz") as z:
        arrays = dict(z)
    arrays["format"] = np.array(99)
    with open(tmp_path / "old.npz", "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(ValueError, match="format 99"):
        Tape.load(tmp_path / "old.npz")


def test_the_cache_is_used_and_follows_changes_to_the_capture(
    tmp_path: Path, sample_path: Path, btcusdt: Instrument, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(tape_mod, "CACHE_MIN_BYTES", 0)
    capture = tmp_path / "cap.gz"
    capture.write_bytes(sample_path.read_bytes())
    first = Tape.cached(capture, btcusdt)
    cached = list((tmp_path / "cache" / "alephtx" / "tapes").iterdir())
    assert len(cached) == 1

    decoded: list[Path] = []
    real = Tape.from_capture.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Tape], path: Path, inst: Instrument, on_progress: object = None) -> Tape:
        decoded.append(Path(path))
        return real(cls, path, inst, on_progress)  # type: ignore[no-any-return]

    monkeypatch.setattr(Tape, "from_capture", classmethod(counting))
    again = Tape.cached(capture, btcusdt)
    assert decoded == [] and np.array_equal(again.prices, first.prices)  # read from the cache

    with gzip.open(sample_path, "rb") as f:  # the capture changes: decoded again, under a new key
        capture.write_bytes(gzip.compress(b"".join(f.readlines()[:2000])))
    os.utime(capture, ns=(1, 1))
    changed = Tape.cached(capture, btcusdt)
    assert decoded == [capture] and len(changed) < len(first)
    assert [p.name for p in (tmp_path / "cache" / "alephtx" / "tapes").iterdir()] != [cached[0].name]
    assert len(list((tmp_path / "cache" / "alephtx" / "tapes").iterdir())) == 1  # the older tape is gone

    # An unreadable cached tape is decoded again, not an error.
    for p in (tmp_path / "cache" / "alephtx" / "tapes").iterdir():
        p.write_bytes(b"not a tape")
    assert len(Tape.cached(capture, btcusdt)) == len(changed) and len(decoded) == 2
