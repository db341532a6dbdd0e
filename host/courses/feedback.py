"""Teachers' feedback on a student's work on an assignment, as functions of the database.

One feedback per student and assignment: an overall note and comments on lines of a version
of the student's copy. Everything a teacher writes is a draft until they release it; the
student then reads the note as it was released and the comments released with it. Later
changes are drafts again until the next release (a deleted comment goes at once: it is
taken back). Callers check that the viewer teaches the course (`records.teaching`); the
student's side (`released`) is asked only with the viewer's own id, so no route takes
another student's id to a student. An archived course's feedback is read, never changed
or released (`_writing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from widgetbox.host.accounts.users import User
from widgetbox.host.courses import assignments as course_assignments
from widgetbox.host.courses.assignments import Assignment
from widgetbox.host.courses.records import Course, current, member
from widgetbox.host.errors import Conflict, Invalid, NotFound
from widgetbox.host.storage.times import iso, now
from widgetbox.host.widgets import records as widgets

MAX_NOTE = 20_000
MAX_COMMENT = 5_000
MAX_COMMENTS = 500
"""Comments on one student's work, at most."""


@dataclass(frozen=True)
class Comment:
    id: int
    version: int
    path: str
    line: int
    body: str
    author: str | None
    created_at: str
    released: bool


@dataclass(frozen=True)
class Feedback:
    note: str
    """The teachers' draft (the student's view: the released note)."""
    released_at: str | None
    updated_at: str | None
    comments: list[Comment]
    unreleased: bool
    """Something the student has not seen: a changed note or a comment not yet released."""


def _student(db: sqlite_utils.Database, course: Course, student_id: int) -> None:
    if member(db, course, student_id).role != "student":  # NotFound when not in it
        raise NotFound("no_such_member", "That person is not a student of this course.")


def _writing(db: sqlite_utils.Database, course: Course, student_id: int) -> None:
    """A change to the feedback of a student of the course, while it is not archived."""
    _student(db, course, student_id)
    current(course, "its feedback stays as it is.")


def _id(db: sqlite_utils.Database, assignment: Assignment, student_id: int) -> int | None:
    row = db.execute(
        "SELECT id FROM feedback WHERE assignment_id = ? AND student_id = ?",
        [assignment.id, student_id],
    ).fetchone()
    return None if row is None else int(row[0])


def _made(db: sqlite_utils.Database, assignment: Assignment, student_id: int) -> int:
    found = _id(db, assignment, student_id)
    if found is not None:
        db.execute("UPDATE feedback SET updated_at = ? WHERE id = ?", [iso(now()), found])
        return found
    made = db.table("feedback").insert(
        {"assignment_id": assignment.id, "student_id": student_id, "updated_at": iso(now())}
    )
    return int(made.last_pk or 0)


def _comments(db: sqlite_utils.Database, feedback_id: int, released_only: bool) -> list[Comment]:
    rows = db.query(
        "SELECT feedback_comments.*, users.username AS author FROM feedback_comments "
        "LEFT JOIN users ON users.id = feedback_comments.author_id "
        "WHERE feedback_id = ? AND (released = 1 OR NOT ?) ORDER BY path, version, line, id",
        [feedback_id, int(released_only)],
    )
    return [
        Comment(
            id=row["id"],
            version=row["version"],
            path=row["path"],
            line=row["line"],
            body=row["body"],
            author=row["author"],
            created_at=row["created_at"],
            released=bool(row["released"]),
        )
        for row in rows
    ]


# -- the teachers' side ------------------------------------------------------------------


def drafted(
    db: sqlite_utils.Database, course: Course, assignment: Assignment, student_id: int
) -> Feedback:
    """Everything the teachers wrote for this student, drafts included."""
    _student(db, course, student_id)
    rows = list(
        db.query(
            "SELECT * FROM feedback WHERE assignment_id = ? AND student_id = ?",
            [assignment.id, student_id],
        )
    )
    if not rows:
        return Feedback("", None, None, [], False)
    row = rows[0]
    comments = _comments(db, row["id"], released_only=False)
    unreleased = row["note"] != (row["released_note"] or "") or any(
        not c.released for c in comments
    )
    return Feedback(row["note"], row["released_at"], row["updated_at"], comments, unreleased)


def save_note(
    db: sqlite_utils.Database,
    course: Course,
    assignment: Assignment,
    student_id: int,
    note: str,
) -> Feedback:
    _writing(db, course, student_id)
    if len(note) > MAX_NOTE:
        raise Invalid("invalid_note", f"A note is at most {MAX_NOTE:,} characters.")
    feedback_id = _made(db, assignment, student_id)
    db.execute("UPDATE feedback SET note = ? WHERE id = ?", [note, feedback_id])
    return drafted(db, course, assignment, student_id)


