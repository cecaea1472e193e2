"""The journal interface: append-only; an append is durable before it returns. ``flush`` lets a
backend tidy up off the order path (the SQLite journal moves its log into the database)."""

from __future__ import annotations

import abc
import os
from collections.abc import Callable, Iterator

from alephtx.core.errors import AlephError
from alephtx.core.journal.events import DECODER, ENCODER, Event, client_id_of, trade_key

_KINDS: dict[type, str] = {}  # event type -> its tag, read once


class JournalError(AlephError):
    """The journal cannot be opened: the message says which file, why, and what to do."""


class JournalInUse(JournalError):
    """Another process holds the journal. ``pid`` and ``command`` name it when they can be read."""

    def __init__(self, path: str, pid: int | None = None, command: str = "", lock: str = "") -> None:
        self.path = path
        self.folder = os.path.dirname(os.path.abspath(path))
        self.pid = pid
        self.command = command
        who = "another process" if pid is None else f"process {pid}" + (f" ({command})" if command else "")
        held = f" holds its lock {lock}" if lock else " has it open"
        super().__init__(
            f"journal {path} is in use: {who}{held}. Nothing in the folder {self.folder} was touched; "
            "stop that engine first, or give this one another folder."
        )


class JournalCorrupt(JournalError):
    """The journal's files do not hold every record that was appended (or cannot be read): the
    journal refuses to open rather than start with fewer records. ``problem`` says what is wrong."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(
            f"journal {path} is damaged and was not opened: {problem}. Its files were left as they were found; "
            "keep them for inspection, or move the folder aside to start afresh."
        )


class Journal(abc.ABC):
    """Append-only event log. ``append`` returns the event's sequence number, or None when the
    event is a fill the journal already holds (so replays of venue reports are harmless).
    ``on_commit(seconds)``: told how long each commit took (metrics), when set."""

    on_commit: Callable[[float], None] | None = None

    def append(self, ev: Event, ts_ns: int = 0) -> int | None:
        kind = _KINDS.get(type(ev)) or _KINDS.setdefault(type(ev), str(type(ev).__struct_config__.tag))
        return self._insert(kind, client_id_of(ev), trade_key(ev), ENCODER.encode(ev), ts_ns)

    def flush(self) -> None:
        """Work that can wait for the end of the event loop's step (nothing for most backends)."""
        return None

    def read(self, after_seq: int = 0) -> Iterator[tuple[int, Event]]:
        self.flush()
        for seq, body in self._rows(after_seq):
            yield seq, DECODER.decode(body)

    @abc.abstractmethod
    def _insert(self, kind: str, client_id: str, trade_key: str | None, body: bytes, ts_ns: int) -> int | None: ...

    @abc.abstractmethod
    def _rows(self, after_seq: int) -> Iterator[tuple[int, bytes]]: ...

    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
