"""Schedule rules: what a person sends, checked into a `Rule`, and the stored JSON form.
Pure logic; every "now" is an argument.

A `Rule` is an interval (every N minutes, hours, days or weeks) or a cron expression, in a
named IANA time zone. `parse_rule` turns what a person sends into a `Rule`, or an `Invalid`
(422 `invalid_schedule`) saying what to change; `rule_to_json` is the stored form. When a
rule fires (intervals, cron, DST) is `fire_times.py`'s.

The anchor fixes the phase of a rule; only its local date (in the rule's zone) matters. The
anchor is not part of the JSON: whoever stores a rule stores its anchor beside it (the
scheduler uses the schedule's creation time). A rule's defaults that depend on the anchor
(`at`, `weekday`) are filled in when it is made, so the stored JSON is explicit.

The shortest interval allowed (`min_interval`, from the setting `min_schedule_minutes`)
is compared with an interval's nominal length (a day is 24 hours even across a DST change),
and with the smallest real gap among a cron expression's next 100 fire times after the
anchor.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from typing import Any, Literal, NoReturn
from zoneinfo import ZoneInfo, available_timezones

from cronsim import CronSim, CronSimError

from widgetbox.host.errors import Invalid
from widgetbox.host.schedules.fire_times import next_times

Kind = Literal["interval", "cron"]
Unit = Literal["minutes", "hours", "days", "weeks"]

KINDS: tuple[Kind, ...] = ("interval", "cron")
UNITS: tuple[Unit, ...] = ("minutes", "hours", "days", "weeks")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_EVERY = 10_000
CRON_SAMPLE = 100
"""How many of a cron expression's fire times are checked against the shortest interval."""
CRON_HORIZON_YEARS = 5
"""A cron expression must fire within this many years of its anchor."""

_UNIT_LENGTH: dict[str, timedelta] = {
    "minutes": timedelta(minutes=1),
    "hours": timedelta(hours=1),
    "days": timedelta(days=1),
    "weeks": timedelta(weeks=1),
}
_FIELDS: dict[str, tuple[str, ...]] = {
    "interval": ("type", "every", "unit", "at", "weekday", "timezone"),
    "cron": ("type", "cron", "timezone"),
}
_HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_MIDNIGHT = time(0, 0)
_CRON_FIELDS = "minute hour day-of-month month day-of-week"
_CRON_EXAMPLE = '"0 9 * * 1-5"'
_ZONE_EXAMPLE = 'Use an IANA name such as "Europe/Paris", "America/New_York" or "UTC".'


