"""Courses and their people, as functions of the database (no HTTP).

A course has one teacher (who made it), any number of co-teachers (the same powers over
students and assignments; only the teacher adds or removes co-teachers and archives) and
students, who join with the course's code or come from a roster (`roster.py`). Anyone who is
not in a course is told it does not exist (404), so course ids reveal nothing; students are
refused what only teachers do (403). A student sees the course, its teachers and its
published assignments, never the other students.

An archived course is read-only for everyone: every change to it (its settings, people,
assignments, submissions, checks, limits, feedback) is refused with `Conflict`
`course_archived` (`current`), until its teacher unarchives it, which stays allowed. What
is not the course's own stays as it was: the students keep their widgets, and a teacher may
still make a roster account a new set-password link (that changes the account, and lets its
student in to read their work).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlite_utils

from widgetbox.host.accounts import users as accounts
from widgetbox.host.accounts.password_links import UNSET_PASSWORD
from widgetbox.host.accounts.users import User
from widgetbox.host.courses.access import TEACHING
from widgetbox.host.errors import Conflict, Forbidden, Invalid, NotFound
from widgetbox.host.storage.times import iso, now

MAX_TITLE = 100
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""Join codes: no 0/O or 1/I/L to misread when a teacher writes one on the board."""
CODE_LENGTH = 8
"""32^8 (about 10^12) codes: guessing one is hopeless at the log-in rate limit."""
JOIN_PATH = "/join/"


@dataclass(frozen=True)
class Course:
    id: int
    title: str
    timezone: str
    join_code: str
    created_at: str
    archived_at: str | None
    role: str
    """The viewer's role in it (`teacher`, `co-teacher`, `student`)."""
    teachers: tuple[str, ...]
    """The usernames of its teacher and co-teachers (what a student may know of them)."""

    @property
    def teaching(self) -> bool:
        return self.role in TEACHING

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


@dataclass(frozen=True)
class Member:
    user_id: int
    username: str
    name: str
    email: str
    role: str
    joined_at: str
    account_created: bool
    """The account came from this course's roster (a new set-password link may be made for
    it while it has no password of its own)."""
    has_password: bool


_COURSE = """
    SELECT courses.*, me.role AS role,
        (SELECT json_group_array(users.username) FROM course_members AS t
         JOIN users ON users.id = t.user_id
         WHERE t.course_id = courses.id AND t.role IN ('teacher', 'co-teacher')) AS teachers
    FROM courses JOIN course_members AS me ON me.course_id = courses.id AND me.user_id = :user
"""


def _course(row: dict[str, Any]) -> Course:
    return Course(
        id=row["id"],
        title=row["title"],
        timezone=row["timezone"],
        join_code=row["join_code"],
        created_at=row["created_at"],
        archived_at=row["archived_at"],
        role=row["role"],
        teachers=tuple(sorted(json.loads(row["teachers"] or "[]"))),
    )


# -- checks --------------------------------------------------------------------------------


ARCHIVED = "it is read-only until its teacher unarchives it."


def current(course: Course, why: str = ARCHIVED) -> None:
    """Refuse a change to an archived course (`why` finishes the message)."""
    if course.archived:
        raise Conflict("course_archived", f"This course is archived: {why}")


def check_title(title: str) -> str:
    text = " ".join(title.split())
    if not 1 <= len(text) <= MAX_TITLE:
        raise Invalid("invalid_title", f"A course's title is 1 to {MAX_TITLE} characters.")
    return text


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(
            "invalid_timezone", f"{name[:60]!r} is not a time zone (try Europe/London)."
        ) from None
    return name


def normal_code(code: str) -> str:
    return "".join(code.split()).upper()[: CODE_LENGTH + 4]


# -- reading -------------------------------------------------------------------------------


def membership(db: sqlite_utils.Database, course_id: int, viewer: User) -> Course:
    """The course as `viewer` sees it: NotFound unless they are in it."""
    rows = (
        list(db.query(_COURSE + "WHERE courses.id = :id", {"user": viewer.id, "id": course_id}))
        if 0 < course_id < 2**63
        else []
    )
    if not rows:
        raise NotFound("no_such_course", f"There is no course {course_id}.")
    return _course(rows[0])


def teaching(db: sqlite_utils.Database, course_id: int, viewer: User) -> Course:
    """The course, if `viewer` teaches it (teacher or co-teacher)."""
    course = membership(db, course_id, viewer)
    if not course.teaching:
        raise Forbidden("teachers_only", "Only the course's teachers can do this.")
    return course


def leading(db: sqlite_utils.Database, course_id: int, viewer: User) -> Course:
    """The course, if `viewer` is its teacher (not a co-teacher)."""
    course = teaching(db, course_id, viewer)
    if course.role != "teacher":
        raise Forbidden("teacher_only", "Only the course's teacher can do this.")
    return course


def listing(db: sqlite_utils.Database, user: User) -> list[Course]:
    """Every course `user` is in, current ones first, newest first."""
    rows = db.query(
        _COURSE + "ORDER BY courses.archived_at IS NOT NULL, courses.id DESC", {"user": user.id}
    )
    return [_course(row) for row in rows]


def members(db: sqlite_utils.Database, course: Course) -> list[Member]:
    """The course's people, teachers first, then students by name (teachers only)."""
    rows = db.query(
        "SELECT course_members.*, users.username, users.password_hash "
        "FROM course_members JOIN users ON users.id = course_members.user_id "
        "WHERE course_members.course_id = ? "
        "ORDER BY course_members.role = 'student', course_members.role != 'teacher', "
        "lower(course_members.name), users.username",
        [course.id],
    )
    return [
        Member(
            user_id=row["user_id"],
            username=row["username"],
            name=row["name"] or row["username"],
            email=row["email"],
            role=row["role"],
            joined_at=row["joined_at"],
            account_created=bool(row["account_created"]),
            has_password=row["password_hash"] != UNSET_PASSWORD,
        )
        for row in rows
    ]


