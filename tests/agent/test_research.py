"""A research run reads and writes a note, and has no tool that trades."""

from __future__ import annotations

from pathlib import Path

from alephtx.agent.research import RESEARCH_TOOLS, research_run
from alephtx.agent.scripted import ScriptedChatModel
from alephtx.core.config.schema import AlephConfig
from alephtx.core.notes import Memory
from alephtx.tools.local import local_tools


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
            events = await research_run(cfg, model, tools)
        results = [e.data for e in events if e.kind == "tool_result"]
        assert not results[0]["error"]
        assert results[1]["error"] and "no tool named 'propose_order'" in results[1]["text"]
        assert not results[2]["error"]
        assert memory.search("positions on paper-b", 1)[0]["source"] == "research-run"
        assert "propose_order" not in RESEARCH_TOOLS and "confirm_order" not in RESEARCH_TOOLS
        assert "Do not propose or place" in model.seen[0][0].content  # the task prompt is added
    finally:
        memory.close()
