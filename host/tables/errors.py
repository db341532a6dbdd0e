"""What a Data Tables operation refuses, as the guest will see it: each error has the `kind`
the bridge sends (`HostCallError(kind, message)`) and the guest maps to an `anvil.tables`
class. Messages follow Anvil's wording where Anvil has one; they never hold host internals.

Domain code raises these; the bridge handler (`handler.py`) and the browser's route
translate them, once each, so nothing below the handler depends on the runtime's types."""

from __future__ import annotations


class TablesError(Exception):
    """A refused Data Tables operation. `kind` is the bridge's error kind."""

    kind = "TableError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TableError(TablesError):
    """`anvil.tables.TableError`: the general refusal (a limit, a bad value, a bad query)."""


class NoSuchTable(TablesError):
    """No live table of that name (the guest raises AttributeError for `app_tables.x`)."""

    kind = "NoSuchTable"


class NoSuchColumn(TablesError):
    """`anvil.tables.NoSuchColumnError`."""

    kind = "NoSuchColumn"


class RowDeleted(TablesError):
    """`anvil.tables.RowDeleted`: the row is gone."""

    kind = "RowDeleted"


class TransactionConflict(TablesError):
    """`anvil.tables.TransactionConflict`: another run holds the widget's writer lock."""

    kind = "TransactionConflict"


class QuotaExceeded(TablesError):
    """`anvil.tables.QuotaExceededError`: the widget's storage limit."""

    kind = "QuotaExceeded"


class PermissionDenied(TablesError):
    """`anvil.server.PermissionDenied`: client code may not do this to this table."""

    kind = "PermissionDenied"


class BadRequest(TablesError):
    """The operation itself is malformed (not something Anvil's API could have sent)."""

    kind = "BadRequest"


ROW_DELETED = "This row has been deleted"
CONFLICT = "Another transaction has changed this data; aborting"


def no_such_table(name: str) -> NoSuchTable:
    return NoSuchTable(f"No such app table: '{name}'")


def no_such_column(name: str) -> NoSuchColumn:
    return NoSuchColumn(f"No such column '{name}'")
