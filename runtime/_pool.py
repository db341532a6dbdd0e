"""Interpreters started ahead of demand, so a request does not wait for start-up.

A background thread keeps `size` guests ready and closes spent ones. `take()` hands one
out (or, when none is ready, starts one on the caller's thread); `retire()` takes it back
after its one run.

Code with installed packages needs a guest that mounts that one folder (a guest sees no
other widget's packages), so it cannot use the common guests. The pool keeps one spare
guest for each of the `MAX_PACKAGE_SETS` package folders used most recently: the first run
with a folder starts its guest on the spot, the runs after it find one ready.

Starting and closing interpreters map, fault in and unmap memory, which slows a run going
on at the same time in the same process by about as much as the work itself (the kernel
serialises it). So while a run someone is waiting for (`urgent=True`) is in progress, the
thread waits for it to end, up to `MAX_DEFER` seconds, unless no guest is left. Measured:
a pooled "hello" request takes 2.7 ms instead of 5-8 ms.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from ._guest import Guest

log = logging.getLogger("widgetbox.runtime")

RETRY_AFTER_FAILURE = 1.0
MAX_SPENT = 8
"""Spent guests waiting to be closed, at most."""
MAX_DEFER = 0.05
"""Seconds housekeeping waits for the runs in progress before it goes ahead anyway."""
MAX_PACKAGE_SETS = 4
"""Package folders that keep a spare guest, at most (the most recently used ones)."""

Make = Callable[[Path | None], Guest]
"""Starts a guest, with the given packages folder mounted (None: without packages)."""


class _Spare(NamedTuple):
    guest: Guest
    folder: tuple[int, int, int] | None
    """The packages folder's identity when the guest mounted it (see `folder_identity`)."""


def folder_identity(folder: Path) -> tuple[int, int, int] | None:
    """(device, inode, change time) of a folder, None when it is gone: a spare guest mounted
    exactly that folder, and serves only while the path still names it. (A published
    environment never changes; the change time tells a new folder that got a freed inode.)"""
    try:
        found = os.stat(folder)
    except OSError:
        return None
    return found.st_dev, found.st_ino, found.st_ctime_ns


class Pool:
    def __init__(
        self,
        make: Make,
        size: int,
        thread_setup: Callable[[], None] | None = None,
    ) -> None:
        if size < 0:
            raise ValueError("the pool size must not be negative")
        self._make = make
        self._thread_setup = thread_setup
        self.size = size
        self._ready: deque[Guest] = deque()
        self._spares: OrderedDict[Path, _Spare | None] = OrderedDict()
        """Package folders in the order last used, with their spare guest once started."""
        self._spent: deque[Guest] = deque()
        self._urgent_runs = 0
        self._changed = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None
        if size:
            self._thread = threading.Thread(target=self._work, name="widgetbox-pool", daemon=True)
            self._thread.start()

    @property
    def ready(self) -> int:
        return len(self._ready)

    def take(self, urgent: bool = False, packages: Path | None = None) -> Guest:
        """A started guest (with `packages` mounted), from the pool when one is ready.
        Give it back with `retire` (with the same `urgent`: whether someone waits for this
        run's answer)."""
        with self._changed:
            if packages is None:
                guest = self._ready.popleft() if self._ready else None
            else:
                guest = self._want_spare(packages)
            self._urgent_runs += urgent
            self._changed.notify_all()
        return guest if guest is not None else self._make(packages)

    def _want_spare(self, packages: Path) -> Guest | None:
        """Under the lock: the spare for `packages` (None when there is none yet), and a
        note that it is wanted again; the least recently used folder beyond the limit
        loses its spare."""
        if not self.size:
            return None
        spare = self._spares.pop(packages, None)
        self._spares[packages] = None
        guest = None
        if spare is not None:
            if spare.folder == folder_identity(packages):
                guest = spare.guest
            else:  # the folder was removed (and perhaps made again) since the spare started
                self._spent.append(spare.guest)
        while len(self._spares) > MAX_PACKAGE_SETS:
            _, dropped = self._spares.popitem(last=False)
            if dropped is not None:
                self._spent.append(dropped.guest)
        return guest

    def forget(self, packages: Path) -> None:
        """Stop keeping a spare for `packages` (its folder is about to be removed)."""
        with self._changed:
            if packages in self._spares:
                dropped = self._spares.pop(packages)
                if dropped is not None:
                    self._spent.append(dropped.guest)
                self._changed.notify_all()

    def count(self, urgent: bool, runs: int) -> None:
        """A run that did not `take` its guest from here (a kept guest's, see `_warm`)
        begins (`runs=1`) or ends (-1): while someone waits for one, housekeeping waits."""
        with self._changed:
            self._urgent_runs += runs if urgent else 0
            self._changed.notify_all()

    def retire(self, guest: Guest, urgent: bool = False) -> None:
        """Take back a spent guest and close it off the caller's path."""
        with self._changed:
            self._urgent_runs -= urgent
            # A busy machine may starve the housekeeping thread; beyond MAX_SPENT, spent
            # guests are closed here so their memory never piles up.
            if self._thread is not None and len(self._spent) < MAX_SPENT:
                self._spent.append(guest)
                self._changed.notify_all()
                return
        guest.close()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until the pool is full, spares included (benchmarks and tests use this)."""
        with self._changed:
            return self._changed.wait_for(
                lambda: (
                    self._closed
                    or (len(self._ready) >= self.size and self._missing_spare() is None)
                ),
                timeout,
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
        for spare in self._spares.values():
            if spare is not None:
                spare.guest.close()
        self._spares.clear()

    def _missing_spare(self) -> Path | None:
        return next((path for path, guest in self._spares.items() if guest is None), None)

    def _pending(self) -> bool:
        return (
            bool(self._spent) or len(self._ready) < self.size or self._missing_spare() is not None
        )

    def _next_task(self) -> Guest | Path | bool | None:
        """Under the lock, wait for work: a spent guest to close, True to start a common
        guest, a packages folder to start its spare, or False when the pool is closed."""
        self._changed.wait_for(lambda: self._closed or self._pending())
        deadline = time.monotonic() + MAX_DEFER
        while not self._closed and self._urgent_runs and self._ready:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._changed.wait(left)
        if self._closed:
            return False
        if len(self._ready) <= self.size // 2 and len(self._ready) < self.size:
            return True  # running low: starting one comes before cleaning up
        if self._spent:
            return self._spent.popleft()
        if len(self._ready) < self.size:
            return True
        return self._missing_spare()

    def _work(self) -> None:
        if self._thread_setup is not None:
            self._thread_setup()
        while True:
            with self._changed:
                task = self._next_task()
            if task is False:
                return
            if task is True:
                self._start_one(None)
            elif isinstance(task, Path):
                self._start_one(task)
            elif task is not None:
                task.close()

    def _start_one(self, packages: Path | None) -> None:
        folder = folder_identity(packages) if packages is not None else None
        try:
            guest = self._make(packages)
        except Exception:
            if self._closed:
                return
            if packages is not None:
                # a folder that cannot be mounted (removed meanwhile) is not tried again
                log.warning("could not start a guest with packages %s", packages, exc_info=True)
                self.forget(packages)
                return
            log.exception("could not start a pooled interpreter")
            time.sleep(RETRY_AFTER_FAILURE)
            return
        with self._changed:
            if self._closed:
                guest.close()
                return
            if packages is None:
                self._ready.append(guest)
            elif packages in self._spares and self._spares[packages] is None:
                self._spares[packages] = _Spare(guest, folder)
            else:  # forgotten, or filled meanwhile
                self._spent.append(guest)
            self._changed.notify_all()
