"""Runs: start a script, watch it live, cancel it, read the history and the logs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from litestar import Controller, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, Parameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from widgetbox.host.errors import Invalid
from widgetbox.host.runs import records as runs
from widgetbox.host.runs.schemas import Cancelled, RunDetail, RunList, RunOut, run_detail, run_out
from widgetbox.host.tokens.scopes import RUN, TOKEN_SCOPE
from widgetbox.host.web.dependencies import (
    DbDep,
    LiveDep,
    OwnedWidget,
    ReviewableWidget,
    RunnerDep,
    Viewer,
)
from widgetbox.host.web.openapi import ERRORS, ErrorOut

Limit = Annotated[int, Parameter(ge=1, le=200, description="At most this many")]
Offset = Annotated[int, Parameter(ge=0, le=1_000_000, description="Skip this many")]
RUNNABLE = ("script", "scheduled")
START_ERRORS = {
    **ERRORS,
    503: ResponseSpec(
        data_container=ErrorOut,
        description="Too many runs are waiting; try again after `Retry-After` seconds.",
    ),
}


class WidgetRuns(Controller):
    path = "/api/widgets/{slug:str}"
    tags = ["runs"]  # noqa: RUF012 - Litestar's declaration style

    @post(
        "/runs",
        summary="Run the widget's latest version (owner)",
        status_code=202,
        responses=START_ERRORS,
        opt={TOKEN_SCOPE: RUN},
    )
    async def start(
        self, owned_widget: OwnedWidget, viewer: Viewer, db: DbDep, runner: RunnerDep
    ) -> RunOut:
        """The run is queued and executes in a fresh sandbox; follow it at
        `/api/runs/{id}/events`. Anyone but the owner is refused and may fork instead."""
        if owned_widget.kind not in RUNNABLE:
            raise Invalid(
                "not_runnable",
                f"A {owned_widget.kind} widget is not run with Run: it answers requests.",
            )
        run_id = await runner.start(owned_widget, viewer, "manual")  # Busy, TooMany: answered
        return run_out(await db.read(runs.get, run_id, viewer))

    @get(
        "/runs",
        summary="The widget's run history, newest first (owner, reviewer)",
        responses=ERRORS,
    )
    async def history(
        self, reviewable_widget: ReviewableWidget, db: DbDep, limit: Limit = 50, offset: Offset = 0
    ) -> RunList:
        found = await db.read(runs.listing, reviewable_widget, runs.HISTORY_TRIGGERS, limit, offset)
        return RunList(runs=[run_out(run) for run in found], limit=limit, offset=offset)

    @get(
        "/logs",
        summary="The widget's HTTP requests and server calls, newest first (owner, reviewer)",
        responses=ERRORS,
    )
    async def logs(
        self,
        reviewable_widget: ReviewableWidget,
        db: DbDep,
        runner: RunnerDep,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> RunList:
        await runner.log.flush()  # the newest requests too, not only those written
        found = await db.read(runs.listing, reviewable_widget, runs.LOG_TRIGGERS, limit, offset)
        return RunList(runs=[run_out(run) for run in found], limit=limit, offset=offset)


class Runs(Controller):
    path = "/api/runs/{run_id:int}"
    tags = ["runs"]  # noqa: RUF012 - Litestar's declaration style

    @get("/", summary="One run with its output and error (owner, reviewer)", responses=ERRORS)
    async def detail(self, run_id: FromPath[int], viewer: Viewer, db: DbDep) -> RunDetail:
        return run_detail(await db.read(runs.get, run_id, viewer))

    @post(
        "/cancel",
        summary="Stop a queued or running run (owner)",
        status_code=202,
        responses=ERRORS,
        opt={TOKEN_SCOPE: RUN},
    )
    async def cancel(
        self, run_id: FromPath[int], viewer: Viewer, db: DbDep, runner: RunnerDep
    ) -> Cancelled:
        await db.read(runs.get, run_id, viewer, "own")  # NotFound, Forbidden unless owned
        return Cancelled(run=run_id, cancelled=runner.cancel(run_id))

    @get(
        "/events",
        summary="The run's status and output as Server-Sent Events (owner, reviewer)",
        media_type="text/event-stream",
        response_description="A stream of Server-Sent Events: `status`, `output`, `done`",
        responses=ERRORS,
    )
    async def events(
        self, run_id: FromPath[int], viewer: Viewer, db: DbDep, live: LiveDep
    ) -> ServerSentEvent:
        """Events: `status` ({status}), `output` ({stream, text}: what was printed since the
        last output event, sent every 50 ms at most, split where stdout and stderr take
        turns), and a final `done` with the run's summary. A finished run replays its stored
        record."""
        run = await db.read(runs.get, run_id, viewer)
        channel = live.get(run_id)

        async def stream() -> AsyncIterator[ServerSentEventMessage]:
            if channel is not None:
                async for event in channel.events():
                    yield ServerSentEventMessage(event=event.kind, data=json.dumps(event.data))
                return
            yield ServerSentEventMessage(event="status", data=json.dumps({"status": run.status}))
            for stream_name, text in (("stdout", run.stdout), ("stderr", run.stderr)):
                if text:
                    data = json.dumps({"stream": stream_name, "text": text})
                    yield ServerSentEventMessage(event="output", data=data)
            done = {"run": run.id, "status": run.status, "message": run.message,
                    "wall_time": run.wall_time, "fuel": run.fuel, "cpu_ms": run.cpu_ms,
                    "peak_memory": run.peak_memory,
                    "output_truncated": run.output_truncated, "error": run.error}  # fmt: skip
            yield ServerSentEventMessage(event="done", data=json.dumps(done))

        return ServerSentEvent(stream())


ROUTES = [WidgetRuns, Runs]
