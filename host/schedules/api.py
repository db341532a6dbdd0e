"""Schedules: preview a rule's next fire times, set, pause, resume and remove a task's schedule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.datastructures import State
from litestar.params import JSONBody, Parameter

from widgetbox.host.accounts.users import iso
from widgetbox.host.config import Config
from widgetbox.host.errors import Invalid, NotFound
from widgetbox.host.schedules import rules as schedules
from widgetbox.host.schedules import scheduler
from widgetbox.host.web.openapi import ERRORS
from widgetbox.host.web.schemas import ScheduleOut, SchedulePreview, ScheduleRule
from widgetbox.host.web.security import Viewer, require_user
from widgetbox.host.widgets import records as widgets

Slug = Annotated[str, Parameter(max_length=100, description="The widget's slug")]
UPCOMING = 5


def _rule(state: State, data: ScheduleRule) -> schedules.Rule:
    config: Config = state.config
    fields = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
    return schedules.parse_rule(
        fields,
        anchor=state.scheduler.clock.now(),
        min_interval=timedelta(minutes=config.min_schedule_minutes),
    )


def _out(state: State, found: scheduler.Schedule) -> ScheduleOut:
    upcoming = (
        []
        if found.paused
        else schedules.next_times(found.rule, state.scheduler.clock.now(), UPCOMING)
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
)
async def preview(data: JSONBody[ScheduleRule], viewer: Viewer, state: State) -> SchedulePreview:
    """Check a rule before saving it: invalid rules answer 422 with what to fix."""
    require_user(viewer)
    rule = _rule(state, data)
    upcoming = schedules.next_times(rule, state.scheduler.clock.now(), UPCOMING)
    return SchedulePreview(description=rule.describe(), next=[iso(moment) for moment in upcoming])


def _task(db: Any, slug: str, viewer: Any) -> widgets.Widget:
    widget = widgets.owned(db, slug, viewer)
    if widget.kind != "scheduled":
        raise Invalid("not_a_task", "Only scheduled-task widgets have a schedule.")
    return widget


async def _change(
    state: State,
    slug: str,
    viewer: Any,
    change: Callable[[Any, widgets.Widget, datetime], scheduler.Schedule],
) -> ScheduleOut:
    """Apply `change(db, task, now)` to the owner's task in one write; wake the scheduler."""
    now = state.scheduler.clock.now()
    found = await state.db.write(lambda db: change(db, _task(db, slug, viewer), now))
    state.scheduler.poke()
    return _out(state, found)


class WidgetSchedule(Controller):
    path = "/api/widgets/{slug:str}/schedule"
    tags = ["schedules"]  # noqa: RUF012 - Litestar's declaration style

    @get("/", summary="The task's schedule (owner)", responses=ERRORS)
    async def read(self, slug: Slug, viewer: Viewer, state: State) -> ScheduleOut:
        def read(db: Any) -> scheduler.Schedule:
            found = scheduler.get(db, _task(db, slug, viewer))
            if found is None:
                raise NotFound("no_schedule", f"{slug!r} has no schedule yet.")
            return found

        return _out(state, await state.db.read(read))

    @put("/", summary="Set the task's schedule (owner)", responses=ERRORS)
    async def set(
        self, slug: Slug, data: JSONBody[ScheduleRule], viewer: Viewer, state: State
    ) -> ScheduleOut:
        rule = _rule(state, data)
        return await _change(
            state, slug, viewer, lambda db, task, now: scheduler.put(db, task, rule, now)
        )

    @post("/pause", summary="Pause the schedule (owner)", status_code=200, responses=ERRORS)
    async def pause(self, slug: Slug, viewer: Viewer, state: State) -> ScheduleOut:
        return await self._set_paused(slug, viewer, state, True)

    @post(
        "/resume",
        summary="Resume the schedule from now on (owner)",
        status_code=200,
        responses=ERRORS,
    )
    async def resume(self, slug: Slug, viewer: Viewer, state: State) -> ScheduleOut:
        return await self._set_paused(slug, viewer, state, False)

    async def _set_paused(self, slug: str, viewer: Any, state: State, paused: bool) -> ScheduleOut:
        return await _change(
            state, slug, viewer, lambda db, task, now: scheduler.set_paused(db, task, paused, now)
        )

    @delete("/", summary="Remove the schedule (owner)", status_code=204, responses=ERRORS)
    async def remove(self, slug: Slug, viewer: Viewer, state: State) -> None:
        def remove(db: Any) -> None:
            scheduler.delete(db, _task(db, slug, viewer))

        await state.db.write(remove)
        state.scheduler.poke()


async def _set_paused(slug: str, viewer: Any, state: State, *, paused: bool) -> ScheduleOut:
    now = state.scheduler.clock.now()

    def change(db: Any) -> scheduler.Schedule:
        return scheduler.set_paused(db, _task(db, slug, viewer), paused, now)

    found = await state.db.write(change)
    state.scheduler.poke()
    return _out(state, found)
