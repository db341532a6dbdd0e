"""Classroom checks over real HTTP (issue 18, §3): a teacher's checks file run in the sandbox
on Submit, on the teachers' demand and on a student's Check (the public tests); each test's
outcome (passed, failed with its message, errored, timed out) stored and shown to the
student as the teachers chose; and privacy: no student route shows the checks' source,
another student's results, or a test's line and output, and no check lands in the student's
run history."""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.server._client import assert_error
from tests.server._live import Client, Live, serve
from tests.server.test_courses import Course, live, ok, person
from widgetbox.host.courses.checks import RESTARTED

pytestmark = pytest.mark.server
__all__ = ["live"]  # the module's server, shared from test_courses

STUDENT_SCRIPT = """\
name = input()
if name == "loop":
    while True:
        pass
print(f"Hello, {name}!")
"""

CHECKS = """\
from classroom import public, run_script

SECRET_MARKER = "do-not-show-42"


@public
def test_greets():
    result = run_script(stdin="Ada\\n")
    assert result.stdout == "Hello, Ada!\\n", result.stdout


def test_shouts():
    result = run_script(stdin="bob\\n")
    assert result.stdout == "HELLO, BOB!\\n", "it should shout"


def test_divides():
    print("teacher's debugging output")
    1 / 0


def test_student_loops():
    run_script(stdin="loop\\n")


def test_checks_loop():
    while True:
        pass
"""


def wait_checks(client: Client, url: str, key: str, deadline: float = 60.0) -> dict[str, Any]:
    """`GET url` until its `key` run has finished; returns that run's view."""
    until = time.monotonic() + deadline
    while True:
        found = ok(client.api("GET", url))[key]
        if found is not None and found.get("finished", found.get("finished_at")):
            return dict(found)
        assert time.monotonic() < until, f"the checks did not finish: {found}"
        time.sleep(0.1)


def assignment_with_checks(
    course: Course, source: str = CHECKS, **settings: Any
) -> tuple[str, dict[str, Any]]:
    made = course.assignment()
    url = f"{course.path}/assignments/{made['id']}"
    body = {"source": source, "deadline": 2.0, **settings}
    saved = ok(course.teacher.api("PUT", f"{url}/checks", json=body))
    return url, saved


def started(course: Course, student: Client, url: str, files: dict[str, str]) -> str:
    slug = str(ok(student.api("POST", f"{url}/start"), 201)["slug"])
    student.save(slug, files)
    return slug


def by_name(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in results}


def test_submit_runs_every_test_and_stores_each_outcome(live: Live) -> None:
    course = Course(live)
    url, saved = assignment_with_checks(course)
    assert saved["tests"] == [
        {"name": "test_greets", "public": True},
        {"name": "test_shouts", "public": False},
        {"name": "test_divides", "public": False},
        {"name": "test_student_loops", "public": False},
        {"name": "test_checks_loop", "public": False},
    ]
    slug = started(course, course.ann, url, {"main.py": STUDENT_SCRIPT})
    ok(course.ann.api("POST", f"{url}/submissions", json={}), 201)

    mine = wait_checks(course.ann, f"{url}/mine/checks", "submitted")
    assert (mine["passed"], mine["total"], mine["shown"]) == (1, 5, "details")
    results = by_name(mine["results"])
    assert results["test_greets"] == {"name": "test_greets", "status": "passed", "message": ""}
    assert results["test_shouts"]["status"] == "failed"
    assert results["test_shouts"]["message"] == "it should shout"
    assert results["test_divides"]["status"] == "errored"
    assert results["test_divides"]["message"] == "ZeroDivisionError: division by zero"
    assert results["test_student_loops"]["status"] == "timeout"
    assert results["test_checks_loop"]["status"] == "timeout"
    assert all(set(r) == {"name", "status", "message"} for r in mine["results"])

    # the teachers read every detail: the line in the checks file, the test's output
    full = ok(course.teacher.api("GET", f"{url}/checks/results"))["students"]
    ann = next(s for s in full if s["username"] == course.ann.username)
    teacher_view = by_name(ann["submitted"]["results"])
    assert teacher_view["test_divides"]["line"] == 19
    assert "teacher's debugging output" in teacher_view["test_divides"]["output"]
    assert teacher_view["test_shouts"]["line"] == 14

    # checks are no runs of the student's: their history stays empty
    assert ok(course.ann.api("GET", f"/api/widgets/{slug}/runs"))["runs"] == []


def test_what_students_are_shown_is_the_teachers_choice(live: Live) -> None:
    course = Course(live)
    url, _ = assignment_with_checks(course, shown="names")
    started(course, course.ann, url, {"main.py": STUDENT_SCRIPT})
    ok(course.ann.api("POST", f"{url}/submissions", json={}), 201)
    mine = wait_checks(course.ann, f"{url}/mine/checks", "submitted")
    assert mine["results"][0] == {"name": "test_greets", "status": "passed"}
    assert all("message" not in r for r in mine["results"])

    ok(course.teacher.api("PUT", f"{url}/checks", json={"source": CHECKS, "shown": "score"}))
    mine = ok(course.ann.api("GET", f"{url}/mine/checks"))["submitted"]
    assert "results" not in mine
    assert (mine["passed"], mine["total"], mine["shown"]) == (1, 5, "score")