@dataclass(frozen=True, kw_only=True)
class Rule:
    """When a scheduled widget runs (`fire_times.py` says exactly when it fires).

    Making one checks it, with the same 422 errors as `parse_rule` (except the shortest
    interval, which is the caller's setting), and fills in `at` and `weekday` when a day or
    week interval leaves them out, so equal schedules compare equal."""

    kind: Kind
    anchor: datetime
    """An aware datetime; day and week intervals count from its local date, minute and hour
    intervals from the start of its local day."""
    timezone: str = "UTC"
    every: int = 1
    """Interval length in `unit`s (1 to 10000)."""
    unit: Unit = "minutes"
    at: time | None = None
    """Local time of day of day and week intervals (whole minutes); None for the others."""
    weekday: int | None = None
    """Monday=0 ... Sunday=6, for week intervals; None for the others."""
    cron: str = ""
    """The 5-field cron expression of a cron rule (whitespace normalized)."""

    def __post_init__(self) -> None:
        if not isinstance(self.anchor, datetime) or self.anchor.utcoffset() is None:
            raise ValueError("a schedule's anchor must be an aware datetime")
        zone = _zone(self.timezone)
        if self.kind == "cron":
            self._check_cron(zone)
        elif self.kind == "interval":
            self._check_interval(zone)
        else:
            _bad_type(self.kind)

    def _check_cron(self, zone: ZoneInfo) -> None:
        for name, default in (("every", 1), ("unit", "minutes"), ("at", None), ("weekday", None)):
            if getattr(self, name) != default:
                _not_for_cron(name)
        cron = _cron_text(self.cron)
        _check_cron(cron, zone, self.anchor)
        object.__setattr__(self, "cron", cron)

    def _check_interval(self, zone: ZoneInfo) -> None:
        if self.cron:
            _not_for_interval("cron")
        _check_every(self.every)
        _check_unit(self.unit)
        _check_applicable(self.unit, self.at is not None, self.weekday is not None)
        if self.unit in ("days", "weeks"):
            if self.at is None:
                object.__setattr__(self, "at", _MIDNIGHT)
            elif not isinstance(self.at, time) or self.at != self.at.replace(
                second=0, microsecond=0, tzinfo=None
            ):
                _invalid(_AT_FORMAT.format(_show(str(self.at))), "at")
        if self.unit == "weeks":
            if self.weekday is None:
                object.__setattr__(self, "weekday", self.anchor.astimezone(zone).weekday())
            elif isinstance(self.weekday, bool) or self.weekday not in range(7):
                _invalid(_WEEKDAY_FORMAT.format(_show(self.weekday)), "weekday")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def length(self) -> timedelta | None:
        """An interval's nominal length; None for a cron rule."""
        return self.every * _UNIT_LENGTH[self.unit] if self.kind == "interval" else None

    def describe(self) -> str:
        """A short English sentence: "every 15 minutes", "every 2 days at 09:00
        (Europe/Paris)", "cron 0 9 * * 1-5 (UTC)"."""
        if self.kind == "cron":
            return f"cron {self.cron} ({self.timezone})"
        every = f"every {self.unit[:-1]}" if self.every == 1 else f"every {self.every} {self.unit}"
        if self.unit in ("minutes", "hours"):
            return every
        at = (self.at or _MIDNIGHT).strftime("%H:%M")
        on = f" on {WEEKDAYS[self.weekday].capitalize()}" if self.weekday is not None else ""
        return f"{every}{on} at {at} ({self.timezone})"


# -- JSON ----------------------------------------------------------------------------------


def parse_rule(data: dict[str, Any], *, anchor: datetime, min_interval: timedelta) -> Rule:
    """The rule `data` describes, checked; raises Invalid("invalid_schedule") saying
    what is wrong and how to fix it. Accepted shapes:

        {"type": "interval", "every": 15, "unit": "minutes", "timezone": "UTC"}
        {"type": "interval", "every": 2, "unit": "weeks", "at": "09:00",
         "weekday": "monday", "timezone": "Europe/Paris"}
        {"type": "cron", "cron": "0 9 * * 1-5", "timezone": "UTC"}

    "timezone" defaults to "UTC"; null counts as absent for the optional fields. A rule that
    fires more often than `min_interval` is refused."""
    if not isinstance(data, dict):
        _invalid(
            'A schedule must be a JSON object, such as {"type": "interval", "every": 15, '
            '"unit": "minutes"}.'
        )
    kind = data.get("type")
    if kind not in KINDS:
        _bad_type(kind)
    for key in data:
        if key not in _FIELDS[kind]:
            _unknown_field(key, kind)
    timezone = data.get("timezone")
    timezone = "UTC" if timezone is None else timezone
    rule: Rule
    if kind == "cron":
        if data.get("cron") is None:
            _invalid(
                f'A cron schedule needs "cron": an expression of 5 fields ({_CRON_FIELDS}), '
                f"such as {_CRON_EXAMPLE}.",
                "cron",
            )
        rule = Rule(kind="cron", cron=data["cron"], timezone=timezone, anchor=anchor)
    else:
        every, unit = data.get("every"), data.get("unit")
        if every is None:
            _invalid(
                'An interval schedule needs "every": how many minutes, hours, days or weeks '
                f"apart its runs are, a whole number from 1 to {MAX_EVERY}.",
                "every",
            )
        _check_every(every)
        if unit is None:
            _invalid(
                'An interval schedule needs "unit": "minutes", "hours", "days" or "weeks".',
                "unit",
            )
        _check_unit(unit)
        at, weekday = data.get("at"), data.get("weekday")
        _check_applicable(unit, at is not None, weekday is not None)
        rule = Rule(
            kind="interval",
            every=every,
            unit=unit,
            at=None if at is None else _parse_at(at),
            weekday=None if weekday is None else _parse_weekday(weekday),
            timezone=timezone,
            anchor=anchor,
        )
    if min_interval > timedelta(0):
        _check_min_interval(rule, min_interval)
    return rule


