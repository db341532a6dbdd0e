"""One widget's tables in the owner's hands, for the IDE's Data page: no run, full access,
and no auto-created columns (a column the schema lacks is refused). Every call is one piece
of work on the widget's file through `WidgetTables.work`, with the catalogue first made to
agree with the widget's latest `tables.yaml`; calls are blocking (run them in a thread).

Schema edits (`editing.py`) change the file in two steps around the save of the new
`tables.yaml`:

- `prepare` (before the save): renames move the catalogue's names (ids and data stay), a
  type change converts every value into a new column in one transaction (refused, listing
  the rows, unless every value converts), then the catalogue is synced to the new schema. If
  the save then fails, `revert` syncs back: renamed names return, and a column whose type
  changed comes back with its old values (they were kept, retired).
- `finish` (after the save): a deleted table loses its rows, a deleted column its values
  (with their media), so that adding one of the same name later starts empty; then the
  catalogue is synced. A run that synced in between does no harm: retired tables and columns
  are found by name.

The catalogue's own tables (`_wb_tables`, `_wb_columns`) are written here only for renames
and to keep a retired namesake from coming back; see the requests in the design notes."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from widgetbox.host.errors import Invalid, NotFound
from widgetbox.host.tables import query, rows, values
from widgetbox.host.tables.catalogue import Column, Table
from widgetbox.host.tables.cells import CellError, cell_text, convert, read_cell
from widgetbox.host.tables.errors import TablesError
from widgetbox.host.tables.store import WidgetTables, Work
from widgetbox.host.tables.tables_yaml import Schema

SECONDS = 10.0
"""Time one call may take."""
EXPORT_PAGE = 500
MAX_LISTED = 20
"""Rows a refused type change lists."""
HIDDEN = "\x1f"
"""Put in a retired namesake's name: no table or column name holds a control character."""


@dataclass(frozen=True)
class Changes:
    """What a schema edit does to data, besides what syncing to the new schema does."""

    table_renames: Mapping[str, str] = field(default_factory=dict)
    """old name -> new name"""
    column_renames: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """(table, old name) -> new name (the table by its new name)"""
    retype: tuple[str, str] | None = None
    """(table, column) whose type changes (names as in the new schema)"""
    dropped_tables: tuple[str, ...] = ()
    dropped_columns: tuple[tuple[str, str], ...] = ()


