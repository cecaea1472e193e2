"""PostgreSQL journal (production), psycopg 3. Each append is its own committed transaction."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg

from alephtx.core.journal.base import Journal, JournalError


class PostgresJournal(Journal):
    def __init__(self, dsn: str, table: str = "aleph_journal", exclusive: bool = False) -> None:
        """``exclusive``: hold a session advisory lock named after the table for as long as the
        journal is open (a node's), so that a second engine on the same table is refused
        instead of interleaving its records with the first's."""
        if not table.replace("_", "").isalnum():
            raise ValueError(f"table={table!r}: letters, digits and underscores only")
        self.table = table
        self._db = psycopg.connect(dsn, autocommit=True)
        if exclusive:
            row = self._db.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (f"alephtx:{table}",)).fetchone()
            if not (row and row[0]):
                self._db.close()
                raise JournalError(
                    f"journal table {table} is in use: another engine holds its lock. Nothing was touched; "
                    "stop that engine first, or give this one another table (journal.table)."
                )
        self._db.execute(
            f"""CREATE TABLE IF NOT EXISTS {table} (
                seq BIGSERIAL PRIMARY KEY,
                ts_ns BIGINT NOT NULL,
                kind TEXT NOT NULL,
                client_id TEXT NOT NULL,
                trade_key TEXT,
                body BYTEA NOT NULL)"""
        )
        self._db.execute(
            f"CREATE UNIQUE INDEX IF NOT EXISTS {table}_trade ON {table} (trade_key) WHERE trade_key IS NOT NULL"
        )

    def _insert(self, kind: str, client_id: str, trade_key: str | None, body: bytes, ts_ns: int) -> int | None:
        t0 = time.perf_counter()
        row = self._db.execute(
            f"INSERT INTO {self.table} (ts_ns, kind, client_id, trade_key, body) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING RETURNING seq",
            (ts_ns, kind, client_id, trade_key, body),
        ).fetchone()
        if self.on_commit is not None:  # autocommit: the insert is the commit
            self.on_commit(time.perf_counter() - t0)
        return int(row[0]) if row else None

    def _rows(self, after_seq: int) -> Iterator[tuple[int, bytes]]:
        cur = self._db.execute(f"SELECT seq, body FROM {self.table} WHERE seq > %s ORDER BY seq", (after_seq,))
        for seq, body in cur:
            yield int(seq), bytes(body)

    def drop(self) -> None:
        """Remove the table (test clean-up)."""
        self._db.execute(f"DROP TABLE IF EXISTS {self.table}")

    def close(self) -> None:
        self._db.close()
