"""The risk engine's durable state: the trading state (with every halt's reason, who and when) and
the agent's spend per day, in one small SQLite file of the data folder.

A halt must outlive the process that was told about it: an MCP client that reconnects, or a
surface that restarts, finds trading still halted and the agent's budget still spent. Only the
operator's reset (``aleph resume``) lifts a halt; it is outside every tool the agent has.

Writes are rare (a halt, a reset, an accepted agent order), so each one is its own transaction
with ``synchronous=FULL``: it is on disk before the call returns.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["HaltEntry", "RiskStateStore", "SavedRiskState"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS trading_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    state TEXT NOT NULL,
    kill_switch INTEGER NOT NULL,
    halts TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS agent_spend (day INTEGER PRIMARY KEY, spent_micro INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS history (
    seq INTEGER PRIMARY KEY, ts_ns INTEGER NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL, by TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class HaltEntry:
    """One reason trading stopped: what was said, by whom, when (ns). Reasons accumulate."""

    reason: str
    by: str
    ts_ns: int


@dataclass
class SavedRiskState:
    state: str = "ACTIVE"
    kill_switch: bool = False
    halts: list[HaltEntry] = field(default_factory=list)
    agent_day: int = -1
    agent_spent: int = 0


class RiskStateStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def load(self) -> SavedRiskState:
        out = SavedRiskState()
        row = self._db.execute("SELECT state, kill_switch, halts FROM trading_state WHERE id = 1").fetchone()
        if row is not None:
            out.state, out.kill_switch = str(row[0]), bool(row[1])
            out.halts = [HaltEntry(str(h["reason"]), str(h["by"]), int(h["ts_ns"])) for h in json.loads(row[2])]
        spend = self._db.execute("SELECT day, spent_micro FROM agent_spend ORDER BY day DESC LIMIT 1").fetchone()
        if spend is not None:
            out.agent_day, out.agent_spent = int(spend[0]), int(spend[1])
        return out

    def save_state(
        self, state: str, kill_switch: bool, halts: list[HaltEntry], event: tuple[int, str, str, str]
    ) -> None:
        """The whole trading state and the event that changed it, in one transaction."""
        body = json.dumps([{"reason": h.reason, "by": h.by, "ts_ns": h.ts_ns} for h in halts])
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT INTO trading_state (id, state, kill_switch, halts) VALUES (1, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET state = excluded.state, kill_switch = excluded.kill_switch, "
                "halts = excluded.halts",
                (state, int(kill_switch), body),
            )
            self._db.execute("INSERT INTO history (ts_ns, kind, detail, by) VALUES (?, ?, ?, ?)", event)

    def save_agent_spend(self, day: int, spent_micro: int) -> None:
        self._db.execute(
            "INSERT INTO agent_spend (day, spent_micro) VALUES (?, ?) "
            "ON CONFLICT (day) DO UPDATE SET spent_micro = excluded.spent_micro",
            (day, spent_micro),
        )

    def history(self) -> list[tuple[int, str, str, str]]:
        return [tuple(r) for r in self._db.execute("SELECT ts_ns, kind, detail, by FROM history ORDER BY seq")]

    def close(self) -> None:
        self._db.close()
