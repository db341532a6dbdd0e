"""Schedule rules: parsing and its messages, describe(), the JSON round trip, fire times
(including DST in Europe/Paris and America/New_York in 2026), missed slots, and properties."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from widgetbox.host.errors import DomainError, Invalid
from widgetbox.host.schedules import UNITS, Rule, missed, next_times, parse_rule, rule_to_json

pytestmark = pytest.mark.unit

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
ANCHOR = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday, in winter on both sides
NO_MINIMUM = timedelta(0)

# 2026 DST changes: Paris springs forward on 29 March at 01:00 UTC (02:00 CET -> 03:00 CEST)
# and falls back on 25 October at 01:00 UTC (03:00 CEST -> 02:00 CET); New York springs
# forward on 8 March at 07:00 UTC (02:00 EST -> 03:00 EDT) and falls back on 1 November at
# 06:00 UTC (02:00 EDT -> 01:00 EST).


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def parse(data: dict[str, Any], minimum: timedelta = NO_MINIMUM, anchor: datetime = ANCHOR) -> Rule:
    return parse_rule(data, anchor=anchor, min_interval=minimum)


def interval(every: int, unit: str, timezone: str = "UTC", **more: Any) -> Rule:
    return parse({"type": "interval", "every": every, "unit": unit, "timezone": timezone, **more})


def cron(expression: str, timezone: str = "UTC") -> Rule:
    return parse({"type": "cron", "cron": expression, "timezone": timezone})


def fires(rule: Rule, after: str, count: int) -> list[str]:
    """The next fire times as UTC text, for comparing at a glance."""
    return [t.strftime("%Y-%m-%d %H:%M") for t in next_times(rule, utc(after), count)]


def local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def error_of(data: Any, minimum: timedelta = NO_MINIMUM) -> DomainError:
    with pytest.raises(DomainError) as caught:
        parse_rule(data, anchor=ANCHOR, min_interval=minimum)
    assert isinstance(caught.value, Invalid)
    assert caught.value.code == "invalid_schedule"
    return caught.value


# -- each unit and option ------------------------------------------------------------------


def test_minutes_fire_on_the_quarter_hours_from_the_start_of_the_day() -> None:
    rule = interval(15, "minutes")
    assert rule.describe() == "every 15 minutes"
    assert fires(rule, "2026-03-05 10:07", 3) == [
        "2026-03-05 10:15",
        "2026-03-05 10:30",
        "2026-03-05 10:45",
    ]


def test_every_minute_and_odd_minute_intervals() -> None:
    assert interval(1, "minutes").describe() == "every minute"
    assert fires(interval(1, "minutes"), "2026-03-05 10:07:30", 2) == [
        "2026-03-05 10:08",
        "2026-03-05 10:09",
    ]
    # Every 7 minutes counts from the anchor's local midnight: 00:00, 00:07, ..., 23:55, and
    # carries on from there in real time (the next day starts at 00:02).
    assert fires(interval(7, "minutes"), "2026-03-02 23:50", 3) == [
        "2026-03-02 23:55",
        "2026-03-03 00:02",
        "2026-03-03 00:09",
    ]


def test_hours_fire_at_even_local_hours_in_the_rules_time_zone() -> None:
    rule = interval(2, "hours", "Europe/Paris")
    assert rule.describe() == "every 2 hours"
    times = next_times(rule, utc("2026-03-05 10:30"), 3)
    assert [local(t, PARIS) for t in times] == [
        "2026-03-05 12:00 CET",
        "2026-03-05 14:00 CET",
        "2026-03-05 16:00 CET",
    ]
    assert interval(1, "hours").describe() == "every hour"


def test_minute_intervals_follow_a_half_hour_time_zone() -> None:
    times = next_times(interval(1, "hours", "Asia/Kolkata"), utc("2026-03-05 10:00"), 2)
    assert [t.strftime("%H:%M") for t in times] == ["10:30", "11:30"]  # :00 in Kolkata


def test_days_fire_at_the_local_time_every_n_days_from_the_anchors_date() -> None:
    rule = interval(2, "days", "Europe/Paris", at="09:00")
    assert rule.describe() == "every 2 days at 09:00 (Europe/Paris)"
    # Anchor: Monday 2 March, 13:00 in Paris, after 09:00; so 4, 6, 8 March.
    assert [local(t, PARIS) for t in next_times(rule, ANCHOR, 3)] == [
        "2026-03-04 09:00 CET",
        "2026-03-06 09:00 CET",
        "2026-03-08 09:00 CET",
    ]


def test_days_count_from_the_anchors_local_date_not_its_utc_date() -> None:
    # 23:30 UTC on 1 March is already 2 March in Paris.
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    rule = parse(
        {"type": "interval", "every": 2, "unit": "days", "at": "09:00", "timezone": "Europe/Paris"},
        anchor=late,
    )
    assert [local(t, PARIS) for t in next_times(rule, late, 2)] == [
        "2026-03-02 09:00 CET",
        "2026-03-04 09:00 CET",
    ]


def test_days_default_to_midnight() -> None:
    rule = interval(1, "days")
    assert rule.at == time(0, 0)
    assert rule.describe() == "every day at 00:00 (UTC)"
    assert fires(rule, "2026-03-05 10:00", 2) == ["2026-03-06 00:00", "2026-03-07 00:00"]


def test_weeks_default_to_the_anchors_weekday_and_midnight() -> None:
    rule = interval(1, "weeks")
    assert rule.weekday == 0
    assert rule.describe() == "every week on Monday at 00:00 (UTC)"
    assert fires(rule, "2026-03-05 10:00", 2) == ["2026-03-09 00:00", "2026-03-16 00:00"]


def test_the_default_weekday_is_the_anchors_local_weekday() -> None:
    sunday_evening = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # Monday in Paris
    rule = parse(
        {"type": "interval", "every": 1, "unit": "weeks", "timezone": "Europe/Paris"},
        anchor=sunday_evening,
    )
    assert rule.weekday == 0


@pytest.mark.parametrize("weekday", ["friday", "Friday", "FRI", "fri", 4])
def test_weeks_on_a_weekday_count_from_the_first_one_after_the_anchor(weekday: object) -> None:
    rule = interval(2, "weeks", at="18:30", weekday=weekday)
    assert rule.weekday == 4
    assert rule.describe() == "every 2 weeks on Friday at 18:30 (UTC)"
    # Anchor Monday 2 March: the first Friday on or after it is 6 March, then every 14 days.
    assert fires(rule, "2026-03-02 12:00", 3) == [
        "2026-03-06 18:30",
        "2026-03-20 18:30",
        "2026-04-03 18:30",
    ]


def test_a_week_interval_on_the_anchors_weekday_starts_that_day() -> None:
    rule = interval(3, "weeks", at="15:00", weekday="monday")  # anchor: Monday 12:00
    assert fires(rule, "2026-03-02 12:00", 2) == ["2026-03-02 15:00", "2026-03-23 15:00"]


def test_cron_in_utc() -> None:
    rule = cron("0 9 * * 1-5")
    assert rule.describe() == "cron 0 9 * * 1-5 (UTC)"
    assert fires(rule, "2026-03-06 10:00", 2) == ["2026-03-09 09:00", "2026-03-10 09:00"]


def test_cron_in_a_time_zone_and_with_its_whitespace_normalized() -> None:
    rule = cron("  0  9 * *   mon-fri ", "Europe/Paris")
    assert rule.cron == "0 9 * * mon-fri"
    assert rule.describe() == "cron 0 9 * * mon-fri (Europe/Paris)"
    assert fires(rule, "2026-03-06 10:00", 1) == ["2026-03-09 08:00"]


def test_fire_times_are_strictly_after_and_in_utc() -> None:
    rule = interval(15, "minutes")
    assert fires(rule, "2026-03-05 10:15", 1) == ["2026-03-05 10:30"]
    paris_after = datetime(2026, 3, 5, 11, 15, tzinfo=PARIS)  # 10:15 UTC
    [moment] = next_times(rule, paris_after, 1)
    assert moment == utc("2026-03-05 10:30")
    assert moment.tzinfo is UTC
    assert next_times(rule, paris_after, 0) == []


def test_next_times_refuses_naive_datetimes_and_negative_counts() -> None:
    rule = interval(15, "minutes")
    with pytest.raises(ValueError, match="aware"):
        next_times(rule, datetime(2026, 3, 5, 10, 0), 1)
    with pytest.raises(ValueError, match="negative"):
        next_times(rule, ANCHOR, -1)
    with pytest.raises(ValueError, match="aware"):
        parse_rule(
            {"type": "cron", "cron": "0 9 * * *"},
            anchor=datetime(2026, 3, 2),
            min_interval=NO_MINIMUM,
        )


def test_the_end_of_the_calendar_ends_the_list() -> None:
    rule = interval(10_000, "weeks")
    times = next_times(rule, ANCHOR, 100)
    assert 0 < len(times) < 100
    assert times[-1].year > 9000


# -- the JSON form -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_json", "stored"),
    [
        (
            {"type": "interval", "every": 15, "unit": "minutes"},
            {"type": "interval", "every": 15, "unit": "minutes", "timezone": "UTC"},
        ),
        (
            {"type": "interval", "every": 3, "unit": "hours", "timezone": "Asia/Tokyo", "at": None},
            {"type": "interval", "every": 3, "unit": "hours", "timezone": "Asia/Tokyo"},
        ),
        (
            {
                "type": "interval",
                "every": 2,
                "unit": "days",
                "at": "09:00",
                "timezone": "Europe/Paris",
            },
            {
                "type": "interval",
                "every": 2,
                "unit": "days",
                "at": "09:00",
                "timezone": "Europe/Paris",
            },
        ),
        (
            {"type": "interval", "every": 1, "unit": "weeks", "weekday": 6},
            {
                "type": "interval",
                "every": 1,
                "unit": "weeks",
                "at": "00:00",
                "weekday": "sunday",
                "timezone": "UTC",
            },
        ),
        (
            {"type": "cron", "cron": "0 9 * * 1-5", "timezone": None},
            {"type": "cron", "cron": "0 9 * * 1-5", "timezone": "UTC"},
        ),
    ],
)
def test_rule_to_json_is_explicit_and_round_trips(
    given_json: dict[str, Any], stored: dict[str, Any]
) -> None:
    rule = parse(given_json)
    assert rule_to_json(rule) == stored
    assert json.loads(json.dumps(rule_to_json(rule))) == stored
    assert parse(stored) == rule
    assert rule_to_json(parse(stored)) == stored


def test_a_rule_made_directly_equals_the_parsed_one() -> None:
    direct = Rule(kind="interval", every=2, unit="weeks", timezone="Europe/Paris", anchor=ANCHOR)
    assert direct == interval(2, "weeks", "Europe/Paris", at="00:00", weekday="monday")
    assert direct.at == time(0, 0)
    assert direct.weekday == 0


def test_making_an_invalid_rule_directly_is_refused_too() -> None:
    with pytest.raises(DomainError, match='"at"'):
        Rule(kind="interval", every=5, unit="minutes", at=time(9, 0), anchor=ANCHOR)
    with pytest.raises(DomainError, match="weekday"):
        Rule(kind="interval", every=1, unit="weeks", weekday=7, anchor=ANCHOR)
    with pytest.raises(DomainError, match="HH:MM"):
        Rule(kind="interval", every=1, unit="days", at=time(9, 0, 30), anchor=ANCHOR)
    with pytest.raises(DomainError, match='"every" does not apply to a cron schedule'):
        Rule(kind="cron", cron="0 9 * * *", every=5, anchor=ANCHOR)
    with pytest.raises(DomainError, match='"cron" does not apply to an interval schedule'):
        Rule(kind="interval", cron="0 9 * * *", anchor=ANCHOR)


# -- every validation error's message ------------------------------------------------------

ZONES_HINT = 'Use an IANA name such as "Europe/Paris", "America/New_York" or "UTC".'
CRON_HINT = 'Its 5 fields are minute hour day-of-month month day-of-week, such as "0 9 * * 1-5".'
TYPE_CHOICES = (
    'use "interval" (every N minutes, hours, days or weeks) or "cron" (a cron expression)'
)
EVERY_RANGE = '"every" must be a whole number from 1 to 10000'
AT_FORMAT = '"at" must be a time of day as HH:MM on a 24-hour clock, such as "09:00"'
WEEKDAY_FORMAT = (
    '"weekday" must be a day name such as "monday", or a number from 0 (Monday) to 6 (Sunday)'
)
DAYS = {"type": "interval", "every": 1, "unit": "days"}
WEEKS = {"type": "interval", "every": 1, "unit": "weeks"}

INVALID: list[tuple[str, Any, str, str | None]] = [
    (
        "not an object",
        [1, 2],
        'A schedule must be a JSON object, such as {"type": "interval", "every": 15, '
        '"unit": "minutes"}.',
        None,
    ),
    ("no type", {"every": 5}, f'A schedule needs a "type": {TYPE_CHOICES}.', "type"),
    ("unknown type", {"type": "daily"}, f'Unknown schedule type "daily": {TYPE_CHOICES}.', "type"),
    (
        "unknown field",
        {"type": "interval", "every": 1, "unit": "days", "timezon": "UTC"},
        'Unknown field "timezon" in the schedule; did you mean "timezone"? An interval schedule '
        "takes type, every, unit, at, weekday, timezone.",
        "timezon",
    ),
    (
        "unknown field, nothing close",
        {"type": "cron", "cron": "0 9 * * *", "paused": True},
        'Unknown field "paused" in the schedule. A cron schedule takes type, cron, timezone.',
        "paused",
    ),
    (
        "interval field on a cron",
        {"type": "cron", "cron": "0 9 * * *", "every": 3},
        '"every" does not apply to a cron schedule; remove it, or use "type": "interval".',
        "every",
    ),
    (
        "cron field on an interval",
        {"type": "interval", "every": 3, "unit": "days", "cron": "0 9 * * *"},
        '"cron" does not apply to an interval schedule; remove it, or use "type": "cron".',
        "cron",
    ),
    (
        "no every",
        {"type": "interval", "unit": "days"},
        'An interval schedule needs "every": how many minutes, hours, days or weeks apart its '
        "runs are, a whole number from 1 to 10000.",
        "every",
    ),
    ("every a string", {**DAYS, "every": "5"}, f'{EVERY_RANGE} (got "5").', "every"),
    ("every a fraction", {**DAYS, "every": 1.5}, f"{EVERY_RANGE} (got 1.5).", "every"),
    ("every a boolean", {**DAYS, "every": True}, f"{EVERY_RANGE} (got true).", "every"),
    ("every zero", {**DAYS, "every": 0}, f"{EVERY_RANGE} (got 0).", "every"),
    ("every negative", {**DAYS, "every": -3}, f"{EVERY_RANGE} (got -3).", "every"),
    ("every too large", {**DAYS, "every": 10_001}, f"{EVERY_RANGE} (got 10001).", "every"),
    (
        "no unit",
        {"type": "interval", "every": 5},
        'An interval schedule needs "unit": "minutes", "hours", "days" or "weeks".',
        "unit",
    ),
    (
        "unknown unit",
        {**DAYS, "unit": "fortnights"},
        'Unknown unit "fortnights": use "minutes", "hours", "days" or "weeks".',
        "unit",
    ),
    (
        "singular unit",
        {**DAYS, "unit": "minute"},
        'Unknown unit "minute": use "minutes", "hours", "days" or "weeks". Did you mean "minutes"?',
        "unit",
    ),
    (
        "at on minutes",
        {"type": "interval", "every": 5, "unit": "minutes", "at": "09:00"},
        '"at" (a time of day) applies only to intervals in days or weeks; remove it, or use a '
        'cron schedule such as "15 * * * *" to run at a set minute of every hour.',
        "at",
    ),
    (
        "at on hours",
        {"type": "interval", "every": 2, "unit": "hours", "at": "bad"},
        '"at" (a time of day) applies only to intervals in days or weeks; remove it, or use a '
        'cron schedule such as "15 * * * *" to run at a set minute of every hour.',
        "at",
    ),
    ("at without a colon", {**DAYS, "at": "0900"}, f'{AT_FORMAT} (got "0900").', "at"),
    ("at past 23:59", {**DAYS, "at": "24:00"}, f'{AT_FORMAT} (got "24:00").', "at"),
    ("at with minutes out of range", {**DAYS, "at": "09:60"}, f'{AT_FORMAT} (got "09:60").', "at"),
    ("at with one hour digit", {**DAYS, "at": "9:00"}, f'{AT_FORMAT} (got "9:00").', "at"),
    ("at with seconds", {**WEEKS, "at": "09:00:00"}, f'{AT_FORMAT} (got "09:00:00").', "at"),
    ("at a number", {**DAYS, "at": 900}, f"{AT_FORMAT} (got 900).", "at"),
    (
        "weekday on days",
        {**DAYS, "weekday": "monday"},
        '"weekday" applies only to intervals in weeks; remove it, or use "unit": "weeks".',
        "weekday",
    ),
    (
        "weekday on minutes",
        {"type": "interval", "every": 5, "unit": "minutes", "weekday": 0},
        '"weekday" applies only to intervals in weeks; remove it, or use "unit": "weeks".',
        "weekday",
    ),
    (
        "unknown weekday",
        {**WEEKS, "weekday": "funday"},
        f'{WEEKDAY_FORMAT} (got "funday").',
        "weekday",
    ),
    ("weekday 7", {**WEEKS, "weekday": 7}, f"{WEEKDAY_FORMAT} (got 7).", "weekday"),
    ("weekday a boolean", {**WEEKS, "weekday": False}, f"{WEEKDAY_FORMAT} (got false).", "weekday"),
    (
        "unknown time zone",
        {**DAYS, "timezone": "Mars/Olympus_Mons"},
        f'Unknown time zone "Mars/Olympus_Mons". {ZONES_HINT}',
        "timezone",
    ),
    (
        "time zone in the wrong case",
        {**DAYS, "timezone": "europe/paris"},
        f'Unknown time zone "europe/paris"; did you mean "Europe/Paris"? {ZONES_HINT}',
        "timezone",
    ),
    (
        "time zone misspelt",
        {**DAYS, "timezone": "America/New_Yrok"},
        f'Unknown time zone "America/New_Yrok"; did you mean "America/New_York"? {ZONES_HINT}',
        "timezone",
    ),
    (
        "time zone as a path",
        {**DAYS, "timezone": "../../etc/passwd"},
        f'Unknown time zone "../../etc/passwd". {ZONES_HINT}',
        "timezone",
    ),
    (
        "time zone as an offset",
        {**DAYS, "timezone": 2},
        f"Unknown time zone 2. {ZONES_HINT}",
        "timezone",
    ),
    (
        "no cron",
        {"type": "cron"},
        'A cron schedule needs "cron": an expression of 5 fields (minute hour day-of-month month '
        'day-of-week), such as "0 9 * * 1-5".',
        "cron",
    ),
    (
        "cron with seconds",
        {"type": "cron", "cron": "0 0 9 * * *"},
        "A cron expression has 5 fields (minute hour day-of-month month day-of-week), such as "
        '"0 9 * * 1-5"; "0 0 9 * * *" has 6.',
        "cron",
    ),
    (
        "cron nickname",
        {"type": "cron", "cron": "@daily"},
        "A cron expression has 5 fields (minute hour day-of-month month day-of-week), such as "
        '"0 9 * * 1-5"; "@daily" has 1.',
        "cron",
    ),
    (
        "cron not a string",
        {"type": "cron", "cron": ["0", "9", "*", "*", "*"]},
        "A cron expression has 5 fields (minute hour day-of-month month day-of-week), such as "
        '"0 9 * * 1-5"; ["0", "9", "*", "*", "*"] has 0.',
        "cron",
    ),
    (
        "cron minute out of range",
        {"type": "cron", "cron": "61 * * * *"},
        f'The cron expression "61 * * * *" is not valid: bad minute. {CRON_HINT}',
        "cron",
    ),
    (
        "cron weekday out of range",
        {"type": "cron", "cron": "0 9 * * 8"},
        f'The cron expression "0 9 * * 8" is not valid: bad day-of-week. {CRON_HINT}',
        "cron",
    ),
    (
        "cron on a day no month has",
        {"type": "cron", "cron": "0 0 31 2 *"},
        f'The cron expression "0 0 31 2 *" is not valid: bad day-of-month. {CRON_HINT}',
        "cron",
    ),
    (
        "cron that does not fire for years",
        {"type": "cron", "cron": "0 0 * 2 MON#5"},  # a fifth Monday in February: 2044 next
        'The cron expression "0 0 * 2 MON#5" would not run in the next 5 years; check its '
        "day-of-month, month and day-of-week fields.",
        "cron",
    ),
]


@pytest.mark.parametrize(
    ("data", "message", "field"),
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
def test_invalid_input_says_what_is_wrong(data: Any, message: str, field: str | None) -> None:
    error = error_of(data)
    assert error.message == message
    assert error.details == ({"field": field} if field else {})


def test_long_values_are_shortened_in_messages() -> None:
    error = error_of({**DAYS, "timezone": "x" * 500})
    assert '"xxxxxxxx' in error.message
    assert len(error.message) < 200


def test_a_leap_day_cron_is_allowed() -> None:
    assert fires(cron("0 0 29 2 *"), "2026-03-02 12:00", 1) == ["2028-02-29 00:00"]


# -- the shortest interval -----------------------------------------------------------------


def test_an_interval_shorter_than_the_minimum_is_refused() -> None:
    error = error_of({"type": "interval", "every": 1, "unit": "minutes"}, timedelta(minutes=5))
    assert error.message == (
        "This schedule runs every minute, but runs must be at least 5 minutes apart here; "
        "choose a longer interval."
    )
    assert error.details == {"field": "every"}
    error = error_of({"type": "interval", "every": 1, "unit": "minutes"}, timedelta(minutes=1.5))
    assert "runs must be at least 90 seconds apart" in error.message
    error = error_of({"type": "interval", "every": 1, "unit": "days"}, timedelta(days=2))
    assert error.message.startswith("This schedule runs every day at 00:00 (UTC), but runs")
    assert "2 days apart" in error.message


def test_an_interval_of_exactly_the_minimum_is_allowed() -> None:
    rule = parse({"type": "interval", "every": 5, "unit": "minutes"}, timedelta(minutes=5))
    assert rule.every == 5
    parse({"type": "interval", "every": 1, "unit": "hours"}, timedelta(minutes=60))


def test_a_cron_that_fires_too_often_is_refused() -> None:
    error = error_of({"type": "cron", "cron": "*/2 * * * *"}, timedelta(minutes=5))
    assert error.message == (
        'The cron expression "*/2 * * * *" can run 2 minutes apart (for example at 2026-03-02 '
        "12:02 and 2026-03-02 12:04 UTC), but runs must be at least 5 minutes apart here; make "
        "it run less often, or use an interval schedule."
    )
    assert error.details == {"field": "cron"}


def test_a_cron_with_one_close_pair_a_day_is_refused() -> None:
    error = error_of({"type": "cron", "cron": "0,1 9 * * *"}, timedelta(minutes=5))
    assert "can run 1 minute apart (for example at 2026-03-03 09:00 and" in error.message


def test_a_cron_gap_is_measured_in_its_time_zone() -> None:
    error = error_of(
        {"type": "cron", "cron": "0 9,11 * * *", "timezone": "Europe/Paris"}, timedelta(hours=3)
    )
    assert "2 hours apart (for example at 2026-03-03 09:00 and 2026-03-03 11:00 Europe/Paris)" in (
        error.message
    )


def test_a_cron_as_slow_as_the_minimum_is_allowed() -> None:
    assert (
        parse({"type": "cron", "cron": "*/5 * * * *"}, timedelta(minutes=5)).cron == "*/5 * * * *"
    )
    parse({"type": "cron", "cron": "0 9 * * 1-5"}, timedelta(hours=24))


# -- DST: days at a time that is skipped or repeated -----------------------------------------


def test_daily_at_0230_on_the_spring_forward_day_fires_when_the_clocks_jump_paris() -> None:
    rule = interval(1, "days", "Europe/Paris", at="02:30")
    times = next_times(rule, utc("2026-03-27 12:00"), 3)
    assert [local(t, PARIS) for t in times] == [
        "2026-03-28 02:30 CET",
        "2026-03-29 03:00 CEST",  # 02:30 does not exist: the first valid moment after the gap
        "2026-03-30 02:30 CEST",
    ]
    assert times[1] == utc("2026-03-29 01:00")


def test_daily_at_0230_on_the_spring_forward_day_fires_when_the_clocks_jump_new_york() -> None:
    rule = interval(1, "days", "America/New_York", at="02:30")
    times = next_times(rule, utc("2026-03-06 12:00"), 3)
    assert [local(t, NEW_YORK) for t in times] == [
        "2026-03-07 02:30 EST",
        "2026-03-08 03:00 EDT",
        "2026-03-09 02:30 EDT",
    ]
    assert times[1] == utc("2026-03-08 07:00")


def test_daily_at_0130_on_the_fall_back_day_fires_once_new_york() -> None:
    rule = interval(1, "days", "America/New_York", at="01:30")  # 01:00-02:00 happens twice
    times = next_times(rule, utc("2026-10-30 12:00"), 3)
    assert [local(t, NEW_YORK) for t in times] == [
        "2026-10-31 01:30 EDT",
        "2026-11-01 01:30 EDT",  # the first occurrence only
        "2026-11-02 01:30 EST",
    ]
    assert times[1] == utc("2026-11-01 05:30")
    # From inside the repeated hour, the second 01:30 is not a fire.
    assert fires(rule, "2026-11-01 05:30", 1) == ["2026-11-02 06:30"]
    assert fires(rule, "2026-11-01 06:10", 1) == ["2026-11-02 06:30"]


def test_daily_at_0130_on_the_fall_back_day_fires_once_paris() -> None:
    # In Paris the repeated hour is 02:00-03:00, so 01:30 is an ordinary time...
    rule = interval(1, "days", "Europe/Paris", at="01:30")
    times = next_times(rule, utc("2026-10-24 12:00"), 2)
    assert [local(t, PARIS) for t in times] == ["2026-10-25 01:30 CEST", "2026-10-26 01:30 CET"]
    # ...and 02:30 is the one that happens twice: it fires once, at the first occurrence.
    rule = interval(1, "days", "Europe/Paris", at="02:30")
    times = next_times(rule, utc("2026-10-24 12:00"), 2)
    assert [local(t, PARIS) for t in times] == ["2026-10-25 02:30 CEST", "2026-10-26 02:30 CET"]
    assert fires(rule, "2026-10-25 00:30", 1) == ["2026-10-26 01:30"]


def test_a_gap_at_midnight_fires_when_the_clocks_jump() -> None:
    # Santiago springs forward at midnight on 6 September 2026 (00:00 -04 -> 01:00 -03).
    rule = interval(1, "days", "America/Santiago")
    [moment] = next_times(rule, utc("2026-09-05 12:00"), 1)
    assert local(moment, ZoneInfo("America/Santiago")) == "2026-09-06 01:00 -03"


@pytest.mark.parametrize(
    "timezone", ["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "America/Santiago"]
)
def test_daily_rules_fire_once_per_local_day_all_year(timezone: str) -> None:
    zone = ZoneInfo(timezone)
    start = datetime(2026, 1, 1, tzinfo=zone)
    for at in [time(h, m) for h in range(4) for m in (0, 15, 30, 45)] + [time(23, 59)]:
        rule = parse(
            {
                "type": "interval",
                "every": 1,
                "unit": "days",
                "at": f"{at:%H:%M}",
                "timezone": timezone,
            },
            anchor=start,
        )
        times = next_times(rule, start - timedelta(seconds=1), 365)
        walls = [t.astimezone(zone) for t in times]
        assert [w.date() for w in walls] == [start.date() + timedelta(days=n) for n in range(365)]
        for t, wall in zip(times, walls, strict=True):
            if wall.time() != at:  # skipped: fired when the clocks jumped, within the hour
                assert at < wall.time() <= (datetime.combine(wall, at) + timedelta(hours=1)).time()
                assert (t - timedelta(seconds=1)).astimezone(zone).utcoffset() != wall.utcoffset()
            elif wall.fold:  # never the second occurrence of a repeated time
                pytest.fail(f"{rule.describe()} fired at the repeat of {wall}")


# -- DST: minute and hour intervals keep real time ---------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "after", "change"),
    [
        ("Europe/Paris", "2026-03-28 12:00", "2026-03-29 01:00"),
        ("Europe/Paris", "2026-10-24 12:00", "2026-10-25 01:00"),
        ("America/New_York", "2026-03-07 12:00", "2026-03-08 07:00"),
        ("America/New_York", "2026-10-31 12:00", "2026-11-01 06:00"),
    ],
)
def test_every_30_minutes_across_a_dst_change_is_uniform(
    timezone: str, after: str, change: str
) -> None:
    rule = interval(30, "minutes", timezone)
    times = next_times(rule, utc(after), 96)  # two days
    assert times[0] == utc(after) + timedelta(minutes=30)
    assert all(b - a == timedelta(minutes=30) for a, b in pairwise(times))
    assert utc(change) in times
    zone = ZoneInfo(timezone)
    assert {t.astimezone(zone).minute for t in times} == {0, 30}  # on the half hours


def test_every_30_minutes_through_the_paris_changes_in_wall_time() -> None:
    rule = interval(30, "minutes", "Europe/Paris")
    spring = [local(t, PARIS) for t in next_times(rule, utc("2026-03-29 00:00"), 3)]
    assert spring == ["2026-03-29 01:30 CET", "2026-03-29 03:00 CEST", "2026-03-29 03:30 CEST"]
    autumn = [local(t, PARIS) for t in next_times(rule, utc("2026-10-25 00:00"), 4)]
    assert autumn == [
        "2026-10-25 02:30 CEST",
        "2026-10-25 02:00 CET",  # the repeated hour runs twice: real time goes on
        "2026-10-25 02:30 CET",
        "2026-10-25 03:00 CET",
    ]


def test_every_2_hours_keeps_real_spacing_so_the_local_hours_shift() -> None:
    rule = interval(2, "hours", "Europe/Paris")  # anchored in winter: even hours of CET
    times = next_times(rule, utc("2026-03-28 20:00"), 4)
    assert [local(t, PARIS) for t in times] == [
        "2026-03-28 22:00 CET",
        "2026-03-29 00:00 CET",
        "2026-03-29 03:00 CEST",
        "2026-03-29 05:00 CEST",
    ]


# -- DST: cron keeps cron's rules ------------------------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "after", "expected"),
    [
        # spring forward: 02:30 does not exist, so it runs when the clocks jump (03:00)
        ("Europe/Paris", "2026-03-28 12:00", ["2026-03-29 03:00 CEST", "2026-03-30 02:30 CEST"]),
        ("America/New_York", "2026-03-07 12:00", ["2026-03-08 03:00 EDT", "2026-03-09 02:30 EDT"]),
        # fall back: in Paris 02:30 happens twice and runs once; in New York it happens once
        ("Europe/Paris", "2026-10-24 12:00", ["2026-10-25 02:30 CEST", "2026-10-26 02:30 CET"]),
        ("America/New_York", "2026-10-31 12:00", ["2026-11-01 02:30 EST", "2026-11-02 02:30 EST"]),
    ],
)
def test_cron_0230_on_the_dst_days(timezone: str, after: str, expected: list[str]) -> None:
    rule = cron("30 2 * * *", timezone)
    zone = ZoneInfo(timezone)
    assert [local(t, zone) for t in next_times(rule, utc(after), 2)] == expected


def test_cron_at_0130_on_the_new_york_fall_back_day_runs_once() -> None:
    rule = cron("30 1 * * *", "America/New_York")
    assert fires(rule, "2026-10-31 12:00", 2) == ["2026-11-01 05:30", "2026-11-02 06:30"]
    assert fires(rule, "2026-11-01 06:10", 1) == ["2026-11-02 06:30"]  # inside the 2nd pass


def test_an_hourly_cron_follows_real_time_through_the_repeated_hour() -> None:
    rule = cron("30 * * * *", "America/New_York")
    times = next_times(rule, utc("2026-11-01 04:00"), 4)
    assert [local(t, NEW_YORK) for t in times] == [
        "2026-11-01 00:30 EDT",
        "2026-11-01 01:30 EDT",
        "2026-11-01 01:30 EST",
        "2026-11-01 02:30 EST",
    ]


# -- DST: weeks on a weekday -----------------------------------------------------------------


def test_weekly_on_sunday_at_0230_across_the_paris_spring_forward() -> None:
    rule = interval(1, "weeks", "Europe/Paris", at="02:30", weekday="sunday")
    times = next_times(rule, utc("2026-03-20 00:00"), 3)
    assert [local(t, PARIS) for t in times] == [
        "2026-03-22 02:30 CET",
        "2026-03-29 03:00 CEST",
        "2026-04-05 02:30 CEST",
    ]


def test_fortnightly_on_monday_at_0900_across_the_new_york_spring_forward() -> None:
    rule = interval(2, "weeks", "America/New_York", at="09:00", weekday="monday")
    assert rule.describe() == "every 2 weeks on Monday at 09:00 (America/New_York)"
    times = next_times(rule, utc("2026-03-01 00:00"), 3)
    assert [local(t, NEW_YORK) for t in times] == [
        "2026-03-02 09:00 EST",
        "2026-03-16 09:00 EDT",
        "2026-03-30 09:00 EDT",
    ]
    assert [t.hour for t in times] == [14, 13, 13]


def test_weekly_on_sunday_at_0130_across_the_new_york_fall_back() -> None:
    rule = interval(1, "weeks", "America/New_York", at="01:30", weekday=6)
    assert fires(rule, "2026-10-24 12:00", 3) == [
        "2026-10-25 05:30",
        "2026-11-01 05:30",
        "2026-11-08 06:30",
    ]


# -- missed slots ----------------------------------------------------------------------------


def test_after_a_week_of_downtime_a_missed_schedule_fires_once_now() -> None:
    rule = interval(15, "minutes")
    last_due = utc("2026-03-02 12:00")
    now = utc("2026-03-09 12:07:30")
    assert missed(rule, last_due, now) == now
    # ...and then carries on from now, not from the missed slots.
    assert next_times(rule, now, 1) == [utc("2026-03-09 12:15")]


def test_missed_waits_for_the_next_fire_when_none_was_missed() -> None:
    rule = interval(1, "days", at="09:00")
    assert missed(rule, utc("2026-03-05 09:00"), utc("2026-03-05 20:00")) == utc("2026-03-06 09:00")


def test_missed_counts_a_fire_exactly_at_now() -> None:
    rule = interval(1, "days", at="09:00")
    now = utc("2026-03-06 09:00")
    assert missed(rule, utc("2026-03-05 09:00"), now) == now


def test_missed_works_for_cron_in_another_time_zone() -> None:
    rule = cron("0 9 * * 1-5", "Europe/Paris")
    now = datetime(2026, 3, 16, 9, 30, tzinfo=PARIS)
    assert missed(rule, utc("2026-03-06 08:00"), now) == now
    assert missed(rule, utc("2026-03-06 08:00"), now).tzinfo is UTC


# -- properties ------------------------------------------------------------------------------

ZONES = [
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",  # half-hour DST
    "America/Santiago",  # DST at midnight
    "Pacific/Chatham",  # +12:45
]
CRONS = [
    "* * * * *",
    "*/7 * * * *",
    "30 2 * * *",
    "30 1 * * *",
    "0 9 * * 1-5",
    "15,45 */3 * * *",
    "0 0 1 * *",
    "0 12 L * *",
    "0 0 29 2 *",
    "0 8 * * MON#1",
    "0,30 1-3 * * 0",
]
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    timezone = draw(st.sampled_from(ZONES))
    anchor = draw(moments)
    if draw(st.booleans()):
        return Rule(
            kind="cron", cron=draw(st.sampled_from(CRONS)), timezone=timezone, anchor=anchor
        )
    unit = draw(st.sampled_from(UNITS))
    every = draw(st.integers(1, 400))
    at = weekday = None
    if unit in ("days", "weeks"):
        at = draw(st.none() | st.builds(time, st.integers(0, 23), st.integers(0, 59)))
    if unit == "weeks":
        weekday = draw(st.none() | st.integers(0, 6))
    return Rule(
        kind="interval",
        every=every,
        unit=unit,
        at=at,
        weekday=weekday,
        timezone=timezone,
        anchor=anchor,
    )


PROPERTIES = settings(max_examples=300, deadline=None, derandomize=True, database=None)


@PROPERTIES
@given(rules(), moments)
def test_next_times_are_increasing_and_each_ones_next_is_the_following(
    rule: Rule, after: datetime
) -> None:
    times = next_times(rule, after, 6)
    assert len(times) == 6
    assert all(t.tzinfo is UTC for t in times)
    assert times[0] > after
    assert all(a < b for a, b in pairwise(times))
    assert next_times(rule, after, 1) == times[:1]
    for a, b in pairwise(times):
        assert next_times(rule, a, 1) == [b]
    for t in times:  # nothing is skipped just before a fire time
        assert next_times(rule, t - timedelta(microseconds=1), 1) == [t]


@PROPERTIES
@given(rules(), moments)
def test_intervals_keep_their_shape(rule: Rule, after: datetime) -> None:
    times = next_times(rule, after, 4)
    if rule.kind == "cron":
        return
    zone = rule.zone
    if rule.unit in ("minutes", "hours"):
        length = rule.length
        assert all(b - a == length for a, b in pairwise(times))
        return
    days = rule.every * (7 if rule.unit == "weeks" else 1)
    at = rule.at
    assert at is not None
    for t in times:
        wall = t.astimezone(zone)
        exists = datetime.combine(wall.date(), at).replace(tzinfo=zone)
        if wall.time() == at:
            # the first occurrence when the time repeats
            assert exists.astimezone(UTC) == t
            fire_date = wall.date()
        else:
            # skipped by a DST gap: fired at the end of the gap, an hour or less later
            assert exists.astimezone(UTC).astimezone(zone).time() != at
            fire_date = wall.date() if wall.time() > at else wall.date() - timedelta(days=1)
        start = rule.anchor.astimezone(zone).date()
        if rule.weekday is not None:  # weeks count from the first weekday on or after it
            assert fire_date.weekday() == rule.weekday
            start += timedelta(days=(rule.weekday - start.weekday()) % 7)
        assert (fire_date - start).days % days == 0


@PROPERTIES
@given(rules())
def test_the_json_round_trips(rule: Rule) -> None:
    stored = json.loads(json.dumps(rule_to_json(rule)))
    again = parse_rule(stored, anchor=rule.anchor, min_interval=NO_MINIMUM)
    assert again == rule
    assert again.describe() == rule.describe()


@PROPERTIES
@given(rules(), moments, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)))
def test_missed_fires_at_most_once(rule: Rule, last_due: datetime, downtime: timedelta) -> None:
    now = last_due + downtime
    due = missed(rule, last_due, now)
    [first] = next_times(rule, last_due, 1)
    if first <= now:
        assert due == now
    else:
        assert due == first
        assert due > now


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet="0123456789*/,-LW#MONTUEJAN ?", max_size=30))
def test_any_cron_text_is_accepted_or_refused_with_a_422(text: str) -> None:
    try:
        rule = parse({"type": "cron", "cron": text})
    except DomainError as e:
        error = e
    else:
        assert next_times(rule, ANCHOR, 1)
        return
    assert (type(error), error.code) == (Invalid, "invalid_schedule")
