"""SQLite journal (the embedded default): WAL mode, one transaction per append.

``synchronous=NORMAL`` in WAL mode survives a crash of the process (SIGKILL) without losing a
committed append; ``durability="full"`` also survives losing power, at one fsync per append.
The engine owns its journal: the file is locked exclusively while it is open (no shared-memory
locking per commit, which halves the cost of an append); readers open it after the engine stops.
Deferred appends wait in memory and are written in the transaction of the next durable append,
so an order costs one commit, not three.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from alephtx.core.journal.base import Journal

# seq is the rowid: monotonic because nothing is ever deleted (AUTOINCREMENT would cost a second
# write per append). Only fills need an index: their (instrument, trade id) must be unique.
SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY,
    ts_ns INTEGER NOT NULL,
    kind TEXT NOT NULL,
    client_id TEXT NOT NULL,
    trade_key TEXT,
    body BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS journal_trade ON journal (trade_key) WHERE trade_key IS NOT NULL;
"""
INSERT = (
    "INSERT INTO journal (seq, ts_ns, kind, client_id, trade_key, body) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (trade_key) WHERE trade_key IS NOT NULL DO NOTHING"
)
MAX_DEFERRED = 64  # a bound on what a crash can drop (the venue tells it again at recovery)
_INSERT_HEAD = "INSERT INTO journal (seq, ts_ns, kind, client_id, trade_key, body) VALUES "
_INSERT_TAIL = " ON CONFLICT (trade_key) WHERE trade_key IS NOT NULL DO NOTHING"


@functools.cache
def _insert_many(rows: int) -> str:
    return _INSERT_HEAD + ", ".join(["(?, ?, ?, ?, ?, ?)"] * rows) + _INSERT_TAIL


class SqliteJournal(Journal):
    def __init__(
        self, path: str | Path, durability: str = "normal", exclusive: bool = True, busy_timeout_s: float = 5.0
    ) -> None:
        if durability not in ("normal", "full"):
            raise ValueError(f"durability={durability!r}: must be 'normal' or 'full'")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(path)
        self._db = sqlite3.connect(str(path), timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
        if exclusive:
            self._db.execute("PRAGMA locking_mode=EXCLUSIVE")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={durability.upper()}")
        self._db.executescript(SCHEMA)
        # Sequence numbers are assigned here (the engine owns the file) so deferred rows have theirs
        # before they are written.
        self._next_seq = int(self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM journal").fetchone()[0])
        self._deferred: list[tuple[int, int, str, str, None, bytes]] = []

    def _insert(self, kind: str, client_id: str, trade_key: str | None, body: bytes, ts_ns: int) -> int | None:
        seq = self._next_seq
        if not self._deferred:
            cur = self._db.execute(INSERT, (seq, ts_ns, kind, client_id, trade_key, body))
            if cur.rowcount != 1:
                return None  # a fill already held: its number is not used
            self._next_seq = seq + 1
            return seq
        # The deferred rows and this one in one statement: one implicit transaction, one commit.
        rows = self._deferred
        n = len(rows)
        params = [v for row in rows for v in row]
        params += (seq + n, ts_ns, kind, client_id, trade_key, body)
        cur = self._db.execute(_insert_many(n + 1), params)
        self._deferred = []
        self._next_seq = seq + n
        if cur.rowcount != n + 1:
            return None  # deferred rows never conflict: the fill was already held
        self._next_seq += 1
        return seq + n

    def _defer(self, kind: str, client_id: str, body: bytes, ts_ns: int) -> int:
        seq = self._next_seq + len(self._deferred)
        self._deferred.append((seq, ts_ns, kind, client_id, None, body))
        if len(self._deferred) >= MAX_DEFERRED:
            self.flush()
        return seq

    def flush(self) -> None:
        if not self._deferred:
            return
        self._db.execute("BEGIN")
        try:
            self._db.executemany(INSERT, self._deferred)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._next_seq += len(self._deferred)
        self._deferred.clear()

    def _rows(self, after_seq: int) -> Iterator[tuple[int, bytes]]:
        yield from self._db.execute("SELECT seq, body FROM journal WHERE seq > ? ORDER BY seq", (after_seq,))

    def close(self) -> None:
        self.flush()
        self._db.close()
