"""Schedules: preview a rule's next fire times, set, pause, resume and remove a task's schedule."""

from __future__ import annotations

from datetime import timedelta

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from widgetbox.host import schedules
from widgetbox.host.config import Config
from widgetbox.host.errors import Invalid, NotFound
from widgetbox.host.schedules import records
from widgetbox.host.schedules.scheduler import Scheduler
from widgetbox.host.schedules.schemas import ScheduleOut, SchedulePreview, ScheduleRule
from widgetbox.host.storage.database import Database
from widgetbox.host.storage.times import iso
from widgetbox.host.tokens.scopes import READ, TOKEN_SCOPE
from widgetbox.host.web.dependencies import (
    ConfigDep,
    DbDep,
    OwnedWidget,
    SchedulerDep,
    Viewer,
    require_user,
)
from widgetbox.host.web.openapi import ERRORS
from widgetbox.host.widgets.records import Widget

UPCOMING = 5


def _rule(scheduler: Scheduler, config: Config, data: ScheduleRule) -> schedules.Rule:
    fields = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
    return schedules.parse_rule(
        fields,
        anchor=scheduler.clock.now(),
        min_interval=timedelta(minutes=config.runs.min_schedule_minutes),
    )


def _out(scheduler: Scheduler, found: records.Schedule) -> ScheduleOut:
    upcoming = (
        [] if found.paused else schedules.next_times(found.rule, scheduler.clock.now(), UPCOMING)
    )
    return ScheduleOut(
        rule=schedules.rule_to_json(found.rule),
        description=found.rule.describe(),
        timezone=found.rule.timezone,
        paused=found.paused,
        next_run_at=found.next_run_at,
        last_run_at=found.last_run_at,
        next=[iso(moment) for moment in upcoming],
    )


@post(
    "/api/schedules/preview",
    tags=["schedules"],
    summary="The next five fire times of a rule",
    status_code=200,
    responses=ERRORS,
    opt={TOKEN_SCOPE: READ},  # a POST that changes nothing
)
async def preview(
    data: JSONBody[ScheduleRule], viewer: Viewer, scheduler: SchedulerDep, config: ConfigDep
) -> SchedulePreview:
    """Check a rule before saving it: invalid rules answer 422 with what to fix."""
    require_user(viewer)
    rule = _rule(scheduler, config, data)
    upcoming = schedules.next_times(rule, scheduler.clock.now(), UPCOMING)
    return SchedulePreview(description=rule.describe(), next=[iso(moment) for moment in upcoming])


async def scheduled_task(owned_widget: OwnedWidget) -> Widget:
    """The owner's widget, which must be a scheduled task (422 `not_a_task` otherwise)."""
    if owned_widget.kind != "scheduled":
        raise Invalid("not_a_task", "Only scheduled-task widgets have a schedule.")
    return owned_widget


Task = NamedDependency[Widget]


class WidgetSchedule(Controller):
    """Every route finds its task through the `task` guard; changes are one write each, after
    which the scheduler is woken to look at the new fire times."""

    path = "/api/widgets/{slug:str}/schedule"
    tags = ["schedules"]  # noqa: RUF012 - Litestar's declaration style
    dependencies = {"task": Provide(scheduled_task)}  # noqa: RUF012

    @get("/", summary="The task's schedule (owner)", responses=ERRORS)
    async def read(self, task: Task, db: DbDep, scheduler: SchedulerDep) -> ScheduleOut:
        found = await db.read(records.get, task)
        if found is None:
            raise NotFound("no_schedule", f"{task.slug!r} has no schedule yet.")
        return _out(scheduler, found)

    @put("/", summary="Set the task's schedule (owner)", responses=ERRORS)
    async def set(
        self,
        task: Task,
        data: JSONBody[ScheduleRule],
        db: DbDep,
        scheduler: SchedulerDep,
        config: ConfigDep,
    ) -> ScheduleOut:
        rule = _rule(scheduler, config, data)
        found = await db.write(records.put, task, rule, scheduler.clock.now())
        scheduler.poke()
        return _out(scheduler, found)

    @post("/pause", summary="Pause the schedule (owner)", status_code=200, responses=ERRORS)
    async def pause(self, task: Task, db: DbDep, scheduler: SchedulerDep) -> ScheduleOut:
        return await _set_paused(task, db, scheduler, paused=True)

    @post(
        "/resume",
        summary="Resume the schedule from now on (owner)",
        status_code=200,
        responses=ERRORS,
    )
    async def resume(self, task: Task, db: DbDep, scheduler: SchedulerDep) -> ScheduleOut:
        return await _set_paused(task, db, scheduler, paused=False)

    @delete("/", summary="Remove the schedule (owner)", status_code=204, responses=ERRORS)
    async def remove(self, task: Task, db: DbDep, scheduler: SchedulerDep) -> None:
        await db.write(records.delete, task)
        scheduler.poke()


async def _set_paused(
    task: Widget, db: Database, scheduler: Scheduler, *, paused: bool
) -> ScheduleOut:
    found = await db.write(records.set_paused, task, paused, scheduler.clock.now())
    scheduler.poke()
    return _out(scheduler, found)


ROUTES = [WidgetSchedule, preview]
