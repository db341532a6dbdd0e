"""The teachers' view in the IDE: a course's grid (students by assignments, sorted and
filtered in the page by `pages/grid.js`), and one student's work on an assignment: the code
of a version with the lines that differ from the template marked, the diff against the
template (`widgets.records.diff` against the copy's first version, the template as the
student got it), their runs, and the feedback (`pages/review.js`, through `review_api.py`)."""

from __future__ import annotations

import difflib
from typing import Any

import msgspec
from litestar import get
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from widgetbox.host.courses import assignments, feedback, grid, records
from widgetbox.host.courses.review_schemas import feedback_out
from widgetbox.host.errors import NotFound
from widgetbox.host.runs import records as runs
from widgetbox.host.web.dependencies import DbDep, Viewer
from widgetbox.host.web.rendering import page, require_viewer
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.changes import MATCHED_PAIRS

RUNS_SHOWN = 10


def changed_lines(before: str | None, after: str) -> set[int]:
    """The lines (from 1) of `after` that `before` does not have where they stand."""
    new = after.splitlines()
    if before is None:
        return set(range(1, len(new) + 1))
    old = before.splitlines()
    if len(old) * len(new) > MATCHED_PAIRS:  # a student's file may be hostile: stay linear
        known = set(old)
        return {n for n, line in enumerate(new, 1) if line not in known}
    marked: set[int] = set()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "insert"):
            marked.update(range(j1 + 1, j2 + 1))
    return marked


@get("/courses/{course_id:int}/grid", include_in_schema=False)
async def grid_page(course_id: FromPath[int], viewer: Viewer, db: DbDep) -> Template:
    """Every student by every assignment (teachers)."""
    user = require_viewer(viewer)

    def read(database: Any) -> tuple[records.Course, grid.Grid]:
        course = records.teaching(database, course_id, user)
        return course, grid.build(database, course)

    course, found = await db.read(read)
    return page(
        "courses/grid.html",
        user,
        "pages/grid.js",
        course=course,
        grid=found,
        order=grid.STATUS_ORDER,
    )


@get(
    "/courses/{course_id:int}/assignments/{assignment_id:int}/students/{student_id:int}",
    include_in_schema=False,
)
async def review(
    course_id: FromPath[int],
    assignment_id: FromPath[int],
    student_id: FromPath[int],
    viewer: Viewer,
    db: DbDep,
    version: FromQuery[int | None] = None,
) -> Template:
    """One student's work on an assignment, and the feedback on it (teachers). `version`:
    the one to read (default: the submitted one, else the latest)."""
    user = require_viewer(viewer)

    def read(database: Any) -> dict[str, Any]:
        course = records.teaching(database, course_id, user)
        given = assignments.get(database, course, assignment_id)
        student = records.member(database, course, student_id)
        if student.role != "student":
            raise NotFound("no_such_member", "That person is not a student of this course.")
        copy = assignments.copy_of(database, given, student_id)
        done = assignments.submissions(database, given, student_id)
        context: dict[str, Any] = {
            "course": course,
            "assignment": given,
            "student": student,
            "copy": copy,
            "submissions": done,
            "feedback": feedback.drafted(database, course, given, student_id),
        }
        widget = widgets.find(database, copy.slug) if copy else None
        if widget is None:
            return context
        chosen = version or (done[0].version if done else widget.head_version)
        shown = widgets.version(database, widget, chosen)  # NotFound for another number
        first = widgets.version(database, widget, 1).files
        context.update(
            versions=widgets.versions(database, widget),
            version=chosen,
            files=[
                (path, text.splitlines(), changed_lines(first.get(path), text))
                for path, text in sorted(shown.files.items())
            ],
            diff=[
                change
                for change in (widgets.diff(database, widget, 1, chosen) if chosen != 1 else [])
                if change["status"] != "unchanged"
            ],
            runs=runs.listing(database, widget, runs.HISTORY_TRIGGERS, RUNS_SHOWN, 0),
        )
        return context

    found = await db.read(read)
    data = {
        "feedback_path": f"/api/courses/{course_id}/assignments/{assignment_id}"
        f"/students/{student_id}/feedback",
        "version": found.get("version"),
        "feedback": msgspec.to_builtins(feedback_out(found["feedback"])),
    }
    return page("courses/review.html", user, "pages/review.js", data=data, **found)


PAGES = [grid_page, review]
