"""Secrets stay secret: one place that says what a secret looks like and masks it.

- ``is_secret_name``: a name (environment variable, config key) that says secret: it has a part
  KEY, TOKEN, SECRET, PASSWORD, PASSPHRASE, PRIVATE, MNEMONIC, SEED, CREDENTIAL(S), ...
- ``mask_url`` / ``mask_urls``: the userinfo of a URL (``postgresql://user:***@host/db``, a
  user-only userinfo becomes ``***@``), secret-named query parameters (``?api_key=***``) and
  Telegram bot tokens; ``mask_url`` (one config value) also masks key-like path segments.
- ``secret_values``: the values to hide, read from the environment: every secret-named
  ``ALEPH_*`` variable and every documented secret variable, the password inside any ``ALEPH_*``
  URL, plus what ``register`` added at run time (a token passed in code); shorter than
  ``MIN_SECRET_LEN`` characters are left alone, so a common word never turns into ``***``.
- ``redact``: a text with all of the above masked; ``RedactingFilter``: the same for every log
  record (its formatted message, exception text and stack), installed by ``core/logs.py``.

docs/config.md lists the names and how they are masked.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping

__all__ = [
    "DOCUMENTED_SECRET_ENV",
    "MASK",
    "MIN_SECRET_LEN",
    "RedactingFilter",
    "is_secret_name",
    "mask_url",
    "mask_urls",
    "redact",
    "register",
    "secret_values",
]

MASK = "***"
MIN_SECRET_LEN = 6

# Secret variables the docs name (docs/config.md, docs/adapters.md, docs/engine.md, ...). All of
# them look secret by name too; listing them keeps a renamed word list from dropping one.
DOCUMENTED_SECRET_ENV = (
    "ALEPH_NATS_TOKEN",
    "ALEPH_MCP_TOKEN",
    "ALEPH_OPERATOR_TOKEN",
    "ALEPH_TELEGRAM_TOKEN",
    "ALEPH_GRPC_TOKEN",
    "ALEPH_PAPER_TOKEN",
    "ALEPH_LLM_API_KEY",
    "ALEPH_MEV_SEARCHER_KEY",
)

# A name part equal to one of these says secret ...
_SECRET_PARTS = frozenset(
    {"key", "keys", "seed", "seeds", "pass", "pwd", "private", "privkey", "apikey", "jwt", "cookie"}
)
# ... and so does a part containing one of these.
_SECRET_WORDS = ("secret", "token", "password", "passwd", "passphrase", "mnemonic", "credential", "apikey")
_NAME_PARTS = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def is_secret_name(name: str) -> bool:
    """Whether ``name`` (``ALEPH_BINANCE_API_SECRET``, ``nats_token``, ``apiKey``) says secret."""
    for part in _NAME_PARTS.split(name):
        low = part.lower()
        if low in _SECRET_PARTS or any(w in low for w in _SECRET_WORDS):
            return True
    return False


# scheme://userinfo@ where userinfo runs to the last '@' before the host's path.
_URL_USERINFO = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^\s/?#@'\"<>]*(?:@[^\s/?#@'\"<>]*)*)@"
)
_QUERY_PARAM = re.compile(r"(?P<sep>[?&;])(?P<name>[A-Za-z0-9_.\-]+)=(?P<value>[^&;#\s'\"<>]+)")
# A Telegram bot token (``123456789:AA...``), also inside Bot API URLs (``/bot<token>/getMe``).
_TELEGRAM_TOKEN = re.compile(r"(?<![0-9])\d{6,12}:[A-Za-z0-9_\-]{30,}")


def _mask_userinfo(m: re.Match[str]) -> str:
    user, colon, _password = m["userinfo"].partition(":")
    return f"{m['scheme']}{user}:{MASK}@" if colon else f"{m['scheme']}{MASK}@"


def _mask_param(m: re.Match[str]) -> str:
    return f"{m['sep']}{m['name']}={MASK}" if is_secret_name(m["name"]) else m.group(0)


def mask_urls(text: str) -> str:
    """``text`` with every URL's userinfo masked (``user:***@``, or ``***@`` without a password),
    its secret-named query parameters masked, and Telegram bot tokens masked."""
    if "://" in text:
        text = _URL_USERINFO.sub(_mask_userinfo, text)
    if "=" in text:
        text = _QUERY_PARAM.sub(_mask_param, text)
    return _TELEGRAM_TOKEN.sub(MASK, text) if ":" in text else text


# A path segment that looks like an API key: Infura's /v3/<32 hex>, Alchemy's /v2/<mixed-case
# letters and digits>. A database or file name (lower case, words) does not.
_HEX_KEY = re.compile(r"[0-9a-fA-F]{32,}")
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-]{20,}")


def _key_like(segment: str) -> bool:
    if _HEX_KEY.fullmatch(segment):
        return True
    return bool(_TOKEN_CHARS.fullmatch(segment)) and all(
        any(test(c) for c in segment) for test in (str.isupper, str.islower, str.isdigit)
    )


def mask_url(url: str) -> str:
    """One URL (a config value) with its userinfo masked, ``postgresql://user:***@host/db``, and
    its secret-named query parameters and key-like path segments (``/v2/***``) too. Free text
    goes through ``mask_urls``, which leaves paths alone (a log line's hashes are not keys)."""
    masked = mask_urls(url)
    scheme, sep, rest = masked.partition("://")
    if not sep or "/" not in rest:
        return masked
    host, _, tail = rest.partition("/")
    path, mark, query = re.split(r"([?#])", tail, maxsplit=1) if re.search(r"[?#]", tail) else (tail, "", "")
    path = "/".join(MASK if _key_like(seg) else seg for seg in path.split("/"))
    return f"{scheme}://{host}/{path}{mark}{query}"


def _url_passwords(value: str) -> list[str]:
    return [m["userinfo"].partition(":")[2] for m in _URL_USERINFO.finditer(value)]


_registered: set[str] = set()


def register(*values: str | None) -> None:
    """Hide these values from now on too (a token handed over in code rather than read from the
    environment). Values shorter than ``MIN_SECRET_LEN`` are ignored."""
    for value in values:
        if value:
            _registered.update(v for v in (value, value.strip(), _variants(value.strip())) if len(v) >= MIN_SECRET_LEN)


def _variants(value: str) -> str:
    # A hex key is often printed without its 0x.
    return value[2:] if value[:2] in ("0x", "0X") else value


def secret_values(env: Mapping[str, str] | None = None) -> set[str]:
    """The values to hide: secret-named ``ALEPH_*`` and documented secret variables, passwords of
    URLs in any ``ALEPH_*`` variable, and the registered ones (each ``MIN_SECRET_LEN`` or longer)."""
    env = os.environ if env is None else env
    found: set[str] = set(_registered)
    for name, value in env.items():
        if not value:
            continue
        upper = name.upper()
        if upper in DOCUMENTED_SECRET_ENV or (upper.startswith("ALEPH_") and is_secret_name(name)):
            found.update((value, value.strip(), _variants(value.strip())))
        elif upper.startswith("ALEPH_") and "@" in value:
            found.update(_url_passwords(value))
    return {v for v in found if len(v) >= MIN_SECRET_LEN}


def redact(text: str, values: Iterable[str] | None = None) -> str:
    """``text`` with every known secret value (``values``, else ``secret_values()``) and every
    URL userinfo replaced by ``***``."""
    for value in sorted(secret_values() if values is None else values, key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK)
    return mask_urls(text)


class RedactingFilter(logging.Filter):
    """Masks secrets in every record a handler emits: the formatted message (``msg % args``),
    the exception text and the stack. Attach it to handlers (``core/logs.py`` does, on the root
    logger's), so records propagated from any logger pass it.

    The secret values are read from the environment when the filter is made, plus whatever
    ``register`` adds later."""

    def __init__(self, values: Iterable[str] | None = None) -> None:
        super().__init__()
        self.values = set(secret_values() if values is None else values)

    def filter(self, record: logging.LogRecord) -> bool:
        values = self.values | _registered
        try:
            message = record.getMessage()
        except Exception:
            message = f"{record.msg!r} % {record.args!r}"
        clean = redact(message, values)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, values)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, values)
        return True
