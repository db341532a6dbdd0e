"""Scheduled tasks: the loop that fires them.

The next fire time of every schedule is stored (`records.py`), so schedules survive
restarts. The loop wakes at the earliest due time (or when a schedule changes, or every
`POLL` seconds) and starts each due task through the same runner and queue as the Run
button. After downtime a missed schedule runs once, not once per missed slot. A task never
overlaps itself: if its previous scheduled run is still queued or running when it fires, the
fire is recorded as a skipped run. Time comes from a `Clock`, so tests drive the loop
without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Protocol

from widgetbox.host.errors import Busy
from widgetbox.host.runs import records as runs
from widgetbox.host.runs.admission import QUEUE_FULL
from widgetbox.host.runs.runner import Runner
from widgetbox.host.schedules import records as schedules
from widgetbox.host.schedules.records import Schedule
from widgetbox.host.storage.database import Database
from widgetbox.host.storage.full_disk import DiskFullLog, is_disk_full
from widgetbox.host.storage.times import parse_iso
from widgetbox.host.widgets.records import Widget

log = logging.getLogger("widgetbox.host")

POLL = 30.0
"""Seconds between looks at the schedules when nothing is due sooner."""
DISK_FULL_RETRY = 5.0
"""Seconds between attempts to fire due tasks while the disk is full."""


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep(self, seconds: float, wake: asyncio.Event) -> None:
        """Return after `seconds`, or earlier when `wake` is set."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float, wake: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), max(0.0, seconds))


class Scheduler:
    def __init__(self, db: Database, runner: Runner, clock: Clock | None = None) -> None:
        self.db = db
        self.runner = runner
        self.clock = clock or SystemClock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._disk_full = DiskFullLog("due scheduled tasks wait for room to be recorded")

    def poke(self) -> None:
        """A schedule changed: look again now."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="widgetbox-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            wait = POLL
            try:
                if await self.tick():
                    self._disk_full.worked()
                earliest = await self.db.read(schedules.earliest)
            except Exception as e:
                if is_disk_full(e):  # due tasks fire once there is room again
                    self._disk_full.failed(e)
                    wait = DISK_FULL_RETRY
                else:
                    log.exception("the scheduler failed; trying again shortly")
                earliest = None
            if earliest is not None:
                wait = min(POLL, (parse_iso(earliest) - self.clock.now()).total_seconds())
            self._wake.clear()
            await self.clock.sleep(wait, self._wake)

    async def tick(self) -> int:
        """Fire every schedule that is due now; returns how many fired (or were skipped)."""
        now = self.clock.now()
        due = await self.db.read(schedules.due, now)
        for widget, schedule in due:
            await self._fire(widget, schedule, now)
        return len(due)

    async def _fire(self, widget: Widget, schedule: Schedule, now: datetime) -> None:
        if widget.owner_disabled:
            await self._skip(widget, "Its owner's account is disabled")
        elif await self.db.read(runs.active_scheduled, widget.id):
            await self._skip(widget, "The previous scheduled run was still going")
        else:
            try:
                await self.runner.start(widget, None, "schedule")
            except QUEUE_FULL as e:
                # Busy: the server's doing; TooMany: the owner's (runs waiting, a course's
                # limits on a student's copy), whose message says which
                why = "Widgetbox was too busy to start it" if isinstance(e, Busy) else "Not started"
                await self._skip(widget, f"{why}: {e.message}")
        await self.db.write(schedules.advance, widget.id, schedule.rule, now)

    async def _skip(self, widget: Widget, reason: str) -> None:
        await self.db.write(
            runs.create, widget, widget.head_version, None, "schedule", "skipped", reason
        )
