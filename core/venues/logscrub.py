"""Keep secrets out of logs, also out of third-party loggers (ccxt logs request headers at DEBUG).

Adapters register their credentials; a filter on the loggers that could print them replaces each
secret with <hidden> before any handler sees the record.
"""

from __future__ import annotations

import logging

from alephtx.core.redact import register

_SECRETS: set[str] = set()
# Loggers that can carry request headers or bodies: ccxt's sync and async clients, aiohttp's client.
WATCHED = ("ccxt.base.exchange", "ccxt.async_support.base.exchange", "aiohttp.client", "alephtx")


class SecretScrubber(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not _SECRETS:
            return True
        text = record.getMessage()
        clean = text
        for s in _SECRETS:
            if s in clean:
                clean = clean.replace(s, "<hidden>")
        if clean != text:
            record.msg, record.args = clean, ()
        return True


_SCRUBBER = SecretScrubber()


def register_secrets(*secrets: str) -> None:
    """Never log these. Secrets shorter than 6 characters are too ambiguous to scrub and refused."""
    for s in secrets:
        if s:
            if len(s) < 6:
                raise ValueError("credentials: a secret shorter than 6 characters is not a real key")
            _SECRETS.add(s)
    register(*secrets)  # and everywhere else: the root handlers' filter (core/redact.py)
    for name in WATCHED:
        lg = logging.getLogger(name)
        if _SCRUBBER not in lg.filters:
            lg.addFilter(_SCRUBBER)
