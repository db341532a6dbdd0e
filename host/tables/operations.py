"""The Data Tables operations: each request checked strictly (its keys and their types),
against who asks (server code may do anything; browser code what each table's `client`
level allows), then run in one `WidgetTables.work`.

    describe {}                           add_row {table, values}     add_rows {table, rows}
    get {table, query}                    get_by_id {table, id}       count {table, query}
    search {table, query, order, page_size, offset, fetch_only}       row {id, fetch_only}
    update {id, values}   delete {id}     delete_where {table, query} delete_all {table}
    media {ref}

`begin`, `commit` and `rollback` belong to the run's session (`session.py`). `run` answers
JSON and reports the columns it auto-created (committed ones: inside a transaction they are
reported when it commits)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from widgetbox.host.tables import guard, query, rows, tables_yaml, values
from widgetbox.host.tables.catalogue import Catalogue, Column, Table
from widgetbox.host.tables.errors import (
    ROW_DELETED,
    BadRequest,
    NoSuchTable,
    PermissionDenied,
    RowDeleted,
    TableError,
    no_such_column,
    no_such_table,
)
from widgetbox.host.tables.limits import TableLimits
from widgetbox.host.tables.store import NewColumn, Transaction, WidgetTables, Work, describe
from widgetbox.host.tables.tables_yaml import Schema

SERVER, CLIENT, OWNER = "server", "client", "owner"
"""Who asks: server code (the bridge), browser code (a GUI app's `/_/tables`; each table's
`client` level), or the widget's owner in the IDE (full access, but no auto-created columns:
the schema is theirs to edit)."""

READ, WRITE = "search", "full"
"""The `client` level an operation needs."""

MAX_OFFSET = 2**62
EVERYTHING: dict[str, Any] = {"all": []}


@dataclass
class Call:
    """What one operation runs with."""

    tables: WidgetTables
    schema: Schema
    access: str
    deadline: float
    limits: TableLimits
    transaction: Transaction | None = None
    guarded: guard.Guard = guard.NONE
    """Columns this caller may not write, search or see (`guard.py`)."""


@dataclass
class Outcome:
    answer: Any
    new_columns: list[NewColumn] = field(default_factory=list)
    """What this operation auto-created, committed."""


# -- the request's shape ---------------------------------------------------------------------

Check = tuple[Callable[[Any], bool], str]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


TEXT: Check = (lambda v: isinstance(v, str) and len(v) <= 1000, "text")
OBJECT: Check = (lambda v: isinstance(v, dict), "an object")
LIST: Check = (lambda v: isinstance(v, list), "a list")
QUERY: Check = (lambda v: isinstance(v, dict), "a query object")
INTEGER: Check = (lambda v: _is_int(v) and 0 <= v <= MAX_OFFSET, "a whole number")
PAGE: Check = (lambda v: v is None or _is_int(v), "a whole number or null")
NAMES: Check = (
    lambda v: v is None or (isinstance(v, list) and all(isinstance(n, str) for n in v)),
    "a list of column names or null",
)
ANY: Check = (lambda v: True, "a value")


@dataclass(frozen=True)
class Spec:
    fn: Callable[[Call, dict[str, Any]], Outcome]
    required: dict[str, Check]
    optional: dict[str, tuple[Check, Any]] = field(default_factory=dict)

    def arguments(self, op: str, request: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for key, value in request.items():
            if key == "op":
                continue
            if key in self.required:
                check = self.required[key]
            elif key in self.optional:
                check = self.optional[key][0]
            else:
                raise BadRequest(f"'{op}' takes no {str(key)[:40]!r}")
            if not check[0](value):
                raise BadRequest(f"'{op}': {key} is {check[1]}")
            found[key] = value
        missing = [key for key in self.required if key not in found]
        if missing:
            raise BadRequest(f"'{op}' needs {', '.join(missing)}")
        for key, (_check, default) in self.optional.items():
            found.setdefault(key, default)
        return found


def run(call: Call, request: Any) -> Outcome:
    """One operation: its answer, or a TablesError."""
    if not isinstance(request, dict) or not isinstance(request.get("op"), str):
        raise BadRequest('a Data Tables request is {"op": name, ...}')
    op = request["op"]
    spec = OPERATIONS.get(op)
    if spec is None:
        raise BadRequest(f"unknown Data Tables operation {op[:40]!r}")
    values.check_unicode(request)
    args = spec.arguments(op, request)
    if not call.guarded:
        return spec.fn(call, args)
    if isinstance(args.get("table"), str):
        guard.check_query(call.guarded, args["table"], args.get("query"))
        guard.check_order(call.guarded, args["table"], args.get("order"))
    outcome = spec.fn(call, args)
    outcome.answer = guard.mask(call.guarded, outcome.answer)
    return outcome


# -- access ----------------------------------------------------------------------------------


def _allowed(call: Call, table: Table, level: str) -> None:
    if call.access != CLIENT:
        return
    if table.client == "full" or (table.client == "search" and level == READ):
        return
    verb = "read from" if level == READ else "write to"
    raise PermissionDenied(f"Cannot {verb} table '{table.name}' from client code.")


def _table(call: Call, catalogue: Catalogue, name: str, level: str) -> Table:
    table = catalogue.tables.get(name)
    if table is None:
        raise no_such_table(name)
    _allowed(call, table, level)
    return table


def _row_table(call: Call, catalogue: Catalogue, row_id: Any, level: str) -> tuple[Table, int]:
    ref = values.parse_row_id(row_id)
    table = catalogue.by_id.get(ref.table_id)
    if table is None:
        raise NoSuchTable("Table not found. Has it been deleted?")
    _allowed(call, table, level)
    return table, ref.row_id


def _columns(table: Table, names: list[str] | None) -> list[Column]:
    if names is None:
        return list(table.columns.values())
    chosen = []
    for name in dict.fromkeys(names):
        column = table.columns.get(name)
        if column is None:
            raise no_such_column(name[:100])
        chosen.append(column)
    return chosen


def _work(call: Call, write: bool) -> Any:
    return call.tables.work(
        call.deadline, write=write, transaction=call.transaction, schema=call.schema
    )


def _outcome(call: Call, work: Work, answer: Any) -> Outcome:
    return Outcome(answer, work.new_columns if call.transaction is None else [])


class _NeedsIndex(Exception):
    """A read's query uses full-text search on columns without their index yet."""

    def __init__(self, table: str, columns: set[int]) -> None:
        self.table, self.columns = table, columns


