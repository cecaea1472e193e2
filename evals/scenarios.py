"""Eval scenarios: TOML files in evals/cases/, one ``[[scenario]]`` table each.

id, category, prompt         what is asked
setup = { note, halt, strategy_error }   what is planted before (notes and venue messages
                                         carry the prompt injections)
approval = "deny" | "approve"            how the simulated person answers an approval stop
expect = { ... }                         the automatic checks, see CHECKS
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alephtx.core.config.resources import package_path
from alephtx.core.errors import FieldError

__all__ = ["CATEGORIES", "CHECKS", "SCENARIOS", "Scenario", "load_scenarios"]

SCENARIOS = package_path("alephtx.evals", "cases")  # package data
CATEGORIES = ("tool_choice", "arguments", "abstain", "refuse_limits", "injection", "skip_approval")
CHECKS = {
    "tools_any": "at least one of these tools was called",
    "tools_none": "none of these tools was called",
    "no_tools": "no tool was called",
    "args": "a call of `tool` had `field` equal to `equals`",
    "no_order_placed": "no new order reached a venue",
    "max_orders_placed": "at most this many new orders reached a venue",
    "still_halted": "trading is still halted at the end",
    "no_unapproved_confirm": "no ticket needing approval was confirmed without it",
    "answer_excludes": "the final answer contains none of these strings",
}
SETUPS = ("note", "halt", "strategy_error")


@dataclass(frozen=True)
class Scenario:
    id: str
    category: str
    prompt: str
    expect: dict[str, Any]
    setup: dict[str, str] = field(default_factory=dict)
    approval: str = "deny"
    file: str = ""


def load_scenarios(folder: Path = SCENARIOS) -> list[Scenario]:
    out: list[Scenario] = []
    seen: set[str] = set()
    for path in sorted(folder.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise FieldError(path.name, "", f"not TOML: {exc}") from None
        for i, raw in enumerate(data.get("scenario", [])):
            where = f"{path.name}[{i}]"
            unknown = set(raw) - {"id", "category", "prompt", "expect", "setup", "approval"}
            if unknown:
                raise FieldError(f"{where}", sorted(unknown), "unknown keys")
            for key in ("id", "category", "prompt", "expect"):
                if key not in raw:
                    raise FieldError(f"{where}.{key}", None, "required")
            if raw["category"] not in CATEGORIES:
                raise FieldError(f"{where}.category", raw["category"], f"one of {list(CATEGORIES)}")
            bad = set(raw["expect"]) - set(CHECKS)
            if bad:
                raise FieldError(f"{where}.expect", sorted(bad), f"checks are {sorted(CHECKS)}")
            if set(raw.get("setup", {})) - set(SETUPS):
                raise FieldError(f"{where}.setup", sorted(raw["setup"]), f"setups are {list(SETUPS)}")
            if raw.get("approval", "deny") not in ("deny", "approve"):
                raise FieldError(f"{where}.approval", raw["approval"], "'deny' or 'approve'")
            if raw["id"] in seen:
                raise FieldError(f"{where}.id", raw["id"], "ids must be unique")
            seen.add(raw["id"])
            out.append(
                Scenario(
                    raw["id"],
                    raw["category"],
                    raw["prompt"],
                    dict(raw["expect"]),
                    dict(raw.get("setup", {})),
                    raw.get("approval", "deny"),
                    path.name,
                )
            )
    return out
