"""What each account uses: its widgets, the runs of its widgets since midnight (UTC), and the
bytes it keeps (its widgets' versions, its runs' stored output, its Data Tables files).

Counted for the accounts listed (a page of them), by index: the versions and runs by their
widget, and today's runs from the first run of the day, found by bisecting run ids (ids grow
with `queued_at`, which has no index of its own).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time

import sqlite_utils

from widgetbox.host.accounts.users import User
from widgetbox.host.admin import users
from widgetbox.host.storage.times import iso, now
from widgetbox.host.tables.store import TablesStore


@dataclass(frozen=True)
class Usage:
    widgets: int = 0
    runs_today: int = 0
    storage_bytes: int = 0
    """Versions' files, runs' output and Data Tables files, in bytes."""


def midnight() -> datetime:
    """The start of today, UTC: "runs today" count from here."""
    return datetime.combine(now().date(), time(), UTC)


def first_run_since(db: sqlite_utils.Database, moment: datetime) -> int:
    """The id of the first run queued at `moment` or later (one past the last when none)."""
    stamp = iso(moment)
    low = 1
    high = (db.execute("SELECT MAX(id) FROM runs").fetchone()[0] or 0) + 1
    while low < high:
        middle = (low + high) // 2
        row = db.execute(
            "SELECT queued_at FROM runs WHERE id >= ? ORDER BY id LIMIT 1", [middle]
        ).fetchone()
        if row is None or row[0] >= stamp:
            high = middle
        else:
            low = middle + 1
    return low


def usage(
    db: sqlite_utils.Database,
    user_ids: Sequence[int],
    since: datetime,
    file_bytes: Callable[[int], int],
) -> dict[int, Usage]:
    """Each account's usage, its runs counted from `since`; `file_bytes` gives a widget's
    Data Tables file's size."""
    if not user_ids:
        return {}
    first = first_run_since(db, since)
    rows = db.execute(
        """
        SELECT widgets.owner_id, widgets.id,
            (SELECT COALESCE(SUM(LENGTH(CAST(files AS BLOB))), 0) FROM widget_versions
                WHERE widget_versions.widget_id = widgets.id),
            (SELECT COALESCE(SUM(LENGTH(CAST(stdout AS BLOB)) + LENGTH(CAST(stderr AS BLOB))), 0)
                FROM runs WHERE runs.widget_id = widgets.id),
            (SELECT COUNT(*) FROM runs WHERE runs.widget_id = widgets.id AND runs.id >= ?)
        FROM widgets WHERE widgets.owner_id IN (SELECT value FROM json_each(?))
        """,
        [first, json.dumps([int(user_id) for user_id in user_ids])],
    ).fetchall()
    found: dict[int, Usage] = {user_id: Usage() for user_id in user_ids}
    for owner_id, widget_id, code, output, today in rows:
        was = found[owner_id]
        found[owner_id] = Usage(
            widgets=was.widgets + 1,
            runs_today=was.runs_today + today,
            storage_bytes=was.storage_bytes + code + output + file_bytes(widget_id),
        )
    return found


def table_bytes(store: TablesStore) -> Callable[[int], int]:
    """A widget's Data Tables file's size (0 when it has none)."""

    def size(widget_id: int) -> int:
        path = store.path(widget_id)
        return path.stat().st_size if path.is_file() else 0

    return size


def listing(
    db: sqlite_utils.Database,
    store: TablesStore,
    query: str = "",
    limit: int = users.PAGE,
    offset: int = 0,
) -> tuple[list[tuple[User, Usage]], int]:
    """A page of the accounts matching `query`, each with its usage, and how many match."""
    found, total = users.search(db, query, limit, offset)
    counted = usage(db, [user.id for user in found], midnight(), table_bytes(store))
    return [(user, counted[user.id]) for user in found], total


def one(db: sqlite_utils.Database, store: TablesStore, user: User) -> Usage:
    return usage(db, [user.id], midnight(), table_bytes(store))[user.id]
