"""The journal damaged in each of its files (the database, SQLite's -wal and -shm, the front log,
the lock) is either recovered exactly or refused at start with a clear message: never shorter.

The journal under test is a real one: a child process appends ``N1`` events and closes (they end
up in the database file), opens it again, appends ``N2`` and flushes (they are in the WAL), then
``N3`` that stay in the front log only, and SIGKILLs itself. Each case copies those files,
damages one (cut to a length, a byte changed at an offset, emptied, a record torn, deleted),
opens the journal and demands: every event back, exactly, or :class:`JournalCorrupt` at open
with the files left as they were found.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import struct
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alephtx.core.journal import (
    Event,
    FillRecorded,
    JournalCorrupt,
    OrderAck,
    OrderNew,
    RiskChange,
    SqliteJournal,
)
from alephtx.core.journal.record_log import HEADER, RECORD
from alephtx.core.model import Fill, Side
from tests.conftest import ROOT
from tests.integration.test_journal import REQ

N1, N2, N3 = 30, 20, 8
PAGE = 4096
WAL_HEADER, WAL_FRAME = 32, 24 + PAGE
FILES = ("", "-wal", "-shm", "-log", "-lock")


def _event(k: int) -> Event:
    cid = f"ax{k}"
    match k % 4:
        case 0:
            return OrderNew(cid, msgspec.structs.replace(REQ, client_id=cid, quantity=k + 1), k, f"intent:{k}")
        case 1:
            return OrderAck(cid, f"P{k}", k)
        case 2:
            return FillRecorded(
                Fill("paper:BTCUSDT", cid, f"P{k}", f"T{k}", Side.BUY, 6_000_000 + k, 4, 12, "maker", k)
            )
        case _:
            return RiskChange("limit", "x" * (k % 7 * 9), "operator", k)


EVENTS = [_event(k) for k in range(N1 + N2 + N3)]

CHILD = f"""
import os, signal, sys
from alephtx.core.journal import SqliteJournal
from tests.integration.test_journal_corruption import EVENTS
j = SqliteJournal(sys.argv[1], fresh=True)
for k, ev in enumerate(EVENTS[:{N1}]):
    j.append(ev, k)
j.close()  # checkpointed into the database file
j = SqliteJournal(sys.argv[1])
for k, ev in enumerate(EVENTS[{N1}:{N1 + N2}], {N1}):
    j.append(ev, k)
j.flush()  # in the WAL
for k, ev in enumerate(EVENTS[{N1 + N2}:], {N1 + N2}):
    j.append(ev, k)  # in the front log only
