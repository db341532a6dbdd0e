"""A scheduled task's schedule page in the IDE (owner only): set the rule (the next five
fire times shown first), pause, resume."""

from __future__ import annotations

from zoneinfo import available_timezones

from litestar import get
from litestar.response import Template

from widgetbox.host import schedules
from widgetbox.host.errors import NotFound
from widgetbox.host.schedules import records
from widgetbox.host.storage.times import iso
from widgetbox.host.web.dependencies import ConfigDep, DbDep, OwnedWidget, SchedulerDep, Viewer
from widgetbox.host.widgets.pages import widget_page

UPCOMING = 5


@get("/widgets/{slug:str}/schedule", include_in_schema=False)
async def schedule(
    owned_widget: OwnedWidget,
    viewer: Viewer,
    db: DbDep,
    config: ConfigDep,
    scheduler: SchedulerDep,
) -> Template:
    """The task's schedule: set it (with the next five fire times first), pause, resume."""
    widget = owned_widget
    if widget.kind != "scheduled":
        raise NotFound("not_a_task", "Only scheduled-task widgets have a schedule.")
    found = await db.read(records.get, widget)
    current = None
    if found is not None:
        upcoming = (
            []
            if found.paused
            else schedules.next_times(found.rule, scheduler.clock.now(), UPCOMING)
        )
        current = {
            "rule": schedules.rule_to_json(found.rule),
            "description": found.rule.describe(),
            "timezone": found.rule.timezone,
            "paused": found.paused,
            "next_run_at": found.next_run_at,
            "last_run_at": found.last_run_at,
            "next": [iso(moment) for moment in upcoming],
        }
    return widget_page(
        "widget/schedule.html",
        widget,
        viewer,
        "pages/schedule.js",
        {"schedule": current},
        schedule=current,
        zones=_zones(),
        weekdays=schedules.WEEKDAYS,
        min_minutes=config.runs.min_schedule_minutes,
        active="schedule",
    )


_ZONES: list[str] = []


def _zones() -> list[str]:
    """IANA time zone names of places, UTC first (read once). The legacy aliases ("EST5EDT",
    "Etc/GMT+5", whose sign is the reverse of what people expect) are left out."""
    if not _ZONES:
        names = sorted(
            name for name in available_timezones() if "/" in name and not name.startswith("Etc/")
        )
        _ZONES.extend(["UTC", *(name for name in names if name != "UTC")])
    return _ZONES


PAGES = [schedule]
