"""The schedules API's message shapes (msgspec structs: validated on the way in, described in
the OpenAPI document)."""

from __future__ import annotations

from typing import Any, Literal

import msgspec


class ScheduleRule(msgspec.Struct):
    """`{"type": "interval", "every": 15, "unit": "minutes"}` (optionally `"at": "09:00"`
    for days and weeks, `"weekday": "monday"` for weeks), or `{"type": "cron", "cron":
    "0 9 * * 1-5"}`; both with an optional `"timezone"` (IANA name, default "UTC")."""

    type: Literal["interval", "cron"]
    every: int | None = None
    unit: Literal["minutes", "hours", "days", "weeks"] | None = None
    at: str | None = None
    weekday: str | int | None = None
    cron: str | None = None
    timezone: str = "UTC"


class SchedulePreview(msgspec.Struct):
    description: str
    next: list[str]
    """The next five fire times, ISO 8601 in UTC."""


class ScheduleOut(msgspec.Struct):
    rule: dict[str, Any]
    description: str
    timezone: str
    paused: bool
    next_run_at: str | None
    last_run_at: str | None
    next: list[str]
    """The next five fire times (empty while paused)."""
