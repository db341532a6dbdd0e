"""The teachers' view of a course's work: the grid (JSON and CSV), every submission as a
zip of folders, and feedback on one student's work (a note, comments on lines, released
when the teacher says so); and the student's own released feedback.

Teachers' routes find the course through `records.teaching` (404 for anyone not in the
course, 403 for a student) and the student among the course's current students (404
otherwise). The student's route takes no student id: it answers only the viewer's own."""

from __future__ import annotations

import asyncio
import tempfile
import zipfile
from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, Response, delete, get, post, put
from litestar.params import FromPath, JSONBody
from litestar.response import Stream

from widgetbox.host.courses import assignments, exports, feedback, grid, records
from widgetbox.host.courses.review_schemas import (
    CommentOut,
    FeedbackOut,
    GridOut,
    NewComment,
    NoteIn,
    ReleaseIn,
    comment_out,
    feedback_out,
    grid_out,
)
from widgetbox.host.errors import NotFound
from widgetbox.host.transfer import trees
from widgetbox.host.web.dependencies import DbDep, Viewer, require_user
from widgetbox.host.web.openapi import ERRORS

CourseId = FromPath[int]
AssignmentId = FromPath[int]
StudentId = FromPath[int]
SPOOLED = 16 * 1024 * 1024
"""Bytes of an export kept in memory; beyond, it goes on in a temporary file."""
CHUNK = 256 * 1024


def _attachment(data: bytes | str, media_type: str, name: str) -> Response[Any]:
    return Response(
        data,
        media_type=media_type,
        headers={
            "content-disposition": f'attachment; filename="{name}"',
            "cache-control": "no-store",
        },
    )


class CourseWork(Controller):
    path = "/api/courses/{course_id:int}"
    tags = ["courses"]  # noqa: RUF012 - Litestar's declaration style

    @get("/grid", summary="Every student by every assignment (teachers)", responses=ERRORS)
    async def grid(self, course_id: CourseId, viewer: Viewer, db: DbDep) -> GridOut:
        """Each cell: status, the submission that counts, the check score (null until
        checked), the copy's last run and the feedback's state."""
        user = require_user(viewer)

        def read(database: Any) -> grid.Grid:
            return grid.build(database, records.teaching(database, course_id, user))

        return grid_out(await db.read(read))

    @get(
        "/grid.csv",
        summary="The grid as CSV, one line per student (teachers)",
        media_type="text/csv",
        response_description="CSV: a header line, then one line per student",
        responses=ERRORS,
    )
    async def grid_csv(self, course_id: CourseId, viewer: Viewer, db: DbDep) -> Response[Any]:
        user = require_user(viewer)

        def read(database: Any) -> str:
            return exports.grid_csv(
                grid.build(database, records.teaching(database, course_id, user))
            )

        return _attachment(await db.read(read), "text/csv", f"course-{course_id}-grid.csv")

    @get(
        "/submissions.zip",
        summary="Every submission that counts, a plain folder each, in a zip (teachers)",
        media_type="application/zip",
        response_description="A zip: `NN-assignment/username/` folders and `grid.csv`",
        responses=ERRORS,
    )
    async def submissions(self, course_id: CourseId, viewer: Viewer, db: DbDep) -> Stream:
        """`NN-assignment/username/`: the submitted version's files and `.widgetbox.toml`;
        `grid.csv` beside them. Written one submission at a time into a file that spills to
        disk, so a large course never holds every submission in memory."""
        user = require_user(viewer)

        def read(database: Any) -> grid.Grid:
            return grid.build(database, records.teaching(database, course_id, user))

        found = await db.read(read)
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOLED)  # noqa: SIM115 - streamed, then closed
        try:
            archive = zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED)
            grid_file = {"grid.csv": exports.grid_csv(found).encode("utf-8")}
            await asyncio.to_thread(trees.add_to_zip, archive, grid_file)
            for prefix, slug, version in exports.submitted(found):
                folder = await db.read(exports.folder_of, slug, version)
                if folder is not None:
                    await asyncio.to_thread(trees.add_to_zip, archive, folder, prefix)
            await asyncio.to_thread(archive.close)
            spool.seek(0)
        except BaseException:
            spool.close()
            raise
        return Stream(
            _chunks(spool),
            media_type="application/zip",
            headers={
                "content-disposition": f'attachment; filename="course-{course_id}-submissions.zip"',
                "cache-control": "no-store",
            },
        )


async def _chunks(spool: Any) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(spool.read, CHUNK):
            yield chunk
    finally:
        spool.close()


