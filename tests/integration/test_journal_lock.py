"""A second engine in the same data folder leaves the running engine's journal alone.

Real processes: the first holds a journal (records in the database, in the WAL and only in the
front log) and waits; each second one tries the journal another way (a fresh start, a removal, a
reopen, a session, the agent's desk, `aleph paper`, `aleph up`). Each must fail with a message
naming the folder and the first process, and leave every file of it as it was: same inode, same
bytes; the first then appends more and closes, and everything it appended is there.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from alephtx.core.journal import Event, OrderAck, OrderNew, SqliteJournal
from tests.conftest import ROOT
from tests.integration.test_cli import ALEPH
from tests.integration.test_journal import REQ

EVENTS: list[Event] = [
    OrderNew(f"ax{k}", REQ, k, f"intent:{k}") if k % 2 == 0 else OrderAck(f"ax{k - 1}", f"P{k}", k) for k in range(12)
]

HOLDER = """
import sys
from alephtx.core.journal import SqliteJournal
from tests.integration.test_journal_lock import EVENTS
j = SqliteJournal(sys.argv[1], fresh=True)
for ev in EVENTS[:5]:
    j.append(ev)
j.flush()  # in SQLite (the WAL)
for ev in EVENTS[5:8]:
    j.append(ev)  # only in the front log
print("holding", flush=True)
sys.stdin.readline()
for ev in EVENTS[8:]:  # still the owner, still appending
    j.append(ev)
j.close()
print("closed", flush=True)
"""

# What a command does with the error: say it, exit non-zero (3 here, to tell it from a traceback).
SECOND = """
import asyncio, sys
from pathlib import Path
from alephtx.core.journal import JournalInUse, SqliteJournal
PATH = Path(sys.argv[1])
try:
{code}
except JournalInUse as exc:
    print(exc, file=sys.stderr)
    sys.exit(3)
print("the second engine opened the journal", file=sys.stderr)
"""

ATTEMPTS = {
    "fresh start": "    SqliteJournal(PATH, fresh=True)",
    "remove": "    SqliteJournal.remove(PATH)",
    "reopen": "    SqliteJournal(PATH)",
    "session": """
    from alephtx.core.engine.session import VenueFeed, run_session
    from alephtx.core.model import Instrument
    from alephtx.core.config.resources import sample_capture
    from alephtx.core.risk import RiskLimits
    inst = Instrument.from_strings("paper", "BTCUSDT", "perp", "0.10", "0.001", "5")
    asyncio.run(run_session(sample_capture(), [VenueFeed(inst)], [], RiskLimits(), PATH))""",
    "desk": """
    from alephtx.tools.desk import Desk
    asyncio.run(Desk.from_replay(PATH.parent))""",
}


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    p = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "journal.db")],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert p.stdout is not None and p.stdout.readline() == "holding\n", p.stderr.read() if p.stderr else ""
        yield p
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()


def files(folder: Path) -> dict[str, tuple[int, int, int, str]]:
    """Each file of the journal: inode, size, modification time, a hash of its bytes."""
    out = {}
    for f in sorted(folder.iterdir()):
        st = f.stat()
        out[f.name] = (st.st_ino, st.st_size, st.st_mtime_ns, hashlib.sha1(f.read_bytes()).hexdigest())
    return out


def second(tmp_path: Path, name: str) -> subprocess.CompletedProcess[str]:
    if name.startswith("aleph "):
        cmd = [*ALEPH, *name.split()[1:], "--out", str(tmp_path)]
        if name == "aleph up":
            cmd += [
                "--config",
                str(ROOT / "configs" / "strategies.toml"),
                "--risk",
                str(ROOT / "configs" / "risk.toml"),
            ]
        else:
            cmd += ["--limits", str(ROOT / "configs" / "risk.toml")]
    else:
        cmd = [sys.executable, "-c", SECOND.format(code=ATTEMPTS[name]), str(tmp_path / "journal.db")]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", [*ATTEMPTS, "aleph paper", "aleph up"])
def test_a_second_engine_fails_naming_the_folder_and_the_holder_and_touches_nothing(
    tmp_path: Path, holder: subprocess.Popen[str], name: str
) -> None:
    before = files(tmp_path)
    assert {"journal.db", "journal.db-wal", "journal.db-log", "journal.db-lock"} <= set(before)

    out = second(tmp_path, name)

    assert out.returncode != 0, out.stderr
    if not name.startswith("aleph "):
        assert out.returncode == 3, out.stderr
    else:
        assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr  # a message, not a crash
    said = " ".join(out.stderr.split())  # the console may wrap it
    assert f"journal {tmp_path / 'journal.db'} is in use: process {holder.pid} (" in said, out.stderr
    assert f"the folder {tmp_path} was touched" in said and "-c" in said  # the holder's command line
    assert files(tmp_path) == before  # same inodes, sizes, times and bytes

    assert holder.stdin is not None and holder.stdout is not None
    holder.stdin.write("go on\n")
    holder.stdin.flush()
    assert holder.stdout.readline() == "closed\n"
    assert holder.wait(timeout=30) == 0
    j = SqliteJournal(tmp_path / "journal.db")
    assert [e for _, e in j.read()] == EVENTS  # what it held before, and what it appended after
    j.close()


def test_the_lock_is_free_again_once_the_holder_is_killed(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    holder.kill()
    holder.wait()
    j = SqliteJournal(tmp_path / "journal.db")  # the lock went with the process; its records stayed
    assert j.recovered == 3 and [e for _, e in j.read()] == EVENTS[:8]
    j.close()
    assert os.path.exists(tmp_path / "journal.db-lock")
