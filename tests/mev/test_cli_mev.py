"""`aleph mev simulate` and `aleph mev backrun` through the real command line parser."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from alephtx.cli.main import app
from alephtx.core.mev import backrun, sandwich, univ2

runner = CliRunner()
RX, RY, V = 1_000 * 10**18, 2_000_000 * 10**18, 10 * 10**18


def test_simulate_prints_the_exposure_and_checks_it_in_the_evm() -> None:
    m = univ2.get_amount_out(V, RX, RY) * 99 // 100
    args = ["mev", "simulate", "--reserve-in", str(RX), "--reserve-out", str(RY), "--amount-in", str(V)]
    res = runner.invoke(app, [*args, "--min-out", str(m), "--gas-cost", str(10**15), "--evm", "--json"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    assert got.pop("evm_check").startswith("equal to the wei")
    assert got == sandwich.exposure_v2(RX, RY, V, m, gas_cost=10**15)


def test_backrun_and_bad_arguments() -> None:
    res = runner.invoke(
        app,
        [
            "mev",
            "backrun",
            "--pool-a",
            f"{RX},{RY}",
            "--pool-b",
            f"{2 * RX},{2 * RY}",
            "--pending-in",
            str(V),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    want = backrun.find_backrun(backrun.PoolV2(RX, RY, name="a"), backrun.PoolV2(2 * RX, 2 * RY, name="b"), V, True)
    assert json.loads(res.stdout) == want and want["profitable"]
    bad = runner.invoke(app, ["mev", "backrun", "--pool-a", "1,x", "--pool-b", "1,1", "--pending-in", "1"])
    assert bad.exit_code == 2 and "pool_a" in bad.stderr and "two integers" in bad.stderr
    bad = runner.invoke(app, ["mev", "simulate", "--reserve-in", "0", "--reserve-out", "1", "--amount-in", "1"])
    assert bad.exit_code == 2 and "reserve_in=0" in bad.stderr
