"""One run's use of its widget's tables: `TablesSession`, made with the run's bridge
context (`Services.run_context`) and ended by the runner when the run ends, whatever the
outcome.

It counts the run's operations (`ops_per_run`), gives each its deadline (the op limit, never
past what its bridge call has left), reads the run's `tables.yaml` once (lazily: most runs
never touch their tables), and holds the run's transaction between `begin` and `commit`.
Ending it rolls back a transaction left open and releases the writer lock, without waiting.

Browser code's requests (a GUI app's `/_/tables`) are single operations with the `client`
access: `client_call`."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from widgetbox.host.tables import guard, operations
from widgetbox.host.tables.errors import BadRequest, TableError
from widgetbox.host.tables.limits import TableLimits
from widgetbox.host.tables.store import NewColumn, TablesStore, Transaction, WidgetTables
from widgetbox.host.tables.tables_yaml import Schema, SchemaError, parse

log = logging.getLogger("widgetbox.host.tables")

NewColumns = Callable[[int, str, list[NewColumn]], None]
"""`on_new_columns(widget_id, table, columns)`: columns of `table` auto-created and
committed, for the host to add to the widget's `tables.yaml` (`autocolumns.py`)."""

ANSWER_MARGIN = 0.05
"""Seconds kept back from a bridge call's timeout, so the operation's own limit answers
first (with a TableError that names it) rather than the bridge's Timeout."""

TRANSACTION_OPS = ("begin", "commit", "rollback")


class TablesSession:
    """The run's Data Tables: `call` answers one `tables` request; `end` when the run ends."""

    def __init__(
        self,
        store: TablesStore,
        widget_id: int,
        schema_text: str | None,
        limits: TableLimits | None = None,
        on_new_columns: NewColumns | None = None,
        guarded: guard.Guard = guard.NONE,
    ) -> None:
        self.store = store
        self.guarded = guarded
        """Columns the run's code may not write, search or see (the Users service's
        password hashes, `guard.py`)."""
        self.widget_id = widget_id
        self.limits = limits or store.limits
        self._schema_text = schema_text
        self._on_new_columns = on_new_columns
        self._lock = threading.Lock()
        """One operation at a time (a timed-out one may still be finishing)."""
        self._operations = 0
        self._transaction: Transaction | None = None
        self._transaction_tables: WidgetTables | None = None
        self._ended = False
        self._generation = store.generation(widget_id)
        """The widget's file as of the run's start: if it is deleted meanwhile, this run
        may not make it again (the id may be reused by a new widget)."""

    def __repr__(self) -> str:
        return f"TablesSession(widget {self.widget_id})"

    def call(self, request: Any, seconds: float) -> Any:
        """Answer one request within `seconds`; raises TablesError."""
        started = time.monotonic()
        seconds = min(seconds, self.limits.op_seconds)
        deadline = started + max(seconds - min(ANSWER_MARGIN, seconds / 10), 0.0)
        if not self._lock.acquire(timeout=max(seconds, 0.0)):
            raise TableError("An earlier Data Tables operation of this run is still running")
        try:
            if self._ended:
                raise TableError("This run has ended")
            self._operations += 1
            if self._operations > self.limits.ops_per_run:
                raise TableError(
                    f"A run may make at most {self.limits.ops_per_run:,} Data Tables operations"
                )
            op = request.get("op") if isinstance(request, dict) else None
            if op in TRANSACTION_OPS:
                return self._transaction_op(op, request, deadline)
            call = operations.Call(
                self._tables(),
                self.schema(),
                operations.SERVER,
                deadline,
                self.limits,
                self._transaction,  # an expired one says so, once
                self.guarded,
            )
            try:
                outcome = operations.run(call, request)
            finally:
                self._forget_expired()
            self._report(outcome.new_columns)
            return outcome.answer
        finally:
            self._lock.release()

    def schema(self) -> Schema:
        """The run's schema; TableError listing its problems when `tables.yaml` has any."""
        try:
            return parse(self._schema_text)
        except SchemaError as e:
            raise TableError(str(e)) from None

    def end(self) -> None:
        """The run has ended: no more operations; an open transaction is rolled back (now,
        or when its running operation finishes). Never waits."""
        self._ended = True
        transaction, self._transaction = self._transaction, None
        tables, self._transaction_tables = self._transaction_tables, None
        if transaction is not None and tables is not None:
            tables.end(transaction)

    # -- transactions ------------------------------------------------------------------------

    def _transaction_op(self, op: str, request: dict[str, Any], deadline: float) -> None:
        if set(request) != {"op"}:
            raise BadRequest(f"'{op}' takes nothing but its name")
        transaction = self._transaction
        if op == "begin":
            self._forget_expired()
            transaction = self._transaction
            if transaction is not None:
                raise TableError("You already have a transaction open here")
            tables = self._tables()
            self._transaction = tables.begin(self, deadline, self.schema())
            self._transaction_tables = tables
            if self._ended:  # the run ended while this waited for the lock
                self.end()
            return
        holder = self._transaction_tables
        if transaction is None or holder is None:
            raise TableError("No transaction currently running")
        self._transaction = self._transaction_tables = None
        if op == "rollback":
            holder.rollback(transaction)
            return
        self._report(holder.commit(transaction, deadline))

    def _tables(self) -> WidgetTables:
        if self._transaction_tables is not None:
            return self._transaction_tables
        return self.store.open(self.widget_id, self._generation)

    def _forget_expired(self) -> None:
        """A transaction ended from outside (it outlived its limit) is gone for this run:
        its next operation after the one that was told runs on its own."""
        if self._transaction is not None and self._transaction.expired:
            self._transaction = self._transaction_tables = None

    def _report(self, new_columns: list[NewColumn]) -> None:
        if not new_columns or self._on_new_columns is None:
            return
        by_table: dict[str, list[NewColumn]] = {}
        for column in new_columns:
            by_table.setdefault(column.table, []).append(column)
        for table, columns in by_table.items():
            try:
                self._on_new_columns(self.widget_id, table, columns)
            except Exception:
                log.exception(
                    "widget %d: new columns of %r were not recorded", self.widget_id, table
                )


CAPABILITY_OPS = ("row", "search", "count", "media")
"""What a capability lets browser code do: read (`client_call`'s `capability`)."""


def client_call(
    store: TablesStore,
    widget_id: int,
    schema_text: str | None,
    request: Any,
    seconds: float | None = None,
    *,
    capability: bool = False,
) -> Any:
    """Answer one request from browser code (client access: each table's `client` level;
    no transactions, no auto-created columns); raises TablesError.

    `capability`: the browser showed a capability for what this read stands for (a row or
    search that server code returned, its links and media: checked by the GUI's route,
    `host/gui/capabilities.py`), so it is read whatever the table's `client` level, as Anvil
    lets client code read what server code handed it. Browsers never see, search or write
    `users.password_hash` (`guard.py`)."""
    limits = store.limits
    op = request.get("op") if isinstance(request, dict) else None
    if op in TRANSACTION_OPS:
        raise TableError(
            "You can only perform table transactions from server modules. You can't use them here."
        )
    try:
        schema = parse(schema_text)
    except SchemaError as e:
        raise TableError(str(e)) from None
    deadline = time.monotonic() + min(seconds or limits.op_seconds, limits.op_seconds)
    access = operations.OWNER if capability and op in CAPABILITY_OPS else operations.CLIENT
    call = operations.Call(
        store.open(widget_id), schema, access, deadline, limits, None, guard.USERS_PASSWORD
    )
    return operations.run(call, request).answer
