"""A command running in a subprocess, its output lines read as they come."""

from __future__ import annotations

import queue
import subprocess
import threading
import time


class Running:
    """A process (an emulator, a node), and its output lines as they come (read by a thread: a pipe's
    buffered lines are invisible to select)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def read_until(self, marker: str, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not any(marker in line for line in self.lines):
            try:
                line = self._queue.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(f"no {marker!r} in {self.lines}") from None
            assert line is not None, (
                f"the process ended: {self.lines} {self.proc.stderr.read() if self.proc.stderr else ''}"
            )
            self.lines.append(line)

    def value(self, key: str) -> str:
        return next(line.split("=", 1)[1].strip() for line in self.lines if line.strip().startswith(key + " "))

    def exports(self) -> dict[str, str]:
        pairs = [line.split("export ", 1)[1].split("=", 1) for line in self.lines if "export " in line]
        return {k: v for k, v in pairs}
