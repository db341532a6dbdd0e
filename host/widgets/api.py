"""Widgets: create, list, read, change, delete; versions, diffs, restores; forks; explore."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, delete, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, Parameter

from widgetbox.host.accounts.users import User
from widgetbox.host.packages.api import after_change
from widgetbox.host.storage.database import Database
from widgetbox.host.web.openapi import ERRORS
from widgetbox.host.web.schemas import (
    DiffOut,
    FileDiff,
    ForkRequest,
    NewVersion,
    NewWidget,
    Restore,
    SavedVersion,
    VersionDetail,
    VersionList,
    WidgetChanges,
    WidgetDetail,
    WidgetList,
    WidgetOut,
)
from widgetbox.host.web.security import Viewer, require_user
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.convert import version_detail, version_out, widget_detail, widget_out

Limit = Annotated[int, Parameter(ge=1, le=200, description="At most this many")]
Offset = Annotated[int, Parameter(ge=0, le=1_000_000, description="Skip this many")]
Slug = Annotated[str, Parameter(max_length=100, description="The widget's slug")]


def _db(state: State) -> Database:
    db: Database = state.db
    return db


class WidgetController(Controller):
    path = "/api/widgets"
    tags = ["widgets"]  # noqa: RUF012 - Litestar's declaration style

    @get("/", summary="My widgets, most recently changed first", responses=ERRORS)
    async def mine(
        self, viewer: Viewer, state: State, limit: Limit = 50, offset: Offset = 0
    ) -> WidgetList:
        user = require_user(viewer)
        found = await _db(state).read(widgets.list_owned, user.id, limit, offset)
        return WidgetList(widgets=[widget_out(w, user) for w in found], limit=limit, offset=offset)

    @post(
        "/", summary="Create a widget from its kind's template", status_code=201, responses=ERRORS
    )
    async def create(self, data: JSONBody[NewWidget], viewer: Viewer, state: State) -> WidgetDetail:
        user = require_user(viewer)
        widget = await _db(state).write(
            widgets.create, user, data.kind, data.title, data.slug, data.visibility
        )
        return await _detail(state, widget, user)

    @get("/{slug:str}", summary="A widget and its latest files", responses=ERRORS)
    async def read(self, slug: Slug, viewer: Viewer, state: State) -> WidgetDetail:
        def read(db: Any) -> WidgetDetail:
            widget = widgets.readable(db, slug, viewer)
            return widget_detail(widget, viewer, widgets.head_files(db, widget))

        return await _db(state).read(read)

    @patch(
        "/{slug:str}",
        summary="Change a widget's title, slug or visibility (owner)",
        responses=ERRORS,
    )
    async def change(
        self, slug: Slug, data: JSONBody[WidgetChanges], viewer: Viewer, state: State
    ) -> WidgetOut:
        def change(db: Any) -> widgets.Widget:
            widget = widgets.owned(db, slug, viewer)
            return widgets.update(db, widget, data.title, data.slug, data.visibility)

        return widget_out(await _db(state).write(change), viewer)

    @delete(
        "/{slug:str}",
        summary="Delete a widget with its versions and runs (owner)",
        status_code=204,
        responses=ERRORS,
    )
    async def remove(self, slug: Slug, viewer: Viewer, state: State) -> None:
        def remove(db: Any) -> None:
            widgets.delete(db, widgets.owned(db, slug, viewer))

        await _db(state).write(remove)

    @get(
        "/{slug:str}/versions",
        summary="Every saved version, newest first (owner)",
        responses=ERRORS,
    )
    async def versions(self, slug: Slug, viewer: Viewer, state: State) -> VersionList:
        def versions(db: Any) -> VersionList:
            widget = widgets.owned(db, slug, viewer)
            found = widgets.versions(db, widget)
            return VersionList(
                versions=[version_out(v) for v in found], head_version=widget.head_version
            )

        return await _db(state).read(versions)

    @post(
        "/{slug:str}/versions",
        summary="Save: a new version of the files (owner)",
        status_code=201,
        responses=ERRORS,
    )
    async def save(
        self, slug: Slug, data: JSONBody[NewVersion], viewer: Viewer, state: State
    ) -> SavedVersion:
        """Refused with 409 `version_conflict` when `base_version` is not the latest."""

        def save(db: Any) -> tuple[widgets.Widget, int]:
            widget = widgets.owned(db, slug, viewer)  # 404 unless visible, then 403 unless owner
            user = require_user(viewer)
            return widgets.save(db, widget, user, data.base_version, data.files, data.message)

        widget, number = await _db(state).write(save)
        await after_change(state, widget.id, number)  # installs its packages if it needs any
        return SavedVersion(widget=widget_out(widget, viewer), version=number)

    @get(
        "/{slug:str}/versions/{number:int}",
        summary="One version with its files (owner)",
        responses=ERRORS,
    )
    async def version(
        self, slug: Slug, number: FromPath[int], viewer: Viewer, state: State
    ) -> VersionDetail:
        def version(db: Any) -> VersionDetail:
            return version_detail(widgets.version(db, widgets.owned(db, slug, viewer), number))

        return await _db(state).read(version)

    @get("/{slug:str}/diff", summary="What changed between two versions (owner)", responses=ERRORS)
    async def diff(
        self,
        slug: Slug,
        viewer: Viewer,
        state: State,
        old: Annotated[int, Parameter(ge=1, description="The earlier version")],
        new: Annotated[
            int | None, Parameter(ge=1, description="The later version (default: latest)")
        ] = None,
    ) -> DiffOut:
        def diff(db: Any) -> DiffOut:
            widget = widgets.owned(db, slug, viewer)
            later = new or widget.head_version
            files = [FileDiff(**change) for change in widgets.diff(db, widget, old, later)]  # type: ignore[arg-type]
            return DiffOut(old=old, new=later, files=files)

        return await _db(state).read(diff)

    @post(
        "/{slug:str}/versions/{number:int}/restore",
        summary="Restore a version: saves its files as a new version (owner)",
        status_code=201,
        responses=ERRORS,
    )
    async def restore(
        self,
        slug: Slug,
        number: FromPath[int],
        viewer: Viewer,
        state: State,
        data: JSONBody[Restore],
    ) -> SavedVersion:
        """Send `{}`, or `{"base_version": n}` to refuse the restore if the widget changed."""
        base = data.base_version

        def restore(db: Any) -> tuple[widgets.Widget, int]:
            widget = widgets.owned(db, slug, viewer)  # 404 unless visible, then 403 unless owner
            return widgets.restore(db, widget, require_user(viewer), number, base)

        widget, new = await _db(state).write(restore)
        await after_change(state, widget.id, new)
        return SavedVersion(widget=widget_out(widget, viewer), version=new)

    @post(
        "/{slug:str}/fork",
        summary="Copy a widget you can read into your account",
        status_code=201,
        responses=ERRORS,
    )
    async def fork(
        self, slug: Slug, data: JSONBody[ForkRequest], viewer: Viewer, state: State
    ) -> WidgetDetail:
        """The copy is private, links to its origin, and takes no secrets, schedules or runs.
        Send `{}` for the default title and slug."""
        title, new_slug = data.title, data.slug

        def fork(db: Any) -> widgets.Widget:
            origin = widgets.readable(db, slug, viewer)  # 404 unless visible
            return widgets.fork(db, origin, require_user(viewer), title, new_slug)  # then 403

        widget = await _db(state).write(fork)
        await after_change(state, widget.id, widget.head_version)
        return await _detail(state, widget, viewer)


@get(
    "/api/explore",
    tags=["widgets"],
    summary="Public widgets, most recently changed first",
    responses=ERRORS,
)
async def explore(
    viewer: Viewer, state: State, limit: Limit = 50, offset: Offset = 0
) -> WidgetList:
    found = await _db(state).read(widgets.list_public, limit, offset)
    return WidgetList(widgets=[widget_out(w, viewer) for w in found], limit=limit, offset=offset)


async def _detail(state: State, widget: widgets.Widget, viewer: User | None) -> WidgetDetail:
    files = await _db(state).read(widgets.head_files, widget)
    return widget_detail(widget, viewer, files)
