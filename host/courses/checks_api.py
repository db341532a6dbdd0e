"""An assignment's automatic checks over HTTP. Teachers attach, read, replace and remove the
checks file, run the checks on every student's latest submission, and read every result in
full; a student runs the public tests on their copy ("Check") and reads their own results as
the teachers chose to show them. No student route returns the checks' source, another
student's results, or the line and output of a test; results are found by the viewer's own
id, never by an id they send. Submitting runs every test (`after_submit`, called by the
submissions route).

Check runs count towards the student's limits in the course (`limits.py`): a student's
Check beyond one is refused like their Run (429 with when it resets), a Submit's checks are
recorded as not run with the limit's message (the submission stands), and the teachers'
"check everyone" is never refused by a student's limit but counts as the students' usage.
An archived course's checks are neither changed nor run (409 `course_archived`)."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Controller, Response, delete, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from widgetbox.host.accounts.users import User
from widgetbox.host.courses import assignments, records
from widgetbox.host.courses import checks as stored
from widgetbox.host.courses.checking import Checker, Target
from widgetbox.host.courses.checks_schemas import (
    CheckIn,
    CheckRunOut,
    ChecksIn,
    ChecksOut,
    ChecksStarted,
    CheckStarted,
    MyCheckRun,
    MyChecks,
    ResultsOut,
    StudentResults,
    TestOut,
)
from widgetbox.host.errors import Conflict, Forbidden, NotFound
from widgetbox.host.web.dependencies import DbDep, Viewer, require_user
from widgetbox.host.web.openapi import ERRORS
from widgetbox.host.widgets import records as widgets

log = logging.getLogger("widgetbox.host")

CourseId = FromPath[int]
AssignmentId = FromPath[int]


def _checks_out(found: stored.Checks) -> ChecksOut:
    return ChecksOut(
        source=found.source,
        tests=[TestOut(t.name, t.public) for t in found.tests],
        shown=found.shown,  # type: ignore[arg-type]
        deadline=found.deadline,
        updated_at=found.updated_at,
    )


def _teacher(run: stored.CheckRun | None) -> CheckRunOut | None:
    view = stored.for_teacher(run)
    return None if view is None else msgspec.convert(view, CheckRunOut)


def _student(run: stored.CheckRun | None, shown: str) -> MyCheckRun | None:
    view = stored.for_student(run, shown)
    return None if view is None else msgspec.convert(view, MyCheckRun)


def _checker(state: State) -> Checker:
    checker: Checker = state.checker
    return checker


def _required(database: Any, assignment: assignments.Assignment) -> stored.Checks:
    found = stored.of(database, assignment)
    if found is None:
        raise NotFound("no_checks", "This assignment has no automatic checks.")
    return found


async def after_submit(
    state: State,
    db: Any,
    course_id: int,
    assignment_id: int,
    student: User,
    submission: assignments.Submission,
) -> None:
    """Check a new submission when its assignment has checks (in the background)."""

    def read(database: Any) -> tuple[Target, stored.Checks] | None:
        course = records.membership(database, course_id, student)
        assignment = assignments.get(database, course, assignment_id)
        found = stored.of(database, assignment)
        copy = assignments.copy_of(database, assignment, student.id)
        if found is None or copy is None:
            return None
        widget = widgets.find(database, copy.slug)
        assert widget is not None
        target = Target(assignment, student.id, widget, submission.version, submission.id, False)
        return target, found

    chosen = await db.read(read)
    if chosen is not None:
        try:
            await _checker(state).begin(*chosen, admit=True)
        except Exception:  # the submission stands; the teachers can run the checks again
            log.exception("the checks of submission %s could not start", submission.id)


class AssignmentChecks(Controller):
    path = "/api/courses/{course_id:int}/assignments/{assignment_id:int}"
    tags = ["courses"]  # noqa: RUF012 - Litestar's declaration style

    @get("/checks", summary="The checks file and its settings (teachers)", responses=ERRORS)
    async def read_checks(
        self, course_id: CourseId, assignment_id: AssignmentId, viewer: Viewer, db: DbDep
    ) -> ChecksOut:
        user = require_user(viewer)

        def read(database: Any) -> stored.Checks:
            course = records.teaching(database, course_id, user)
            return _required(database, assignments.get(database, course, assignment_id))

        return _checks_out(await db.read(read))

    @put("/checks", summary="Attach or replace the checks (teachers)", responses=ERRORS)
    async def save_checks(
        self,
        course_id: CourseId,
        assignment_id: AssignmentId,
        data: JSONBody[ChecksIn],
        viewer: Viewer,
        db: DbDep,
    ) -> ChecksOut:
        """422 `checks_invalid` (with the line) when the file does not parse or has no
        `test_` functions. Results already stored stay as they were."""
        user = require_user(viewer)

        def write(database: Any) -> stored.Checks:
            course = records.teaching(database, course_id, user)
            records.current(course, "its checks stay as they are.")
            found = assignments.get(database, course, assignment_id)
            return stored.save(database, found, data.source, data.shown, data.deadline)

        return _checks_out(await db.write(write))

    @delete("/checks", summary="Remove the checks (teachers)", responses=ERRORS)
    async def remove_checks(
        self, course_id: CourseId, assignment_id: AssignmentId, viewer: Viewer, db: DbDep
    ) -> None:
        user = require_user(viewer)

        def write(database: Any) -> None:
            course = records.teaching(database, course_id, user)
            records.current(course, "its checks stay as they are.")
            stored.remove(database, assignments.get(database, course, assignment_id))

        await db.write(write)

    @post(
        "/checks/run",
        summary="Check every student's latest submission again (teachers)",
        status_code=202,
        responses=ERRORS,
    )
    async def run_for_everyone(
        self,
        course_id: CourseId,
        assignment_id: AssignmentId,
        viewer: Viewer,
        db: DbDep,
        state: State,
    ) -> ChecksStarted:
        """Starts a check run of every test for each student who submitted; the results
        come in as `GET .../checks/results` shows."""
        user = require_user(viewer)

        def read(database: Any) -> tuple[list[Target], stored.Checks]:
            course = records.teaching(database, course_id, user)
            records.current(course, "its checks are not run again; the results stay.")
            assignment = assignments.get(database, course, assignment_id)
            found = _required(database, assignment)
            targets = []
            for student in records.students(database, course):
                done = assignments.submissions(database, assignment, student.user_id)
                copy = assignments.copy_of(database, assignment, student.user_id)
                widget = widgets.find(database, copy.slug) if copy else None
                if done and widget is not None:
                    last = done[0]
                    targets.append(
                        Target(assignment, student.user_id, widget, last.version, last.id, False)
                    )
            return targets, found

        targets, found = await db.read(read)
        for target in targets:  # the teachers' action: no student's limit refuses it
            await _checker(state).begin(target, found, admit=False)
        return ChecksStarted(started=len(targets))

    @get(
        "/checks/results",
        summary="Every student's latest check results in full (teachers)",
        responses=ERRORS,
    )
    async def results(
        self, course_id: CourseId, assignment_id: AssignmentId, viewer: Viewer, db: DbDep
    ) -> ResultsOut:
        """Per student: the latest check of a submission and of their own Check, with each
        test's outcome, message, line in the checks file and output."""
        user = require_user(viewer)

        def read(database: Any) -> ResultsOut:
            course = records.teaching(database, course_id, user)
            assignment = assignments.get(database, course, assignment_id)
            return ResultsOut(
                students=[
                    StudentResults(
                        user_id=s.user_id,
                        username=s.username,
                        name=s.name,
                        submitted=_teacher(
                            stored.latest(database, assignment, s.user_id, submitted=True)
                        ),
                        checked=_teacher(
                            stored.latest(database, assignment, s.user_id, submitted=False)
                        ),
                    )
                    for s in records.students(database, course)
                ]
            )

        return await db.read(read)

    @post(
        "/check",
        summary="Check: run the public tests on your copy (students)",
        status_code=202,
        responses=ERRORS,
    )
    async def check(
        self,
        course_id: CourseId,
        assignment_id: AssignmentId,
        data: JSONBody[CheckIn],
        viewer: Viewer,
        db: DbDep,
        state: State,
    ) -> Response[CheckStarted]:
        """Starts the public tests on a version of your copy (the latest by default); read
        how they went from `GET .../mine/checks`. 409 `no_public_checks` when there are
        none, `not_started` before Start, `already_checking` while a check of your work
        (a Check or a submission's) is still running. 429 (`course_runs_limit`,
        `course_cpu_limit`, `course_storage_limit`, with `Retry-After` and
        `details.resets_at`) beyond one of the course's limits, as Run is: a Check is one
        of your runs."""
        user = require_user(viewer)
        checker = _checker(state)

        def write(database: Any) -> tuple[int, Target, stored.Checks]:
            course = records.membership(database, course_id, user)
            assignment = assignments.get(database, course, assignment_id)
            if course.role != "student":
                raise Forbidden("students_only", "Only the course's students check their work.")
            records.current(course, "its checks are not run any more.")
            found = stored.of(database, assignment)
            if found is None or not found.chosen(public_only=True):
                raise Conflict("no_public_checks", "This assignment has no checks you can run.")
            copy = assignments.copy_of(database, assignment, user.id)
            if copy is None:
                raise Conflict("not_started", "Start the assignment first.")
            if stored.checking(database, assignment, user.id):
                raise Conflict("already_checking", "Your work is being checked: wait for it.")
            widget = widgets.find(database, copy.slug)
            assert widget is not None
            number = widgets.version(database, widget, data.version or widget.head_version)
            target = Target(assignment, user.id, widget, number.number, None, True)
            # the limits are read and the run recorded in one write (as Run's are), which
            # also found none running: two presses start one, a class cannot pass together
            checker.admit(database, widget)
            run_id = stored.begin(database, assignment, user.id, target.version, None, True)
            return run_id, target, found

        run_id, target, found = await db.write(write)
        checker.start(run_id, target, found)
        return Response(CheckStarted(started=True, version=target.version), status_code=202)

    @get("/mine/checks", summary="Your check results (students)", responses=ERRORS)
    async def mine(
        self, course_id: CourseId, assignment_id: AssignmentId, viewer: Viewer, db: DbDep
    ) -> MyChecks:
        """`submitted`: the checks of your latest submission; `checked`: your latest Check.
        Each as your teachers chose: outcomes and messages, outcomes, or the score."""
        user = require_user(viewer)

        def read(database: Any) -> MyChecks:
            course = records.membership(database, course_id, user)
            assignment = assignments.get(database, course, assignment_id)
            found = stored.of(database, assignment)
            if found is None:
                return MyChecks(has_checks=False, public=0, submitted=None, checked=None)
            return MyChecks(
                has_checks=True,
                public=len(found.chosen(public_only=True)),
                submitted=_student(
                    stored.latest(database, assignment, user.id, submitted=True), found.shown
                ),
                checked=_student(
                    stored.latest(database, assignment, user.id, submitted=False), found.shown
                ),
            )

        return await db.read(read)


ROUTES = [AssignmentChecks]
