"""`aleph replay` on the captures a person meets, as a subprocess from an empty folder: spot
(depth without ``pu``), another symbol, a stale end, no snapshot, Hyperliquid lines, an empty
file, a truncated and a corrupt gzip, a pipe. Each says what was read and skipped, exits 1 when
the result is not a book, and never prints a traceback."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_cli import ALEPH

SNAPSHOT = {
    "lastUpdateId": 100,
    "E": 1723161000000,
    "T": 1723161000000,
    "bids": [["60000.00", "1.000"], ["59999.90", "2.000"]],
    "asks": [["60000.10", "1.500"], ["60000.20", "3.000"]],
}


def spot_lines(symbol: str = "btcusdt", diffs: int = 20) -> list[str]:
    """A spot capture: a REST snapshot, then diffs chained by U = previous u + 1 (no pu)."""
    lines, u = [f"1723161000000000000 {json.dumps(SNAPSHOT)}"], 100
    for i in range(diffs):
        data = {
            "e": "depthUpdate", "E": 1723161000100 + i, "s": symbol.upper(), "U": u + 1, "u": u + 3,
            "b": [["60000.00", f"{1 + i / 1000:.3f}"]], "a": [["60000.10", "1.400"]],
        }  # fmt: skip
        lines.append(
            f"{1723161000100000000 + i * 1_000_000} " + json.dumps({"stream": f"{symbol}@depth@100ms", "data": data})
        )
        u += 3
    return lines


def aleph(
    folder: Path, *args: str, shell: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    folder.mkdir(exist_ok=True)
    cmd: Any = ["bash", "-c", shell] if shell else [*ALEPH, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=folder, env=env)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_spot_capture_builds_its_book_and_names_the_market(tmp_path: Path) -> None:
    out = aleph(tmp_path / "empty", "replay", str(write(tmp_path / "spot.txt", spot_lines())), "--json")
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    assert s["market"] == "spot" and s["instrument"] == "binance:BTCUSDT" and s["gaps"] == 0, s
    assert s["level_updates"] == 40 and s["best_bid"] == ["60000.00", "1.019"], s  # every diff applied
    assert s["problems"] == [] and not s["stale"]


def test_a_gap_at_the_end_is_flagged_stale_and_exits_1(tmp_path: Path) -> None:
    lines = spot_lines()
    out = aleph(tmp_path / "empty", "replay", str(write(tmp_path / "gap.txt", [*lines[:10], lines[12]])))
    assert out.returncode == 1, out.stdout
    assert "STALE" in out.stdout and "stale at the end" in out.stdout and "Traceback" not in out.stderr


def test_no_snapshot_says_so_and_shows_the_waiting_diffs(tmp_path: Path) -> None:
    out = aleph(tmp_path / "empty", "replay", str(write(tmp_path / "nosnap.txt", spot_lines()[1:])), "--json")
    s = json.loads(out.stdout)
    assert out.returncode == 1 and s["diffs_waiting_for_snapshot"] == 20 and s["best_bid"] is None, s
    assert s["problems"] == ["no book could be built (no depth snapshot)"], s


def test_another_symbols_instrument_comes_from_the_venues_table_or_the_data(tmp_path: Path) -> None:
    """Without flags: the venue's instrument table cached by an earlier run, else the places the
    data is written with; the flags override both."""
    import msgspec

    from alephtx.core.model import Instrument
    from alephtx.core.venues.instruments import CachedTable

    eth = write(tmp_path / "eth.txt", spot_lines("ethusdt"))
    env = {**os.environ, "ALEPH_CACHE_DIR": str(tmp_path / "cache")}
    out = aleph(tmp_path / "empty", "replay", str(eth), "--json", env=env)
    assert out.returncode == 0 and "precision read from the data (prices to 0.01, sizes to 0.001)" in out.stderr
    s = json.loads(out.stdout)
    assert s["instrument"] == "binance:ETHUSDT" and s["best_bid"] == ["60000.00", "1.019"], s
    # The venue's table, as the instrument provider caches it (spot lists ETHUSDT at 0.10 here).
    listed = Instrument.from_strings("binance", "ETHUSDT", "spot", "0.10", "0.001")
    table = CachedTable("binance", "https://api.binance.com", False, 1723161000 * 10**9, [listed])
    (tmp_path / "cache" / "instruments").mkdir(parents=True)
    (tmp_path / "cache" / "instruments" / "binance-main-0123456789ab.json").write_bytes(msgspec.json.encode(table))
    out = aleph(tmp_path / "empty", "replay", str(eth), "--json", env=env)
    assert out.returncode == 0 and "tick 0.10 and lot 0.001 from binance's instrument table (cached 2024-08-0" in (
        out.stderr
    ), out.stderr
    out = aleph(tmp_path / "empty", "replay", str(eth), "--tick-size", "0.01", "--lot-size", "0.001", "--json", env=env)
    assert out.returncode == 0 and json.loads(out.stdout)["instrument"] == "binance:ETHUSDT", out.stderr
    assert "instrument table" not in out.stderr  # the flags win


def test_lines_of_another_venue_are_counted_by_reason_with_the_first_line(tmp_path: Path) -> None:
    other = [  # an OKX capture (by its first line) with lines that are not OKX's
        '1723161000000000000 {"arg":{"channel":"books","instId":"BTC-USDT-SWAP"},"action":"snapshot","data":[]}',
        '1723161000000000001 {"topic":"orderbook.50.BTCUSDT","type":"delta","data":{}}',
        "garbage-without-a-space",
        '1723161000000000002 {"topic":"publicTrade.BTCUSDT","data":[]}',
    ]
    path = str(write(tmp_path / "other.txt", other))
    out = aleph(tmp_path / "empty", "replay", path, "--tick-size", "0.1", "--lot-size", "0.01", "--json")
    s = json.loads(out.stdout)
    assert out.returncode == 1 and s["bad_lines"] == 4 and s["capture_seconds"] is None, s
    assert s["instrument"].endswith(":BTC-USDT-SWAP"), s  # the capture's own symbol
    reasons = {r["reason"]: (r["count"], r["first_line"]) for r in s["bad_lines_by_reason"]}
    assert reasons["a books message without data"] == (1, 1), reasons
    assert reasons["unknown stream (not an OKX books or trades message)"] == (2, 2), reasons
    assert reasons["expected '<recv ns> <json>'"] == (1, 3), reasons


@pytest.mark.parametrize("damage", ["empty", "truncated", "crc", "not gzip"])
def test_unreadable_files_give_one_line_and_keep_what_was_read(tmp_path: Path, damage: str) -> None:
    data = gzip.compress(("\n".join(spot_lines()) + "\n").encode())
    f = tmp_path / "capture.gz"
    if damage == "empty":
        f.write_bytes(b"")
    elif damage == "truncated":
        f.write_bytes(data[: len(data) // 2])
    elif damage == "crc":
        f.write_bytes(data[:-8] + bytes([data[-8] ^ 0xFF]) + data[-7:])
    else:
        f.write_bytes(b"\x1f\x8b" + b"\x00" * 40)
    out = aleph(tmp_path / "empty", "replay", str(f), "--json")
    s = json.loads(out.stdout)
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    expected = {"empty": "empty", "truncated": "truncated", "crc": "CRC", "not gzip": "not a readable gzip"}[damage]
    assert any(expected in p for p in s["problems"]), s["problems"]
    if damage == "truncated":
        assert s["lines"] > 0 and s["messages"].get("snapshot") == 1, s  # what was read is kept
    # A command that trades on the capture refuses it with one line instead of a cut-short market.
    if damage in ("truncated", "crc"):
        paper = aleph(tmp_path / "empty", "paper", str(f))
        assert paper.returncode == 2 and "Traceback" not in paper.stderr, paper.stderr
        assert expected in paper.stderr, paper.stderr


def test_a_pipe_reads_without_seeking(tmp_path: Path) -> None:
    spot = write(tmp_path / "spot.txt", spot_lines())
    out = aleph(tmp_path / "empty", shell=f"{' '.join(ALEPH)} replay <(gzip -c {spot}) --json")
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    assert s["market"] == "spot" and s["level_updates"] == 40, s


def hyperliquid_lines(books: int = 10) -> list[str]:
    """A Hyperliquid capture: a subscription answer, then l2Book snapshots and trades of BTC."""
    answer = {"channel": "subscriptionResponse", "data": {"method": "subscribe", "subscription": {"type": "l2Book"}}}
    lines = [f"1723161000000000000 {json.dumps(answer)}"]
    for i in range(books):
        px = 61800 + i
        levels = [
            [{"px": f"{px - 0.5}", "sz": "1.2", "n": 3}, {"px": f"{px - 1}", "sz": "0.5", "n": 1}],
            [{"px": f"{px + 0.5}", "sz": "0.7", "n": 2}, {"px": f"{px + 1}", "sz": "2.0", "n": 4}],
        ]
        book = {"channel": "l2Book", "data": {"coin": "BTC", "time": 1723161000000 + i * 500, "levels": levels}}
        trade = {"coin": "BTC", "side": "AB"[i % 2], "px": f"{px}", "sz": "0.01", "time": 1723161000000 + i * 500,
                 "hash": "0x0", "tid": 1000 + i}  # fmt: skip
        lines.append(f"{1723161000000000000 + i * 500_000_000 + 1000} {json.dumps(book)}")
        lines.append(
            f"{1723161000000000000 + i * 500_000_000 + 2000} {json.dumps({'channel': 'trades', 'data': [trade]})}"
        )
    return lines


def test_a_hyperliquid_capture_is_read_by_its_content(tmp_path: Path) -> None:
    hl = write(tmp_path / "hl.txt", hyperliquid_lines())
    out = aleph(tmp_path / "empty", "replay", str(hl), "--json")  # the precision its levels are written at
    assert out.returncode == 0 and "BTC's precision read from the data" in out.stderr, out.stderr
    assert json.loads(out.stdout)["best_bid"] == ["61808.5", "1.20"], out.stdout
    out = aleph(tmp_path / "empty", "replay", str(hl), "--tick-size", "0.1", "--lot-size", "0.00001", "--json")
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    assert s["instrument"] == "hyperliquid:BTC" and s["messages"] == {"snapshot": 10, "trade": 10}, s
    assert s["best_bid"] == ["61808.5", "1.20000"] and s["best_ask"] == ["61809.5", "0.70000"], s  # the last book
    assert s["bad_lines"] == 0 and s["problems"] == [], s


def test_aggregate_trades_are_read_as_trades(tmp_path: Path) -> None:
    agg = [
        f"{1723161000200000000 + i} "
        + json.dumps(
            {
                "stream": "btcusdt@aggTrade",
                "data": {
                    "e": "aggTrade",
                    "E": 1723161000200 + i,
                    "s": "BTCUSDT",
                    "a": 500 + i,
                    "p": "60000.10",
                    "q": f"0.00{i + 1}",
                    "f": 900 + i,
                    "l": 900 + i,
                    "T": 1723161000200 + i,
                    "m": i % 2 == 0,
                },
            }
        )
        for i in range(3)
    ]
    path = write(tmp_path / "agg.txt", spot_lines() + agg)
    out = aleph(tmp_path / "empty", "replay", str(path), "--json")
    s = json.loads(out.stdout)
    assert out.returncode == 0 and s["messages"]["trade"] == 3 and s["bad_lines"] == 0, s
    from alephtx.core.model import Instrument
    from alephtx.core.replay.binance_capture import BinanceCapture, TradeEvent

    inst = Instrument.from_strings("binance", "BTCUSDT", "spot", "0.01", "0.001")
    trades = [e for e in BinanceCapture(path, inst) if isinstance(e, TradeEvent)]
    assert [(t.trade_id, t.price, t.quantity, t.aggressor.name) for t in trades] == [
        (500, 6000010, 1, "SELL"), (501, 6000010, 2, "BUY"), (502, 6000010, 3, "SELL")
    ]  # fmt: skip
