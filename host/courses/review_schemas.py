"""The message shapes of the teachers' view (`review_api.py`): the grid, feedback."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from widgetbox.host.courses.feedback import MAX_COMMENT, MAX_NOTE, Comment, Feedback
from widgetbox.host.courses.grid import Grid

Status = Literal["not started", "started", "submitted", "submitted late"]


class GridAssignment(msgspec.Struct):
    id: int
    title: str
    due_at: str | None
    published: bool


class GridCell(msgspec.Struct):
    assignment_id: int
    status: Status
    copy: str | None
    """The slug of the student's copy."""
    version: int | None
    """The submitted version that counts."""
    submitted_at: str | None
    submissions: int
    score: str | None
    """The automatic checks' score, None until checked."""
    last_run: str | None
    """The status of the copy's latest run."""
    last_run_at: str | None
    feedback: Literal["draft", "released", "changed"] | None
    """`changed`: released, with drafts since."""


class GridRow(msgspec.Struct):
    user_id: int
    username: str
    name: str
    cells: list[GridCell]


class GridOut(msgspec.Struct):
    assignments: list[GridAssignment]
    students: list[GridRow]


def grid_out(grid: Grid) -> GridOut:
    return GridOut(
        assignments=[
            GridAssignment(a.id, a.title, a.due_at, a.published) for a in grid.assignments
        ],
        students=[
            GridRow(
                user_id=row.user_id,
                username=row.username,
                name=row.name,
                cells=[
                    GridCell(
                        assignment_id=a.id,
                        status=c.status,  # type: ignore[arg-type]
                        copy=c.copy,
                        version=c.version,
                        submitted_at=c.submitted_at,
                        submissions=c.submissions,
                        score=c.score,
                        last_run=c.last_run,
                        last_run_at=c.last_run_at,
                        feedback=c.feedback,  # type: ignore[arg-type]
                    )
                    for a, c in zip(grid.assignments, row.cells, strict=True)
                ],
            )
            for row in grid.rows
        ],
    )


class CommentOut(msgspec.Struct):
    id: int
    version: int
    path: str
    line: int
    body: str
    author: str | None
    created_at: str
    released: bool


def comment_out(found: Comment) -> CommentOut:
    return CommentOut(
        id=found.id,
        version=found.version,
        path=found.path,
        line=found.line,
        body=found.body,
        author=found.author,
        created_at=found.created_at,
        released=found.released,
    )


class FeedbackOut(msgspec.Struct):
    note: str
    """For teachers the draft; for the student the note as released."""
    released_at: str | None
    unreleased: bool
    """Teachers: something the student has not seen yet."""
    comments: list[CommentOut]


def feedback_out(found: Feedback) -> FeedbackOut:
    return FeedbackOut(
        note=found.note,
        released_at=found.released_at,
        unreleased=found.unreleased,
        comments=[comment_out(c) for c in found.comments],
    )


class NoteIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(max_length=MAX_NOTE)]


class NewComment(msgspec.Struct, forbid_unknown_fields=True):
    version: Annotated[int, msgspec.Meta(ge=1)]
    path: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    line: Annotated[int, msgspec.Meta(ge=1)]
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_COMMENT)]


class ReleaseIn(msgspec.Struct, forbid_unknown_fields=True):
    released: bool = True
    """False takes the released feedback back until the next release."""
