"""A memory-mapped append-only log of framed records: the journal's front log.

Appending copies a record into a shared mapping of the file: no system call, and as durable
against a crash of the process as a ``write`` (the pages belong to the kernel's page cache the
moment they are written). ``sync()`` (msync) makes them survive losing power too.

Layout: a 24-byte file header, then the records. The header holds the magic, the generation, a
``base`` the owner gives at each reset (the journal's next sequence number: the first record of
the generation is that one) and ``count``, the records appended in this generation. A record is
``length, crc`` (two little-endian uint32) then the payload; ``crc`` is the payload's CRC-32
XOR the generation. ``reset()`` starts a new generation at the front instead of zeroing the file:
records left from an earlier generation fail their check, so a scan stops at the first record that
is not of this one, as it does at a record cut short by a crash.

``count`` is what makes a damaged log tell: an append writes the payload, then the frame, then
``count + 1`` (a store into the mapping, no system call). A record that was being copied in when
the process died was never counted (and never acknowledged): dropping it is right. A scan that
finds fewer good records than ``count`` has lost some that were acknowledged, wherever the damage
is (the middle, or the last record): :meth:`records` raises :class:`LogCorrupt` instead of
returning fewer.
"""

from __future__ import annotations

import errno
import fcntl
import mmap
import os
import struct
import zlib
from pathlib import Path

MAGIC = b"AXL2"
OLD_MAGIC = b"AXLG"  # the first format: an 8-byte header, no base or count
HEADER = struct.Struct("<4sIQQ")  # magic, generation, base, count
_MAGIC_GEN = struct.Struct("<4sI")  # at 0
_BASE = struct.Struct("<Q")  # at 8
RECORD = struct.Struct("<II")  # payload length, CRC-32 of the payload XOR the generation
_pack_record = RECORD.pack_into
INITIAL_SIZE = 1 << 20


class LogLocked(OSError):
    """Another process holds the log."""


class LogCorrupt(ValueError):
    """The log does not hold what its header says was appended (or its header is unreadable)."""


class RecordLog:
    """Opening reads the file as it is found (nothing is written until :meth:`reset`): ``blank``
    when it is new or all zeros, else ``base`` and the records of its generation."""

    def __init__(self, path: str | Path, size: int = INITIAL_SIZE) -> None:
        self.path = Path(path)
        self._size = size
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise LogLocked(f"{self.path} is held by another process") from None
        found = os.fstat(self._fd).st_size
        self._map: mmap.mmap | None = None
        self._counter: memoryview | None = None  # the header's count: a uint64 in the mapping
        self._gen = self._count = self.base = 0
        self._appended = 0  # what append last stored into the count (a store, not a read-modify-write)
        if found:
            self._attach(mmap.mmap(self._fd, found))  # the file as found: grown only by reset()
        self._at = HEADER.size
        head = self._map[: HEADER.size] if self._map is not None else b""
        self.blank = not head.strip(b"\0")
        if self.blank:
            return
        if head[:4] == OLD_MAGIC:
            self.close()
            raise LogCorrupt(
                f"{self.path} is a front log of the earlier format: open the journal once with the "
                "version that wrote it (which moves its records into the database), then with this one"
            )
        if len(head) < HEADER.size or head[:4] != MAGIC:
            self.close()
            raise LogCorrupt(f"the header of {self.path} is unreadable ({head[:8].hex()}…)")
        _, self._gen, self.base, self._appended = HEADER.unpack(head)

    @property
    def count(self) -> int:
        """Records appended in this generation, as the header says."""
        return int(self._counter[0]) if self._counter is not None else self._count

    def records(self) -> list[bytes]:
        """The records of the current generation, up to the first that is cut short or older: at
        least as many as the header counts, else :class:`LogCorrupt`."""
        out: list[bytes] = []
        if self.blank or self._map is None:
            return out  # a new file
        at, end, gen = HEADER.size, len(self._map), self._gen
        while at + RECORD.size <= end:
            size, crc = RECORD.unpack_from(self._map, at)
            start = at + RECORD.size
            if size == 0 or start + size > end:
                break
            payload = self._map[start : start + size]
            if zlib.crc32(payload) ^ gen != crc:
                break
            out.append(payload)
            at = start + size
        if len(out) < self.count:
            raise LogCorrupt(
                f"{self.path} counts {self.count} records appended since record {self.base}, but only "
                f"{len(out)} can be read (the next, at byte {at}, is cut short or fails its CRC)"
            )
        return out

    def reset(self, base: int) -> None:
        """Forget every record: a new generation starts at the front; its first record will be
        number ``base``. The count goes to zero first, then the generation, then the base, so
        that a crash between any two of these stores leaves a header that reads true."""
        if self._map is None or len(self._map) < self._size:
            self._remap(self._size)
        m = self._map
        assert m is not None and self._counter is not None
        self._counter[0] = self._appended = 0
        self._gen = self._gen % 0xFFFFFFFF + 1
        _MAGIC_GEN.pack_into(m, 0, MAGIC, self._gen)
        self.base = base
        _BASE.pack_into(m, 8, base)
        self._at = HEADER.size
        self.blank = False

    def append(self, payload: bytes, crc: int) -> bool:
        """Copy one record in (``crc`` = ``zlib.crc32(payload)``, which the caller keeps too);
        False when it does not fit (reset, or :meth:`grow`, and retry)."""
        m = self._map
        at = self._at
        end = at + RECORD.size + len(payload)
        if m is None or end > len(m):
            return False
        m[at + RECORD.size : end] = payload
        _pack_record(m, at, len(payload), crc ^ self._gen)
        n = self._appended + 1
        self._counter[0] = n  # type: ignore[index]  # the record is counted once it is whole
        self._appended = n
        self._at = end
        return True

    def grow(self, room: int) -> None:
        """Make room for a record of ``room`` payload bytes after the current ones."""
        size = max(2 * (len(self._map) if self._map is not None else 0), self._at + RECORD.size + room, self._size)
        self._remap(size)

    def _remap(self, size: int) -> None:
        self._unmap()
        _reserve(self._fd, size)
        self._attach(mmap.mmap(self._fd, size))

    def _attach(self, m: mmap.mmap) -> None:
        self._map = m
        if len(m) >= HEADER.size:  # (x86 and ARM are little-endian, as the header is)
            self._counter = memoryview(m)[16:24].cast("Q")

    def _unmap(self) -> None:
        if self._counter is not None:
            self._count = int(self._counter[0])
            self._counter.release()
            self._counter = None
        if self._map is not None:
            self._map.close()
            self._map = None

    def sync(self) -> None:
        if self._map is not None:
            self._map.flush()

    def close(self, unlink: bool = False) -> None:
        self._unmap()
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
