"""Assignments and submissions, as functions of the database (no HTTP).

An assignment is a template widget (any kind, owned by the teacher who made the assignment;
their course's other teachers read it) with Markdown instructions and an optional due date.
Students see it once it is published. "Start" forks the template's latest version into the
student's own private widget, linked to the assignment (one per student; starting again
opens it). A submission names a version of that copy: any number until the due date (the
latest counts), after it one more if there was none (marked late), and none once the
teacher locks the assignment or the course is archived.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from widgetbox.host.accounts.users import User
from widgetbox.host.courses import due
from widgetbox.host.courses import records as course_records
from widgetbox.host.courses.instructions import MAX_INSTRUCTIONS
from widgetbox.host.courses.records import Course, current, students
from widgetbox.host.errors import Conflict, Forbidden, Invalid, NotFound
from widgetbox.host.storage.times import iso, now
from widgetbox.host.widgets import records as widgets

MAX_TITLE = 100


@dataclass(frozen=True)
class Assignment:
    id: int
    course_id: int
    title: str
    instructions: str
    template_slug: str | None
    """None once the template widget was deleted (nobody can start it then)."""
    kind: str | None
    due_at: str | None
    published_at: str | None
    locked: bool
    created_at: str
    updated_at: str

    @property
    def published(self) -> bool:
        return self.published_at is not None


@dataclass(frozen=True)
class Copy:
    """A student's own widget for an assignment."""

    slug: str
    head_version: int
    started_at: str


@dataclass(frozen=True)
class Submission:
    id: int
    version: int
    submitted_at: str
    late: bool


@dataclass(frozen=True)
class Progress:
    """One student's state in an assignment, as its teachers see it."""

    user_id: int
    username: str
    name: str
    copy: Copy | None
    submissions: int
    last: Submission | None

    @property
    def status(self) -> str:
        if self.last is not None:
            return "submitted late" if self.last.late else "submitted"
        return "started" if self.copy is not None else "not started"


_SELECT = """
    SELECT assignments.*, widgets.slug AS template_slug, widgets.kind AS kind
    FROM assignments LEFT JOIN widgets ON widgets.id = assignments.template_id
"""


