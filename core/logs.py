"""Logging for the `aleph` commands: one stderr handler at the config's ``log.level``, every
record passed through the secret filter (``core/redact.py``), and uncaught tracebacks masked too.

``setup_logging`` may be called again (a command with its own ``--config``): it replaces its
handler rather than adding a second one.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import threading
import traceback
from types import TracebackType
from typing import TextIO

from alephtx.core.redact import RedactingFilter, redact

__all__ = ["FORMAT", "LEVELS", "install_excepthook", "setup_logging"]

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
DATEFMT = "%H:%M:%S"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class _AlephHandler(logging.StreamHandler):
    """The handler ``setup_logging`` owns (so a second call replaces it). It writes to whatever
    ``sys.stderr`` is when a record comes (as logging's last-resort handler does), so a caller
    that swaps stderr for a while (a test runner) leaves no handler on a closed stream."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        """StreamHandler.__init__ assigns a stream; this handler always writes to the current
        sys.stderr instead, so what it is given is dropped on purpose."""


def setup_logging(level: str = "INFO") -> logging.Handler:
    """Log to stderr at ``level`` (DEBUG, INFO, WARNING or ERROR) with secrets masked: the
    filter goes on this handler and on every other handler the root logger has.

    ``level`` is AlephTX's own (the ``alephtx`` loggers). Other libraries speak from WARNING
    unless it is DEBUG: at INFO they would print a line per request (httpx for every Telegram
    poll, the MCP server for every tool call)."""
    name = level.upper()
    if name not in LEVELS:
        raise ValueError(f"log.level={level!r}: one of {', '.join(LEVELS)}")
    numeric = logging.getLevelName(name)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _AlephHandler)]:
        root.removeHandler(old)
    handler = _AlephHandler()
    handler.setFormatter(logging.Formatter(FORMAT, DATEFMT))
    secret_filter = RedactingFilter()
    handler.addFilter(secret_filter)
    root.addHandler(handler)
    for other in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in other.filters):
            other.addFilter(secret_filter)
    root.setLevel(numeric if numeric <= logging.DEBUG else max(numeric, logging.WARNING))
    logging.getLogger("alephtx").setLevel(numeric)
    logging.captureWarnings(True)  # warnings become records, so they pass the filter too
    install_excepthook()
    logging.getLogger("alephtx").debug("logging at %s to stderr, secrets masked", name)
    return handler


_hooks: dict[str, object] = {}


def _print_masked(show: object, *args: object) -> None:
    buffer = io.StringIO()
    with contextlib.redirect_stderr(buffer):
        try:
            show(*args)  # type: ignore[operator]
        except Exception:
            exc = args[1] if len(args) == 3 else getattr(args[0], "exc_value", None)
            if isinstance(exc, BaseException):
                traceback.print_exception(type(exc), exc, exc.__traceback__)
    sys.stderr.write(redact(buffer.getvalue()))
    sys.stderr.flush()


def install_excepthook() -> None:
    """Uncaught exceptions (main thread and other threads) print as they did, typer's pretty
    traceback included, with every secret masked in the text."""
    if sys.excepthook is not _hooks.get("sys"):
        previous = sys.excepthook

        def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
            _print_masked(previous, exc_type, exc, tb)

        sys.excepthook = _hooks["sys"] = hook
    if threading.excepthook is not _hooks.get("thread"):
        previous_thread = threading.excepthook

        def thread_hook(args: threading.ExceptHookArgs) -> None:
            _print_masked(previous_thread, args)

        threading.excepthook = _hooks["thread"] = thread_hook
