"""The audit log of the engine's servers: one row per call, refused, failed or served.

A row says when (``ts``), who (``origin``: the transport, the peer and what the caller declared),
what (``tool``: the method; ``args``: its arguments, shortened), how it ended (``ok``, ``code``,
``error``) and how long it took (``ms``). It is the shape of the MCP tools' audit rows
(``tools/audit.py``) plus ``code``, so one reader reads both. Rows go to the
``alephtx.core.server.audit`` logger (served calls at DEBUG, refused or failed ones at WARNING),
to a bounded in-memory list (``rows``, the newest last) and,
when a path is given, to a JSON-lines file. Arguments are logged as given: the servers take no
secrets in arguments (the bearer token travels in metadata and is never logged).
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections import deque
from pathlib import Path
from typing import Any, TextIO

__all__ = ["AuditLog", "short", "shorten_args"]

log = logging.getLogger("alephtx.core.server.audit")


def short(value: object, limit: int = 60) -> str:
    """``repr`` of a value in at most about ``limit`` characters: control and unprintable
    characters escaped, a cut one ending in ``…`` with its full length (``'aaaa…' (1000 chars)``)."""
    if isinstance(value, str | bytes):
        text = repr(value[: limit + 1])
        if len(value) <= limit and len(text) <= limit + 2:
            return text
        return f"{text[:limit]}… ({len(value)} {'chars' if isinstance(value, str) else 'bytes'})"
    text = repr(value)
    return text if len(text) <= limit + 2 else text[:limit] + "…"


def shorten_args(args: dict[str, Any], limit: int = 200) -> dict[str, Any]:
    """Arguments for a row: scalars kept as they are, long strings and anything else shortened."""
    out: dict[str, Any] = {}
    for k, v in args.items():
        keep = v is None or isinstance(v, bool | int | float) or (isinstance(v, str) and len(v) <= limit)
        out[k] = v if keep else short(v, limit)
    return out


class AuditLog:
    """Rows in memory (the last ``keep``) and, with ``path``, appended to a JSON-lines file."""

    def __init__(self, path: str | Path | None = None, keep: int = 1000) -> None:
        self.path = Path(path) if path is not None else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.rows: deque[dict[str, Any]] = deque(maxlen=keep)
        self.write_errors = 0
        self._file: TextIO | None = None

    def record(
        self,
        tool: str,
        origin: str,
        args: dict[str, Any],
        ok: bool,
        error: str = "",
        seconds: float = 0.0,
        code: str = "OK",
    ) -> dict[str, Any]:
        row = {
            "ts": round(time.time(), 3),
            "origin": origin,
            "tool": tool,
            "args": shorten_args(args),
            "ok": ok,
            "code": code,
            "error": error,
            "ms": round(seconds * 1000, 3),
        }
        self.rows.append(row)
        if ok:  # DEBUG: a node answers `aleph status` and every attached surface; the file keeps each row
            log.debug("%s from %s: ok (%.1f ms)", tool, origin, row["ms"])
        else:
            log.warning("%s from %s: %s %s", tool, origin, code, error)
        if self.path is not None:
            try:
                if self._file is None:  # opened once: a node serves many calls a second
                    self._file = self.path.open("a", encoding="utf-8", buffering=1)
                self._file.write(json.dumps(row, default=str, ensure_ascii=True) + "\n")  # a line: flushed
            except OSError as exc:  # the call has happened; losing the file row must not hide it
                self.write_errors += 1
                self.close()  # opened again for the next row
                log.error("audit: cannot write %s (%s); the row is kept in memory and in this log", self.path, exc)
        return row

    def close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None

    @property
    def calls(self) -> list[dict[str, Any]]:
        """The rows as a list (the name ``tools/audit.py`` uses)."""
        return list(self.rows)
