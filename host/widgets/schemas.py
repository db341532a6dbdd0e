"""The widgets API's message shapes (msgspec structs: validated on the way in, described in
the OpenAPI document), and the widgets and versions they are made from."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from widgetbox.host.accounts.users import User
from widgetbox.host.widgets.records import Version, Widget, is_owner

Kind = Literal["script", "scheduled", "http", "gui"]
Visibility = Literal["private", "unlisted", "public"]
Files = Annotated[dict[str, str], msgspec.Meta(description="File path -> file text")]
PersistentMode = Annotated[
    bool,
    msgspec.Meta(
        description="Persistent mode (Anvil's \"Keep server running\"): true, the widget's HTTP "
        "requests and server calls reuse a warm interpreter, so module-level state is shared "
        "between requests and visitors until it is recycled; false (the default), each runs "
        "in a fresh interpreter. Scripts and scheduled runs always run fresh."
    ),
]


class Origin(msgspec.Struct):
    slug: str
    title: str
    owner: str


class WidgetOut(msgspec.Struct):
    id: int
    slug: str
    title: str
    kind: Kind
    visibility: Visibility
    owner: str
    head_version: int
    created_at: str
    updated_at: str
    forked_from: Origin | None
    entry: str
    can_edit: bool
    persistent: PersistentMode


class WidgetDetail(WidgetOut):
    files: Files


class WidgetList(msgspec.Struct):
    widgets: list[WidgetOut]
    limit: int
    offset: int


class NewWidget(msgspec.Struct, forbid_unknown_fields=True):
    kind: Kind
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    slug: str | None = None
    visibility: Visibility = "private"


class WidgetChanges(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    slug: str | None = None
    visibility: Visibility | None = None
    persistent: PersistentMode | None = None


class NewVersion(msgspec.Struct, forbid_unknown_fields=True):
    base_version: Annotated[int, msgspec.Meta(ge=0)]
    files: Files
    message: Annotated[str, msgspec.Meta(max_length=500)] = ""


class Restore(msgspec.Struct, forbid_unknown_fields=True):
    base_version: Annotated[int, msgspec.Meta(ge=0)] | None = None


class ForkRequest(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    slug: str | None = None
    copy_data: bool = False
    """Copy the rows of the widget's Data Tables too (only its owner may; a fork otherwise
    gets the tables' schema, which is in its files, and no rows)."""


class ForkNames(msgspec.Struct):
    """What a fork would be called unless its owner chooses otherwise."""

    title: str
    slug: str
    """A free address (checked when the fork is made: another may take it meanwhile)."""


class VersionMessage(msgspec.Struct, forbid_unknown_fields=True):
    message: Annotated[str, msgspec.Meta(max_length=500)]
    """What the version is about, as its owner says (empty: none)."""


class FileChange(msgspec.Struct):
    """A file a version changed since the version before it."""

    path: str
    status: Literal["added", "removed", "changed"]
    added: int
    """Lines added (the diff's + lines)."""
    removed: int
    """Lines removed (the diff's - lines)."""


class VersionOut(msgspec.Struct):
    number: int
    message: str
    author: str | None
    created_at: str
    restored_from: int | None
    changes: list[FileChange]
    """The files it changed since the version before it (all of its files for version 1)."""
    first_run: int | None
    """The number of the first run started with Run on this version (in listings): the IDE
    saves before it runs, so it shows "Saved before run #N" for a version without a
    message."""


class VersionDetail(VersionOut):
    files: Files


class VersionList(msgspec.Struct):
    versions: list[VersionOut]
    head_version: int


class SavedVersion(msgspec.Struct):
    widget: WidgetOut
    version: int


class FileDiff(msgspec.Struct):
    path: str
    status: Literal["added", "removed", "changed", "unchanged"]
    diff: str


class DiffOut(msgspec.Struct):
    old: int
    new: int
    files: list[FileDiff]


def widget_out(widget: Widget, viewer: User | None) -> WidgetOut:
    return WidgetOut(
        id=widget.id,
        slug=widget.slug,
        title=widget.title,
        kind=widget.kind,  # type: ignore[arg-type]  # checked by the schema's CHECK
        visibility=widget.visibility,  # type: ignore[arg-type]
        owner=widget.owner,
        head_version=widget.head_version,
        created_at=widget.created_at,
        updated_at=widget.updated_at,
        forked_from=Origin(**widget.forked_from) if widget.forked_from else None,
        entry=widget.entry,
        can_edit=is_owner(widget, viewer),
        persistent=widget.persistent,
    )


def widget_detail(widget: Widget, viewer: User | None, files: dict[str, str]) -> WidgetDetail:
    return WidgetDetail(**msgspec.structs.asdict(widget_out(widget, viewer)), files=files)


def version_out(version: Version) -> VersionOut:
    return VersionOut(
        number=version.number,
        message=version.message,
        author=version.author,
        created_at=version.created_at,
        restored_from=version.restored_from,
        changes=[FileChange(**change) for change in version.changes],
        first_run=version.first_run,
    )


def version_detail(version: Version) -> VersionDetail:
    return VersionDetail(**msgspec.structs.asdict(version_out(version)), files=version.files)