def add_comment(
    db: sqlite_utils.Database,
    course: Course,
    assignment: Assignment,
    student_id: int,
    author: User,
    version: int,
    path: str,
    line: int,
    body: str,
) -> Comment:
    """A comment on line `line` (from 1) of `path` in version `version` of the student's
    copy: each must exist."""
    _writing(db, course, student_id)
    text = body.strip()
    if not 1 <= len(text) <= MAX_COMMENT:
        raise Invalid("invalid_comment", f"A comment is 1 to {MAX_COMMENT:,} characters.")
    copy = course_assignments.copy_of(db, assignment, student_id)
    widget = widgets.find(db, copy.slug) if copy else None
    if widget is None:
        raise Conflict("not_started", "The student has not started: there is no code yet.")
    files = widgets.version(db, widget, version).files  # NotFound for another version
    if path not in files:
        raise NotFound("no_such_file", f"Version {version} has no file {path[:200]!r}.")
    if not 1 <= line <= max(1, len(files[path].splitlines())):
        raise Invalid("invalid_line", f"{path} has no line {line} in version {version}.")
    feedback_id = _made(db, assignment, student_id)
    count = db.execute(
        "SELECT count(*) FROM feedback_comments WHERE feedback_id = ?", [feedback_id]
    ).fetchone()[0]
    if count >= MAX_COMMENTS:
        raise Conflict("too_many_comments", f"At most {MAX_COMMENTS} comments per student.")
    made = db.table("feedback_comments").insert(
        {
            "feedback_id": feedback_id,
            "version": version,
            "path": path,
            "line": line,
            "body": text,
            "author_id": author.id,
            "created_at": iso(now()),
            "released": 0,
        }
    )
    return next(c for c in _comments(db, feedback_id, False) if c.id == made.last_pk)


def delete_comment(
    db: sqlite_utils.Database,
    course: Course,
    assignment: Assignment,
    student_id: int,
    comment_id: int,
) -> None:
    """Only a comment of this student's feedback on this assignment (NotFound otherwise)."""
    _writing(db, course, student_id)
    feedback_id = _id(db, assignment, student_id)
    gone = (
        db.execute(
            "DELETE FROM feedback_comments WHERE id = ? AND feedback_id = ?",
            [comment_id, feedback_id],
        ).rowcount
        if feedback_id is not None and 0 < comment_id < 2**63
        else 0
    )
    if not gone:
        raise NotFound("no_such_comment", f"There is no comment {comment_id}.")


def release(
    db: sqlite_utils.Database,
    course: Course,
    assignment: Assignment,
    student_id: int,
    released: bool = True,
) -> Feedback:
    """Show the student the note and every comment as they are now (`released=False`: take
    it all back until the next release)."""
    _writing(db, course, student_id)
    feedback_id = _made(db, assignment, student_id)
    if released:
        db.execute(
            "UPDATE feedback SET released_note = note, released_at = ? WHERE id = ?",
            [iso(now()), feedback_id],
        )
    else:
        db.execute(
            "UPDATE feedback SET released_note = NULL, released_at = NULL WHERE id = ?",
            [feedback_id],
        )
    db.execute(
        "UPDATE feedback_comments SET released = ? WHERE feedback_id = ?",
        [int(released), feedback_id],
    )
    return drafted(db, course, assignment, student_id)


def states(db: sqlite_utils.Database, course: Course) -> dict[tuple[int, int], str]:
    """Each (assignment, student) with feedback: `released`, `changed` (released, with
    drafts since) or `draft`, for the grid."""
    rows = db.execute(
        "SELECT feedback.assignment_id, feedback.student_id, feedback.released_at, "
        "feedback.note != coalesce(feedback.released_note, '') OR EXISTS "
        "(SELECT 1 FROM feedback_comments AS c WHERE c.feedback_id = feedback.id "
        "AND c.released = 0) "
        "FROM feedback JOIN assignments ON assignments.id = feedback.assignment_id "
        "WHERE assignments.course_id = ?",
        [course.id],
    ).fetchall()
    found = {}
    for assignment_id, student_id, released_at, drafts in rows:
        if released_at is not None:
            found[(assignment_id, student_id)] = "changed" if drafts else "released"
        elif drafts:
            found[(assignment_id, student_id)] = "draft"
    return found


# -- the student's side ------------------------------------------------------------------


def _released(
    db: sqlite_utils.Database, where: str, args: list[Any] | dict[str, Any]
) -> Feedback | None:
    rows = list(
        db.query(
            "SELECT feedback.* FROM feedback WHERE released_at IS NOT NULL AND " + where,  # noqa: S608 - `where` is one of this module's constants
            args,
        )
    )
    if not rows:
        return None
    row = rows[0]
    comments = _comments(db, row["id"], released_only=True)
    return Feedback(row["released_note"] or "", row["released_at"], None, comments, False)


def released(db: sqlite_utils.Database, assignment: Assignment, viewer: User) -> Feedback | None:
    """The viewer's own released feedback on the assignment, or None."""
    return _released(db, "assignment_id = ? AND student_id = ?", [assignment.id, viewer.id])


def released_for_copy(
    db: sqlite_utils.Database, widget_id: int, viewer: User | None
) -> Feedback | None:
    """Released feedback on the assignment this widget is the viewer's own copy of, for the
    copy's page; None for anyone else (teachers review on the course's pages)."""
    if viewer is None:
        return None
    return _released(
        db,
        "student_id = :viewer AND assignment_id = (SELECT assignment_id FROM assignment_copies "
        "WHERE widget_id = :widget AND student_id = :viewer)",
        {"viewer": viewer.id, "widget": widget_id},
    )