class OwnerTables:
    def __init__(self, tables: WidgetTables, schema: Schema) -> None:
        self.tables = tables
        self.schema = schema

    def _work(self, write: bool) -> Any:
        return self.tables.work(time.monotonic() + SECONDS, write=write, schema=self.schema)

    # -- reading ----------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Rows in each of the schema's tables."""
        with self._work(False) as work:
            return {
                name: int(work.conn.execute(f"SELECT count(*) FROM {table.sql}").fetchone()[0])
                for name, table in work.catalogue.tables.items()
            }

    def page(
        self, name: str, offset: int, limit: int, order: str | None, descending: bool
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of rows (row records) and how many rows the table has."""
        with self._work(False) as work:
            table = _table(work, name)
            if order is not None and order not in table.columns:
                raise NotFound("no_such_column", f"Table {name!r} has no column {order!r}.")
            sql = query.order_by(table, [[order, not descending]] if order else None)
            total = int(work.conn.execute(f"SELECT count(*) FROM {table.sql}").fetchone()[0])
            found = rows.select(
                work.conn,
                table,
                list(table.columns.values()),
                "1",
                [],
                f"{sql} LIMIT ? OFFSET ?",
                [limit, offset],
            )
            return found, total

    def export(self, name: str) -> Iterator[dict[str, Any]]:
        """Every row's values, in row order, read a page at a time (each page consistent)."""
        last = 0
        while True:
            with self._work(False) as work:
                table = _table(work, name)
                page = rows.select(
                    work.conn,
                    table,
                    list(table.columns.values()),
                    "r.id > ?",
                    [last],
                    "ORDER BY r.id LIMIT ?",
                    [EXPORT_PAGE],
                )
            for record in page:
                yield record["values"]
            if len(page) < EXPORT_PAGE:
                return
            last = values.parse_row_id(page[-1]["id"]).row_id

    # -- rows -------------------------------------------------------------------------------

    def add_row(
        self, name: str, wire: Mapping[str, Any], text: Mapping[str, str]
    ) -> dict[str, Any]:
        with self._work(True) as work:
            table = _table(work, name)
            row_id = rows.insert(work.conn, table, _cells(work, table, wire, text))
            found = rows.one(work.conn, table, row_id)
            assert found is not None
            return found

    def add_rows(self, name: str, wires: list[dict[str, Any]]) -> int:
        """All or nothing; a refused row raises RowProblem (its index and why)."""
        with self._work(True) as work:
            table = _table(work, name)
            for index, wire in enumerate(wires):
                try:
                    rows.insert(work.conn, table, _cells(work, table, wire, {}))
                except (TablesError, Invalid, NotFound) as e:
                    raise RowProblem(index, getattr(e, "message", str(e))) from None
            return len(wires)

    def update(
        self, name: str, row_id: int, wire: Mapping[str, Any], text: Mapping[str, str]
    ) -> dict[str, Any]:
        with self._work(True) as work:
            table = _table(work, name)
            if not rows.exists(work.conn, table, row_id):
                raise _no_row(table, row_id)
            rows.update(work.conn, table, row_id, _cells(work, table, wire, text))
            found = rows.one(work.conn, table, row_id)
            assert found is not None
            return found

    def delete(self, name: str, row_id: int) -> None:
        with self._work(True) as work:
            table = _table(work, name)
            if rows.delete(work.conn, table, "r.id = ?", [row_id]) == 0:
                raise _no_row(table, row_id)

    # -- schema edits -----------------------------------------------------------------------

    def prepare(self, after: Schema, changes: Changes) -> None:
        """Renames and a type change, then the catalogue synced to `after` (see above)."""
        with self.tables.work(time.monotonic() + SECONDS, write=True) as work:
            _sync(work, self.schema)
            for old, new in changes.table_renames.items():
                _rename_table(work, old, new)
            for (table_name, old), new in changes.column_renames.items():
                _rename_column(work, table_name, old, new)
            converted: list[tuple[int, Any]] = []
            if changes.retype is not None:
                converted = _converted(work, after, *changes.retype)
            _sync(work, after)
            if changes.retype is not None:
                _fill(work, *changes.retype, converted)

    def revert(self, changes: Changes) -> None:
        """Undo `prepare` after a failed save: names back, the catalogue synced to the
        schema this object was made with."""
        with self.tables.work(time.monotonic() + SECONDS, write=True) as work:
            for (table_name, old), new in changes.column_renames.items():
                _rename_column(work, table_name, new, old)
            for old, new in changes.table_renames.items():
                _rename_table(work, new, old)
            _sync(work, self.schema, force=True)

    def finish(self, after: Schema, changes: Changes) -> None:
        """Empty what was deleted, then sync to `after` (the saved schema)."""
        with self.tables.work(time.monotonic() + SECONDS, write=True) as work:
            for name in changes.dropped_tables:
                for table in _tables_named(work, name):
                    rows.delete(work.conn, table, "1", [])
            for table_name, column_name in changes.dropped_columns:
                _empty_column(work, table_name, column_name)
            _sync(work, after, force=True)


class RowProblem(Exception):
    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.message = message


# -- helpers --------------------------------------------------------------------------------


def _table(work: Work, name: str) -> Table:
    table = work.catalogue.tables.get(name)
    if table is None:
        raise NotFound("no_such_table", f"There is no table {name!r}.")
    return table


def _no_row(table: Table, row_id: int) -> NotFound:
    return NotFound("no_such_row", f"Table {table.name!r} has no row {row_id} (it was deleted).")


def _cells(
    work: Work, table: Table, wire: Mapping[str, Any], text: Mapping[str, str]
) -> dict[Column, Any]:
    """Checked SQLite values for the columns given (as wire values or as text)."""
    given: dict[Column, Any] = {}
    for name in {**text, **wire}:
        column = table.columns.get(name)
        if column is None:
            raise NotFound("no_such_column", f"Table {table.name!r} has no column {name!r}.")
        if name in wire:
            value = values.decode(wire[name])
        else:
            try:
                value = values.decode(read_cell(column.type, text[name]))
            except CellError as e:
                raise Invalid("invalid_value", f"Column {name!r}: {e}.", {"column": name}) from None
        if not values.fits(column, value):
            error = values.type_error(work.catalogue, column, value)
            raise Invalid("invalid_value", error.message, {"column": name})
        given[column] = value
    return rows.sql_values(work.conn, given, work.catalogue.by_id)


def _sync(work: Work, schema: Schema, force: bool = False) -> None:
    if force or work.catalogue.digest != schema.digest:
        work.sync(schema)


def _tables_named(work: Work, name: str) -> list[Table]:
    """The live table `name`, or the retired ones of that name (a run may have synced)."""
    found = work.catalogue.tables.get(name)
    if found is not None:
        return [found]
    ids = [
        row[0]
        for row in work.conn.execute(
            "SELECT id FROM _wb_tables WHERE name = ? AND retired = 1", [name]
        )
    ]
    media = {
        table_id: tuple(
            column_id
            for (column_id,) in work.conn.execute(
                "SELECT id FROM _wb_columns WHERE table_id = ? AND type = 'media'", [table_id]
            )
        )
        for table_id in ids
    }
    return [Table(table_id, name, "none", {}, media[table_id]) for table_id in ids]


_CATALOGUE = {"table": "_wb_tables", "column": "_wb_columns"}


def _hide_namesakes(work: Work, kind: str, ids: list[int]) -> None:
    """Rename retired namesakes (`ids` in the catalogue of `kind`) away, so a rename can
    neither collide with nor later revive what used to have the new name."""
    for found_id in ids:
        work.conn.execute(
            f"UPDATE {_CATALOGUE[kind]} SET name = name || ? WHERE id = ?",
            [f"{HIDDEN}{found_id}", found_id],
        )


def _retired(work: Work, sql: str, params: list[Any]) -> list[int]:
    return [int(row[0]) for row in work.conn.execute(sql, params).fetchall()]


def _rename_table(work: Work, old: str, new: str) -> None:
    if old == new or old not in work.catalogue.tables:
        return
    retired = _retired(work, "SELECT id FROM _wb_tables WHERE name = ? AND retired = 1", [new])
    _hide_namesakes(work, "table", retired)
    table = work.catalogue.tables[old]
    work.conn.execute("UPDATE _wb_tables SET name = ? WHERE id = ?", [new, table.id])
    work._reload()


def _rename_column(work: Work, table_name: str, old: str, new: str) -> None:
    table = work.catalogue.tables.get(table_name)
    if old == new or table is None or old not in table.columns:
        return
    retired = _retired(
        work,
        "SELECT id FROM _wb_columns WHERE table_id = ? AND name = ? AND retired = 1",
        [table.id, new],
    )
    _hide_namesakes(work, "column", retired)
    column = table.columns[old]
    work.conn.execute("UPDATE _wb_columns SET name = ? WHERE id = ?", [new, column.id])
    work._reload()


def _converted(work: Work, after: Schema, table_name: str, name: str) -> list[tuple[int, Any]]:
    """Every value of the column as a wire value of its new type; 422 `unsafe_type_change`
    listing the rows whose value does not convert (nothing is changed then)."""
    table = _table(work, table_name)
    column = table.columns.get(name)
    spec = next(c for c in after.tables[table_name].columns if c.name == name)
    if column is None:
        return []
    found: list[tuple[int, Any]] = []
    problems: list[dict[str, Any]] = []
    count = 0
    for row in rows.select(work.conn, table, [column], f"r.{column.sql} IS NOT NULL", []):
        value = row["values"][name]
        try:
            found.append(
                (values.parse_row_id(row["id"]).row_id, convert(value, column.type, spec.type))
            )
        except CellError as e:
            count += 1
            if len(problems) < MAX_LISTED:
                shown = cell_text(column.type, value)
                problems.append({"row": row["id"], "value": shown[:100], "message": str(e)})
    if count:
        listed = "; ".join(f"row {p['row']}: {p['message']}" for p in problems[:3])
        more = f" (and {count - 3} more)" if count > 3 else ""
        raise Invalid(
            "unsafe_type_change",
            f"Column {name!r} cannot become {_article(spec.type)}: {count} of its values "
            f"would not convert, so nothing was changed: {listed}{more}.",
            {"problems": problems, "count": count},
        )
    return found


def _fill(work: Work, table_name: str, name: str, converted: list[tuple[int, Any]]) -> None:
    """The new column (just made, or an old one of this type revived: emptied first) holds
    the converted values."""
    table = _table(work, table_name)
    column = table.columns[name]
    if column.type == "media":
        rows.free_media(work.conn, table, "1", [], [column.id])
    work.conn.execute(f"UPDATE {table.sql} SET {column.sql} = NULL")
    for row_id, wire in converted:
        value = values.decode(wire)
        if not values.fits(column, value):
            raise values.type_error(work.catalogue, column, value)
        cell = rows.sql_values(work.conn, {column: value}, work.catalogue.by_id)[column]
        work.conn.execute(f"UPDATE {table.sql} SET {column.sql} = ? WHERE id = ?", [cell, row_id])


def _empty_column(work: Work, table_name: str, name: str) -> None:
    """The deleted column's values, live or retired by now, are forgotten."""
    for table in _tables_named(work, table_name):
        for column_id, kind in work.conn.execute(
            "SELECT id, type FROM _wb_columns WHERE table_id = ? AND name = ?", [table.id, name]
        ).fetchall():
            if kind == "media":
                rows.free_media(work.conn, table, "1", [], [column_id])
            work.conn.execute(f"UPDATE {table.sql} SET c{int(column_id)} = NULL")


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"