def test_check_runs_only_the_public_tests(live: Live) -> None:
    course = Course(live)
    url, _ = assignment_with_checks(course)
    mine = ok(course.ann.api("GET", f"{url}/mine/checks"))
    assert (mine["has_checks"], mine["public"]) == (True, 1)
    started(course, course.ann, url, {"main.py": STUDENT_SCRIPT})
    answer = ok(course.ann.api("POST", f"{url}/check", json={}), 202)
    assert answer["started"] is True
    checked = wait_checks(course.ann, f"{url}/mine/checks", "checked")
    assert checked["public_only"] is True
    assert checked["results"] == [{"name": "test_greets", "status": "passed", "message": ""}]
    # a Check is not a submission
    assert ok(course.ann.api("GET", f"{url}/mine"))["submissions"] == []
    assert ok(course.ann.api("GET", f"{url}/mine/checks"))["submitted"] is None


def test_check_needs_public_tests_and_a_copy(live: Live) -> None:
    course = Course(live)
    url, _ = assignment_with_checks(course)
    assert_error(course.ann.api("POST", f"{url}/check", json={}), 409, "not_started")
    assert_error(course.teacher.api("POST", f"{url}/check", json={}), 403, "students_only")
    hidden = "def test_only():\n    assert True\n"
    ok(course.teacher.api("PUT", f"{url}/checks", json={"source": hidden}))
    started(course, course.ann, url, {"main.py": STUDENT_SCRIPT})
    assert_error(course.ann.api("POST", f"{url}/check", json={}), 409, "no_public_checks")
    # one Check at a time: a second press while the first runs is refused
    slow = "import time\nfrom classroom import public\n\n@public\ndef test_slow():\n"
    slow += "    time.sleep(2)\n"
    ok(course.teacher.api("PUT", f"{url}/checks", json={"source": slow, "deadline": 10}))
    ok(course.ann.api("POST", f"{url}/check", json={}), 202)
    assert_error(course.ann.api("POST", f"{url}/check", json={}), 409, "already_checking")
    checked = wait_checks(course.ann, f"{url}/mine/checks", "checked")
    assert checked["results"] == [{"name": "test_slow", "status": "passed", "message": ""}]


def test_teachers_run_the_checks_for_everyone(live: Live) -> None:
    course = Course(live)
    url, _ = assignment_with_checks(course, source="def test_ok():\n    assert True\n")
    for student in (course.ann, course.ben):
        started(course, student, url, {"main.py": STUDENT_SCRIPT})
        ok(student.api("POST", f"{url}/submissions", json={}), 201)
    for student in (course.ann, course.ben):
        wait_checks(student, f"{url}/mine/checks", "submitted")
    source = "def test_ok():\n    assert True\n\ndef test_no():\n    assert False, 'no'\n"
    ok(course.teacher.api("PUT", f"{url}/checks", json={"source": source}))
    assert ok(course.teacher.api("POST", f"{url}/checks/run"), 202) == {"started": 2}
    for student in (course.ann, course.ben):
        until = time.monotonic() + 60
        while True:
            mine = ok(student.api("GET", f"{url}/mine/checks"))["submitted"]
            if mine["finished"] and mine["total"] == 2:
                break
            assert time.monotonic() < until
            time.sleep(0.1)
        assert [r["status"] for r in mine["results"]] == ["passed", "failed"]


def test_a_checks_file_that_does_not_parse_is_refused_with_its_line(live: Live) -> None:
    course = Course(live)
    made = course.assignment()
    url = f"{course.path}/assignments/{made['id']}/checks"
    for source, line in (
        ("def test_x(:\n    pass\n", 1),
        ("x = 1\n\ndef test_y(a):\n    pass\n", 3),
    ):
        error = assert_error(
            course.teacher.api("PUT", url, json={"source": source}), 422, "checks_invalid"
        )
        assert error["details"]["line"] == line
    assert_error(course.teacher.api("PUT", url, json={"source": "x = 1\n"}), 422)
    assert_error(course.teacher.api("GET", url), 404, "no_checks")


def test_api_and_server_function_helpers(live: Live) -> None:
    course = Course(live)
    checks = """\
from classroom import ServerError, call_api, call_server

def test_route():
    answer = call_api("POST", "/double", json_body={"n": 21})
    assert answer.status == 200, answer.status
    assert answer.json() == {"n": 42}

def test_missing_route():
    assert call_api("GET", "/nowhere").status == 404

def test_callable():
    assert call_server("add", 2, 3) == 5

def test_callable_raises():
    try:
        call_server("add", 2, "x")
    except ServerError as e:
        assert e.type == "TypeError"
    else:
        raise AssertionError("no error")
"""
    made = course.assignment(kind="http")
    url = f"{course.path}/assignments/{made['id']}"
    ok(course.teacher.api("PUT", f"{url}/checks", json={"source": checks, "deadline": 10}))
    widget = """\
import anvil.server

@anvil.server.route("/double", methods=["POST"])
def double(**params):
    return {"n": anvil.server.request.body_json["n"] * 2}

@anvil.server.callable
def add(a, b):
    return a + b
"""
    started(course, course.ann, url, {"main.py": widget})
    ok(course.ann.api("POST", f"{url}/submissions", json={}), 201)
    mine = wait_checks(course.ann, f"{url}/mine/checks", "submitted")
    assert [(r["name"], r["status"], r["message"]) for r in mine["results"]] == [
        ("test_route", "passed", ""),
        ("test_missing_route", "passed", ""),
        ("test_callable", "passed", ""),
        ("test_callable_raises", "passed", ""),
    ]


