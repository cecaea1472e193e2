"""The engine: instruments, venues, risk, journal, ledger and OMS wired together."""

from alephtx.core.engine.engine import Engine

__all__ = ["Engine"]
