"""Helpers that reach into the app's database directly (rows the API only makes through real
runs and schedules, and what no API shows), through the app's own `Database`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlite_utils

from widgetbox.host.storage.database import Database
from widgetbox.host.storage.times import iso, now


def widget_id(db: sqlite_utils.Database, slug: str) -> int:
    row = db.execute("SELECT id FROM widgets WHERE slug = ?", [slug]).fetchone()
    assert row is not None, f"no widget {slug!r}"
    return int(row[0])


FAR_RULE = '{"type": "interval", "every": 10000, "unit": "days", "at": "00:00", "timezone": "UTC"}'
"""A valid stored rule that fires only decades from now: never during a test."""


def add_run_and_schedule(database: Database, slug: str) -> int:
    """A finished run and a schedule for the widget (as the runner and the schedule API add
    them); returns the run's id."""

    def add(db: sqlite_utils.Database) -> int:
        found = widget_id(db, slug)
        stamp = iso(now())
        run = db.table("runs").insert(
            {
                "widget_id": found,
                "version": 1,
                "trigger": "manual",
                "status": "ok",
                "queued_at": stamp,
                "stdout": "hello\n",
            }
        )
        db.table("schedules").insert(
            {"widget_id": found, "rule": FAR_RULE, "created_at": stamp, "updated_at": stamp}
        )
        return int(run.last_pk or 0)

    run_id: int = database.write_now(add)
    return run_id


def rows_of(database: Database, slug: str) -> dict[str, int]:
    """How many versions, runs and schedules the widget has."""

    def count(db: sqlite_utils.Database) -> dict[str, int]:
        found = widget_id(db, slug)
        return {
            table: int(
                db.execute(
                    f"SELECT COUNT(*) FROM {table} WHERE widget_id = ?",
                    [found],
                ).fetchone()[0]
            )
            for table in ("widget_versions", "runs", "schedules")
        }

    return database.read_now(count)


def sessions_of(database: Database, username: str) -> list[dict[str, Any]]:
    def query(db: sqlite_utils.Database) -> list[dict[str, Any]]:
        return list(
            db.query(
                "SELECT sessions.* FROM sessions JOIN users ON users.id = sessions.user_id "
                "WHERE users.username = ?",
                [username],
            )
        )

    return database.read_now(query)


def set_session_times(database: Database, username: str, **ages: timedelta) -> None:
    """Move `username`'s sessions back in time: created_at / last_seen_at = now - age."""
    moment = now()

    def change(db: sqlite_utils.Database) -> None:
        for column, age in ages.items():
            assert column in {"created_at", "last_seen_at"}
            db.execute(
                f"UPDATE sessions SET {column} = ? WHERE user_id = "
                "(SELECT id FROM users WHERE username = ?)",
                [iso(moment - age), username],
            )

    database.write_now(change)
