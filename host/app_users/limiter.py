"""Attempts counted per address: failed log-ins (and password checks) and emails asked for,
per widget and client address, in a sliding window, in memory.

Failures are also counted per user, in the row (`n_password_failures`, as Anvil: at
`MAX_USER_FAILURES` the account needs a password reset); this is the other half, so one
address cannot try one password against every account. Runs without an address (scripts)
are not counted here. A restart forgets the counts, which only gives an attacker a fresh
window."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

MAX_KEYS = 100_000
"""Addresses remembered at most (the oldest are forgotten first beyond it)."""


class Attempts:
    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._seen: dict[tuple[int, str], deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, widget_id: int, address: str | None) -> float:
        """Seconds until `address` may try again (0: now)."""
        if not address:
            return 0.0
        now = self._clock()
        with self._lock:
            found = self._seen.get((widget_id, address))
            if found is None:
                return 0.0
            while found and found[0] <= now - self.window:
                found.popleft()
            if len(found) < self.limit:
                return 0.0
            return found[0] + self.window - now

    def add(self, widget_id: int, address: str | None) -> None:
        if not address:
            return
        now = self._clock()
        with self._lock:
            key = (widget_id, address)
            found = self._seen.pop(key, None) or deque(maxlen=self.limit)
            found.append(now)
            self._seen[key] = found  # most recently used last
            while len(self._seen) > MAX_KEYS:
                del self._seen[next(iter(self._seen))]
