"""When research runs happen: cron expressions (UTC, croniter's five fields, or six with
seconds), a fixed interval, or both (the earliest next time wins)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from croniter import CroniterBadCronError, croniter

from alephtx.core.errors import FieldError

__all__ = ["Schedule"]


@dataclass(frozen=True)
class Schedule:
    cron: tuple[str, ...] = ()
    every_s: float = 0.0

    def __post_init__(self) -> None:
        for expr in self.cron:
            if not croniter.is_valid(expr):
                raise FieldError("cron", expr, "a cron expression, e.g. '0 */4 * * *' (minute hour day month weekday)")
        if self.every_s < 0:
            raise FieldError("every", self.every_s, "seconds above 0")

    @property
    def empty(self) -> bool:
        return not self.cron and not self.every_s

    def next_after(self, now: dt.datetime, last: dt.datetime | None = None) -> dt.datetime:
        """The next run strictly after ``now`` (``last``: when the previous run started, the
        interval's origin; the first interval run is immediate)."""
        times = []
        for expr in self.cron:
            try:
                times.append(croniter(expr, now).get_next(dt.datetime))
            except CroniterBadCronError as exc:  # checked at set-up; kept for a clock at its edges
                raise FieldError("cron", expr, str(exc)) from None
        if self.every_s:
            times.append(now if last is None else max(now, last + dt.timedelta(seconds=self.every_s)))
        if not times:
            raise FieldError("schedule", "", "give --every seconds or --cron expressions")
        return min(times)

    def describe(self) -> str:
        parts = [f"cron {c!r}" for c in self.cron]
        if self.every_s:
            parts.append(f"every {self.every_s:g} s")
        return ", ".join(parts) + " (UTC)"
