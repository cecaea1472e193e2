"""Runs kept: each backtest in its own folder under ``<data folder>/runs`` (never overwritten),
listed, shown and compared by `aleph runs`."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from pathlib import Path
from typing import Any

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class RunError(ValueError):
    """A run that does not exist or cannot be read: one line naming it."""


def new_folder(root: Path, label: str) -> Path:
    """A fresh folder ``<UTC time>-<label>-<4 hex>``: two runs never share one."""
    root.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    for _ in range(100):
        folder = root / f"{stamp}-{_SAFE.sub('_', label)[:40]}-{secrets.token_hex(2)}"
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue
    raise RunError(f"runs: no free folder name under {root}")


def load(root: Path, name: str) -> dict[str, Any]:
    """A run's report (``name`` is its folder's name, or a unique start of it); a sweep's
    summary (``sweep.json``) for a sweep, a research run's ``research.json``."""
    folder = find(root, name)
    path = folder / "report.json"
    for other in ("sweep.json", "research.json"):
        if not path.exists() and (folder / other).exists():
            path = folder / other
    try:
        report: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise RunError(f"run={name!r}: its report cannot be read ({exc})") from None
    report["folder"] = str(folder)
    return report


def find(root: Path, name: str) -> Path:
    exact = root / name
    if name and exact.is_dir():
        return exact
    found = [p for p in root.glob(f"{name}*") if p.is_dir()] if name and root.is_dir() else []
    if len(found) == 1:
        return found[0]
    known = ", ".join(sorted(p.name for p in root.iterdir() if p.is_dir())[-5:]) if root.is_dir() else ""
    why = "matches several" if found else "not found"
    raise RunError(f"run={name!r}: {why} in {root}" + (f" (latest: {known})" if known else ""))


def listing(root: Path) -> list[dict[str, Any]]:
    """Every run and sweep, oldest first: its name and the headline figures (a sweep's best)."""
    out = []
    kinds = ("report.json", "sweep.json", "research.json")
    found = [p for k in kinds for p in root.glob(f"*/{k}")] if root.is_dir() else []
    for folder in sorted(found, key=lambda p: p.parent.name):
        try:
            r = json.loads(folder.read_text())
        except (OSError, ValueError):
            continue
        if folder.name == "research.json":
            out.append(
                {
                    "run": folder.parent.name,
                    "strategy": "research",
                    "data": f"{len(r.get('tool_calls', []))} tool calls, {len(r.get('backtests', []))} backtests",
                    "net_pnl": None,
                    "sharpe": None,
                    "max_drawdown": None,
                    "fills": None,
                }
            )
            continue
        if folder.name == "sweep.json":
            best = r.get("best", {})
            out.append(
                {
                    "run": folder.parent.name,
                    "strategy": f"sweep: {r.get('strategy', {}).get('kind', '')}",
                    "data": r.get("data", {}).get("dataset") or r.get("data", {}).get("capture", ""),
                    "net_pnl": best.get("net_pnl"),
                    "sharpe": best.get("sharpe"),
                    "max_drawdown": best.get("max_drawdown"),
                    "fills": best.get("fills"),
                }
            )
            continue
        m = r.get("metrics", {})
        out.append(
            {
                "run": folder.parent.name,
                "strategy": r.get("strategy", {}).get("kind", ""),
                "data": r.get("data", {}).get("source", ""),
                "net_pnl": m.get("net_pnl"),
                "sharpe": m.get("sharpe"),
                "max_drawdown": m.get("max_drawdown"),
                "fills": m.get("fills"),
            }
        )
    return out


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """The two runs' metrics side by side, then what differs in their set-up."""
    for r in (a, b):
        if "metrics" not in r:
            raise RunError(
                f"run={r.get('run') or r.get('sweep')!r}: has no metrics to compare (a sweep or research run)"
            )
    rows = [(k, a["metrics"].get(k), b["metrics"].get(k)) for k in a["metrics"]]
    for section in ("strategy", "models", "data"):
        sa, sb = a.get(section, {}), b.get(section, {})
        for k in sorted(set(sa) | set(sb)):
            if sa.get(k) != sb.get(k):
                rows.append((f"{section}.{k}", sa.get(k), sb.get(k)))
    return rows
