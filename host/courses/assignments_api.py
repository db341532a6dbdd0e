"""Assignments of a course: list and create them (teachers; students see the published
ones), change, publish and lock one, Start (a student's own copy), submissions, and the
teachers' view of every student's progress. Like every course route, the course is found
through `records.membership` (404 for anyone not in it), then the role each needs."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Response, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from widgetbox.host.courses import assignments, checks_api, records
from widgetbox.host.courses.schemas import (
    AssignmentChanges,
    AssignmentList,
    AssignmentOut,
    CopyOut,
    MyWork,
    NewAssignment,
    NewSubmission,
    ProgressList,
    SubmissionOut,
    assignment_out,
    copy_out,
    progress_out,
    submission_out,
)
from widgetbox.host.web.dependencies import DbDep, Viewer, require_user
from widgetbox.host.web.openapi import ERRORS

CourseId = FromPath[int]
AssignmentId = FromPath[int]


class CourseAssignments(Controller):
    path = "/api/courses/{course_id:int}/assignments"
    tags = ["courses"]  # noqa: RUF012 - Litestar's declaration style

    @get(
        "/",
        summary="The course's assignments (students: the published ones)",
        responses=ERRORS,
    )
    async def listing(self, course_id: CourseId, viewer: Viewer, db: DbDep) -> AssignmentList:
        user = require_user(viewer)

        def read(database: Any) -> tuple[records.Course, list[assignments.Assignment]]:
            course = records.membership(database, course_id, user)
            return course, assignments.listing(database, course)

        course, found = await db.read(read)
        return AssignmentList(assignments=[assignment_out(a, course) for a in found])

    @post(
        "/",
        summary="Create an assignment, unpublished, with its template widget (teachers)",
        status_code=201,
        responses=ERRORS,
    )
    async def create_assignment(
        self, course_id: CourseId, data: JSONBody[NewAssignment], viewer: Viewer, db: DbDep
    ) -> AssignmentOut:
        """The template is a new widget of yours: from `kind`'s starter, or a copy of your
        widget `template`. Edit it in the editor; students fork its latest version."""
        user = require_user(viewer)

        def write(database: Any) -> tuple[records.Course, assignments.Assignment]:
            course = records.teaching(database, course_id, user)
            made = assignments.create(
                database,
                course,
                user,
                data.title,
                data.instructions,
                data.kind,
                data.template,
                data.due,
            )
            return course, made

        course, made = await db.write(write)
        return assignment_out(made, course)


class Assignments(Controller):
    path = "/api/courses/{course_id:int}/assignments/{assignment_id:int}"
    tags = ["courses"]  # noqa: RUF012 - Litestar's declaration style

    @get("/", summary="An assignment (students: once published)", responses=ERRORS)
    async def read(
        self, course_id: CourseId, assignment_id: AssignmentId, viewer: Viewer, db: DbDep
    ) -> AssignmentOut:
        user = require_user(viewer)

        def read(database: Any) -> tuple[records.Course, assignments.Assignment]:
            course = records.membership(database, course_id, user)
            return course, assignments.get(database, course, assignment_id)

        course, found = await db.read(read)
        return assignment_out(found, course)

    @patch(
        "/",
        summary="Change, publish or lock an assignment (teachers)",
        responses=ERRORS,
    )
    async def change(
        self,
        course_id: CourseId,
        assignment_id: AssignmentId,
        data: JSONBody[AssignmentChanges],
        viewer: Viewer,
        db: DbDep,
    ) -> AssignmentOut:
        """`due` is a wall-clock time in the course's time zone (null: no due date);
        `locked` refuses every further submission."""
        user = require_user(viewer)
        due: Any = data.due if data.due is not msgspec.UNSET else assignments.KEEP

        def write(database: Any) -> tuple[records.Course, assignments.Assignment]:
            course = records.teaching(database, course_id, user)
            found = assignments.get(database, course, assignment_id)
            changed = assignments.update(
                database,
                course,
                found,
                data.title,
                data.instructions,
                due,
                data.published,
                data.locked,
            )
            return course, changed

        course, changed = await db.write(write)
        return assignment_out(changed, course)

    @post(
        "/start",
        summary="Start: your own private copy of the template (students)",
        status_code=201,
        responses=ERRORS,
    )
    async def start(
        self, course_id: CourseId, assignment_id: AssignmentId, viewer: Viewer, db: DbDep
    ) -> Response[CopyOut]:
        """201 with the new copy; 200 with the one you have when you started before."""
        user = require_user(viewer)

        def write(database: Any) -> tuple[assignments.Copy, bool]:
            course = records.membership(database, course_id, user)
            found = assignments.get(database, course, assignment_id)
            return assignments.start(database, course, found, user)

        copy, made = await db.write(write)
        out = copy_out(copy)
        assert out is not None
        return Response(out, status_code=201 if made else 200)

    @get("/mine", summary="Your copy and submissions (students)", responses=ERRORS)
    async def mine(
        self, course_id: CourseId, assignment_id: AssignmentId, viewer: Viewer, db: DbDep
    ) -> MyWork:
        user = require_user(viewer)

        def read(database: Any) -> MyWork:
            course = records.membership(database, course_id, user)
            found = assignments.get(database, course, assignment_id)
            return MyWork(
                copy=copy_out(assignments.copy_of(database, found, user.id)),
                submissions=[
                    submission_out(s) for s in assignments.submissions(database, found, user.id)
                ],
            )

        return await db.read(read)

    @post(
        "/submissions",
        summary="Submit a version of your copy (students)",
        status_code=201,
        responses=ERRORS,
    )
    async def submit(
        self,
        course_id: CourseId,
        assignment_id: AssignmentId,
        data: JSONBody[NewSubmission],
        viewer: Viewer,
        db: DbDep,
        state: State,
    ) -> SubmissionOut:
        """Any number of times until the due date (the latest counts); after it, once, if
        you had not submitted (marked late). 403 `submissions_locked` once the teacher
        locks it; 409 `due_date_passed` for a second submission after the due date.
        When the assignment has checks, they start on the submitted version at once."""
        user = require_user(viewer)

        def write(database: Any) -> assignments.Submission:
            course = records.membership(database, course_id, user)
            found = assignments.get(database, course, assignment_id)
            return assignments.submit(database, course, found, user, data.version)

        submission = await db.write(write)
        await checks_api.after_submit(state, db, course_id, assignment_id, user, submission)
        return submission_out(submission)

    @get(
        "/students",
        summary="Every student's progress: copy, submissions, late (teachers)",
        responses=ERRORS,
    )
    async def students(
        self, course_id: CourseId, assignment_id: AssignmentId, viewer: Viewer, db: DbDep
    ) -> ProgressList:
        user = require_user(viewer)

        def read(database: Any) -> list[assignments.Progress]:
            course = records.teaching(database, course_id, user)
            found = assignments.get(database, course, assignment_id)
            return assignments.progress(database, course, found)

        return ProgressList(students=[progress_out(found) for found in await db.read(read)])


ROUTES = [CourseAssignments, Assignments]
