"""An assignment's automatic checks and their results, as functions of the database.

The teacher's checks file is Python: its top-level `def test_...():` functions are the tests
(plain `assert`), and the ones decorated `@public` (from the guest's `classroom` module) are
those students may run themselves with "Check". Both are read from the source here, with
`ast`, so the host never runs teacher code to learn them. The source is only ever read by the
course's teachers and the sandbox: no student route returns it.

A check run (`check_runs`) is one checking of one version of a student's copy: every test on
Submit (and when the teachers run them for everyone), the public ones on the student's
Check. Each test ends `passed`, `failed` (an assertion: its message), `errored` (any other
exception: its type and message) or `timeout`. What a student reads of their results is the
teachers' choice (`shown`): every detail, the tests' names and outcomes, or the score alone.

A check run is one of the student's runs for the course's limits (`limits.py`): it counts
once in their runs an hour, and its `fuel` (every sandbox it used) in their CPU time. A
student's checks beyond a limit are not run: the row keeps the limit's message (`refused`),
finished at once with no results, and counts for nothing.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from widgetbox.host.courses.assignments import Assignment
from widgetbox.host.errors import Invalid
from widgetbox.host.storage.times import iso, now

MAX_SOURCE = 200_000
"""Characters of a checks file."""
MAX_TESTS = 100
SHOWN = ("details", "names", "score")
"""What students read of their results: every detail, names and outcomes, or the score."""
DEADLINE = 10.0
"""Seconds each test may run by default (its own interpreter and the student's runs in it)."""
MAX_DEADLINE = 60.0
OUTCOMES = ("passed", "failed", "errored", "timeout")
MAX_MESSAGE = 2000
RESTARTED = "Widgetbox restarted while this test ran, so it was not finished."


@dataclass(frozen=True)
class Test:
    name: str
    public: bool


@dataclass(frozen=True)
class Checks:
    assignment_id: int
    source: str
    tests: tuple[Test, ...]
    shown: str
    deadline: float
    updated_at: str

    def chosen(self, public_only: bool) -> tuple[Test, ...]:
        return tuple(t for t in self.tests if t.public or not public_only)


@dataclass(frozen=True)
class CheckRun:
    id: int
    student_id: int
    submission_id: int | None
    version: int
    public_only: bool
    started_at: str
    finished_at: str | None
    results: list[dict[str, Any]]
    refused: str | None = None
    """Not run: the course's limit that refused it, as the student was told."""

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r["status"] == "passed")


def _is_public(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Name):
        return target.id == "public"
    return isinstance(target, ast.Attribute) and target.attr == "public"


def read_tests(source: str) -> tuple[Test, ...]:
    """The tests of a checks file: its top-level functions named `test_...` that take no
    arguments, in order. Invalid `checks_invalid` for a syntax error (with its line), a
    test that takes arguments, or none at all."""
    if len(source) > MAX_SOURCE:
        raise Invalid("checks_invalid", f"A checks file is at most {MAX_SOURCE} characters.")
    try:
        tree = ast.parse(source, "checks.py")
    except SyntaxError as e:
        raise Invalid(
            "checks_invalid", f"Line {e.lineno}: {e.msg}", details={"line": e.lineno}
        ) from None
    found: list[Test] = []
    for node in tree.body:
        if isinstance(node, ast.AsyncFunctionDef) and node.name.startswith("test_"):
            raise Invalid("checks_invalid", f"Line {node.lineno}: tests are plain functions.")
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
            continue
        args = node.args
        if args.args or args.posonlyargs or args.kwonlyargs or args.vararg or args.kwarg:
            raise Invalid(
                "checks_invalid",
                f"Line {node.lineno}: {node.name} takes arguments; tests take none.",
                details={"line": node.lineno},
            )
        found = [t for t in found if t.name != node.name]  # a later one replaces it, as run
        found.append(Test(node.name, any(_is_public(d) for d in node.decorator_list)))
    if not found:
        raise Invalid("checks_invalid", "No tests: write functions named test_something.")
    if len(found) > MAX_TESTS:
        raise Invalid("checks_invalid", f"A checks file has at most {MAX_TESTS} tests.")
    return tuple(found)


