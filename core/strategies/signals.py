"""Small, fast signal helpers shared by strategies (floats are fine in signal maths)."""

from __future__ import annotations

import math
from collections import deque


class Ema:
    __slots__ = ("alpha", "value")

    def __init__(self, span: int) -> None:
        self.alpha = 2.0 / (span + 1.0)
        self.value: float | None = None

    def update(self, x: float) -> float:
        self.value = x if self.value is None else self.value + self.alpha * (x - self.value)
        return self.value


class RollingStats:
    """Mean and standard deviation over the last ``window`` samples, O(1) per sample."""

    __slots__ = ("_s", "_s2", "_xs", "window")

    def __init__(self, window: int) -> None:
        self.window = window
        self._xs: deque[float] = deque()
        self._s = 0.0
        self._s2 = 0.0

    def update(self, x: float) -> None:
        self._xs.append(x)
        self._s += x
        self._s2 += x * x
        if len(self._xs) > self.window:
            old = self._xs.popleft()
            self._s -= old
            self._s2 -= old * old

    @property
    def ready(self) -> bool:
        return len(self._xs) >= self.window

    @property
    def mean(self) -> float:
        return self._s / len(self._xs) if self._xs else 0.0

    @property
    def std(self) -> float:
        n = len(self._xs)
        if n < 2:
            return 0.0
        var = (self._s2 - self._s * self._s / n) / (n - 1)
        return math.sqrt(var) if var > 0 else 0.0

    def z(self, x: float) -> float:
        sd = self.std
        return (x - self.mean) / sd if sd > 0 else 0.0


class Sampler:
    """Lets through at most one sample per ``every_ns`` of market time."""

    __slots__ = ("every_ns", "next_ns")

    def __init__(self, every_ms: int) -> None:
        self.every_ns = every_ms * 1_000_000
        self.next_ns = 0

    def due(self, now_ns: int) -> bool:
        if now_ns < self.next_ns:
            return False
        self.next_ns = now_ns + self.every_ns
        return True


def mid(book: object) -> float:
    m2 = book.mid_x2()  # type: ignore[attr-defined]
    return m2 / 2.0 if m2 else 0.0
