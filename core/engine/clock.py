"""The session's market clock: one object the session driver moves and everyone else reads.

A replay runs in market time (the capture's exchange timestamps), so a session gives the same
orders, refusals and fills on every run. The driver holds the ``MarketClock`` and moves it; the
engine, the risk engine, the OMS and the strategy host read it through ``clock.now``, the plain
``Callable[[], int]`` they take (wall time, ``time.time_ns``, when no session drives them).

It is on the hot path (every order reads it several times, the replay moves it on every event):
``now`` is a bound method returning a slot, and the replay loop writes ``clock.ns`` directly.
"""

from __future__ import annotations


class MarketClock:
    """Market time in ns; it never goes backwards through ``set``."""

    __slots__ = ("ns",)

    def __init__(self, ns: int = 0) -> None:
        self.ns = ns

    def now(self) -> int:
        return self.ns

    def set(self, ns: int) -> None:
        """Move to ``ns`` (an earlier time leaves the clock where it is)."""
        if ns > self.ns:
            self.ns = ns

    def __repr__(self) -> str:
        return f"MarketClock({self.ns})"
