"""The catalogue of one widget's tables file: which SQLite table and column stands for each
Anvil table and column. User names never reach SQL: they map to integer ids here, and SQL
names are made from those ids only (`t<id>`, `c<id>`, `i<id>`, `f<id>`).

    _wb_tables(id, name UNIQUE, client, retired)
    _wb_columns(id, table_id, name, type, target_table_id, retired)
    _wb_media(id, content_type, name, data)
    _wb_meta(key PRIMARY KEY, value)      format version, the schema digest synced to

`sync` makes the catalogue agree with a widget's schema without losing data: what the
schema no longer has is retired (kept, invisible) and revived when it comes back the same;
a column whose type changed is retired and a new one made. Everything here runs inside the
caller's write transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field

from widgetbox.host.tables.tables_yaml import LINK_TYPES, Schema

FORMAT = "1"
"""The file's layout version (`_wb_meta.format`)."""

INDEXED_TYPES = frozenset({"string", "number", "bool", "date", "datetime", "link_single", "media"})
"""Columns with an index of their own: `get(col=v)`, ranges and `order_by` use it (media:
so that freeing and the browser's access check find a media's row at once)."""

CREATE_CATALOGUE = """
CREATE TABLE IF NOT EXISTS _wb_meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _wb_tables (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, client TEXT NOT NULL DEFAULT 'none',
    retired INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS _wb_columns (
    id INTEGER PRIMARY KEY, table_id INTEGER NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,
    target_table_id INTEGER, retired INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS _wb_columns_by_table ON _wb_columns (table_id, name);
CREATE TABLE IF NOT EXISTS _wb_media (
    id INTEGER PRIMARY KEY AUTOINCREMENT, content_type TEXT NOT NULL, name TEXT, data BLOB NOT NULL
);
"""


@dataclass(frozen=True)
class Column:
    id: int
    table_id: int
    name: str
    type: str
    target: int | None = None
    """The linked table's id (links only)."""

    @property
    def sql(self) -> str:
        return f"c{self.id}"


@dataclass(frozen=True)
class Table:
    id: int
    name: str
    client: str
    columns: Mapping[str, Column]
    """Live columns by name, in the order they were made."""
    media_columns: tuple[int, ...] = ()
    """Every media column's id, retired ones too: a deleted row's media is freed from all."""
    fts: frozenset[int] = frozenset()
    """Columns with a full-text index."""

    @property
    def sql(self) -> str:
        return f"t{self.id}"


@dataclass(frozen=True)
class Catalogue:
    tables: Mapping[str, Table] = field(default_factory=dict)
    """Live tables by name."""
    by_id: Mapping[int, Table] = field(default_factory=dict)
    digest: str = ""
    """The schema digest it was last synced to ("" never)."""
    auto_create: bool = True

    def table_name(self, table_id: int | None) -> str:
        table = self.by_id.get(table_id) if table_id is not None else None
        return table.name if table is not None else "?"


def create(conn: sqlite3.Connection) -> None:
    """The catalogue's own tables, in a new file (inside the caller's transaction)."""
    for statement in CREATE_CATALOGUE.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("INSERT OR IGNORE INTO _wb_meta (key, value) VALUES ('format', ?)", [FORMAT])


def load(conn: sqlite3.Connection) -> Catalogue:
    """The catalogue as the file holds it."""
    meta = dict(conn.execute("SELECT key, value FROM _wb_meta").fetchall())
    fts_tables = {
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'f[0-9]*'"
        )
    }
    columns: dict[int, dict[str, Column]] = {}
    media: dict[int, list[int]] = {}
    fts: dict[int, set[int]] = {}
    for column_id, table_id, name, kind, target, retired in conn.execute(
        "SELECT id, table_id, name, type, target_table_id, retired FROM _wb_columns ORDER BY id"
    ):
        if kind == "media":
            media.setdefault(table_id, []).append(column_id)
        if not retired:
            columns.setdefault(table_id, {})[name] = Column(column_id, table_id, name, kind, target)
            if f"f{column_id}" in fts_tables:
                fts.setdefault(table_id, set()).add(column_id)
    tables = {}
    for table_id, name, client in conn.execute(
        "SELECT id, name, client FROM _wb_tables WHERE retired = 0 ORDER BY id"
    ):
        tables[name] = Table(
            table_id,
            name,
            client,
            columns.get(table_id, {}),
            tuple(media.get(table_id, ())),
            frozenset(fts.get(table_id, ())),
        )
    return Catalogue(
        tables,
        {table.id: table for table in tables.values()},
        meta.get("schema_digest", ""),
        meta.get("auto_create", "1") == "1",
    )


