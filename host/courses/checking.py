"""Running an assignment's checks against a version of a student's copy, in the background.

Each test runs in a fresh interpreter of its own with the test's deadline as its time limit:
the interpreter holds the checks file (`checks.py`), an entry that calls the test, and the
guest's `classroom` helpers, never the student's code; the helpers run that in sandboxes of
their own (`check_helpers.py`). A test's run is a server call (`Call`, the interactive lane
of the sandbox) so that the student's script it starts (the batch lane) never waits for a
thread the test itself holds; the admission queue's batch lane still decides when a test may
start, under the student's name, so a class's checks take turns with everyone's scripts: a
test waits on the runner's one path for runs someone waits for (`Runner.wait`), waiting out a
full queue rather than answering it.
At most `Runtime.workers - 1` tests run at once, which leaves a thread for the student's
server calls and requests that tests make.

Nothing here is recorded in a run history: the results go to `check_runs` (`checks.py`) and
the test's output and traceback never leave the host except as each test's outcome and
message. A check run is one of the student's runs for the course's limits: the checks a
student starts (Submit, Check) pass the same `admit` as their Run (`limits.check`, in the
write that records the check run), and every check run's fuel (its tests' and, through the
`Meter`, the student's runs they asked for) is stored with it as it goes.

A stop or a crash loses no check run: each test's outcome is stored as it ends, and the test
that begins is named (`testing`). The next start goes on with every unfinished run
(`Checker.resume`): the test that was running is recorded as cut short, not run again (the
student's code may have had effects, as a script that had begun is not run again), and the
tests that had not begun run then.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from widgetbox.host.accounts import users
from widgetbox.host.courses import assignments, records
from widgetbox.host.courses import checks as stored
from widgetbox.host.courses.assignments import Assignment
from widgetbox.host.courses.check_helpers import METER, TARGET, Meter
from widgetbox.host.courses.checks import Checks, Test
from widgetbox.host.errors import NotFound, TooMany
from widgetbox.host.runs.admission import QUEUE_FULL, Lane
from widgetbox.host.runs.runner import Admit, Runner
from widgetbox.host.storage.database import Database
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.records import Widget
from widgetbox.runtime import Call, Code, Limits, RunResult, Status

log = logging.getLogger("widgetbox.host")

ENTRY = """import anvil.server

import checks


@anvil.server.callable("widgetbox_check")
def _check(name):
    getattr(checks, name)()
"""
"""A test's entry module: it imports the checks file, and the driver calls
`widgetbox_check(name)`, which calls the test; an exception (AssertionError: failed) ends
the run and `outcome` reads it."""
BUSY_TRIES = 30
"""Times a test asks the queue again (every `RETRY_AFTER` seconds) while it is full."""


@dataclass(frozen=True)
class Target:
    """What a check run judges: one version of one student's copy."""

    assignment: Assignment
    student_id: int
    widget: Widget
    version: int
    submission_id: int | None
    public_only: bool


def outcome(test: Test, result: RunResult, deadline: float) -> dict[str, Any]:
    """A test's result as stored: status, the message the student may be shown, and for
    the teachers the line of the checks file where it stopped and what it printed."""
    error = result.error
    line = None
    if error is not None:
        for frame in reversed(error.frames):
            if frame.filename.rpartition("/")[2] == "checks.py":
                line = frame.lineno
                break
    if result.status is Status.OK:
        status, message = "passed", ""
    elif result.status is Status.TIMEOUT or (error is not None and error.type == "TimedOut"):
        status, message = "timeout", f"Took longer than {deadline:g} s."
    elif error is not None and error.type == "AssertionError":
        status = "failed"
        message = error.message or "An assertion failed."
    elif error is not None:
        status, message = "errored", f"{error.type}: {error.message}".rstrip(": ")
    else:
        status, message = "errored", result.message or result.status.value
    return {
        "name": test.name,
        "status": status,
        "message": message[: stored.MAX_MESSAGE],
        "line": line,
        "seconds": round(result.wall_time, 3),
        "output": (result.stdout + result.stderr)[-stored.MAX_MESSAGE :],
    }


