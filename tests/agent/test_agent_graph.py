"""The agent graph with a scripted chat model, through the real MCP server and client (in memory)
and real SQLite checkpoints: the deterministic paths."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from alephtx.agent.scripted import ScriptedChatModel
from alephtx.agent.session import Agent, Event, agent_session
from alephtx.agent.slash import ToolRefused, run_slash
from alephtx.core.config.schema import AlephConfig
from alephtx.core.errors import FieldError
from alephtx.tools.desk import Desk
from alephtx.tools.local import local_tools

INST = "paper-a:BTCUSDT"


def _ticket_id(messages: list[Any]) -> str:
    for m in reversed(messages):
        if getattr(m, "name", None) == "propose_order":
            return str(json.loads(m.content)["ticket_id"])
    raise AssertionError("no ticket in the conversation")


async def _collect(events: Any) -> list[Event]:
    return [e async for e in events]


@pytest.fixture
async def desk(tmp_path: Path) -> Desk:
    return await Desk.from_replay(tmp_path / "desk")


def _cfg(tmp: Path, **agent: Any) -> AlephConfig:
    return AlephConfig.model_validate({"data_dir": str(tmp), "agent": agent})


@asynccontextmanager
async def session(tmp: Path, *, model: Any, desk: Desk, **agent: Any) -> AsyncIterator[Agent]:
    cfg = _cfg(tmp, **agent)
    async with local_tools(cfg, desk=desk) as tools, agent_session(cfg, model, tools) as a:
        yield a


async def test_propose_confirm_and_answer(tmp_path: Path, desk: Desk) -> None:
    model = ScriptedChatModel(script=[
        [("propose_order", {"instrument": INST, "side": "buy", "quantity": "0.002"})],
        lambda msgs: [("confirm_order", {"ticket_id": _ticket_id(msgs)})],
        "Bought 0.002 BTC.",
    ])  # fmt: skip
    async with session(tmp_path, model=model, desk=desk) as agent:
        events = await _collect(agent.ask("buy 0.002 BTC on paper-a"))
    kinds = [e.kind for e in events]
    assert kinds == ["tool_call", "tool_result", "tool_call", "tool_result", "answer"]
    placed = json.loads(events[3].data["text"])
    assert placed["placed"] and placed["status"] == "filled"
    assert any(p["instrument"] == INST for p in await desk.positions())


async def test_a_big_ticket_waits_for_the_person(tmp_path: Path, desk: Desk) -> None:
    def script() -> list[Any]:
        return [
            [("propose_order", {"instrument": INST, "side": "buy", "quantity": "0.010"})],
            lambda msgs: [("confirm_order", {"ticket_id": _ticket_id(msgs)})],
            "Done.",
        ]

    async with session(tmp_path, model=ScriptedChatModel(script=script()), desk=desk) as agent:
        events = await _collect(agent.ask("buy 0.01 BTC", thread="yes"))
        assert events[-1].kind == "approval" and events[-1].data["ticket"]["needs_approval"]
        ticket_id = events[-1].data["ticket_id"]
        assert not desk.tickets.tickets[ticket_id].confirmed  # nothing placed while waiting
        after = await _collect(agent.resume(True, "person:test", thread="yes"))
        assert json.loads(next(e for e in after if e.kind == "tool_result").data["text"])["placed"]
        assert desk.tickets.tickets[ticket_id].approved_by == "person:test"
    async with session(tmp_path, model=ScriptedChatModel(script=script()), desk=desk) as agent:
        events = await _collect(agent.ask("buy 0.01 BTC", thread="no"))
        declined_id = events[-1].data["ticket_id"]
        after = await _collect(agent.resume(False, "person:test", thread="no"))
        assert "declined" in next(e for e in after if e.kind == "tool_result").data["text"]
        assert not desk.tickets.tickets[declined_id].confirmed


async def test_tool_errors_go_back_to_the_model_a_bounded_number_of_times(tmp_path: Path, desk: Desk) -> None:
    model = ScriptedChatModel(script=[
        [("get_order_book", {"instrument": INST, "depth": 0})],
        [("get_order_book", {"instrument": INST, "depth": 5})],
        "Here is the book.",
    ])  # fmt: skip
    async with session(tmp_path, model=model, desk=desk) as agent:
        events = await _collect(agent.ask("show the book"))
    results = [e for e in events if e.kind == "tool_result"]
    assert results[0].data["error"] and "depth" in results[0].data["text"]
    assert not results[1].data["error"]
    assert "depth: must be an integer" in model.seen[1][-1].content  # the model saw the error text
    stubborn = ScriptedChatModel(script=[[("get_ticker", {"instrument": "NOPE"})]] * 10)
    async with session(tmp_path, max_tool_errors=2, model=stubborn, desk=desk) as agent:
        events = await _collect(agent.ask("price?", thread="stubborn"))
    assert sum(e.kind == "tool_result" for e in events) == 3
    assert events[-1].kind == "answer" and "kept failing" in events[-1].data["text"]


async def test_recursion_limit_and_checkpoints(tmp_path: Path, desk: Desk) -> None:
    looping = ScriptedChatModel(script=[[("get_risk_status", {})]] * 50)
    async with session(tmp_path, recursion_limit=6, model=looping, desk=desk) as agent:
        events = await _collect(agent.ask("loop", thread="loop"))
    assert events[-1].kind == "stopped" and "step limit" in events[-1].data["reason"]
    remembering = ScriptedChatModel(script=["first answer", "second answer"])
    async with session(tmp_path, model=remembering, desk=desk) as agent:
        await _collect(agent.ask("my name is Ada", thread="memory"))
    async with session(tmp_path, model=remembering, desk=desk) as agent:  # a new session, same file
        await _collect(agent.ask("what is my name?", thread="memory"))
    assert any("my name is Ada" in str(m.content) for m in remembering.seen[-1])
    assert (tmp_path / "agent" / "checkpoints.db").exists()


async def test_slash_commands(tmp_path: Path, desk: Desk) -> None:
    async with local_tools(_cfg(tmp_path), desk=desk) as tools:
        bought = await run_slash(tools, "/buy paper-a:BTCUSDT 0.010", "person:cli")
        assert isinstance(bought, dict) and bought["placed"]  # the person typing it approves it
        assert (await run_slash(tools, "/status", "person:cli"))["state"] == "ACTIVE"
        assert (await run_slash(tools, "/halt going for lunch", "person:cli"))["state"] == "HALTED"
        refused = await run_slash(tools, "/sell paper-a:BTCUSDT 0.001", "person:cli")
        assert (
            isinstance(refused, dict)
            and not refused["placed"]
            and "TRADING_HALTED" in refused["ticket"]["risk_verdict"]
        )
        with pytest.raises(FieldError, match="command"):
            await run_slash(tools, "/resume", "person:cli")
        with pytest.raises(ToolRefused, match="instrument"):
            await run_slash(tools, "/buy NOPE 1", "person:cli")
        with pytest.raises(FieldError, match="usage"):
            await run_slash(tools, "/buy paper-a:BTCUSDT", "person:cli")


async def test_an_agent_cannot_approve_its_own_ticket(desk: Desk) -> None:
    ticket = await desk.propose_order(INST, "buy", "0.010")
    for by in ("agent", "mcp-stdio", ""):
        with pytest.raises(PermissionError):
            desk.tickets.approve(ticket["ticket_id"], by)
    assert isinstance(Agent, type)


async def test_an_approval_the_node_refuses_places_nothing(tmp_path: Path, desk: Desk) -> None:
    """Attached to a node over real gRPC that has no operator token, a person's "yes" cannot be
    recorded: the order is reported declined and stays unconfirmed, and the chat goes on."""
    from alephtx.core.server.grpc_server import serve

    server = await serve(desk.local, port=0, operator_token="")
    remote = Desk.attached(f"127.0.0.1:{server.bound_port}")
    try:
        model = ScriptedChatModel(script=[
            [("propose_order", {"instrument": INST, "side": "buy", "quantity": "0.010"})],
            lambda msgs: [("confirm_order", {"ticket_id": _ticket_id(msgs)})],
            "Not placed.",
        ])  # fmt: skip
        async with session(tmp_path, model=model, desk=remote) as agent:
            events = await _collect(agent.ask("buy 0.01 BTC", thread="node"))
            ticket_id = events[-1].data["ticket_id"]
            after = await _collect(agent.resume(True, "person:test", thread="node"))
        assert "declined" in next(e for e in after if e.kind == "tool_result").data["text"]
        assert not desk.tickets.tickets[ticket_id].confirmed and not desk.tickets.tickets[ticket_id].approved_by
    finally:
        await remote.close()
        await server.stop(0)
