"""Sharing the machine within a course: what each student may use on their copies of the
course's assignments, set by the course's teachers within the site's maxima (`[runs]`
`course_runs_per_hour`, `course_cpu_seconds_per_day`, `course_storage_mib`; a course that
sets none has the site's), and what they have used.

- Runs per hour: every run of the student's copies (scripts, scheduled runs, background
  tasks, HTTP requests, server calls) queued in the last hour, and every check run of
  their work (`checks.py`: on their Submit, their Check, or the teachers' "check
  everyone"; one check run counts as one run, however many tests it has) started in it, a
  sliding window: the reset is when enough of them are an hour old for one more.
- CPU seconds per day: the fuel of those runs and check runs since midnight in the course's
  time zone, as CPU time (`runs/fuel.py`, wasmtime's count of the guest's instructions at
  the rate measured here; a check run's is every sandbox it used: its tests' and the runs
  of the student's code they asked for). Fuel, not wall time: it is the work the student's
  code did, the same on a busy machine as on an idle one, and time spent waiting (for the
  queue, for an HTTP reply, `time.sleep`) costs the machine nothing. A run stopped
  mid-computation (its deadline, a cancel) has no count and is charged its wall time
  instead, the most it could have computed (`runs.fuel.charged`): a loop run until its
  deadline cannot slip past the limit. It resets at the next midnight there.
- Storage: the bytes their copies keep (every version's files, the runs' stored output,
  their Data Tables files), the measure the admin's usage page uses (`admin/usage.py`).

`check` refuses a new batch run (Run, a schedule, a background task) and a student's own
check run (Check, and the checks of a Submit) beyond a limit with `TooMany` (429) saying
which limit, and when it resets (`Retry-After` and `details.resets_at`); it runs inside the
write that records the run, so a class pressing Run (or Check) at once cannot slip past the
limit together. A Submit beyond a limit is still recorded: only its checks are refused,
kept as not run with the limit's message (`checks.begin`), and the teachers can run them
again. The teachers' "check everyone" is never refused by a student's limit (it is their
action, not the student's) but its check runs count as the student's usage. HTTP requests
and server calls are counted but not refused here: someone waits for their answer, and the
site's per-minute rate limits bound them already. A refused run or check run counts for
nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils

from widgetbox.host.admin.usage import first_run_since
from widgetbox.host.config import Config
from widgetbox.host.errors import Invalid, TooMany
from widgetbox.host.runs.fuel import CHARGED_SQL, FUEL_PER_CPU_SECOND
from widgetbox.host.storage.times import iso, now, parse_iso
from widgetbox.host.widgets.records import Widget

MIB = 1024 * 1024
HOUR = timedelta(hours=1)
LABELS = {
    "runs_per_hour": "Runs per hour",
    "cpu_seconds_per_day": "CPU seconds per day",
    "storage_mib": "Storage (MiB)",
}
"""The limits a course may set, in the order pages show them, each as the course page's
form names it (and refusals name the field so)."""
NAMES = tuple(LABELS)

FileBytes = Callable[[int], int]
"""A widget's Data Tables file's size in bytes (`admin.usage.table_bytes`)."""


@dataclass(frozen=True)
class Limits:
    runs_per_hour: int
    cpu_seconds_per_day: int
    storage_mib: int

    @classmethod
    def site(cls, config: Config) -> Limits:
        """The site's maxima, which are also the limits of a course that sets none."""
        return cls(
            config.runs.course_runs_per_hour,
            config.runs.course_cpu_seconds_per_day,
            config.runs.course_storage_mib,
        )


@dataclass(frozen=True)
class CourseLimits:
    limits: Limits
    """In effect: the course's own, else the site's."""
    own: dict[str, int]
    """The values the course's teachers set (the rest are the site's)."""
    site: Limits


@dataclass(frozen=True)
class Usage:
    runs_last_hour: int
    cpu_seconds_today: float
    storage_bytes: int


def _own(db: sqlite_utils.Database, course_id: int) -> dict[str, int]:
    row = db.execute(
        "SELECT runs_per_hour, cpu_seconds_per_day, storage_mib FROM course_limits "
        "WHERE course_id = ?",
        [course_id],
    ).fetchone()
    if row is None:
        return {}
    return {name: value for name, value in zip(NAMES, row, strict=True) if value is not None}


def of_course(db: sqlite_utils.Database, course_id: int, site: Limits) -> CourseLimits:
    """A course's limits in effect. A value above the site's (the site lowered its maximum
    after the teacher chose) counts as the site's."""
    own = _own(db, course_id)
    values = {name: min(own.get(name, getattr(site, name)), getattr(site, name)) for name in NAMES}
    return CourseLimits(Limits(**values), own, site)


