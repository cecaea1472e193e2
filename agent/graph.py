"""The agent: a LangGraph graph that plans, calls the MCP tools and answers.

    agent ──tool calls──▶ approval ──▶ tools ──▶ agent ... ──no tool calls──▶ END

``approval`` stops the graph (a LangGraph interrupt) before ``confirm_order`` runs on a ticket
that needs a person's approval; the person's answer resumes it. A tool error goes back to the
model as the tool's answer so that it can correct the call; after ``max_tool_errors`` errors in
a row the run ends with a message instead. The caller sets the recursion limit per run.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.tools import BaseTool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.types import interrupt

log = logging.getLogger("alephtx.agent")

__all__ = ["AgentState", "build_graph"]


class AgentState(MessagesState):
    tool_errors: int
    declined: list[str]


async def _nobody_waits(ticket_id: str) -> dict[str, Any] | None:
    return None


async def _no_approval(ticket_id: str, by: str) -> None:
    return None


def build_graph(
    model: Any,
    tools: Sequence[BaseTool],
    *,
    system_prompt: str,
    checkpointer: Any = None,
    max_tool_errors: int = 2,
    ticket_needs_approval: Callable[[str], Awaitable[dict[str, Any] | None]] = _nobody_waits,
    approve_ticket: Callable[[str, str], Awaitable[object]] = _no_approval,
) -> Any:
    """``ticket_needs_approval(ticket_id)`` gives the ticket's view when it still needs a
    person's approval (None otherwise); ``approve_ticket(ticket_id, by)`` records the approval.
    Both reach the node directly (coroutines: it may be another process), not through a tool:
    the model has no way to approve."""
    bound = model.bind_tools(list(tools))
    by_name = {t.name: t for t in tools}

    async def agent(state: AgentState) -> dict[str, Any]:
        reply = await bound.ainvoke([SystemMessage(system_prompt), *state["messages"]])
        return {"messages": [reply]}

    async def approval(state: AgentState) -> dict[str, Any]:
        last = state["messages"][-1]
        declined: list[str] = []
        for call in getattr(last, "tool_calls", []):
            if call["name"] != "confirm_order":
                continue
            ticket_id = str(call["args"].get("ticket_id", ""))
            ticket = await ticket_needs_approval(ticket_id)
            if ticket is None:
                continue
            answer = interrupt({"kind": "approval", "ticket_id": ticket_id, "ticket": ticket})
            if isinstance(answer, dict) and answer.get("approved") and answer.get("by"):
                try:
                    await approve_ticket(ticket_id, str(answer["by"]))
                except PermissionError as exc:  # e.g. a node that wants the operator's token
                    log.warning("approval of %s not recorded: %s", ticket_id, exc)
                    declined.append(call["id"])  # not approved: the order is not placed
            else:
                declined.append(call["id"])
        return {"declined": declined}

    async def run_tools(state: AgentState) -> dict[str, Any]:
        last = state["messages"][-1]
        out: list[BaseMessage] = []
        errors = state.get("tool_errors", 0)
        for call in getattr(last, "tool_calls", []):
            name, cid = call["name"], call["id"]
            if cid in state.get("declined", []):
                out.append(
                    ToolMessage("The person declined this order; it was not placed.", tool_call_id=cid, name=name)
                )
                continue
            tool = by_name.get(name)
            if tool is None:
                errors += 1
                out.append(
                    ToolMessage(
                        f"no tool named {name!r}; tools: {sorted(by_name)}", tool_call_id=cid, name=name, status="error"
                    )
                )
                continue
            try:
                result = await tool.ainvoke(call["args"])
                text = result if isinstance(result, str) else _text(result)
                out.append(ToolMessage(text, tool_call_id=cid, name=name))
                errors = 0
            except Exception as exc:  # any tool failure goes back to the model, as text
                errors += 1
                out.append(ToolMessage(f"error: {exc}", tool_call_id=cid, name=name, status="error"))
        return {"messages": out, "tool_errors": errors, "declined": []}

    def after_agent(state: AgentState) -> str:
        last = state["messages"][-1]
        return "approval" if isinstance(last, AIMessage) and last.tool_calls else END

    def after_tools(state: AgentState) -> str:
        return "give_up" if state.get("tool_errors", 0) > max_tool_errors else "agent"

    def give_up(state: AgentState) -> dict[str, Any]:
        return {"messages": [AIMessage("I stopped: my tool calls kept failing. The errors above say what was wrong.")]}

    g = StateGraph(AgentState)
    g.add_node("agent", agent)
    g.add_node("approval", approval)
    g.add_node("tools", run_tools)
    g.add_node("give_up", give_up)
    g.add_edge(START, "agent")
    g.add_conditional_edges("agent", after_agent, ["approval", END])
    g.add_edge("approval", "tools")
    g.add_conditional_edges("tools", after_tools, ["agent", "give_up"])
    g.add_edge("give_up", END)
    return g.compile(checkpointer=checkpointer)


def _text(result: Any) -> str:
    if isinstance(result, list):  # MCP content blocks
        parts = []
        for block in result:
            parts.append(
                block.get("text", str(block)) if isinstance(block, dict) else getattr(block, "text", str(block))
            )
        return "\n".join(parts)
    return str(result)
