"""Courses: create, read, change, archive; join with a code; people (co-teachers, a CSV
roster with set-password links, removing). Assignments are `assignments_api.py`'s.

Every route under `/api/courses/{course_id}` finds the course through `records.membership`
(404 for anyone not in it), then asks for the role it needs (`teaching`: 403 for students).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Router, delete, get, patch, post
from litestar.params import FromPath, JSONBody

from widgetbox.host.accounts import password_links
from widgetbox.host.accounts import users as accounts
from widgetbox.host.config import Config
from widgetbox.host.courses import (
    assignments_api,
    checks_api,
    limits_api,
    records,
    review_api,
    roster,
)
from widgetbox.host.courses.schemas import (
    AccountLink,
    CourseChanges,
    CourseList,
    CourseOut,
    JoinRequest,
    LinkOut,
    MemberList,
    MemberOut,
    NewCoTeacher,
    NewCourse,
    RosterIn,
    RosterOut,
    course_out,
    member_out,
)
from widgetbox.host.errors import Forbidden
from widgetbox.host.web.dependencies import ConfigDep, DbDep, Viewer, require_user
from widgetbox.host.web.limits import login_limit
from widgetbox.host.web.openapi import ERRORS

CourseId = FromPath[int]
AssignmentId = FromPath[int]


class Courses(Controller):
    path = "/api/courses"
    tags = ["courses"]  # noqa: RUF012 - Litestar's declaration style

    @get("/", summary="My courses (teaching and taking), current ones first", responses=ERRORS)
    async def mine(self, viewer: Viewer, db: DbDep, config: ConfigDep) -> CourseList:
        user = require_user(viewer)
        found = await db.read(records.listing, user)
        return CourseList(courses=[course_out(course, config.origin) for course in found])

    @post("/", summary="Create a course: you are its teacher", status_code=201, responses=ERRORS)
    async def create(
        self, data: JSONBody[NewCourse], viewer: Viewer, db: DbDep, config: ConfigDep
    ) -> CourseOut:
        user = require_user(viewer)
        course = await db.write(records.create, user, data.title, data.timezone)
        return course_out(course, config.origin)

    @get("/{course_id:int}", summary="A course you are in", responses=ERRORS)
    async def read(
        self, course_id: CourseId, viewer: Viewer, db: DbDep, config: ConfigDep
    ) -> CourseOut:
        """The join code and link are shown to teachers only."""
        course = await db.read(records.membership, course_id, require_user(viewer))
        return course_out(course, config.origin)

    @patch(
        "/{course_id:int}",
        summary="Change a course's title or time zone (teachers), archive it (the teacher)",
        responses=ERRORS,
    )
    async def change(
        self,
        course_id: CourseId,
        data: JSONBody[CourseChanges],
        viewer: Viewer,
        db: DbDep,
        config: ConfigDep,
    ) -> CourseOut:
        user = require_user(viewer)

        def write(database: Any) -> records.Course:
            course = records.teaching(database, course_id, user)
            return records.update(database, course, user, data.title, data.timezone, data.archived)

        return course_out(await db.write(write), config.origin)

    @post(
        "/{course_id:int}/join-code",
        summary="A new join code: the old one and its link stop working (teachers)",
        status_code=200,
        responses=ERRORS,
    )
    async def new_code(
        self, course_id: CourseId, viewer: Viewer, db: DbDep, config: ConfigDep
    ) -> CourseOut:
        user = require_user(viewer)

        def write(database: Any) -> records.Course:
            course = records.teaching(database, course_id, user)
            return records.new_join_code(database, course, user)

        return course_out(await db.write(write), config.origin)

    # -- people ----------------------------------------------------------------------------

    @get("/{course_id:int}/members", summary="The course's people (teachers)", responses=ERRORS)
    async def members(self, course_id: CourseId, viewer: Viewer, db: DbDep) -> MemberList:
        user = require_user(viewer)

        def read(database: Any) -> list[records.Member]:
            return records.members(database, records.teaching(database, course_id, user))

        return MemberList(members=[member_out(found) for found in await db.read(read)])

    @post(
        "/{course_id:int}/co-teachers",
        summary="Add an existing account as a co-teacher (the teacher)",
        status_code=201,
        responses=ERRORS,
    )
    async def add_co_teacher(
        self, course_id: CourseId, data: JSONBody[NewCoTeacher], viewer: Viewer, db: DbDep
    ) -> MemberOut:
        user = require_user(viewer)

        def write(database: Any) -> records.Member:
            course = records.teaching(database, course_id, user)
            return records.add_co_teacher(database, course, user, data.username)

        return member_out(await db.write(write))

    @delete(
        "/{course_id:int}/members/{user_id:int}",
        summary="Remove a student (teachers) or a co-teacher (the teacher)",
        status_code=204,
        responses=ERRORS,
    )
    async def remove(
        self, course_id: CourseId, user_id: FromPath[int], viewer: Viewer, db: DbDep
    ) -> None:
        user = require_user(viewer)

        def write(database: Any) -> None:
            course = records.teaching(database, course_id, user)
            records.remove_member(database, course, user, user_id)

        await db.write(write)

    @post(
        "/{course_id:int}/roster",
        summary="Import students from CSV (name, username, email): accounts with links",
        status_code=201,
        responses=ERRORS,
    )
    async def import_roster(
        self,
        course_id: CourseId,
        data: JSONBody[RosterIn],
        viewer: Viewer,
        db: DbDep,
        config: ConfigDep,
    ) -> RosterOut:
        """All or nothing: 422 `roster_invalid` lists every problem by line in
        `details.problems`. Each new account has no password until its person opens the
        one-time set-password link answered here (only now: it is never stored). Accounts
        are made only while sign-up is open, or by the admin."""
        user = require_user(viewer)
        rows, problems = roster.parse(data.csv)

        def write(database: Any) -> tuple[list[roster.Created], list[str]]:
            course = records.teaching(database, course_id, user)
            records.current(course, "nobody can join it.")
            if not user.is_admin and not accounts.signup_open(
                database, config.security.open_signup
            ):
                raise Forbidden(
                    "signup_closed",
                    "Sign-up is closed on this server, so only its admin can make accounts "
                    "from a roster; your students can join with the course's code once they "
                    "have accounts.",
                )
            return roster.import_rows(database, course, rows, problems)

        created, already = await db.write(write)
        return RosterOut(
            created=[
                AccountLink(
                    name=made.name,
                    username=made.username,
                    email=made.email,
                    link=password_links.url(config.origin, made.token),
                )
                for made in created
            ],
            already=already,
        )

    @post(
        "/{course_id:int}/members/{user_id:int}/password-link",
        summary="A new set-password link for a roster student with no password yet (teachers)",
        status_code=201,
        responses=ERRORS,
    )
    async def password_link(
        self,
        course_id: CourseId,
        user_id: FromPath[int],
        viewer: Viewer,
        db: DbDep,
        config: ConfigDep,
    ) -> LinkOut:
        """Any earlier link of the account stops working. Also in an archived course: the
        link changes the account, not the course, and lets its student in to read their
        work."""
        user = require_user(viewer)

        def write(database: Any) -> tuple[accounts.User, str]:
            course = records.teaching(database, course_id, user)
            return roster.new_link(database, course, user_id)

        student, token = await db.write(write)
        return LinkOut(username=student.username, link=password_links.url(config.origin, token))


@post(
    "/api/courses/join",
    tags=["courses"],
    summary="Join a course with its code, as a student",
    status_code=200,
    responses=ERRORS,
)
async def join(
    data: JSONBody[JoinRequest], viewer: Viewer, db: DbDep, config: ConfigDep
) -> CourseOut:
    """Already in it: nothing changes. Rate-limited per client address like logging in."""
    course = await db.write(records.join, require_user(viewer), data.code)
    return course_out(course, config.origin)


def routers(config: Config) -> list[Router]:
    """Joining is counted with the log-in limit: codes are not to be guessed."""
    return [
        Router(path="/", route_handlers=[join], middleware=[login_limit(config).middleware]),
        Router(
            path="/",
            route_handlers=[
                Courses,
                *assignments_api.ROUTES,
                *review_api.ROUTES,
                *checks_api.ROUTES,
                *limits_api.ROUTES,
            ],
        ),
    ]
