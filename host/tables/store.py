"""Widgets' tables files: `<data_dir>/tables/<widget_id>.db`, one SQLite file per widget,
made on first use.

- `TablesStore` finds each widget's `WidgetTables` (one object per widget for as long as
  the process runs, so one writer lock per file), keeps at most `open_files` of them with
  open connections (the least recently used idle ones are closed, and reopen on use), and
  deletes and copies files for the host (widget deletion, forks, backups).
- `WidgetTables` is one file: WAL, `synchronous=FULL`, foreign keys off, a small busy
  timeout (writers are serialised here, not by SQLite). One writer connection behind a lock;
  reads outside a transaction on reader connections of their own. Every piece of SQLite
  work runs under a deadline (a progress handler aborts it), and every write is followed by
  the storage check; a write that fails, or passes a limit, leaves nothing behind.
- A run's transaction (`begin` .. `commit`) holds the writer lock across its calls; its
  operations each run in a savepoint, so a failed one is undone alone. A writer from another
  run waits at most `lock_wait`, then gets TransactionConflict; a transaction left open
  longer than `transaction_seconds` is ended (rolled back) by the next writer that waits.

`work(...)` is the one way in for operations: it yields a `Work` (a connection and the
catalogue that goes with it) and takes care of locks, savepoints, deadlines and quota."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from widgetbox.host.tables import catalogue as catalogues
from widgetbox.host.tables import query, rows
from widgetbox.host.tables.catalogue import Catalogue, Column, Table
from widgetbox.host.tables.errors import (
    CONFLICT,
    QuotaExceeded,
    TableError,
    TablesError,
    TransactionConflict,
    no_such_table,
)
from widgetbox.host.tables.limits import TableLimits, size_text
from widgetbox.host.tables.tables_yaml import Schema

log = logging.getLogger("widgetbox.host.tables")

FOLDER = "tables"
"""Under the data folder: `<data_dir>/tables/<widget_id>.db`."""
BUSY_TIMEOUT_MS = 200
PROGRESS_EVERY = 1000
"""SQLite virtual-machine steps between deadline checks."""
STATEMENT_CACHE = 256
DELETED = "This widget's Data Tables have been deleted"


class NewColumn(NamedTuple):
    """A column that writing an unknown one created (auto-create)."""

    table: str
    name: str
    type: str
    target: str | None
    """The linked table's name (links only)."""


@dataclass(frozen=True)
class Page:
    """Rows of a table and how many it has in all."""

    rows: list[dict[str, Any]]
    total: int


@dataclass(eq=False)
class Transaction:
    """A run's open transaction: it holds the writer lock until it ends."""

    owner: object
    started: float
    catalogue: Catalogue
    changed_catalogue: bool = False
    new_columns: list[NewColumn] = field(default_factory=list)
    """Auto-created inside it, reported once it commits."""
    busy: bool = False
    """An operation of it is running (it must not be ended under that operation's feet)."""
    ending: bool = False
    """Its run has ended while an operation was running: rolled back when that finishes."""
    expired: bool = False
    """Ended from outside (its run ended, it outlived `transaction_seconds`)."""


@dataclass(eq=False)
class Work:
    """One operation's connection and the catalogue it sees. `add_column` and `add_fts`
    change the catalogue as part of the operation's own write."""

    conn: sqlite3.Connection
    catalogue: Catalogue
    writing: bool
    new_columns: list[NewColumn] = field(default_factory=list)
    changed: bool = False

    def add_column(self, table: Table, name: str, kind: str, target: int | None) -> Column:
        assert self.writing
        catalogues.add_column(self.conn, table.id, name, kind, target)
        self._reload()
        linked = self.catalogue.table_name(target) if target is not None else None
        self.new_columns.append(NewColumn(table.name, name, kind, linked))
        return self.catalogue.by_id[table.id].columns[name]

    def add_fts(self, table: Table, column_ids: set[int]) -> Table:
        assert self.writing
        for column_id in sorted(column_ids - table.fts):
            catalogues.add_fts(self.conn, table.id, column_id)
        self._reload()
        return self.catalogue.by_id[table.id]

    def sync(self, schema: Schema) -> None:
        assert self.writing
        self.catalogue = catalogues.sync(self.conn, schema)
        self.changed = True

    def _reload(self) -> None:
        loaded = catalogues.load(self.conn)
        # keep the digest: auto-created columns are not a different schema
        self.catalogue = Catalogue(
            loaded.tables, loaded.by_id, self.catalogue.digest, self.catalogue.auto_create
        )
        self.changed = True


