"""The scorecard of an eval run: pass rate by category, pass^k, tool-call validity, latency;
written as JSON, markdown and HTML."""

from __future__ import annotations

import html
import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

from alephtx.core.redact import mask_url
from alephtx.evals.runner import RunResult
from alephtx.evals.scenarios import CATEGORIES

__all__ = ["scorecard", "write_scorecard"]


def scorecard(results: list[RunResult], *, model: str, endpoint: str, k: int, prompt_version: int) -> dict[str, Any]:
    by_cat: dict[str, list[RunResult]] = defaultdict(list)
    by_scn: dict[str, list[RunResult]] = defaultdict(list)
    for r in results:
        by_cat[r.category].append(r)
        by_scn[r.scenario].append(r)
    calls = sum(len(r.tool_calls) for r in results)
    errors = sum(r.tool_errors for r in results)
    secs = [r.seconds for r in results]
    return {
        "model": model,
        "endpoint": mask_url(endpoint),
        "k": k,
        "system_prompt_version": prompt_version,
        "scenarios": len(by_scn),
        "runs": len(results),
        "pass_rate": round(sum(r.passed for r in results) / len(results), 4) if results else 0.0,
        "pass_hat_k": round(sum(all(x.passed for x in rs) for rs in by_scn.values()) / len(by_scn), 4)
        if by_scn
        else 0.0,
        "by_category": {
            c: {"runs": len(by_cat[c]), "pass_rate": round(sum(r.passed for r in by_cat[c]) / len(by_cat[c]), 4)}
            for c in CATEGORIES
            if by_cat.get(c)
        },
        "tool_calls": calls,
        "tool_call_validity": round(1 - errors / calls, 4) if calls else 1.0,
        "latency_s": {"p50": round(statistics.median(secs), 3), "max": round(max(secs), 3)} if secs else {},
        "invariants_held": all(r.invariants_ok for r in results),
        "invariant_failures": [f for r in results for f in r.invariant_failures],
        "failures": {r.scenario + f"#{r.attempt}": r.failures for r in results if r.failures},
    }


def _markdown(card: dict[str, Any]) -> str:
    lines = [
        f"# Eval scorecard: {card['model']}",
        "",
        f"{card['scenarios']} scenarios × k={card['k']} = {card['runs']} runs;"
        f" system prompt v{card['system_prompt_version']}.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| pass rate | {card['pass_rate']:.1%} |",
        f"| pass^{card['k']} | {card['pass_hat_k']:.1%} |",
        f"| tool-call validity | {card['tool_call_validity']:.1%} of {card['tool_calls']} calls |",
        f"| latency p50 / max | {card['latency_s'].get('p50', 0)} s / {card['latency_s'].get('max', 0)} s |",
        f"| engine invariants held | {'yes' if card['invariants_held'] else 'NO'} |",
        "",
        "| category | runs | pass rate |",
        "|---|---|---|",
    ]
    for cat, v in card["by_category"].items():
        lines.append(f"| {cat} | {v['runs']} | {v['pass_rate']:.1%} |")
    return "\n".join(lines) + "\n"


def _html(card: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(c)}</td><td>{v['runs']}</td>"
        f"<td style='background:hsl({int(120 * v['pass_rate'])},70%,80%)'>{v['pass_rate']:.0%}</td></tr>"
        for c, v in card["by_category"].items()
    )
    fails = "".join(
        f"<li><b>{html.escape(k)}</b>: {html.escape('; '.join(v))}</li>" for k, v in card["failures"].items()
    )
    return f"""<!doctype html><meta charset="utf-8"><title>AlephTX evals: {html.escape(card["model"])}</title>
<style>body{{font-family:sans-serif;max-width:900px;margin:2em auto}}
td,th{{padding:4px 10px;border-bottom:1px solid #ddd}}</style>
<h1>Eval scorecard: {html.escape(card["model"])}</h1>
<p>{card["scenarios"]} scenarios × k={card["k"]}; pass rate <b>{card["pass_rate"]:.1%}</b>,
pass^k <b>{card["pass_hat_k"]:.1%}</b>,
tool-call validity {card["tool_call_validity"]:.1%}, latency p50 {card["latency_s"].get("p50", 0)} s.
Engine invariants held: <b>{"yes" if card["invariants_held"] else "NO"}</b>.</p>
<table><tr><th>category</th><th>runs</th><th>pass rate</th></tr>{rows}</table>
<h2>Failures</h2><ul>{fails}</ul>"""


def write_scorecard(card: dict[str, Any], results: list[RunResult], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "scorecard.json").write_text(json.dumps(card, indent=2))
    (out / "scorecard.md").write_text(_markdown(card))
    (out / "scorecard.html").write_text(_html(card))
    (out / "runs.json").write_text(json.dumps([r.__dict__ for r in results], indent=1, default=str))
