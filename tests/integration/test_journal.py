"""One journal suite, two backends: SQLite (WAL) and PostgreSQL (a real server)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from alephtx.core.journal import (
    FillRecorded,
    Journal,
    JournalCorrupt,
    JournalInUse,
    OrderAck,
    OrderDone,
    OrderNew,
    SqliteJournal,
    open_journal,
)
from alephtx.core.journal.postgres import PostgresJournal
from alephtx.core.journal.record_log import HEADER, RECORD
from alephtx.core.model import Fill, OrderRequest, OrderType, Side


@pytest.fixture(params=["sqlite", "postgres"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journal]:
    if request.param == "sqlite":
        j: Journal = SqliteJournal(tmp_path / "journal.db")
        yield j
        j.close()
        return
    pj = PostgresJournal(request.getfixturevalue("pg_dsn"), table=f"j_{uuid.uuid4().hex[:12]}")
    yield pj
    pj.drop()
    pj.close()


REQ = OrderRequest("paper:BTCUSDT", Side.BUY, OrderType.LIMIT, 10, 6_000_000, client_id="ax1", origin="agent")
FILL = Fill("paper:BTCUSDT", "ax1", "P1", "T1", Side.BUY, 6_000_000, 4, 12, "maker", 5)


def test_append_and_read_in_order(journal: Journal) -> None:
    s1 = journal.append(OrderNew("ax1", REQ, 1, "intent:1"), 1)
    s2 = journal.append(OrderAck("ax1", "P1", 2), 2)
    s3 = journal.append(FillRecorded(FILL), 3)
    assert s1 is not None and s2 is not None and s3 is not None and s1 < s2 < s3
    events = list(journal.read())
    assert [e for _, e in events] == [OrderNew("ax1", REQ, 1, "intent:1"), OrderAck("ax1", "P1", 2), FillRecorded(FILL)]
    assert [e for _, e in journal.read(s2)] == [FillRecorded(FILL)]


def test_appends_keep_their_order_and_numbers_across_flushes(journal: Journal) -> None:
    s1 = journal.append(OrderNew("ax1", REQ, 1), 1)
    s2 = journal.append(OrderAck("ax1", "P1", 2), 2)
    journal.flush()
    s3 = journal.append(FillRecorded(FILL), 3)
    assert journal.append(FillRecorded(FILL), 4) is None  # refused while the first copy is still in the log
    journal.flush()
    assert journal.append(FillRecorded(FILL), 4) is None  # and once it is in the database
    s4 = journal.append(OrderDone("ax1", "cancelled", 4, 5, ""), 5)
    assert s1 is not None and s2 is not None and s3 is not None and s4 is not None
    assert s1 < s2 < s3 < s4
    assert [(s, type(e).__name__) for s, e in journal.read()] == [
        (s1, "OrderNew"),
        (s2, "OrderAck"),
        (s3, "FillRecorded"),
        (s4, "OrderDone"),
    ]


def test_a_crash_loses_no_append(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    script = f"""
import os
from alephtx.core.journal import OrderAck, OrderNew, SqliteJournal
from tests.integration.test_journal import REQ
j = SqliteJournal({str(path)!r})
j.append(OrderNew("ax1", REQ, 1), 1)
j.append(OrderAck("ax1", "P1", 2), 2)
j.flush()  # these two are in the database
j.append(OrderNew("ax2", REQ, 3), 3)
j.append(OrderAck("ax2", "P2", 4), 4)  # these two only in the log at the crash
os._exit(0)
"""
    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).parents[2])
    j = SqliteJournal(path)
    assert j.recovered == 2
    assert [(type(e).__name__, getattr(e, "client_id", "")) for _, e in j.read()] == [
        ("OrderNew", "ax1"),
        ("OrderAck", "ax1"),
        ("OrderNew", "ax2"),
        ("OrderAck", "ax2"),
    ]
    assert j.append(OrderAck("ax2", "P2", 5), 5) == 5  # numbering goes on from what was recovered
    j.close()
    assert not (tmp_path / "j.db-log").exists()  # a clean close leaves no log


def crash(j: SqliteJournal) -> None:
    """Leave the journal as a killed process would: no flush, the log left as it is."""
    j._closed = True
    j._db.close()
    j._log.close()
    j._lock.release()


def test_a_record_cut_short_by_a_crash_is_dropped_and_the_rest_kept(tmp_path: Path) -> None:
    j = SqliteJournal(tmp_path / "j.db")
    j.append(OrderNew("ax1", REQ, 1), 1)
    j.append(OrderNew("ax2", REQ, 2), 2)
    (first,) = [len(r) for r in j._log.records()[:1]]
    crash(j)
    with open(tmp_path / "j.db-log", "r+b") as f:  # the second record was being copied in: not yet counted
        f.seek(HEADER.size + RECORD.size + first + RECORD.size + 3)
        f.write(b"\xff\xff")
        f.seek(16)
        f.write((1).to_bytes(8, "little"))
    again = SqliteJournal(tmp_path / "j.db")
    assert again.recovered == 1
    assert [e for _, e in again.read()] == [OrderNew("ax1", REQ, 1)]
    again.close()


def test_a_damaged_record_that_was_acknowledged_is_refused_not_dropped(tmp_path: Path) -> None:
    j = SqliteJournal(tmp_path / "j.db")
    j.append(OrderNew("ax1", REQ, 1), 1)
    j.append(OrderNew("ax2", REQ, 2), 2)  # append returned: counted in the log's header
    (first,) = [len(r) for r in j._log.records()[:1]]
    crash(j)
    with open(tmp_path / "j.db-log", "r+b") as f:
        f.seek(HEADER.size + RECORD.size + first + RECORD.size + 3)
        f.write(b"\xff\xff")
    with pytest.raises(JournalCorrupt, match="counts 2 records appended since record 1, but only 1 can be read"):
        SqliteJournal(tmp_path / "j.db")


def test_records_already_moved_into_sqlite_are_not_recovered_again(tmp_path: Path) -> None:
    j = SqliteJournal(tmp_path / "j.db")
    for k in range(3):
        j.append(OrderNew(f"a{k}", REQ, k), k)
    j.flush()  # in SQLite; the log starts a new generation over the same bytes
    j.append(OrderNew("b", REQ, 9), 9)  # shorter than what it overwrites: old bytes follow it
    crash(j)
    again = SqliteJournal(tmp_path / "j.db")
    assert again.recovered == 1  # only this generation's record, not the three older ones after it
    assert [e.client_id for _, e in again.read()] == ["a0", "a1", "a2", "b"]  # type: ignore[attr-defined]
    again.close()


def test_a_record_larger_than_the_log_grows_it(tmp_path: Path) -> None:
    from alephtx.core.journal import record_log

    j = SqliteJournal(tmp_path / "j.db")
    big = msgspec.structs.replace(REQ, origin="x" * (record_log.INITIAL_SIZE + 10))
    assert j.append(OrderNew("big", big, 1), 1) == 1
    crash(j)
    again = SqliteJournal(tmp_path / "j.db")
    assert again.recovered == 1 and [e for _, e in again.read()] == [OrderNew("big", big, 1)]
    again.close()


def test_a_fill_is_recorded_once(journal: Journal) -> None:
    assert journal.append(FillRecorded(FILL)) is not None
    assert journal.append(FillRecorded(FILL)) is None  # the same trade again: refused, not duplicated
    other = msgspec.structs.replace(FILL, trade_id="T2")
    assert journal.append(FillRecorded(other)) is not None
    assert len(list(journal.read())) == 2


def test_reopen_keeps_everything(tmp_path: Path) -> None:
    j = open_journal(f"sqlite:///{tmp_path}/j.db")
    j.append(OrderNew("ax1", REQ, 1))
    j.close()
    j2 = open_journal(f"sqlite:///{tmp_path}/j.db")
    assert [e for _, e in j2.read()] == [OrderNew("ax1", REQ, 1)]
    j2.close()
    with pytest.raises(ValueError, match="must start with"):
        open_journal("mysql://x")


def test_a_second_engine_cannot_open_a_journal_in_use(tmp_path: Path) -> None:
    owner = SqliteJournal(tmp_path / "j.db")
    owner.append(OrderNew("ax1", REQ, 1))
    for fresh in (False, True):
        with pytest.raises(JournalInUse, match=f"process {os.getpid()} .* the folder {tmp_path}"):
            SqliteJournal(tmp_path / "j.db", busy_timeout_s=0.05, fresh=fresh)
    with pytest.raises(JournalInUse):
        SqliteJournal.remove(tmp_path / "j.db")
    assert (tmp_path / "j.db").exists() and (tmp_path / "j.db-log").exists()
    owner.close()
    reader = SqliteJournal(tmp_path / "j.db")  # free again once the owner has closed it
    assert [e for _, e in reader.read()] == [OrderNew("ax1", REQ, 1)]
    reader.close()
    assert (tmp_path / "j.db-lock").exists()  # never deleted: a second process could lock another file


def test_a_fresh_start_deletes_the_old_records(tmp_path: Path) -> None:
    j = SqliteJournal(tmp_path / "j.db")
    j.append(OrderNew("ax1", REQ, 1))
    crash(j)  # a log with a record, and a database
    again = SqliteJournal(tmp_path / "j.db", fresh=True)
    assert again.recovered == 0 and list(again.read()) == []
    assert again.append(OrderNew("ax2", REQ, 2)) == 1
    again.close()
    SqliteJournal.remove(tmp_path / "j.db")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["j.db-lock"]