def store(
    db: sqlite_utils.Database, course_id: int, changes: dict[str, int | None], site: Limits
) -> None:
    """Set (a whole number from 1 to the site's maximum) or reset (None: the site's) some of
    a course's limits, every value checked before any is written: `Invalid` names each
    field wrong, by its label in the message and `details.problems`, and by its name in
    `details.fields` (where a page shows each problem by its field)."""
    fields = {}
    for name, value in changes.items():
        if name not in NAMES:
            fields[name] = f"{name}: not a course limit ({', '.join(NAMES)})"
        elif value is not None and not 1 <= value <= getattr(site, name):
            fields[name] = (
                f"{LABELS[name]}: a whole number from 1 to {getattr(site, name)} "
                "(the site's maximum)"
            )
    if fields:
        problems = list(fields.values())
        raise Invalid(
            "invalid_limits", "; ".join(problems), {"problems": problems, "fields": fields}
        )
    merged: dict[str, Any] = {name: _own(db, course_id).get(name) for name in NAMES}
    merged.update(changes)
    db.table("course_limits").upsert({"course_id": course_id, **merged}, pk="course_id")


# -- usage ----------------------------------------------------------------------------------

_COPIES = """
    SELECT copy.widget_id FROM assignment_copies AS copy
    JOIN assignments ON assignments.id = copy.assignment_id
    WHERE assignments.course_id = :course AND copy.student_id = :student
"""


