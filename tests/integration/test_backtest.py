"""`aleph backtest` and `aleph runs` as a person runs them, from an empty folder: a grid over a
catalog dataset and over the capture it came from (the same fills), byte-identical outputs for
identical inputs, the report's figures checked against the fills and equity it wrote, runs never
overwritten, compared, and bad arguments in one line."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from alephtx.core.config.resources import sample_capture
from alephtx.core.research.metrics import Trade, compute, round_trips
from tests.integration.test_cli import ALEPH
from tests.integration.test_data_catalog import Env

pytestmark = pytest.mark.slow
DATASET = "binance-usdm/futures/BTCUSDT"
GRID = json.dumps({"levels": 3, "spacing_ticks": 20})


def aleph(env: Env, *args: str) -> subprocess.CompletedProcess[str]:
    wide = {**env.vars, "COLUMNS": "200"}
    return subprocess.run([*ALEPH, *args], capture_output=True, text=True, timeout=300, env=wide, cwd=env.cwd)


def run(env: Env, *args: str) -> dict[str, Any]:
    out = aleph(env, "backtest", "--strategy", "grid", "--params", GRID, *args, "--json")
    assert out.returncode == 0, out.stderr
    report: dict[str, Any] = json.loads(out.stdout)
    return report


def test_a_grid_backtest_on_a_dataset_and_on_its_capture(tmp_path: Path) -> None:
    env = Env(tmp_path)
    assert aleph(env, "data", "import", str(sample_capture())).returncode == 0
    a = run(env, "--data", DATASET)
    b = run(env, "--data", DATASET)
    c = run(env, "--data", str(sample_capture()))
    fa, fb, fc = Path(a["folder"]), Path(b["folder"]), Path(c["folder"])
    assert len({fa, fb, fc}) == 3 and all(f.parent == env.data / "runs" for f in (fa, fb, fc))  # never overwritten
    assert a["instrument"]["key"] == "binance-usdm:BTCUSDT" == c["instrument"]["key"]  # as the data names it
    assert a["strategy"]["params"]["instrument"] == "binance-usdm:BTCUSDT" and a["strategy"]["error"] == ""
    for name in ("trades.parquet", "orders.parquet", "equity.parquet", "metrics.json"):
        assert (fa / name).read_bytes() == (fb / name).read_bytes(), name  # deterministic
    assert (fa / "trades.parquet").read_bytes() == (fc / "trades.parquet").read_bytes()  # dataset = capture
    assert a["metrics"]["fills"] > 10 and a["data"]["dataset"] == DATASET and a["data"]["gaps"] == 0

    # The figures from what the run wrote, recomputed here.
    trades = pl.read_parquet(fa / "trades.parquet")
    equity = pl.read_parquet(fa / "equity.parquet")
    first_ns = int(equity["ts_ns"][0] - equity["market_s"][0] * 1e9)
    mine = [
        Trade(
            (r["ts_ns"] - first_ns) / 1e9,
            r["instrument"],
            1 if r["side"] == "buy" else -1,
            float(r["price"]),
            float(r["quantity"]),
            float(r["fee"]),
        )
        for r in trades.iter_rows(named=True)
    ]
    m = a["metrics"]
    assert m["fills"] == trades.height and math.isclose(m["fees"], sum(t.fee for t in mine), rel_tol=1e-9)
    assert math.isclose(m["net_pnl"], equity["pnl"][-1], abs_tol=1e-9)
    assert m["end_positions"] == {"binance-usdm:BTCUSDT": round(sum(t.side * t.quantity for t in mine), 12)}
    again = compute(list(zip(equity["market_s"], equity["pnl"], strict=True)), mine, 100_000.0).as_dict()
    assert again["round_trips"] == m["round_trips"] and math.isclose(again["max_drawdown"], m["max_drawdown"])
    html = (fa / "report.html").read_text()
    assert "Plotly.newPlot" in html and "price, fills marked" in html and '<script src="http' not in html  # offline

    listed = json.loads(aleph(env, "runs", "ls", "--json").stdout)
    assert [r["run"] for r in listed] == sorted([fa.name, fb.name, fc.name])
    shown = json.loads(aleph(env, "runs", "show", fa.name[:-3], "--json").stdout)  # a unique start of it
    assert shown["metrics"] == m
    other = run(env, "--data", DATASET, "--taker-bps", "9", "--latency", "50")
    compared = {
        r["field"]: (r["a"], r["b"])
        for r in json.loads(aleph(env, "runs", "compare", fa.name, Path(other["folder"]).name, "--json").stdout)
    }
    assert compared["models.taker_bps"] == (5, 9) and compared["models.latency"] == ("1", "50")
    table = aleph(env, "runs", "compare", fa.name, Path(other["folder"]).name)
    assert table.returncode == 0 and "Sharpe" in table.stdout and "models.taker_bps: 5 -> 9" in table.stdout


def test_bad_arguments_are_one_line(tmp_path: Path) -> None:
    env = Env(tmp_path)
    for args, words in (
        (("backtest", "--strategy", "grid", "--params", "{not json"), "params: not JSON"),
        (("backtest", "--strategy", "grid", "--params", "[1]"), "params: a JSON object"),
        (("backtest", "--strategy", "nope"), "strategy"),
        (("backtest", "--strategy", "grid", "--data", "okx/swap/BTC-USDT-SWAP"), "not in"),
        (("backtest", "--strategy", "grid", "--data", "missing.gz"), "neither a file nor a dataset"),
        (("backtest", "--strategy", "grid", "--from", "2024-01-01"), "read a dataset"),
        (("runs", "show", "nope"), "run='nope': not found"),
        (("backtest", "--strategy", "grid", "--latency", "soon"), "latency"),
        (("backtest", "--strategy", "grid", "--queue", "lifo"), "queue"),
        (("backtest", "--strategy", "grid", "--fills", "most"), "fills='most': partial or whole"),
        (("backtest", "--strategy", "grid", "--maker-bps", "x"), "maker_bps"),
        (("backtest", "--strategy", "grid", "--fee-tier", "binance-usdm:vip42"), "regular, vip1"),
        (("backtest", "--strategy", "grid", "--fee-tier", "okx:regular", "--maker-bps", "1"), "leave out"),
        (("sweep", "--strategy", "grid", "--space", "levels=2|3", "--queue", "power:0"), "queue"),
    ):
        out = aleph(env, *args)
        assert out.returncode == 2 and words in out.stderr and "Traceback" not in out.stderr, (args, out.stderr)


def test_round_trips_by_hand() -> None:
    def t(ts: float, side: int, price: float, qty: float, fee: float = 0.0) -> Trade:
        return Trade(ts, "x:Y", side, price, qty, fee)

    trips = round_trips([t(0, 1, 100, 1, 0.1), t(1, 1, 102, 1), t(2, -1, 103, 3, 0.3), t(5, 1, 101, 1)])
    # Long 2 at 101 on average, sold 2 at 103 (+4, fees 0.1 + 0.2), then short 1 at 103 bought at 101 (+2, fee 0.1).
    assert [(x.opened_s, x.closed_s, round(x.pnl, 9)) for x in trips] == [(0, 2, 3.7), (2, 5, 1.9)]
    flat = compute([(0.0, 0.0), (1.0, 0.0)], [], 1000.0)
    assert flat.sharpe is None and flat.max_drawdown == 0 and flat.win_rate is None and flat.exposure_pct == 0
    dd = compute([(0.0, 0.0), (1.0, 10.0), (2.0, -5.0), (3.0, 12.0)], [], 1000.0)
    assert dd.max_drawdown == 15.0 and math.isclose(dd.max_drawdown_pct, 15 / 1010 * 100)
    assert dd.max_drawdown_duration_s == 2.0 and dd.calmar is None  # under a day


def test_every_backtest_option_changes_what_it_says(tmp_path: Path) -> None:
    """Each option through the command: none is accepted and ignored."""
    env = Env(tmp_path)
    catalog = tmp_path / "cat"
    assert aleph(env, "data", "import", str(sample_capture()), "--catalog", str(catalog)).returncode == 0
    base = run(env, "--data", DATASET, "--catalog", str(catalog))
    assert base["data"]["catalog"] == str(catalog) and base["metrics"]["fills"] > 0
    first = json.loads((catalog / "catalog.json").read_text())["datasets"][DATASET]["imports"][0]["first_exch_ns"]
    start = f"{first / 1e9 + 30:.3f}"
    import datetime as dt

    iso = dt.datetime.fromtimestamp(float(start), tz=dt.UTC).isoformat()
    ranged = run(env, "--data", DATASET, "--catalog", str(catalog), "--from", iso)
    assert ranged["data"]["start_ns"] is not None and ranged["events"] < base["events"]
    rich = run(env, "--data", DATASET, "--catalog", str(catalog), "--capital", "1000")
    assert math.isclose(rich["metrics"]["return_pct"], rich["metrics"]["net_pnl"] / 1000 * 100)
    assert rich["models"]["capital"] == 1000
    fees = run(env, "--data", DATASET, "--catalog", str(catalog), "--maker-bps", "-1")
    assert fees["models"]["maker_bps"] == -1 and fees["metrics"]["fees"] != base["metrics"]["fees"]
    taker = run(env, "--data", DATASET, "--catalog", str(catalog), "--taker-bps", "0.5")
    assert taker["models"]["taker_bps"] == 0.5
    tier = run(env, "--data", DATASET, "--catalog", str(catalog), "--fee-tier", "binance-usdm:vip1")
    assert (tier["models"]["maker_bps"], tier["models"]["taker_bps"]) == (1.6, 4)
    assert 0 < tier["metrics"]["fees"] < base["metrics"]["fees"]
    fed = run(env, "--data", DATASET, "--catalog", str(catalog), "--latency", "data")
    seen = fed["models"]["latency_ms_seen"]  # 1 ms plus the capture's delay beyond its fastest
    assert seen["orders_and_cancels"] >= fed["orders"] and 1 < seen["p90"] <= seen["max"] < 5_000, seen
    assert fed["metrics"] != base["metrics"]
    big = ("--data", DATASET, "--catalog", str(catalog), "--params", '{"size": "0.050"}')  # 50 lots: partial fills
    part, whole = run(env, *big), run(env, *big, "--fills", "whole")
    assert whole["models"]["fills"] == "whole" and whole["metrics"] != part["metrics"]
    queued = run(env, "--data", DATASET, "--catalog", str(catalog), "--queue", "power:3")
    assert queued["models"]["queue"] == "power:3" and queued["metrics"] != base["metrics"]
    slow = run(env, "--data", DATASET, "--catalog", str(catalog), "--timer-ms", "5000")
    n_base = pl.read_parquet(Path(base["folder"]) / "equity.parquet").height
    n_slow = pl.read_parquet(Path(slow["folder"]) / "equity.parquet").height
    assert n_slow < n_base / 3, (n_slow, n_base)
    tiny = run(env, "--data", DATASET, "--catalog", str(catalog), "--max-position", "0.001")
    assert tiny["refusals"].get("MAX_POSITION", 0) > 0 and not base["refusals"].get("MAX_POSITION")
    risk = tmp_path / "risk.toml"
    packaged = Path(__import__("alephtx.core.config.resources", fromlist=["x"]).config_file("risk.toml")).read_text()
    risk.write_text(packaged + '\n[instrument."binance-usdm:BTCUSDT"]\nmax_position = "0.001"\n')
    limited = run(env, "--data", DATASET, "--catalog", str(catalog), "--risk", str(risk))
    assert limited["refusals"].get("MAX_POSITION", 0) > 0  # the file's limit, not --max-position's 1
    table = aleph(env, "backtest", "--strategy", "grid", "--params", GRID, "--data", DATASET, "--catalog", str(catalog))
    assert table.returncode == 0 and "net PnL" in table.stdout and "report.html" in table.stdout


def test_a_sweep_on_two_ray_workers_gives_what_the_trials_give_one_by_one(tmp_path: Path) -> None:
    """8 grid trials on 2 local Ray workers against the same 8 run one by one in one process;
    then TPE: each of its trials rerun alone gives its result."""
    env = Env(tmp_path)
    space = "spacing_ticks=10..40:10, levels=2..3"

    def sweep(*args: str) -> dict[str, Any]:
        out = aleph(env, "sweep", "--strategy", "grid", "--space", space, "--objective", "net_pnl", *args, "--json")
        assert out.returncode == 0, out.stderr
        summary: dict[str, Any] = json.loads(out.stdout)
        return summary

    on_ray = sweep("--workers", "2")
    alone = sweep("--workers", "1")
    trials_ray = pl.read_parquet(Path(on_ray["folder"]) / "trials.parquet")
    trials_alone = pl.read_parquet(Path(alone["folder"]) / "trials.parquet")
    cols = ["spacing_ticks", "levels", "net_pnl", "fills", "sharpe", "max_drawdown"]
    assert trials_ray.height == 8 and trials_ray.select(cols).equals(trials_alone.select(cols))
    assert on_ray["best"]["net_pnl"] == max(trials_ray["net_pnl"]) and on_ray["workers"] == 2
    html = (Path(on_ray["folder"]) / "sweep.html").read_text()
    assert "heatmap" in html and "Plotly.newPlot" in html  # two parameters: a heatmap
    tpe = sweep("--sampler", "tpe", "--trials", "4", "--workers", "2", "--seed", "3")
    rows = pl.read_parquet(Path(tpe["folder"]) / "trials.parquet").to_dicts()
    assert len(rows) == 4
    from alephtx.core.research.backtest import BacktestSpec
    from alephtx.core.research.sweep import Data, trial

    for r in rows:  # each trial again, alone, in this process: the same figure
        again = trial(
            BacktestSpec("grid", {}),
            Data(capture=str(sample_capture())),
            {"venue": "binance-usdm", "symbol": "BTCUSDT", "tick_size": "0.10", "lot_size": "0.001"},
            str(Path(__import__("alephtx.core.config.resources", fromlist=["x"]).config_file("risk.toml"))),
            str(tmp_path / "again"),
            {"spacing_ticks": r["spacing_ticks"], "levels": r["levels"]},
        )
        assert again["metrics"]["net_pnl"] == r["net_pnl"], r
    for args, words in (
        (("--objective", "luck"), "objective='luck': one of"),
        (("--sampler", "random"), "sampler='random': grid or tpe"),
    ):
        out = aleph(env, "sweep", "--strategy", "grid", "--space", space, *args)
        assert out.returncode == 2 and words in out.stderr, out.stderr
    out = aleph(env, "sweep", "--strategy", "grid", "--space", "levels=5..2")
    assert out.returncode == 2 and "lo <= hi" in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_every_sweep_option_reaches_the_sweep(tmp_path: Path) -> None:
    """--params, --data with --catalog/--from/--to, --risk and --ray-address (a Ray cluster
    started with `ray start` on loopback), and the tables of `aleph runs`."""
    import datetime as dt
    import sys

    from tests.support.servers import free_port

    env = Env(tmp_path)
    catalog = tmp_path / "cat"
    assert aleph(env, "data", "import", str(sample_capture()), "--catalog", str(catalog)).returncode == 0
    first = json.loads((catalog / "catalog.json").read_text())["datasets"][DATASET]["imports"][0]["first_exch_ns"]
    iso = dt.datetime.fromtimestamp(first / 1e9 + 30, tz=dt.UTC).isoformat()
    risk = tmp_path / "risk.toml"
    packaged = Path(__import__("alephtx.core.config.resources", fromlist=["x"]).config_file("risk.toml")).read_text()
    risk.write_text(packaged + '\n[instrument."binance-usdm:BTCUSDT"]\nmax_position = "0.001"\n')
    port = free_port()
    ray = str(Path(sys.executable).parent / "ray")
    ray_env = {**env.vars, "RAY_USAGE_STATS_ENABLED": "0"}  # its HOME: the cluster's token is found there
    started = subprocess.run(
        [
            ray,
            "start",
            "--head",
            "--node-ip-address",
            "127.0.0.1",
            "--port",
            str(port),
            "--num-cpus",
            "2",
            "--include-dashboard",
            "false",
            "--disable-usage-stats",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=ray_env,
        cwd=env.cwd,
    )
    assert started.returncode == 0, started.stderr
    try:
        out = aleph(
            env,
            "sweep",
            "--strategy",
            "grid",
            "--space",
            "spacing_ticks=20|40",
            "--objective",
            "fills",
            "--params",
            '{"levels": 2}',
            "--data",
            DATASET,
            "--catalog",
            str(catalog),
            "--from",
            iso,
            "--risk",
            str(risk),
            "--ray-address",
            f"127.0.0.1:{port}",
            "--fee-tier",
            "binance-usdm:vip1",
            "--queue",
            "log",
            "--latency",
            "data+2",
            "--json",
        )
    finally:
        subprocess.run([ray, "stop", "--force"], capture_output=True, timeout=120, env=ray_env, cwd=env.cwd)
    assert out.returncode == 0, out.stderr
    # Only the summary on stdout, whatever Ray's driver says about its cluster (it writes to
    # file descriptor 1 from C++ when a raylet goes: that goes to stderr).
    assert out.stdout.count("\n") == 1, out.stdout
    summary = json.loads(out.stdout)
    assert summary["ray_address"] == f"127.0.0.1:{port}" and summary["strategy"]["params"] == {"levels": 2}
    assert summary["data"]["catalog"] == str(catalog) and summary["data"]["start"] == iso
    run = json.loads(
        (
            env.data / "runs" / Path(summary["folder"]).name / "trials" / summary["best"]["run"] / "report.json"
        ).read_text()
    )
    assert run["strategy"]["params"]["levels"] == 2 and run["refusals"].get("MAX_POSITION", 0) > 0  # the risk file
    assert run["data"]["start_ns"] is not None
    models = run["models"]  # the paper venue's models reached each trial
    assert (models["maker_bps"], models["queue"], models["latency"]) == (1.6, "log", "data+2")
    assert models["latency_ms_seen"]["median"] >= 2 and summary["models"]["fee_tier"] == "binance-usdm:vip1"
    listed = json.loads(aleph(env, "runs", "ls", "--json").stdout)
    assert [r["run"] for r in listed] == [Path(summary["folder"]).name] and listed[0]["strategy"] == "sweep: grid"
    table = aleph(env, "runs", "ls")
    assert table.returncode == 0 and "sweep: grid" in table.stdout, table.stdout
    shown = aleph(env, "runs", "show", Path(summary["folder"]).name)
    assert shown.returncode == 0 and "best" in shown.stdout and "fills" in shown.stdout, shown.stdout


def test_walk_forward_fits_on_each_window_and_tests_on_the_next(tmp_path: Path) -> None:
    env = Env(tmp_path)
    assert aleph(env, "data", "import", str(sample_capture())).returncode == 0
    out = aleph(
        env,
        "sweep",
        "--strategy",
        "grid",
        "--space",
        "spacing_ticks=20|40, levels=2|3",
        "--objective",
        "net_pnl",
        "--data",
        DATASET,
        "--walk-forward",
        "2",
        "--workers",
        "1",
        "--maker-bps",
        "0.5",
        "--taker-bps",
        "4",
        "--fills",
        "whole",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    wf = json.loads(out.stdout)
    assert (wf["models"]["maker_bps"], wf["models"]["taker_bps"], wf["models"]["fills"]) == ("0.5", "4", "whole")
    rows = wf["rows"]
    assert [r["window"] for r in rows] == [0, 1] and rows[0]["test_from"] == rows[1]["fit_from"]
    from alephtx.core.research.backtest import BacktestSpec, Models
    from alephtx.core.research.sweep import Data, trial

    catalog = str(env.data / "catalog")
    for r in rows:
        best = {"spacing_ticks": r["spacing_ticks"], "levels": r["levels"]}
        again = trial(
            BacktestSpec("grid", {}, Models(maker_bps="0.5", taker_bps="4", fills="whole")),
            Data(dataset=DATASET, catalog=catalog, start=r["test_from"], end=r["test_to"]),
            {"venue": "binance-usdm", "symbol": "BTCUSDT", "tick_size": "0.10", "lot_size": "0.001"},
            str(Path(__import__("alephtx.core.config.resources", fromlist=["x"]).config_file("risk.toml"))),
            str(tmp_path / "again"),
            best,
        )
        assert again["metrics"]["net_pnl"] == r["out_of_sample_net_pnl"], r  # the test window, the fitted params
    sweeps = {
        json.loads((p / "sweep.json").read_text())["data"]["start"]: p
        for p in (Path(wf["folder"]) / "windows").iterdir()
    }
    assert len(sweeps) == 2
    for r in rows:  # in sample: the best of that window's own sweep
        assert r["in_sample_net_pnl"] == max(pl.read_parquet(sweeps[r["fit_from"]] / "trials.parquet")["net_pnl"])
    bad = aleph(env, "sweep", "--strategy", "grid", "--space", "levels=2|3", "--walk-forward", "2")
    assert bad.returncode == 2 and "name a dataset" in bad.stderr, bad.stderr
