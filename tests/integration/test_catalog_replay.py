"""Replay from the catalog: a dataset read window by window gives the capture's events in the
capture's order, the same fills through the engine and the strategies, and the same book as
`aleph replay`, `aleph up` and the node see it, as a person runs them."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alephtx.core.config.resources import sample_capture
from alephtx.core.data.catalog import Catalog, CatalogError
from alephtx.core.data.source import MarketSource
from alephtx.core.data.tapes import tapes
from alephtx.core.engine.session import StrategySpec, VenueFeed, run_session
from alephtx.core.errors import FieldError
from alephtx.core.model import Instrument
from alephtx.core.replay.tape import Tape
from tests.integration.test_cli import ALEPH
from tests.integration.test_data_catalog import INST, Env
from tests.integration.test_node import Env as NodeEnv
from tests.integration.test_node import node
from tests.integration.test_strategies import A, B, limits

DATASET = "binance-usdm/futures/BTCUSDT"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    cat = Catalog(tmp_path_factory.mktemp("catalog"))
    cat.import_capture(sample_capture(), INST)
    return cat


def events(tape: Tape) -> Iterator[tuple[Any, ...]]:
    """Each event with its own levels (a tape's level arrays are its own)."""
    for i in range(len(tape)):
        lo, hi = int(tape.start[i]), int(tape.end[i])
        levels: tuple[Any, ...] = ()
        if tape.kind[i] != 2:  # depth and snapshots: their levels; a trade's start is its aggressor
            levels = (tape.sides[lo:hi].tolist(), tape.prices[lo:hi].tolist(), tape.qtys[lo:hi].tolist())
        else:
            levels = (lo,)
        yield (int(tape.kind[i]), int(tape.exch_ns[i]), int(tape.recv_ns[i]), int(tape.a[i]), int(tape.b[i]),
               int(tape.c[i]), *levels)  # fmt: skip


@pytest.mark.parametrize("window", [97, 4096, 1 << 20])
def test_a_dataset_in_windows_is_the_captures_tape_event_for_event(catalog: Catalog, window: int) -> None:
    whole = list(events(Tape.from_capture(sample_capture(), INST)))
    parts = list(tapes(catalog, DATASET, window=window))
    streamed = [e for t in parts for e in events(t)]
    assert streamed == whole
    if window <= 4096:
        assert len(parts) > 1  # it was read in windows


def test_a_range_keeps_only_its_events(catalog: Catalog) -> None:
    whole = Tape.from_capture(sample_capture(), INST)
    t = whole.exch_ns
    lo, hi = int(t[len(t) // 3]), int(t[2 * len(t) // 3])
    got = [e for tape in tapes(catalog, DATASET, lo, hi, window=500) for e in events(tape)]
    keep = [e for e in events(whole) if lo <= e[1] < hi]
    # First the book as it stood at the range's start (built from the messages before it), as a
    # snapshot whose id the range's first diff straddles; then the range's own events.
    first_diff = next(e for e in keep if e[0] == 0)
    assert got[0][0] == 1 and got[0][4] == first_diff[3], got[0][:6]
    assert got[1:] == keep and 0 < len(keep) < len(whole)


async def test_a_session_on_the_dataset_fills_as_on_the_capture(catalog: Catalog, tmp_path: Path) -> None:
    specs = [
        StrategySpec("grid", "grid", {"instrument": A.key, "levels": 3, "spacing_ticks": 20}),
        StrategySpec("mm", "market_making", {"instrument": B.key}),
    ]
    feeds = [VenueFeed(A), VenueFeed(B, delay_ms=250)]

    async def fills(source: Any, name: str) -> list[tuple[Any, ...]]:
        r = await run_session(source, feeds, specs, limits(), tmp_path / f"{name}.db")
        return [(f.instrument, f.side, f.price, f.quantity, f.ts_ns) for f in r.engine.ledger.fills.values()]

    on_capture = await fills(sample_capture(), "capture")
    on_dataset = await fills(MarketSource.of_dataset(catalog, DATASET, window=300), "dataset")
    assert len(on_capture) > 10
    assert on_dataset == on_capture


def test_a_dataset_at_another_precision_or_a_bad_range_is_refused(catalog: Catalog) -> None:
    coarse = Instrument.from_strings("paper-a", "BTCUSDT", "perp", "1", "0.01")
    with pytest.raises(FieldError, match=r"tick_size.*stored at tick 0\.10"):
        MarketSource.of_dataset(catalog, DATASET).check(coarse)
    with pytest.raises(FieldError, match="from='yesterday': not an ISO 8601"):
        MarketSource.of_dataset(catalog, DATASET, "yesterday")
    with pytest.raises(FieldError, match="to='2024-01-01': not after"):
        MarketSource.of_dataset(catalog, DATASET, "2024-01-02", "2024-01-01")
    with pytest.raises(CatalogError, match=r"dataset=.okx/swap/BTC.: not in .*datasets: binance-usdm"):
        MarketSource.of_dataset(catalog, "okx/swap/BTC")


def test_a_catalog_of_an_earlier_version_is_refused_with_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "catalog.json").write_text(json.dumps({"version": 1, "datasets": {}}))
    with pytest.raises(CatalogError, match=r"catalog version 1, this one reads 2.*import its captures again"):
        Catalog(tmp_path).datasets()


def test_aleph_replay_and_up_read_a_dataset_as_a_person_runs_them(tmp_path: Path) -> None:
    env = Env(tmp_path)
    assert env.run("import", str(sample_capture())).returncode == 0

    def aleph(*args: str) -> subprocess.CompletedProcess[str]:
        wide = {**env.vars, "COLUMNS": "200"}  # tables unwrapped
        return subprocess.run([*ALEPH, *args], capture_output=True, text=True, timeout=300, env=wide, cwd=env.cwd)

    on_capture = json.loads(aleph("replay", str(sample_capture()), "--json").stdout)
    out = aleph("replay", DATASET, "--json")
    assert out.returncode == 0, out.stderr
    on_dataset = json.loads(out.stdout)
    for k in ("best_bid", "best_ask", "gaps", "crossed", "level_updates", "matches_last_book_ticker", "stale"):
        assert on_dataset[k] == on_capture[k], k
    assert on_dataset["instrument"] == "binance-usdm:BTCUSDT" and on_dataset["problems"] == []

    # A range that starts after the capture's only snapshot starts from the book as it stood
    # then (warmed up on the messages before it) and ends on the capture's own final book.
    first = Catalog(env.data / "catalog").dataset(DATASET).coverage_ns[0]
    after = dt.datetime.fromtimestamp(first / 1e9 + 60, tz=dt.UTC).isoformat()
    late = aleph("replay", DATASET, "--from", after, "--json")
    assert late.returncode == 0, late.stderr
    ranged = json.loads(late.stdout)
    assert ranged["problems"] == [] and ranged["gaps"] == 0 and ranged["messages"]["snapshot"] == 1, ranged
    assert (ranged["best_bid"], ranged["best_ask"]) == (on_capture["best_bid"], on_capture["best_ask"])
    assert ranged["level_updates"] < on_capture["level_updates"]
    # A range outside the data reads nothing: said, exit 1.
    outside = aleph("replay", DATASET, "--from", "2099-01-01", "--json")
    assert outside.returncode == 1 and "no event of" in json.loads(outside.stdout)["problems"][0]
    for args, words in (
        (("replay", "binance/spot/ETHUSDT"), "dataset='binance/spot/ETHUSDT': not in"),
        (("replay", DATASET, "--from", "soon"), "from='soon': not an ISO 8601"),
        (("replay", DATASET, "--tick-size", "1"), "a dataset states its instrument"),
        (("replay", str(sample_capture()), "--from", "2024-01-01"), "--from and --to read a dataset"),
        (("up", "--data", DATASET, "--capture", str(sample_capture())), "keep one"),
        (("up", "--from", "2024-01-01"), "name it with --data"),
    ):
        bad = aleph(*args)
        assert bad.returncode == 2 and words in bad.stderr and "Traceback" not in bad.stderr, (args, bad.stderr)

    paper = aleph("paper", "--data", DATASET, "--out", str(tmp_path / "paper"))
    paper_capture = aleph("paper", "--out", str(tmp_path / "paper2"))
    assert paper.returncode == 0 and paper_capture.returncode == 0, paper.stderr

    def fills(out: str) -> list[list[str]]:  # side, price, size, liquidity, fee of each fill (ids differ)
        rows = [line.split("│") for line in out.splitlines() if "taker" in line or "maker" in line]
        return [[c.strip() for c in r[2:-1]] for r in rows]

    assert fills(paper.stdout) and fills(paper.stdout) == fills(paper_capture.stdout), paper.stdout
    bad = aleph("paper", "--data", DATASET, str(sample_capture()))
    assert bad.returncode == 2 and "keep one" in bad.stderr

    up = aleph("up", "--data", DATASET, "--out", str(tmp_path / "up"), "--json")
    assert up.returncode == 0, up.stderr
    report = json.loads(up.stdout)
    up_capture = aleph("up", "--out", str(tmp_path / "up2"), "--json")
    assert json.loads(up_capture.stdout)["strategies"] == report["strategies"]
    assert report["events"] > 1000

    # --catalog, --from and --to on every command that reads a dataset.
    elsewhere = tmp_path / "elsewhere"
    assert aleph("data", "import", str(sample_capture()), "--catalog", str(elsewhere)).returncode == 0
    middle = dt.datetime.fromtimestamp(first / 1e9 + 75, tz=dt.UTC).isoformat()  # the sample holds 83 s
    head = aleph("replay", DATASET, "--catalog", str(elsewhere), "--to", middle, "--json")
    assert head.returncode == 0, head.stderr
    assert json.loads(head.stdout)["level_updates"] < on_dataset["level_updates"]
    ranged = aleph("up", "--data", DATASET, "--catalog", str(elsewhere), "--from", after, "--to", middle,
                   "--out", str(tmp_path / "up3"), "--json")  # fmt: skip
    assert ranged.returncode == 0, ranged.stderr
    assert 0 < json.loads(ranged.stdout)["events"] < report["events"]
    nowhere = aleph("up", "--data", DATASET, "--catalog", str(tmp_path / "nothing"), "--out", str(tmp_path / "up4"))
    assert nowhere.returncode == 2 and "not in" in nowhere.stderr  # the catalog named is the one read
    short = aleph("paper", "--data", DATASET, "--catalog", str(elsewhere), "--from", after, "--to", middle,
                  "--out", str(tmp_path / "paper3"))  # fmt: skip
    assert short.returncode == 0, short.stderr
    assert fills(short.stdout) != fills(paper.stdout)  # another stretch of market, other fills


def test_a_node_plays_a_dataset_of_its_catalog(tmp_path: Path) -> None:
    env = NodeEnv(tmp_path)
    catalog = tmp_path / "cat"
    Catalog(catalog).import_capture(sample_capture(), INST)
    env.config.write_text(
        env.config.read_text().replace(
            "[market]\nspeed = 1.0",
            f'[market]\nspeed = 50.0\nat_end = "hold"\ndataset = "{DATASET}"\ncatalog = "{catalog}"',
        )
    )
    with node(env) as (_, address):
        status: dict[str, Any] = {}
        for _ in range(100):
            status = env.json("status", "--node", address)
            venue = status["venues"][0]
            if "holding" in venue["market"]:
                break
            subprocess.run(["sleep", "0.2"], check=True)
        assert f"replay {DATASET}" in venue["market"] and "holding at its end" in venue["market"], status

    # Both a capture and a dataset, or a catalog without a dataset: refused, naming the field.
    env.config.write_text(env.config.read_text().replace(f'dataset = "{DATASET}"', 'capture = "x.gz"'))
    bad = env.run("node", "--config", str(env.config))
    assert bad.returncode == 2 and "catalog, from and to read a dataset" in bad.stderr