def member(db: sqlite_utils.Database, course: Course, user_id: int) -> Member:
    for found in members(db, course):
        if found.user_id == user_id:
            return found
    raise NotFound("no_such_member", "That person is not in this course.")


def students(db: sqlite_utils.Database, course: Course) -> list[Member]:
    return [found for found in members(db, course) if found.role == "student"]


# -- writing -------------------------------------------------------------------------------


def _new_code(db: sqlite_utils.Database) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.execute("SELECT 1 FROM courses WHERE join_code = ?", [code]).fetchone() is None:
            return code


def add_member(
    db: sqlite_utils.Database,
    course_id: int,
    user: User,
    role: str,
    name: str = "",
    email: str = "",
    account_created: bool = False,
) -> None:
    db.table("course_members").insert(
        {
            "course_id": course_id,
            "user_id": user.id,
            "role": role,
            "name": name or user.username,
            "email": email,
            "account_created": int(account_created),
            "joined_at": iso(now()),
        }
    )


def create(db: sqlite_utils.Database, user: User, title: str, timezone: str) -> Course:
    """A new course; `user` is its teacher."""
    title, timezone = check_title(title), check_timezone(timezone)
    course_id = (
        db.table("courses")
        .insert(
            {
                "title": title,
                "timezone": timezone,
                "join_code": _new_code(db),
                "created_by": user.id,
                "created_at": iso(now()),
                "archived_at": None,
            }
        )
        .last_pk
    )
    add_member(db, int(course_id or 0), user, "teacher")
    return membership(db, int(course_id or 0), user)


def update(
    db: sqlite_utils.Database,
    course: Course,
    viewer: User,
    title: str | None = None,
    timezone: str | None = None,
    archived: bool | None = None,
) -> Course:
    """Title and time zone (teachers); archiving (the teacher only): an archived course
    takes no one new and no work, and keeps everything for reading. An archived course's
    title and time zone change only with unarchiving it; archiving it again keeps when it
    was archived."""
    if archived is not None:
        leading(db, course.id, viewer)
    if archived is not False and (title is not None or timezone is not None):
        current(course, "unarchive it to change its title or time zone.")
    changes: dict[str, Any] = {}
    if title is not None:
        changes["title"] = check_title(title)
    if timezone is not None:
        changes["timezone"] = check_timezone(timezone)
    if archived is not None and archived != course.archived:
        changes["archived_at"] = iso(now()) if archived else None
    if changes:
        db.table("courses").update(course.id, changes)
    return membership(db, course.id, viewer)


def new_join_code(db: sqlite_utils.Database, course: Course, viewer: User) -> Course:
    """A fresh join code: the old one (and its link) stops working."""
    current(course, "nobody can join it.")
    db.execute("UPDATE courses SET join_code = ? WHERE id = ?", [_new_code(db), course.id])
    return membership(db, course.id, viewer)


def join(db: sqlite_utils.Database, user: User, code: str) -> Course:
    """Join the course with this code as a student (already in it: nothing changes)."""
    rows = db.execute(
        "SELECT id, archived_at FROM courses WHERE join_code = ?", [normal_code(code)]
    ).fetchall()
    if not rows:
        raise NotFound("no_such_code", "No course has that join code; check it with your teacher.")
    course_id, archived_at = rows[0]
    known = db.execute(
        "SELECT 1 FROM course_members WHERE course_id = ? AND user_id = ?", [course_id, user.id]
    ).fetchone()
    if known is None:
        if archived_at is not None:
            raise Conflict("course_archived", "This course is archived: nobody can join it.")
        add_member(db, course_id, user, "student")
    return membership(db, course_id, user)


def add_co_teacher(
    db: sqlite_utils.Database, course: Course, viewer: User, username: str
) -> Member:
    """Make an existing account a co-teacher of the course (the teacher only)."""
    leading(db, course.id, viewer)
    current(course, "nobody can join it.")
    row = accounts.find_user(db, username)
    if row is None:
        raise NotFound("no_such_user", f"There is no account {username.strip()[:40]!r}.")
    known = db.execute(
        "SELECT role FROM course_members WHERE course_id = ? AND user_id = ?",
        [course.id, row["id"]],
    ).fetchone()
    if known is not None:
        raise Conflict("already_member", f"{row['username']} is already in this course.")
    add_member(db, course.id, User.from_row(row), "co-teacher")
    return member(db, course, row["id"])


def remove_member(db: sqlite_utils.Database, course: Course, viewer: User, user_id: int) -> None:
    """Remove a student (teachers) or a co-teacher (the teacher). The student keeps their own
    widgets; the course's teachers no longer read them, and their submissions stay hidden
    unless they are added back."""
    found = member(db, course, user_id)
    if found.role == "teacher":
        raise Forbidden("teacher_stays", "A course's teacher cannot be removed from it.")
    if found.role == "co-teacher":
        leading(db, course.id, viewer)
    current(course, "its people stay as they were; unarchive it to remove someone.")
    db.execute(
        "DELETE FROM course_members WHERE course_id = ? AND user_id = ?", [course.id, user_id]
    )


def join_url(origin: str, course: Course) -> str:
    return f"{origin}{JOIN_PATH}{course.join_code}"
