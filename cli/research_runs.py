"""Research runs on a schedule: the loop behind `aleph research --every/--cron` and the node's
``[research]`` (the run itself is agent/research.py). Here because it joins the layers: the
agent's run, the tools' budget, and core's run folders and schedule."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import openai

from alephtx.agent.llm import CPU_MODEL_NAME, chat_model, cpu_server, free_port
from alephtx.agent.research import ResearchRun, research_run
from alephtx.agent.session import Event
from alephtx.core.config.schema import AlephConfig
from alephtx.core.errors import AlephError
from alephtx.core.redact import mask_url
from alephtx.core.research.runs import new_folder
from alephtx.core.research.schedule import Schedule
from alephtx.tools.local import local_tools
from alephtx.tools.research_tools import ResearchBudget

__all__ = ["ModelUnreachable", "research_loop"]


class ModelUnreachable(AlephError):
    """The model server did not answer a research run: one line saying where and what to do."""


async def research_loop(
    cfg: AlephConfig,
    endpoint: str,
    model_name: str,
    schedule: Schedule,
    runs: int = 0,
    node: str | None = None,
    ask: str = "",
    on_event: Callable[[Event], None] | None = None,
    on_run: Callable[[ResearchRun], None] | None = None,
    on_wait: Callable[[dt.datetime], None] | None = None,
    budget: ResearchBudget | None = None,
    telegram: bool = True,
    on_error: Callable[[AlephError], None] | None = None,
) -> int:
    """Research runs on ``schedule`` (an empty one: one run now), ``runs`` of them (0: until
    cancelled). Returns how many ran."""
    done = 0
    fatal: AlephError | None = None
    with contextlib.ExitStack() as stack:
        url = endpoint or stack.enter_context(cpu_server(free_port(), Path(cfg.data_dir) / "llm.log"))
        name = model_name if endpoint else CPU_MODEL_NAME
        model = chat_model(url, name)
        async with local_tools(
            cfg,
            workdir=Path(cfg.data_dir) / "research-desk",
            origin="research",
            node=node,
            research=budget or ResearchBudget(max_backtests=3),
        ) as tools:
            last: dt.datetime | None = None
            while True:
                if not schedule.empty:
                    now = dt.datetime.now(dt.UTC)
                    at = schedule.next_after(now, last)
                    if at > now:
                        if on_wait is not None:
                            on_wait(at)
                        await asyncio.sleep((at - now).total_seconds())
                last = dt.datetime.now(dt.UTC)
                folder = new_folder(Path(cfg.data_dir) / "runs", "research")
                try:
                    result = await research_run(cfg, model, tools, folder, ask, name, on_event, telegram)
                except openai.APIError as exc:  # the model server: down, timing out, refusing
                    shutil.rmtree(folder, ignore_errors=True)  # no report: nothing ran
                    why = ModelUnreachable(
                        f"the model at {mask_url(url)} did not answer ({type(exc).__name__}: {exc}); "
                        "start it (aleph llm serve) or give --endpoint and --model"
                    )
                    if schedule.empty:
                        fatal = why  # raised outside the tools' task group (it would wrap it)
                        break
                    if on_error is not None:  # on a schedule: this run is lost, the next one is tried
                        on_error(why)
                    done += 1
                else:
                    done += 1
                    if on_run is not None:
                        on_run(result)
                if schedule.empty or (runs and done >= runs):
                    break
        if fatal is not None:
            raise fatal
        return done
