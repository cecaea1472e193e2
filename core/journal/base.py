"""The journal interface: append-only; an append is durable before it returns. ``flush`` lets a
backend tidy up off the order path (the SQLite journal moves its log into the database)."""

from __future__ import annotations

import abc
from collections.abc import Iterator

from alephtx.core.journal.events import DECODER, ENCODER, Event, client_id_of, trade_key

_KINDS: dict[type, str] = {}  # event type -> its tag, read once


class Journal(abc.ABC):
    """Append-only event log. ``append`` returns the event's sequence number, or None when the
    event is a fill the journal already holds (so replays of venue reports are harmless)."""

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
