"""Run records: every script run, scheduled run, HTTP request and server call, as functions
of the database. A run is written when it is queued, when it starts and when it ends; its
output is stored once, at the end (it streams live through `live.py` meanwhile).

A run of the batch lane is "queued" until its code may begin (the runner records it
"running" first, wherever it runs: `Runner`), so a queued record is one that never began:
a restart queues it again (`left_queued`), while one left running is marked interrupted
(`interrupt_started`): its code may have done part of its work. A queued background task
keeps its arguments in `request` until it starts, for that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from widgetbox.host.accounts.users import User
from widgetbox.host.errors import Forbidden, LoginRequired, NotFound
from widgetbox.host.runs import fuel
from widgetbox.host.storage.times import iso, now
from widgetbox.host.widgets.records import Widget, guarded
from widgetbox.runtime import RUN_STATUSES, RunResult, UserError, encode_value

FINISHED = tuple(name for name, status in RUN_STATUSES.items() if status.finished)
"""The statuses of runs that are over (runtime/statuses.json declares them all)."""
HISTORY_TRIGGERS = ("manual", "schedule", "task")
"""What a widget's run history shows, the runs of the batch lane: scripts, scheduled runs and
background tasks, which are all Anvil background tasks (`host/tasks/`); its logs show the
rest (HTTP requests and calls)."""
LOG_TRIGGERS = ("http", "call")


@dataclass(frozen=True)
class Run:
    id: int
    """The run's key across the server (URLs and the API use it)."""
    number: int
    """Its number among its widget's runs, from 1: what people see ("Run #3")."""
    widget_id: int
    widget: str
    """The widget's slug."""
    version: int
    trigger: str
    status: str
    user: str | None
    queued_at: str
    started_at: str | None
    finished_at: str | None
    wall_time: float | None
    fuel: int | None
    peak_memory: int | None
    host_calls: int | None
    stdout: str
    stderr: str
    output_truncated: bool
    message: str
    error: dict[str, Any] | None
    request: dict[str, Any] | None
    task_name: str | None
    """A background task's function (None: a script's module body)."""
    task_state: str | None
    """JSON (the codec's form): `anvil.server.task_state` when the run ended."""
    task_value: str | None
    """JSON (the codec's form): a background task's return value."""

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def cpu_ms(self) -> float | None:
        """Its fuel as an estimate of CPU time (`fuel.py`)."""
        return fuel.cpu_ms(self.fuel)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Run:
        return cls(
            id=row["id"],
            number=row["number"],
            widget_id=row["widget_id"],
            widget=row["slug"],
            version=row["version"],
            trigger=row["trigger"],
            status=row["status"],
            user=row["username"],
            queued_at=row["queued_at"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            wall_time=row["wall_time"],
            fuel=row["fuel"],
            peak_memory=row["peak_memory"],
            host_calls=row["host_calls"],
            stdout=row["stdout"],
            stderr=row["stderr"],
            output_truncated=bool(row["output_truncated"]),
            message=row["message"],
            error=json.loads(row["error"]) if row["error"] else None,
            request=json.loads(row["request"]) if row["request"] else None,
            task_name=row["task_name"],
            task_state=row["task_state"],
            task_value=row["task_value"],
        )


_SELECT = (
    "SELECT runs.*, widgets.slug, users.username FROM runs "
    "JOIN widgets ON widgets.id = runs.widget_id LEFT JOIN users ON users.id = runs.user_id "
)


def create(
    db: sqlite_utils.Database,
    widget: Widget,
    version: int,
    user_id: int | None,
    trigger: str,
    status: str = "queued",
    message: str = "",
    request: dict[str, Any] | None = None,
    task_name: str | None = None,
) -> int:
    """Record a new run of `widget` with the widget's next number; returns its id."""
    stamp = iso(now())
    # the widget's next number: writes are one at a time (BEGIN IMMEDIATE), so no other
    # run can take it between this read and the insert
    (last,) = db.execute(
        "SELECT COALESCE(MAX(number), 0) FROM runs WHERE widget_id = ?", [widget.id]
    ).fetchone()
    row = {
        "widget_id": widget.id,
        "number": last + 1,
        "version": version,
        "user_id": user_id,
        "trigger": trigger,
        "status": status,
        "queued_at": stamp,
        "message": message,
        "request": json.dumps(request) if request else None,
        "task_name": task_name,
    }
    if status in FINISHED:
        row["finished_at"] = stamp
    return int(db.table("runs").insert(row).last_pk or 0)


def started(db: sqlite_utils.Database, run_id: int) -> None:
    """The run may begin now (a task's arguments are not needed any more)."""
    db.execute(
        "UPDATE runs SET status = 'running', started_at = ?, "
        "request = CASE WHEN trigger = 'task' THEN NULL ELSE request END "
        "WHERE id = ? AND status = 'queued'",
        [iso(now()), run_id],
    )


def task_call(args: Any, kwargs: Any) -> dict[str, Any]:
    """What a queued background task keeps in `request` (its arguments, in the codec's
    form) so that a restart can queue it again."""
    return {"args": encode_value(list(args)), "kwargs": encode_value(dict(kwargs))}


@dataclass(frozen=True)
class Queued:
    """A batch run an earlier start of the server left queued (it never began)."""

    id: int
    widget: str
    """The widget's slug."""
    version: int
    trigger: str
    task_name: str | None
    request: dict[str, Any] | None
    """A task's arguments (`task_call`)."""


def left_queued(db: sqlite_utils.Database) -> list[Queued]:
    """At start-up: the runs an earlier start left queued, oldest first."""
    marks = ", ".join("?" for _ in HISTORY_TRIGGERS)
    rows = db.execute(
        "SELECT runs.id, widgets.slug, runs.version, runs.trigger, runs.task_name, "  # noqa: S608 - marks only
        "runs.request FROM runs JOIN widgets ON widgets.id = runs.widget_id "
        f"WHERE runs.status = 'queued' AND runs.trigger IN ({marks}) ORDER BY runs.id",
        list(HISTORY_TRIGGERS),
    ).fetchall()
    return [
        Queued(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]) if row[5] else None)
        for row in rows
    ]


