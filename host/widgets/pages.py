"""A widget's pages: its code (the editor with the run console or the "try it" panel), its
runs and one run, its HTTP requests, versions, schedule and settings. Everyone who may read
a widget sees its code, read-only unless they own it; the other pages are the owner's."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import available_timezones

import msgspec
from litestar import get
from litestar.datastructures import State
from litestar.params import FromPath, Parameter
from litestar.response import Template

from widgetbox.host.accounts.users import User, iso
from widgetbox.host.config import Config
from widgetbox.host.endpoints.serve import PREFIX as API_PREFIX
from widgetbox.host.errors import NotFound
from widgetbox.host.runs import records as runs
from widgetbox.host.schedules import rules as schedules
from widgetbox.host.schedules import scheduler
from widgetbox.host.secrets import store as secrets
from widgetbox.host.web.rendering import db, page
from widgetbox.host.web.security import Viewer
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.convert import widget_out
from widgetbox.host.widgets.records import Widget

Slug = Annotated[str, Parameter(max_length=100)]
RUNNABLE = ("script", "scheduled")
PAGE_SIZE = 50
UPCOMING = 5


def _tabs(widget: Widget, viewer: User | None) -> list[tuple[str, str]]:
    """(path under the widget, label) of the tabs the viewer may open."""
    if not widgets.is_owner(widget, viewer):
        return []
    base = f"/widgets/{widget.slug}"
    tabs = [(base, "Code")]
    if widget.kind in RUNNABLE:
        tabs.append((f"{base}/runs", "Runs"))
    if widget.kind == "scheduled":
        tabs.append((f"{base}/schedule", "Schedule"))
    if widget.kind in ("http", "gui"):
        tabs.append((f"{base}/logs", "Requests"))
    tabs += [(f"{base}/versions", "Versions"), (f"{base}/settings", "Settings")]
    return tabs


def _widget_page(
    template: str,
    widget: Widget,
    viewer: User | None,
    script: str = "pages/common.js",
    data: dict[str, Any] | None = None,
    style_nonce: bool = False,
    **context: Any,
) -> Template:
    info = msgspec.to_builtins(widget_out(widget, viewer))
    return page(
        template,
        viewer,
        script,
        data={"widget": info, **(data or {})},
        style_nonce=style_nonce,
        widget=widget,
        can_edit=info["can_edit"],
        tabs=_tabs(widget, viewer),
        **context,
    )


def _public_url(state: State, widget: Widget) -> str:
    config: Config = state.config
    return f"{config.origin}{API_PREFIX}{widget.slug}"


@get("/widgets/{slug:str}", include_in_schema=False)
async def code(slug: Slug, viewer: Viewer, state: State) -> Template:
    """The editor; for scripts and tasks the run console, for HTTP APIs "try it"."""

    def read(database: Any) -> tuple[Widget, dict[str, str], int | None, Any]:
        widget = widgets.readable(database, slug, viewer)
        files = widgets.head_files(database, widget)
        last = None
        task = None
        if widgets.is_owner(widget, viewer) and widget.kind in RUNNABLE:
            found = runs.listing(database, widget, runs.HISTORY_TRIGGERS, 1, 0)
            last = found[0].id if found else None
        if widgets.is_owner(widget, viewer) and widget.kind == "scheduled":
            task = scheduler.get(database, widget)
        return widget, files, last, task

    widget, files, last, task = await db(state).read(read)
    if widget.kind == "gui":
        return _design_page(state, widget, viewer, files)
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
        "public_url": _public_url(state, widget),
        "api_path": f"{API_PREFIX}{widget.slug}",
    }
    return _widget_page(
        "widget/code.html",
        widget,
        viewer,
        "pages/code.js",
        data,
        style_nonce=True,
        files=files,
        schedule=schedule,
        public_url=_public_url(state, widget),
        runnable=widget.kind in RUNNABLE,
        active="code",
    )


def _design_page(
    state: State, widget: Widget, viewer: User | None, files: dict[str, str]
) -> Template:
    """A GUI widget's page: the designer and the code editor. Its live preview runs on the
    app's own origin, in a frame this page may hold (and nothing else)."""
    config: Config = state.config
    app_origin = config.app_origin(widget.slug)
    data = {
        "files": files,
        "app_origin": app_origin,
        "preview_url": f"/widgets/{widget.slug}/app?view=preview",
    }
    template = _widget_page(
        "widget/design.html",
        widget,
        viewer,
        "pages/design.js",
        data,
        style_nonce=True,
        files=files,
        active="code",
    )
    # 'self': the frame opens through /widgets/<slug>/app, which hands the owner over
    template.headers["content-security-policy"] += f"; frame-src 'self' {app_origin}"
    return template