def _midnight(timezone: str, moment: datetime) -> datetime:
    """The start of `moment`'s day in the course's time zone."""
    local = moment.astimezone(ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _next_midnight(timezone: str, moment: datetime) -> datetime:
    """The start of the next day there (a day is not always 24 hours: DST)."""
    start = _midnight(timezone, moment)
    later = (start + timedelta(hours=26)).replace(hour=0, minute=0, second=0, microsecond=0)
    return later.astimezone(ZoneInfo(timezone))


_WINDOW = (
    f"FROM runs WHERE runs.widget_id IN ({_COPIES}) "
    "AND runs.id >= :first AND runs.queued_at >= :since"
)
"""The runs of the student's copies queued at `since` or later. Run ids grow with
`queued_at`: the window starts at the first run since (`first`, found by bisection), and
each copy's runs are read by index from there."""
_CHECKS = (
    "FROM check_runs JOIN assignments ON assignments.id = check_runs.assignment_id "
    "WHERE assignments.course_id = :course AND check_runs.student_id = :student "
    "AND check_runs.refused IS NULL AND check_runs.started_at >= :since"
)
"""The check runs of the student's work in the course started at `since` or later (read by
the index on assignment and student), except those a limit refused."""
_MOMENTS = (
    f"SELECT runs.queued_at AS at {_WINDOW} UNION ALL SELECT check_runs.started_at AS at {_CHECKS}"
)
"""When each run and check run of the window began (ISO text of one width: it sorts)."""


def _window(
    db: sqlite_utils.Database, course_id: int, student_id: int, since: datetime
) -> dict[str, Any]:
    """`_WINDOW`'s parameters."""
    first = first_run_since(db, since)
    return {"course": course_id, "student": student_id, "first": first, "since": iso(since)}


def _runs_in_hour(
    db: sqlite_utils.Database, course_id: int, student_id: int, at: datetime
) -> tuple[int, dict[str, Any]]:
    params = _window(db, course_id, student_id, at - HOUR)
    (runs,) = db.execute(
        f"SELECT (SELECT COUNT(*) {_WINDOW}) + (SELECT COUNT(*) {_CHECKS})", params
    ).fetchone()
    return int(runs), params


def _fuel_today(
    db: sqlite_utils.Database, course_id: int, timezone: str, student_id: int, at: datetime
) -> int:
    params = _window(db, course_id, student_id, _midnight(timezone, at))
    (fuel,) = db.execute(
        f"SELECT (SELECT COALESCE(SUM({CHARGED_SQL.format(table='runs')}), 0) {_WINDOW}) "
        f"+ (SELECT COALESCE(SUM(check_runs.fuel), 0) {_CHECKS})",
        params,
    ).fetchone()
    return int(fuel)


def usage(
    db: sqlite_utils.Database,
    course_id: int,
    timezone: str,
    student_id: int,
    file_bytes: FileBytes,
    at: datetime | None = None,
) -> Usage:
    """What one student has used of the course's limits, at `at` (now)."""
    at = at or now()
    runs, _ = _runs_in_hour(db, course_id, student_id, at)
    fuel = _fuel_today(db, course_id, timezone, student_id, at)
    storage = _storage(db, {"course": course_id, "student": student_id}, file_bytes)
    return Usage(runs, fuel / FUEL_PER_CPU_SECOND, storage)


def _storage(db: sqlite_utils.Database, params: dict[str, int], file_bytes: FileBytes) -> int:
    rows = db.execute(
        f"""
        SELECT copies.widget_id,
            (SELECT COALESCE(SUM(LENGTH(CAST(files AS BLOB))), 0) FROM widget_versions
                WHERE widget_versions.widget_id = copies.widget_id)
            + (SELECT COALESCE(SUM(LENGTH(CAST(stdout AS BLOB)) + LENGTH(CAST(stderr AS BLOB))), 0)
                FROM runs WHERE runs.widget_id = copies.widget_id)
        FROM ({_COPIES}) AS copies
        """,  # noqa: S608 - no value of anyone's in the text
        params,
    ).fetchall()
    return sum(int(kept) + file_bytes(widget_id) for widget_id, kept in rows)


# -- refusing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Copy:
    course_id: int
    title: str
    timezone: str


def _course_of(db: sqlite_utils.Database, widget: Widget) -> _Copy | None:
    """The course whose assignment the widget is a current student's copy of, if any."""
    row = db.execute(
        "SELECT courses.id, courses.title, courses.timezone FROM assignment_copies AS copy "
        "JOIN assignments ON assignments.id = copy.assignment_id "
        "JOIN courses ON courses.id = assignments.course_id "
        "JOIN course_members AS member ON member.course_id = courses.id "
        "AND member.user_id = copy.student_id AND member.role = 'student' "
        "WHERE copy.widget_id = ? AND copy.student_id = ?",
        [widget.id, widget.owner_id],
    ).fetchone()
    return None if row is None else _Copy(*row)


def _refuse(code: str, message: str, resets: datetime | None, at: datetime) -> TooMany:
    if resets is None:
        return TooMany(code, message, {"resets_at": None})
    seconds = max(1, math.ceil((resets - at).total_seconds()))
    return TooMany(code, message, {"resets_at": iso(resets)}, retry_after=seconds)


def _when(resets: datetime, timezone: str) -> str:
    local = resets.astimezone(ZoneInfo(timezone))
    return f"{local:%H:%M} on {local:%a %d %b} ({timezone})"


def check(
    db: sqlite_utils.Database,
    widget: Widget,
    site: Limits,
    file_bytes: FileBytes,
    at: datetime | None = None,
) -> None:
    """Refuse a new batch run (or a student's check run) of a student's copy beyond one of
    its course's limits (`TooMany`, with when it resets); any other widget passes at once."""
    copy = _course_of(db, widget)
    if copy is None:
        return
    at = at or now()
    limits = of_course(db, copy.course_id, site).limits
    runs, window = _runs_in_hour(db, copy.course_id, widget.owner_id, at)
    if runs >= limits.runs_per_hour:
        # one more may start once the oldest `runs - limit + 1` of the window are an hour old
        row = db.execute(
            f"SELECT at FROM ({_MOMENTS}) ORDER BY at LIMIT 1 OFFSET :offset",  # noqa: S608 - no value of anyone's in the text
            {**window, "offset": runs - limits.runs_per_hour},
        ).fetchone()
        resets = (parse_iso(row[0]) if row else at) + HOUR
        raise _refuse(
            "course_runs_limit",
            f"You have used the {limits.runs_per_hour} runs an hour {copy.title} allows each "
            f"student; you can run again at {_when(resets, copy.timezone)}.",
            resets,
            at,
        )
    fuel = _fuel_today(db, copy.course_id, copy.timezone, widget.owner_id, at)
    if fuel >= limits.cpu_seconds_per_day * FUEL_PER_CPU_SECOND:
        resets = _next_midnight(copy.timezone, at)
        raise _refuse(
            "course_cpu_limit",
            f"You have used the {limits.cpu_seconds_per_day} CPU seconds a day {copy.title} "
            f"allows each student; it resets at {_when(resets, copy.timezone)}.",
            resets,
            at,
        )
    params = {"course": copy.course_id, "student": widget.owner_id}
    kept = _storage(db, params, file_bytes)
    if kept >= limits.storage_mib * MIB:
        raise _refuse(
            "course_storage_limit",
            f"Your work in {copy.title} keeps {kept / MIB:.1f} MiB, the most it allows each "
            f"student ({limits.storage_mib} MiB); this does not reset by itself: ask your "
            "teacher to raise the limit.",
            None,
            at,
        )
