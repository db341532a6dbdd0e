"""A widget's runs in the IDE (its owner, and reviewers read-only): the history of scripts
and scheduled runs, one run (live while it runs), and the logs of HTTP requests and server
calls."""

from __future__ import annotations

from litestar import get
from litestar.params import FromPath
from litestar.response import Template

from widgetbox.host.errors import NotFound
from widgetbox.host.runs import records as runs
from widgetbox.host.web.dependencies import DbDep, ReviewableWidget, RunnerDep, Viewer
from widgetbox.host.widgets.pages import widget_page

PAGE_SIZE = 50


@get("/widgets/{slug:str}/runs", include_in_schema=False)
async def history(reviewable_widget: ReviewableWidget, viewer: Viewer, db: DbDep) -> Template:
    """The widget's runs (manual and scheduled), newest first."""
    found = await db.read(runs.listing, reviewable_widget, runs.HISTORY_TRIGGERS, PAGE_SIZE, 0)
    return widget_page(
        "widget/runs.html",
        reviewable_widget,
        viewer,
        "pages/runs.js",
        runs=found,
        active="runs",
        reviewer=True,
    )


@get("/widgets/{slug:str}/runs/{run_id:int}", include_in_schema=False)
async def run(
    reviewable_widget: ReviewableWidget, run_id: FromPath[int], viewer: Viewer, db: DbDep
) -> Template:
    """One run: how it ended, its output and its error (live while it runs)."""
    found = await db.read(runs.get, run_id, viewer)
    if found.widget_id != reviewable_widget.id:
        raise NotFound("no_such_run", f"There is no run {run_id}.")
    active = "logs" if found.trigger in runs.LOG_TRIGGERS else "runs"
    data = {"run": {"id": found.id, "status": found.status, "finished": found.finished}}
    return widget_page(
        "widget/run.html",
        reviewable_widget,
        viewer,
        "pages/run.js",
        data,
        run=found,
        active=active,
        reviewer=True,
    )


@get("/widgets/{slug:str}/logs", include_in_schema=False)
async def logs(
    reviewable_widget: ReviewableWidget, viewer: Viewer, db: DbDep, runner: RunnerDep
) -> Template:
    """The widget's HTTP requests and server calls, newest first."""
    await runner.log.flush()  # the newest requests too, not only those written
    found = await db.read(runs.listing, reviewable_widget, runs.LOG_TRIGGERS, PAGE_SIZE, 0)
    return widget_page(
        "widget/logs.html",
        reviewable_widget,
        viewer,
        "pages/runs.js",
        runs=found,
        active="logs",
        reviewer=True,
    )


PAGES = [history, run, logs]