def rule_to_json(rule: Rule) -> dict[str, Any]:
    """The stored form of `rule` (without its anchor, which is stored beside it):
    `parse_rule(rule_to_json(rule), anchor=rule.anchor, ...)` gives `rule` back."""
    if rule.kind == "cron":
        return {"type": "cron", "cron": rule.cron, "timezone": rule.timezone}
    data: dict[str, Any] = {"type": "interval", "every": rule.every, "unit": rule.unit}
    if rule.at is not None:
        data["at"] = rule.at.strftime("%H:%M")
    if rule.weekday is not None:
        data["weekday"] = WEEKDAYS[rule.weekday]
    data["timezone"] = rule.timezone
    return data


# -- checks --------------------------------------------------------------------------------

_AT_FORMAT = '"at" must be a time of day as HH:MM on a 24-hour clock, such as "09:00" (got {}).'
_WEEKDAY_FORMAT = (
    '"weekday" must be a day name such as "monday", or a number from 0 (Monday) to 6 '
    "(Sunday) (got {})."
)


def _invalid(message: str, field: str | None = None) -> NoReturn:
    raise Invalid("invalid_schedule", message, {"field": field} if field else None)


def _show(value: Any) -> str:
    """`value` as JSON, shortened: how the person wrote it."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _bad_type(kind: object) -> NoReturn:
    choices = 'use "interval" (every N minutes, hours, days or weeks) or "cron" (a cron expression)'
    if kind is None:
        _invalid(f'A schedule needs a "type": {choices}.', "type")
    _invalid(f"Unknown schedule type {_show(kind)}: {choices}.", "type")


def _not_for_cron(name: str) -> NoReturn:
    _invalid(
        f'"{name}" does not apply to a cron schedule; remove it, or use "type": "interval".',
        name,
    )


def _not_for_interval(name: str) -> NoReturn:
    _invalid(
        f'"{name}" does not apply to an interval schedule; remove it, or use "type": "cron".',
        name,
    )


def _unknown_field(key: object, kind: str) -> NoReturn:
    if kind == "cron" and key in _FIELDS["interval"]:
        _not_for_cron(str(key))
    if kind == "interval" and key in _FIELDS["cron"]:
        _not_for_interval(str(key))
    fields = _FIELDS[kind]
    close = difflib.get_close_matches(str(key), fields, n=1)
    hint = f'; did you mean "{close[0]}"?' if close else "."
    article = "An" if kind == "interval" else "A"
    _invalid(
        f"Unknown field {_show(key)} in the schedule{hint} {article} {kind} schedule takes "
        f"{', '.join(fields)}.",
        str(key),
    )


def _check_every(every: object) -> None:
    if isinstance(every, bool) or not isinstance(every, int) or not 1 <= every <= MAX_EVERY:
        _invalid(
            f'"every" must be a whole number from 1 to {MAX_EVERY} (got {_show(every)}).',
            "every",
        )


def _check_unit(unit: object) -> None:
    if unit in UNITS:
        return
    close = difflib.get_close_matches(str(unit), UNITS, n=1)
    hint = f' Did you mean "{close[0]}"?' if close else ""
    _invalid(
        f'Unknown unit {_show(unit)}: use "minutes", "hours", "days" or "weeks".{hint}', "unit"
    )


def _check_applicable(unit: str, has_at: bool, has_weekday: bool) -> None:
    if has_at and unit in ("minutes", "hours"):
        _invalid(
            '"at" (a time of day) applies only to intervals in days or weeks; remove it, or '
            'use a cron schedule such as "15 * * * *" to run at a set minute of every hour.',
            "at",
        )
    if has_weekday and unit != "weeks":
        _invalid(
            '"weekday" applies only to intervals in weeks; remove it, or use "unit": "weeks".',
            "weekday",
        )


def _parse_at(value: object) -> time:
    match = _HHMM.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        _invalid(_AT_FORMAT.format(_show(value)), "at")
    return time(int(match[1]), int(match[2]))


def _parse_weekday(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    if isinstance(value, str):
        name = value.strip().lower()
        for number, day in enumerate(WEEKDAYS):
            if name in (day, day[:3]):
                return number
    _invalid(_WEEKDAY_FORMAT.format(_show(value)), "weekday")


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def _zone(name: object) -> ZoneInfo:
    names = _zone_names()
    if isinstance(name, str) and name in names:
        return ZoneInfo(name)
    hint = ""
    if isinstance(name, str):
        same = [known for known in names if known.lower() == name.strip().lower()]
        close = same or difflib.get_close_matches(name, sorted(names), n=1, cutoff=0.8)
        hint = f'; did you mean "{close[0]}"?' if close else ""
    _invalid(f"Unknown time zone {_show(name)}{hint or '.'} {_ZONE_EXAMPLE}", "timezone")


def _cron_text(value: object) -> str:
    """The expression with its whitespace normalized, if it has 5 fields."""
    fields = value.split() if isinstance(value, str) else []
    if len(fields) != 5:
        _invalid(
            f"A cron expression has 5 fields ({_CRON_FIELDS}), such as {_CRON_EXAMPLE}; "
            f"{_show(value)} has {len(fields)}.",
            "cron",
        )
    return " ".join(fields)


def _check_cron(cron: str, zone: ZoneInfo, anchor: datetime) -> None:
    try:
        sim = CronSim(cron, anchor.astimezone(zone))
    except CronSimError as e:
        reason = str(e)
        reason = reason[:1].lower() + reason[1:]
        _invalid(
            f"The cron expression {_show(cron)} is not valid: {reason}. Its 5 fields are "
            f"{_CRON_FIELDS}, such as {_CRON_EXAMPLE}.",
            "cron",
        )
    first = next(sim, None)
    try:
        horizon = anchor + timedelta(days=366 * CRON_HORIZON_YEARS)
    except OverflowError:
        horizon = datetime.max.replace(tzinfo=UTC)
    if first is None or first > horizon:
        _invalid(
            f"The cron expression {_show(cron)} would not run in the next "
            f"{CRON_HORIZON_YEARS} years; check its day-of-month, month and day-of-week "
            "fields.",
            "cron",
        )


def _check_min_interval(rule: Rule, min_interval: timedelta) -> None:
    length = rule.length
    if length is not None:
        if length < min_interval:
            _invalid(
                f"This schedule runs {rule.describe()}, but runs must be at least "
                f"{_span(min_interval)} apart here; choose a longer interval.",
                "every",
            )
        return
    times = next_times(rule, rule.anchor, CRON_SAMPLE)
    gaps = [(b - a, a, b) for a, b in pairwise(times)]
    if gaps:
        gap, first, second = min(gaps)
        if gap < min_interval:
            zone = rule.zone
            _invalid(
                f"The cron expression {_show(rule.cron)} can run {_span(gap)} apart (for "
                f"example at {first.astimezone(zone):%Y-%m-%d %H:%M} and "
                f"{second.astimezone(zone):%Y-%m-%d %H:%M} {rule.timezone}), but runs must be "
                f"at least {_span(min_interval)} apart here; make it run less often, or use "
                "an interval schedule.",
                "cron",
            )


def _span(length: timedelta) -> str:
    """ "5 minutes", "1 hour", "90 seconds", "0.6 seconds"."""
    seconds = length.total_seconds()
    for name, size in (("week", 604_800), ("day", 86_400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {name}" + ("s" if count != 1 else "")
    return f"{seconds:g} second" + ("s" if seconds != 1 else "")
