"""Schema changes from the IDE's Data page: each edit is a plain function of a `Schema`
that checks what it is asked (domain errors, in the page's words); `plan` applies one to the
widget's latest `tables.yaml` and `save` saves the result as a new version of its files
(refused if another version came meanwhile), so schema changes are versioned, diffed and
restored like code.

The edits never touch data: the caller makes the widget's tables file agree afterwards
(renames keep their data, see `api.py`). A `tables.yaml` written by hand is read as it is
and written back in the map form (`tables_yaml.dump`): comments are not kept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import sqlite_utils

from widgetbox.host.accounts.users import User
from widgetbox.host.errors import Conflict, Invalid, NotFound
from widgetbox.host.tables.tables_yaml import (
    ACCESS,
    COLUMN_TYPES,
    LINK_TYPES,
    MAX_COLUMN_NAME,
    MAX_COLUMNS,
    MAX_TABLES,
    SCHEMA_FILE,
    TABLE_NAME,
    ColumnSpec,
    Schema,
    SchemaError,
    TableSpec,
    dump,
    parse,
)
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.records import Widget

Edit = Callable[[Schema], Schema]


def chain(*edits: Edit) -> Edit:
    def edit(schema: Schema) -> Schema:
        for one in edits:
            schema = one(schema)
        return schema

    return edit


def read(files: dict[str, str]) -> Schema:
    """The schema in a widget's files; 422 `invalid_schema` (listing every problem) when
    `tables.yaml` cannot be read, so nothing is edited on top of a broken file."""
    try:
        return parse(files.get(SCHEMA_FILE))
    except SchemaError as e:
        raise Invalid(
            "invalid_schema",
            f"{SCHEMA_FILE} has problems; fix them in the code editor first: "
            + "; ".join(e.problems[:5]),
            {"problems": list(e.problems)},
        ) from None


@dataclass(frozen=True)
class Plan:
    """An edit applied to the widget's latest `tables.yaml`, not saved yet."""

    version: int
    """The version it was made from (the save is refused if another came meanwhile)."""
    files: dict[str, str]
    """The files to save (with the new `tables.yaml`)."""
    before: Schema
    after: Schema

    @property
    def unchanged(self) -> bool:
        return (self.after.tables, self.after.auto_create) == (
            self.before.tables,
            self.before.auto_create,
        )


def plan(db: sqlite_utils.Database, widget: Widget, edit: Edit) -> Plan:
    """`edit` applied to the widget's latest schema (domain errors when it cannot be)."""
    widget = widgets.fresh(db, widget)
    files = dict(widgets.head_files(db, widget))
    before = read(files)
    after = edit(before)
    files[SCHEMA_FILE] = dump(after)
    return Plan(widget.head_version, files, before, parse(files[SCHEMA_FILE]))


def save(
    db: sqlite_utils.Database, widget: Widget, author: User, planned: Plan, message: str
) -> tuple[Widget, int]:
    """Save the planned files as a new version; 409 `version_conflict` when the widget was
    saved since the plan was made (its schema may differ: nothing is overwritten)."""
    return widgets.save(
        db, widget, author, planned.version, planned.files, f"Data Tables: {message}"
    )


# -- checks -------------------------------------------------------------------------------


def check_table_name(name: str) -> str:
    if not TABLE_NAME.fullmatch(name):
        raise Invalid(
            "invalid_table_name",
            "A table's name is a Python name: letters, digits and '_', not starting with a "
            "digit, at most 64 characters (code reaches it as app_tables.<name>).",
        )
    return name


def check_column_name(name: str) -> str:
    if not name or len(name) > MAX_COLUMN_NAME or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise Invalid(
            "invalid_column_name",
            f"A column's name is 1 to {MAX_COLUMN_NAME} characters, without control characters.",
        )
    if name != name.strip():
        raise Invalid("invalid_column_name", "A column's name does not start or end with spaces.")
    return name


def check_client(client: str) -> str:
    if client not in ACCESS:
        raise Invalid("invalid_access", "A table's client access is none, search or full.")
    return client


def table(schema: Schema, name: str) -> TableSpec:
    found = schema.tables.get(name)
    if found is None:
        raise NotFound("no_such_table", f"There is no table {name!r}.")
    return found


def column(spec: TableSpec, name: str) -> ColumnSpec:
    for found in spec.columns:
        if found.name == name:
            return found
    raise NotFound("no_such_column", f"Table {spec.name!r} has no column {name!r}.")


def _check_type(schema: Schema, kind: str, target: str | None) -> str | None:
    if kind not in COLUMN_TYPES:
        raise Invalid(
            "invalid_column_type", f"A column's type is one of {', '.join(COLUMN_TYPES)}."
        )
    if kind in LINK_TYPES:
        if not target:
            raise Invalid("invalid_column_type", "A link column names the table it links to.")
        table(schema, target)
        return target
    return None


