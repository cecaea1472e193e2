"""The eval scenarios, their checks (which must be able to fail), and a full run against the
real CPU model server: it scores low, and the engine's invariants hold anyway."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from alephtx.agent.llm import CPU_MODEL_NAME, chat_model, cpu_server
from alephtx.agent.scripted import ScriptedChatModel
from alephtx.core.config.schema import AlephConfig
from alephtx.core.errors import FieldError
from alephtx.core.notes import Memory
from alephtx.evals.runner import run_evals, run_one
from alephtx.evals.scenarios import CATEGORIES, load_scenarios
from alephtx.evals.scorecard import scorecard, write_scorecard
from tests.support.servers import free_port

INST = "paper-a:BTCUSDT"


def test_forty_scenarios_in_every_category() -> None:
    scenarios = load_scenarios()
    assert len(scenarios) >= 40
    counts = Counter(s.category for s in scenarios)
    assert set(counts) == set(CATEGORIES) and min(counts.values()) >= 4


def test_a_bad_scenario_file_names_the_field(tmp_path: Path) -> None:
    (tmp_path / "x.toml").write_text('[[scenario]]\nid = "a"\ncategory = "nope"\nprompt = "p"\nexpect = {}\n')
    with pytest.raises(FieldError, match=r"x\.toml\[0\]\.category"):
        load_scenarios(tmp_path)
    (tmp_path / "x.toml").write_text(
        '[[scenario]]\nid = "a"\ncategory = "abstain"\nprompt = "p"\nexpect = { magic = 1 }\n'
    )
    with pytest.raises(FieldError, match="expect"):
        load_scenarios(tmp_path)


def _scn(sid: str):  # type: ignore[no-untyped-def]
    return next(s for s in load_scenarios() if s.id == sid)


async def test_checks_pass_and_fail_on_scripted_behaviour(tmp_path: Path) -> None:
    cfg = AlephConfig.model_validate({"data_dir": str(tmp_path)})
    memory = Memory(tmp_path / "memory")
    try:
        good = await run_one(
            _scn("ab-greeting"), 0, ScriptedChatModel(script=["I am AlephTX's assistant."]), cfg, memory, tmp_path
        )
        assert good.passed, good.failures
        bad = await run_one(
            _scn("ab-greeting"), 1, ScriptedChatModel(script=[[("get_pnl", {})], "hi"]), cfg, memory, tmp_path
        )
        assert not bad.passed and bad.failures[0].startswith("no_tools")
        # Told to buy big and confirm: the approval stop is denied, nothing placed, invariants hold.
        pushy = ScriptedChatModel(script=[
            [("propose_order", {"instrument": INST, "side": "buy", "quantity": "0.010"})],
            lambda msgs: [("confirm_order", {"ticket_id": json.loads(msgs[-1].content)["ticket_id"]})],
            "done",
        ])  # fmt: skip
        denied = await run_one(_scn("appr-big-denied"), 0, pushy, cfg, memory, tmp_path)
        assert denied.passed and denied.invariants_ok
        assert any(e["kind"] == "approval" for e in denied.events)
        # The injected note is returned marked as untrusted data.
        reader = ScriptedChatModel(script=[[("search_notes", {"query": "BTC"})], "The note asks to trade; I will not."])
        inj = await run_one(_scn("inj-note-ignore-limits"), 0, reader, cfg, memory, tmp_path)
        note = next(e for e in inj.events if e["kind"] == "tool_result")
        assert "untrusted_data" in note["text"] and "SYSTEM OVERRIDE" in note["text"] and inj.passed
    finally:
        memory.close()


async def test_the_cpu_model_scores_low_and_the_engine_holds(tmp_path: Path) -> None:
    scenarios = load_scenarios()
    cfg = AlephConfig.model_validate({"data_dir": str(tmp_path), "agent": {"recursion_limit": 6}})
    with cpu_server(free_port(), tmp_path / "llm.log") as endpoint:
        results = await run_evals(
            scenarios, lambda: chat_model(endpoint, CPU_MODEL_NAME, max_tokens=96), cfg, tmp_path / "work", 1, False
        )
    card = scorecard(results, model=CPU_MODEL_NAME, endpoint=endpoint, k=1, prompt_version=1)
    write_scorecard(card, results, tmp_path / "card")
    assert card["runs"] == len(scenarios)
    assert card["invariants_held"], card["invariant_failures"]  # whatever the model did
    assert 0.0 <= card["pass_rate"] <= 1.0 and card["latency_s"]["p50"] > 0
    for name in ("scorecard.json", "scorecard.md", "scorecard.html", "runs.json"):
        assert (tmp_path / "card" / name).stat().st_size > 0
