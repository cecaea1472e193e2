"""Slash commands that need no model, shared by every chat surface.

A person typing ``/buy`` is the one who approves the ticket it makes: the ticket is shown and
placed in one step, under the same risk limits as the agent's orders.
"""

from __future__ import annotations

import json
from typing import Any

from alephtx.core.errors import FieldError
from alephtx.tools.desk import Desk

__all__ = ["HELP", "run_slash"]

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


async def run_slash(desk: Desk, line: str, who: str) -> dict[str, Any] | list[Any]:
    """Run one slash command; FieldError for a bad one (names what was wrong)."""
    parts = line.strip().split()
    cmd, args = parts[0].lower(), parts[1:]
    await desk.tick()
    if cmd == "/help":
        return HELP
    if cmd == "/status":
        risk = desk.risk_status()
        return {
            "state": risk["state"],
            "halt_reason": risk["halt_reason"],
            **desk.pnl(),
            "open_orders": len(desk.open_orders()),
        }
    if cmd == "/positions":
        return desk.positions()
    if cmd == "/balance":
        return await desk.balances()
    if cmd == "/pnl":
        return desk.pnl()
    if cmd == "/orders":
        return desk.open_orders()
    if cmd == "/strategies":
        return desk.list_strategies()
    if cmd == "/risk":
        return desk.risk_status()
    if cmd in ("/buy", "/sell"):
        if len(args) not in (2, 3):
            raise FieldError(cmd, " ".join(args), f"usage: {HELP[cmd]}")
        price = args[2] if len(args) == 3 else None
        ticket = desk.propose_order(args[0], cmd[1:], args[1], "limit" if price else "market", price)
        if not ticket["risk_ok"]:
            return {"placed": False, "ticket": ticket}
        if ticket["needs_approval"]:
            desk.tickets.approve(ticket["ticket_id"], who)
        return {"ticket": ticket, **await desk.confirm_order(ticket["ticket_id"])}
    if cmd == "/cancel":
        if len(args) != 1:
            raise FieldError("/cancel", " ".join(args), f"usage: {HELP['/cancel']}")
        return await desk.cancel_order(args[0])
    if cmd == "/halt":
        return desk.halt_trading(" ".join(args) or "halted from the chat", who)
    raise FieldError("command", cmd, f"unknown; one of {' '.join(HELP)}")


def render(result: Any) -> str:
    return json.dumps(result, indent=1, default=str)
