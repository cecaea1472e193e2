"""Who owns a journal: an exclusive ``flock`` on ``<journal>-lock``, taken before anything else.

The lock file is never deleted (deleting it would let a second process lock a new file of the
same name while the first still holds the old one), and never truncated by anyone but its holder.
The holder writes its pid into it, so that a process refused the lock can say who holds it (and
with what command line, read from /proc, never stored). Everything else about the journal
(removing it for a fresh start, recovering its front log, the database itself) happens only while
this lock is held; a process that cannot take it touches nothing.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from alephtx.core.journal.base import JournalInUse

_READ_HOLDER_S = 0.5  # the holder writes its pid just after taking the lock: wait this long for it


class JournalLock:
    def __init__(self, journal: str | Path) -> None:
        self.journal = Path(journal)
        self.path = Path(f"{journal}-lock")
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid, command = _holder(self._fd)
            os.close(self._fd)
            self._fd = None
            raise JournalInUse(str(journal), pid, command, str(self.path)) from None
        try:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:
            pass  # who holds it is only for the message a second process gives: the lock is what counts

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # the lock goes with the last descriptor; the file stays
            self._fd = None


def _holder(fd: int) -> tuple[int | None, str]:
    """The pid and command line of the process holding the lock on ``fd``'s file, as far as they
    can be known: the pid the holder wrote (once that process is seen alive), else /proc/locks."""
    deadline = time.monotonic() + _READ_HOLDER_S
    while True:
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
        pid = int(text) if text.isdigit() else None
        if pid is not None and _alive(pid):
            return pid, _command(pid)
        if time.monotonic() > deadline:
            break
        time.sleep(0.01)
    pid = _pid_from_proc_locks(os.fstat(fd).st_ino)
    return pid, _command(pid) if pid else ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _command(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    text = " ".join(" ".join(a.decode(errors="replace").split()) for a in raw.split(b"\0") if a)
    return text if len(text) <= 300 else text[:297] + "..."


def _pid_from_proc_locks(inode: int) -> int | None:
    """Linux lists every flock with its owner's pid and the file's device:inode."""
    try:
        table = Path("/proc/locks").read_text()
    except OSError:
        return None
    for line in table.splitlines():
        f = line.split()
        if len(f) >= 6 and f[1] == "FLOCK" and f[3] == "WRITE" and f[5].rsplit(":", 1)[-1] == str(inode):
            return int(f[4]) if f[4].isdigit() else None
    return None
