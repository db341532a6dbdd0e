"""Data Tables: every widget has its own tables, used through Anvil's `anvil.tables` API by
its server code (the bridge operation `tables`) and, per each table's `client` level, by its
browser code. See ../notes/tables-design.md and ARCHITECTURE.md.

- One SQLite file per widget, `<data_dir>/tables/<widget_id>.db`, shaped by the widget's
  `tables.yaml` (Anvil's `db_schema`); user names map to integer ids in a catalogue, so no
  name or value is ever formatted into SQL.
- Every request is checked strictly, bounded (query depth and size, page size, a deadline
  on all SQLite work, operations per run, storage per widget) and answered in JSON.
- One writer per file; a run's transaction holds it across calls and ends with the run.

    errors.py      the refusals, each with the bridge error kind the guest maps to Anvil's
                   exception classes
    limits.py      `TableLimits`: storage, page sizes, time per operation, operations per run,
                   lock waits, open files
    tables_yaml.py `tables.yaml` (and Anvil's older `db_schema` forms) read into a `Schema`,
                   every problem listed with where it is
    catalogue.py   the file's own tables: Anvil tables and columns by id; syncing them with a
                   schema (retire, revive, add); full-text indexes
    values.py      values from the wire, checked against column types, into SQLite and back
    query.py       query trees into parameterised SQL; order; LIKE, ILIKE and containment
    rows.py        row records out, checked values in (media stored and freed, links checked)
    store.py       `TablesStore` (the files: open, delete, copy) and `WidgetTables` (one
                   file: connections, locks, transactions, deadlines, the storage check)
    operations.py  the operations: the request's shape, access levels, the work
    session.py     `TablesSession`: one run's operations, budget and transaction;
                   `client_call` for browser code
    handler.py     the bridge handler `tables`; `register` offers it on a `Bridge`;
                   `names_for_guest`, the table names a run's guest is told up front
    guard.py       columns only the host may see (the Users service's password hashes)
    autocolumns.py columns that server code created, saved into `tables.yaml` (a version)

The IDE's Data page (api.py, pages.py, schemas.py, owner.py, editing.py, cells.py,
transfer.py) works on the same files through `WidgetTables.work`.
"""

from widgetbox.host.tables.errors import (
    BadRequest,
    NoSuchColumn,
    NoSuchTable,
    PermissionDenied,
    QuotaExceeded,
    RowDeleted,
    TableError,
    TablesError,
    TransactionConflict,
)
from widgetbox.host.tables.handler import OP, TablesHandler, names_for_guest, register
from widgetbox.host.tables.limits import TableLimits
from widgetbox.host.tables.session import NewColumns, TablesSession, client_call
from widgetbox.host.tables.store import NewColumn, Page, TablesStore, WidgetTables
from widgetbox.host.tables.tables_yaml import SCHEMA_FILE, Schema, SchemaError, parse

__all__ = [
    "OP",
    "SCHEMA_FILE",
    "BadRequest",
    "NewColumn",
    "NewColumns",
    "NoSuchColumn",
    "NoSuchTable",
    "Page",
    "PermissionDenied",
    "QuotaExceeded",
    "RowDeleted",
    "Schema",
    "SchemaError",
    "TableError",
    "TableLimits",
    "TablesError",
    "TablesHandler",
    "TablesSession",
    "TablesStore",
    "TransactionConflict",
    "WidgetTables",
    "client_call",
    "names_for_guest",
    "parse",
    "register",
]
