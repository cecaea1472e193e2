"""`aleph chat` and `aleph eval` as a person runs them, on the real CPU model server; agent
checkpoints in the real PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from alephtx.agent.llm import cpu_server
from alephtx.agent.scripted import ScriptedChatModel
from alephtx.agent.session import agent_session
from alephtx.core.config.schema import AlephConfig
from alephtx.tools.desk import Desk
from alephtx.tools.local import local_tools
from tests.support.servers import free_port, postgres_server

ALEPH = [sys.executable, "-m", "alephtx.cli"]


def _env(tmp: Path) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("ALEPH_")}, "ALEPH_DATA_DIR": str(tmp)}


@pytest.fixture(scope="module")
def cpu_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with cpu_server(free_port(), tmp_path_factory.mktemp("llm") / "llm.log") as endpoint:
        yield endpoint


def test_chat_answers_through_the_whole_stack(tmp_path: Path, cpu_endpoint: str) -> None:
    out = subprocess.run(
        [*ALEPH, "chat", "--endpoint", cpu_endpoint, "--model", "smollm2-135m-instruct"],
        input="/positions\nHello, who are you?\n/halt lunch\n/risk\n/quit\n",
        capture_output=True, text=True, timeout=180, env=_env(tmp_path),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    turns = out.stdout.split("you>")  # the prompt before each line read; input is not echoed
    assert "Model: smollm2-135m-instruct at http://127.0.0.1:" in " ".join(turns[0].split())  # the banner
    assert '"instrument": "paper-a:BTCUSDT"' in turns[1]  # /positions, no model needed
    assert turns[2].strip()  # the model answered the free text, streamed
    assert '"state": "HALTED"' in turns[3] and "lunch" in turns[3]
    assert '"untrusted_data": "lunch"' in turns[4]  # /risk: the reason a person typed, as data
    calls = [json.loads(row) for row in (tmp_path / "agent" / "tool_calls.jsonl").read_text().splitlines()]
    assert {c["tool"] for c in calls} >= {"get_positions", "halt_trading", "get_risk_status"}
    assert {c["origin"] for c in calls} == {"chat:terminal"}


def test_the_banner_says_what_the_cpu_model_cannot_do(tmp_path: Path) -> None:
    out = subprocess.run([*ALEPH, "chat"], input="/quit\n", capture_output=True, text=True, timeout=120,
                         env=_env(tmp_path) | {"COLUMNS": "100"})  # fmt: skip
    banner = " ".join(out.stdout.split("you>")[0].replace("│", " ").split())
    assert out.returncode == 0 and "an embedded paper node (paper-a:BTCUSDT" in banner, banner
    assert "embedded CPU model (SmolLM2 135M)" in banner and "almost never picks a tool" in banner, banner


def test_eval_command_writes_a_scorecard(tmp_path: Path, cpu_endpoint: str) -> None:
    out = subprocess.run(
        [*ALEPH, "eval", "--endpoint", cpu_endpoint, "--model", "smollm2-135m-instruct", "--category", "abstain",
         "--out", str(tmp_path / "card"), "--max-tokens", "64"],
        capture_output=True, text=True, timeout=300, env=_env(tmp_path),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    card = json.loads((tmp_path / "card" / "scorecard.json").read_text())
    assert card["runs"] == 6 and set(card["by_category"]) == {"abstain"} and card["invariants_held"]
    assert "<table>" in (tmp_path / "card" / "scorecard.html").read_text()
    bad = subprocess.run([*ALEPH, "eval", "--endpoint", "ftp://x", "--model", "m"], capture_output=True, text=True,
                         timeout=60, env=_env(tmp_path))  # fmt: skip
    assert bad.returncode == 2 and "llm_endpoint" in bad.stderr


def test_llm_serve_prints_the_vllm_command_for_a_4070_ti(tmp_path: Path) -> None:
    out = subprocess.run(
        [*ALEPH, "llm", "serve", "--dry-run"], capture_output=True, text=True, timeout=60, env=_env(tmp_path)
    )
    assert out.returncode == 0
    for part in ("vllm serve", "AWQ", "--enable-auto-tool-choice", "--tool-call-parser hermes", "--max-model-len 16384",
                 "--gpu-memory-utilization 0.9"):  # fmt: skip
        assert part in out.stdout


async def test_checkpoints_in_postgresql(tmp_path: Path) -> None:
    desk = await Desk.from_replay(tmp_path / "desk")
    model = ScriptedChatModel(script=["noted", "you said Ada"])
    with postgres_server() as dsn:
        cfg = AlephConfig.model_validate({"data_dir": str(tmp_path), "agent": {"checkpoints": dsn}})
        thread = f"pg-{os.getpid()}-{tmp_path.name}"
        async with local_tools(cfg, desk=desk) as tools, agent_session(cfg, model, tools) as agent:
            _ = [e async for e in agent.ask("my name is Ada", thread=thread)]
        async with local_tools(cfg, desk=desk) as tools, agent_session(cfg, model, tools) as agent:
            _ = [e async for e in agent.ask("what is my name?", thread=thread)]
    assert any("my name is Ada" in str(m.content) for m in model.seen[-1])
    assert not (tmp_path / "agent" / "checkpoints.db").exists()  # nothing went to SQLite