def _where(work: Work, table: Table, tree: Any) -> tuple[Table, query.Where]:
    built = query.where(work.catalogue, table, tree)
    if built.fts - table.fts:
        if not work.writing:
            raise _NeedsIndex(table.name, built.fts)
        table = work.add_fts(table, built.fts)
    return table, built


def _reading(call: Call, read: Callable[[Work], Any]) -> Outcome:
    """`read(work)` on a read connection; once more after making the full-text indexes a
    query needs (a write)."""
    for _attempt in range(2):
        try:
            with _work(call, write=False) as work:
                return _outcome(call, work, read(work))
        except _NeedsIndex as needed:
            with _work(call, write=True) as work:
                table = work.catalogue.tables.get(needed.table)
                if table is not None:
                    work.add_fts(table, needed.columns)
    raise TableError("The full-text index could not be made")  # pragma: no cover


# -- reading ---------------------------------------------------------------------------------


def op_describe(call: Call, args: dict[str, Any]) -> Outcome:
    def read(work: Work) -> Any:
        visible = None
        if call.access == CLIENT:
            visible = {n for n, t in work.catalogue.tables.items() if t.client != "none"}
        return describe(work.catalogue, visible)

    return _reading(call, read)


def op_search(call: Call, args: dict[str, Any]) -> Outcome:
    page = args["page_size"]
    if page is None:
        page = call.limits.page_rows
    if page <= 0:
        raise TableError("Page size must be a positive number.")
    page = min(page, call.limits.max_page_rows)

    def read(work: Work) -> Any:
        table = _table(call, work.catalogue, args["table"], READ)
        columns = _columns(table, args["fetch_only"])
        table, where = _where(work, table, args["query"])
        order = query.order_by(table, args["order"], where.scans)
        found = rows.select(
            work.conn,
            table,
            columns,
            where.sql,
            where.params,
            f"{order} LIMIT ? OFFSET ?",
            [page + 1, args["offset"]],
        )
        return {"rows": found[:page], "more": len(found) > page}

    return _reading(call, read)