class WidgetTables:
    """One widget's tables file. Thread-safe; see the module's description."""

    def __init__(self, widget_id: int, path: Path, limits: TableLimits) -> None:
        self.widget_id = widget_id
        self.path = path
        self.limits = limits
        self.writer_lock = threading.Lock()
        """Held by whoever writes: one operation, or a run's transaction across its calls."""
        self._state = threading.Lock()
        """Guards the fields below (never held while waiting for the writer lock)."""
        self._writer: sqlite3.Connection | None = None
        self._readers: list[sqlite3.Connection] = []
        self._catalogue: Catalogue | None = None
        self._transaction: Transaction | None = None
        self._active = 0
        self._page_size = 4096
        self._refused = False
        """Its file is being deleted: no new work may open it."""

    def __repr__(self) -> str:
        return f"WidgetTables({self.widget_id})"

    # -- the way in --------------------------------------------------------------------------

    @contextlib.contextmanager
    def work(
        self,
        deadline: float,
        *,
        write: bool,
        transaction: Transaction | None = None,
        schema: Schema | None = None,
    ) -> Iterator[Work]:
        """A connection for one operation, with the catalogue synced to `schema` (when given).
        Inside `transaction`: its connection and catalogue, in a savepoint. Otherwise a write
        takes the writer lock for the operation, a read uses a reader connection."""
        if transaction is not None:
            with self._in_transaction(transaction, deadline, schema) as work:
                yield work
        elif write:
            with self._writing(deadline, schema) as work:
                yield work
        else:
            if schema is not None and self.catalogue().digest != schema.digest:
                self.sync(schema, deadline)
            with self._reading(deadline) as work:
                yield work

    def sync(self, schema: Schema, deadline: float) -> Catalogue:
        """Make the file agree with `schema` (nothing to do when it did already)."""
        with self._writing(deadline, schema) as work:
            return work.catalogue

    def catalogue(self) -> Catalogue:
        """The committed catalogue (loaded on first use)."""
        with self._state:
            found = self._catalogue
        if found is not None:
            return found
        self._ensure_open()
        with self._reader() as conn:
            loaded = catalogues.load(conn)
        with self._state:
            if self._catalogue is None:
                self._catalogue = loaded
            return self._catalogue

    @contextlib.contextmanager
    def _reading(self, deadline: float) -> Iterator[Work]:
        catalogue = self.catalogue()
        with self._reader() as conn, _deadline(conn, deadline):
            yield Work(conn, catalogue, writing=False)

    @contextlib.contextmanager
    def _writing(self, deadline: float, schema: Schema | None) -> Iterator[Work]:
        self._acquire(deadline)
        try:
            conn = self._writer_connection()
            work = Work(conn, self.catalogue(), writing=True)
            with _deadline(conn, deadline):
                conn.execute("BEGIN IMMEDIATE")
                try:
                    if schema is not None and work.catalogue.digest != schema.digest:
                        work.sync(schema)
                    yield work
                    self._check_size(conn)
                    _check_deadline(deadline)
                    conn.execute("COMMIT")
                except BaseException:
                    _roll_back(conn)
                    if work.changed:
                        self._forget_catalogue()
                    raise
            if work.changed:
                with self._state:
                    self._catalogue = work.catalogue
        finally:
            self.writer_lock.release()

    @contextlib.contextmanager
    def _in_transaction(
        self, transaction: Transaction, deadline: float, schema: Schema | None
    ) -> Iterator[Work]:
        with self._state:
            if transaction.expired or transaction is not self._transaction:
                raise TableError("This transaction has expired")
            if transaction.busy:
                raise TableError("An earlier operation of this transaction is still running")
            transaction.busy = True
        conn = self._writer
        assert conn is not None
        try:
            work = Work(conn, transaction.catalogue, writing=True)
            with _deadline(conn, deadline):
                conn.execute("SAVEPOINT wb_op")
                try:
                    if schema is not None and work.catalogue.digest != schema.digest:
                        work.sync(schema)
                    yield work
                    self._check_size(conn)
                    conn.execute("RELEASE wb_op")
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK TO wb_op")
                        conn.execute("RELEASE wb_op")
                    raise
            if work.changed:
                transaction.catalogue = work.catalogue
                transaction.changed_catalogue = True
                transaction.new_columns.extend(work.new_columns)
        finally:
            with self._state:
                transaction.busy = False
                end_now = transaction.ending
            if end_now:
                self._end(transaction, commit=False)

    # -- transactions ------------------------------------------------------------------------

    def begin(self, owner: object, deadline: float, schema: Schema | None = None) -> Transaction:
        """A transaction for `owner` (a run's session), holding the writer lock. The file is
        synced to `schema` first, in a write of its own: other runs with the same schema then
        read on without waiting for the transaction."""
        if schema is not None and self.catalogue().digest != schema.digest:
            self.sync(schema, deadline)
        self._acquire(deadline)
        try:
            conn = self._writer_connection()
            conn.execute("BEGIN IMMEDIATE")
        except BaseException as e:
            self.writer_lock.release()
            if isinstance(e, sqlite3.Error):
                raise _table_error(e, deadline) from None
            raise
        transaction = Transaction(owner, time.monotonic(), self.catalogue())
        with self._state:
            self._transaction = transaction
        return transaction

    def commit(self, transaction: Transaction, deadline: float) -> list[NewColumn]:
        """Commit and release; returns the columns auto-created inside it. TableError when it
        has expired, or the commit fails (then it is rolled back)."""
        with self._state:
            if transaction.expired or transaction is not self._transaction:
                raise TableError("This transaction has expired")
            if transaction.busy:
                raise TableError("An earlier operation of this transaction is still running")
            conn = self._writer
        assert conn is not None
        try:
            _check_deadline(deadline)
            conn.execute("COMMIT")
        except (sqlite3.Error, TablesError) as e:
            self._end(transaction, commit=False)
            raise e if isinstance(e, TablesError) else _table_error(e, deadline) from None
        with self._state:
            if transaction.changed_catalogue:
                self._catalogue = transaction.catalogue
            transaction.expired = True
            self._transaction = None
        self.writer_lock.release()
        return transaction.new_columns

    def rollback(self, transaction: Transaction) -> None:
        """Roll back and release; TableError when it had expired already."""
        with self._state:
            if transaction.expired or transaction is not self._transaction:
                raise TableError("This transaction has expired")
        self._end(transaction, commit=False)

    def end(self, transaction: Transaction) -> None:
        """The run that owns `transaction` has ended: roll it back now, or when its running
        operation finishes. Never waits."""
        with self._state:
            if transaction.expired or transaction is not self._transaction:
                return
            if transaction.busy:
                transaction.ending = True
                return
        self._end(transaction, commit=False)

    def _end(self, transaction: Transaction, *, commit: bool) -> None:
        with self._state:
            if transaction is not self._transaction or transaction.busy:
                return
            self._transaction = None
            transaction.expired = True
            conn = self._writer
            if transaction.changed_catalogue:
                self._catalogue = None
        if conn is not None:
            _roll_back(conn)
        self.writer_lock.release()

    def _acquire(self, deadline: float) -> None:
        """The writer lock, waiting at most `lock_wait` (and never past `deadline`); a
        transaction open for longer than `transaction_seconds` is ended meanwhile."""
        start = time.monotonic()
        until = min(deadline, start + self.limits.lock_wait)
        while True:
            left = until - time.monotonic()
            if self.writer_lock.acquire(timeout=max(0.0, min(left, 0.05))):
                return
            self._end_stale()
            if time.monotonic() >= until:
                raise TransactionConflict(CONFLICT)

    def _end_stale(self) -> None:
        with self._state:
            stale = self._transaction
            if (
                stale is None
                or stale.busy
                or time.monotonic() - stale.started < self.limits.transaction_seconds
            ):
                return
        log.info("ending a Data Tables transaction of widget %d left open too long", self.widget_id)
        self._end(stale, commit=False)

    # -- connections -------------------------------------------------------------------------

    def refuse_new_work(self, refused: bool) -> None:
        with self._state:
            self._refused = refused

    def _ensure_open(self) -> None:
        with self._state:
            if self._refused:
                raise TableError(DELETED)
            if self._writer is None:
                self._writer = self._open_writer()

    def _writer_connection(self) -> sqlite3.Connection:
        """The writer (the caller holds the writer lock)."""
        self._ensure_open()
        assert self._writer is not None
        return self._writer

    def _open_writer(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(self.path)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            known = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_wb_meta'"
            ).fetchone()
            if known is None:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    catalogues.create(conn)
                    conn.execute("COMMIT")
                except BaseException:
                    _roll_back(conn)
                    raise
            self._page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        except BaseException:
            conn.close()
            raise
        return conn

    @contextlib.contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        self._ensure_open()
        with self._state:
            conn = self._readers.pop() if self._readers else None
            self._active += 1
        try:
            if conn is None:
                conn = connect(self.path)
                conn.execute("PRAGMA query_only = 1")
            yield conn
        finally:
            with self._state:
                self._active -= 1
                keep = conn is not None and self._writer is not None
                if keep and conn is not None:
                    self._readers.append(conn)
            if not keep and conn is not None:
                conn.close()

    def close_if_idle(self) -> bool:
        """Close every connection if nothing uses them (they reopen on use); whether it did."""
        if not self.writer_lock.acquire(blocking=False):
            return False
        try:
            with self._state:
                if self._transaction is not None or self._active:
                    return False
                connections = [*self._readers, *([self._writer] if self._writer else [])]
                self._readers, self._writer, self._catalogue = [], None, None
            for conn in connections:
                conn.close()
            return True
        finally:
            self.writer_lock.release()

    @property
    def is_open(self) -> bool:
        return self._writer is not None

    def _forget_catalogue(self) -> None:
        with self._state:
            self._catalogue = None

    # -- size --------------------------------------------------------------------------------

    def used_bytes(self, conn: sqlite3.Connection) -> int:
        """Bytes in use: pages holding data (free pages, left by deletes, are reused)."""
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        return int(pages - free) * self._page_size

    def _check_size(self, conn: sqlite3.Connection) -> None:
        limit = self.limits.storage_bytes
        if self.used_bytes(conn) > limit:
            raise QuotaExceeded(
                "Datatable database size limit exceeded: this widget's tables may hold at "
                f"most {size_text(limit)}"
            )

    # -- for the host: the IDE's Data page, backups ------------------------------------------

    def describe(self) -> dict[str, Any]:
        """Every live table, its client access and columns (as the `describe` operation)."""
        return describe(self.catalogue())

    def rows(
        self,
        table: str,
        offset: int = 0,
        limit: int = 100,
        order: list[list[Any]] | None = None,
        seconds: float = 10.0,
    ) -> Page:
        """A page of a table's rows as row records (media and links as references), and how
        many rows the table has, read in one snapshot."""
        with self.work(time.monotonic() + seconds, write=False) as work:
            found = work.catalogue.tables.get(table)
            if found is None:
                raise no_such_table(table)
            work.conn.execute("BEGIN")  # one snapshot for both reads
            try:
                total = work.conn.execute(f"SELECT count(*) FROM {found.sql}").fetchone()[0]
                records = rows.select(
                    work.conn,
                    found,
                    list(found.columns.values()),
                    "1",
                    [],
                    f"{query.order_by(found, order)} LIMIT ? OFFSET ?",
                    [max(0, min(limit, self.limits.max_page_rows)), max(0, offset)],
                )
            finally:
                work.conn.execute("COMMIT")
            return Page(records, int(total))

    def size(self) -> int:
        """Bytes the file's data takes (0 when there is no file yet)."""
        if not self.path.exists():
            return 0
        with self._reader() as conn:
            return self.used_bytes(conn)

    def end_unused(self) -> None:
        """Roll back an open transaction that no operation is using (before removing the
        file: its run may not write to it again)."""
        with self._state:
            transaction = self._transaction
            if transaction is None or transaction.busy:
                return
        self._end(transaction, commit=False)

    def _close_for_removal(self) -> None:
        """End any open transaction and close every connection (the writer lock is held by
        the caller), so the file can be removed or replaced."""
        with self._state:
            transaction = self._transaction
            if transaction is not None:
                self._transaction = None
                transaction.expired = True
            connections = [*self._readers, *([self._writer] if self._writer else [])]
            self._readers, self._writer, self._catalogue = [], None, None
        for conn in connections:
            with contextlib.suppress(sqlite3.Error):
                conn.close()


