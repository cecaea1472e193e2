"""The demo's scripted paper session (`aleph paper`, cli/paper.py): every refusal has its reason, and the books balance."""

from __future__ import annotations

from pathlib import Path

from alephtx.cli.paper import INSTRUMENT, run_paper_session
from alephtx.core.config.resources import sample_capture
from alephtx.core.journal import SqliteJournal
from alephtx.core.state.ledger import Ledger
from tests.conftest import ROOT
from tests.integration.test_cli import run


async def test_session_is_deterministic_and_refuses_what_it_should(tmp_path: Path) -> None:
    a = await run_paper_session(sample_capture(), ROOT / "configs" / "risk.toml", tmp_path / "a.db")
    b = await run_paper_session(sample_capture(), ROOT / "configs" / "risk.toml", tmp_path / "b.db")
    assert [(s.outcome.split(" (")[0], s.reason) for s in a.steps] == [
        (s.outcome.split(" (")[0], s.reason) for s in b.steps
    ]
    assert [(f.price, f.quantity, f.fee) for f in a.fills] == [(f.price, f.quantity, f.fee) for f in b.fills]
    refused = sorted(s.reason for s in a.steps if not s.ok)
    assert refused == [
        "AGENT_MAX_ORDER_NOTIONAL",
        "MAX_ORDER_NOTIONAL",
        "MAX_ORDER_NOTIONAL",
        "POST_ONLY_WOULD_TAKE",
        "PRICE_BAND",
        "REDUCE_ONLY_WOULD_INCREASE",
    ]
    assert a.fills and a.equity == a.realised - a.fees + a.unrealised + 100_000 * 10**12
    # The journal alone rebuilds the same account.

    led = Ledger({INSTRUMENT.key: INSTRUMENT}, 100_000 * 10**12)
    for seq, ev in SqliteJournal(tmp_path / "a.db").read():
        led.apply(ev, seq)
    assert led.cash() == 100_000 * 10**12 + a.realised - a.fees
    assert len(led.fills) == len(a.fills)


def test_cli_paper_prints_fills_pnl_and_reasons(tmp_path: Path) -> None:
    # Without --out, the journal and the picture go to <data folder>/demo.
    out = run("--data-dir", str(tmp_path), "paper", "--limits", str(ROOT / "configs" / "risk.toml"))
    assert out.returncode == 0, out.stderr
    for text in ("Fills", "PnL", "PRICE_BAND", "AGENT_MAX_ORDER_NOTIONAL", "equity"):
        assert text in out.stdout
    assert (tmp_path / "demo" / "equity.png").stat().st_size > 1000
