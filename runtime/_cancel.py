"""Cancelling a run: an event that also tells whoever subscribed, at once, from the thread
that sets it, so the sandbox process hears of a cancel without anyone polling for it."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Cancel(threading.Event):
    """Set it (from any thread) to stop the run it was given to (`Runtime.run(cancel=...)`):
    the run ends as killed within a tick."""

    def __init__(self) -> None:
        super().__init__()
        self._subscribers: list[Callable[[], None]] = []
        self._subscribed = threading.Lock()
        self.reason = ""
        """Why it was set, when the setter said: the killed run's message (`Runtime.run`)."""

    def set(self, reason: str = "") -> None:
        with self._subscribed:
            if self.is_set():
                return
            self.reason = reason
            super().set()
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            subscriber()

    def when_set(self, subscriber: Callable[[], None]) -> Callable[[], None]:
        """Call `subscriber` when this is set (at once if it is already); returns the way to
        unsubscribe."""
        with self._subscribed:
            if not self.is_set():
                self._subscribers.append(subscriber)
                return lambda: self._unsubscribe(subscriber)
        subscriber()
        return lambda: None

    def _unsubscribe(self, subscriber: Callable[[], None]) -> None:
        with self._subscribed:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)
