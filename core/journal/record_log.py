"""A memory-mapped append-only log of framed records: the journal's front log.

Appending copies a record into a shared mapping of the file: no system call, and as durable
against a crash of the process as a ``write`` (the pages belong to the kernel's page cache the
moment they are written). ``sync()`` (msync) makes them survive losing power too.

Layout: an 8-byte file header (magic, generation), then records of ``length, crc`` (two little-
endian uint32) followed by the payload. The CRC is seeded with the generation, and ``reset()``
starts a new generation at the front instead of zeroing the file: records left from an earlier
generation fail their check, so a scan stops at the first record that is not of this one, as it
does at a record cut short by a crash.
"""

from __future__ import annotations

import errno
import fcntl
import mmap
import os
import struct
import zlib
from pathlib import Path

MAGIC = b"AXLG"
FILE_HEADER = struct.Struct("<4sI")  # magic, generation
RECORD = struct.Struct("<II")  # payload length, CRC-32 of the payload seeded with the generation
INITIAL_SIZE = 1 << 20


class LogLocked(OSError):
    """Another process holds the log."""


class RecordLog:
    def __init__(self, path: str | Path, size: int = INITIAL_SIZE) -> None:
        self.path = Path(path)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise LogLocked(f"{self.path} is held by another process") from None
        if os.fstat(self._fd).st_size < size:
            _reserve(self._fd, size)
        self._map = mmap.mmap(self._fd, os.fstat(self._fd).st_size)
        magic, gen = FILE_HEADER.unpack_from(self._map, 0)
        self._gen = gen if magic == MAGIC else 0
        self._at = FILE_HEADER.size

    def records(self) -> list[bytes]:
        """The records of the current generation, up to the first that is cut short or older."""
        out: list[bytes] = []
        if self._gen == 0:
            return out  # a new file
        at, end = FILE_HEADER.size, len(self._map)
        while at + RECORD.size <= end:
            size, crc = RECORD.unpack_from(self._map, at)
            start = at + RECORD.size
            if size == 0 or start + size > end:
                break
            payload = self._map[start : start + size]
            if zlib.crc32(payload, self._gen) != crc:
                break
            out.append(payload)
            at = start + size
        return out

    def reset(self) -> None:
        """Forget every record: a new generation starts at the front."""
        self._gen = self._gen % 0xFFFFFFFF + 1
        FILE_HEADER.pack_into(self._map, 0, MAGIC, self._gen)
        self._at = FILE_HEADER.size

    def append(self, payload: bytes) -> bool:
        """Copy one record in; False when it does not fit (reset, or :meth:`grow`, and retry)."""
        at = self._at
        end = at + RECORD.size + len(payload)
        if end > len(self._map):
            return False
        self._map[at + RECORD.size : end] = payload
        RECORD.pack_into(self._map, at, len(payload), zlib.crc32(payload, self._gen))
        self._at = end
        return True

    def grow(self, room: int) -> None:
        """Make room for a record of ``room`` payload bytes after the current ones."""
        size = max(2 * len(self._map), self._at + RECORD.size + room)
        self._map.close()
        _reserve(self._fd, size)
        self._map = mmap.mmap(self._fd, size)

    def sync(self) -> None:
        self._map.flush()

    def close(self, unlink: bool = False) -> None:
        self._map.close()
        if unlink:
            self.path.unlink(missing_ok=True)
        os.close(self._fd)  # releases the lock last


def _reserve(fd: int, size: int) -> None:
    """Grow the file to ``size`` with its blocks allocated now: a full disk is an OSError here,
    not a SIGBUS later when a write into the mapping finds no block. The new part reads as
    zeros: no record."""
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as exc:
        if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
            raise
        os.ftruncate(fd, size)  # a filesystem without fallocate: sparse, as before
