"""Columns that server code created by writing them (auto-create) become part of the widget's
`tables.yaml`: a new version of its files, "Data Tables: added column email to table
people", by the widget's owner, made with the same schema edits as the IDE's Data page
(`editing.py`). So the schema in the files stays the whole truth: a fork, a restore or a
diff sees the column.

The version is made from the latest one, in one write: a column that is there already (a
concurrent run added it, or the owner did) is left alone, and nothing is saved when the
table has gone from the schema or the schema cannot be read (the column stays in the
catalogue, and the next run with that schema retires it as usual, keeping its data)."""

from __future__ import annotations

import logging

import sqlite_utils

from widgetbox.host.accounts.users import get_user
from widgetbox.host.errors import DomainError
from widgetbox.host.storage.database import Database
from widgetbox.host.tables import editing
from widgetbox.host.tables.session import NewColumns
from widgetbox.host.tables.store import NewColumn
from widgetbox.host.tables.tables_yaml import Schema
from widgetbox.host.widgets.records import Widget

log = logging.getLogger("widgetbox.host.tables")


def recorder(db: Database, widget: Widget) -> NewColumns:
    """The `on_new_columns` of a run of `widget` (called on a bridge worker, after the
    columns were committed)."""

    def record(widget_id: int, table: str, columns: list[NewColumn]) -> None:
        try:
            number = db.write_now(add_columns, widget, table, columns)
        except DomainError as e:  # the widget was deleted, or its files cannot be saved
            log.info("widget %d: new columns not added to its schema: %s", widget_id, e.message)
            return
        if number is not None:
            log.info("widget %d: new columns of %r saved as version %d", widget_id, table, number)

    return record


def add_columns(
    db: sqlite_utils.Database, widget: Widget, table: str, columns: list[NewColumn]
) -> int | None:
    """Save a version of the widget's files with `columns` added to `table` in its
    `tables.yaml` (inside the caller's write); its number, or None when nothing changed."""

    def edit(schema: Schema) -> Schema:
        spec = schema.tables.get(table)
        if spec is None:
            return schema
        have = {column.name for column in spec.columns}
        for column in columns:
            if column.name not in have:
                schema = editing.add_column(table, column.name, column.type, column.target)(schema)
                have.add(column.name)
        return schema

    planned = editing.plan(db, widget, edit)
    if planned.unchanged:
        return None
    author = get_user(db, widget.owner_id)
    if author is None:
        return None
    names = [column.name for column in columns]
    added = f"column {names[0]}" if len(names) == 1 else f"columns {', '.join(names)}"
    _widget, number = editing.save(db, widget, author, planned, f"added {added} to table {table}")
    return number