def _checks(row: dict[str, Any]) -> Checks:
    return Checks(
        assignment_id=row["assignment_id"],
        source=row["source"],
        tests=tuple(Test(t["name"], t["public"]) for t in json.loads(row["tests"])),
        shown=row["shown"],
        deadline=row["deadline"],
        updated_at=row["updated_at"],
    )


def of(db: sqlite_utils.Database, assignment: Assignment) -> Checks | None:
    rows = list(
        db.query("SELECT * FROM assignment_checks WHERE assignment_id = ?", [assignment.id])
    )
    return _checks(rows[0]) if rows else None


def save(
    db: sqlite_utils.Database,
    assignment: Assignment,
    source: str,
    shown: str = "details",
    deadline: float = DEADLINE,
) -> Checks:
    """Attach (or replace) the assignment's checks. Results already stored stay."""
    tests = read_tests(source)
    if shown not in SHOWN:
        raise Invalid("invalid_shown", f"Results are shown as one of {', '.join(SHOWN)}.")
    if not 0.5 <= deadline <= MAX_DEADLINE:
        raise Invalid("invalid_deadline", f"A test's deadline is 0.5 to {MAX_DEADLINE} s.")
    db.table("assignment_checks").upsert(
        {
            "assignment_id": assignment.id,
            "source": source,
            "tests": json.dumps([{"name": t.name, "public": t.public} for t in tests]),
            "shown": shown,
            "deadline": float(deadline),
            "updated_at": iso(now()),
        },
        pk="assignment_id",
    )
    found = of(db, assignment)
    assert found is not None
    return found


def remove(db: sqlite_utils.Database, assignment: Assignment) -> None:
    db.execute("DELETE FROM assignment_checks WHERE assignment_id = ?", [assignment.id])


# -- check runs ----------------------------------------------------------------------------


def _run(row: dict[str, Any]) -> CheckRun:
    return CheckRun(
        id=row["id"],
        student_id=row["student_id"],
        submission_id=row["submission_id"],
        version=row["version"],
        public_only=bool(row["public_only"]),
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        results=json.loads(row["results"]),
        refused=row["refused"],
    )


def begin(
    db: sqlite_utils.Database,
    assignment: Assignment,
    student_id: int,
    version: int,
    submission_id: int | None,
    public_only: bool,
    refused: str | None = None,
) -> int:
    """Record a check run about to start, or with `refused` one a limit kept from running
    (finished at once, with no results)."""
    started = iso(now())
    return int(
        db.table("check_runs")
        .insert(
            {
                "assignment_id": assignment.id,
                "student_id": student_id,
                "submission_id": submission_id,
                "version": version,
                "public_only": int(public_only),
                "started_at": started,
                "finished_at": None if refused is None else started,
                "results": "[]",
                "fuel": None,
                "refused": refused,
            }
        )
        .last_pk
        or 0
    )


def record(
    db: sqlite_utils.Database,
    run_id: int,
    results: list[dict[str, Any]],
    finished: bool,
    fuel: int = 0,
) -> None:
    """Store the tests done so far and the fuel they burnt (after each one, so a server
    stopped mid-check keeps them, and the student's limits see them as they go), and with
    `finished` the run's end. No test is running after this (`testing`)."""
    changes: dict[str, Any] = {"results": json.dumps(results), "fuel": fuel, "testing": None}
    if finished:
        changes["finished_at"] = iso(now())
    db.table("check_runs").update(run_id, changes)


def testing(db: sqlite_utils.Database, run_id: int, name: str) -> None:
    """The test `name` of the run begins (it has its place in the queue)."""
    db.table("check_runs").update(run_id, {"testing": name})


@dataclass(frozen=True)
class Unfinished:
    """A check run an earlier start left unfinished (it stopped, or crashed)."""

    run: CheckRun
    course_id: int
    assignment_id: int
    testing: str | None
    """The test that was running when it stopped: it is not run again."""
    fuel: int


