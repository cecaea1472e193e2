"""The backtest as a research tool: the agent tries a strategy on recorded data within a budget.

It runs `aleph backtest` itself in a child process, so the budget is a hard one (the process is
killed at the time budget) and a backtest can do nothing a person's backtest could not: it trades
a paper venue of its own over recorded data, writes its run folder under runs/, and touches no
position of the node. A research run gets a number of backtests (``max_backtests``) and seconds
for each (``budget_s``); past them the tool says so.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alephtx.core.errors import FieldError
from alephtx.core.strategies import BUILTIN

__all__ = ["ResearchBudget", "register"]

HEADLINE = ("net_pnl", "return_pct", "sharpe", "sortino", "max_drawdown", "fills", "round_trips", "win_rate", "fees")


@dataclass
class ResearchBudget:
    """Backtests allowed per research run and seconds for each; ``used`` counts this run's."""

    max_backtests: int = 20  # a chat or an MCP client: per server; a research run: its own (3)
    budget_s: float = 120.0
    used: int = 0
    runs: list[str] = field(default_factory=list)  # the run folders this research run made

    def reset(self) -> None:
        self.used = 0
        self.runs = []


def register(
    tool: Callable[[Any], Callable[[Callable[..., Any]], Any]], read: Any, data_dir: Path, budget: ResearchBudget
) -> None:
    @tool(read)
    async def backtest(
        strategy: str, params: dict[str, Any] | None = None, dataset: str = "", start: str = "", end: str = ""
    ) -> dict[str, Any]:
        """Backtest a built-in strategy (grid, trend, mean_reversion, market_making, multi_signal)
        on recorded data: a catalog dataset (venue/market/symbol, from list_datasets) over
        [start, end) in ISO 8601 UTC, or the bundled sample when no dataset is named. Trades a
        paper venue of its own, never the node. Returns the headline metrics and the run's name
        (`aleph runs show NAME`). A research run has a budget of backtests and seconds each."""
        if strategy not in BUILTIN or strategy == "arbitrage":  # arbitrage needs two venues
            kinds = ", ".join(k for k in BUILTIN if k != "arbitrage")
            raise FieldError("strategy", strategy, f"one of {kinds}")
        if params is not None and not isinstance(params, dict):
            raise FieldError("params", params, "an object of the strategy's parameters")
        if budget.used >= budget.max_backtests:
            raise FieldError(
                "backtest", strategy, f"this run's budget of {budget.max_backtests} backtests is spent; write up"
            )
        budget.used += 1
        args = ["backtest", "--strategy", strategy, "--params", json.dumps(params or {}), "--json"]
        if dataset:
            args += ["--data", dataset]
        if start:
            args += ["--from", start]
        if end:
            args += ["--to", end]
        env = {**os.environ, "ALEPH_DATA_DIR": str(data_dir)}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "alephtx.cli",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            stdin=asyncio.subprocess.DEVNULL,
            env=env,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), budget.budget_s)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise FieldError(
                "backtest", strategy, f"over its time budget of {budget.budget_s:g} s: a shorter range (start, end)"
            ) from None
        if proc.returncode != 0:
            lines = err.decode(errors="replace").strip().splitlines()
            raise FieldError("backtest", strategy, lines[-1] if lines else f"exit {proc.returncode}")
        report = json.loads(out)
        budget.runs.append(report["run"])
        m = report["metrics"]
        return {
            "run": report["run"],
            "strategy": strategy,
            "params": report["strategy"]["params"],
            "data": report["data"].get("dataset") or report["data"]["source"],
            "events": report["events"],
            "metrics": {k: m.get(k) for k in HEADLINE},
            "refusals": report["refusals"],
            "backtests_left": budget.max_backtests - budget.used,
        }
