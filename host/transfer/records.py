"""Imports and exports against the database: plain functions of a sqlite-utils database, run
inside one `Database.read` or `Database.write` call (the IDE's API and the command line use
the same ones, so a widget imported either way is the same widget)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from widgetbox.host.accounts import users as accounts
from widgetbox.host.accounts.users import User
from widgetbox.host.errors import Invalid, NotFound
from widgetbox.host.schedules import parse_rule, rule_to_json
from widgetbox.host.schedules import records as schedules
from widgetbox.host.transfer.anvil_import import Imported
from widgetbox.host.transfer.folders import Folder
from widgetbox.host.transfer.report import Report
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.records import Widget


def owner_for(db: sqlite_utils.Database, username: str | None) -> User:
    """The account named `username`, or the admin (the first account) when None."""
    if username is not None:
        row = accounts.find_user(db, username)
        if row is None:
            raise NotFound("no_such_user", f"There is no account {username!r}.")
        return User.from_row(row)
    rows = list(db.query("SELECT * FROM users WHERE is_admin = 1 ORDER BY id LIMIT 1"))
    if not rows:
        raise NotFound(
            "no_accounts",
            "There is no account yet: start Widgetbox (widgetbox serve) and sign up; the first "
            "account is the admin, whose widgets imports go to unless --user says otherwise.",
        )
    return User.from_row(rows[0])


def _slug_for(db: sqlite_utils.Database, title: str, slug: str | None, wish: str | None) -> str:
    """The slug asked for (refused when taken), else `wish` when it is free, else one made
    from the title."""
    if slug is not None:
        return slug
    if wish is not None and widgets.find(db, wish) is None:
        return wish
    return widgets.free_slug(db, widgets.slugify(title))


def create_imported(
    db: sqlite_utils.Database,
    owner: User,
    imported: Imported,
    *,
    now: datetime,
    min_interval: timedelta,
    slug: str | None = None,
    visibility: str = "private",
) -> Widget:
    """The widget of an imported Anvil app (its first version) and, for a scheduled task,
    its schedule; a schedule Widgetbox refuses is a line of the report instead."""
    name = f" {imported.name}" if imported.name else ""
    widget = widgets.create(
        db,
        owner,
        imported.kind,
        imported.title,
        _slug_for(db, imported.title, slug, None),
        visibility,
        imported.files,
        message=f"Imported from the Anvil app{name}",
    )
    if imported.persistent:
        widget = widgets.update(db, widget, persistent=True)
    if imported.schedule is not None:
        _schedule(db, widget, imported.schedule, imported.report, now, min_interval)
    return widget


def _schedule(
    db: sqlite_utils.Database,
    widget: Widget,
    data: dict[str, Any],
    report: Report,
    now: datetime,
    min_interval: timedelta,
) -> None:
    try:
        rule = parse_rule(data, anchor=now, min_interval=min_interval)
    except Invalid as e:
        report.warning(
            "anvil.yaml", "scheduled_tasks[0]", f"{e.message} The widget has no schedule yet."
        )
        return
    schedules.put(db, widget, rule, now)


def create_from_folder(
    db: sqlite_utils.Database,
    owner: User,
    folder: Folder,
    *,
    title: str | None = None,
    slug: str | None = None,
    visibility: str | None = None,
) -> Widget:
    """The widget of a plain folder (its first version), at the slug it had when free."""
    meta = folder.meta
    title = title or meta.title
    return widgets.create(
        db,
        owner,
        meta.kind,
        title,
        _slug_for(db, title, slug, meta.slug),
        visibility or meta.visibility,
        folder.files,
        message="Imported from a folder",
    )


def export_inputs(
    db: sqlite_utils.Database, widget: Widget
) -> tuple[dict[str, str], dict[str, Any] | None]:
    """What an export reads: the latest files and the schedule's rule (None without one)."""
    files = widgets.head_files(db, widget)
    found = schedules.get(db, widget) if widget.kind == "scheduled" else None
    return files, rule_to_json(found.rule) if found is not None else None
