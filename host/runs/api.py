"""Runs: start a script, watch it live, cancel it, read the history and the logs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, Parameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from widgetbox.host.errors import Forbidden, Invalid, LoginRequired
from widgetbox.host.runs import records as runs
from widgetbox.host.runs.runner import Runner
from widgetbox.host.storage.database import Database
from widgetbox.host.web.openapi import ERRORS
from widgetbox.host.web.schemas import (
    Cancelled,
    ErrorOut,
    FrameOut,
    RunDetail,
    RunList,
    RunOut,
    UserErrorOut,
)
from widgetbox.host.web.security import Viewer
from widgetbox.host.widgets import records as widgets

Limit = Annotated[int, Parameter(ge=1, le=200, description="At most this many")]
Offset = Annotated[int, Parameter(ge=0, le=1_000_000, description="Skip this many")]
Slug = Annotated[str, Parameter(max_length=100, description="The widget's slug")]
RUNNABLE = ("script", "scheduled")
START_ERRORS = {
    **ERRORS,
    503: ResponseSpec(
        data_container=ErrorOut,
        description="Too many runs are waiting; try again after `Retry-After` seconds.",
    ),
}


def run_out(run: runs.Run) -> RunOut:
    return RunOut(**{field: getattr(run, field) for field in RunOut.__struct_fields__})


def run_detail(run: runs.Run) -> RunDetail:
    error = None
    if run.error:
        error = UserErrorOut(
            type=run.error["type"],
            message=run.error["message"],
            traceback=run.error["traceback"],
            lineno=run.error.get("lineno"),
            frames=[FrameOut(**frame) for frame in run.error.get("frames", [])],
        )
    return RunDetail(
        **msgspec.structs.asdict(run_out(run)), stdout=run.stdout, stderr=run.stderr, error=error
    )


class WidgetRuns(Controller):
    path = "/api/widgets/{slug:str}"
    tags = ["runs"]  # noqa: RUF012 - Litestar's declaration style

    @post(
        "/runs",
        summary="Run the widget's latest version (owner)",
        status_code=202,
        responses=START_ERRORS,
    )
    async def start(self, slug: Slug, viewer: Viewer, state: State) -> RunOut:
        """The run is queued and executes in a fresh sandbox; follow it at
        `/api/runs/{id}/events`. Anyone but the owner is refused and may fork instead."""
        db: Database = state.db
        runner: Runner = state.runner

        def find(db: Any) -> widgets.Widget:
            widget = widgets.readable(db, slug, viewer)
            if viewer is None:  # as for every owner-only action: log in first
                raise LoginRequired("login_required", "Log in to do this.")
            if not widgets.is_owner(widget, viewer):
                raise Forbidden(
                    "not_owner",
                    "Only the owner can run this widget; fork it to run your own copy.",
                )
            if widget.kind not in RUNNABLE:
                raise Invalid(
                    "not_runnable",
                    f"A {widget.kind} widget is not run with Run: it answers requests.",
                )
            return widget

        widget = await db.read(find)
        run_id = await runner.start(widget, viewer, "manual")  # Busy, TooMany: answered as such
        return run_out(await db.read(runs.get, run_id, viewer))

    @get("/runs", summary="The widget's run history, newest first (owner)", responses=ERRORS)
    async def history(
        self, slug: Slug, viewer: Viewer, state: State, limit: Limit = 50, offset: Offset = 0
    ) -> RunList:
        return await _listing(state, slug, viewer, runs.HISTORY_TRIGGERS, limit, offset)

    @get(
        "/logs",
        summary="The widget's HTTP requests and server calls, newest first (owner)",
        responses=ERRORS,
    )
    async def logs(
        self, slug: Slug, viewer: Viewer, state: State, limit: Limit = 50, offset: Offset = 0
    ) -> RunList:
        await state.runner.log.flush()  # the newest requests too, not only those written
        return await _listing(state, slug, viewer, runs.LOG_TRIGGERS, limit, offset)


async def _listing(
    state: State, slug: str, viewer: Any, triggers: tuple[str, ...], limit: int, offset: int
) -> RunList:
    def listing(db: Any) -> list[runs.Run]:
        return runs.listing(db, widgets.owned(db, slug, viewer), triggers, limit, offset)

    found = await state.db.read(listing)
    return RunList(runs=[run_out(run) for run in found], limit=limit, offset=offset)


class Runs(Controller):
    path = "/api/runs/{run_id:int}"
    tags = ["runs"]  # noqa: RUF012 - Litestar's declaration style

    @get("/", summary="One run with its output and error (owner)", responses=ERRORS)
    async def detail(self, run_id: FromPath[int], viewer: Viewer, state: State) -> RunDetail:
        return run_detail(await state.db.read(runs.get, run_id, viewer))

    @post(
        "/cancel", summary="Stop a queued or running run (owner)", status_code=202, responses=ERRORS
    )
    async def cancel(self, run_id: FromPath[int], viewer: Viewer, state: State) -> Cancelled:
        await state.db.read(runs.get, run_id, viewer)  # 404 unless the viewer owns it
        runner: Runner = state.runner
        return Cancelled(run=run_id, cancelled=runner.cancel(run_id))

    @get(
        "/events",
        summary="The run's status and output as Server-Sent Events (owner)",
        media_type="text/event-stream",
        response_description="A stream of Server-Sent Events: `status`, `output`, `done`",
        responses=ERRORS,
    )
    async def events(self, run_id: FromPath[int], viewer: Viewer, state: State) -> ServerSentEvent:
        """Events: `status` ({status}), `output` ({stream, text}), and a final `done` with
        the run's summary. A finished run replays its stored record."""
        run = await state.db.read(runs.get, run_id, viewer)
        channel = state.live.get(run_id)

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
                    "wall_time": run.wall_time, "fuel": run.fuel, "peak_memory": run.peak_memory,
                    "output_truncated": run.output_truncated, "error": run.error}  # fmt: skip
            yield ServerSentEventMessage(event="done", data=json.dumps(done))

        return ServerSentEvent(stream())
