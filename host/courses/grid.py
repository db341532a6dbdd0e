"""The teachers' grid of a course: every current student by every assignment, in a few
queries for the whole course (not one per cell): where the student is (not started,
started, submitted on time or late), the submission that counts, the check score, their
copy's last run, and the feedback's state. Teachers only: the caller checks."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlite_utils

from widgetbox.host.courses import assignments as course_assignments
from widgetbox.host.courses import feedback
from widgetbox.host.courses.assignments import Assignment
from widgetbox.host.courses.records import Course, students

STATUS_ORDER = ("not started", "started", "submitted late", "submitted")
"""How far along each status is, for sorting."""


@dataclass(frozen=True)
class Cell:
    status: str
    copy: str | None
    """The slug of the student's copy."""
    version: int | None
    """The submitted version that counts."""
    submitted_at: str | None
    submissions: int
    score: str | None
    """The automatic checks' score ("7/10"), None until checked."""
    last_run: str | None
    """The status of the copy's latest run (any trigger)."""
    last_run_at: str | None
    feedback: str | None
    """`draft`, `released`, `changed` (released, with drafts since) or None."""


@dataclass(frozen=True)
class Row:
    user_id: int
    username: str
    name: str
    cells: list[Cell]


@dataclass(frozen=True)
class Grid:
    assignments: list[Assignment]
    rows: list[Row]


def check_scores(db: sqlite_utils.Database, course: Course) -> dict[tuple[int, int], str]:
    """Each (assignment, student)'s score in the latest finished check run of their
    submissions (`checks.py`, `m017`), as "passed/total"; none before checks ran, nor when
    the latest were refused by a limit (the grid shows "—"). One query for the course."""
    rows = db.execute(
        "SELECT c.assignment_id, c.student_id, c.results FROM check_runs AS c "
        "JOIN assignments ON assignments.id = c.assignment_id "
        "WHERE assignments.course_id = ? AND c.id = (SELECT max(id) FROM check_runs AS m "
        " WHERE m.assignment_id = c.assignment_id AND m.student_id = c.student_id "
        " AND m.submission_id IS NOT NULL AND m.finished_at IS NOT NULL) "
        "AND c.refused IS NULL",
        [course.id],
    ).fetchall()
    found = {}
    for assignment_id, student_id, results in rows:
        tests = json.loads(results or "[]")
        passed = sum(1 for test in tests if test.get("status") == "passed")
        found[(assignment_id, student_id)] = f"{passed}/{len(tests)}"
    return found


def build(db: sqlite_utils.Database, course: Course) -> Grid:
    given = course_assignments.listing(db, course)
    people = students(db, course)
    copies = {
        (row[0], row[1]): row[2:]
        for row in db.execute(
            "SELECT copy.assignment_id, copy.student_id, widgets.slug, "
            "(SELECT status FROM runs WHERE runs.widget_id = widgets.id "
            " ORDER BY runs.id DESC LIMIT 1), "
            "(SELECT queued_at FROM runs WHERE runs.widget_id = widgets.id "
            " ORDER BY runs.id DESC LIMIT 1) "
            "FROM assignment_copies AS copy "
            "JOIN assignments ON assignments.id = copy.assignment_id "
            "JOIN widgets ON widgets.id = copy.widget_id WHERE assignments.course_id = ?",
            [course.id],
        ).fetchall()
    }
    done = {
        (row[0], row[1]): row[2:]
        for row in db.execute(
            "SELECT s.assignment_id, s.student_id, s.version, s.submitted_at, s.late, "
            "(SELECT count(*) FROM submissions AS o WHERE o.assignment_id = s.assignment_id "
            " AND o.student_id = s.student_id) "
            "FROM submissions AS s JOIN assignments ON assignments.id = s.assignment_id "
            "WHERE assignments.course_id = ? AND s.id = (SELECT max(id) FROM submissions AS m "
            " WHERE m.assignment_id = s.assignment_id AND m.student_id = s.student_id)",
            [course.id],
        ).fetchall()
    }
    scores = check_scores(db, course)
    states = feedback.states(db, course)
    rows = []
    for person in people:
        cells = []
        for assignment in given:
            key = (assignment.id, person.user_id)
            copy = copies.get(key)
            last = done.get(key)
            status = (
                ("submitted late" if last[2] else "submitted")
                if last
                else "started"
                if copy
                else "not started"
            )
            cells.append(
                Cell(
                    status=status,
                    copy=copy[0] if copy else None,
                    version=last[0] if last else None,
                    submitted_at=last[1] if last else None,
                    submissions=last[3] if last else 0,
                    score=scores.get(key),
                    last_run=copy[1] if copy else None,
                    last_run_at=copy[2] if copy else None,
                    feedback=states.get(key),
                )
            )
        rows.append(Row(person.user_id, person.username, person.name, cells))
    return Grid(given, rows)
