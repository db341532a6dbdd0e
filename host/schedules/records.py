"""Stored schedules: a task's rule with its next and last fire times, read and written by
the API (get, put, set_paused, delete) and by the scheduler's loop (due, earliest,
advance). Plain functions of a sqlite-utils database, run inside one `Database.read` or
`Database.write` call. The rule's anchor is the schedule's creation time."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from widgetbox.host.errors import NotFound
from widgetbox.host.schedules.fire_times import next_times
from widgetbox.host.schedules.rules import Rule, parse_rule, rule_to_json
from widgetbox.host.storage.times import iso, parse_iso
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.records import Widget


@dataclass(frozen=True)
class Schedule:
    """A task's stored schedule: its rule (anchored at the schedule's creation), whether it
    is paused, and its next and last fire times (ISO text)."""

    widget_id: int
    rule: Rule
    paused: bool
    next_run_at: str | None
    last_run_at: str | None


def _from_row(row: dict[str, Any], anchor: datetime) -> Schedule:
    rule = parse_rule(json.loads(row["rule"]), anchor=anchor, min_interval=timedelta(0))
    return Schedule(
        widget_id=row["widget_id"],
        rule=rule,
        paused=bool(row["paused"]),
        next_run_at=row["next_run_at"],
        last_run_at=row["last_run_at"],
    )


def get(db: sqlite_utils.Database, widget: Widget) -> Schedule | None:
    rows = list(db.query("SELECT * FROM schedules WHERE widget_id = ?", [widget.id]))
    return _from_row(rows[0], parse_iso(rows[0]["created_at"])) if rows else None


def put(db: sqlite_utils.Database, widget: Widget, rule: Rule, now: datetime) -> Schedule:
    stamp = iso(now)
    first = next_times(rule, now, 1)
    db.table("schedules").upsert(
        {
            "widget_id": widget.id,
            "rule": json.dumps(rule_to_json(rule)),
            "timezone": rule.timezone,
            "paused": 0,
            "next_run_at": iso(first[0]) if first else None,
            "created_at": stamp,
            "updated_at": stamp,
        },
        pk="widget_id",
        alter=False,
    )
    found = get(db, widget)
    assert found is not None
    return found


def set_paused(db: sqlite_utils.Database, widget: Widget, paused: bool, now: datetime) -> Schedule:
    """Pause, or resume from now on (slots missed while paused are not run)."""
    current = get(db, widget)
    if current is None:
        raise NotFound("no_schedule", f"{widget.slug!r} has no schedule.")
    upcoming = None if paused else next_times(current.rule, now, 1)
    db.execute(
        "UPDATE schedules SET paused = ?, next_run_at = COALESCE(?, next_run_at), updated_at = ? "
        "WHERE widget_id = ?",
        [int(paused), iso(upcoming[0]) if upcoming else None, iso(now), widget.id],
    )
    found = get(db, widget)
    assert found is not None
    return found


def delete(db: sqlite_utils.Database, widget: Widget) -> None:
    if not db.execute("DELETE FROM schedules WHERE widget_id = ?", [widget.id]).rowcount:
        raise NotFound("no_schedule", f"{widget.slug!r} has no schedule.")


def due(db: sqlite_utils.Database, now: datetime) -> list[tuple[Widget, Schedule]]:
    """The schedules not paused whose next fire time is `now` or earlier, with their
    widgets, the earliest first."""
    rows = db.query(
        "SELECT schedules.*, widgets.slug FROM schedules "
        "JOIN widgets ON widgets.id = schedules.widget_id "
        "WHERE schedules.paused = 0 AND schedules.next_run_at <= ? "
        "ORDER BY schedules.next_run_at",
        [iso(now)],
    )
    found = []
    for row in rows:
        widget = widgets.find(db, row["slug"])
        if widget is not None:
            found.append((widget, _from_row(row, parse_iso(row["created_at"]))))
    return found


def earliest(db: sqlite_utils.Database) -> str | None:
    """The earliest next fire time of the schedules not paused (ISO text), or None."""
    row = db.execute("SELECT MIN(next_run_at) FROM schedules WHERE paused = 0").fetchone()
    return row[0] if row else None


def advance(db: sqlite_utils.Database, widget_id: int, rule: Rule, now: datetime) -> None:
    """After a fire: the next time strictly after now (missed slots are not queued up)."""
    upcoming = next_times(rule, now, 1)
    db.execute(
        "UPDATE schedules SET last_run_at = ?, next_run_at = ?, updated_at = ? WHERE widget_id = ?",
        [iso(now), iso(upcoming[0]) if upcoming else None, iso(now), widget_id],
    )
