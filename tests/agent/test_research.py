"""Research runs: read-only tools and a budget of backtests (real `aleph backtest` child
processes), a report under runs/ that `aleph runs` lists and shows, the summary in memory and on
Telegram (the loopback Bot API), a schedule; and the command as a person runs it."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import openai
import pytest

from alephtx.agent.research import RESEARCH_TOOLS, research_run
from alephtx.agent.scripted import ScriptedChatModel
from alephtx.cli.research_runs import research_loop
from alephtx.core.config.schema import AlephConfig
from alephtx.core.errors import FieldError
from alephtx.core.notes import Memory
from alephtx.core.research.runs import listing, new_folder
from alephtx.core.research.schedule import Schedule
from alephtx.tools.local import local_tools
from alephtx.tools.research_tools import ResearchBudget
from tests.support.fake_telegram import fake_telegram

ALEPH = [sys.executable, "-m", "alephtx.cli"]
TOKEN = "123456:TEST-token"


async def test_research_reads_writes_a_note_and_cannot_trade(tmp_path: Path) -> None:
    cfg = AlephConfig.model_validate({"data_dir": str(tmp_path)})
    memory = Memory(tmp_path / "memory")
    model = ScriptedChatModel(script=[
        [("get_positions", {})],
        [("propose_order", {"instrument": "paper-a:BTCUSDT", "side": "buy", "quantity": "0.002"})],
        [("save_note", {"text": "Flat on paper-b; paper-a long 0.001.", "source": "research-run"})],
        "Saved.",
    ])  # fmt: skip
    try:
        async with local_tools(cfg, memory=memory, workdir=tmp_path / "desk", origin="research") as tools:
            run = await research_run(cfg, model, tools, new_folder(tmp_path / "runs", "research"), telegram=False)
        results = [e.data for e in run.events if e.kind == "tool_result"]
        assert not results[0]["error"]
        assert results[1]["error"] and "no tool named 'propose_order'" in results[1]["text"]
        assert not results[2]["error"]
        assert memory.search("positions on paper-b", 1)[0]["source"] == "research-run"
        assert "propose_order" not in RESEARCH_TOOLS and "confirm_order" not in RESEARCH_TOOLS
        assert "Do not propose or place" in model.seen[0][0].content  # the task prompt is added
        assert run.summary == "Saved." and run.report["telegram"] == "not asked"
    finally:
        memory.close()


async def test_a_research_run_backtests_within_its_budget_and_reports(tmp_path: Path) -> None:
    cfg = AlephConfig.model_validate({"data_dir": str(tmp_path), "agent": {"telegram_users": [41, 42]}})
    memory = Memory(tmp_path / "memory")
    summary = "BTC quiet. grid 3 levels: see the backtest. Watch the spread."
    model = ScriptedChatModel(script=[
        [("list_datasets", {})],
        [("backtest", {"strategy": "grid", "params": {"levels": 2, "spacing_ticks": 20}})],
        [("backtest", {"strategy": "trend"})],  # over the budget of one
        [("backtest", {"strategy": "arbitrage"})],  # needs two venues: named
        summary,
    ])  # fmt: skip
    try:
        async with fake_telegram(TOKEN) as tg:
            cfg = cfg.model_copy(update={"agent": cfg.agent.model_copy(update={"telegram_api_url": tg.base_url})})
            os.environ["ALEPH_TELEGRAM_TOKEN"] = TOKEN
            try:
                async with local_tools(
                    cfg, memory=memory, workdir=tmp_path / "desk", origin="research", research=ResearchBudget(1, 120)
                ) as tools:
                    folder = new_folder(tmp_path / "runs", "research")
                    run = await research_run(cfg, model, tools, folder, model_name="scripted")
            finally:
                del os.environ["ALEPH_TELEGRAM_TOKEN"]
            sent = await tg.wait_sent(2)
        results = [e.data for e in run.events if e.kind == "tool_result"]
        made = json.loads(results[1]["text"])
        assert not results[1]["error"] and made["metrics"]["fills"] > 0 and made["backtests_left"] == 0
        assert made["events"] > 1000 and made["params"]["levels"] == 2  # the bundled sample, as asked
        assert results[2]["error"] and "budget of 1 backtests is spent" in results[2]["text"]
        assert results[3]["error"] and "strategy: one of grid" in results[3]["text"]
        r = run.report
        assert r["backtests"] == [made["run"]] and r["summary"] == summary and r["tool_errors"] == 2
        assert r["telegram"] == "sent to 2 user(s)"
        assert {m["chat_id"] for m in sent} == {41, 42} and all(summary in m["text"] for m in sent)
        md = (run.folder / "report.md").read_text()
        assert summary in md and f"`{made['run']}`" in md and "| 2 | `backtest` |" in md
        assert memory.search("BTC quiet grid", 1)[0]["source"] == f"research:{run.folder.name}"  # kept
        listed = {x["run"]: x for x in listing(tmp_path / "runs")}
        assert listed[run.folder.name]["strategy"] == "research" and made["run"] in listed  # both kinds
        assert json.loads((tmp_path / "runs" / made["run"] / "report.json").read_text())["strategy"]["kind"] == "grid"
    finally:
        memory.close()


def test_schedule_cron_and_interval() -> None:
    t = dt.datetime(2026, 12, 8, 3, 7, 30, tzinfo=dt.UTC)
    assert Schedule(("0 */4 * * *",)).next_after(t) == dt.datetime(2026, 12, 8, 4, 0, tzinfo=dt.UTC)
    both = Schedule(("0 */4 * * *", "*/10 * * * *"))
    assert both.next_after(t) == dt.datetime(2026, 12, 8, 3, 10, tzinfo=dt.UTC)  # the earliest
    every = Schedule(every_s=600)
    assert every.next_after(t) == t  # the first run is now
    assert every.next_after(t, last=t - dt.timedelta(seconds=60)) == t + dt.timedelta(seconds=540)
    assert Schedule().empty and "cron '0 */4 * * *'" in Schedule(("0 */4 * * *",)).describe()
    with pytest.raises(FieldError, match="cron='61 \\* \\* \\* \\*': a cron expression"):
        Schedule(("61 * * * *",))


async def test_the_loop_runs_on_its_schedule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two runs on a one-second interval through research_loop, as the node and the command use it."""
    cfg = AlephConfig.model_validate({"data_dir": str(tmp_path)})
    waits: list[dt.datetime] = []
    seen: list[str] = []
    failed: list[Exception] = []

    def down(_: object) -> str:
        raise openai.APIConnectionError(request=httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions"))

    def fake_endpoint_model(*_: object) -> ScriptedChatModel:
        return ScriptedChatModel(script=["first", down, "third"])

    # The endpoint's model scripted (a GPU-sized model cannot run here; the CPU model's runs are
    # in the command's test below): an endpoint is given, so no CPU server is started.
    monkeypatch.setattr("alephtx.cli.research_runs.chat_model", fake_endpoint_model)
    done = await research_loop(
        cfg,
        "http://127.0.0.1:9/v1",
        "scripted",
        Schedule(every_s=1),
        runs=3,
        on_run=lambda r: seen.append(r.summary),
        on_wait=waits.append,
        telegram=False,
        on_error=failed.append,
    )
    # The second run's model was down: said, no report left, and the schedule went on.
    assert done == 3 and seen == ["first", "third"] and len(waits) == 2
    assert len(failed) == 1 and "did not answer (APIConnectionError" in str(failed[0])
    assert [x["strategy"] for x in listing(tmp_path / "runs")] == ["research", "research"]


def test_the_command_from_an_empty_folder(tmp_path: Path) -> None:
    """`aleph research` and its options as a person types them (the CPU model proves the
    plumbing; what it writes is not judged), then `aleph runs ls/show`."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ALEPH_")}, "ALEPH_DATA_DIR": str(tmp_path / "d")}
    cwd = tmp_path / "empty"
    cwd.mkdir()

    def aleph(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*ALEPH, *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)

    out = aleph("research", "--json", "--ask", "What is BTC doing?", "--max-backtests", "0", "--no-telegram")
    assert out.returncode == 0, out.stderr[-2000:]
    (report,) = [json.loads(line) for line in out.stdout.splitlines()]
    assert report["ask"] == "What is BTC doing?" and report["telegram"] == "not asked"
    assert (Path(report["folder"]) / "report.md").exists() and report["model"]
    people = aleph("research", "--cron", "* * * * * */2", "--every", "3600", "--runs", "1", "--backtest-budget-s", "30")
    assert people.returncode == 0, people.stderr[-2000:]
    assert "runs on cron '* * * * * */2', every 3600 s (UTC)" in people.stdout and "report:" in people.stdout
    assert "Telegram: not configured" in people.stdout  # the interval's first run is at once: no wait
    listed = json.loads(aleph("runs", "ls", "--json").stdout)
    assert [r["strategy"] for r in listed] == ["research", "research"]
    shown = aleph("runs", "show", report["run"])
    assert shown.returncode == 0 and "Research run" in shown.stdout and "Summary" in shown.stdout
    for args, words in (
        (("research", "--cron", "every day"), "cron='every day'"),
        (("research", "--every", "-1"), "--every"),
        (("research", "--endpoint", "http://127.0.0.1:9", "--model", "m", "--no-telegram"), "did not answer"),
        (("runs", "compare", report["run"], listed[1]["run"]), "no metrics to compare"),
    ):
        bad = aleph(*args, timeout=60)
        assert bad.returncode == 2 and words in bad.stderr and "Traceback" not in bad.stderr, (args, bad.stderr)
