"""How a full disk shows itself, and how background writers say so without flooding the log.

SQLite says "database or disk is full" (SQLITE_FULL) and the OS raises OSError ENOSPC or
EDQUOT, possibly wrapped in the exceptions they caused: `is_disk_full` knows every form,
so no other module needs to. A request that meets one is answered `DiskFull` (see
`web/errors.py`); background writers (request logs, run records, the scheduler) keep their
work and try again, logging through `DiskFullLog`.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import time

log = logging.getLogger("widgetbox.host")

DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether `exc`, or an exception it was raised from or while handling, says the
    server's disk (or the data folder's quota) is full: SQLITE_FULL, or an OSError with
    ENOSPC or EDQUOT."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc] if exc is not None else []
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, sqlite3.Error):
            code = getattr(current, "sqlite_errorcode", None)
            if (isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_FULL) or (
                "database or disk is full" in str(current)
            ):
                return True
        elif isinstance(current, OSError) and current.errno in DISK_FULL_ERRNOS:
            return True
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        if current.__cause__ is not None:
            pending.append(current.__cause__)
        if current.__context__ is not None and not current.__suppress_context__:
            pending.append(current.__context__)
    return False


class DiskFullLog:
    """Says once that the disk is full and once that writing works again, instead of a
    traceback on every attempt (background writers retry every fraction of a second)."""

    def __init__(self, what: str, repeat_every: float = 60.0) -> None:
        self.what = what
        self.repeat_every = repeat_every
        self._since: float | None = None
        self._said: float | None = None

    @property
    def full(self) -> bool:
        return self._since is not None

    def failed(self, exc: BaseException) -> None:
        moment = time.monotonic()
        if self._since is None:
            self._since = moment
        if self._said is None or moment - self._said >= self.repeat_every:
            self._said = moment
            log.error("the disk is full: %s (%s)", self.what, exc)

    def worked(self) -> None:
        if self._since is not None:
            log.warning(
                "there is room on the disk again: %s (after %.0f s)",
                self.what,
                time.monotonic() - self._since,
            )
            self._since = None
            self._said = None
