"""The logs of widgets' HTTP requests and server calls, written in batches.

A request's answer does not wait for its log line: entries are collected and written every
`FLUSH_EVERY` seconds in one transaction, so one disk sync (`synchronous=FULL`) records many
requests instead of costing each one a few milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from widgetbox.runtime import RunResult

from . import runs
from .db import Database
from .widgets import Widget

log = logging.getLogger("widgetbox.host")

FLUSH_EVERY = 0.1
MAX_BATCH = 1000


@dataclass(frozen=True)
class Entry:
    widget: Widget
    version: int
    trigger: str
    result: RunResult
    request: dict[str, Any]


def _write(db: Any, entries: list[Entry]) -> None:
    for entry in entries:
        run_id = runs.create(db, entry.widget, entry.version, None, entry.trigger)
        runs.started(db, run_id)
        runs.finished(db, run_id, entry.result, entry.request)


class RequestLog:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: list[Entry] = []
        self._full = asyncio.Event()
        self._writing = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def add(self, entry: Entry) -> None:
        self._pending.append(entry)
        if len(self._pending) >= MAX_BATCH:
            self._full.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="widgetbox-request-log")

    async def flush(self) -> None:
        """Write everything collected so far (tests call this to read the logs at once).
        A batch the loop is writing meanwhile is written first: then everything is."""
        async with self._writing:
            batch, self._pending = self._pending, []
            if batch:
                await self.db.write(_write, batch)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.flush()

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), FLUSH_EVERY)
            self._full.clear()
            try:
                await self.flush()
            except Exception:
                log.exception("could not write request logs; will retry")
