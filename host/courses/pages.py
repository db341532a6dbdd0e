"""Courses in the IDE: the list (create one, join one), a course (its assignments; for
teachers its people, join code, roster and settings), an assignment (the instructions; for
a student Start, their copy and Submit; for teachers every student's progress), the join
link's page and the set-password page of a new account. Each page's script does its work
through `courses/api.py` and `accounts/api.py`."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import get
from litestar.params import FromPath
from litestar.response import Template

from widgetbox.host.admin.usage import table_bytes
from widgetbox.host.courses import assignments, due, feedback, records, review_pages
from widgetbox.host.courses import checks as course_checks
from widgetbox.host.courses import limits as course_limits
from widgetbox.host.courses.instructions import render
from widgetbox.host.courses.schemas import assignment_out, course_out
from widgetbox.host.web.dependencies import ConfigDep, DbDep, TablesDep, Viewer
from widgetbox.host.web.rendering import page, require_viewer
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.pages import KINDS

TIMEZONES = (
    "UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin",
    "Europe/Madrid", "Europe/Rome", "Europe/Amsterdam", "Europe/Warsaw", "Europe/Athens",
    "Europe/Helsinki", "Europe/Istanbul", "Africa/Lagos", "Africa/Nairobi",
    "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore", "Asia/Shanghai",
    "Asia/Tokyo", "Asia/Seoul", "Australia/Perth", "Australia/Sydney", "Pacific/Auckland",
    "America/Sao_Paulo", "America/Argentina/Buenos_Aires", "America/Mexico_City",
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu",
)  # fmt: skip
"""Offered in the course form (any IANA name is accepted through the API)."""


@get("/courses", include_in_schema=False)
async def courses(viewer: Viewer, db: DbDep) -> Template:
    """The viewer's courses; create one, or join one with its code."""
    user = require_viewer(viewer)
    found = await db.read(records.listing, user)
    return page("courses/list.html", user, "pages/courses.js", courses=found, timezones=TIMEZONES)


@get("/courses/{course_id:int}", include_in_schema=False)
async def course(
    course_id: FromPath[int], viewer: Viewer, db: DbDep, config: ConfigDep, tables: TablesDep
) -> Template:
    """A course: its assignments; for teachers its people, join code, roster, settings and
    limits per student; for a student what they have used of those limits."""
    user = require_viewer(viewer)

    def read(database: Any) -> dict[str, Any]:
        found = records.membership(database, course_id, user)
        given = assignments.listing(database, found)
        return {
            "course": found,
            "assignments": [
                (
                    a,
                    None if found.teaching else assignments.status_of(database, a, user.id),
                    due.describe(a.due_at, found.timezone) if a.due_at else None,
                )
                for a in given
            ],
            "members": records.members(database, found) if found.teaching else [],
            "templates": widgets.list_owned(database, user.id, 200, 0) if found.teaching else [],
            "limits": course_limits.of_course(
                database, found.id, course_limits.Limits.site(config)
            ),
            "usage": None
            if found.teaching
            else course_limits.usage(
                database, found.id, found.timezone, user.id, table_bytes(tables)
            ),
        }

    found = await db.read(read)
    info = msgspec.to_builtins(course_out(found["course"], config.origin))
    return page(
        "courses/course.html",
        user,
        "pages/courses.js",
        data={"course": info},
        info=info,
        kinds=KINDS,
        timezones=TIMEZONES,
        limit_labels=course_limits.LABELS,
        **found,
    )


@get("/courses/{course_id:int}/assignments/{assignment_id:int}", include_in_schema=False)
async def assignment(
    course_id: FromPath[int], assignment_id: FromPath[int], viewer: Viewer, db: DbDep
) -> Template:
    """An assignment: instructions; a student's copy and submissions, or every student's."""
    user = require_viewer(viewer)

    def read(database: Any) -> dict[str, Any]:
        found = records.membership(database, course_id, user)
        given = assignments.get(database, found, assignment_id)
        context: dict[str, Any] = {"course": found, "assignment": given}
        context["checks"] = course_checks.page_view(database, given, user.id, found.teaching)
        if found.teaching:
            context["progress"] = assignments.progress(database, found, given)
        else:
            copy = assignments.copy_of(database, given, user.id)
            mine = widgets.find(database, copy.slug) if copy else None
            context["copy"] = copy
            context["versions"] = widgets.versions(database, mine) if mine else []
            context["submissions"] = assignments.submissions(database, given, user.id)
            context["feedback"] = feedback.released(database, given, user)
        return context

    found = await db.read(read)
    out = msgspec.to_builtins(assignment_out(found["assignment"], found["course"]))
    return page(
        "courses/assignment.html",
        user,
        "pages/courses.js",
        data={"course_id": course_id, "assignment": out},
        info=out,
        instructions=render(found["assignment"].instructions),
        **found,
    )


@get("/join/{code:str}", include_in_schema=False)
async def join(code: FromPath[str], viewer: Viewer) -> Template:
    """A course's join link: one button (after logging in) joins it."""
    user = require_viewer(viewer)
    return page("courses/join.html", user, "pages/courses.js", code=records.normal_code(code))


@get("/set-password", include_in_schema=False)
async def set_password(viewer: Viewer) -> Template:
    """A new account's first password (or a replaced one), from a one-time link; the token
    is in the link's fragment, which only the page's script reads."""
    return page("set_password.html", viewer, "pages/set-password.js")


PAGES = [courses, course, assignment, join, set_password, *review_pages.PAGES]