def describe(catalogue: Catalogue, visible: set[str] | None = None) -> dict[str, Any]:
    tables: dict[str, Any] = {}
    for name, table in catalogue.tables.items():
        if visible is not None and name not in visible:
            continue
        columns = []
        for column in table.columns.values():
            entry: dict[str, Any] = {"name": column.name, "type": column.type}
            if column.target is not None:
                entry["target"] = catalogue.table_name(column.target)
            columns.append(entry)
        tables[name] = {"id": table.id, "client": table.client, "columns": columns}
    return {"tables": tables, "auto_create": catalogue.auto_create}


class TablesStore:
    """Every widget's tables file under `<data_dir>/tables/`.

    Deleting a widget's file starts a new generation of its id: a session made before (a
    run of the deleted widget still going) is refused from then on, so it can never make
    the file again for a new widget that reuses the id."""

    def __init__(self, data_dir: Path, limits: TableLimits | None = None) -> None:
        self.folder = data_dir / FOLDER
        self.limits = limits or TableLimits()
        self._lock = threading.Lock()
        self._widgets: dict[int, WidgetTables] = {}
        self._recent: OrderedDict[int, None] = OrderedDict()
        self._generations: dict[int, int] = {}

    def path(self, widget_id: int) -> Path:
        """Where the widget's tables file is (or will be); makes nothing."""
        return self.folder / f"{int(widget_id)}.db"

    def generation(self, widget_id: int) -> int:
        """How many times the widget's file was deleted while this store ran."""
        with self._lock:
            return self._generations.get(widget_id, 0)

    def open(self, widget_id: int, generation: int | None = None) -> WidgetTables:
        """The widget's tables (the file is made on first use). With `generation`: TableError
        when the file was deleted since (see `generation`)."""
        with self._lock:
            if generation is not None and generation != self._generations.get(widget_id, 0):
                raise TableError(DELETED)
            tables = self._widgets.get(widget_id)
            if tables is None:
                tables = WidgetTables(widget_id, self.path(widget_id), self.limits)
                self._widgets[widget_id] = tables
            self._recent[widget_id] = None
            self._recent.move_to_end(widget_id)
            over = len(self._recent) - self.limits.open_files
            candidates = list(self._recent)[:over] if over > 0 else []
        for other in candidates:
            closable = self._widgets.get(other)
            if closable is None or closable.close_if_idle() or not closable.is_open:
                with self._lock:
                    self._recent.pop(other, None)
        return tables

    def exists(self, widget_id: int) -> bool:
        return self.path(widget_id).exists()

    def delete(self, widget_id: int, wait: float = 10.0) -> None:
        """Remove the widget's tables file. An open transaction is rolled back; an operation
        still running is waited for (at most `wait` seconds, then TransactionConflict and
        nothing is removed). Runs of the widget that are still going are refused from now on."""
        tables = self.open(widget_id)
        tables.refuse_new_work(True)
        tables.end_unused()
        if not tables.writer_lock.acquire(timeout=wait):
            tables.refuse_new_work(False)
            raise TransactionConflict(CONFLICT)
        try:
            with self._lock:
                self._generations[widget_id] = self._generations.get(widget_id, 0) + 1
                self._widgets.pop(widget_id, None)
                self._recent.pop(widget_id, None)
            tables._close_for_removal()
            _remove_files(self.path(widget_id))
        finally:
            tables.writer_lock.release()

    def copy(self, from_id: int, to_id: int, wait: float = 10.0) -> None:
        """Make `to_id`'s tables a copy of `from_id`'s, consistent as of one moment (SQLite's
        backup API); `to_id`'s own file, if any, is replaced. Nothing to copy: `to_id` ends
        up with no file."""
        if from_id == to_id:
            return
        target = self.path(to_id)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        copied = False
        try:
            if self.exists(from_id):
                with self.open(from_id)._reader() as conn:
                    into = sqlite3.connect(temporary)
                    try:
                        conn.backup(into)
                        into.execute("PRAGMA journal_mode = WAL")
                    finally:
                        into.close()
                copied = True
            self.delete(to_id, wait)
            if copied:
                os.replace(temporary, target)
        finally:
            _remove_files(temporary)

    def close(self) -> None:
        """Close every idle file (at shutdown; runs have ended)."""
        with self._lock:
            widgets = list(self._widgets.values())
            self._recent.clear()
        for tables in widgets:
            tables.close_if_idle()


