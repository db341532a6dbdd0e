"""Apps' sessions in the database (`app_sessions`): functions of a sqlite-utils database,
each run inside one `Database.read` or `Database.write`.

A session is found by the sha256 of its cookie's token (the token itself is never stored),
and only for its own widget. It is alive while it was seen within the idle limit; a dead one
is gone for good (its browser is told: `SessionExpiredError`), and hourly maintenance deletes
them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from widgetbox.host.storage.times import iso, now, parse_iso

TOUCH_AFTER = timedelta(seconds=60)
"""A session's last use is written at most this often (a read otherwise)."""


def key_of(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Stored:
    key: str
    data: str
    """`anvil.server.session`, as the codec's JSON text."""
    user_id: str | None
    last_seen: datetime


def load(db: sqlite_utils.Database, widget_id: int, key: str, idle: timedelta) -> Stored | None:
    """The live session `key` of the widget, or None."""
    row = db.execute(
        "SELECT data, user_id, last_seen FROM app_sessions WHERE key = ? AND widget_id = ?",
        [key, widget_id],
    ).fetchone()
    if row is None:
        return None
    last_seen = parse_iso(row[2])
    if last_seen < now() - idle:
        return None
    return Stored(key, row[0], row[1], last_seen)


def create(db: sqlite_utils.Database, widget_id: int, key: str) -> None:
    moment = iso(now())
    db.execute(
        "INSERT INTO app_sessions (key, widget_id, created_at, last_seen) VALUES (?, ?, ?, ?)",
        [key, widget_id, moment, moment],
    )


def save_data(db: sqlite_utils.Database, widget_id: int, key: str, data: str) -> bool:
    """Replace the session's data; False when the session is gone."""
    cursor = db.execute(
        "UPDATE app_sessions SET data = ?, last_seen = ? WHERE key = ? AND widget_id = ?",
        [data, iso(now()), key, widget_id],
    )
    return cursor.rowcount == 1


def set_user(db: sqlite_utils.Database, widget_id: int, key: str, user_id: str | None) -> bool:
    """Who is logged in with this session (None: nobody); False when the session is gone."""
    cursor = db.execute(
        "UPDATE app_sessions SET user_id = ?, last_seen = ? WHERE key = ? AND widget_id = ?",
        [user_id, iso(now()), key, widget_id],
    )
    return cursor.rowcount == 1


def rekey(db: sqlite_utils.Database, widget_id: int, key: str, new_key: str) -> bool:
    """Give the session a new key (a new cookie token), keeping its data; False when it is
    gone."""
    cursor = db.execute(
        "UPDATE app_sessions SET key = ?, last_seen = ? WHERE key = ? AND widget_id = ?",
        [new_key, iso(now()), key, widget_id],
    )
    return cursor.rowcount == 1


def touch(db: sqlite_utils.Database, key: str) -> None:
    db.execute("UPDATE app_sessions SET last_seen = ? WHERE key = ?", [iso(now()), key])


def delete(db: sqlite_utils.Database, widget_id: int, key: str) -> None:
    db.execute("DELETE FROM app_sessions WHERE key = ? AND widget_id = ?", [key, widget_id])


def log_out_elsewhere(
    db: sqlite_utils.Database, widget_id: int, user_id: str, keep: str | None
) -> int:
    """Log `user_id` out of every other session of the widget (after a password change)."""
    cursor = db.execute(
        "UPDATE app_sessions SET user_id = NULL WHERE widget_id = ? AND user_id = ? "
        "AND key IS NOT ?",
        [widget_id, user_id, keep],
    )
    return cursor.rowcount


def log_out_everywhere(db: sqlite_utils.Database, widget_id: int, user_id: str) -> int:
    """Log `user_id` out of every session of the widget (the owner disabled or removed it)."""
    return log_out_elsewhere(db, widget_id, user_id, None)


def prune(db: sqlite_utils.Database, idle: timedelta) -> int:
    """Forget sessions not seen within `idle`."""
    cursor = db.execute("DELETE FROM app_sessions WHERE last_seen < ?", [iso(now() - idle)])
    return cursor.rowcount
