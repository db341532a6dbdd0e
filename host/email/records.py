"""Each widget's emails per day, for the daily cap: plain functions of a sqlite-utils
database, each run inside one `Database.write` (or `read`) call. A send takes one from the
day's allowance before it is attempted and gives it back when it certainly failed; a
widget's rows of earlier days are deleted as it sends."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlite_utils


def day_of(moment: datetime) -> str:
    """The day a send at `moment` (aware) counts against: its UTC date, `YYYY-MM-DD`."""
    return moment.astimezone(UTC).date().isoformat()


def take_send(db: sqlite_utils.Database, widget_id: int, day: str, limit: int) -> bool:
    """Count one email against the widget's `day`; False (nothing counted) when it has
    already sent `limit`."""
    db.execute("DELETE FROM email_sends WHERE widget_id = ? AND day < ?", [widget_id, day])
    if sent_on(db, widget_id, day) >= limit:
        return False
    db.execute(
        "INSERT INTO email_sends (widget_id, day, sent) VALUES (?, ?, 1) "
        "ON CONFLICT (widget_id, day) DO UPDATE SET sent = sent + 1",
        [widget_id, day],
    )
    return True


def give_back(db: sqlite_utils.Database, widget_id: int, day: str) -> None:
    """Uncount one email that was certainly not sent."""
    db.execute(
        "UPDATE email_sends SET sent = max(sent - 1, 0) WHERE widget_id = ? AND day = ?",
        [widget_id, day],
    )


def sent_on(db: sqlite_utils.Database, widget_id: int, day: str) -> int:
    """How many emails the widget has sent (or is sending) on `day`."""
    row = db.execute(
        "SELECT sent FROM email_sends WHERE widget_id = ? AND day = ?", [widget_id, day]
    ).fetchone()
    return int(row[0]) if row else 0
