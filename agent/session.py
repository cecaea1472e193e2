"""An agent session: the graph on the MCP tools of a client session (``tools.local``), loaded
with langchain-mcp-adapters, and its checkpoints.

Chat surfaces (terminal, Telegram) and the eval runner all talk to an ``Agent``: ``ask`` streams
what happens (tool calls, their results, the answer, an approval request) and ``resume`` answers
an approval request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langgraph.errors import GraphRecursionError
from langgraph.types import Command

from alephtx.agent.graph import build_graph
from alephtx.agent.prompts import load
from alephtx.core.config.schema import AlephConfig
from alephtx.tools.local import LocalTools

__all__ = ["Agent", "Event", "agent_session", "checkpointer"]


@dataclass
class Event:
    kind: str  # "token", "tool_call", "tool_result", "answer", "approval", "stopped"
    data: dict[str, Any] = field(default_factory=dict)


@asynccontextmanager
async def checkpointer(cfg: AlephConfig, path: Path | None = None) -> AsyncIterator[Any]:
    """SQLite by default (a file under data_dir), PostgreSQL when ``checkpoints`` is a URL."""
    where = cfg.agent.checkpoints
    if where.startswith(("postgresql://", "postgres://")):
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        async with AsyncPostgresSaver.from_conn_string(where) as saver:
            await saver.setup()
            yield saver
        return
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    file = path or Path(cfg.data_dir) / "agent" / "checkpoints.db"
    file.parent.mkdir(parents=True, exist_ok=True)
    async with AsyncSqliteSaver.from_conn_string(str(file)) as saver:
        yield saver


class Agent:
    def __init__(self, graph: Any, recursion_limit: int, prompt_version: int) -> None:
        self.graph = graph
        self.recursion_limit = recursion_limit
        self.prompt_version = prompt_version

    def _config(self, thread: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": thread}, "recursion_limit": self.recursion_limit}

    async def ask(self, text: str, thread: str = "default") -> AsyncIterator[Event]:
        async for ev in self._run({"messages": [HumanMessage(text)], "tool_errors": 0, "declined": []}, thread):
            yield ev

    async def resume(self, approved: bool, by: str, thread: str = "default") -> AsyncIterator[Event]:
        async for ev in self._run(Command(resume={"approved": approved, "by": by}), thread):
            yield ev

    async def _run(self, payload: Any, thread: str) -> AsyncIterator[Event]:
        try:
            stream = self.graph.astream(payload, self._config(thread), stream_mode=["updates", "messages"])
            async for mode, chunk in stream:
                if mode == "messages":  # tokens of the answer as the model writes them
                    msg, meta = chunk
                    if isinstance(msg, AIMessageChunk) and msg.content and meta.get("langgraph_node") == "agent":
                        yield Event("token", {"text": str(msg.content)})
                    continue
                for node, update in chunk.items():
                    if node == "__interrupt__":
                        for intr in update:
                            yield Event("approval", dict(intr.value))
                        continue
                    for msg in (update or {}).get("messages", []):
                        if isinstance(msg, AIMessage) and msg.tool_calls:
                            for call in msg.tool_calls:
                                yield Event("tool_call", {"name": call["name"], "args": call["args"]})
                        elif isinstance(msg, AIMessage):
                            yield Event("answer", {"text": str(msg.content)})
                        elif isinstance(msg, ToolMessage):
                            yield Event(
                                "tool_result",
                                {"name": msg.name, "text": str(msg.content), "error": msg.status == "error"},
                            )
        except GraphRecursionError:
            yield Event("stopped", {"reason": f"step limit ({self.recursion_limit}) reached"})


@asynccontextmanager
async def agent_session(
    cfg: AlephConfig,
    model: Any,
    tools: LocalTools,
    *,
    checkpoints: Path | None = None,
    only_tools: frozenset[str] | None = None,
    prompt: str = "system",
) -> AsyncIterator[Agent]:
    """The graph on ``tools``' MCP session (loaded with langchain-mcp-adapters): the agent
    reaches the engine only through those tools; ``tools.approvals`` is the person's channel."""
    from langchain_mcp_adapters.tools import load_mcp_tools

    system, version = load("system")
    if prompt != "system":  # a task prompt adds to the system prompt, never replaces it
        task, _ = load(prompt)
        system = f"{system}\n\n{task}"
    async with checkpointer(cfg, checkpoints) as saver:
        mcp_tools = await load_mcp_tools(tools.session, handle_tool_errors=False)
        if only_tools is not None:  # e.g. a research run gets no tool that trades
            mcp_tools = [t for t in mcp_tools if t.name in only_tools]
        graph = build_graph(
            model,
            mcp_tools,
            system_prompt=system,
            checkpointer=saver,
            max_tool_errors=cfg.agent.max_tool_errors,
            ticket_needs_approval=tools.approvals.waiting_ticket,
            approve_ticket=tools.approvals.approve,
        )
        yield Agent(graph, cfg.agent.recursion_limit, version)
