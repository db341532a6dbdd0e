"""Domain objects to API bodies."""

from __future__ import annotations

import msgspec

from widgetbox.host.accounts.users import User
from widgetbox.host.web.schemas import (
    Origin,
    UserOut,
    VersionDetail,
    VersionOut,
    WidgetDetail,
    WidgetOut,
)
from widgetbox.host.widgets.records import Version, Widget, is_owner


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id, username=user.username, is_admin=user.is_admin, created_at=user.created_at
    )


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
    )


def version_detail(version: Version) -> VersionDetail:
    return VersionDetail(**msgspec.structs.asdict(version_out(version)), files=version.files)
