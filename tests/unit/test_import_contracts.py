"""The layer rules hold on the tree, and the checker would see them broken."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("import_contracts", ROOT / "scripts" / "import_contracts.py")
assert spec is not None and spec.loader is not None
contracts = importlib.util.module_from_spec(spec)
sys.modules["import_contracts"] = contracts
spec.loader.exec_module(contracts)
Import = contracts.Import


def test_the_tree_keeps_every_contract() -> None:
    imports = contracts.scan(ROOT)
    assert len(imports) > 500  # the scan really read the tree
    assert contracts.layer_violations(imports) == []
    assert contracts.core_cycles(imports) == []


def test_a_broken_layer_rule_is_named_with_its_place() -> None:
    bad = [
        Import("alephtx.core.oms.manager", "alephtx.tools.desk", "core/oms/manager.py:3"),
        Import("alephtx.tools.serve", "alephtx.agent.memory", "tools/serve.py:9"),
        Import("alephtx.agent.chat", "alephtx.core.engine", "agent/chat.py:4"),
        Import("alephtx.agent.chat", "alephtx.core.config.schema", "agent/chat.py:5"),  # allowed
        Import("alephtx.agent.chat", "alephtx.tools.local", "agent/chat.py:6"),  # allowed
        Import("alephtx.agent.chat", "alephtx.tools.desk", "agent/chat.py:7"),
    ]
    found = contracts.layer_violations(bad)
    assert [f.split(":")[0] + ":" + f.split(":")[1] for f in found] == [
        "core/oms/manager.py:3",
        "tools/serve.py:9",
        "agent/chat.py:4",
        "agent/chat.py:7",
    ]


def test_a_cycle_between_core_packages_is_found_with_each_edge() -> None:
    edges = [
        Import("alephtx.core.oms.manager", "alephtx.core.venues.base", "core/oms/manager.py:1"),
        Import("alephtx.core.venues.x", "alephtx.core.replay.market", "core/venues/x.py:2"),
        Import("alephtx.core.replay.market", "alephtx.core.oms", "core/replay/market.py:3"),
        Import("alephtx.core.risk.engine", "alephtx.core.model", "core/risk/engine.py:4"),  # no cycle
    ]
    (cycle,) = contracts.core_cycles(edges)
    assert "alephtx.core.oms, alephtx.core.replay, alephtx.core.venues" in cycle
    assert "core/replay/market.py:3" in cycle and "risk" not in cycle
