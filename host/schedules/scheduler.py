"""Scheduled tasks: the stored schedules and the loop that fires them.

The next fire time of every schedule is stored, so schedules survive restarts. The loop
wakes at the earliest due time (or when a schedule changes, or every `POLL` seconds) and
starts each due task through the same runner and queue as the Run button. After downtime a
missed schedule runs once, not once per missed slot. A task never overlaps itself: if its
previous scheduled run is still queued or running when it fires, the fire is recorded as a
skipped run. Time comes from a `Clock`, so tests drive the loop without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import sqlite_utils

from widgetbox.host.accounts.users import iso, parse_iso
from widgetbox.host.errors import NotFound
from widgetbox.host.runs import records as runs
from widgetbox.host.runs.admission import QUEUE_FULL
from widgetbox.host.runs.runner import Runner
from widgetbox.host.schedules import rules as schedules
from widgetbox.host.storage.database import Database
from widgetbox.host.storage.full_disk import DiskFullLog, is_disk_full
from widgetbox.host.widgets import records as widgets
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


@dataclass(frozen=True)
class Schedule:
    widget_id: int
    rule: schedules.Rule
    paused: bool
    next_run_at: str | None
    last_run_at: str | None


def _schedule(row: dict[str, Any], anchor: datetime) -> Schedule:
    rule = schedules.parse_rule(json.loads(row["rule"]), anchor=anchor, min_interval=timedelta(0))
    return Schedule(
        widget_id=row["widget_id"],
        rule=rule,
        paused=bool(row["paused"]),
        next_run_at=row["next_run_at"],
        last_run_at=row["last_run_at"],
    )


# -- stored schedules (plain functions of the database) ------------------------------------


def get(db: sqlite_utils.Database, widget: Widget) -> Schedule | None:
    rows = list(db.query("SELECT * FROM schedules WHERE widget_id = ?", [widget.id]))
    return _schedule(rows[0], parse_iso(rows[0]["created_at"])) if rows else None


def put(db: sqlite_utils.Database, widget: Widget, rule: schedules.Rule, now: datetime) -> Schedule:
    stamp = iso(now)
    first = schedules.next_times(rule, now, 1)
    db.table("schedules").upsert(
        {
            "widget_id": widget.id,
            "rule": json.dumps(schedules.rule_to_json(rule)),
            "timezone": rule.timezone,
            "paused": 0,
            "next_run_at": iso(first[0]) if first else None,
            "created_at": stamp,
            "updated_at": stamp,
        },
        pk="widget_id",
        alter=False,
    )
    found = get(db, widget)
    assert found is not None
    return found


def set_paused(db: sqlite_utils.Database, widget: Widget, paused: bool, now: datetime) -> Schedule:
    """Pause, or resume from now on (slots missed while paused are not run)."""
    current = get(db, widget)
    if current is None:
        raise NotFound("no_schedule", f"{widget.slug!r} has no schedule.")
    upcoming = None if paused else schedules.next_times(current.rule, now, 1)
    db.execute(
        "UPDATE schedules SET paused = ?, next_run_at = COALESCE(?, next_run_at), updated_at = ? "
        "WHERE widget_id = ?",
        [int(paused), iso(upcoming[0]) if upcoming else None, iso(now), widget.id],
    )
    found = get(db, widget)
    assert found is not None
    return found


def delete(db: sqlite_utils.Database, widget: Widget) -> None:
    if not db.execute("DELETE FROM schedules WHERE widget_id = ?", [widget.id]).rowcount:
        raise NotFound("no_schedule", f"{widget.slug!r} has no schedule.")


def _due(db: sqlite_utils.Database, now: datetime) -> list[tuple[Widget, Schedule]]:
    rows = db.query(
        "SELECT schedules.*, widgets.slug FROM schedules "
        "JOIN widgets ON widgets.id = schedules.widget_id "
        "WHERE schedules.paused = 0 AND schedules.next_run_at <= ? "
        "ORDER BY schedules.next_run_at",
        [iso(now)],
    )
    due = []
    for row in rows:
        widget = widgets.find(db, row["slug"])
        if widget is not None:
            due.append((widget, _schedule(row, parse_iso(row["created_at"]))))
    return due


def _earliest(db: sqlite_utils.Database) -> str | None:
    row = db.execute("SELECT MIN(next_run_at) FROM schedules WHERE paused = 0").fetchone()
    return row[0] if row else None


def _advance(
    db: sqlite_utils.Database, widget_id: int, rule: schedules.Rule, now: datetime
) -> None:
    """After a fire: the next time strictly after now (missed slots are not queued up)."""
    upcoming = schedules.next_times(rule, now, 1)
    db.execute(
        "UPDATE schedules SET last_run_at = ?, next_run_at = ?, updated_at = ? WHERE widget_id = ?",
        [iso(now), iso(upcoming[0]) if upcoming else None, iso(now), widget_id],
    )


# -- the loop ------------------------------------------------------------------------------


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
                earliest = await self.db.read(_earliest)
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
        due = await self.db.read(_due, now)
        for widget, schedule in due:
            await self._fire(widget, schedule, now)
        return len(due)

    async def _fire(self, widget: Widget, schedule: Schedule, now: datetime) -> None:
        if await self.db.read(runs.active_scheduled, widget.id):
            await self._skip(widget, "The previous scheduled run was still going")
        else:
            try:
                await self.runner.start(widget, None, "schedule")
            except QUEUE_FULL as e:
                await self._skip(widget, f"Widgetbox was too busy to start it: {e.message}")
        await self.db.write(_advance, widget.id, schedule.rule, now)

    async def _skip(self, widget: Widget, reason: str) -> None:
        await self.db.write(
            runs.create, widget, widget.head_version, None, "schedule", "skipped", reason
        )
