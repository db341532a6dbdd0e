"""A widget's Data Tables (owner only), for the IDE's Data page and for programs: the tables
with their columns, client permission and row counts; creating, renaming and deleting
tables; adding, renaming, retyping and deleting columns (a type change keeps every value
when each one converts, and is refused listing the rows otherwise); the rows, paged and
sorted; adding, changing and deleting rows; CSV import (all or nothing, every problem listed
by line) and export (streamed).

Schema changes save the widget's `tables.yaml` as a new version ("Data Tables: ..."), so they
are versioned like code; see `editing.py` and `owner.py` for how the tables file follows."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import sqlite_utils
from litestar import Controller, delete, get, patch, post
from litestar.params import JSONBody, Parameter, QueryParameter
from litestar.response import Stream

from widgetbox.host.accounts.users import User
from widgetbox.host.errors import NotFound
from widgetbox.host.storage.database import Database
from widgetbox.host.tables import editing
from widgetbox.host.tables.calls import run
from widgetbox.host.tables.cells import cell_text
from widgetbox.host.tables.owner import Changes, OwnerTables, RowProblem
from widgetbox.host.tables.schemas import (
    ColumnChanges,
    ColumnOut,
    CsvIn,
    Imported,
    NewColumn,
    NewTable,
    RowIn,
    RowOut,
    RowsOut,
    Settings,
    TableChanges,
    TableOut,
    TablesOut,
)
from widgetbox.host.tables.store import TablesStore
from widgetbox.host.tables.tables_yaml import SCHEMA_FILE, Schema, SchemaError, parse
from widgetbox.host.tables.transfer import Problem, invalid, line_of_row, read_csv, write_csv
from widgetbox.host.tables.values import parse_row_id
from widgetbox.host.web.dependencies import DbDep, OwnedWidget, TablesDep, Viewer, require_user
from widgetbox.host.web.openapi import ERRORS
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.records import Widget

PAGE_ROWS = 50
"""Rows a page of the grid shows unless asked for another number."""
MAX_PAGE_ROWS = 1000

TablePath = Annotated[str, Parameter(max_length=64, description="The table's name")]
ColumnQuery = Annotated[
    str, QueryParameter(name="column", max_length=100, description="The column's name")
]
RowPath = Annotated[int, Parameter(ge=1, le=2**63 - 1, description="The row's number")]


# -- reading the schema ---------------------------------------------------------------------


def _head(db: sqlite_utils.Database, widget: Widget) -> tuple[int, str | None]:
    widget = widgets.fresh(db, widget)
    return widget.head_version, widgets.head_files(db, widget).get(SCHEMA_FILE)


async def _schema(db: Database, widget: Widget) -> Schema:
    """The latest schema; 422 `invalid_schema` when `tables.yaml` cannot be read."""
    _, text = await db.read(_head, widget)
    return editing.read({SCHEMA_FILE: text} if text is not None else {})


async def _owner(db: Database, store: TablesStore, widget: Widget) -> OwnerTables:
    schema = await _schema(db, widget)
    return OwnerTables(store.open(widget.id), schema)


async def _listing(db: Database, store: TablesStore, widget: Widget) -> TablesOut:
    version, text = await db.read(_head, widget)
    try:
        schema = parse(text)
    except SchemaError as e:
        return TablesOut(version, True, [], list(e.problems))
    counts = await run(OwnerTables(store.open(widget.id), schema).counts)
    return TablesOut(
        version=version,
        auto_create=schema.auto_create,
        tables=[
            TableOut(
                name=name,
                client=spec.client,  # type: ignore[arg-type]  # checked by the schema
                columns=[ColumnOut(c.name, c.type, c.target) for c in spec.columns],  # type: ignore[arg-type]
                rows=counts.get(name, 0),
            )
            for name, spec in schema.tables.items()
        ],
        problems=[],
    )


async def _edit(
    db: Database,
    store: TablesStore,
    widget: Widget,
    viewer: User | None,
    edit: editing.Edit,
    message: str,
    changes: Changes | None = None,
) -> TablesOut:
    """Plan the edit, make the tables file follow (`owner.prepare`), save the new version,
    then `finish`; a failed save puts the file back (`revert`)."""
    user = require_user(viewer)
    changes = changes or Changes()
    planned = await db.read(editing.plan, widget, edit)
    if not planned.unchanged:
        tables = store.open(widget.id)
        await run(OwnerTables(tables, planned.before).prepare, planned.after, changes)
        try:
            await db.write(editing.save, widget, user, planned, message)
        except BaseException:
            await run(OwnerTables(tables, planned.before).revert, changes)
            raise
        await run(OwnerTables(tables, planned.after).finish, planned.after, changes)
    return await _listing(db, store, widget)


def _row_out(record: dict[str, Any], types: dict[str, str]) -> RowOut:
    values = record["values"]
    return RowOut(
        id=parse_row_id(record["id"]).row_id,
        ref=record["id"],
        values=values,
        text={name: cell_text(types.get(name, "string"), value) for name, value in values.items()},
    )


def _types(owner: OwnerTables, table: str) -> dict[str, str]:
    spec = owner.schema.tables.get(table)
    if spec is None:
        raise NotFound("no_such_table", f"There is no table {table!r}.")
    return {c.name: c.type for c in spec.columns}


class TablesController(Controller):
    """Every route is the owner's (`owned_widget`: 404 to those who cannot see the widget,
    403 to those who can)."""

    path = "/api/widgets/{slug:str}/tables"
    tags = ["tables"]  # noqa: RUF012 - Litestar's declaration style

    # -- tables -----------------------------------------------------------------------------

    @get(
        "/",
        summary="The widget's tables: columns, client permission, rows (owner)",
        responses=ERRORS,
    )
    async def listing(self, owned_widget: OwnedWidget, db: DbDep, tables: TablesDep) -> TablesOut:
        """`problems` lists what is wrong with `tables.yaml` when it cannot be read."""
        return await _listing(db, tables, owned_widget)

    @patch("/", summary="Turn auto-created columns on or off (owner)", responses=ERRORS)
    async def settings(
        self,
        owned_widget: OwnedWidget,
        data: JSONBody[Settings],
        viewer: Viewer,
        db: DbDep,
        tables: TablesDep,
    ) -> TablesOut:
        state = "on" if data.auto_create else "off"
        edit = editing.set_auto_create(data.auto_create)
        return await _edit(db, tables, owned_widget, viewer, edit, f"auto-created columns {state}")

    @post("/", summary="Add a table (owner)", status_code=201, responses=ERRORS)
    async def create(
        self,
        owned_widget: OwnedWidget,
        data: JSONBody[NewTable],
        viewer: Viewer,
        db: DbDep,
        tables: TablesDep,
    ) -> TablesOut:
        """409 `table_exists`; 422 `invalid_table_name` (a Python name)."""
        edit = editing.add_table(data.name, data.client)
        return await _edit(db, tables, owned_widget, viewer, edit, f"added table {data.name}")

    @patch(
        "/{table:str}",
        summary="Rename a table or set its client permission (owner)",
        responses=ERRORS,
    )
    async def change(
        self,
        owned_widget: OwnedWidget,
        table: TablePath,
        data: JSONBody[TableChanges],
        viewer: Viewer,
        db: DbDep,
        tables: TablesDep,
    ) -> TablesOut:
        """A rename keeps the rows; links to the table follow it. `client`: none, search
        (search and read), or full (search, add, change and delete rows)."""
        edits: list[editing.Edit] = []
        said: list[str] = []
        renames: dict[str, str] = {}
        if data.client is not None:
            edits.append(editing.set_client(table, data.client))
            said.append(f"client access to {table}: {data.client}")
        if data.name is not None and data.name != table:
            edits.append(editing.rename_table(table, data.name))
            said.append(f"renamed table {table} to {data.name}")
            renames[table] = data.name
        if not edits:
            editing.table(await _schema(db, owned_widget), table)  # 404 when there is none
            return await _listing(db, tables, owned_widget)
        return await _edit(
            db,
            tables,
            owned_widget,
            viewer,
            editing.chain(*edits),
            "; ".join(said),
            Changes(table_renames=renames),
        )

    @delete(
        "/{table:str}",
        summary="Delete a table and its rows (owner)",
        status_code=200,
        responses=ERRORS,
    )
    async def remove(
        self,
        owned_widget: OwnedWidget,
        table: TablePath,
        viewer: Viewer,
        db: DbDep,
        tables: TablesDep,
    ) -> TablesOut:
        """409 `table_linked` while columns of other tables link to it."""
        return await _edit(
            db,
            tables,
            owned_widget,
            viewer,
            editing.delete_table(table),
            f"deleted table {table}",
            Changes(dropped_tables=(table,)),
        )

    # -- columns ----------------------------------------------------------------------------

    @post("/{table:str}/columns", summary="Add a column (owner)", status_code=201, responses=ERRORS)
    async def add_column(
        self,
        owned_widget: OwnedWidget,
        table: TablePath,
        data: JSONBody[NewColumn],
        viewer: Viewer,
        db: DbDep,
        tables: TablesDep,
    ) -> TablesOut:
        """Links name the table they link to (`target`)."""
        edit = editing.add_column(table, data.name, data.type, data.target)
        message = f"added column {data.name} to table {table}"
        return await _edit(db, tables, owned_widget, viewer, edit, message)

    @patch(
        "/{table:str}/columns",
        summary="Rename a column or change its type (owner)",
        responses=ERRORS,
    )
    async def change_column(
        self,
        owned_widget: OwnedWidget,
        table: TablePath,
        column: ColumnQuery,
        data: JSONBody[ColumnChanges],
        viewer: Viewer,
        db: DbDep,
        tables: TablesDep,
    ) -> TablesOut:
        """A type change keeps every value when each converts (text to numbers, numbers to
        text, dates to datetimes...); otherwise 422 `unsafe_type_change` lists the rows
        whose value does not (`details.problems`) and nothing changes. Media and link
        columns change type only while empty."""
        name = data.name if data.name is not None else column
        edits: list[editing.Edit] = []
        said: list[str] = []
        renames: dict[tuple[str, str], str] = {}
        retype = None
        if name != column:
            edits.append(editing.rename_column(table, column, name))
            said.append(f"renamed column {column} of table {table} to {name}")
            renames[(table, column)] = name
        if data.type is not None or data.target is not None:
            schema = await _schema(db, owned_widget)
            current = editing.column(editing.table(schema, table), column)
            kind = data.type or current.type
            target = data.target if data.target is not None else current.target
            if (kind, target if kind in ("link_single", "link_multiple") else None) != (
                current.type,
                current.target,
            ):
                edits.append(editing.change_column_type(table, name, kind, target))
                said.append(f"column {name} of table {table} is now {kind}")
                retype = (table, name)
        if not edits:
            schema = await _schema(db, owned_widget)
            editing.column(editing.table(schema, table), column)
            return await _listing(db, tables, owned_widget)
        changes = Changes(column_renames=renames, retype=retype)
        return await _edit(
            db, tables, owned_widget, viewer, editing.chain(*edits), "; ".join(said), changes
        )

    @delete(
        "/{table:str}/columns",
        summary="Delete a column and its values (owner)",
        status_code=200,
        responses=ERRORS,
    )
    async def remove_column(
        self,
        owned_widget: OwnedWidget,
        table: TablePath,
        column: ColumnQuery,
        viewer: Viewer,
        db: DbDep,
        tables: TablesDep,
    ) -> TablesOut:
        return await _edit(
            db,
            tables,
            owned_widget,
            viewer,
            editing.delete_column(table, column),
            f"deleted column {column} of table {table}",
            Changes(dropped_columns=((table, column),)),
        )

    # -- rows -------------------------------------------------------------------------------

    @get("/{table:str}/rows", summary="A page of a table's rows (owner)", responses=ERRORS)
    async def rows(
        self,
        owned_widget: OwnedWidget,
        table: TablePath,
        db: DbDep,
        tables: TablesDep,
        offset: Annotated[int, Parameter(ge=0, le=2**62, description="Skip this many")] = 0,
        limit: Annotated[
            int, Parameter(ge=1, le=MAX_PAGE_ROWS, description="At most this many")
        ] = PAGE_ROWS,
        order: Annotated[
            str | None,
            Parameter(max_length=100, description="Sort by this column (default: row order)"),
        ] = None,
        descending: Annotated[bool, Parameter(description="Sort from the largest")] = False,
    ) -> RowsOut:
        """Each row with its values in the wire form and as text."""
        owner = await _owner(db, tables, owned_widget)
        types = _types(owner, table)
        found, total = await run(owner.page, table, offset, limit, order, descending)
        return RowsOut(
            rows=[_row_out(record, types) for record in found],
            total=total,
            offset=offset,
            limit=limit,
            order=order,
            descending=descending,
        )

    @post("/{table:str}/rows", summary="Add a row (owner)", status_code=201, responses=ERRORS)
    async def add_row(
        self,
        owned_widget: OwnedWidget,
        table: TablePath,
        data: JSONBody[RowIn],
        db: DbDep,
        tables: TablesDep,
    ) -> RowOut:
        """422 `invalid_value` names the column whose value does not fit its type."""
        owner = await _owner(db, tables, owned_widget)
        types = _types(owner, table)
        record = await run(owner.add_row, table, data.values, data.text)
        return _row_out(record, types)

    @patch("/{table:str}/rows/{row:int}", summary="Change a row's values (owner)", responses=ERRORS)
    async def update_row(
        self,
        owned_widget: OwnedWidget,
        table: TablePath,
        row: RowPath,
        data: JSONBody[RowIn],
        db: DbDep,
        tables: TablesDep,
    ) -> RowOut:
        """Columns left out keep their values; 404 `no_such_row` when it was deleted."""
        owner = await _owner(db, tables, owned_widget)
        types = _types(owner, table)
        record = await run(owner.update, table, row, data.values, data.text)
        return _row_out(record, types)

    @delete(
        "/{table:str}/rows/{row:int}",
        summary="Delete a row (owner)",
        status_code=204,
        responses=ERRORS,
    )
    async def delete_row(
        self,
        owned_widget: OwnedWidget,
        table: TablePath,
        row: RowPath,
        db: DbDep,
        tables: TablesDep,
    ) -> None:
        owner = await _owner(db, tables, owned_widget)
        _types(owner, table)
        await run(owner.delete, table, row)

    # -- CSV --------------------------------------------------------------------------------

    @post(
        "/{table:str}/import",
        summary="Add rows from CSV, all or nothing (owner)",
        status_code=200,
        responses=ERRORS,
    )
    async def import_csv(
        self,
        owned_widget: OwnedWidget,
        table: TablePath,
        data: JSONBody[CsvIn],
        db: DbDep,
        tables: TablesDep,
    ) -> Imported:
        """The first line names the columns. When any line does not fit, nothing is added
        and 422 `invalid_csv` lists every problem by line (`details.problems`: line, column,
        message; `details.count`: how many in all)."""
        owner = await _owner(db, tables, owned_widget)
        types = _types(owner, table)
        found = await asyncio.to_thread(read_csv, data.csv, types, table)
        try:
            added = await run(owner.add_rows, table, found)
        except RowProblem as e:
            raise invalid([Problem(line_of_row(data.csv, e.index), None, e.message)]) from None
        return Imported(added=added)

    @get(
        "/{table:str}/export",
        summary="The table's rows as CSV, streamed (owner)",
        media_type="text/csv",
        response_description="CSV: a header line naming the columns, then one line per row",
        responses=ERRORS,
    )
    async def export(
        self, owned_widget: OwnedWidget, table: TablePath, db: DbDep, tables: TablesDep
    ) -> Stream:
        owner = await _owner(db, tables, owned_widget)
        types = _types(owner, table)
        return Stream(
            write_csv(types, owner.export(table)),
            media_type="text/csv",
            headers={
                "content-disposition": f'attachment; filename="{table}.csv"',
                "cache-control": "no-store",
            },
        )


ROUTES = [TablesController]
