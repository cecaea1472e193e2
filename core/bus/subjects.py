"""Subject names and NATS-style wildcard matching (`*` one token, `>` one or more at the end)."""

from __future__ import annotations

from functools import lru_cache

# Subjects whose messages must survive a restart: kept in a JetStream stream on NATS.
DURABLE = ("exec.order.>", "exec.report.>")


def book(venue: str, symbol: str) -> str:
    return f"md.book.{venue}.{symbol}"


def trade(venue: str, symbol: str) -> str:
    return f"md.trade.{venue}.{symbol}"


def order(venue: str) -> str:
    return f"exec.order.{venue}"


def report(venue: str) -> str:
    return f"exec.report.{venue}"


RISK_STATE = "risk.state"


def strategy(name: str, event: str) -> str:
    return f"strategy.{name}.{event}"


def agent(event: str) -> str:
    return f"agent.{event}"


def check_subject(subject: str, field: str = "subject", wildcards: bool = False) -> str:
    """Refuse empty tokens, white space and (unless ``wildcards``) `*` and `>`."""
    if not isinstance(subject, str) or not subject:
        raise ValueError(f"{field}={subject!r}: must be a non-empty string")
    tokens = subject.split(".")
    for i, tok in enumerate(tokens):
        if not tok or any(c.isspace() for c in tok):
            raise ValueError(f"{field}={subject!r}: tokens must be non-empty and contain no white space")
        if tok in ("*", ">"):
            if not wildcards:
                raise ValueError(f"{field}={subject!r}: wildcards are only allowed when subscribing")
            if tok == ">" and i != len(tokens) - 1:
                raise ValueError(f"{field}={subject!r}: '>' must be the last token")
        elif "*" in tok or ">" in tok:
            raise ValueError(f"{field}={subject!r}: '*' and '>' must be whole tokens")
    return subject


@lru_cache(maxsize=4096)
def matches(pattern: str, subject: str) -> bool:
    """Whether ``subject`` matches ``pattern`` under NATS rules."""
    p = pattern.split(".")
    s = subject.split(".")
    for i, tok in enumerate(p):
        if tok == ">":
            return len(s) > i
        if i >= len(s) or (tok != "*" and tok != s[i]):
            return False
    return len(p) == len(s)
