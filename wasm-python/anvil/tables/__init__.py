"""`anvil.tables`: the widget's Data Tables, with Anvil's API.

    from anvil.tables import app_tables
    import anvil.tables.query as q

    row = app_tables.people.add_row(name="Ann", age=30)
    for person in app_tables.people.search(anvil.tables.order_by("age"), age=q.greater_than(18)):
        print(person["name"])

The same package runs in server code (operations cross the bridge as `tables`) and in a
browser (through the transport the client installs, `_transport.set_transport`). The host
keeps the data and is the authority on it; tables-design.md describes the operations.
"""

from anvil import _serialize
from anvil.tables import _transport, _wire
from anvil.tables._errors import (
    EXCEPTIONS,
    NoSuchColumnError,
    QuotaExceededError,
    RowDeleted,
    TableError,
    TransactionConflict,
)
from anvil.tables._row import Row
from anvil.tables._search import SearchIterator, order_by
from anvil.tables._table import AppTables, Table

__all__ = [
    "EXCEPTIONS",
    "NoSuchColumnError",
    "QuotaExceededError",
    "Row",
    "RowDeleted",
    "SearchIterator",
    "Table",
    "TableError",
    "Transaction",
    "TransactionConflict",
    "app_tables",
    "batch",
    "batch_delete",
    "batch_update",
    "get_table_by_id",
    "in_transaction",
    "order_by",
]

app_tables = AppTables()

TRANSACTION_RETRIES = 5
"""How many times `in_transaction` runs a function again after a conflict (as Anvil documents)."""


class Transaction:
    """`with anvil.tables.Transaction() as txn:` runs the block's table operations as one
    transaction: committed at the end, rolled back when the block raises or calls
    `txn.abort()`. Transactions do not nest (the server refuses a second one)."""

    def __init__(self, relaxed=False):
        self.relaxed = bool(relaxed)  # SQLite's transactions are serializable either way
        self._aborting = False

    def __enter__(self):
        _transport.call({"op": "begin"})
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        if exc_type is None and not self._aborting:
            _transport.call({"op": "commit"})
            return
        try:
            _transport.call({"op": "rollback"})
        except TableError:
            # The block's own exception says more (a conflict that already ended the
            # transaction on the server is one `in_transaction` must see to retry).
            if exc_type is None:
                raise

    def abort(self):
        """Roll the transaction back when the block ends, without raising."""
        self._aborting = True


def in_transaction(fn=None, relaxed=None):
    """Run the decorated function in a transaction, and again (up to `TRANSACTION_RETRIES`
    times, after a short random wait) when it conflicts with another one.

    Use as `@anvil.tables.in_transaction` or `@anvil.tables.in_transaction(relaxed=True)`."""

    def wrap(f):
        import functools

        @functools.wraps(f)
        def run(*args, **kwargs):
            attempt = 0
            while True:
                try:
                    with Transaction(relaxed=bool(relaxed)):
                        return f(*args, **kwargs)
                except TransactionConflict:
                    attempt += 1
                    if attempt > TRANSACTION_RETRIES:
                        raise
                    _wait_before_retry(attempt)

        return run

    return wrap if fn is None else wrap(fn)


def _wait_before_retry(attempt):
    import random
    import time

    time.sleep(random.random() * 0.05 * 1.5**attempt)  # noqa: S311 - jitter, not secrecy


class _Batch:
    """`with anvil.tables.batch_update:` (and `batch_delete`, `batch`): Anvil groups the
    block's writes into fewer round trips; here each is sent as it is made, with the same
    outcome."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        return None


batch_update = _Batch()
batch_delete = _Batch()
batch = _Batch()


def get_table_by_id(table_id):
    """The table with this id (an int, its text, or the id of one of its rows), or None."""
    if isinstance(table_id, str) and table_id.startswith("["):
        try:
            table_id = _wire.parse_row_id(table_id)[0]
        except _wire.WireError:
            return None
    for name, info in app_tables._describe().items():
        if str(info.get("id")) == str(table_id):
            return Table(name, app_tables)
    return None


# -- rows and searches passed between server and client code ---------------------------------


def _malformed(what):
    return _serialize.SerializationError(f"a {what} passed to this code could not be read")


def _decode_row(payload):
    """A row from the other side. In a browser (from the server) its values are kept; in the
    sandbox (from a client, untrusted) only its id is, and values are read again."""
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), str):
        raise _malformed("row")
    try:
        _wire.parse_row_id(payload["id"])
        if _transport.in_browser():
            return Row.from_record(payload)
    except (_wire.WireError, TableError):
        raise _malformed("row") from None
    table = payload.get("table")
    return Row(payload["id"], table if isinstance(table, str) else None)


def _decode_search(payload):
    """A search from the other side: in a browser with its first page of rows; in the sandbox
    the search alone, run again when read."""
    if not isinstance(payload, dict):
        raise _malformed("search")
    name, query = payload.get("table"), payload.get("query")
    order, size, fetch = (
        payload.get("order", []),
        payload.get("page_size"),
        payload.get("fetch_only"),
    )
    if (
        not isinstance(name, str)
        or not isinstance(query, dict)
        or not isinstance(order, list)
        or not (size is None or type(size) is int)
        or not (fetch is None or isinstance(fetch, list))
    ):
        raise _malformed("search")
    found = SearchIterator(Table(name, app_tables), query, order, size, fetch)
    if _transport.in_browser() and isinstance(payload.get("rows"), list):
        try:
            rows = [Row.from_record(record, fetch is None) for record in payload["rows"]]
        except TableError:
            raise _malformed("search") from None
        found._first, found._more = rows, bool(payload.get("more"))
        if isinstance(payload.get("cap"), str):
            found._cap = payload["cap"]
    return found


_serialize.register("row", _decode_row)
_serialize.register("search", _decode_search)
