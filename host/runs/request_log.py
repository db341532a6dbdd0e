"""The logs of widgets' HTTP requests and server calls, written in batches.

A request's answer does not wait for its log line: entries are collected and written every
`FLUSH_EVERY` seconds in one transaction, so one disk sync (`synchronous=FULL`) records many
requests instead of costing each one a few milliseconds.

While the disk is full the entries wait in memory (at most `MAX_PENDING`; beyond that the
oldest are dropped and counted) and are written once there is room again; requests are
still answered meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from widgetbox.host.runs import records as runs
from widgetbox.host.storage.database import Database
from widgetbox.host.storage.full_disk import DiskFullLog, is_disk_full
from widgetbox.host.widgets.records import Widget
from widgetbox.runtime import RunResult

log = logging.getLogger("widgetbox.host")

FLUSH_EVERY = 0.1
MAX_BATCH = 1000
DISK_FULL_RETRY = 1.0
"""Seconds between attempts while the disk is full."""
MAX_PENDING = 20_000
"""Entries kept while they cannot be written (a full disk); older ones are dropped."""


@dataclass(frozen=True)
class Entry:
    widget: Widget
    version: int
    trigger: str
    result: RunResult
    request: dict[str, Any]
    recorded: asyncio.Future[int] | None = None
    """Given the run's id once the entry is written (the owner's try-it panel reads the
    traceback of a request that failed by it: endpoints/serve.py)."""


def _write(db: Any, entries: list[Entry]) -> list[tuple[Entry, int]]:
    ids = json.dumps(sorted({entry.widget.id for entry in entries}))
    query = "SELECT id FROM widgets WHERE id IN (SELECT value FROM json_each(?))"
    found = {row[0] for row in db.execute(query, [ids])}
    written = []
    numbers: dict[int, int] = {}  # each widget's next number, read once per batch
    for entry in entries:
        widget_id = entry.widget.id
        if widget_id not in found:
            continue  # deleted since: its logs went with it (and would fail the batch)
        number = numbers.get(widget_id) or runs.next_number(db, widget_id)
        numbers[widget_id] = number + 1
        run_id = runs.logged(
            db, widget_id, number, entry.version, entry.trigger, entry.result, entry.request
        )
        written.append((entry, run_id))
    return written


def _tell(written: list[tuple[Entry, int]]) -> None:
    for entry, run_id in written:
        if entry.recorded is not None and not entry.recorded.done():
            entry.recorded.set_result(run_id)


class RequestLog:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: list[Entry] = []
        self._full = asyncio.Event()
        self._writing = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._disk_full = DiskFullLog("request logs are kept in memory until they can be written")
        self.dropped = 0
        """Entries dropped because they could not be written for too long (a full disk)."""

    def add(self, entry: Entry) -> None:
        self._pending.append(entry)
        if len(self._pending) > MAX_PENDING:
            excess = len(self._pending) - MAX_PENDING
            del self._pending[:excess]
            self.dropped += excess
        if len(self._pending) >= MAX_BATCH and not self._disk_full.full:
            self._full.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="widgetbox-request-log")

    async def flush(self) -> None:
        """Write everything collected so far (tests call this to read the logs at once).
        A batch the loop is writing meanwhile is written first: then everything is.
        A full disk is not an error here: the entries stay for a later flush."""
        async with self._writing:
            batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                _tell(await self.db.write(_write, batch))
            except Exception as e:
                if not is_disk_full(e):
                    raise
                self._disk_full.failed(e)
                self._pending[:0] = batch[-MAX_PENDING:]  # first in, first written later
                if len(self._pending) > MAX_PENDING:
                    excess = len(self._pending) - MAX_PENDING
                    del self._pending[:excess]
                    self.dropped += excess
            else:
                self._disk_full.worked()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.flush()
        if self._pending or self.dropped:
            log.error(
                "%d request logs could not be written (the disk is full)",
                len(self._pending) + self.dropped,
            )

    async def _loop(self) -> None:
        while True:
            wait = DISK_FULL_RETRY if self._disk_full.full else FLUSH_EVERY
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), wait)
            self._full.clear()
            try:
                await self.flush()
            except Exception:
                log.exception("could not write a batch of request logs; it is dropped")