@get("/widgets/{slug:str}/runs", include_in_schema=False)
async def history(slug: Slug, viewer: Viewer, state: State) -> Template:
    """The widget's runs (manual and scheduled), newest first."""

    def read(database: Any) -> tuple[Widget, list[runs.Run]]:
        widget = widgets.owned(database, slug, viewer)
        return widget, runs.listing(database, widget, runs.HISTORY_TRIGGERS, PAGE_SIZE, 0)

    widget, found = await db(state).read(read)
    return _widget_page(
        "widget/runs.html", widget, viewer, "pages/runs.js", runs=found, active="runs"
    )


@get("/widgets/{slug:str}/runs/{run_id:int}", include_in_schema=False)
async def run(slug: Slug, run_id: FromPath[int], viewer: Viewer, state: State) -> Template:
    """One run: how it ended, its output and its error (live while it runs)."""

    def read(database: Any) -> tuple[Widget, runs.Run]:
        widget = widgets.owned(database, slug, viewer)
        found = runs.get(database, run_id, viewer)
        if found.widget_id != widget.id:
            raise NotFound("no_such_run", f"There is no run {run_id}.")
        return widget, found

    widget, found = await db(state).read(read)
    active = "logs" if found.trigger in runs.LOG_TRIGGERS else "runs"
    data = {"run": {"id": found.id, "status": found.status, "finished": found.finished}}
    return _widget_page(
        "widget/run.html", widget, viewer, "pages/run.js", data, run=found, active=active
    )


@get("/widgets/{slug:str}/logs", include_in_schema=False)
async def logs(slug: Slug, viewer: Viewer, state: State) -> Template:
    """The widget's HTTP requests and server calls, newest first."""
    await state.runner.log.flush()  # the newest requests too, not only those written

    def read(database: Any) -> tuple[Widget, list[runs.Run]]:
        widget = widgets.owned(database, slug, viewer)
        return widget, runs.listing(database, widget, runs.LOG_TRIGGERS, PAGE_SIZE, 0)

    widget, found = await db(state).read(read)
    return _widget_page(
        "widget/logs.html", widget, viewer, "pages/runs.js", runs=found, active="logs"
    )


@get("/widgets/{slug:str}/versions", include_in_schema=False)
async def versions(slug: Slug, viewer: Viewer, state: State) -> Template:
    """Every saved version; a diff of any against the latest; restore."""

    def read(database: Any) -> tuple[Widget, list[widgets.Version]]:
        widget = widgets.owned(database, slug, viewer)
        return widget, widgets.versions(database, widget)

    widget, found = await db(state).read(read)
    return _widget_page(
        "widget/versions.html",
        widget,
        viewer,
        "pages/versions.js",
        {"head_version": widget.head_version},
        versions=found,
        active="versions",
    )


@get("/widgets/{slug:str}/schedule", include_in_schema=False)
async def schedule(slug: Slug, viewer: Viewer, state: State) -> Template:
    """The task's schedule: set it (with the next five fire times first), pause, resume."""

    def read(database: Any) -> tuple[Widget, scheduler.Schedule | None]:
        widget = widgets.owned(database, slug, viewer)
        if widget.kind != "scheduled":
            raise NotFound("not_a_task", "Only scheduled-task widgets have a schedule.")
        return widget, scheduler.get(database, widget)

    widget, found = await db(state).read(read)
    current = None
    if found is not None:
        upcoming = (
            []
            if found.paused
            else schedules.next_times(found.rule, state.scheduler.clock.now(), UPCOMING)
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
    config: Config = state.config
    return _widget_page(
        "widget/schedule.html",
        widget,
        viewer,
        "pages/schedule.js",
        {"schedule": current},
        schedule=current,
        zones=_zones(),
        weekdays=schedules.WEEKDAYS,
        min_minutes=config.min_schedule_minutes,
        active="schedule",
    )


@get("/widgets/{slug:str}/settings", include_in_schema=False)
async def settings(slug: Slug, viewer: Viewer, state: State) -> Template:
    """Title, slug, visibility, secrets, and deleting the widget."""

    def read(database: Any) -> tuple[Widget, list[secrets.SecretInfo]]:
        widget = widgets.owned(database, slug, viewer)
        return widget, secrets.list_secrets(database, widget.id)

    widget, found = await db(state).read(read)
    return _widget_page(
        "widget/settings.html",
        widget,
        viewer,
        "pages/settings.js",
        secrets=found,
        max_secret_name=secrets.MAX_NAME,
        active="settings",
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


ROUTES = [code, history, run, logs, versions, schedule, settings]
