"""`aleph risk-state`, `aleph halt`, `aleph resume`: the operator's hand on the durable trading state.

The agent can halt trading through its tools; nothing it can reach resumes it. Resuming is this
command, run by a person on the machine that holds the data folder. Desks started on that folder
(`aleph mcp`, `aleph chat`, `aleph telegram`, `aleph research`) read the state when they start.
"""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from alephtx.cli.main import ConfigOpt, _config, app, console, fail
from alephtx.core.risk.state_store import HaltEntry, RiskStateStore

OPERATOR = "operator"


def _store(config_path: object) -> RiskStateStore:
    from alephtx.tools.serve import risk_state_path

    return RiskStateStore(risk_state_path(_config(config_path)))  # type: ignore[arg-type]


def _show(store: RiskStateStore) -> dict[str, object]:
    saved = store.load()
    return {
        "file": str(store.path),
        "state": saved.state,
        "kill_switch_tripped": saved.kill_switch,
        "halts": [{"reason": h.reason, "by": h.by, "ts_ns": h.ts_ns} for h in saved.halts],
        "agent_day": saved.agent_day,
        "agent_spent_micro_usd": saved.agent_spent,
    }


@app.command("risk-state")
def risk_state(config_path: ConfigOpt = None) -> None:
    """Show the data folder's durable trading state: halts with reasons, the agent's spend today."""
    store = _store(config_path)
    console.print_json(json.dumps(_show(store)))
    store.close()


@app.command("halt")
def halt(
    reason: Annotated[str, typer.Argument(help="Why trading stops; kept with the earlier reasons.")],
    config_path: ConfigOpt = None,
) -> None:
    """Halt trading for every desk on this data folder (from its next start; a running desk is
    halted with its own halt_trading tool or /halt)."""
    if not reason.strip():
        raise fail("halt: reason: say why trading should stop")
    store = _store(config_path)
    saved = store.load()
    halts = [*saved.halts, HaltEntry(reason.strip()[:200], OPERATOR, time.time_ns())]
    store.save_state("HALTED", saved.kill_switch, halts, (time.time_ns(), "state", f"HALTED: {reason}", OPERATOR))
    console.print_json(json.dumps(_show(store)))
    store.close()


@app.command("resume")
def resume(
    yes: Annotated[bool, typer.Option("--yes", help="Resume without asking (scripts).")] = False,
    config_path: ConfigOpt = None,
) -> None:
    """Lift a halt (or reduce-only, or a tripped kill switch): the operator's command, never the
    agent's. Shows the reasons first and asks unless --yes."""
    store = _store(config_path)
    before = _show(store)
    if before["state"] == "ACTIVE":
        console.print("trading is ACTIVE: nothing to resume")
        store.close()
        return
    console.print_json(json.dumps(before))
    if not yes and not typer.confirm("Resume trading?", default=False):
        store.close()
        raise fail("resume: not confirmed; trading stays halted")
    store.save_state("ACTIVE", False, [], (time.time_ns(), "reset", "ACTIVE", OPERATOR))
    console.print("trading is ACTIVE again (desks started from now on read it)")
    store.close()
