"""Due dates: entered and shown in the course's time zone, stored in UTC, and whether a
moment is late. Pure functions (no database), so the rules are tested on their own.

A teacher types a wall-clock time (`2026-12-10T17:00`) meaning that time where the course
is; the moment is fixed when it is set, so a later change of the course's time zone does not
move deadlines already given. A time that does not exist there (the hour skipped when
clocks go forward) is refused; one that happens twice (clocks going back) is the first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from widgetbox.host.errors import Invalid
from widgetbox.host.storage.times import iso, parse_iso

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
"""What a `datetime-local` field sends and shows."""


def to_utc(local: str, timezone: str) -> str:
    """The stored moment for a wall-clock time in `timezone`."""
    try:
        naive = datetime.strptime(local.strip()[:16], LOCAL_FORMAT)
    except ValueError:
        raise Invalid(
            "invalid_due", "A due date is a date and time like 2026-12-10T17:00."
        ) from None
    zone = ZoneInfo(timezone)
    moment = naive.replace(tzinfo=zone, fold=0)
    back = moment.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != naive:
        raise Invalid(
            "invalid_due",
            f"{naive:%Y-%m-%d %H:%M} does not exist in {timezone}: the clocks skip it. "
            "Choose another time.",
        )
    return iso(moment)


def to_local(due_at: str, timezone: str) -> str:
    """The stored moment as a wall-clock time in `timezone` (for the form)."""
    return parse_iso(due_at).astimezone(ZoneInfo(timezone)).strftime(LOCAL_FORMAT)


def describe(due_at: str, timezone: str) -> str:
    """For people: `Thu 10 Dec 2026, 17:00 (Europe/London)`."""
    local = parse_iso(due_at).astimezone(ZoneInfo(timezone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({timezone})"


def is_late(due_at: str | None, at: datetime) -> bool:
    """Whether a submission at `at` is after the due date (there is none: never)."""
    return due_at is not None and at > parse_iso(due_at)
