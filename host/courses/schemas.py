"""The courses API's message shapes (msgspec structs: validated on the way in, described in
the OpenAPI document), and the records they are made from."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from widgetbox.host.courses import due
from widgetbox.host.courses.assignments import Assignment, Copy, Progress, Submission
from widgetbox.host.courses.instructions import MAX_INSTRUCTIONS, render
from widgetbox.host.courses.records import Course, Member, join_url

Role = Literal["teacher", "co-teacher", "student"]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Timezone = Annotated[str, msgspec.Meta(min_length=1, max_length=64, examples=["Europe/London"])]
Local = Annotated[
    str,
    msgspec.Meta(
        max_length=32,
        description="A wall-clock time in the course's time zone",
        examples=["2026-12-10T17:00"],
    ),
]


class CourseOut(msgspec.Struct):
    id: int
    title: str
    timezone: str
    role: Role
    teachers: list[str]
    archived: bool
    created_at: str
    join_code: str | None
    """Teachers only."""
    join_url: str | None
    """Teachers only."""


def course_out(course: Course, origin: str) -> CourseOut:
    return CourseOut(
        id=course.id,
        title=course.title,
        timezone=course.timezone,
        role=course.role,  # type: ignore[arg-type]
        teachers=list(course.teachers),
        archived=course.archived,
        created_at=course.created_at,
        join_code=course.join_code if course.teaching else None,
        join_url=join_url(origin, course) if course.teaching else None,
    )


class CourseList(msgspec.Struct):
    courses: list[CourseOut]


class NewCourse(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    timezone: Timezone = "UTC"


class CourseChanges(msgspec.Struct, forbid_unknown_fields=True):
    title: Title | None = None
    timezone: Timezone | None = None
    archived: bool | None = None


class JoinRequest(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class MemberOut(msgspec.Struct):
    user_id: int
    username: str
    name: str
    email: str
    role: Role
    joined_at: str
    can_get_link: bool
    """A roster-made account with no password yet: a new set-password link can be made."""


def member_out(member: Member) -> MemberOut:
    return MemberOut(
        user_id=member.user_id,
        username=member.username,
        name=member.name,
        email=member.email,
        role=member.role,  # type: ignore[arg-type]
        joined_at=member.joined_at,
        can_get_link=member.account_created and not member.has_password,
    )


class MemberList(msgspec.Struct):
    members: list[MemberOut]


class NewCoTeacher(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class RosterIn(msgspec.Struct, forbid_unknown_fields=True):
    csv: Annotated[
        str, msgspec.Meta(max_length=1_000_000, description="CSV: name, username, email")
    ]


class AccountLink(msgspec.Struct):
    name: str
    username: str
    email: str
    link: str
    """The one-time set-password link: shown now, never again."""


class RosterOut(msgspec.Struct):
    created: list[AccountLink]
    already: list[str]
    """Usernames in the file that were already students of the course (left as they are)."""


class LinkOut(msgspec.Struct):
    username: str
    link: str


# -- assignments ---------------------------------------------------------------------------


class AssignmentOut(msgspec.Struct):
    id: int
    course_id: int
    title: str
    instructions: str
    instructions_html: str
    kind: str | None
    template: str | None
    """The template widget's slug (teachers only)."""
    due_at: str | None
    due_local: str | None
    """The due date in the course's time zone, as a `datetime-local` field shows it."""
    due_text: str | None
    published: bool
    locked: bool
    created_at: str
    updated_at: str


def assignment_out(assignment: Assignment, course: Course) -> AssignmentOut:
    when = assignment.due_at
    return AssignmentOut(
        id=assignment.id,
        course_id=assignment.course_id,
        title=assignment.title,
        instructions=assignment.instructions,
        instructions_html=str(render(assignment.instructions)),
        kind=assignment.kind,
        template=assignment.template_slug if course.teaching else None,
        due_at=when,
        due_local=due.to_local(when, course.timezone) if when else None,
        due_text=due.describe(when, course.timezone) if when else None,
        published=assignment.published,
        locked=assignment.locked,
        created_at=assignment.created_at,
        updated_at=assignment.updated_at,
    )


class AssignmentList(msgspec.Struct):
    assignments: list[AssignmentOut]


Kind = Literal["script", "scheduled", "http", "gui"]


class NewAssignment(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    instructions: Annotated[str, msgspec.Meta(max_length=MAX_INSTRUCTIONS)] = ""
    kind: Kind | None = None
    """A new template from this kind's starter..."""
    template: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    """... or a copy of one of your widgets (its slug)."""
    due: Local | None = None


class AssignmentChanges(msgspec.Struct, forbid_unknown_fields=True):
    title: Title | None = None
    instructions: Annotated[str, msgspec.Meta(max_length=MAX_INSTRUCTIONS)] | None = None
    due: Local | msgspec.UnsetType | None = msgspec.UNSET
    """A wall-clock time in the course's time zone; null removes the due date."""
    published: bool | None = None
    locked: bool | None = None


class CopyOut(msgspec.Struct):
    slug: str
    head_version: int
    started_at: str


def copy_out(copy: Copy | None) -> CopyOut | None:
    return None if copy is None else CopyOut(copy.slug, copy.head_version, copy.started_at)


class SubmissionOut(msgspec.Struct):
    id: int
    version: int
    submitted_at: str
    late: bool


def submission_out(found: Submission) -> SubmissionOut:
    return SubmissionOut(found.id, found.version, found.submitted_at, found.late)


class MyWork(msgspec.Struct):
    """A student's own state in an assignment."""

    copy: CopyOut | None
    submissions: list[SubmissionOut]


class NewSubmission(msgspec.Struct, forbid_unknown_fields=True):
    version: Annotated[int, msgspec.Meta(ge=1)] | None = None
    """A version of your copy (default: its latest)."""


class ProgressOut(msgspec.Struct):
    user_id: int
    username: str
    name: str
    status: str
    copy: CopyOut | None
    submissions: int
    last: SubmissionOut | None


def progress_out(found: Progress) -> ProgressOut:
    return ProgressOut(
        user_id=found.user_id,
        username=found.username,
        name=found.name,
        status=found.status,
        copy=copy_out(found.copy),
        submissions=found.submissions,
        last=submission_out(found.last) if found.last else None,
    )


class ProgressList(msgspec.Struct):
    students: list[ProgressOut]
