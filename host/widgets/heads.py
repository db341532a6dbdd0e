"""The widgets requests run, and their code, kept in memory between requests.

A widget's HTTP API reads the same few rows on every request: the widget (by its slug, with
its owner) and its head version's files with the packages they run with. Here they are
read once and kept while the database's `revision` is unchanged: it moves after every
committed write to anything they could depend on (a save, a restore, a rename, a change of
visibility, an owner disabled, a packages install settling; `storage/database.py`), before
that write's caller is answered, so a saved version is the one the next request runs.

A widget not found is not kept (one created meanwhile is found at once), nor one read at a
revision that has moved since. Writes by another process (the command line on the same data
folder) do not move this process's revision: an entry is also read again after `MAX_AGE`
seconds. Only a widget anyone may read is answered from here; for the rest the caller takes
the one path that decides (`records.readable`, which knows reviewers).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils

from widgetbox.host.storage.database import Database
from widgetbox.host.widgets import records
from widgetbox.host.widgets.records import Widget
from widgetbox.runtime import Code

MAX_ENTRIES = 256
"""Widgets kept (the most recently requested); a widget's files are at most a few MB."""
MAX_AGE = 2.0
"""Seconds an entry is trusted without the revision having moved (another process's
writes)."""

CodeReader = Callable[[sqlite_utils.Database, Widget], Code]
"""Reads a widget's head code inside a database read (`Runner.code_in`)."""


@dataclass(frozen=True)
class Head:
    """A widget as requests see it: its row and its head version's code."""

    widget: Widget
    code: Code


@dataclass(frozen=True)
class _Entry:
    head: Head
    revision: int
    read_at: float


class Heads:
    """See the module's description. Used from the event loop only."""

    def __init__(
        self, db: Database, code_of: CodeReader, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._db = db
        self._code_of = code_of
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    async def get(self, slug: str) -> Head | None:
        """The widget `slug` and its head code (None: there is none), from memory while it
        is current, else read in one database trip. Who may read it is the caller's
        business (`records.can_read`)."""
        entry = self._entries.get(slug)
        if (
            entry is not None
            and entry.revision == self._db.revision
            and self._clock() - entry.read_at < MAX_AGE
        ):
            self._entries.move_to_end(slug)
            return entry.head
        # the revision before the read: if a write commits meanwhile, what was read is
        # kept under the old revision and never served as current
        revision, read_at = self._db.revision, self._clock()
        head = await self._db.read(self._read, slug)
        if head is None:
            self._entries.pop(slug, None)
            return None
        self._entries[slug] = _Entry(head, revision, read_at)
        self._entries.move_to_end(slug)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)
        return head

    def _read(self, db: sqlite_utils.Database, slug: str) -> Head | None:
        widget = records.find(db, slug)
        return None if widget is None else Head(widget, self._code_of(db, widget))
