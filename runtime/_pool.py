"""Interpreters started ahead of demand, so a request does not wait for start-up.

A background thread keeps `size` guests ready and closes spent ones. `take()` hands one
out (or, when none is ready, starts one on the caller's thread). Every guest serves exactly
one run.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

from ._guest import Guest

log = logging.getLogger("widgetbox.runtime")

RETRY_AFTER_FAILURE = 1.0


class Pool:
    def __init__(self, make: Callable[[], Guest], size: int) -> None:
        if size < 0:
            raise ValueError("the pool size must not be negative")
        self._make = make
        self.size = size
        self._ready: deque[Guest] = deque()
        self._spent: deque[Guest] = deque()
        self._changed = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None
        if size:
            self._thread = threading.Thread(target=self._fill, name="widgetbox-pool", daemon=True)
            self._thread.start()

    @property
    def ready(self) -> int:
        return len(self._ready)

    def retire(self, guest: Guest) -> None:
        """Close a spent guest off the caller's path (closing frees memory and files)."""
        if self._thread is None:
            guest.close()
            return
        with self._changed:
            self._spent.append(guest)
            self._changed.notify_all()

    def take(self) -> Guest:
        """A started guest, from the pool when one is ready."""
        with self._changed:
            guest = self._ready.popleft() if self._ready else None
            self._changed.notify_all()
        return guest if guest is not None else self._make()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until the pool is full (benchmarks and tests use this)."""
        with self._changed:
            return self._changed.wait_for(
                lambda: self._closed or len(self._ready) >= self.size, timeout
            )

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
        for queue in (self._ready, self._spent):
            while queue:
                queue.popleft().close()

    def _fill(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(
                    lambda: self._closed or self._spent or len(self._ready) < self.size
                )
                if self._closed:
                    return
                spent = self._spent.popleft() if self._spent else None
            if spent is not None:
                spent.close()
                continue
            try:
                guest = self._make()
            except Exception:
                if self._closed:
                    return
                log.exception("could not start a pooled interpreter")
                with self._changed:
                    self._changed.wait(RETRY_AFTER_FAILURE)
                continue
            with self._changed:
                if self._closed:
                    guest.close()
                    return
                self._ready.append(guest)
                self._changed.notify_all()