def test_students_never_reach_the_checks_or_anothers_results(live: Live) -> None:
    course = Course(live)
    url, _ = assignment_with_checks(course)
    started(course, course.ann, url, {"main.py": STUDENT_SCRIPT})
    ok(course.ann.api("POST", f"{url}/submissions", json={}), 201)
    wait_checks(course.ann, f"{url}/mine/checks", "submitted")
    for student in (course.ann, course.ben):
        for method, path, body in (
            ("GET", f"{url}/checks", None),
            ("PUT", f"{url}/checks", {"source": "def test_a():\n    pass\n"}),
            ("DELETE", f"{url}/checks", None),
            ("POST", f"{url}/checks/run", None),
            ("GET", f"{url}/checks/results", None),
        ):
            response = student.api(method, path, json=body)
            assert response.status_code == 403, (method, path, response.text)
            assert "do-not-show-42" not in response.text
    # Ben's own view holds nothing of Ann's
    assert ok(course.ben.api("GET", f"{url}/mine/checks"))["submitted"] is None
    # nothing a student reads carries the source, a line or a test's output
    for path in (f"{url}/mine/checks", f"{url}/mine", url, f"{course.path}/assignments"):
        text = course.ann.api("GET", path).text
        for secret in ("do-not-show-42", "run_script", "debugging output", '"line"'):
            assert secret not in text, (path, secret)
    # people outside the course learn nothing of it
    stranger = person(live, "stranger")
    for path in (f"{url}/checks", f"{url}/mine/checks", f"{url}/checks/results"):
        assert stranger.api("GET", path).status_code == 404
    # the guest's helpers answer only inside a check's own run
    spy = course.ann.widget_with(
        "script",
        {"main.py": "import classroom\nprint(classroom.run_script('x'))\n"},
    )
    run = course.ann.run_script(spy)
    assert run["status"] == "error"
    assert "Only a course's checks" in run["stderr"] + str(run.get("error"))


CUT_SHORT = """\
import time

from classroom import run_script


def test_first():
    assert run_script(stdin="Ada\\n").stdout == "Hello, Ada!\\n"


def test_slow():
    time.sleep(50)


def test_last():
    assert run_script(stdin="Bo\\n").stdout == "Hello, Bo!\\n"
"""


def check_row(live: Live) -> dict[str, Any]:
    """The one check run on this server's database, as stored."""
    return dict(live.app.state.db.read_now(lambda db: next(db.query("SELECT * FROM check_runs"))))


def test_a_check_run_cut_short_by_a_stop_goes_on_at_the_next_start(tmp_path: Path) -> None:
    """Widgetbox stops while a submission's checks run: the test done is kept, the one
    running is named, and the run stays unfinished. The next start goes on with it: the test
    that was running is recorded as cut short (not run again: the student's code may have
    had effects), the test that had not begun runs, and the student reads every outcome."""
    data = tmp_path / "data"
    with serve(data, pool_size=0) as first:
        first.user("admin")
        course = Course(first)
        url, _ = assignment_with_checks(course, CUT_SHORT, deadline=60.0)
        started(course, course.ann, url, {"main.py": STUDENT_SCRIPT})
        ok(course.ann.api("POST", f"{url}/submissions", json={}), 201)
        until = time.monotonic() + 60
        while (row := check_row(first))["testing"] != "test_slow":
            assert time.monotonic() < until, row
            time.sleep(0.05)
        student = course.ann.username
    # the block's end stopped the server in order, with test_slow running
    with closing(sqlite3.connect(first.config.database_path)) as stopped:
        left = stopped.execute("SELECT finished_at, testing, results FROM check_runs").fetchone()
    assert left[:2] == (None, "test_slow")
    assert [r["name"] for r in json.loads(left[2])] == ["test_first"]

    with serve(data, pool_size=0) as second:
        assert student is not None
        ann = second.client()
        ann.login(student)
        mine = wait_checks(ann, f"{url}/mine/checks", "submitted")
        assert [(r["name"], r["status"]) for r in mine["results"]] == [
            ("test_first", "passed"),
            ("test_slow", "errored"),
            ("test_last", "passed"),
        ]
        assert mine["results"][1]["message"] == RESTARTED
        row = check_row(second)
        assert row["testing"] is None
        assert row["fuel"] > 0  # test_first's fuel, kept across the restart, and test_last's
