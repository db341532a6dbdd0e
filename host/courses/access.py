"""What the widgets domain asks about courses, as plain SQL over the course tables (no
import of the rest of the domain, which itself builds on widgets).

A student's copy of an assignment is reviewed (read, with its versions and runs, never
changed) by the teachers and co-teachers of its course while the student is still in it;
an assignment's template is reviewed by every teacher of its course. Nobody else gains
anything: other students see neither.
"""

from __future__ import annotations

import sqlite_utils

TEACHING = ("teacher", "co-teacher")

_REVIEWS = """
    SELECT 1 FROM assignment_copies AS copy
    JOIN assignments ON assignments.id = copy.assignment_id
    JOIN course_members AS student ON student.course_id = assignments.course_id
        AND student.user_id = copy.student_id AND student.role = 'student'
    JOIN course_members AS teacher ON teacher.course_id = assignments.course_id
        AND teacher.user_id = :viewer AND teacher.role IN ('teacher', 'co-teacher')
    WHERE copy.widget_id = :widget
    UNION ALL
    SELECT 1 FROM assignments
    JOIN course_members AS teacher ON teacher.course_id = assignments.course_id
        AND teacher.user_id = :viewer AND teacher.role IN ('teacher', 'co-teacher')
    WHERE assignments.template_id = :widget
    LIMIT 1
"""


def reviews(db: sqlite_utils.Database, widget_id: int, viewer_id: int) -> bool:
    """Whether the viewer teaches the course this widget is a student's copy (of a current
    student) or an assignment's template of."""
    return db.execute(_REVIEWS, {"widget": widget_id, "viewer": viewer_id}).fetchone() is not None


def is_student_copy(db: sqlite_utils.Database, widget_id: int) -> bool:
    """Whether the widget is a current student's copy of an assignment: it stays private
    (a student never sees another's work) and is not deleted (its submissions are kept)."""
    row = db.execute(
        "SELECT 1 FROM assignment_copies AS copy "
        "JOIN assignments ON assignments.id = copy.assignment_id "
        "JOIN course_members AS member ON member.course_id = assignments.course_id "
        "AND member.user_id = copy.student_id AND member.role = 'student' "
        "WHERE copy.widget_id = ?",
        [widget_id],
    ).fetchone()
    return row is not None


def assignment_of(db: sqlite_utils.Database, widget_id: int) -> dict[str, int | str] | None:
    """The assignment a widget is a student's copy or the template of (`course_id`, `id`,
    `title`), for the widget's page to link back to; None for any other widget."""
    row = db.execute(
        "SELECT assignments.course_id, assignments.id, assignments.title FROM assignments "
        "WHERE assignments.template_id = :widget OR assignments.id = "
        "(SELECT assignment_id FROM assignment_copies WHERE widget_id = :widget) LIMIT 1",
        {"widget": widget_id},
    ).fetchone()
    return None if row is None else {"course_id": row[0], "id": row[1], "title": row[2]}
