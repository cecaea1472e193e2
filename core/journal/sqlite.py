"""SQLite journal (the embedded default): every append lands in a memory-mapped log first
(core/journal/record_log.py), and moves into the SQLite database in batches.

Why a log in front of SQLite: a SQLite commit rewrites at least one 4 KB page into its WAL, about
5 to 8 µs on the path from a book update to the order, twice per order (the intent, then the
acknowledgement); copying a framed record (length, CRC-32, msgpack row) into a shared mapping of
a file costs about a microsecond (3 µs with the encoding) and is exactly as durable against a
crash of the process (the page cache holds it either way). Nothing is deferred: every append is
in the log before ``append`` returns.

- ``durability="normal"`` (the default) survives a crash of the process (SIGKILL) without losing
  an append; ``durability="full"`` also survives losing power, at one msync per append (and
  SQLite's ``synchronous=FULL`` for the batches).
- ``flush()`` moves the logged rows into SQLite in one transaction, then starts the log afresh.
  The order manager calls it when the current step of the event loop ends; the journal also does
  once ``MAX_PENDING`` rows wait or the log is full, and before every read.
- Opening the journal moves what a crash left in the log into SQLite (``INSERT OR IGNORE``: a
  crash between a batch's commit and the log's reset only repeats rows already there). A record
  cut short by the crash was never counted in the log's header, nor acknowledged to the caller,
  and is dropped.

Who owns it. The engine owns its journal: an exclusive ``flock`` on ``<path>-lock`` (a file never
deleted, holding the owner's pid; core/journal/lock.py), taken before anything
else, then SQLite's exclusive locking mode and a ``flock`` on the log. A fresh start
(``fresh=True``, or :meth:`remove`) deletes the old files only while holding that lock; a second
engine cannot take it, raises :class:`JournalInUse` naming the folder and the holder, and has
touched nothing.

Never silently shorter. Opening either gives back every record that was appended, or raises
:class:`JournalCorrupt` and leaves the files as it found them (SQLite is read through a read-only
connection first, so closing it cannot checkpoint a damaged WAL away). What it checks:

- the database: SQLite's ``integrity_check``; the rows numbered 1, 2, 3… with none missing; each
  row's CRC-32 (of its msgpack form, the very bytes its log record held: a flipped byte in any
  column is found, which SQLite itself would not notice);
- the log: a header (magic, generation, ``base`` = the number its first record has, ``count`` =
  the records appended since), records of this generation numbered ``base``, ``base + 1``…, and at
  least ``count`` of them readable: a damaged record anywhere, the last one included, is a loss;
  a record cut short after the counted ones is a crash in the middle of an append, and dropped;
- the two together: the database holds at least the records numbered below ``base`` (the log
  was reset after they were committed: fewer means the database lost a tail, e.g. an emptied WAL),
  and a record found in both is the same in both;
- a blank or missing log while the database says one was live (``journal_state``: set once the
  log has its header, cleared by ``close()`` before the log is deleted) is a loss too.

What cannot be told: all of the journal's files deleted together look like a new journal.
"""

from __future__ import annotations

import sqlite3
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import msgspec

from alephtx.core.journal.base import Journal, JournalCorrupt, JournalError, JournalInUse
from alephtx.core.journal.lock import JournalLock
from alephtx.core.journal.record_log import LogCorrupt, LogLocked, RecordLog

# seq is the rowid: monotonic because nothing is ever deleted (AUTOINCREMENT would cost a second
# write per append). Only fills need an index: their (instrument, trade id) must be unique. crc is
# the CRC-32 of the row's msgpack form (NULL in rows written before it existed).
SCHEMA_VERSION = 1  # PRAGMA user_version; a journal with a higher one is refused, untouched
SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY,
    ts_ns INTEGER NOT NULL,
    kind TEXT NOT NULL,
    client_id TEXT NOT NULL,
    trade_key TEXT,
    body BLOB NOT NULL,
    crc INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS journal_trade ON journal (trade_key) WHERE trade_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS journal_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
