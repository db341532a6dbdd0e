"""Rows in SQL: reading them as row records, and writing checked values (media stored and
freed, links checked) into one row. Plain functions of a connection and the catalogue; the
caller (`operations.py`) holds the right connection inside `WidgetTables.work`.

A row record is what the guest gets: `{"id": "[3,17]", "table": "people", "values": {...}}`,
every value in its wire form (`values.from_sql`)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from widgetbox.host.tables import values
from widgetbox.host.tables.catalogue import Column, Table
from widgetbox.host.tables.errors import ROW_DELETED, RowDeleted, TableError
from widgetbox.host.tables.values import NewMedia, RowRef, StoredMedia


def select_list(columns: Sequence[Column]) -> str:
    """`r.id` and each column (a media column with its description beside it)."""
    parts = ["r.id"]
    for column in columns:
        parts.append(f"r.{column.sql}")
        if column.type == "media":
            parts.append(
                "(SELECT json_array(m.content_type, m.name, length(m.data)) "
                f"FROM _wb_media AS m WHERE m.id = r.{column.sql})"
            )
    return ", ".join(parts)


def select(
    conn: sqlite3.Connection,
    table: Table,
    columns: Sequence[Column],
    where: str,
    params: Sequence[Any],
    tail: str = "",
    tail_params: Sequence[Any] = (),
) -> list[dict[str, Any]]:
    """Row records of `table`'s rows (`r`) that meet `where`, then `tail` (order, limit)."""
    sql = f"SELECT {select_list(columns)} FROM {table.sql} AS r WHERE {where} {tail}"
    cursor = conn.execute(sql, [*params, *tail_params])
    return [record(table, columns, row) for row in cursor]


def record(table: Table, columns: Sequence[Column], row: Sequence[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    index = 1
    for column in columns:
        if column.type == "media":
            found[column.name] = values.media_out(row[index], row[index + 1])
            index += 2
        else:
            found[column.name] = values.from_sql(column, row[index])
            index += 1
    return {"id": values.row_id_text(table.id, row[0]), "table": table.name, "values": found}


def one(
    conn: sqlite3.Connection, table: Table, row_id: int, columns: Sequence[Column] | None = None
) -> dict[str, Any] | None:
    chosen = list(table.columns.values()) if columns is None else columns
    found = select(conn, table, chosen, "r.id = ?", [row_id])
    return found[0] if found else None


def exists(conn: sqlite3.Connection, table: Table, row_id: int) -> bool:
    return conn.execute(f"SELECT 1 FROM {table.sql} WHERE id = ?", [row_id]).fetchone() is not None


# -- writing ---------------------------------------------------------------------------------


def sql_values(
    conn: sqlite3.Connection,
    columns: Mapping[Column, Any],
    tables: Mapping[int, Table],
) -> dict[Column, Any]:
    """Checked Python values (`values.fits` already true) as SQLite values: new media
    stored, stored media copied, linked rows checked to exist."""
    out: dict[Column, Any] = {}
    for column, value in columns.items():
        if value is None:
            out[column] = None
        elif column.type == "media":
            out[column] = store_media(conn, value)
        else:
            if column.type == "link_single":
                _check_links(conn, tables, column, [value])
            elif column.type == "link_multiple":
                _check_links(conn, tables, column, value)
            out[column] = values.to_sql(column, value)
    return out


def _check_links(
    conn: sqlite3.Connection, tables: Mapping[int, Table], column: Column, refs: Iterable[RowRef]
) -> None:
    target = tables.get(column.target) if column.target is not None else None
    wanted = sorted({ref.row_id for ref in refs})
    if not wanted:
        return
    if target is None:
        raise RowDeleted(ROW_DELETED)
    found = conn.execute(
        f"SELECT count(*) FROM {target.sql} WHERE id IN (SELECT value FROM json_each(?))",
        [json.dumps(wanted)],
    ).fetchone()[0]
    if found != len(wanted):
        raise RowDeleted(ROW_DELETED)


def store_media(conn: sqlite3.Connection, media: NewMedia | StoredMedia) -> int:
    if isinstance(media, NewMedia):
        cursor = conn.execute(
            "INSERT INTO _wb_media (content_type, name, data) VALUES (?, ?, ?)",
            [media.content_type, media.name, media.data],
        )
    else:
        cursor = conn.execute(
            "INSERT INTO _wb_media (content_type, name, data) "
            "SELECT content_type, name, data FROM _wb_media WHERE id = ?",
            [media.ref],
        )
        if cursor.rowcount != 1:
            raise TableError("Media object deleted")
    media_id = cursor.lastrowid
    assert media_id is not None
    return media_id


def free_media(
    conn: sqlite3.Connection,
    table: Table,
    where: str,
    params: Sequence[Any],
    columns: Iterable[int],
) -> None:
    """Forget the media that `table`'s rows meeting `where` hold in `columns` (ids)."""
    for column_id in columns:
        conn.execute(
            f"DELETE FROM _wb_media WHERE id IN "
            f"(SELECT r.c{column_id} FROM {table.sql} AS r WHERE {where})",
            list(params),
        )


def insert(conn: sqlite3.Connection, table: Table, cells: Mapping[Column, Any]) -> int:
    if cells:
        names = ", ".join(column.sql for column in cells)
        marks = ", ".join("?" * len(cells))
        cursor = conn.execute(
            f"INSERT INTO {table.sql} ({names}) VALUES ({marks})", list(cells.values())
        )
    else:
        cursor = conn.execute(f"INSERT INTO {table.sql} DEFAULT VALUES")
    row_id = cursor.lastrowid
    assert row_id is not None
    return row_id


def update(
    conn: sqlite3.Connection, table: Table, row_id: int, cells: Mapping[Column, Any]
) -> None:
    if not cells:
        return
    media = [column.id for column in cells if column.type == "media"]
    if media:  # the row's old media goes
        free_media(conn, table, "r.id = ?", [row_id], media)
    assignments = ", ".join(f"{column.sql} = ?" for column in cells)
    conn.execute(f"UPDATE {table.sql} SET {assignments} WHERE id = ?", [*cells.values(), row_id])


def delete(conn: sqlite3.Connection, table: Table, where: str, params: Sequence[Any]) -> int:
    """Delete `table`'s rows meeting `where` (on `r`), with their media; how many."""
    free_media(conn, table, where, params, table.media_columns)
    cursor = conn.execute(
        f"DELETE FROM {table.sql} WHERE id IN (SELECT r.id FROM {table.sql} AS r WHERE {where})",
        list(params),
    )
    return cursor.rowcount
