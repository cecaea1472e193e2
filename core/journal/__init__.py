"""The append-only journal of order events and fills: SQLite (WAL) or PostgreSQL."""

from alephtx.core.journal.base import Journal, JournalCorrupt, JournalError, JournalInUse
from alephtx.core.journal.events import (
    CancelRefused,
    CancelRequested,
    Event,
    FillRecorded,
    OrderAck,
    OrderDone,
    OrderNew,
    OrderRejected,
    Reconciled,
    RiskChange,
    StrategyChange,
)
from alephtx.core.journal.sqlite import SqliteJournal

__all__ = [
    "CancelRefused",
    "CancelRequested",
    "Event",
    "FillRecorded",
    "Journal",
    "JournalCorrupt",
    "JournalError",
    "JournalInUse",
    "OrderAck",
    "OrderDone",
    "OrderNew",
    "OrderRejected",
    "Reconciled",
    "RiskChange",
    "SqliteJournal",
    "StrategyChange",
    "open_journal",
]


def open_journal(url: str) -> Journal:
    """``sqlite:///path/to/file.db`` or ``postgresql://…``."""
    if url.startswith("sqlite:///"):
        return SqliteJournal(url[len("sqlite:///") :])
    if url.startswith(("postgresql://", "postgres://")):
        from alephtx.core.journal.postgres import PostgresJournal

        return PostgresJournal(url)
    raise ValueError(f"journal url {url!r}: must start with sqlite:/// or postgresql://")
