"""Import a widget from a zip (an Anvil app's folder, or a widget's folder), and export one as
a zip (an Anvil app, or a plain folder)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated, Literal

from litestar import Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter

from widgetbox.host.config import Config
from widgetbox.host.errors import Invalid
from widgetbox.host.tables import calls
from widgetbox.host.transfer import anvil_export, folders, git_clone, records, trees
from widgetbox.host.transfer.anvil_import import import_app
from widgetbox.host.transfer.report import ImportRefused, Report
from widgetbox.host.transfer.schemas import ZIP, ImportForm, ImportOut, report_lines
from widgetbox.host.transfer.trees import Bounds
from widgetbox.host.web.dependencies import (
    ConfigDep,
    DbDep,
    PackagesDep,
    ReadableWidget,
    SchedulerDep,
    TablesDep,
    Viewer,
    require_user,
)
from widgetbox.host.web.openapi import ERRORS
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.schemas import widget_out

Format = Literal["anvil", "folder"]


@post(
    "/api/imports",
    tags=["widgets"],
    summary="Import a widget from a zip or a git URL: an Anvil app or a widget's folder",
    status_code=201,
    responses=ERRORS,
)
async def import_zip(
    data: Annotated[ImportForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    viewer: Viewer,
    db: DbDep,
    packages: PackagesDep,
    tables: TablesDep,
    scheduler: SchedulerDep,
    config: ConfigDep,
) -> ImportOut:
    """Send the zip as the form's `file`, or a git URL as `git_url` (multipart/form-data).
    An Anvil app becomes a widget with a report of everything the import found; 400
    `cannot_import` lists every problem when nothing could be imported (`details.problems`,
    and the whole report in `details.report`), 400 `invalid_zip` when the archive itself is
    refused (too large, too many files, paths that leave the folder, links, encrypted).

    A git URL is cloned by the server (https or http, no credentials; the default branch's
    latest commit): 422 `invalid_git_url` (not such a URL), 403 `git_url_refused` (it
    resolves to a loopback, private or link-local address, unless the `[imports]` settings
    allow it), 400 `git_clone_failed` (not found, asks for credentials, a redirect,
    unreachable), `git_empty`, `git_too_large`, `git_timeout`, `invalid_files` (links,
    sizes, paths in the commit), 503 `git_busy`."""
    user = require_user(viewer)
    title = widgets.check_title(data.title) if data.title and data.title.strip() else None
    slug = widgets.check_slug(data.slug) if data.slug else None
    visibility = data.visibility
    read = await _read_source(data, config)
    if folders.META_FILE not in read.tree:
        imported = await asyncio.to_thread(import_app, read.tree, title)
        report = imported.report
        _left_out(report, read.left_out)
        if not report.ok:
            raise ImportRefused(report)
        minimum = timedelta(minutes=config.runs.min_schedule_minutes)
        widget = await db.write(
            records.create_imported,
            user,
            imported,
            now=scheduler.clock.now(),
            min_interval=minimum,
            slug=slug,
            visibility=visibility,
        )
        source: Literal["anvil", "folder"] = "anvil"
    else:
        folder = await asyncio.to_thread(folders.read_folder, read.tree)
        report = Report()
        report.findings("warning", folder.warnings)
        widget = await db.write(
            records.create_from_folder,
            user,
            folder,
            title=title,
            slug=slug,
            visibility=visibility,
        )
        source = "folder"
    try:  # a file left by a deleted widget of the same id is not the new one's
        await calls.run(tables.delete, widget.id)
    except BaseException:
        await db.write(widgets.delete, widget)
        raise
    scheduler.poke()
    await packages.request(widget.id, widget.head_version)
    return ImportOut(
        widget=widget_out(widget, user),
        source=source,
        report=report_lines(report),
        url=f"/widgets/{widget.slug}",
    )


async def _read_source(data: ImportForm, config: Config) -> trees.Read:
    """The files sent: a zip, or a git URL's latest commit."""
    url = data.git_url.strip() if data.git_url else ""
    if url and data.file is not None:
        raise Invalid("two_sources", "Send a zip or a git URL, not both.")
    if url:
        policy, limits = git_clone.policy_for(config), git_clone.limits_for(config)
        return await asyncio.to_thread(git_clone.clone, url, policy, limits)
    if data.file is None:
        raise Invalid("nothing_to_import", "Send a zip as `file` or a git URL as `git_url`.")
    archive = await data.file.read(Bounds().archive_bytes + 1)
    return await asyncio.to_thread(trees.read_zip, archive)


def _left_out(report: Report, paths: list[str]) -> None:
    if paths:
        shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
        report.info("", "", f"left out (version control, caches, a clone's link): {shown}")


@get(
    "/api/widgets/{slug:str}/export",
    tags=["widgets"],
    summary="A widget as a zip: an Anvil app or a plain folder",
    media_type=ZIP,
    responses=ERRORS,
)
async def export_zip(
    readable_widget: ReadableWidget,
    db: DbDep,
    shape: Annotated[
        Format,
        QueryParameter(
            name="format",
            description="anvil: the app's git layout with anvil.yaml; folder: the widget's "
            "files and .widgetbox.toml",
        ),
    ] = "anvil",
) -> Response[bytes]:
    """Anyone who may read the widget's code may export it; secrets, data and runs are never
    in it. 422 `not_exportable` when a widget has no Anvil counterpart (scripts) in the
    `anvil` format."""
    widget = readable_widget
    files, schedule = await db.read(records.export_inputs, widget)
    if shape == "anvil":
        tree = anvil_export.export_app(
            widget.kind, widget.title, files, schedule, persistent=widget.persistent
        ).tree
    else:
        meta = folders.Meta(widget.kind, widget.title, widget.visibility, widget.slug)
        tree = folders.folder_tree(meta, files)
    data = await asyncio.to_thread(trees.zip_tree, tree)
    name = f"{widget.slug}{'' if shape == 'anvil' else '-folder'}.zip"
    return Response(
        data,
        media_type=ZIP,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


ROUTES = [import_zip, export_zip]
