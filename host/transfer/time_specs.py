"""Anvil's scheduled tasks' `time_spec` and Widgetbox's schedule rules, both ways.

    {every: minute, n: 10, at: {}}                            every 10 minutes
    {every: hour, n: 2, at: {minute: 15}}                     cron "15 */2 * * *"
    {every: day, n: 5, at: {hour: 3, minute: 0}}              every 5 days at 03:00
    {every: week, n: 1, at: {day: 2, hour: 9, minute: 30}}    every week on Monday at 09:30
    {every: month, n: 1, at: {day: 21, hour: 10, minute: 0}}  cron "0 10 21 * *"

Anvil's times are UTC, and a week's `day` counts as Java's calendar does (1 is Sunday, 2
Monday, ... 7 Saturday). Where Anvil leaves a time out it picks one at random; Widgetbox
takes 0. A rule is the JSON `schedules.parse_rule` reads.
"""

from __future__ import annotations

from typing import Any

Spec = dict[str, Any]
RuleData = dict[str, Any]


class SpecError(ValueError):
    """The time_spec cannot be a schedule; the message says why."""


def _whole(value: Any, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SpecError(f"{what} is not a whole number from {low} to {high}")
    return value


def rule_of(spec: Any) -> RuleData:
    """The schedule rule of an Anvil `time_spec`; SpecError when there is none."""
    if not isinstance(spec, dict):
        raise SpecError("the time_spec is not a map (every, n, at)")
    every = spec.get("every")
    n = _whole(spec.get("n", 1), 1, 10_000, "n")
    at = spec.get("at") or {}
    if not isinstance(at, dict):
        raise SpecError("at is not a map (day, hour, minute)")
    minute = _whole(at.get("minute", 0), 0, 59, "at.minute")
    hour = _whole(at.get("hour", 0), 0, 23, "at.hour")
    hhmm = f"{hour:02d}:{minute:02d}"
    if every == "minute":
        return {"type": "interval", "every": n, "unit": "minutes", "timezone": "UTC"}
    if every == "hour":
        if minute == 0:
            return {"type": "interval", "every": n, "unit": "hours", "timezone": "UTC"}
        if n == 1:
            return {"type": "cron", "cron": f"{minute} * * * *", "timezone": "UTC"}
        if 24 % n == 0:
            return {"type": "cron", "cron": f"{minute} */{n} * * *", "timezone": "UTC"}
        raise SpecError(f"every {n} hours at minute {minute} has no schedule rule")
    if every == "day":
        return {"type": "interval", "every": n, "unit": "days", "at": hhmm, "timezone": "UTC"}
    if every == "week":
        day = _whole(at.get("day", 2), 1, 7, "at.day")
        weekday = (day + 5) % 7  # Java's 1 (Sunday) .. 7 (Saturday) -> 0 (Monday) .. 6
        return {
            "type": "interval",
            "every": n,
            "unit": "weeks",
            "at": hhmm,
            "weekday": weekday,
            "timezone": "UTC",
        }
    if every == "month":
        day = _whole(at.get("day", 1), 1, 31, "at.day")
        months = "*" if n == 1 else f"*/{_whole(n, 1, 12, 'n')}"
        return {"type": "cron", "cron": f"{minute} {hour} {day} {months} *", "timezone": "UTC"}
    raise SpecError(f"every {every!r} is not minute, hour, day, week or month")


def spec_of(rule: RuleData) -> Spec | None:
    """The Anvil `time_spec` of a stored rule (`schedules.rule_to_json`), or None when Anvil
    has none (another time zone, a cron rule of another shape)."""
    if rule.get("timezone", "UTC") != "UTC":
        return None
    if rule.get("type") == "interval":
        return _interval_spec(rule)
    if rule.get("type") == "cron":
        return _cron_spec(str(rule.get("cron", "")))
    return None


def _interval_spec(rule: RuleData) -> Spec | None:
    n, unit = rule.get("every"), rule.get("unit")
    hour, minute = (int(part) for part in str(rule.get("at") or "00:00").split(":"))
    if unit == "minutes":
        return {"at": {}, "every": "minute", "n": n}
    if unit == "hours":
        return {"at": {"minute": 0}, "every": "hour", "n": n}
    if unit == "days":
        return {"at": {"hour": hour, "minute": minute}, "every": "day", "n": n}
    if unit == "weeks":
        weekday = rule.get("weekday")
        names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        number = names.index(weekday) if weekday in names else weekday
        if not isinstance(number, int):
            return None
        day = (number + 1) % 7 + 1  # 0 (Monday) .. 6 -> Java's 2 .. 7, 1 (Sunday)
        return {"at": {"day": day, "hour": hour, "minute": minute}, "every": "week", "n": n}
    return None


def _cron_spec(cron: str) -> Spec | None:
    fields = cron.split()
    if len(fields) != 5 or not all(_plain(field) for field in fields[:3]):
        return None
    minute, hour, day, month, weekday = fields
    if weekday != "*" or not minute.isdigit():
        return None
    if hour == "*" and day == "*" and month == "*":
        return {"at": {"minute": int(minute)}, "every": "hour", "n": 1}
    if hour.startswith("*/") and day == "*" and month == "*" and hour[2:].isdigit():
        return {"at": {"minute": int(minute)}, "every": "hour", "n": int(hour[2:])}
    if not (hour.isdigit() and day.isdigit()):
        return None
    if month == "*":
        n = 1
    elif month.startswith("*/") and month[2:].isdigit():
        n = int(month[2:])
    else:
        return None
    return {
        "at": {"day": int(day), "hour": int(hour), "minute": int(minute)},
        "every": "month",
        "n": n,
    }


def _plain(field: str) -> bool:
    return field.isdigit() or field == "*" or (field.startswith("*/") and field[2:].isdigit())
