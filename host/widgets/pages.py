"""The widget pages of the IDE: the dashboard (with the landing page for visitors), the
first-run page, creating a widget, exploring public ones, and a widget's own pages: its code
(the editor with the run console, "try it", or the GUI designer), versions and settings.
Everyone who may read a widget sees its code, read-only unless they own it; the other pages
are the owner's. `widget_page` is the frame every widget page shares (runs and schedules
use it too)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
import sqlite_utils
from litestar import get
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Template

from widgetbox.host import secrets
from widgetbox.host.accounts import users as accounts
from widgetbox.host.accounts.users import User
from widgetbox.host.config import Config
from widgetbox.host.courses import access as course_access
from widgetbox.host.courses import assignments as course_assignments
from widgetbox.host.courses import feedback as course_feedback
from widgetbox.host.endpoints.serve import PREFIX as API_PREFIX
from widgetbox.host.runs import records as runs
from widgetbox.host.schedules import records as schedule_records
from widgetbox.host.web.dependencies import (
    ConfigDep,
    DbDep,
    OwnedWidget,
    ReadableWidget,
    ReviewableWidget,
    Viewer,
)
from widgetbox.host.web.rendering import page, require_viewer, safe_next
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.records import Widget
from widgetbox.host.widgets.schemas import widget_out
from widgetbox.host.widgets.starters import EXAMPLES, TEMPLATES

RUNNABLE = ("script", "scheduled")


KINDS = (
    ("script", "Script", "Runs top to bottom when you click Run; output streams in live."),
    ("scheduled", "Scheduled task", "Runs like a script, on an interval or a cron rule."),
    ("http", "HTTP API", "Functions marked @route answer requests at the widget's URL."),
    ("gui", "App", "A web app: forms you design, Python in the browser and on the server."),
)
"""The kinds the IDE creates, each from its starter (`starters.TEMPLATES`)."""
NextPage = Annotated[str | None, QueryParameter(name="next", max_length=2000)]
"""Where to go after logging in (`?next=/widgets/...`)."""


@get("/", include_in_schema=False)
async def home(
    viewer: Viewer, db: DbDep, config: ConfigDep, next_: NextPage = None
) -> Template | Redirect:
    """The landing page (sign up or log in), or the dashboard once signed in."""
    if viewer is None:
        is_open = await db.read(accounts.signup_open, config.security.open_signup)
        data = {"next": safe_next(next_)}
        return page("home.html", None, "pages/home.js", data=data, signup_open=is_open)
    if next_ and safe_next(next_) != "/":
        return Redirect(safe_next(next_), status_code=303)

    def read(
        database: Any,
    ) -> tuple[list[widgets.Widget], dict[int, LastRun], dict[int, NextRun], list[Any]]:
        mine = widgets.list_owned(database, viewer.id, 200, 0)
        ids = [w.id for w in mine]
        courses = course_assignments.overview(database, viewer)
        return mine, last_runs(database, ids), next_runs(database, ids), courses

    mine, last, upcoming, courses = await db.read(read)
    return page(
        "dashboard.html",
        viewer,
        "pages/dashboard.js",
        widgets=mine,
        last_runs=last,
        next_runs=upcoming,
        kinds=KINDS,
        courses=courses,
    )


@get("/welcome", include_in_schema=False)
async def welcome(viewer: Viewer, db: DbDep) -> Template:
    """The first-run page: what to do next (the dashboard's "Getting started" link)."""
    user = require_viewer(viewer)
    mine = await db.read(widgets.list_owned, user.id, 200, 0)
    return page("welcome.html", user, kinds=KINDS, examples=examples_in(mine))


def examples_in(mine: list[Widget]) -> list[Widget]:
    """The examples (`starters.EXAMPLES`) the user still has, in their order."""
    by_name = {(widget.kind, widget.title): widget for widget in mine}
    found = (by_name.get((example.kind, example.title)) for example in EXAMPLES)
    return [widget for widget in found if widget is not None]


@get("/new", include_in_schema=False)
async def new(viewer: Viewer, kind: FromQuery[str | None] = None) -> Template:
    """Create a widget: choose its kind, title and visibility."""
    user = require_viewer(viewer)
    chosen = kind if kind in TEMPLATES else "script"
    return page("new.html", user, "pages/new.js", kinds=KINDS, chosen=chosen)


@get("/explore", include_in_schema=False)
async def explore(viewer: Viewer, db: DbDep) -> Template:
    """Public widgets, newest first."""
    found = await db.read(widgets.list_public, 200, 0)
    return page("explore.html", viewer, widgets=found)


@dataclass(frozen=True)
class LastRun:
    """The newest run of a widget: a run, a scheduled run, an HTTP request or a call."""

    id: int
    trigger: str
    status: str
    at: str
    """When it finished, or when it was queued while it is not finished."""
    wall_time: float | None


def last_runs(db: sqlite_utils.Database, widget_ids: list[int]) -> dict[int, LastRun]:
    """Each widget's newest run, by widget id (widgets that never ran are left out)."""
    if not widget_ids:
        return {}
    marks = ", ".join("?" for _ in widget_ids)
    # The query is built from "?" marks only; the ids travel as parameters.
    rows = db.execute(
        "SELECT runs.widget_id, runs.id, runs.trigger, runs.status, "  # noqa: S608
        "COALESCE(runs.finished_at, runs.queued_at), runs.wall_time FROM runs "
        "WHERE runs.id IN (SELECT MAX(id) FROM runs "
        f"WHERE widget_id IN ({marks}) GROUP BY widget_id)",
        widget_ids,
    ).fetchall()
    return {row[0]: LastRun(*row[1:]) for row in rows}


@dataclass(frozen=True)
class NextRun:
    """A scheduled task's next fire time (None: no more), or that it is paused."""

    at: str | None
    paused: bool


def next_runs(db: sqlite_utils.Database, widget_ids: list[int]) -> dict[int, NextRun]:
    """Each scheduled task's next run, by widget id (widgets without a schedule left out)."""
    if not widget_ids:
        return {}
    rows = db.execute(
        "SELECT widget_id, next_run_at, paused FROM schedules "
        "WHERE widget_id IN (SELECT value FROM json_each(?))",
        [json.dumps(widget_ids)],
    ).fetchall()
    return {row[0]: NextRun(row[1], bool(row[2])) for row in rows}


def tabs(widget: Widget, viewer: User | None, reviewer: bool = False) -> list[tuple[str, str]]:
    """(path under the widget, label) of the tabs the viewer may open: a reviewer (a teacher
    reading a student's copy) has the code, runs, requests and versions, read-only."""
    base = f"/widgets/{widget.slug}"
    if reviewer and not widgets.is_owner(widget, viewer):
        found = [(base, "Code"), (f"{base}/runs", "Runs")]
        if widget.kind in widgets.SERVING_KINDS:
            found.append((f"{base}/logs", "Requests"))
        return [*found, (f"{base}/versions", "Versions")]
    if not widgets.is_owner(widget, viewer):
        return []
    tabs = [(base, "Code"), (f"{base}/runs", "Runs")]  # every kind's background tasks
    if widget.kind == "scheduled":
        tabs.append((f"{base}/schedule", "Schedule"))
    if widget.kind in widgets.SERVING_KINDS:
        tabs.append((f"{base}/logs", "Requests"))
    tabs += [
        (f"{base}/data", "Data"),
        (f"{base}/versions", "Versions"),
        (f"{base}/settings", "Settings"),
    ]
    return tabs


def widget_page(
    template: str,
    widget: Widget,
    viewer: User | None,
    script: str = "pages/common.js",
    data: dict[str, Any] | None = None,
    style_nonce: bool = False,
    reviewer: bool = False,
    **context: Any,
) -> Template:
    """`reviewer`: the viewer came through the review guard (or is known to review it)."""
    info = msgspec.to_builtins(widget_out(widget, viewer))
    return page(
        template,
        viewer,
        script,
        data={"widget": info, **(data or {})},
        style_nonce=style_nonce,
        widget=widget,
        can_edit=info["can_edit"],
        tabs=tabs(widget, viewer, reviewer),
        **context,
    )


def _public_url(config: Config, widget: Widget) -> str:
    return f"{config.origin}{API_PREFIX}{widget.slug}"


@get("/widgets/{slug:str}", include_in_schema=False)
async def code(
    readable_widget: ReadableWidget, viewer: Viewer, db: DbDep, config: ConfigDep
) -> Template:
    """The editor; for scripts and tasks the run console, for HTTP APIs "try it"; for GUI
    widgets the designer."""
    widget = readable_widget

    def read(
        database: sqlite_utils.Database,
    ) -> tuple[dict[str, str], int | None, Any, bool, Any]:
        files = widgets.head_files(database, widget)
        last = None
        task = None
        reviewer = widgets.reviews(database, widget, viewer)
        # the course assignment it belongs to, for its student and teachers to go back to
        assignment = (
            course_access.assignment_of(database, widget.id)
            if reviewer or widgets.is_owner(widget, viewer)
            else None
        )
        if assignment is not None and widgets.is_owner(widget, viewer):
            # the student's own copy: whether their teacher released feedback on it
            released = course_feedback.released_for_copy(database, widget.id, viewer)
            assignment = {**assignment, "feedback": released is not None}
        if widgets.is_owner(widget, viewer) and widget.kind in RUNNABLE:
            found = runs.listing(database, widget, runs.HISTORY_TRIGGERS, 1, 0)
            last = found[0].id if found else None
        if widgets.is_owner(widget, viewer) and widget.kind == "scheduled":
            task = schedule_records.get(database, widget)
        return files, last, task, reviewer, assignment

    files, last, task, reviewer, assignment = await db.read(read)
    if widget.kind == "gui":
        return _design_page(config, widget, viewer, files, reviewer, assignment)
    schedule = None
    if task is not None:
        schedule = {
            "description": task.rule.describe(),
            "paused": task.paused,
            "next_run_at": task.next_run_at,
        }
    data = {
        "files": files,
        "last_run": last,
        "public_url": _public_url(config, widget),
        "api_path": f"{API_PREFIX}{widget.slug}",
    }
    return widget_page(
        "widget/code.html",
        widget,
        viewer,
        "pages/code.js",
        data,
        style_nonce=True,
        files=files,
        schedule=schedule,
        public_url=_public_url(config, widget),
        runnable=widget.kind in RUNNABLE,
        active="code",
        reviewer=reviewer,
        assignment=assignment,
    )


def _design_page(
    config: Config,
    widget: Widget,
    viewer: User | None,
    files: dict[str, str],
    reviewer: bool,
    assignment: Any,
) -> Template:
    """A GUI widget's page: the designer and the code editor. Its live preview runs on the
    app's own origin, in a frame this page may hold (and nothing else)."""
    app_origin = config.app_origin(widget.slug)
    data = {
        "files": files,
        "app_origin": app_origin,
        "preview_url": f"/widgets/{widget.slug}/app?view=preview",
    }
    template = widget_page(
        "widget/design.html",
        widget,
        viewer,
        "pages/design.js",
        data,
        style_nonce=True,
        files=files,
        active="code",
        reviewer=reviewer,
        assignment=assignment,
    )
    # 'self': the frame opens through /widgets/<slug>/app, which hands the owner over
    template.headers["content-security-policy"] += f"; frame-src 'self' {app_origin}"
    return template


@get("/widgets/{slug:str}/versions", include_in_schema=False)
async def versions(reviewable_widget: ReviewableWidget, viewer: Viewer, db: DbDep) -> Template:
    """Every saved version; a diff of any against the latest; restore (the owner)."""
    found = await db.read(widgets.versions, reviewable_widget)
    return widget_page(
        "widget/versions.html",
        reviewable_widget,
        viewer,
        "pages/versions.js",
        {"head_version": reviewable_widget.head_version},
        reviewer=True,
        versions=found,
        active="versions",
    )


@get("/widgets/{slug:str}/settings", include_in_schema=False)
async def settings(
    owned_widget: OwnedWidget, viewer: Viewer, db: DbDep, config: ConfigDep
) -> Template:
    """Title, slug, visibility, persistent mode, secrets, and deleting the widget."""
    found = await db.read(secrets.list_secrets, owned_widget.id)
    idle = config.sandbox.persistent_idle_minutes
    return widget_page(
        "widget/settings.html",
        owned_widget,
        viewer,
        "pages/settings.js",
        secrets=found,
        max_secret_name=secrets.MAX_NAME,
        active="settings",
        persistent_requests=f"{config.sandbox.persistent_requests:,}",
        persistent_idle=f"{idle:g} minute{'' if idle == 1 else 's'}",
    )


PAGES = [home, welcome, new, explore, code, versions, settings]