def op_get(call: Call, args: dict[str, Any]) -> Outcome:
    def read(work: Work) -> Any:
        table = _table(call, work.catalogue, args["table"], READ)
        table, where = _where(work, table, args["query"])
        found = rows.select(
            work.conn, table, list(table.columns.values()), where.sql, where.params, "LIMIT 2"
        )
        if len(found) > 1:
            raise TableError("More than one row matched this query")
        return found[0] if found else None

    return _reading(call, read)


def op_get_by_id(call: Call, args: dict[str, Any]) -> Outcome:
    ref = values.parse_row_id(args["id"])

    def read(work: Work) -> Any:
        table = _table(call, work.catalogue, args["table"], READ)
        if ref.table_id != table.id:
            return None
        return rows.one(work.conn, table, ref.row_id)

    return _reading(call, read)


def op_count(call: Call, args: dict[str, Any]) -> Outcome:
    def read(work: Work) -> Any:
        table = _table(call, work.catalogue, args["table"], READ)
        table, where = _where(work, table, args["query"])
        sql = f"SELECT count(*) FROM {table.sql} AS r WHERE {where.sql}"
        return int(work.conn.execute(sql, where.params).fetchone()[0])

    return _reading(call, read)


def op_row(call: Call, args: dict[str, Any]) -> Outcome:
    def read(work: Work) -> Any:
        table, row_id = _row_table(call, work.catalogue, args["id"], READ)
        found = rows.one(work.conn, table, row_id, _columns(table, args["fetch_only"]))
        if found is None:
            raise RowDeleted(ROW_DELETED)
        return found

    return _reading(call, read)


def op_media(call: Call, args: dict[str, Any]) -> Outcome:
    ref = args["ref"]

    def read(work: Work) -> Any:
        if call.access == CLIENT and not _client_may_read_media(call, work, ref):
            raise TableError("Media object deleted")
        found = work.conn.execute(
            "SELECT content_type, name, data FROM _wb_media WHERE id = ?", [ref]
        ).fetchone()
        if found is None:
            raise TableError("Media object deleted")
        content_type, name, data = found
        return {
            "content_type": content_type,
            "name": name,
            "data": base64.b64encode(data).decode("ascii"),
        }

    return _reading(call, read)


def _client_may_read_media(call: Call, work: Work, ref: int) -> bool:
    """Whether a live media column of a table the browser may read holds `ref` (each has
    an index: one lookup per column)."""
    for table in work.catalogue.tables.values():
        if table.client == "none":
            continue
        for column in table.columns.values():
            if (
                column.type == "media"
                and work.conn.execute(
                    f"SELECT 1 FROM {table.sql} WHERE {column.sql} = ? LIMIT 1", [ref]
                ).fetchone()
            ):
                return True
    return False


# -- writing ---------------------------------------------------------------------------------


def _cells(
    call: Call, work: Work, table: Table, given: dict[str, Any]
) -> tuple[Table, dict[Column, Any]]:
    """The checked values for a row of `table`, by column, auto-creating unknown columns
    (server code only, unless the schema turns it off)."""
    guard.check_write(call.guarded, table.name, given)
    checked: dict[Column, Any] = {}
    for name, wire in given.items():
        value = values.decode(wire)
        column = table.columns.get(name)
        if column is None:
            table, column = _new_column(call, work, table, name, value)
        elif not values.fits(column, value):
            raise values.type_error(work.catalogue, column, value)
        if (
            isinstance(value, values.StoredMedia)
            and call.access == CLIENT
            and not _client_may_read_media(call, work, value.ref)
        ):  # browser code copies only media it may read
            raise TableError("Media object deleted")
        checked[column] = value
    return table, rows.sql_values(work.conn, checked, work.catalogue.by_id)