def _remove_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(str(path) + suffix).unlink()


def connect(path: Path) -> sqlite3.Connection:
    """A connection with the tables' pragmas and SQL functions, in autocommit mode."""
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, cached_statements=STATEMENT_CACHE
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.create_function("wb_contains", 2, query.contains, deterministic=True)
        conn.create_function("wb_ilike", 2, query.ilike, deterministic=True)
    except BaseException:
        conn.close()
        raise
    return conn


@contextlib.contextmanager
def _deadline(conn: sqlite3.Connection, deadline: float) -> Iterator[None]:
    """SQLite work on `conn` aborted once `deadline` passes (TableError naming the limit)."""
    clock = time.monotonic

    def past() -> int:
        return 1 if clock() > deadline else 0

    conn.set_progress_handler(past, PROGRESS_EVERY)
    try:
        yield
    except sqlite3.Error as e:
        raise _table_error(e, deadline) from None
    finally:
        conn.set_progress_handler(None, 0)


def _check_deadline(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise _too_long()


def _too_long() -> TableError:
    return TableError("This Data Tables operation took longer than its time limit")


def _table_error(e: sqlite3.Error, deadline: float) -> TablesError:
    """SQLite's failure as the guest may see it: never SQL or file names."""
    text = str(e)
    if "interrupted" in text or time.monotonic() > deadline:
        return _too_long()
    if isinstance(e, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
        return TransactionConflict(CONFLICT)
    if "fts5" in text:
        return TableError(f"Invalid full-text query: {text.removeprefix('fts5: ')}")
    if "pattern too complex" in text:
        return TableError("The LIKE pattern is too long")
    if "database or disk is full" in text:
        return QuotaExceeded("Datatable database size limit exceeded: the server's disk is full")
    log.error("Data Tables: SQLite failed: %s", text)
    return TableError("Internal database error")


def _roll_back(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error as e:
            log.warning("could not roll back a Data Tables write: %s", e)