class StudentFeedback(Controller):
    path = (
        "/api/courses/{course_id:int}/assignments/{assignment_id:int}"
        "/students/{student_id:int}/feedback"
    )
    tags = ["courses"]  # noqa: RUF012 - Litestar's declaration style

    @get("/", summary="A student's feedback, drafts included (teachers)", responses=ERRORS)
    async def read(
        self,
        course_id: CourseId,
        assignment_id: AssignmentId,
        student_id: StudentId,
        viewer: Viewer,
        db: DbDep,
    ) -> FeedbackOut:
        user = require_user(viewer)

        def read(database: Any) -> feedback.Feedback:
            course = records.teaching(database, course_id, user)
            found = assignments.get(database, course, assignment_id)
            return feedback.drafted(database, course, found, student_id)

        return feedback_out(await db.read(read))

    @put("/note", summary="Write the overall note, a draft (teachers)", responses=ERRORS)
    async def note(
        self,
        course_id: CourseId,
        assignment_id: AssignmentId,
        student_id: StudentId,
        data: JSONBody[NoteIn],
        viewer: Viewer,
        db: DbDep,
    ) -> FeedbackOut:
        user = require_user(viewer)

        def write(database: Any) -> feedback.Feedback:
            course = records.teaching(database, course_id, user)
            found = assignments.get(database, course, assignment_id)
            return feedback.save_note(database, course, found, student_id, data.note)

        return feedback_out(await db.write(write))

    @post(
        "/comments",
        summary="Comment on a line of a version of the student's copy, a draft (teachers)",
        status_code=201,
        responses=ERRORS,
    )
    async def comment(
        self,
        course_id: CourseId,
        assignment_id: AssignmentId,
        student_id: StudentId,
        data: JSONBody[NewComment],
        viewer: Viewer,
        db: DbDep,
    ) -> CommentOut:
        """`line` counts from 1; the version, file and line must exist."""
        user = require_user(viewer)

        def write(database: Any) -> feedback.Comment:
            course = records.teaching(database, course_id, user)
            found = assignments.get(database, course, assignment_id)
            return feedback.add_comment(
                database, course, found, student_id, user, data.version, data.path, data.line,
                data.body,
            )  # fmt: skip

        return comment_out(await db.write(write))

    @delete(
        "/comments/{comment_id:int}",
        summary="Delete a comment: the student no longer sees it (teachers)",
        status_code=204,
        responses=ERRORS,
    )
    async def uncomment(
        self,
        course_id: CourseId,
        assignment_id: AssignmentId,
        student_id: StudentId,
        comment_id: FromPath[int],
        viewer: Viewer,
        db: DbDep,
    ) -> None:
        user = require_user(viewer)

        def write(database: Any) -> None:
            course = records.teaching(database, course_id, user)
            found = assignments.get(database, course, assignment_id)
            feedback.delete_comment(database, course, found, student_id, comment_id)

        await db.write(write)

    @post(
        "/release",
        summary="Release the feedback to the student, or take it back (teachers)",
        status_code=200,
        responses=ERRORS,
    )
    async def release(
        self,
        course_id: CourseId,
        assignment_id: AssignmentId,
        student_id: StudentId,
        data: JSONBody[ReleaseIn],
        viewer: Viewer,
        db: DbDep,
    ) -> FeedbackOut:
        """The student sees the note and comments as they are now; what changes later is a
        draft until the next release."""
        user = require_user(viewer)

        def write(database: Any) -> feedback.Feedback:
            course = records.teaching(database, course_id, user)
            found = assignments.get(database, course, assignment_id)
            return feedback.release(database, course, found, student_id, data.released)

        return feedback_out(await db.write(write))


@get(
    "/api/courses/{course_id:int}/assignments/{assignment_id:int}/feedback",
    tags=["courses"],
    summary="Your feedback on an assignment, once your teacher released it (students)",
    responses=ERRORS,
)
async def my_feedback(
    course_id: CourseId, assignment_id: AssignmentId, viewer: Viewer, db: DbDep
) -> FeedbackOut:
    """404 `no_feedback` until it is released."""
    user = require_user(viewer)

    def read(database: Any) -> feedback.Feedback | None:
        course = records.membership(database, course_id, user)
        found = assignments.get(database, course, assignment_id)
        return feedback.released(database, found, user)

    found = await db.read(read)
    if found is None:
        raise NotFound("no_feedback", "Your teacher has not released feedback on this yet.")
    return feedback_out(found)


ROUTES: list[Any] = [CourseWork, StudentFeedback, my_feedback]
