#!/usr/bin/env python3
"""The layer rules of docs/architecture.md, checked on every import in the tree (make lint).

Reads every module's imports with ``ast`` (those inside functions too: a lazy import is still a
dependency) and fails, naming the file and line, when:

- core imports anything from tools, agent, cli or evals;
- tools imports anything from agent, cli or evals;
- agent imports from core anything but config, errors, model and redact, or from tools anything
  but tools.local (its MCP client session: the agent reaches the engine only through MCP);
- two packages of core import each other, directly or round a longer cycle.

The same rules as data (``RULES``) are what tests/unit/test_import_contracts.py feeds bad trees to.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOTS = {
    "core": "alephtx.core",
    "tools": "alephtx.tools",
    "agent": "alephtx.agent",
    "cli": "alephtx.cli",
    "evals": "alephtx.evals",
    "emulators": "alephtx.emulators",
    "proto": "alephtx.proto",
}


@dataclass(frozen=True)
class Rule:
    """Modules under ``layer`` may import from ``forbidden`` only what ``allowed`` names."""

    layer: str
    forbidden: tuple[str, ...]
    allowed: tuple[str, ...] = ()


RULES = (
    Rule("alephtx.core", ("alephtx.tools", "alephtx.agent", "alephtx.cli", "alephtx.evals", "alephtx.emulators")),
    Rule("alephtx.tools", ("alephtx.agent", "alephtx.cli", "alephtx.evals", "alephtx.emulators")),
    Rule(
        "alephtx.agent",
        ("alephtx.core", "alephtx.tools", "alephtx.cli", "alephtx.evals", "alephtx.emulators"),
        (
            "alephtx.core.config",
            "alephtx.core.errors",
            "alephtx.core.model",
            "alephtx.core.redact",
            "alephtx.tools.local",
        ),
    ),
)


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # what it imports
    where: str  # file:line


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def scan(root: Path) -> list[Import]:
    out: list[Import] = []
    for folder, package in ROOTS.items():
        base = root / folder
        for path in sorted(base.rglob("*.py")):
            rel = path.relative_to(base).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            module = ".".join([package, *parts])
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                for name in names:
                    if _under(name, "alephtx"):
                        out.append(Import(module, name, f"{path.relative_to(root)}:{node.lineno}"))
    return out


def layer_violations(imports: Iterable[Import], rules: Iterable[Rule] = RULES) -> list[str]:
    bad = []
    for imp in imports:
        for rule in rules:
            if not _under(imp.module, rule.layer) or _under(imp.target, rule.layer):
                continue
            if any(_under(imp.target, f) for f in rule.forbidden) and not any(
                _under(imp.target, a) for a in rule.allowed
            ):
                bad.append(f"{imp.where}: {imp.module} imports {imp.target} ({rule.layer} may not)")
    return bad


def core_cycles(imports: Iterable[Import]) -> list[str]:
    """Cycles between the packages of core (alephtx.core.<package>), each with one import per edge."""
    edges: dict[str, dict[str, str]] = defaultdict(dict)
    for imp in imports:
        if not (_under(imp.module, "alephtx.core") and _under(imp.target, "alephtx.core")):
            continue
        a, b = ".".join(imp.module.split(".")[:3]), ".".join(imp.target.split(".")[:3])
        if a != b and len(b.split(".")) == 3:
            edges[a].setdefault(b, imp.where)
    # Tarjan's strongly connected components: every component of more than one package is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    out = []
    for comp in found:
        inside = [f"{a} -> {b} ({where})" for a in comp for b, where in sorted(edges[a].items()) if b in comp]
        out.append("cycle between " + ", ".join(comp) + ":\n    " + "\n    ".join(inside))
    return out


def main() -> int:
    root = Path(__file__).resolve().parents[1]
    imports = scan(root)
    problems = layer_violations(imports) + core_cycles(imports)
    for p in problems:
        print(p)
    if problems:
        print(f"import contracts: {len(problems)} broken (docs/architecture.md says who may import what)")
        return 1
    print(f"import contracts: kept ({len(imports)} imports checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
