"""Reads only pages need (plain functions of the database, for `Database.read`)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils


@dataclass(frozen=True)
class LastRun:
    """The newest run of a widget: a run, a scheduled run, an HTTP request or a call."""

    id: int
    trigger: str
    status: str
    at: str
    """When it finished, or when it was queued while it is not finished."""
    wall_time: float | None


def last_runs(db: sqlite_utils.Database, widget_ids: list[int]) -> dict[int, LastRun]:
    """Each widget's newest run, by widget id (widgets that never ran are left out)."""
    if not widget_ids:
        return {}
    marks = ", ".join("?" for _ in widget_ids)
    # The query is built from "?" marks only; the ids travel as parameters.
    rows = db.execute(
        "SELECT runs.widget_id, runs.id, runs.trigger, runs.status, "  # noqa: S608
        "COALESCE(runs.finished_at, runs.queued_at), runs.wall_time FROM runs "
        "WHERE runs.id IN (SELECT MAX(id) FROM runs "
        f"WHERE widget_id IN ({marks}) GROUP BY widget_id)",
        widget_ids,
    ).fetchall()
    return {row[0]: LastRun(*row[1:]) for row in rows}
