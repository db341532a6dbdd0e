"""The exceptions of `anvil.tables`, as Anvil names them, and the host's refusals they stand for.

Each reports `anvil.tables` as its module, where code finds it, so the guest reports an
uncaught one as `anvil.tables.RowDeleted` (its `qualified_type`) and a browser can raise the
class of the same name from `EXCEPTIONS`.
"""

from anvil._server_errors import AnvilWrappedError, PermissionDenied


class TableError(AnvilWrappedError):
    """The base of the Data Tables errors."""


class RowDeleted(TableError):
    """The row was deleted (by this code, or by other code since it was read)."""


class NoSuchColumnError(TableError):
    """The table has no column of that name (and columns are not created automatically)."""


class TransactionConflict(TableError):
    """The transaction conflicted with another one and was rolled back."""


class QuotaExceededError(TableError):
    """The widget's tables would pass their storage limit; nothing was written."""


EXCEPTIONS = (TableError, RowDeleted, NoSuchColumnError, TransactionConflict, QuotaExceededError)

for _cls in EXCEPTIONS:
    _cls.__module__ = "anvil.tables"
del _cls

_BY_KIND = {
    "NoSuchTable": TableError,
    "NoSuchColumn": NoSuchColumnError,
    "TableError": TableError,
    "RowDeleted": RowDeleted,
    "TransactionConflict": TransactionConflict,
    "QuotaExceeded": QuotaExceededError,
    "BadRequest": TableError,
    "NotFound": TableError,  # the run has no tables (the handler's answer without a session)
}
"""The host's refusal kinds (tables-design.md, section 3) and the class each is raised as."""


def error_for(kind, message):
    """The exception to raise for the host's refusal `kind`, or None for a kind that is not
    about tables (the bridge's own: a timeout, the run's call limit)."""
    if kind == "PermissionDenied":
        return PermissionDenied(message)  # anvil.server's, as in Anvil
    cls = _BY_KIND.get(kind)
    return None if cls is None else cls(message)