def sync(conn: sqlite3.Connection, schema: Schema) -> Catalogue:
    """Make the file's catalogue agree with `schema` (inside the caller's write transaction),
    and return it."""
    wanted = set(schema.tables)
    ids: dict[str, int] = {}
    for name, retired, table_id in conn.execute("SELECT name, retired, id FROM _wb_tables"):
        if name in wanted:
            ids[name] = table_id
            if retired:
                conn.execute("UPDATE _wb_tables SET retired = 0 WHERE id = ?", [table_id])
        elif not retired:
            conn.execute("UPDATE _wb_tables SET retired = 1 WHERE id = ?", [table_id])
    for name, spec in schema.tables.items():
        if name not in ids:
            cursor = conn.execute(
                "INSERT INTO _wb_tables (name, client) VALUES (?, ?)", [name, spec.client]
            )
            table_id = _row_id(cursor)
            ids[name] = table_id
            conn.execute(f"CREATE TABLE t{table_id} (id INTEGER PRIMARY KEY AUTOINCREMENT)")
        else:
            conn.execute(
                "UPDATE _wb_tables SET client = ? WHERE id = ? AND client != ?",
                [spec.client, ids[name], spec.client],
            )
    for name, spec in schema.tables.items():
        table_id = ids[name]
        live = {
            column_name: (column_id, kind, target)
            for column_id, column_name, kind, target in conn.execute(
                "SELECT id, name, type, target_table_id FROM _wb_columns "
                "WHERE table_id = ? AND retired = 0",
                [table_id],
            )
        }
        keep = set()
        for column in spec.columns:
            target = ids[column.target] if column.target is not None else None
            have = live.get(column.name)
            if have is not None and have[1:] == (column.type, target):
                keep.add(have[0])
                continue
            keep.add(add_column(conn, table_id, column.name, column.type, target))
        for column_id, _kind, _target in live.values():
            if column_id not in keep:
                conn.execute("UPDATE _wb_columns SET retired = 1 WHERE id = ?", [column_id])
    set_meta(conn, "schema_digest", schema.digest)
    set_meta(conn, "auto_create", "1" if schema.auto_create else "0")
    return load(conn)


def add_column(
    conn: sqlite3.Connection, table_id: int, name: str, kind: str, target: int | None
) -> int:
    """A live column `name` of `kind` (retiring any other live one of that name): a retired
    column of the same name and type comes back with its data, or a new one is made."""
    conn.execute(
        "UPDATE _wb_columns SET retired = 1 WHERE table_id = ? AND name = ? AND retired = 0",
        [table_id, name],
    )
    old = conn.execute(
        "SELECT id FROM _wb_columns WHERE table_id = ? AND name = ? AND type = ? "
        "AND target_table_id IS ? ORDER BY id DESC LIMIT 1",
        [table_id, name, kind, target],
    ).fetchone()
    if old is not None:
        conn.execute("UPDATE _wb_columns SET retired = 0 WHERE id = ?", [old[0]])
        return int(old[0])
    cursor = conn.execute(
        "INSERT INTO _wb_columns (table_id, name, type, target_table_id) VALUES (?, ?, ?, ?)",
        [table_id, name, kind, target if kind in LINK_TYPES else None],
    )
    column_id = _row_id(cursor)
    # Only integer ids are formatted into SQL.
    conn.execute(f"ALTER TABLE t{table_id} ADD COLUMN c{column_id}")
    if kind in INDEXED_TYPES:
        conn.execute(f"CREATE INDEX i{column_id} ON t{table_id} (c{column_id})")
    return column_id


def add_fts(conn: sqlite3.Connection, table_id: int, column_id: int) -> None:
    """A full-text index `f<column>` over a string column, filled from the rows there and kept
    up to date by triggers (inside the caller's write transaction)."""
    f, t, c = f"f{column_id}", f"t{table_id}", f"c{column_id}"
    conn.execute(
        f"CREATE VIRTUAL TABLE {f} USING fts5({c}, content='{t}', content_rowid='id', "
        "tokenize='porter unicode61')"
    )
    conn.execute(
        f"CREATE TRIGGER {f}_insert AFTER INSERT ON {t} BEGIN "
        f"INSERT INTO {f} (rowid, {c}) VALUES (new.id, new.{c}); END"
    )
    conn.execute(
        f"CREATE TRIGGER {f}_delete AFTER DELETE ON {t} BEGIN "
        f"INSERT INTO {f} ({f}, rowid, {c}) VALUES ('delete', old.id, old.{c}); END"
    )
    conn.execute(
        f"CREATE TRIGGER {f}_update AFTER UPDATE OF {c} ON {t} BEGIN "
        f"INSERT INTO {f} ({f}, rowid, {c}) VALUES ('delete', old.id, old.{c}); "
        f"INSERT INTO {f} (rowid, {c}) VALUES (new.id, new.{c}); END"
    )
    conn.execute(f"INSERT INTO {f} ({f}) VALUES ('rebuild')")


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO _wb_meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def _row_id(cursor: sqlite3.Cursor) -> int:
    row_id = cursor.lastrowid
    assert row_id is not None
    return row_id
