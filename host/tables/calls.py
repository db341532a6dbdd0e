"""Blocking work on tables files from async handlers: run in a thread, with the engine's
refusals (`tables/errors.py`, the guest's vocabulary) turned into domain errors
(`host/errors.py`) in the IDE's words. Handlers of any domain (widget deletion and forks
too) call the store through `run`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from widgetbox.host.errors import Busy, Forbidden, Invalid, NotFound
from widgetbox.host.tables import errors

BUSY_RETRY = 2
"""Seconds after which a refused change (a run's transaction held the file) may be tried."""

T = TypeVar("T")


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """The engine's refusals as domain errors."""
    try:
        yield
    except errors.NoSuchTable as e:
        raise NotFound("no_such_table", e.message) from None
    except errors.NoSuchColumn as e:
        raise NotFound("no_such_column", e.message) from None
    except errors.RowDeleted:
        raise Invalid("no_such_row", "A linked row does not exist (it was deleted).") from None
    except errors.TransactionConflict:
        raise Busy(
            "tables_busy",
            "A run of the widget is using its tables; try again in a moment.",
            retry_after=BUSY_RETRY,
        ) from None
    except errors.PermissionDenied as e:
        raise Forbidden("permission_denied", e.message) from None
    except errors.QuotaExceeded as e:
        raise Invalid("quota_exceeded", e.message) from None
    except errors.TablesError as e:
        raise Invalid("table_error", e.message) from None


async def run(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in a thread, its refusals translated."""

    def call() -> T:
        with translated():
            return fn(*args)

    return await asyncio.to_thread(call)
