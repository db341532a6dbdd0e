"""Widgets: create, list, read, change, delete; versions, diffs, restores; forks; explore."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, JSONBody, Parameter

from widgetbox.host.accounts.users import User
from widgetbox.host.storage.database import Database
from widgetbox.host.tables import calls
from widgetbox.host.web.dependencies import (
    DbDep,
    OwnedWidget,
    PackagesDep,
    ReadableWidget,
    ReviewableWidget,
    TablesDep,
    Viewer,
    require_user,
)
from widgetbox.host.web.openapi import ERRORS
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.records import Widget
from widgetbox.host.widgets.schemas import (
    DiffOut,
    FileDiff,
    ForkNames,
    ForkRequest,
    NewVersion,
    NewWidget,
    Restore,
    SavedVersion,
    VersionDetail,
    VersionList,
    VersionMessage,
    VersionOut,
    WidgetChanges,
    WidgetDetail,
    WidgetList,
    WidgetOut,
    version_detail,
    version_out,
    widget_detail,
    widget_out,
)

Limit = Annotated[int, Parameter(ge=1, le=200, description="At most this many")]
Offset = Annotated[int, Parameter(ge=0, le=1_000_000, description="Skip this many")]


class WidgetController(Controller):
    """Every `/{slug}` route finds its widget through a guard: `readable_widget` (NotFound
    unless the viewer may see it) or `owned_widget` (then Forbidden unless they own it).
    Writes read it again in their own transaction (`records.fresh`)."""

    path = "/api/widgets"
    tags = ["widgets"]  # noqa: RUF012 - Litestar's declaration style

    @get("/", summary="My widgets, most recently changed first", responses=ERRORS)
    async def mine(
        self, viewer: Viewer, db: DbDep, limit: Limit = 50, offset: Offset = 0
    ) -> WidgetList:
        user = require_user(viewer)
        found = await db.read(widgets.list_owned, user.id, limit, offset)
        return WidgetList(widgets=[widget_out(w, user) for w in found], limit=limit, offset=offset)

    @post(
        "/", summary="Create a widget from its kind's template", status_code=201, responses=ERRORS
    )
    async def create(self, data: JSONBody[NewWidget], viewer: Viewer, db: DbDep) -> WidgetDetail:
        user = require_user(viewer)
        widget = await db.write(
            widgets.create, user, data.kind, data.title, data.slug, data.visibility
        )
        return await _detail(db, widget, user)

    @get("/{slug:str}", summary="A widget and its latest files", responses=ERRORS)
    async def read(
        self, readable_widget: ReadableWidget, viewer: Viewer, db: DbDep
    ) -> WidgetDetail:
        return await _detail(db, readable_widget, viewer)

    @patch(
        "/{slug:str}",
        summary="Change a widget's title, slug, visibility or persistent mode (owner)",
        responses=ERRORS,
    )
    async def change(
        self, owned_widget: OwnedWidget, data: JSONBody[WidgetChanges], viewer: Viewer, db: DbDep
    ) -> WidgetOut:
        changed = await db.write(
            widgets.update, owned_widget, data.title, data.slug, data.visibility, data.persistent
        )
        return widget_out(changed, viewer)

    @delete(
        "/{slug:str}",
        summary="Delete a widget with its versions and runs (owner)",
        status_code=204,
        responses=ERRORS,
    )
    async def remove(self, owned_widget: OwnedWidget, db: DbDep, tables: TablesDep) -> None:
        """Its Data Tables go first: a later widget given the same id never finds them."""
        await db.read(widgets.check_deletable, owned_widget)  # before its data goes
        await calls.run(tables.delete, owned_widget.id)
        await db.write(widgets.delete, owned_widget)

    @get(
        "/{slug:str}/versions",
        summary="Every saved version, newest first (owner, reviewer)",
        responses=ERRORS,
    )
    async def versions(self, reviewable_widget: ReviewableWidget, db: DbDep) -> VersionList:
        found = await db.read(widgets.versions, reviewable_widget)
        return VersionList(
            versions=[version_out(v) for v in found], head_version=reviewable_widget.head_version
        )

    @post(
        "/{slug:str}/versions",
        summary="Save: a new version of the files (owner)",
        status_code=201,
        responses=ERRORS,
    )
    async def save(
        self,
        owned_widget: OwnedWidget,
        data: JSONBody[NewVersion],
        viewer: Viewer,
        db: DbDep,
        packages: PackagesDep,
    ) -> SavedVersion:
        """Refused with 409 `version_conflict` when `base_version` is not the latest."""
        user = require_user(viewer)
        widget, number = await db.write(
            widgets.save, owned_widget, user, data.base_version, data.files, data.message
        )
        await packages.request(widget.id, number)  # installs its packages if it needs any
        return SavedVersion(widget=widget_out(widget, viewer), version=number)

    @get(
        "/{slug:str}/versions/{number:int}",
        summary="One version with its files (owner, reviewer)",
        responses=ERRORS,
    )
    async def version(
        self, reviewable_widget: ReviewableWidget, number: FromPath[int], db: DbDep
    ) -> VersionDetail:
        return version_detail(await db.read(widgets.version, reviewable_widget, number))

    @patch(
        "/{slug:str}/versions/{number:int}",
        summary="Describe a version: set its message (owner)",
        responses=ERRORS,
    )
    async def describe(
        self,
        owned_widget: OwnedWidget,
        number: FromPath[int],
        data: JSONBody[VersionMessage],
        db: DbDep,
    ) -> VersionOut:
        """A version's files never change; its message (at most 500 characters, shown as
        text) may, so a save can be described after it was made."""
        return version_out(await db.write(widgets.describe, owned_widget, number, data.message))

    @get(
        "/{slug:str}/diff",
        summary="What changed between any two versions, file by file (owner, reviewer)",
        responses=ERRORS,
    )
    async def diff(
        self,
        reviewable_widget: ReviewableWidget,
        db: DbDep,
        old: Annotated[int, Parameter(ge=1, description="The version to compare from")],
        new: Annotated[
            int | None, Parameter(ge=1, description="The version to compare to (default: latest)")
        ] = None,
    ) -> DiffOut:
        later = new or reviewable_widget.head_version
        changes = await db.read(widgets.diff, reviewable_widget, old, later)
        files = [FileDiff(**change) for change in changes]  # type: ignore[arg-type]
        return DiffOut(old=old, new=later, files=files)

    @post(
        "/{slug:str}/versions/{number:int}/restore",
        summary="Restore a version: saves its files as a new version (owner)",
        status_code=201,
        responses=ERRORS,
    )
    async def restore(
        self,
        owned_widget: OwnedWidget,
        number: FromPath[int],
        viewer: Viewer,
        db: DbDep,
        packages: PackagesDep,
        data: JSONBody[Restore],
    ) -> SavedVersion:
        """Send `{}`, or `{"base_version": n}` to refuse the restore if the widget changed."""
        user = require_user(viewer)
        widget, new = await db.write(widgets.restore, owned_widget, user, number, data.base_version)
        await packages.request(widget.id, new)
        return SavedVersion(widget=widget_out(widget, viewer), version=new)

    @get(
        "/{slug:str}/fork",
        summary="The title and a free address for your fork of a widget (suggestions)",
        responses=ERRORS,
    )
    async def fork_names(
        self, readable_widget: ReadableWidget, viewer: Viewer, db: DbDep
    ) -> ForkNames:
        """What `POST .../fork` with `{}` would name the copy; the fork dialog shows them to
        change. Addresses are global: the suggestion is free now, and checked again when
        the fork is made (409 `slug_taken`, 422 `invalid_slug`)."""
        user = require_user(viewer)
        title, slug = await db.read(widgets.fork_names, readable_widget, user)
        return ForkNames(title=title, slug=slug)

    @post(
        "/{slug:str}/fork",
        summary="Copy a widget you can read into your account",
        status_code=201,
        responses=ERRORS,
    )
    async def fork(
        self,
        readable_widget: ReadableWidget,
        data: JSONBody[ForkRequest],
        viewer: Viewer,
        db: DbDep,
        packages: PackagesDep,
        tables: TablesDep,
    ) -> WidgetDetail:
        """The copy is private, links to its origin, and takes no secrets, schedules or runs.
        Its Data Tables have the origin's schema (in the files) and no rows, unless the
        widget's owner asks for `copy_data` (403 `not_owner` for anyone else). Send `{}` for
        the default title and slug."""
        user = require_user(viewer)  # after the guard: 404 unless visible, then 403
        if data.copy_data:
            widgets.check_data_copy(readable_widget, user)
        widget = await db.write(widgets.fork, readable_widget, user, data.title, data.slug)
        try:
            if data.copy_data:
                await calls.run(tables.copy, readable_widget.id, widget.id)
            else:  # a file left by a deleted widget of the same id is not the fork's
                await calls.run(tables.delete, widget.id)
        except BaseException:
            await db.write(widgets.delete, widget)  # no fork without the data asked for
            raise
        await packages.request(widget.id, widget.head_version)
        return await _detail(db, widget, viewer)


@get(
    "/api/explore",
    tags=["widgets"],
    summary="Public widgets, most recently changed first",
    responses=ERRORS,
)
async def explore(viewer: Viewer, db: DbDep, limit: Limit = 50, offset: Offset = 0) -> WidgetList:
    found = await db.read(widgets.list_public, limit, offset)
    return WidgetList(widgets=[widget_out(w, viewer) for w in found], limit=limit, offset=offset)


async def _detail(db: Database, widget: Widget, viewer: User | None) -> WidgetDetail:
    files = await db.read(widgets.head_files, widget)
    return widget_detail(widget, viewer, files)


ROUTES = [WidgetController, explore]
