"""The journal interface: append-only, each append durable before it returns."""

from __future__ import annotations

import abc
from collections.abc import Iterator

from alephtx.core.journal.events import DECODER, ENCODER, Event, client_id_of, trade_key


class Journal(abc.ABC):
    """Append-only event log. ``append`` returns the event's sequence number, or None when the
    event is a fill the journal already holds (so replays of venue reports are harmless)."""

    def append(self, ev: Event, ts_ns: int = 0) -> int | None:
        kind = str(type(ev).__struct_config__.tag)
        return self._insert(kind, client_id_of(ev), trade_key(ev), ENCODER.encode(ev), ts_ns)

    def read(self, after_seq: int = 0) -> Iterator[tuple[int, Event]]:
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