def _with_table(schema: Schema, spec: TableSpec, old_name: str | None = None) -> Schema:
    """`schema` with `spec` in place of `old_name` (same place in the order), or added."""
    tables = {}
    placed = False
    for name, found in schema.tables.items():
        if name == (old_name or spec.name):
            tables[spec.name] = spec
            placed = True
        else:
            tables[name] = found
    if not placed:
        tables[spec.name] = spec
    return replace(schema, tables=tables)


# -- tables --------------------------------------------------------------------------------


def add_table(name: str, client: str = "none") -> Edit:
    def edit(schema: Schema) -> Schema:
        check_table_name(name)
        check_client(client)
        if name in schema.tables:
            raise Conflict("table_exists", f"There is already a table {name!r}.")
        if len(schema.tables) >= MAX_TABLES:
            raise Invalid("too_many_tables", f"A widget has at most {MAX_TABLES} tables.")
        return _with_table(schema, TableSpec(name, client))

    return edit


def rename_table(old: str, new: str) -> Edit:
    def edit(schema: Schema) -> Schema:
        spec = table(schema, old)
        check_table_name(new)
        if new != old and new in schema.tables:
            raise Conflict("table_exists", f"There is already a table {new!r}.")
        renamed = _with_table(schema, replace(spec, name=new), old)
        # links to it follow the new name
        tables = {
            name: replace(
                found,
                columns=tuple(
                    replace(c, target=new) if c.target == old else c for c in found.columns
                ),
            )
            for name, found in renamed.tables.items()
        }
        return replace(renamed, tables=tables)

    return edit


def delete_table(name: str) -> Edit:
    def edit(schema: Schema) -> Schema:
        table(schema, name)
        linking = [
            f"{other.name}.{c.name}"
            for other in schema.tables.values()
            if other.name != name
            for c in other.columns
            if c.target == name
        ]
        if linking:
            raise Conflict(
                "table_linked",
                f"Columns link to {name!r} ({', '.join(linking)}): delete them first.",
                {"columns": linking},
            )
        return replace(schema, tables={k: v for k, v in schema.tables.items() if k != name})

    return edit


def set_client(name: str, client: str) -> Edit:
    def edit(schema: Schema) -> Schema:
        spec = table(schema, name)
        check_client(client)
        return _with_table(schema, replace(spec, client=client))

    return edit


def set_auto_create(on: bool) -> Edit:
    def edit(schema: Schema) -> Schema:
        return replace(schema, auto_create=on)

    return edit


# -- columns -------------------------------------------------------------------------------


def add_column(table_name: str, name: str, kind: str, target: str | None = None) -> Edit:
    def edit(schema: Schema) -> Schema:
        spec = table(schema, table_name)
        check_column_name(name)
        if any(c.name == name for c in spec.columns):
            raise Conflict("column_exists", f"Table {table_name!r} already has a column {name!r}.")
        if len(spec.columns) >= MAX_COLUMNS:
            raise Invalid("too_many_columns", f"A table has at most {MAX_COLUMNS} columns.")
        linked = _check_type(schema, kind, target)
        new = ColumnSpec(name, kind, linked)
        return _with_table(schema, replace(spec, columns=(*spec.columns, new)))

    return edit


def rename_column(table_name: str, old: str, new: str) -> Edit:
    def edit(schema: Schema) -> Schema:
        spec = table(schema, table_name)
        found = column(spec, old)
        check_column_name(new)
        if new != old and any(c.name == new for c in spec.columns):
            raise Conflict("column_exists", f"Table {table_name!r} already has a column {new!r}.")
        columns = tuple(replace(c, name=new) if c is found else c for c in spec.columns)
        return _with_table(schema, replace(spec, columns=columns))

    return edit


def change_column_type(table_name: str, name: str, kind: str, target: str | None = None) -> Edit:
    def edit(schema: Schema) -> Schema:
        spec = table(schema, table_name)
        found = column(spec, name)
        linked = _check_type(schema, kind, target)
        changed = ColumnSpec(name, kind, linked)
        columns = tuple(changed if c is found else c for c in spec.columns)
        return _with_table(schema, replace(spec, columns=columns))

    return edit


def delete_column(table_name: str, name: str) -> Edit:
    def edit(schema: Schema) -> Schema:
        spec = table(schema, table_name)
        found = column(spec, name)
        columns = tuple(c for c in spec.columns if c is not found)
        return _with_table(schema, replace(spec, columns=columns))

    return edit
