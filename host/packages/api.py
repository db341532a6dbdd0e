"""A widget's packages (owner only): read the status, progress and lock of a version's
packages; set the requirements (saved as a new version's `requirements.txt`, then installed
in the background); install again after a failure."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
import sqlite_utils
from litestar import Controller, get, post, put
from litestar.params import JSONBody, Parameter

from widgetbox.host.errors import Invalid
from widgetbox.host.packages import (
    FILE,
    PackageService,
    Progress,
    RequirementsError,
    parse,
    records,
)
from widgetbox.host.storage.database import Database
from widgetbox.host.web.dependencies import DbDep, OwnedWidget, PackagesDep, Viewer, require_user
from widgetbox.host.web.openapi import ERRORS
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.records import Widget

MAX_TEXT = 64 * 1024


class ProgressOut(msgspec.Struct):
    """How far a queued or running install has come."""

    phase: Literal["queued", "resolving", "downloading", "installing", "done", "failed"]
    message: str
    done: int
    """Files downloaded (or unpacked) so far."""
    total: int
    """Files to download (or unpack)."""
    bytes: int
    """Bytes downloaded so far."""
    total_bytes: int | None
    """What the files to download add up to, when the index says."""


class PackageOut(msgspec.Struct):
    """One package of the lock."""

    name: str
    version: str
    builtin: bool
    """Compiled into the sandbox's interpreter (not installed)."""
    filename: str | None
    sha256: str | None
    size: int | None


class PackagesOut(msgspec.Struct):
    version: int
    """The widget version described."""
    requirements: str
    """Its requirements, normalised: one per line, sorted ("" when it has none)."""
    status: Literal["none", "pending", "ready", "failed", "skipped"]
    """none: no requirements; pending: waiting or installing (see `progress`); ready:
    installed (or all built in); failed: `message` says which package and why; skipped: a
    later version changed the requirements before this one was installed."""
    message: str
    progress: ProgressOut | None
    packages: list[PackageOut]
    """The lock: the exact set the requirements resolved to."""
    environment: str | None
    """The key of the environment that holds the installed packages."""
    active_version: int
    """The version whose packages runs use now: this one once ready, until then the latest
    earlier one that was (the widget keeps its previous packages meanwhile)."""


class RequirementsIn(msgspec.Struct, forbid_unknown_fields=True):
    requirements: Annotated[
        str,
        msgspec.Meta(
            max_length=MAX_TEXT,
            description=(
                "requirements.txt: package names with optional extras, versions and "
                "markers, one per line. Empty removes the file."
            ),
        ),
    ]
    base_version: Annotated[int, msgspec.Meta(ge=0)] | None = None
    """Refuse (409 `version_conflict`) unless this is still the latest version."""
    message: Annotated[str, msgspec.Meta(max_length=500)] = ""


class InstallRequest(msgspec.Struct, forbid_unknown_fields=True):
    version: Annotated[int, msgspec.Meta(ge=1)] | None = None
    """The version whose packages to install (default: the latest)."""


def _version_of(db: sqlite_utils.Database, widget: Widget, version: int | None) -> int:
    """`version` of the widget (default: the latest); NotFound `no_such_version` for a version
    it does not have."""
    number = version or widget.head_version
    widgets.version(db, widget, number)
    return number


async def _status(
    db: Database, packages: PackageService, widget_id: int, version: int
) -> PackagesOut:
    def read(
        database: sqlite_utils.Database,
    ) -> tuple[records.VersionPackages | None, int]:
        found = records.get(database, widget_id, version)
        return found, records.active(database, widget_id, version)[0]

    found, active = await db.read(read)
    progress = packages.progress(widget_id, version)
    if found is None:
        return PackagesOut(version, "", "none", "", None, [], None, active)
    return PackagesOut(
        version=version,
        requirements=found.requirements,
        status=found.status,  # type: ignore[arg-type]  # checked by the schema's CHECK
        message=found.message,
        progress=_progress_out(progress) if progress and found.status == "pending" else None,
        packages=[
            PackageOut(p.name, p.version, p.builtin, p.filename, p.sha256, p.size)
            for p in (found.lock.packages if found.lock else ())
        ],
        environment=found.environment,
        active_version=active,
    )


def _progress_out(progress: Progress) -> ProgressOut:
    return ProgressOut(
        phase=progress.phase,
        message=progress.message,
        done=progress.done,
        total=progress.total,
        bytes=progress.bytes,
        total_bytes=progress.total_bytes,
    )


class PackageController(Controller):
    path = "/api/widgets/{slug:str}/packages"
    tags = ["packages"]  # noqa: RUF012 - Litestar's declaration style

    @get(
        "/",
        summary="A version's packages: status, install progress and lock (owner)",
        responses=ERRORS,
    )
    async def read(
        self,
        owned_widget: OwnedWidget,
        db: DbDep,
        packages: PackagesDep,
        version: Annotated[
            int | None, Parameter(ge=1, le=2**62, description="The version (default: latest)")
        ] = None,
    ) -> PackagesOut:
        number = await db.read(_version_of, owned_widget, version)
        return await _status(db, packages, owned_widget.id, number)

    @put(
        "/requirements",
        summary="Set the requirements: saves a new version and installs in the background (owner)",
        status_code=202,
        responses=ERRORS,
    )
    async def set_requirements(
        self,
        owned_widget: OwnedWidget,
        data: JSONBody[RequirementsIn],
        viewer: Viewer,
        db: DbDep,
        packages: PackagesDep,
    ) -> PackagesOut:
        """422 `invalid_requirements` names the line that is not a plain requirement from the
        package index (options, URLs and paths are refused); 409 `version_conflict` when
        `base_version` is given and no longer the latest. Poll the answer's `progress`."""
        text = data.requirements.replace("\r\n", "\n")
        try:
            parse(text)
        except RequirementsError as e:
            raise Invalid("invalid_requirements", e.message, {"line": e.line}) from None
        message = data.message or "Changed the requirements"
        user = require_user(viewer)

        def save(database: sqlite_utils.Database) -> tuple[int, int]:
            widget = widgets.fresh(database, owned_widget)
            files = dict(widgets.head_files(database, widget))
            if text.strip():
                files[FILE] = text if text.endswith("\n") else text + "\n"
            else:
                files.pop(FILE, None)
            base = widget.head_version if data.base_version is None else data.base_version
            saved, number = widgets.save(database, widget, user, base, files, message)
            return saved.id, number

        widget_id, number = await db.write(save)
        await packages.request(widget_id, number)
        return await _status(db, packages, widget_id, number)

    @post(
        "/install",
        summary="Install a version's packages again, e.g. after a failure (owner)",
        status_code=202,
        responses=ERRORS,
    )
    async def install(
        self,
        owned_widget: OwnedWidget,
        data: JSONBody[InstallRequest],
        db: DbDep,
        packages: PackagesDep,
    ) -> PackagesOut:
        """Send `{}` for the latest version. Nothing happens when its packages are ready."""
        number = await db.read(_version_of, owned_widget, data.version)
        await packages.retry(owned_widget.id, number)
        return await _status(db, packages, owned_widget.id, number)


ROUTES = [PackageController]