def error_data(error: UserError | None) -> dict[str, Any] | None:
    if error is None:
        return None
    return {
        "type": error.type,
        "qualified_type": error.qualified_type,
        "message": error.message,
        "traceback": error.traceback,
        "lineno": error.lineno,
        "frames": [
            {"filename": f.filename, "lineno": f.lineno, "name": f.name, "line": f.line}
            for f in error.frames
        ],
    }


def finished(
    db: sqlite_utils.Database,
    run_id: int,
    result: RunResult,
    request: dict[str, Any] | None = None,
) -> None:
    """Record how a run ended, with its output (already capped by the sandbox)."""
    changes: dict[str, Any] = {
        "status": result.status.value,
        "finished_at": iso(now()),
        "wall_time": result.wall_time,
        "fuel": result.fuel,
        "peak_memory": result.peak_memory,
        "host_calls": result.host_calls,
        "stdout": result.stdout,
        "stderr": result.stderr,
        "output_truncated": int(result.output_truncated),
        "message": result.message,
        "error": json.dumps(error_data(result.error)) if result.error else None,
    }
    if request is not None:
        changes["request"] = json.dumps(request)
    db.table("runs").update(run_id, changes)


_LOGGED = (
    "INSERT INTO runs (widget_id, number, version, user_id, trigger, status, queued_at, "
    "started_at, finished_at, wall_time, fuel, peak_memory, host_calls, stdout, stderr, "
    "output_truncated, message, error, request) "
    "VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def logged(
    db: sqlite_utils.Database,
    widget_id: int,
    number: int,
    version: int,
    trigger: str,
    result: RunResult,
    request: dict[str, Any] | None,
) -> int:
    """Record a request's or a call's run, already ended, as run `number` of the widget (the
    request log writes many in one transaction and numbers them itself: `next_number`): the
    row `create`, `started` and `finished` would leave, in one statement."""
    stamp = iso(now())
    cursor = db.execute(
        _LOGGED,
        [
            widget_id,
            number,
            version,
            trigger,
            result.status.value,
            stamp,
            stamp,
            stamp,
            result.wall_time,
            result.fuel,
            result.peak_memory,
            result.host_calls,
            result.stdout,
            result.stderr,
            int(result.output_truncated),
            result.message,
            json.dumps(error_data(result.error)) if result.error else None,
            json.dumps(request) if request is not None else None,
        ],
    )
    return int(cursor.lastrowid or 0)


def next_number(db: sqlite_utils.Database, widget_id: int) -> int:
    """The number the widget's next run takes (inside the write that records it)."""
    (last,) = db.execute(
        "SELECT COALESCE(MAX(number), 0) FROM runs WHERE widget_id = ?", [widget_id]
    ).fetchone()
    return int(last) + 1


def finished_task(
    db: sqlite_utils.Database,
    run_id: int,
    result: RunResult,
    state: str | None,
) -> None:
    """Record how a run of the batch lane ended (`finished`), with what makes it a background
    task: its final `task_state` (`state`, JSON) and its return value (none for a script)."""
    finished(db, run_id, result)
    value = None if result.value is None else json.dumps(encode_value(result.value))
    db.execute(
        "UPDATE runs SET task_state = ?, task_value = ? WHERE id = ?", [state, value, run_id]
    )


