"""Scheduled tasks: the rules that say when a scheduled widget runs, their stored schedules,
and the loop that fires them. See ARCHITECTURE.md ("Running widgets": Schedules).

    rules.py        what a person sends, checked into a `Rule` (interval or cron, time
                    zone, shortest interval); the stored JSON form
    fire_times.py   when a rule fires: the next fire times, a missed fire after downtime,
                    DST gaps and repeats
    records.py      stored schedules (SQLite): get, put, pause and resume, delete; the due
                    ones, the earliest, advancing after a fire
    scheduler.py    the loop that fires due tasks through the runner, on a `Clock`
    api.py          the JSON API: preview a rule, set, pause, resume and remove a schedule
    schemas.py      the API's message shapes
    pages.py        the schedule page in the IDE
"""

from widgetbox.host.schedules import records
from widgetbox.host.schedules.fire_times import missed, next_times
from widgetbox.host.schedules.records import Schedule
from widgetbox.host.schedules.rules import (
    KINDS,
    MAX_EVERY,
    UNITS,
    WEEKDAYS,
    Kind,
    Rule,
    Unit,
    parse_rule,
    rule_to_json,
)
from widgetbox.host.schedules.scheduler import POLL, Clock, Scheduler, SystemClock

__all__ = [
    "KINDS",
    "MAX_EVERY",
    "POLL",
    "UNITS",
    "WEEKDAYS",
    "Clock",
    "Kind",
    "Rule",
    "Schedule",
    "Scheduler",
    "SystemClock",
    "Unit",
    "missed",
    "next_times",
    "parse_rule",
    "records",
    "rule_to_json",
]
