"""Slash commands that need no model, shared by every chat surface. Each one is a call of the
MCP tools (the agent layer reaches the engine only through them).

A person typing ``/buy`` is the one who approves the ticket it makes: the ticket is shown and
placed in one step, under the same risk limits as the agent's orders.
"""

from __future__ import annotations

import json
from typing import Any

from alephtx.core.errors import FieldError
from alephtx.tools.local import LocalTools

__all__ = ["HELP", "render", "run_slash"]

HELP = {
    "/status": "trading state, equity and PnL, open orders",
    "/positions": "positions with realised PnL and fees",
    "/balance": "cash by venue",
    "/pnl": "equity, start and PnL",
    "/orders": "working orders",
    "/buy": "/buy INSTRUMENT QTY [PRICE]: a market (or limit) buy, risk-checked, placed now",
    "/sell": "/sell INSTRUMENT QTY [PRICE]: a market (or limit) sell",
    "/cancel": "/cancel CLIENT_ID",
    "/halt": "/halt REASON: stop all new orders (only the operator resumes)",
    "/strategies": "strategies and whether they run",
    "/risk": "risk state, exposures and limits",
    "/help": "this list",
}
_READS = {
    "/positions": "get_positions",
    "/balance": "get_balances",
    "/pnl": "get_pnl",
    "/orders": "get_open_orders",
    "/strategies": "list_strategies",
    "/risk": "get_risk_status",
}


class ToolRefused(Exception):
    """A tool answered with an error (its text names the field and the rule)."""


async def _call(tools: LocalTools, name: str, args: dict[str, Any] | None = None) -> Any:
    result = await tools.session.call_tool(name, args or {})
    text = result.content[0].text if result.content and hasattr(result.content[0], "text") else ""
    if result.isError:
        raise ToolRefused(text)
    sc = result.structuredContent
    if isinstance(sc, dict):
        return sc.get("result", sc) if set(sc) == {"result"} else sc
    return json.loads(text) if text else None


async def run_slash(tools: LocalTools, line: str, who: str) -> Any:
    """Run one slash command; FieldError for a bad command, ToolRefused when a tool says no."""
    parts = line.strip().split()
    cmd, args = parts[0].lower(), parts[1:]
    if cmd == "/help":
        return HELP
    if cmd in _READS:
        return await _call(tools, _READS[cmd])
    if cmd == "/status":
        risk, pnl, orders = [await _call(tools, n) for n in ("get_risk_status", "get_pnl", "get_open_orders")]
        return {"state": risk["state"], "halt_reason": risk["halt_reason"], **pnl, "open_orders": len(orders)}
    if cmd in ("/buy", "/sell"):
        if len(args) not in (2, 3):
            raise FieldError(cmd, " ".join(args), f"usage: {HELP[cmd]}")
        order = {"instrument": args[0], "side": cmd[1:], "quantity": args[1], "type": "market"}
        if len(args) == 3:
            order.update(type="limit", price=args[2])
        ticket = await _call(tools, "propose_order", order)
        if not ticket["risk_ok"]:
            return {"placed": False, "ticket": ticket}
        if ticket["needs_approval"]:
            await tools.approvals.approve(ticket["ticket_id"], who)
        return {"ticket": ticket, **await _call(tools, "confirm_order", {"ticket_id": ticket["ticket_id"]})}
    if cmd == "/cancel":
        if len(args) != 1:
            raise FieldError("/cancel", " ".join(args), f"usage: {HELP['/cancel']}")
        return await _call(tools, "cancel_order", {"client_id": args[0]})
    if cmd == "/halt":
        return await _call(tools, "halt_trading", {"reason": " ".join(args) or "halted from the chat"})
    raise FieldError("command", cmd, f"unknown; one of {' '.join(HELP)}")


def render(result: Any) -> str:
    return json.dumps(result, indent=1, default=str)
