"""`aleph data` as a person runs it: subprocesses from an empty folder, the catalog in the data
folder by default (never the current folder); import, ls, show (polars) and verify, checked
against the capture read in plain Python; repeated imports, damage and bad arguments."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from alephtx.core.config.resources import sample_capture
from alephtx.core.model import Instrument
from alephtx.core.replay.binance_capture import BinanceCapture, DepthEvent, TickerEvent, TradeEvent
from tests.integration.test_cli import ALEPH
from tests.integration.test_replay_inputs import spot_lines, write

INST = Instrument.from_strings("binance-usdm", "BTCUSDT", "perp", "0.10", "0.001")


class Env:
    def __init__(self, tmp: Path) -> None:
        self.cwd = tmp / "empty"
        self.cwd.mkdir()
        self.data = tmp / "data"
        self.vars = {**os.environ, "HOME": str(tmp / "home"), "ALEPH_DATA_DIR": str(self.data)}

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*ALEPH, "data", *args], capture_output=True, text=True, timeout=300, env=self.vars, cwd=self.cwd
        )

    def json(self, *args: str) -> Any:
        out = self.run(*args, "--json")
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)


def plain_counts(path: Path) -> tuple[dict[str, int], dict[int, tuple[int, int, int]]]:
    """Rows by kind, and trades by minute (high, low, count), read without polars."""
    rows: dict[str, int] = defaultdict(int)
    minutes: dict[int, list[int]] = defaultdict(list)
    for ev in BinanceCapture(path, INST):
        if isinstance(ev, DepthEvent):
            rows["book"] += ev.count
        elif isinstance(ev, TradeEvent):
            rows["trades"] += 1
            minutes[ev.exch_ns // 60_000_000_000 * 60].append(ev.price)
        elif isinstance(ev, TickerEvent):
            rows["top"] += 1
    return {**rows, "bars": 0}, {m: (max(p), min(p), len(p)) for m, p in minutes.items()}  # captures carry no bars


def test_import_ls_show_verify_against_the_capture_read_in_plain_python(tmp_path: Path) -> None:
    env = Env(tmp_path)
    sample = sample_capture()
    spot = write(tmp_path / "spot.txt", spot_lines())
    imported = env.json("import", str(sample), str(spot))
    assert [r["dataset"] for r in imported] == ["binance-usdm/futures/BTCUSDT", "binance/spot/BTCUSDT"], imported
    assert (env.data / "catalog" / "catalog.json").exists() and not list(env.cwd.iterdir())  # not the cwd
    rows, minutes = plain_counts(sample)
    listed = {d["dataset"]: d for d in env.json("ls")}
    assert listed["binance-usdm/futures/BTCUSDT"]["rows"] == rows, (listed, rows)
    assert listed["binance/spot/BTCUSDT"]["rows"] == {"book": 44, "trades": 0, "top": 0, "bars": 0}
    again = env.json("import", str(sample))  # a second import replaces the first
    assert again[0]["rows"] == rows
    listed = {d["dataset"]: d for d in env.json("ls")}
    assert (
        listed["binance-usdm/futures/BTCUSDT"]["rows"] == rows and listed["binance-usdm/futures/BTCUSDT"]["files"] == 1
    )

    png = tmp_path / "plot.png"
    shown = env.json("show", "binance-usdm/futures/BTCUSDT", "--png", str(png))
    assert png.read_bytes()[:4] == b"\x89PNG"
    bars = {m["minute"]: m for m in shown["minutes"]}
    assert len(bars) == len(minutes)
    scale = 10**INST.price_precision
    for minute, (high, low, n) in minutes.items():
        key = dt.datetime.fromtimestamp(minute, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        assert (bars[key]["high"], bars[key]["low"], bars[key]["trades"]) == (high / scale, low / scale, n), bars[key]
    assert shown["imports"][0]["gaps"] == 0 and shown["imports"][0]["duplicate_trades"] == 0

    assert env.json("verify") == {"datasets": 2, "problems": []}
    (part,) = (env.data / "catalog" / "binance" / "spot" / "BTCUSDT" / "book").glob("date=*/*.parquet")
    part.unlink()
    broken = env.run("verify")
    assert (
        broken.returncode == 1 and "binance/spot/BTCUSDT book: 0 rows in its files, 44 in the manifest" in broken.stdout
    )


def test_what_cannot_be_imported_or_read_says_so_in_one_line(tmp_path: Path) -> None:
    env = Env(tmp_path)
    data = gzip.compress(("\n".join(spot_lines()) + "\n").encode())
    cut = tmp_path / "cut.gz"
    cut.write_bytes(data[: len(data) // 2])
    out = env.run("import", str(cut))
    assert out.returncode == 2 and "truncated" in out.stderr and "nothing was imported" in out.stderr, out.stderr
    assert env.json("ls") == []
    out = env.run("ls", "--catalog", "nope://bucket/catalog")
    assert out.returncode == 2 and "not a storage this machine can reach" in out.stderr, out.stderr
    env.json("import", str(write(tmp_path / "spot.txt", spot_lines())))
    out = env.run("show", "binance/spot/ETHUSDT")
    assert out.returncode == 2 and "binance/spot/BTCUSDT" in out.stderr, out.stderr  # the ones it has
    out = env.run("show", "binance/spot/BTCUSDT")
    assert out.returncode == 2 and "no trades rows" in out.stderr, out.stderr
    (env.data / "catalog" / "catalog.json").write_text("{not json")
    out = env.run("ls")
    assert out.returncode == 2 and "damaged manifest" in out.stderr and "Traceback" not in out.stderr, out.stderr


@pytest.mark.parametrize("args", [["import", "missing.gz"], ["import"], ["show"]])
def test_bad_arguments_are_named(tmp_path: Path, args: list[str]) -> None:
    out = Env(tmp_path).run(*args)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr


def test_every_option_with_another_catalog_and_the_tables(tmp_path: Path) -> None:
    """--catalog on each command (the default one untouched), --symbol/--tick-size/--lot-size on
    import, and the tables a person reads (without --json)."""
    env = Env(tmp_path)
    env.vars["COLUMNS"] = "200"  # the tables unwrapped, names whole
    where = str(tmp_path / "elsewhere")
    eth = write(tmp_path / "eth.txt", spot_lines("ethusdt"))
    out = env.run(
        "import", str(eth), "--catalog", where, "--symbol", "ETHUSDT", "--tick-size", "0.01", "--lot-size", "0.001"
    )
    assert out.returncode == 0 and "binance/spot/ETHUSDT" in out.stdout and "none" in out.stdout, (
        out.stdout + out.stderr
    )
    out = env.run("import", str(sample_capture()), "--catalog", where)
    assert out.returncode == 0 and "binance-usdm/futures/BTCUSDT" in out.stdout, out.stderr
    manifest = json.loads((Path(where) / "catalog.json").read_text())["datasets"]
    assert manifest["binance/spot/ETHUSDT"]["tick_size"] == "0.01", manifest  # the flags, not the config
    assert not (env.data / "catalog").exists()  # the default catalog was not touched
    listed = env.run("ls", "--catalog", where)
    assert listed.returncode == 0 and "binance/spot/ETHUSDT" in listed.stdout and "15,377" in listed.stdout, (
        listed.stdout
    )
    shown = env.run("show", "binance-usdm/futures/BTCUSDT", "--catalog", where)
    assert shown.returncode == 0 and "23:54:00" in shown.stdout and "0 gaps" in shown.stdout, shown.stdout
    plot = next(line for line in shown.stdout.splitlines() if line.startswith("close by minute"))
    assert len(set(plot.split(": ", 1)[1]) - set("▁▂▃▄▅▆▇█")) == 0 and "▁" in plot and "█" in plot, plot
    verified = env.run("verify", "--catalog", where)
    assert verified.returncode == 0 and "2 dataset(s) checked: ok" in verified.stdout, verified.stdout
    # --symbol on replay names the instrument it reads at (the configured tick and lot fit here).
    out = subprocess.run(
        [*ALEPH, "replay", str(eth), "--symbol", "ETHUSDT", "--json"],
        capture_output=True, text=True, timeout=120, env=env.vars, cwd=env.cwd,
    )  # fmt: skip
    assert out.returncode == 0 and json.loads(out.stdout)["instrument"] == "binance:ETHUSDT", out.stderr