# OR IGNORE: a row already there (same seq, or the same fill) is skipped, which is what replaying
# the log after a crash needs; appends refuse duplicate fills before they reach the log.
INSERT = (
    "INSERT OR IGNORE INTO journal (seq, ts_ns, kind, client_id, trade_key, body, crc) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
SET_STATE = "INSERT OR REPLACE INTO journal_state (key, value) VALUES (?, ?)"
LOG_LIVE = "log_live"  # 1 from the moment the log has a header until a clean close
MAX_PENDING = 64  # rows in the log before a batch is written whatever the event loop does
Row = tuple[int, int, str, str, str | None, bytes, int | None]  # seq, ts_ns, kind, client_id, trade_key, body, crc
_ROW_ENCODER = msgspec.msgpack.Encoder()
_ROW_DECODER = msgspec.msgpack.Decoder(tuple[int, int, str, str, str | None, bytes])
_encode_row = _ROW_ENCODER.encode  # bound once: on the path of every append
_crc32 = zlib.crc32


class _Damaged(Exception):
    """What is wrong, said in a sentence; becomes a JournalCorrupt naming the journal."""


class SqliteJournal(Journal):
    def __init__(
        self, path: str | Path, durability: str = "normal", busy_timeout_s: float = 5.0, fresh: bool = False
    ) -> None:
        """Open the journal at ``path`` (created if new). ``fresh=True`` deletes what was there
        first, once the journal's lock is held. Raises :class:`JournalInUse` when another process
        holds it, :class:`JournalCorrupt` when its files have lost records."""
        if durability not in ("normal", "full"):
            raise ValueError(f"durability={durability!r}: must be 'normal' or 'full'")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = Path(f"{path}-log")
        self._sync = durability == "full"
        self._pending: list[Row] = []
        self._pending_fills: set[str] = set()
        self._closed = False
        self._lock = JournalLock(self.path)  # first: a process that cannot take it touches nothing
        try:
            if fresh:
                _remove_files(self.path)
            self._db, self._log, self.recovered = self._open(durability, busy_timeout_s)
        except BaseException:
            self._lock.release()
            raise
        # Sequence numbers are assigned here (the engine owns the file).
        self._next_seq = int(self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM journal").fetchone()[0])

    @staticmethod
    def remove(path: str | Path) -> None:
        """Delete a journal and its companions (SQLite's -wal and -shm, our -log): a fresh start.
        The lock is taken first: a journal another process holds raises :class:`JournalInUse`
        and is left alone."""
        if not Path(path).parent.is_dir():
            return
        lock = JournalLock(path)
        try:
            _remove_files(Path(path))
        finally:
            lock.release()

    def _open(self, durability: str, busy_timeout_s: float) -> tuple[sqlite3.Connection, RecordLog, int]:
        """Check everything before writing anything; then recover the log into SQLite."""
        log_existed = self.log_path.exists()
        try:
            log = RecordLog(self.log_path)
        except LogLocked:
            raise JournalInUse(str(self.path), lock=str(self.log_path)) from None
        except LogCorrupt as exc:
            raise JournalCorrupt(str(self.path), str(exc)) from None
        try:
            try:
                payloads = log.records()
                rows: list[Row] = [(*_ROW_DECODER.decode(p), _crc32(p)) for p in payloads]
                last, live, crcs = _inspect(self.path, log.base if not log.blank else 0, busy_timeout_s)
                self._check_log(log, rows, last, live, crcs)
                db = _connect(self.path, durability, busy_timeout_s)
            except (LogCorrupt, _Damaged, msgspec.DecodeError) as exc:
                raise JournalCorrupt(str(self.path), str(exc)) from None
            try:
                if rows:
                    _commit(db, rows)
                next_seq = int(db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM journal").fetchone()[0])
                log.reset(next_seq)
                if not live:  # the log has its header: from now on a blank one is a loss
                    db.execute(SET_STATE, (LOG_LIVE, 1))
            except BaseException:
                db.close()
                raise
        except BaseException:
            log.close(unlink=not log_existed)
            raise
        return db, log, len(rows)

    def _check_log(self, log: RecordLog, rows: list[Row], last: int, live: bool, crcs: dict[int, int | None]) -> None:
        """The log against the database (``last``: its highest record, every one below is there)."""
        if log.blank:
            if live:
                raise _Damaged(
                    f"its front log {self.log_path} is missing or blank, but the journal was not closed: the "
                    f"records appended after the last batch (the database holds records 1 to {last}) are lost"
                )
            return
        if last < log.base - 1:
            raise _Damaged(
                f"the database holds records 1 to {last}, but {log.base - 1} had been written into it (the front "
                f"log {self.log_path} goes on from record {log.base}): records {last + 1} to {log.base - 1} are lost"
            )
        for i, row in enumerate(rows):
            if row[0] != log.base + i:
                raise _Damaged(f"front log record {i + 1} is number {row[0]}, where {log.base + i} should be")
            if crcs.get(row[0]) not in (None, row[6]):
                raise _Damaged(f"record {row[0]} is not the same in the database and in the front log")

    def _insert(self, kind: str, client_id: str, trade_key: str | None, body: bytes, ts_ns: int) -> int | None:
        if trade_key is not None and (
            trade_key in self._pending_fills
            or self._db.execute("SELECT 1 FROM journal WHERE trade_key = ?", (trade_key,)).fetchone()
        ):
            return None  # a fill already held: its number is not used
        seq = self._next_seq
        payload = _encode_row((seq, ts_ns, kind, client_id, trade_key, body))
        crc = _crc32(payload)
        if not self._log.append(payload, crc):  # the log is full: empty it into SQLite, then retry
            self.flush()
            if not self._log.append(payload, crc):
                self._log.grow(len(payload))
                self._log.append(payload, crc)
        if self._sync:
            self._log.sync()
        self._next_seq = seq + 1
        self._pending.append((seq, ts_ns, kind, client_id, trade_key, body, crc))
        if trade_key is not None:
            self._pending_fills.add(trade_key)
        if len(self._pending) >= MAX_PENDING:
            self.flush()
        return seq

    def flush(self) -> None:
        """Move the logged rows into SQLite (one transaction), then start the log afresh."""
        if not self._pending:
            return
        if self.on_commit is None:
            _commit(self._db, self._pending)
        else:
            t0 = time.perf_counter()
            _commit(self._db, self._pending)
            self.on_commit(time.perf_counter() - t0)
        self._pending = []
        self._pending_fills.clear()
        self._log.reset(self._next_seq)

    def _rows(self, after_seq: int) -> Iterator[tuple[int, bytes]]:
        yield from self._db.execute("SELECT seq, body FROM journal WHERE seq > ? ORDER BY seq", (after_seq,))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        clean = False
        try:
            self.flush()
            self._db.execute(SET_STATE, (LOG_LIVE, 0))  # before the log goes: a missing one is expected now
            clean = True
        finally:
            self._db.close()
            self._log.close(unlink=clean)  # empty now: nothing to recover next time
            self._lock.release()


def _remove_files(path: Path) -> None:
    """The database, SQLite's -wal and -shm, our -log; never the -lock (its holder does that)."""
    for suffix in ("", "-wal", "-shm", "-log"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _connect(path: Path, durability: str, busy_timeout_s: float) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(str(path), timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA locking_mode=EXCLUSIVE")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={durability.upper()}")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            _refuse_newer(path, version)
            db.executescript(SCHEMA)
            if version < SCHEMA_VERSION:
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            if "crc" not in {r[1] for r in db.execute("PRAGMA table_info(journal)")}:
                db.execute("ALTER TABLE journal ADD COLUMN crc INTEGER")  # a journal from before the CRCs
        except BaseException:
            db.close()
            raise
    except sqlite3.DatabaseError as exc:
        raise _sqlite_error(path, exc) from None
    return db


def _commit(db: sqlite3.Connection, rows: list[Row]) -> None:
    db.execute("BEGIN")
    try:
        db.executemany(INSERT, rows)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _refuse_newer(path: Path, version: int) -> None:
    """A journal a newer AlephTX wrote is neither read nor changed."""
    if version > SCHEMA_VERSION:
        raise JournalError(
            f"journal {path} has schema version {version}; this AlephTX reads up to {SCHEMA_VERSION}: "
            "upgrade AlephTX (nothing was changed)"
        )


def _inspect(path: Path, since: int, busy_timeout_s: float) -> tuple[int, bool, dict[int, int | None]]:
    """Read the database as it is and check it: (its highest record, whether its log was live,
    the CRCs of records ``since`` on). Read-only, so that closing the connection cannot
    checkpoint (and so drop) a damaged WAL's frames; the -shm that such a connection needs is
    deleted after, unless it was there before (the engine's exclusive connection never uses one; a
    left-over one is rebuilt from the WAL by the first connection that opens it)."""
    if not path.exists():
        return 0, False, {}
    shm, wal = Path(f"{path}-shm"), Path(f"{path}-wal")
    shm_existed, wal_existed = shm.exists(), wal.exists()
    if path.stat().st_size <= 1:  # SQLite deletes the WAL of an empty database (1 byte counts as 0)
        if wal_existed and wal.stat().st_size:
            raise _Damaged(f"the database file is empty, but its WAL holds {wal.stat().st_size} bytes")
        return 0, False, {}  # created, then the process died before SQLite wrote to it
    try:
        ro = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=busy_timeout_s)
    except sqlite3.DatabaseError as exc:
        raise _sqlite_error(path, exc) from None
    try:
        _refuse_newer(path, ro.execute("PRAGMA user_version").fetchone()[0])
        problems = [str(r[0]) for r in ro.execute("PRAGMA integrity_check(5)")]
        if problems != ["ok"]:
            raise _Damaged("SQLite's integrity check fails: " + "; ".join(problems))
        tables = {name for (name,) in ro.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        live = False
        if "journal_state" in tables:
            row = ro.execute("SELECT value FROM journal_state WHERE key = ?", (LOG_LIVE,)).fetchone()
            live = bool(row and row[0])
        if "journal" not in tables:
            return 0, live, {}
        has_crc = "crc" in {r[1] for r in ro.execute("PRAGMA table_info(journal)")}
        query = f"SELECT seq, ts_ns, kind, client_id, trade_key, body, {'crc' if has_crc else 'NULL'} FROM journal"
        expect = 1
        crcs: dict[int, int | None] = {}
        for seq, ts_ns, kind, client_id, trade_key, body, crc in ro.execute(query + " ORDER BY seq"):
            if seq != expect:
                raise _Damaged(f"record {expect} is missing from the database (the next there is {seq})")
            if crc is not None and _crc32(_ROW_ENCODER.encode((seq, ts_ns, kind, client_id, trade_key, body))) != crc:
                raise _Damaged(f"record {seq} in the database fails its CRC")
            if since and seq >= since:
                crcs[seq] = crc
            expect += 1
        return expect - 1, live, crcs
    except sqlite3.DatabaseError as exc:
        raise _sqlite_error(path, exc) from None
    finally:
        ro.close()
        if not shm_existed:
            shm.unlink(missing_ok=True)
        if not wal_existed and wal.exists() and wal.stat().st_size == 0:
            wal.unlink()


def _sqlite_error(path: Path, exc: sqlite3.DatabaseError) -> Exception:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return JournalInUse(str(path))
    if isinstance(exc, sqlite3.OperationalError) and ("unable to open" in text or "readonly" in text):
        return JournalError(f"journal {path} cannot be opened: {text}")
    return _Damaged(f"SQLite cannot read it ({text})")