def left_unfinished(db: sqlite_utils.Database) -> list[Unfinished]:
    """At start-up: the check runs an earlier start left unfinished, oldest first."""
    rows = db.query(
        "SELECT check_runs.*, assignments.course_id FROM check_runs "
        "JOIN assignments ON assignments.id = check_runs.assignment_id "
        "WHERE check_runs.finished_at IS NULL ORDER BY check_runs.id"
    )
    return [
        Unfinished(_run(r), r["course_id"], r["assignment_id"], r["testing"], r["fuel"] or 0)
        for r in rows
    ]


def cut_short(name: str) -> dict[str, Any]:
    """The outcome of a test that was running when Widgetbox stopped. It is not run again:
    the student's code it ran may have had effects (as a run that had begun is not)."""
    return {
        "name": name,
        "status": "errored",
        "message": RESTARTED,
        "line": None,
        "seconds": 0.0,
        "output": "",
    }


def checking(db: sqlite_utils.Database, assignment: Assignment, student_id: int) -> bool:
    """Whether one of the student's check runs of the assignment has not finished."""
    return bool(
        db.execute(
            "SELECT 1 FROM check_runs WHERE assignment_id = ? AND student_id = ? "
            "AND finished_at IS NULL",
            [assignment.id, student_id],
        ).fetchone()
    )


def latest(
    db: sqlite_utils.Database, assignment: Assignment, student_id: int, *, submitted: bool
) -> CheckRun | None:
    """The student's latest check run of their submissions (`submitted`), or of their own
    Checks."""
    rows = list(
        db.query(
            "SELECT * FROM check_runs WHERE assignment_id = ? AND student_id = ? "
            "AND (submission_id IS NOT NULL) = ? ORDER BY id DESC LIMIT 1",
            [assignment.id, student_id, int(submitted)],
        )
    )
    return _run(rows[0]) if rows else None


# -- what each reader is shown -------------------------------------------------------------


def for_teacher(run: CheckRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "id": run.id,
        "version": run.version,
        "submission": run.submission_id,
        "public_only": run.public_only,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "passed": run.passed,
        "total": len(run.results),
        "results": run.results,
        "refused": run.refused,
    }


def for_student(run: CheckRun | None, shown: str) -> dict[str, Any] | None:
    """What the student reads, as the teachers chose: never the line in the checks file;
    with `names` no messages; with `score` no tests at all."""
    if run is None:
        return None
    out: dict[str, Any] = {
        "version": run.version,
        "public_only": run.public_only,
        "started_at": run.started_at,
        "finished": run.finished_at is not None,
        "passed": run.passed,
        "total": len(run.results),
        "shown": shown,
        "refused": run.refused,
    }
    if shown == "details":
        out["results"] = [
            {"name": r["name"], "status": r["status"], "message": r["message"]} for r in run.results
        ]
    elif shown == "names":
        out["results"] = [{"name": r["name"], "status": r["status"]} for r in run.results]
    return out


def page_view(
    db: sqlite_utils.Database, assignment: Assignment, user_id: int, teaching: bool
) -> dict[str, Any] | None:
    """What the assignment page shows of the checks (None: it has none). Teachers: the
    file, its settings and each student's latest submission's score; a student: their own
    latest results as the teachers chose, and how many tests Check runs."""
    found = of(db, assignment)
    if found is None:
        return None
    if teaching:
        rows = db.query(
            "SELECT check_runs.* FROM check_runs JOIN (SELECT MAX(id) AS id FROM check_runs "
            "WHERE assignment_id = ? AND submission_id IS NOT NULL GROUP BY student_id) "
            "AS newest ON newest.id = check_runs.id",
            [assignment.id],
        )
        scores = {row["student_id"]: for_teacher(_run(row)) for row in rows}
        return {"checks": found, "scores": scores}
    return {
        "public": len(found.chosen(public_only=True)),
        "submitted": for_student(latest(db, assignment, user_id, submitted=True), found.shown),
        "checked": for_student(latest(db, assignment, user_id, submitted=False), found.shown),
    }
