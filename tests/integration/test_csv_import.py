"""Public history in CSV as a person imports it: Tardis's incremental_book_L2, trades,
book_snapshot_25 and book_ticker, and Binance's trades, aggTrades, bookTicker and klines (with
and without headers, ms and µs times, zipped), each made here from the bundled capture so that
the catalog can be checked against the capture read in plain Python; bad rows by reason with
their first line; `aleph data import` and `aleph replay DATASET` as subprocesses."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from alephtx.core.config.resources import sample_capture
from alephtx.core.data.catalog import Catalog, CatalogError
from alephtx.core.data.csv_import import import_csv
from alephtx.core.data.source import MarketSource
from alephtx.core.data.tapes import tapes
from alephtx.core.replay.binance_capture import BinanceCapture, DepthEvent, TickerEvent, TradeEvent
from tests.integration.test_cli import ALEPH
from tests.integration.test_data_catalog import INST, Env

TARDIS = "exchange,symbol,timestamp,local_timestamp"


def dec(ticks: int, places: int) -> str:
    """A fixed-point int as the shortest decimal string (Tardis writes 61659.7, not 61659.70)."""
    text = format(Decimal(ticks).scaleb(-places).normalize(), "f")
    return text


def capture() -> dict[str, list[Any]]:
    """The bundled capture's events, read in plain Python; of its depth, what a venue that numbers
    nothing (as Tardis's files do not) would have sent: the snapshot, then the diffs after it."""
    out: dict[str, list[Any]] = {"depth": [], "trades": [], "tickers": []}
    last = None  # the snapshot's update id
    for ev in BinanceCapture(sample_capture(), INST):
        if isinstance(ev, DepthEvent):
            if ev.is_snapshot:
                last = ev.final_id
            elif last is None or ev.final_id <= last:
                continue  # before the snapshot, or older than it: Binance's sync drops these
            p = ev.parser
            levels = [(int(p.sides[i]), int(p.prices[i]), int(p.qtys[i])) for i in range(p.count)]
            out["depth"].append((ev.recv_ns, ev.exch_ns, ev.is_snapshot, levels))
        elif isinstance(ev, TradeEvent):
            out["trades"].append(ev)
        elif isinstance(ev, TickerEvent):
            out["tickers"].append(ev)
    return out


@pytest.fixture(scope="module")
def events() -> dict[str, list[Any]]:
    return capture()


def tardis_book(events: dict[str, list[Any]]) -> str:
    rows = [TARDIS + ",is_snapshot,side,price,amount"]
    for recv, exch, snap, levels in events["depth"]:
        for side, px, q in levels:
            rows.append(
                f"binance-futures,BTCUSDT,{exch // 1000},{recv // 1000},{str(snap).lower()},"
                f"{'bid' if side else 'ask'},{dec(px, 2)},{dec(q, 3)}"
            )
    return "\n".join(rows) + "\n"


def tardis_trades(events: dict[str, list[Any]]) -> str:
    rows = [TARDIS + ",id,side,price,amount"]
    for t in events["trades"]:
        side = "sell" if t.aggressor.name == "SELL" else "buy"
        rows.append(f"binance-futures,BTCUSDT,{t.exch_ns // 1000},{t.recv_ns // 1000},{t.trade_id},{side},"
                    f"{dec(t.price, 2)},{dec(t.quantity, 3)}")  # fmt: skip
    return "\n".join(rows) + "\n"


def test_tardis_book_and_trades_replay_to_the_captures_top(tmp_path: Path, events: dict[str, list[Any]]) -> None:
    (tmp_path / "book.csv.gz").write_bytes(gzip.compress(tardis_book(events).encode()))
    (tmp_path / "trades.csv").write_text(tardis_trades(events))
    cat = Catalog(tmp_path / "catalog")
    ds, imp = import_csv(cat, tmp_path / "book.csv.gz")
    assert ds.name == "binance-usdm/futures/BTCUSDT" and (ds.tick_size, ds.lot_size) == ("0.1", "0.001")
    snapshots = sum(1 for d in events["depth"] if d[2])
    assert imp.messages == {"snapshot": snapshots, "depth": len(events["depth"]) - snapshots}
    assert imp.gaps == 0 and imp.problems == [] and not imp.stale
    _, imp_t = import_csv(cat, tmp_path / "trades.csv")
    assert imp_t.rows["trades"] == len(events["trades"]) and imp_t.problems == []

    # Replayed from the catalog (two sources of one day merged by receive time): the capture's book.
    from alephtx.core.data.book_check import replay_dataset
    from alephtx.core.model import Instrument

    inst = Instrument.from_strings("binance-usdm", "BTCUSDT", "perp", "0.1", "0.001")
    s = replay_dataset(MarketSource.of_dataset(cat, ds.name), inst)
    from alephtx.core.replay.book_replay import replay_book

    truth = replay_book(sample_capture(), INST)
    assert truth.best_bid is not None and s.best_bid is not None and s.best_ask is not None
    assert (s.best_bid[0] * 10, s.best_bid[1]) == truth.best_bid  # 0.1 tick here, 0.10 there
    assert (s.best_ask[0] * 10, s.best_ask[1]) == truth.best_ask  # type: ignore[index]
    assert s.messages["trade"] == len(events["trades"]) and s.gaps == 0 and s.problems == []
    merged = [t for t in tapes(cat, ds.name)]
    recv = [int(x) for t in merged for x in t.recv_ns]
    assert recv == sorted(recv)  # book and trades interleaved by receive time


def test_tardis_snapshots_and_ticker(tmp_path: Path, events: dict[str, list[Any]]) -> None:
    depth = 3
    head = (
        TARDIS
        + ","
        + ",".join(f"{s}[{i}].{f}" for s in ("asks", "bids") for i in range(depth) for f in ("price", "amount"))
    )
    rows = [head]
    for n, t in enumerate(events["tickers"][:200]):
        asks = [f"{dec(t.ask + i * 10, 2)},{dec(t.ask_qty, 3)}" for i in range(depth)]
        bids = [f"{dec(t.bid - i * 10, 2)},{dec(t.bid_qty, 3)}" for i in range(depth - (n == 5))] + (
            [",,"[:1]] if n == 5 else []
        )
        rows.append(f"binance-futures,BTCUSDT,{t.exch_ns // 1000},{t.recv_ns // 1000}," + ",".join(asks + bids))
    rows.append("binance-futures,BTCUSDT,1723161000000000,1723161000000100," + ",".join(["x,1"] * 2 * depth))
    (tmp_path / "snap.csv").write_text("\n".join(rows) + "\n")
    ticker = [TARDIS + ",ask_amount,ask_price,bid_price,bid_amount"]
    for t in events["tickers"][:300]:
        ticker.append(f"binance-futures,BTCUSDT,{t.exch_ns // 1000},{t.recv_ns // 1000},{dec(t.ask_qty, 3)},"
                      f"{dec(t.ask, 2)},{dec(t.bid, 2)},{dec(t.bid_qty, 3)}")  # fmt: skip
    (tmp_path / "ticker.csv").write_text("\n".join(ticker) + "\n")
    cat = Catalog(tmp_path / "catalog")
    ds, imp = import_csv(cat, tmp_path / "snap.csv", tick_size="0.01", lot_size="0.001")
    assert imp.messages == {"snapshot": 200, "bad": 1}
    assert imp.bad_lines == [
        {"reason": "asks[0].price: not an unsigned decimal with at most 2 places", "count": 1, "first_line": 202}
    ]
    book = cat.scan(ds.name, "book").collect()
    assert book.height == 200 * 2 * depth - 1  # row 5 has one bid fewer
    first = book.filter(pl.col("msg") == 1)
    assert first["side"].to_list() == [1] * depth + [0] * depth  # bids first
    s_top = events["tickers"][199]
    _, imp2 = import_csv(cat, tmp_path / "ticker.csv")
    top = cat.scan(ds.name, "top").sort("msg").collect()
    assert imp2.rows["top"] == 300 and top["bid"][199] == s_top.bid // 10 ** (2 - 2)


def binance_files(tmp: Path, events: dict[str, list[Any]]) -> dict[str, Path]:
    trades = events["trades"]
    usdm = ["id,price,qty,quote_qty,time,is_buyer_maker"] + [
        f"{t.trade_id},{dec(t.price, 2)},{dec(t.quantity, 3)},0,{t.exch_ns // 10**6},{str(t.aggressor.name == 'SELL').lower()}"
        for t in trades
    ]
    usdm.insert(4, "123,notaprice,0.001,0,1723161000000,true")  # line 5: a bad price
    spot = [  # no header, µs times, one more column
        f"{t.trade_id},{dec(t.price, 2)},{dec(t.quantity, 3)},0,{t.exch_ns // 10**3},{'True' if t.aggressor.name == 'SELL' else 'False'},True"
        for t in trades
    ]
    agg = ["agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker"] + [
        f"{t.trade_id},{dec(t.price, 2)},{dec(t.quantity, 3)},{t.trade_id},{t.trade_id},{t.exch_ns // 10**6},false"
        for t in trades
    ]
    ticker = ["update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time"] + [
        f"{k.update_id},{dec(k.bid, 2)},{dec(k.bid_qty, 3)},{dec(k.ask, 2)},{dec(k.ask_qty, 3)},{k.exch_ns // 10**6},{k.exch_ns // 10**6}"
        for k in events["tickers"]
    ]
    klines = [  # no header
        f"{1723161000000 + i * 60000},61000.1,61010.5,60990.0,61005.2,12.345,{1723161059999 + i * 60000},0,{100 + i},0,0,0"
        for i in range(5)
    ]
    out = {}
    for name, lines in (("BTCUSDT-trades-2024-08-08.csv", usdm), ("BTCUSDT-trades-2024-08-09.csv", spot),
                        ("BTCUSDT-aggTrades-2024-08-08.csv", agg), ("BTCUSDT-bookTicker-2024-08-08.csv", ticker),
                        ("BTCUSDT-1m-2024-08-08.csv", klines)):  # fmt: skip
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:  # as data.binance.vision ships them
            z.writestr(name, "\n".join(lines) + "\n")
        path = tmp / (name[:-4] + ".zip")
        path.write_bytes(buf.getvalue())
        out[name.split("-")[1] + ("-spot" if name.endswith("09.csv") else "")] = path
    return out


def test_binance_public_files_through_aleph_data_import(tmp_path: Path, events: dict[str, list[Any]]) -> None:
    env = Env(tmp_path)
    files = binance_files(tmp_path, events)
    out = env.run("import", *[str(p) for p in files.values()], "--tick-size", "0.10", "--lot-size", "0.001", "--json")
    assert out.returncode == 0, out.stderr
    by_file = {Path(r["file"]).name: r for r in json.loads(out.stdout)}
    assert by_file["BTCUSDT-trades-2024-08-09.zip"]["dataset"] == "binance/spot/BTCUSDT"
    assert by_file["BTCUSDT-1m-2024-08-08.zip"]["rows"]["bars"] == 5
    cat = Catalog(env.data / "catalog")
    usdm = cat.dataset("binance-usdm/futures/BTCUSDT")
    imports = {i.source: i for i in usdm.imports}
    trades = imports["BTCUSDT-trades-2024-08-08.zip"]
    assert trades.rows["trades"] == len(events["trades"])
    assert trades.bad_lines == [
        {"reason": "price: not an unsigned decimal with at most 2 places", "count": 1, "first_line": 5}
    ]
    assert imports["BTCUSDT-bookTicker-2024-08-08.zip"].rows["top"] == len(events["tickers"])
    # The values, against the capture: every trade's price and size, the aggressors, the times.
    files_of = sorted(cat.folder(usdm, "trades").glob("date=*/BTCUSDT-trades-2024-08-08.zip.parquet"))
    got = pl.read_parquet(files_of).sort("msg")  # this file's rows (aggTrades share the dataset)
    want = [t for t in events["trades"]]
    rows = got.head(len(want))
    assert rows["price"].to_list() == [t.price for t in want]
    assert rows["size"].to_list() == [t.quantity for t in want]
    assert rows["aggressor"].to_list() == [int(t.aggressor.name == "SELL") for t in want]
    assert rows["exch_ns"].to_list() == [t.exch_ns // 10**6 * 10**6 for t in want]
    spot = cat.scan("binance/spot/BTCUSDT", "trades").collect()
    assert spot["exch_ns"].to_list()[:5] == [t.exch_ns // 1000 * 1000 for t in want[:5]]  # µs times
    bars = cat.scan(usdm.name, "bars").sort("exch_ns").collect()
    assert (
        bars["open"][0] == 6100010
        and bars["volume"][0] == 12345
        and bars["trades"].to_list() == [100, 101, 102, 103, 104]
    )
    assert env.run("verify").returncode == 0


def test_bad_csv_files_are_one_line_each(tmp_path: Path) -> None:
    env = Env(tmp_path)
    cases = {
        "weird.csv": "a,b,c\n1,2,3\n",
        "bare.csv": "1,2,3,4,5\n",
        "empty-rows.csv": TARDIS + ",id,side,price,amount\n",
        "all-bad.csv": TARDIS + ",id,side,price,amount\nbinance-futures,BTCUSDT,1,2,3,up,1.5,1\n",
    }
    expected = {
        "weird.csv": "a CSV header this platform does not read",
        "bare.csv": "5 columns without a header",
        "empty-rows.csv": "a header and no rows",
        "all-bad.csv": "every row is bad (side: not buy or sell (1, first at line 2))",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        out = env.run("import", str(tmp_path / name))
        assert out.returncode == 2 and expected[name] in out.stderr and "Traceback" not in out.stderr, (
            name,
            out.stderr,
        )
    (tmp_path / "two.zip").write_bytes(_zip({"a.csv": "x", "b.csv": "y"}))
    with pytest.raises(CatalogError, match="a zip of 2 files"):
        import_csv(Catalog(tmp_path / "c"), tmp_path / "two.zip")


def _zip(members: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    return buf.getvalue()


def test_aleph_replay_of_an_imported_tardis_dataset(tmp_path: Path, events: dict[str, list[Any]]) -> None:
    env = Env(tmp_path)
    (tmp_path / "book.csv").write_text(tardis_book(events))
    assert env.run("import", str(tmp_path / "book.csv")).returncode == 0
    out = subprocess.run(
        [*ALEPH, "replay", "binance-usdm/futures/BTCUSDT", "--json"],
        capture_output=True, text=True, timeout=120, env=env.vars, cwd=env.cwd,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    run = [*ALEPH, "replay", str(sample_capture()), "--json"]
    truth = json.loads(
        subprocess.run(run, capture_output=True, text=True, timeout=120, env=env.vars, cwd=env.cwd).stdout
    )
    assert [Decimal(x) for x in s["best_bid"]] == [Decimal(x) for x in truth["best_bid"]]
    assert [Decimal(x) for x in s["best_ask"]] == [Decimal(x) for x in truth["best_ask"]]
    assert s["problems"] == [] and s["gaps"] == 0
