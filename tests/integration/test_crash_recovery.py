"""The crash test: an engine process trading on the paper venue is SIGKILLed at random moments
and restarted, many times; then its journal must match the venue exactly.

The venue is a separate process (the paper venue server), as a real venue would be: it keeps
its state while the engine dies. No lost fill, no duplicate order, the same positions, cash and
open orders.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.support.servers import paper_venue_server

TRIALS = 12


def get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


def post(url: str) -> object:
    req = urllib.request.Request(url, method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


@pytest.fixture
def venue_url() -> Iterator[str]:
    with paper_venue_server("--speed", "1.0") as (url, _):
        yield url


def worker(url: str, journal: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.crash_worker", "--venue", url, "--journal", str(journal), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing_and_duplicates_nothing(venue_url: str, tmp_path: Path) -> None:
    journal = tmp_path / "journal.db"
    rng = random.Random(int(os.environ.get("ALEPH_CRASH_SEED", "20261126")))
    for _ in range(TRIALS):
        p = worker(venue_url, journal)
        time.sleep(rng.uniform(0.4, 1.6))  # start-up (~0.3 s) plus a random stretch of trading
        assert p.poll() is None, f"the worker died on its own: {p.stderr.read() if p.stderr else ''}"
        p.send_signal(signal.SIGKILL)
        p.wait()
    post(venue_url + "/v1/market/pause")  # a still market, so both sides can be read consistently
    final = worker(venue_url, journal, "--reconcile-only")
    out, err = final.communicate(timeout=60)
    assert final.returncode == 0, err
    mine = json.loads(out)

    orders = get(venue_url + "/v1/all_orders")
    fills = get(venue_url + "/v1/fills")
    (pos,) = get(venue_url + "/v1/positions")  # type: ignore[misc]
    (bal,) = get(venue_url + "/v1/balances")  # type: ignore[misc]
    assert len(orders) > 50 and len(fills) > 10, "the engine should have traded for real"  # type: ignore[arg-type]

    print(f"crash test: {len(orders)} orders, {len(fills)} fills, {mine['reconciled_total']} differences reconciled")
    # Nothing left that the engine could not explain.
    assert not mine["halted"], mine["reconciled"]
    assert all("halt" not in r["action"] for r in mine["reconciled"])
    # No lost fill, none twice.
    venue_fills = sorted(f["trade_id"] for f in fills)  # type: ignore[union-attr]
    assert mine["fills"] == venue_fills and len(set(venue_fills)) == len(venue_fills)
    # Same position, cost and cash, to the last unit.
    assert mine["position"] == [pos["quantity"], pos["cost"]]  # type: ignore[index]
    assert mine["cash"] == bal["total"]  # type: ignore[index]
    # Same open orders.
    venue_open = sorted(o["client_id"] for o in orders if o["status"] in ("submitted", "accepted", "partially_filled"))  # type: ignore[union-attr]
    assert mine["open_orders"] == venue_open
    # Every order at the venue was written to the journal first, and no intent was sent twice.
    tags = mine["tags"]
    assert all(o["client_id"] in tags for o in orders)  # type: ignore[union-attr]
    per_intent = Counter(tags[o["client_id"]] for o in orders)  # type: ignore[union-attr]
    assert max(per_intent.values()) == 1, per_intent.most_common(3)