os.kill(os.getpid(), signal.SIGKILL)
"""


@dataclass
class Pristine:
    content: dict[str, bytes]  # suffix -> bytes (the log without its trailing zeros)
    size: dict[str, int]
    records: list[tuple[int, int]]  # the front log's records: (start of the frame, end of the payload)
    frames: int  # in the WAL


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Pristine:
    where = tmp_path_factory.mktemp("pristine")
    done = subprocess.run([sys.executable, "-c", CHILD, str(where / "j.db")], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr
    content, size = {}, {}
    for suffix in ("", "-wal", "-log", "-lock"):
        data = (where / f"j.db{suffix}").read_bytes()
        size[suffix] = len(data)
        content[suffix] = data.rstrip(b"\0") if suffix == "-log" else data
    assert not (where / "j.db-shm").exists()  # the engine's exclusive connection never makes one
    frames, rest = divmod(size["-wal"] - WAL_HEADER, WAL_FRAME)
    assert frames >= 2 and rest == 0  # the open (its state row), then the batch
    log = content["-log"]
    at, records = HEADER.size, []
    while len(records) < N3:
        length = struct.unpack_from("<I", log, at)[0]
        records.append((at, at + RECORD.size + length))
        at = records[-1][1]
    assert at < len(log)  # after them, records of the log's previous generation (the batch), stale
    p = Pristine(content, size, records, frames)
    assert attempt(where, p, lambda d: None) == "exact"
    return p


def restore(where: Path, p: Pristine) -> None:
    for suffix in FILES:
        Path(f"{where}/j.db{suffix}").unlink(missing_ok=True)
    for suffix, data in p.content.items():
        with open(f"{where}/j.db{suffix}", "wb") as f:
            f.write(data)
            f.truncate(p.size[suffix])  # the log's reserved zeros, sparse


def digest(where: Path) -> dict[str, str]:
    out = {}
    for suffix in ("", "-wal", "-log"):
        f = Path(f"{where}/j.db{suffix}")
        if f.exists():
            out[suffix] = hashlib.sha1(f.read_bytes()).hexdigest()
    return out


def attempt(where: Path, p: Pristine, damage: Callable[[Path], None]) -> str:
    """Restore the pristine files, damage them, open: 'exact' or 'refused', anything else fails."""
    restore(where, p)
    damage(where)
    found = digest(where)
    try:
        j = SqliteJournal(where / "j.db")
    except JournalCorrupt as exc:
        assert str(where / "j.db") in str(exc) and "damaged" in str(exc)
        assert digest(where) == found, "a journal refused must be left as it was found"
        return "refused"
    try:
        got = [e for _, e in j.read()]
    finally:
        j.close()
    assert len(got) == len(EVENTS), f"opened with {len(got)} records of {len(EVENTS)}"
    assert got == EVENTS, "opened with records that differ from the ones appended"
    return "exact"


def cut(suffix: str, length: int) -> Callable[[Path], None]:
    def damage(where: Path) -> None:
        os.truncate(f"{where}/j.db{suffix}", length)

    return damage


def flip(suffix: str, offset: int, mask: int = 0xFF) -> Callable[[Path], None]:
    def damage(where: Path) -> None:
        with open(f"{where}/j.db{suffix}", "r+b") as f:
            f.seek(offset)
            b = f.read(1)
            f.seek(offset)
            f.write(bytes([b[0] ^ mask]))

    return damage


def write_at(suffix: str, offset: int, data: bytes) -> Callable[[Path], None]:
    def damage(where: Path) -> None:
        with open(f"{where}/j.db{suffix}", "r+b") as f:
            f.seek(offset)
            f.write(data)

    return damage


def run(tmp_path: Path, p: Pristine, cases: dict[str, Callable[[Path], None]]) -> dict[str, str]:
    out = {}
    for name, damage in cases.items():
        try:
            out[name] = attempt(tmp_path, p, damage)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None
    print(f"{len(out)} cases: {dict(Counter(out.values()))}")
    return out


# --- cut short and emptied -------------------------------------------------------------------------


def test_database_cut_short(tmp_path: Path, pristine: Pristine) -> None:
    size = pristine.size[""]
    lengths = {0, 1, 50, 99, 100, 101, size - 1} | {
        k * PAGE + d for k in range(1, size // PAGE) for d in (-1, 0, 1, 200)
    }
    out = run(tmp_path, pristine, {f"db cut to {n}": cut("", n) for n in sorted(lengths)})
    assert out["db cut to 0"] == "refused"  # records 1 to 30 lived there


def test_wal_cut_short(tmp_path: Path, pristine: Pristine) -> None:
    size = pristine.size["-wal"]
    frames = [WAL_HEADER + k * WAL_FRAME for k in range(pristine.frames + 1)]
    lengths = {0, 1, 16, 31, size - 1} | {f + d for f in frames for d in (-1, 0, 1, 24, 25, 2000) if 0 < f + d < size}
    out = run(tmp_path, pristine, {f"wal cut to {n}": cut("-wal", n) for n in sorted(lengths)})
    assert out["wal cut to 0"] == "refused"  # emptied: records 31 to 50 are gone
    assert out[f"wal cut to {size - 1}"] == "refused"  # the batch's commit frame is incomplete


def test_front_log_cut_short(tmp_path: Path, pristine: Pristine) -> None:
    end = pristine.records[-1][1]
    lengths = {0, 1, 4, 8, 16, 23, 24, end + 1, end + 100, PAGE, pristine.size["-log"] - 1}
    for start, stop in pristine.records:
        lengths |= {start, start + 1, start + RECORD.size, (start + stop) // 2, stop - 1}
    out = run(tmp_path, pristine, {f"log cut to {n}": cut("-log", n) for n in sorted(lengths)})
    assert out["log cut to 0"] == "refused"  # emptied: the last 8 records are gone
    assert out[f"log cut to {end - 1}"] == "refused"  # the last record was acknowledged
    assert out[f"log cut to {end + 1}"] == out[f"log cut to {PAGE}"] == "exact"  # only zeros went


# --- a byte changed ----------------------------------------------------------------------------------


def test_database_byte_changed(tmp_path: Path, pristine: Pristine) -> None:
    rng = random.Random(1)
    size = pristine.size[""]
    offsets = set(range(100))  # the database header
    for page in range(size // PAGE):
        offsets |= {page * PAGE + d for d in range(100 if page == 0 else 0, (100 if page == 0 else 0) + 16)}
        offsets |= {page * PAGE + rng.randrange(PAGE) for _ in range(24)}
        offsets |= {page * PAGE + PAGE - 1 - rng.randrange(1200) for _ in range(12)}  # where cells are
    # A byte of an event that only the database file holds (the WAL has no newer copy of its page):
    # SQLite reads the changed row back without a word; only the row's CRC tells.
    db, wal = pristine.content[""], pristine.content["-wal"]
    marks = [f'"client_id":"ax{k}",'.encode() for k in range(N1)]
    only_db = next(db.find(m) for m in marks if db.count(m) == 1 and m not in wal)
    offsets |= {only_db + 13, only_db + 14}
    out = run(tmp_path, pristine, {f"db byte {o}": flip("", o, rng.randrange(1, 256)) for o in sorted(offsets)})
    assert out[f"db byte {only_db + 13}"] == out[f"db byte {only_db + 14}"] == "refused"


def test_wal_byte_changed(tmp_path: Path, pristine: Pristine) -> None:
    rng = random.Random(2)
    offsets = set(range(WAL_HEADER))
    for k in range(pristine.frames):
        f = WAL_HEADER + k * WAL_FRAME
        offsets |= set(range(f, f + 24))  # the frame header: page number, size after commit, salts, checksums
        offsets |= {f + 24 + rng.randrange(PAGE) for _ in range(20)}
        offsets |= {f + 24 + PAGE - 1 - rng.randrange(1500) for _ in range(20)} | {f + 24 + PAGE - 1}
    out = run(tmp_path, pristine, {f"wal byte {o}": flip("-wal", o, rng.randrange(1, 256)) for o in sorted(offsets)})
    assert out[f"wal byte {WAL_HEADER + (pristine.frames - 1) * WAL_FRAME + 24 + PAGE - 1}"] == "refused"


def test_front_log_byte_changed(tmp_path: Path, pristine: Pristine) -> None:
    rng = random.Random(3)
    end = pristine.records[-1][1]
    offsets = set(range(HEADER.size)) | set(range(HEADER.size, end, 3)) | {end, end + 1, end + 7, end + 500}
    for start, _ in pristine.records:
        offsets |= set(range(start, start + RECORD.size))
    out = run(tmp_path, pristine, {f"log byte {o}": flip("-log", o, rng.randrange(1, 256)) for o in sorted(offsets)})
    assert all(out[f"log byte {o}"] == "refused" for o in range(HEADER.size, end, 3))  # every record counts
    assert out[f"log byte {end + 7}"] == "exact"  # after the records: nothing was there


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_byte_of_any_file_changed(tmp_path: Path, pristine: Pristine, data: st.DataObject) -> None:
    suffix = data.draw(st.sampled_from(["", "-wal", "-log", "-lock"]))
    used = pristine.size[suffix] if suffix != "-log" else pristine.records[-1][1] + 64
    offset = data.draw(st.integers(0, used - 1))
    mask = data.draw(st.integers(1, 255))
    attempt(tmp_path, pristine, flip(suffix, offset, mask))


# --- torn records, stray and missing files -------------------------------------------------------------


def test_front_log_torn_records(tmp_path: Path, pristine: Pristine) -> None:
    """A record being copied in when the process died was never counted: dropped, all else kept.
    The last record that was counted, torn, is a loss: refused."""
    end = pristine.records[-1][1]
    start, stop = pristine.records[-1]
    body = pristine.content["-log"][start + RECORD.size : stop]
    frame = pristine.content["-log"][start : start + RECORD.size]
    cases = {
        # the next record: its payload partly copied, no frame yet / the frame written, the payload partly
        "payload half written": write_at("-log", end + RECORD.size, body[: len(body) // 2]),
        "frame without payload": write_at("-log", end, frame),
        "frame and half the payload": write_at("-log", end, frame + body[: len(body) // 2]),
        "frame and all but a byte": write_at("-log", end, frame + body[:-1]),
        # the last counted record torn
        "last counted record's tail zeroed": write_at("-log", stop - 10, bytes(10)),
        "last counted record's frame zeroed": write_at("-log", start, bytes(RECORD.size)),
        "a middle record torn": write_at("-log", pristine.records[3][1] - 5, bytes(5)),
    }
    out = run(tmp_path, pristine, cases)
    assert [out[k] for k in list(cases)[:4]] == ["exact"] * 4
    assert [out[k] for k in list(cases)[4:]] == ["refused"] * 3


def test_stray_shm_and_lock_are_harmless(tmp_path: Path, pristine: Pristine) -> None:
    rng = random.Random(4)

    def shm(data: bytes) -> Callable[[Path], None]:
        return lambda where: Path(f"{where}/j.db-shm").write_bytes(data)

    def lock(data: bytes) -> Callable[[Path], None]:
        return lambda where: Path(f"{where}/j.db-lock").write_bytes(data)

    cases = {
        "shm of garbage": shm(rng.randbytes(32768)),
        "shm of zeros": shm(bytes(32768)),
        "shm emptied": shm(b""),
        "shm cut short": shm(rng.randbytes(100)),
        "lock emptied": lock(b""),
        "lock of garbage": lock(rng.randbytes(300)),
        "lock naming a live process": lock(f"{os.getpid()}\n".encode()),
        "lock deleted": lambda where: Path(f"{where}/j.db-lock").unlink(),
    }
    shm_flips = [o for o in range(0, 32768, 37)]
    cases |= {f"real shm, byte {o}": real_shm(o) for o in shm_flips[::8]}
    out = run(tmp_path, pristine, cases)
    assert set(out.values()) == {"exact"}


def real_shm(offset: int) -> Callable[[Path], None]:
    """The -shm a shared-mode reader builds over this WAL, with one byte changed."""

    def damage(where: Path) -> None:
        import sqlite3

        ro = sqlite3.connect(f"{(where / 'j.db').as_uri()}?mode=ro", uri=True)
        ro.execute("SELECT COUNT(*) FROM journal").fetchone()
        ro.close()
        flip("-shm", offset)(where)

    return damage


def test_missing_files(tmp_path: Path, pristine: Pristine) -> None:
    def gone(suffix: str) -> Callable[[Path], None]:
        return lambda where: Path(f"{where}/j.db{suffix}").unlink()

    out = run(tmp_path, pristine, {f"j.db{s} deleted": gone(s) for s in ("", "-wal", "-log")})
    assert set(out.values()) == {"refused"}


def test_the_refusal_names_the_loss(tmp_path: Path, pristine: Pristine) -> None:
    restore(tmp_path, pristine)
    os.truncate(tmp_path / "j.db-wal", 0)
    with pytest.raises(JournalCorrupt, match=r"database holds records 1 to 30, but 50 had been written into it"):
        SqliteJournal(tmp_path / "j.db")
    restore(tmp_path, pristine)
    os.truncate(tmp_path / "j.db-log", 0)
    with pytest.raises(JournalCorrupt, match=r"front log .* is missing or blank, but the journal was not closed"):
        SqliteJournal(tmp_path / "j.db")
    restore(tmp_path, pristine)
    os.truncate(tmp_path / "j.db-log", pristine.records[-1][1] - 1)
    with pytest.raises(JournalCorrupt, match="counts 8 records appended since record 51, but only 7 can be read"):
        SqliteJournal(tmp_path / "j.db")


# --- and an ordinary crash is never taken for damage ---------------------------------------------------

CHURN = """
import random, sys
from alephtx.core.journal import SqliteJournal
from tests.integration.test_journal_corruption import _event
rng = random.Random(int(sys.argv[2]))
while True:
    j = SqliteJournal(sys.argv[1])
    n = sum(1 for _ in j.read())
    for _ in range(rng.randrange(1, 150)):
        j.append(_event(n), n)
        n += 1
        print(n, flush=True)  # acknowledged
        if rng.random() < 0.05:
            j.flush()
    if rng.random() < 0.5:
        j.close()
    else:
        j._lock.release(); j._log.close(); j._db.close()  # as a crash leaves it (SQLite closed its way)
"""


def test_a_process_killed_at_any_moment_leaves_a_journal_that_opens_with_every_append(tmp_path: Path) -> None:
    """Opening, appending, flushing, closing, reopening, SIGKILLed at random moments: the journal
    opens every time (no false alarm) with every acknowledged append, in order."""
    rng = random.Random(5)
    path = tmp_path / "j.db"
    for trial in range(int(os.environ.get("ALEPH_KILL_TRIALS", "10"))):
        p = subprocess.Popen(
            [sys.executable, "-c", CHURN, str(path), str(trial)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        assert p.stdout is not None
        first = p.stdout.readline()  # appending, the journal open
        try:
            p.wait(timeout=rng.uniform(0.0, 0.4))
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
        p.wait()
        acknowledged = max(int(line) for line in [first, *p.stdout.read().split()])
        j = SqliteJournal(path)
        got = [e for _, e in j.read()]
        j.close()
        assert len(got) >= acknowledged and got == [_event(k) for k in range(len(got))], f"trial {trial}"
