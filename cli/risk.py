"""`aleph risk-state`, `aleph halt`, `aleph resume`: the operator's hand on the durable trading state.

The agent can halt trading through its tools; nothing it can reach resumes it. Resuming is this
command, run by a person. With a node (``--node HOST:PORT``, ``ALEPH_NODE``, or one answering at
127.0.0.1:50051) `halt` and `resume` act on it at once (resume needs the operator's token,
ALEPH_OPERATOR_TOKEN). Without one they change the data folder's stored state, which nodes and
desks started on that folder read when they start; ``--local`` asks for that explicitly.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import asdict
from typing import Annotated

import typer

from alephtx.cli.main import ConfigOpt, _config, app, console, fail
from alephtx.cli.operator import NodeOpt, ask
from alephtx.core.risk.state_store import HaltEntry, RiskStateStore

OPERATOR = "operator"
LocalOpt = Annotated[bool, typer.Option("--local", help="The data folder's stored state, not a node.")]


def _node(node: str | None, local: bool) -> str | None:
    """The node to act on: the one named (it must answer), else the default one when it answers,
    else None: the data folder."""
    from alephtx.core.server.client import DEFAULT_NODE, node_address

    if local:
        return None
    if node or os.environ.get("ALEPH_NODE"):
        return node_address(node)
    return DEFAULT_NODE if _answers(DEFAULT_NODE) else None


def _answers(address: str) -> bool:
    import grpc

    async def probe() -> bool:
        async with grpc.aio.insecure_channel(address) as ch:
            try:
                await asyncio.wait_for(ch.channel_ready(), 0.5)
            except TimeoutError:
                return False
            return True

    return asyncio.run(probe())


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
    node: NodeOpt = None,
    local: LocalOpt = False,
    config_path: ConfigOpt = None,
) -> None:
    """Halt trading now on the node (see the module help for which), else for every node and
    desk on this data folder from its next start."""
    if not reason.strip():
        raise fail("halt: reason: say why trading should stop")
    target = _node(node, local)
    if target is not None:
        st = ask(target, lambda r: r.halt(reason.strip()[:200], OPERATOR))
        console.print_json(json.dumps({"node": target, **asdict(st)}, default=str))
        return
    store = _store(config_path)
    saved = store.load()
    halts = [*saved.halts, HaltEntry(reason.strip()[:200], OPERATOR, time.time_ns())]
    store.save_state("HALTED", saved.kill_switch, halts, (time.time_ns(), "state", f"HALTED: {reason}", OPERATOR))
    console.print_json(json.dumps(_show(store)))
    store.close()


@app.command("resume")
def resume(
    yes: Annotated[bool, typer.Option("--yes", help="Resume without asking (scripts).")] = False,
    node: NodeOpt = None,
    local: LocalOpt = False,
    config_path: ConfigOpt = None,
) -> None:
    """Lift a halt (or reduce-only, or a tripped kill switch): the operator's command, never the
    agent's. Shows the reasons first and asks unless --yes. On a node it needs the operator's
    token (ALEPH_OPERATOR_TOKEN, the same as the node's)."""
    target = _node(node, local)
    if target is not None:
        st = ask(target, lambda r: r.risk_status())
        if st.state == "ACTIVE":
            console.print(f"trading on the node at {target} is ACTIVE: nothing to resume")
            return
        console.print_json(json.dumps({"node": target, "state": st.state, "halts": [asdict(h) for h in st.halts]}))
        if not yes and not typer.confirm("Resume trading?", default=False):
            raise fail("resume: not confirmed; trading stays halted")
        st = ask(target, lambda r: r.resume(OPERATOR))
        console.print(f"trading on the node at {target} is {st.state} again")
        return
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