def _assignment(row: dict[str, Any]) -> Assignment:
    return Assignment(
        id=row["id"],
        course_id=row["course_id"],
        title=row["title"],
        instructions=row["instructions"],
        template_slug=row["template_slug"],
        kind=row["kind"],
        due_at=row["due_at"],
        published_at=row["published_at"],
        locked=bool(row["locked"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def check_title(title: str) -> str:
    text = " ".join(title.split())
    if not 1 <= len(text) <= MAX_TITLE:
        raise Invalid("invalid_title", f"An assignment's title is 1 to {MAX_TITLE} characters.")
    return text


def check_instructions(text: str) -> str:
    if len(text) > MAX_INSTRUCTIONS:
        raise Invalid(
            "invalid_instructions", f"Instructions are at most {MAX_INSTRUCTIONS} characters."
        )
    return text


def _open(course: Course) -> None:
    current(course, "it takes no new work, and its assignments stay as they are.")


# -- reading -------------------------------------------------------------------------------


def listing(db: sqlite_utils.Database, course: Course) -> list[Assignment]:
    """The course's assignments in the order they were made; students see published ones."""
    published = "" if course.teaching else "AND assignments.published_at IS NOT NULL "
    rows = db.query(
        _SELECT + "WHERE assignments.course_id = ? " + published + "ORDER BY assignments.id",
        [course.id],
    )
    return [_assignment(row) for row in rows]


def get(db: sqlite_utils.Database, course: Course, assignment_id: int) -> Assignment:
    """One assignment of the course: NotFound for a student while it is unpublished."""
    rows = (
        list(
            db.query(
                _SELECT + "WHERE assignments.id = ? AND assignments.course_id = ?",
                [assignment_id, course.id],
            )
        )
        if 0 < assignment_id < 2**63
        else []
    )
    if not rows or not (course.teaching or rows[0]["published_at"]):
        raise NotFound("no_such_assignment", f"There is no assignment {assignment_id}.")
    return _assignment(rows[0])


def copy_of(db: sqlite_utils.Database, assignment: Assignment, student_id: int) -> Copy | None:
    row = db.execute(
        "SELECT widgets.slug, widgets.head_version, copy.started_at "
        "FROM assignment_copies AS copy JOIN widgets ON widgets.id = copy.widget_id "
        "WHERE copy.assignment_id = ? AND copy.student_id = ?",
        [assignment.id, student_id],
    ).fetchone()
    return Copy(row[0], row[1], row[2]) if row else None


def submissions(
    db: sqlite_utils.Database, assignment: Assignment, student_id: int
) -> list[Submission]:
    """The student's submissions, newest first."""
    rows = db.execute(
        "SELECT id, version, submitted_at, late FROM submissions "
        "WHERE assignment_id = ? AND student_id = ? ORDER BY id DESC",
        [assignment.id, student_id],
    ).fetchall()
    return [Submission(row[0], row[1], row[2], bool(row[3])) for row in rows]


def progress(db: sqlite_utils.Database, course: Course, assignment: Assignment) -> list[Progress]:
    """Every current student's state in the assignment (teachers only: the caller checks)."""
    found = []
    for student in students(db, course):
        done = submissions(db, assignment, student.user_id)
        found.append(
            Progress(
                user_id=student.user_id,
                username=student.username,
                name=student.name,
                copy=copy_of(db, assignment, student.user_id),
                submissions=len(done),
                last=done[0] if done else None,
            )
        )
    return found


# -- writing -------------------------------------------------------------------------------


def create(
    db: sqlite_utils.Database,
    course: Course,
    viewer: User,
    title: str,
    instructions: str = "",
    kind: str | None = None,
    template_slug: str | None = None,
    due_local: str | None = None,
) -> Assignment:
    """A new, unpublished assignment. Its template is a new widget of the viewer's: a copy
    of one of their widgets (`template_slug`) or a kind's starter."""
    _open(course)
    title, instructions = check_title(title), check_instructions(instructions)
    due_at = due.to_utc(due_local, course.timezone) if due_local else None
    name = f"{title[: widgets.MAX_TITLE - 11]} (template)"
    if template_slug:
        source = widgets.owned(db, template_slug, viewer)
        template = widgets.fork(db, source, viewer, title=name)
    elif kind:
        template = widgets.create(db, viewer, widgets.check_kind(kind), name)
    else:
        raise Invalid("template_needed", "Choose a kind of widget or one of yours as template.")
    stamp = iso(now())
    assignment_id = (
        db.table("assignments")
        .insert(
            {
                "course_id": course.id,
                "title": title,
                "instructions": instructions,
                "template_id": template.id,
                "due_at": due_at,
                "published_at": None,
                "locked": 0,
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        .last_pk
    )
    return get(db, course, int(assignment_id or 0))


KEEP: Any = object()
"""`update`'s `due_local` when the due date stays as it is."""


def update(
    db: sqlite_utils.Database,
    course: Course,
    assignment: Assignment,
    title: str | None = None,
    instructions: str | None = None,
    due_local: str | None = KEEP,
    published: bool | None = None,
    locked: bool | None = None,
) -> Assignment:
    """Change what is given (`due_local=None` removes the due date). Unpublishing is refused
    once a student has started: their copy would be left without its assignment."""
    _open(course)
    changes: dict[str, Any] = {}
    if title is not None:
        changes["title"] = check_title(title)
    if instructions is not None:
        changes["instructions"] = check_instructions(instructions)
    if due_local is not KEEP:
        changes["due_at"] = due.to_utc(due_local, course.timezone) if due_local else None
    if published is not None and published != assignment.published:
        if (
            not published
            and db.execute(
                "SELECT 1 FROM assignment_copies WHERE assignment_id = ?", [assignment.id]
            ).fetchone()
        ):
            raise Conflict("already_started", "Students have started it: it stays published.")
        changes["published_at"] = iso(now()) if published else None
    if locked is not None:
        changes["locked"] = int(locked)
    if changes:
        changes["updated_at"] = iso(now())
        db.table("assignments").update(assignment.id, changes)
    return get(db, course, assignment.id)


def _student(course: Course) -> None:
    if course.role != "student":
        raise Forbidden("students_only", "Only the course's students do this.")


def start(
    db: sqlite_utils.Database, course: Course, assignment: Assignment, student: User
) -> tuple[Copy, bool]:
    """The student's copy, made now from the template's latest version when they have none
    (True) or the one they have (False)."""
    _student(course)
    found = copy_of(db, assignment, student.id)
    if found is not None:
        return found, False
    _open(course)
    if assignment.template_slug is None:
        raise Conflict(
            "template_gone", "This assignment's template was deleted; tell your teacher."
        )
    template = widgets.find(db, assignment.template_slug)
    assert template is not None  # found by the same read that found the assignment
    # the slug names the assignment and the student, never the course's other students
    base = widgets.slugify(f"{assignment.title[:30]}-{student.username}")
    mine = widgets.fork(
        db, template, student, title=assignment.title, slug=widgets.free_slug(db, base)
    )
    db.table("assignment_copies").insert(
        {
            "assignment_id": assignment.id,
            "student_id": student.id,
            "widget_id": mine.id,
            "started_at": iso(now()),
        }
    )
    copy = copy_of(db, assignment, student.id)
    assert copy is not None
    return copy, True


def submit(
    db: sqlite_utils.Database,
    course: Course,
    assignment: Assignment,
    student: User,
    version: int | None = None,
    at: datetime | None = None,
) -> Submission:
    """Submit a version of the student's copy (its latest when `version` is None)."""
    _student(course)
    _open(course)
    if assignment.locked:
        raise Forbidden("submissions_locked", "Your teacher has locked this assignment.")
    copy = copy_of(db, assignment, student.id)
    if copy is None:
        raise Conflict("not_started", "Start the assignment first: you submit your own copy.")
    widget = widgets.find(db, copy.slug)
    assert widget is not None
    chosen = widgets.version(db, widget, version or widget.head_version).number  # NotFound
    moment = at or now()
    late = due.is_late(assignment.due_at, moment)
    if late and submissions(db, assignment, student.id):
        raise Conflict(
            "due_date_passed",
            "The due date has passed: your last submission stands and cannot be replaced.",
        )
    db.table("submissions").insert(
        {
            "assignment_id": assignment.id,
            "student_id": student.id,
            "widget_id": widget.id,
            "version": chosen,
            "submitted_at": iso(moment),
            "late": int(late),
        }
    )
    return submissions(db, assignment, student.id)[0]


def status_of(db: sqlite_utils.Database, assignment: Assignment, student_id: int) -> str:
    """Where a student is with an assignment: not started, started, submitted (late)."""
    done = submissions(db, assignment, student_id)
    if done:
        return "submitted late" if done[0].late else "submitted"
    return "started" if copy_of(db, assignment, student_id) is not None else "not started"


def overview(
    db: sqlite_utils.Database, user: User
) -> list[tuple[Course, list[tuple[Assignment, str | None]]]]:
    """The user's courses for their dashboard, each with its assignments and, in courses
    they take, where they are with each (None in courses they teach)."""
    found = []
    for course in course_records.listing(db, user):
        given = listing(db, course)
        found.append(
            (
                course,
                [(a, None if course.teaching else status_of(db, a, user.id)) for a in given],
            )
        )
    return found
