"""The journal interface: append-only; an append is durable before it returns unless it is
deferred, and then it becomes durable with the next durable append, ``flush`` or ``close``."""

from __future__ import annotations

import abc
from collections.abc import Iterator

from alephtx.core.journal.events import DECODER, ENCODER, Event, client_id_of, trade_key

_KINDS: dict[type, str] = {}  # event type -> its tag, read once


class Journal(abc.ABC):
    """Append-only event log. ``append`` returns the event's sequence number, or None when the
    event is a fill the journal already holds (so replays of venue reports are harmless)."""

    def append(self, ev: Event, ts_ns: int = 0, defer: bool = False) -> int | None:
        """``defer=True`` is for events the venue can tell us again at recovery (acknowledgements,
        ends of orders): they are written, in order, in the same transaction as the next durable
        append. A deferred event must not be a fill (fills are de-duplicated at the write)."""
        kind = _KINDS.get(type(ev)) or _KINDS.setdefault(type(ev), str(type(ev).__struct_config__.tag))
        key = trade_key(ev)
        if defer and key is None:
            return self._defer(kind, client_id_of(ev), ENCODER.encode(ev), ts_ns)
        return self._insert(kind, client_id_of(ev), key, ENCODER.encode(ev), ts_ns)

    def _defer(self, kind: str, client_id: str, body: bytes, ts_ns: int) -> int:
        """Backends without write batching write at once."""
        seq = self._insert(kind, client_id, None, body, ts_ns)
        assert seq is not None  # only fills can be refused
        return seq

    def flush(self) -> None:
        """Make every deferred append durable (nothing to do for backends that do not defer)."""
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
