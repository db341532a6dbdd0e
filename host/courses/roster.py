"""A course's roster from a CSV file: students with new accounts, each with a one-time
set-password link for the teacher to hand out.

The file has a header row naming the columns `name`, `username` and `email` (in any order;
other columns are refused, so a misspelt one is not silently dropped). An import is all or
nothing: every problem in the file, and every clash with existing accounts, is listed by its
line at once, and nothing is created until there are none.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import sqlite_utils

from widgetbox.host.accounts import password_links
from widgetbox.host.accounts import users as accounts
from widgetbox.host.accounts.users import User
from widgetbox.host.courses.records import Course, add_member
from widgetbox.host.email.addresses import AddressError, check_address
from widgetbox.host.errors import DomainError, Forbidden, Invalid, NotFound
from widgetbox.host.storage.times import iso, now

COLUMNS = ("name", "username", "email")
MAX_ROWS = 1000
MAX_BYTES = 1_000_000
MAX_NAME = 100


@dataclass(frozen=True)
class Row:
    line: int
    name: str
    username: str
    email: str


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


@dataclass(frozen=True)
class Created:
    name: str
    username: str
    email: str
    token: str
    """The set-password link's token: known only now, never stored."""


def parse(text: str) -> tuple[list[Row], list[Problem]]:
    """The file's rows, and every problem found in it (by line; line 1 is the header)."""
    if len(text.encode()) > MAX_BYTES:
        return [], [Problem(1, f"The file is larger than {MAX_BYTES // 1000} kB.")]
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    problems: list[Problem] = []
    try:
        header = [cell.strip().lower() for cell in next(reader, [])]
    except csv.Error as e:
        return [], [Problem(1, f"This is not CSV: {e}.")]
    unknown = [cell for cell in header if cell not in COLUMNS]
    missing = [column for column in COLUMNS if column not in header]
    if unknown or missing or len(set(header)) != len(header):
        said = []
        if missing:
            said.append(f"missing {', '.join(missing)}")
        if unknown:
            said.append(f"unknown {', '.join(repr(cell[:30]) for cell in unknown)}")
        if len(set(header)) != len(header):
            said.append("a column named twice")
        return [], [
            Problem(
                1, f"The first line names the columns name, username, email ({'; '.join(said)})."
            )
        ]
    rows: list[Row] = []
    first_line: dict[str, int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) + len(problems) >= MAX_ROWS:
                problems.append(Problem(line, f"A roster has at most {MAX_ROWS} students."))
                break
            if len(cells) != len(header):
                problems.append(
                    Problem(line, f"{len(cells)} values where the header names {len(header)}.")
                )
                continue
            values = dict(zip(header, (cell.strip() for cell in cells), strict=True))
            row, found = _row(line, values, first_line)
            problems += found
            if row is not None:
                rows.append(row)
    except csv.Error as e:
        problems.append(Problem(reader.line_num, f"This line is not CSV: {e}."))
    return rows, problems


def _row(
    line: int, values: dict[str, str], first_line: dict[str, int]
) -> tuple[Row | None, list[Problem]]:
    problems = []
    name = " ".join(values["name"].split())
    if not 1 <= len(name) <= MAX_NAME:
        problems.append(Problem(line, f"A name is 1 to {MAX_NAME} characters."))
    username = values["username"].lower()
    try:
        username = accounts.check_username(username)
    except Invalid as e:
        problems.append(Problem(line, f"Username {values['username'][:40]!r}: {e.message}"))
    else:
        if username in first_line:
            problems.append(
                Problem(line, f"The username {username!r} is on line {first_line[username]} too.")
            )
        else:
            first_line[username] = line
    email = values["email"]
    try:
        check_address(email)
    except AddressError as e:
        problems.append(Problem(line, f"Email {email[:60]!r}: {e}"))
    if problems:
        return None, problems
    return Row(line, name, username, email), []


def refuse(problems: list[Problem]) -> DomainError:
    """The one refusal of a roster: `details["problems"]` lists every problem by line."""
    ordered = sorted(problems, key=lambda problem: problem.line)
    return Invalid(
        "roster_invalid",
        f"The roster has {len(ordered)} problem{'s' if len(ordered) != 1 else ''}; nothing was "
        "imported. Fix them and import it again.",
        {"problems": [{"line": p.line, "message": p.message} for p in ordered]},
    )


def import_rows(
    db: sqlite_utils.Database, course: Course, rows: list[Row], problems: list[Problem]
) -> tuple[list[Created], list[str]]:
    """Create the accounts and make them students, in one write, or refuse with every
    problem (the file's, passed in, and clashes with accounts found here). Returns what was
    created (with each link's token) and the usernames already in the course (left as they
    are, so importing the same roster twice is harmless)."""
    problems = list(problems)
    fresh: list[Row] = []
    already: list[str] = []
    for row in rows:
        found = accounts.find_user(db, row.username)
        if found is None:
            fresh.append(row)
            continue
        role = db.execute(
            "SELECT role FROM course_members WHERE course_id = ? AND user_id = ?",
            [course.id, found["id"]],
        ).fetchone()
        if role is not None and role[0] == "student":
            already.append(row.username)
        else:
            problems.append(
                Problem(
                    row.line,
                    f"The username {row.username!r} is taken by another account: choose "
                    "another, or give that person the join code instead.",
                )
            )
    if problems:
        raise refuse(problems)
    created = []
    for row in fresh:
        user_id = (
            db.table("users")
            .insert(
                {
                    "username": row.username,
                    "password_hash": password_links.UNSET_PASSWORD,
                    "is_admin": 0,
                    "created_at": iso(now()),
                }
            )
            .last_pk
        )
        user = accounts.get_user(db, int(user_id or 0))
        assert user is not None
        add_member(db, course.id, user, "student", row.name, row.email, account_created=True)
        created.append(
            Created(row.name, row.username, row.email, password_links.create(db, user.id))
        )
    return created, already


def new_link(db: sqlite_utils.Database, course: Course, user_id: int) -> tuple[User, str]:
    """A new set-password link for a student whose account this course's roster made and
    who has not set a password yet: never for anyone else, so a teacher cannot take over an
    account someone else made or already uses."""
    if not 0 < user_id < 2**63:  # beyond SQLite's integers: nobody
        raise NotFound("no_such_member", "That person is not a student of this course.")
    row = db.execute(
        "SELECT account_created FROM course_members "
        "WHERE course_id = ? AND user_id = ? AND role = 'student'",
        [course.id, user_id],
    ).fetchone()
    user = accounts.get_user(db, user_id)
    if row is None or user is None:
        raise NotFound("no_such_member", "That person is not a student of this course.")
    if not row[0] or password_links.has_password(db, user_id):
        raise Forbidden(
            "has_password",
            "Only an account this course's roster made, before its person sets a password, "
            "gets a new link; they can ask the admin instead.",
        )
    return user, password_links.create(db, user_id)