def _new_column(
    call: Call, work: Work, table: Table, name: str, value: Any
) -> tuple[Table, Column]:
    if call.access != SERVER or not call.schema.auto_create:
        raise no_such_column(name[:100])
    found = values.type_of(value)
    if found.error:
        raise TableError(found.error)
    if found.type in ("unresolved", "unresolvedArray"):  # nothing says which type to make
        raise no_such_column(name[:100])
    if (
        not name
        or len(name) > tables_yaml.MAX_COLUMN_NAME
        or any(ord(c) < 32 or c == "\x7f" for c in name)
    ):
        raise TableError(
            f"A column's name is 1 to {tables_yaml.MAX_COLUMN_NAME} characters, "
            "without control characters"
        )
    if len(table.columns) >= tables_yaml.MAX_COLUMNS:
        raise TableError(
            f"Table '{table.name}' has {tables_yaml.MAX_COLUMNS} columns, the most a table may have"
        )
    if found.target is not None and found.target not in work.catalogue.by_id:
        raise NoSuchTable("Table not found. Has it been deleted?")
    column = work.add_column(table, name, found.type, found.target)
    return work.catalogue.by_id[table.id], column


def op_add_row(call: Call, args: dict[str, Any]) -> Outcome:
    with _work(call, write=True) as work:
        table = _table(call, work.catalogue, args["table"], WRITE)
        table, cells = _cells(call, work, table, args["values"])
        row_id = rows.insert(work.conn, table, cells)
        return _outcome(call, work, rows.one(work.conn, table, row_id))


def op_add_rows(call: Call, args: dict[str, Any]) -> Outcome:
    if not all(isinstance(values_, dict) for values_ in args["rows"]):
        raise BadRequest("'add_rows': rows is a list of objects")
    with _work(call, write=True) as work:
        table = _table(call, work.catalogue, args["table"], WRITE)
        added = []
        for given in args["rows"]:
            table, cells = _cells(call, work, table, given)
            added.append(rows.insert(work.conn, table, cells))
        return _outcome(call, work, [rows.one(work.conn, table, row_id) for row_id in added])


def op_update(call: Call, args: dict[str, Any]) -> Outcome:
    with _work(call, write=True) as work:
        table, row_id = _row_table(call, work.catalogue, args["id"], WRITE)
        if not rows.exists(work.conn, table, row_id):
            raise RowDeleted(ROW_DELETED)
        table, cells = _cells(call, work, table, args["values"])
        rows.update(work.conn, table, row_id, cells)
        return _outcome(call, work, rows.one(work.conn, table, row_id))


def op_delete(call: Call, args: dict[str, Any]) -> Outcome:
    with _work(call, write=True) as work:
        table, row_id = _row_table(call, work.catalogue, args["id"], WRITE)
        if rows.delete(work.conn, table, "r.id = ?", [row_id]) == 0:
            raise RowDeleted(ROW_DELETED)
        return _outcome(call, work, None)


def op_delete_where(call: Call, args: dict[str, Any]) -> Outcome:
    with _work(call, write=True) as work:
        table = _table(call, work.catalogue, args["table"], WRITE)
        table, where = _where(work, table, args["query"])
        return _outcome(call, work, rows.delete(work.conn, table, where.sql, where.params))


def op_delete_all(call: Call, args: dict[str, Any]) -> Outcome:
    with _work(call, write=True) as work:
        table = _table(call, work.catalogue, args["table"], WRITE)
        rows.delete(work.conn, table, "1", [])
        return _outcome(call, work, None)


OPERATIONS: dict[str, Spec] = {
    "describe": Spec(op_describe, {}),
    "search": Spec(
        op_search,
        {"table": TEXT},
        {
            "query": (QUERY, EVERYTHING),
            "order": (LIST, []),
            "page_size": (PAGE, None),
            "offset": (INTEGER, 0),
            "fetch_only": (NAMES, None),
        },
    ),
    "get": Spec(op_get, {"table": TEXT, "query": QUERY}),
    "get_by_id": Spec(op_get_by_id, {"table": TEXT, "id": ANY}),
    "count": Spec(op_count, {"table": TEXT}, {"query": (QUERY, EVERYTHING)}),
    "row": Spec(op_row, {"id": ANY}, {"fetch_only": (NAMES, None)}),
    "media": Spec(op_media, {"ref": INTEGER}),
    "add_row": Spec(op_add_row, {"table": TEXT, "values": OBJECT}),
    "add_rows": Spec(op_add_rows, {"table": TEXT, "rows": LIST}),
    "update": Spec(op_update, {"id": ANY, "values": OBJECT}),
    "delete": Spec(op_delete, {"id": ANY}),
    "delete_where": Spec(op_delete_where, {"table": TEXT, "query": QUERY}),
    "delete_all": Spec(op_delete_all, {"table": TEXT}),
}