def task_run(db: sqlite_utils.Database, widget_id: int, run_id: int) -> Run | None:
    """A run of the widget's batch lane (a background task, a script or scheduled run)."""
    if not 0 < run_id < 2**63:
        return None
    marks = ", ".join("?" for _ in HISTORY_TRIGGERS)
    rows = list(
        db.query(
            _SELECT + f"WHERE runs.id = ? AND runs.widget_id = ? AND runs.trigger IN ({marks})",
            [run_id, widget_id, *HISTORY_TRIGGERS],
        )
    )
    return Run.from_row(rows[0]) if rows else None


def task_list(
    db: sqlite_utils.Database, widget_id: int, limit: int
) -> list[tuple[int, str | None, str]]:
    """(id, task name, queued at) of the widget's batch runs that ran or will (a skipped
    scheduled run never did), newest first."""
    marks = ", ".join("?" for _ in HISTORY_TRIGGERS)
    rows = db.execute(
        "SELECT id, task_name, queued_at FROM runs "  # noqa: S608 - marks only
        f"WHERE widget_id = ? AND trigger IN ({marks}) AND status != 'skipped' "
        "ORDER BY id DESC LIMIT ?",
        [widget_id, *HISTORY_TRIGGERS, limit],
    ).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]


def ended_without_running(
    db: sqlite_utils.Database, run_id: int, status: str, message: str
) -> None:
    """A run that never reached the sandbox: cancelled while queued, refused, interrupted
    (a task's arguments are not needed any more)."""
    db.execute(
        "UPDATE runs SET status = ?, message = ?, finished_at = ?, "
        "request = CASE WHEN trigger = 'task' THEN NULL ELSE request END WHERE id = ?",
        [status, message, iso(now()), run_id],
    )


INTERRUPTED = (
    "Widgetbox stopped while this run was running; it is not run again by itself, as its "
    "code may have done part of its work"
)


def interrupt_started(db: sqlite_utils.Database) -> int:
    """At start-up: runs a stopped server left running are marked interrupted, so nothing
    stays "running" forever (those left queued are queued again: `left_queued`)."""
    cursor = db.execute(
        "UPDATE runs SET status = 'interrupted', finished_at = ?, message = ? "
        "WHERE status = 'running'",
        [iso(now()), INTERRUPTED],
    )
    return int(cursor.rowcount)


def get(db: sqlite_utils.Database, run_id: int, viewer: User | None, level: str = "review") -> Run:
    """A run of a widget the viewer has `level` of access to (404 otherwise: runs are
    private to the owner and the widget's reviewers; `widgets.records.guarded`)."""
    rows = list(db.query(_SELECT + "WHERE runs.id = ?", [run_id])) if 0 < run_id < 2**63 else []
    if not rows:
        raise NotFound("no_such_run", f"There is no run {run_id}.")
    run = Run.from_row(rows[0])
    try:
        guarded(db, run.widget, viewer, level)
    except (NotFound, LoginRequired, Forbidden):
        raise NotFound("no_such_run", f"There is no run {run_id}.") from None
    return run


def listing(
    db: sqlite_utils.Database,
    widget: Widget,
    triggers: tuple[str, ...],
    limit: int,
    offset: int,
) -> list[Run]:
    marks = ", ".join("?" for _ in triggers)
    rows = db.query(
        _SELECT + f"WHERE runs.widget_id = ? AND runs.trigger IN ({marks}) "
        "ORDER BY runs.id DESC LIMIT ? OFFSET ?",
        [widget.id, *triggers, limit, offset],
    )
    return [Run.from_row(row) for row in rows]


def active_scheduled(db: sqlite_utils.Database, widget_id: int) -> bool:
    """Whether a scheduled run of the widget is queued or running (tasks never overlap)."""
    return bool(
        db.execute(
            "SELECT 1 FROM runs WHERE widget_id = ? AND trigger = 'schedule' "
            "AND status IN ('queued', 'running') LIMIT 1",
            [widget_id],
        ).fetchone()
    )


def prune_output(db: sqlite_utils.Database, keep_newest: int, older_than: str) -> int:
    """Clear the output of runs older than `older_than` (a background task's final state and
    return value too), except each widget's newest `keep_newest` runs (their records stay:
    status, times, fuel)."""
    cursor = db.execute(
        """
        UPDATE runs SET stdout = '', stderr = '', error = NULL, task_state = NULL,
            task_value = NULL,
            message = CASE WHEN message = '' THEN 'Output deleted after the retention period'
                           ELSE message END
        WHERE queued_at < ? AND (stdout != '' OR stderr != '' OR error IS NOT NULL
                                 OR task_state IS NOT NULL OR task_value IS NOT NULL)
          AND id NOT IN (
            SELECT id FROM (
              SELECT id, ROW_NUMBER() OVER (PARTITION BY widget_id ORDER BY id DESC) AS n
              FROM runs
            ) WHERE n <= ?
          )
        """,
        [older_than, keep_newest],
    )
    return int(cursor.rowcount)