class Checker:
    def __init__(
        self, db: Database, runner: Runner, admit: Admit = lambda db, widget: None
    ) -> None:
        self.db = db
        self.runner = runner
        self.admit = admit
        """Refuses a student's check run beyond their course's limits (`TooMany`), inside
        the write that records it: the runner's own (`services.py`)."""
        self._at_once = asyncio.Semaphore(max(1, runner.runtime.workers - 1))
        self._tasks: set[asyncio.Task[None]] = set()

    async def begin(self, target: Target, checks: Checks, *, admit: bool) -> int:
        """Record a check run and start it in the background; returns its id. With
        `admit` (the student's own action: a Submit) a run beyond the student's limits is
        recorded as refused, with the limit's message, and not started; the teachers' runs
        are never refused by a student's limit (they still count)."""

        def write(db: Any) -> tuple[int, bool]:
            refused = None
            if admit:
                try:
                    self.admit(db, target.widget)
                except TooMany as e:
                    refused = e.message
            run_id = stored.begin(
                db,
                target.assignment,
                target.student_id,
                target.version,
                target.submission_id,
                target.public_only,
                refused,
            )
            return run_id, refused is None

        run_id, admitted = await self.db.write(write)
        if admitted:
            self.start(run_id, target, checks)
        return run_id

    def start(
        self,
        run_id: int,
        target: Target,
        checks: Checks,
        done: list[dict[str, Any]] | None = None,
        fuel: int = 0,
    ) -> None:
        """Run the tests of a check run already recorded (`checks.begin`), in the
        background; those in `done` (a resumed run's, with the `fuel` they burnt) are
        not run again."""
        task = asyncio.create_task(self._check(run_id, target, checks, done or [], fuel))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def resume(self) -> int:
        """At start-up: go on with the check runs an earlier start left unfinished. The
        test that was running when it stopped is recorded as cut short and not run again
        (the student's code it ran may have had effects, as a run that had begun is not
        run again); the tests that had not begun run now. A run whose course, student,
        copy or checks are gone, or whose course is archived, ends with what it had done.
        Returns how many go on."""
        resumed = 0
        for left in await self.db.read(stored.left_unfinished):
            done = list(left.run.results)
            if left.testing is not None:
                done.append(stored.cut_short(left.testing))
            found = await self.db.read(_target_of, left)
            if found is None:
                await self.db.write(stored.record, left.run.id, done, True, left.fuel)
                continue
            self.start(left.run.id, *found, done=done, fuel=left.fuel)
            resumed += 1
        return resumed

    async def _check(
        self,
        run_id: int,
        target: Target,
        checks: Checks,
        done: list[dict[str, Any]],
        fuel: int,
    ) -> None:
        results = list(done)
        meter = Meter(fuel)
        stopping = False
        try:
            code = await self.db.read(self.runner.code_at, target.widget, target.version)
            finished = {result["name"] for result in results}
            chosen = [t for t in checks.chosen(target.public_only) if t.name not in finished]
            for number, test in enumerate(chosen, 1):
                results.append(await self._test(run_id, target, checks, code, test, meter))
                if number < len(chosen):
                    await self.db.write(stored.record, run_id, results, False, meter.fuel)
        except asyncio.CancelledError:  # Widgetbox stops: the next start goes on with it
            stopping = True
            raise
        except Exception:
            log.exception("checks of assignment %s failed in the host", target.assignment.id)
        finally:
            if not stopping:
                await self.db.write(stored.record, run_id, results, True, meter.fuel)

    async def _test(
        self, run_id: int, target: Target, checks: Checks, code: Code, test: Test, meter: Meter
    ) -> dict[str, Any]:
        job = Call(
            Code({"checks.py": checks.source, "main.py": ENTRY}, "main.py"),
            "widgetbox_check",
            [test.name],
        )
        limits = Limits(
            timeout=checks.deadline,
            host_call_timeout=checks.deadline,
            output=256 * 1024,
            host_calls=1000,
        )
        context = {TARGET: code, METER: meter}

        async def begin() -> None:  # named, so a restart knows it was cut short
            await self.db.write(stored.testing, run_id, test.name)

        for _ in range(BUSY_TRIES):
            try:
                async with self._at_once:
                    result = await self.runner.wait(
                        target.student_id,
                        Lane.BATCH,
                        job,
                        limits,
                        context,
                        what=f"a check of assignment {target.assignment.id}",
                        on_start=begin,
                    )
                    meter.add(result)
                    return outcome(test, result, checks.deadline)
            except QUEUE_FULL as e:
                await asyncio.sleep(e.retry_after or 5)
        busy = RunResult(Status.KILLED, "", "", 0.0, None, 0, message="The server was too busy.")
        return outcome(test, busy, checks.deadline)

    async def stop(self) -> None:
        """Stop every check run in progress. Each keeps the tests it had done and the one
        it was running (`testing`), unfinished: the next start goes on with it
        (`resume`)."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=10)


def _target_of(db: Any, left: stored.Unfinished) -> tuple[Target, Checks] | None:
    """What an unfinished check run judges, and the assignment's checks now; None when the
    student left the course, it is archived, or the copy or the checks are gone."""
    student = users.get_user(db, left.run.student_id)
    if student is None:
        return None
    try:
        course = records.membership(db, left.course_id, student)
        assignment = assignments.get(db, course, left.assignment_id)
    except NotFound:
        return None
    copy = assignments.copy_of(db, assignment, student.id)
    checks = stored.of(db, assignment)
    widget = widgets.find(db, copy.slug) if copy is not None else None
    if course.archived or checks is None or widget is None:
        return None
    run = left.run
    target = Target(assignment, student.id, widget, run.version, run.submission_id, run.public_only)
    return target, checks
