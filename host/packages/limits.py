"""The limits of one install: bytes downloaded and wall time, checked as the work goes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from widgetbox.host.packages.errors import Cancelled, LimitExceeded

REQUEST_TIMEOUT = 30.0
"""Seconds one HTTP exchange may wait for the index at most (less when the install's own
time is nearly up)."""


def size_text(count: float) -> str:
    """Bytes as people read them: 500 MB, 1.5 MB, 12 kB (decimal units)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{int(count)} bytes"


def duration_text(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} seconds"


class Budget:
    """What one install may still spend. Every download reports its bytes here, and every
    step checks the clock (and the shutdown signal) here."""

    def __init__(
        self,
        max_bytes: int,
        seconds: float,
        cancel: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_bytes = max_bytes
        self.seconds = seconds
        self.spent = 0
        self._cancel = cancel or threading.Event()
        self._clock = clock
        self._deadline = clock() + seconds

    def check(self) -> None:
        """Raise when the time is up or Widgetbox is stopping."""
        if self._cancel.is_set():
            raise Cancelled
        if self._clock() >= self._deadline:
            raise self.time_exceeded()

    def spend(self, count: int) -> None:
        """Count `count` more bytes downloaded; raise when that is beyond the limit."""
        self.spent += count
        if self.spent > self.max_bytes:
            raise self.size_exceeded()
        self.check()

    def expect(self, count: int) -> None:
        """Refuse ahead of time a download announced as `count` bytes that would not fit."""
        if self.spent + count > self.max_bytes:
            raise self.size_exceeded(self.spent + count)

    def timeout(self) -> float:
        """Seconds the next HTTP exchange may wait."""
        self.check()
        return max(0.05, min(REQUEST_TIMEOUT, self._deadline - self._clock()))

    def size_exceeded(self, total: int | None = None) -> LimitExceeded:
        would = f" (it needs at least {size_text(total)})" if total else ""
        return LimitExceeded(
            "size",
            f"The install stopped at the size limit: packages may download at most "
            f"{size_text(self.max_bytes)} per install{would}. Nothing was installed.",
        )

    def time_exceeded(self) -> LimitExceeded:
        return LimitExceeded(
            "time",
            f"The install stopped at the time limit: an install may take at most "
            f"{duration_text(self.seconds)}. Nothing was installed.",
        )
