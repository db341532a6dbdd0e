"""A course's limits on what each student uses (issue 18, §5) over real HTTP: teachers set
them within the site's maxima; a student's runs of their copies beyond a limit are refused
with 429, which limit, and when it resets; other students, other widgets and the teachers'
own work are not touched; usage is counted from the run records (CPU time as fuel). Check
runs count as the student's runs: a Check beyond a limit is refused alike, a Submit's
checks are kept as not run, and the teachers' runs are never refused but count."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.server._client import assert_error
from tests.server._live import Client, Live, serve
from tests.server.test_course_checks import assignment_with_checks, started, wait_checks
from tests.server.test_courses import Course, ok, person
from widgetbox.host.courses.limits import FUEL_PER_CPU_SECOND, MIB
from widgetbox.host.storage.times import parse_iso

pytestmark = pytest.mark.server

SITE = {"course_runs_per_hour": 50, "course_cpu_seconds_per_day": 100, "course_storage_mib": 20}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with serve(tmp_path_factory.mktemp("limits"), **SITE) as found:
        found.user("admin")
        yield found


def copy_with(course: Course, student: Client, code: str = "print('hi')\n") -> str:
    """The student's started copy of a new script assignment, holding `code`."""
    slug = course.start(student, course.assignment())
    student.save(slug, {"main.py": code})
    return slug


def set_limits(course: Course, **values: Any) -> dict[str, Any]:
    found: dict[str, Any] = ok(course.teacher.api("PUT", f"{course.path}/limits", json=values))
    return found


def test_teachers_set_limits_within_the_sites_and_students_read_them(live: Live) -> None:
    course = Course(live)
    site = {"runs_per_hour": 50, "cpu_seconds_per_day": 100, "storage_mib": 20}
    first = ok(course.teacher.api("GET", f"{course.path}/limits"))
    assert first == {"limits": site, "own": {}, "site": site, "usage": None}
    changed = set_limits(course, runs_per_hour=10, storage_mib=5)
    assert changed["limits"] == {**site, "runs_per_hour": 10, "storage_mib": 5}
    assert changed["own"] == {"runs_per_hour": 10, "storage_mib": 5}
    back = set_limits(course, storage_mib=None)  # back to the site's; the rest unchanged
    assert back["own"] == {"runs_per_hour": 10}
    refused = course.teacher.api(
        "PUT", f"{course.path}/limits", json={"runs_per_hour": 51, "cpu_seconds_per_day": 101}
    )
    error = assert_error(refused, 422, "invalid_limits")
    assert len(error["details"]["problems"]) == 2
    assert "50" in error["message"]
    assert "100" in error["message"]
    assert_error(course.ann.api("PUT", f"{course.path}/limits", json={"runs_per_hour": 1}), 403)
    assert_error(course.ann.api("GET", f"{course.path}/usage"), 403)
    assert_error(person(live).api("GET", f"{course.path}/limits"), 404)
    as_student = ok(course.ann.api("GET", f"{course.path}/limits"))
    assert as_student["limits"]["runs_per_hour"] == 10
    assert as_student["usage"] == {"runs_last_hour": 0, "cpu_seconds_today": 0, "storage_bytes": 0}


def test_runs_beyond_the_hourly_limit_are_refused_with_when_it_resets(live: Live) -> None:
    course = Course(live)
    set_limits(course, runs_per_hour=2)
    slug = copy_with(course, course.ann)
    done = [course.ann.run_script(slug) for _ in range(2)]
    assert [run["status"] for run in done] == ["ok", "ok"]
    refused = course.ann.api("POST", f"/api/widgets/{slug}/runs")
    error = assert_error(refused, 429, "course_runs_limit")
    # a sliding hour: one more run may start an hour after the first of the two
    resets = parse_iso(error["details"]["resets_at"])
    assert resets == parse_iso(done[0]["queued_at"]) + timedelta(hours=1)
    assert 3500 <= int(refused.headers["retry-after"]) <= 3600
    assert "2 runs an hour" in error["message"]
    assert "Python 1" in error["message"]
    local = resets.astimezone(ZoneInfo("UTC"))
    assert f"{local:%H:%M}" in error["message"]
    history = ok(course.ann.api("GET", f"/api/widgets/{slug}/runs"))["runs"]
    assert len(history) == 2  # the refused run left no trace
    # every copy of the course counts together; other students and other widgets do not
    other = copy_with(course, course.ann)
    assert_error(course.ann.api("POST", f"/api/widgets/{other}/runs"), 429, "course_runs_limit")
    assert course.ben.run_script(copy_with(course, course.ben))["status"] == "ok"
    own = course.ann.widget_with("script", {"main.py": "print('mine')\n"})
    assert course.ann.run_script(own)["status"] == "ok"
    usage = ok(course.teacher.api("GET", f"{course.path}/usage"))["students"]
    counted = {found["username"]: found["usage"]["runs_last_hour"] for found in usage}
    assert counted == {course.ann.username: 2, course.ben.username: 1}
    # raising the limit lets her run again at once
    set_limits(course, runs_per_hour=3)
    assert course.ann.run_script(slug)["status"] == "ok"


def _add_fuel(live: Live, run_id: int, fuel: int) -> None:
    """Give a finished run more fuel than it burnt, as if its script had computed for
    longer (the limit reads the run records; burning a CPU-second in a test would be slow)."""
    with sqlite3.connect(live.config.database_path) as db:
        db.execute("UPDATE runs SET fuel = ? WHERE id = ?", [fuel, run_id])


def test_cpu_time_beyond_the_daily_limit_is_refused_until_midnight_in_the_course_zone(
    live: Live,
) -> None:
    course = Course(live, "Pacific/Auckland")
    set_limits(course, cpu_seconds_per_day=2)
    slug = copy_with(course, course.ann, "total = sum(range(100_000))\nprint(total)\n")
    run = course.ann.run_script(slug)
    assert run["status"] == "ok"
    assert run["fuel"] > 0
    as_student = ok(course.ann.api("GET", f"{course.path}/limits"))["usage"]
    assert as_student["cpu_seconds_today"] == pytest.approx(
        run["fuel"] / FUEL_PER_CPU_SECOND, abs=1e-3
    )
    _add_fuel(live, run["id"], 2 * FUEL_PER_CPU_SECOND)
    refused = course.ann.api("POST", f"/api/widgets/{slug}/runs")
    error = assert_error(refused, 429, "course_cpu_limit")
    resets = parse_iso(error["details"]["resets_at"]).astimezone(ZoneInfo("Pacific/Auckland"))
    today = datetime.now(UTC).astimezone(ZoneInfo("Pacific/Auckland")).date()
    assert (resets.hour, resets.minute, resets.date()) == (0, 0, today + timedelta(days=1))
    assert "2 CPU seconds a day" in error["message"]
    assert "Pacific/Auckland" in error["message"]
    assert 0 < int(refused.headers["retry-after"]) <= 25 * 3600
    assert course.ben.run_script(copy_with(course, course.ben))["status"] == "ok"


def test_a_run_stopped_mid_computation_is_charged_its_wall_time(live: Live) -> None:
    """A loop stopped by a cancel (or its deadline) has no fuel count: it is charged its
    wall time, the most it could have computed, so looping until the deadline does not
    slip past the CPU limit."""
    course = Course(live)
    set_limits(course, cpu_seconds_per_day=1)
    slug = copy_with(course, course.ann, "while True:\n    pass\n")
    started = course.ann.api("POST", f"/api/widgets/{slug}/runs")
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    until = time.monotonic() + 30
    while course.ann.run_detail(run_id)["status"] != "running":
        assert time.monotonic() < until
        time.sleep(0.05)
    time.sleep(1.5)  # more than the day's one CPU second
    assert course.ann.api("POST", f"/api/runs/{run_id}/cancel").status_code == 202
    run = course.ann.wait_for_run(run_id)
    assert (run["status"], run["fuel"]) == ("killed", None)  # wasmtime's count is not known
    used = ok(course.ann.api("GET", f"{course.path}/limits"))["usage"]["cpu_seconds_today"]
    assert used == pytest.approx(run["wall_time"], abs=0.01)
    assert used > 1
    refused = course.ann.api("POST", f"/api/widgets/{slug}/runs")
    assert_error(refused, 429, "course_cpu_limit")


def test_storage_beyond_the_limit_refuses_runs_without_a_reset(live: Live) -> None:
    course = Course(live)
    set_limits(course, storage_mib=1)
    slug = copy_with(course, course.ann, "print('small')\n")
    assert course.ann.run_script(slug)["status"] == "ok"
    big = "# " + "x" * (MIB // 2) + "\nprint('big')\n"
    course.ann.save(slug, {"main.py": big})
    course.ann.save(slug, {"main.py": big + "print('again')\n"})  # each version keeps its files
    refused = course.ann.api("POST", f"/api/widgets/{slug}/runs")
    error = assert_error(refused, 429, "course_storage_limit")
    assert error["details"]["resets_at"] is None
    assert "retry-after" not in refused.headers
    assert "ask your teacher" in error["message"]
    usage = ok(course.ann.api("GET", f"{course.path}/limits"))["usage"]
    assert usage["storage_bytes"] > MIB
    set_limits(course, storage_mib=2)
    assert course.ann.run_script(slug)["status"] == "ok"


def test_a_removed_student_is_no_longer_held_to_the_course(live: Live) -> None:
    course = Course(live)
    set_limits(course, runs_per_hour=1)
    slug = copy_with(course, course.ann)
    assert course.ann.run_script(slug)["status"] == "ok"
    assert_error(course.ann.api("POST", f"/api/widgets/{slug}/runs"), 429, "course_runs_limit")
    members = ok(course.teacher.api("GET", f"{course.path}/members"))["members"]
    ann_id = next(m["user_id"] for m in members if m["username"] == course.ann.username)
    ok(course.teacher.api("DELETE", f"{course.path}/members/{ann_id}"), 204)
    assert course.ann.run_script(slug)["status"] == "ok"


def test_the_course_page_shows_teachers_the_limits_and_students_their_use(live: Live) -> None:
    course = Course(live)
    set_limits(course, runs_per_hour=7)
    page = course.teacher.get(f"/courses/{course.id}")
    assert page.status_code == 200
    assert f'data-api="PUT /api/courses/{course.id}/limits"' in page.text
    assert 'name="runs_per_hour"' in page.text
    assert 'value="7"' in page.text
    assert 'max="20"' in page.text  # the site's storage maximum bounds the field
    slug = copy_with(course, course.ann)
    course.ann.run_script(slug)
    student_page = course.ann.get(f"/courses/{course.id}")
    assert student_page.status_code == 200
    assert "/limits" not in student_page.text  # no form
    assert "1 of 7 runs in the last hour" in student_page.text  # her own use


# -- check runs count too -----------------------------------------------------------------

GREETS = """\
from classroom import public, run_script


@public
def test_runs():
    assert run_script().status == "ok"
"""


def _check(course: Course, url: str) -> dict[str, Any]:
    """The student Ann's Check, finished."""
    ok(course.ann.api("POST", f"{url}/check", json={}), 202)
    return wait_checks(course.ann, f"{url}/mine/checks", "checked")


def _usage(course: Course, student: Client) -> dict[str, Any]:
    found: dict[str, Any] = ok(student.api("GET", f"{course.path}/limits"))["usage"]
    return found


def _check_fuel(live: Live) -> int:
    with sqlite3.connect(live.config.database_path) as db:
        (fuel,) = db.execute("SELECT fuel FROM check_runs ORDER BY id DESC LIMIT 1").fetchone()
    return int(fuel)


def test_a_students_checks_count_as_runs_and_a_check_beyond_the_limit_is_refused(
    live: Live,
) -> None:
    course = Course(live)
    set_limits(course, runs_per_hour=2)
    url, _ = assignment_with_checks(course, GREETS)
    slug = started(course, course.ann, url, {"main.py": "print('hi')\n"})
    checked = _check(course, url)
    assert checked["results"] == [{"name": "test_runs", "status": "passed", "message": ""}]
    used = _usage(course, course.ann)
    assert used["runs_last_hour"] == 1  # the Check is one run, whatever it ran inside
    assert used["cpu_seconds_today"] > 0
    assert course.ann.run_script(slug)["status"] == "ok"
    # the limit is reached by a Check and a Run: both are refused alike
    refused = course.ann.api("POST", f"{url}/check", json={})
    error = assert_error(refused, 429, "course_runs_limit")
    assert "2 runs an hour" in error["message"]
    resets = parse_iso(error["details"]["resets_at"])
    assert resets == parse_iso(checked["started_at"]) + timedelta(hours=1)
    assert 3500 <= int(refused.headers["retry-after"]) <= 3600
    assert_error(course.ann.api("POST", f"/api/widgets/{slug}/runs"), 429, "course_runs_limit")
    # the refused Check left no trace and counts for nothing
    assert ok(course.ann.api("GET", f"{url}/mine/checks"))["checked"] == checked
    assert _usage(course, course.ann)["runs_last_hour"] == 2
    # Ben's work is his own
    started(course, course.ben, url, {"main.py": "print('ben')\n"})
    ok(course.ben.api("POST", f"{url}/check", json={}), 202)


def test_a_check_runs_fuel_counts_every_sandbox_it_used(live: Live) -> None:
    """A check run's CPU time is its tests' and the student's runs they asked for: the same
    checks of heavier student code cost about what the heavier code costs when run."""
    course = Course(live)
    url, _ = assignment_with_checks(course, GREETS)
    light, heavy = "print(1)\n", "total = sum(range(300_000))\nprint(total)\n"
    slug = started(course, course.ann, url, {"main.py": light})
    light_run = course.ann.run_script(slug)["fuel"]
    _check(course, url)
    light_check = _check_fuel(live)
    course.ann.save(slug, {"main.py": heavy})
    heavy_run = course.ann.run_script(slug)["fuel"]
    _check(course, url)
    heavy_check = _check_fuel(live)
    assert heavy_run - light_run > 1_000_000  # the loop is measurable
    assert heavy_check - light_check >= 0.9 * (heavy_run - light_run)
    today = _usage(course, course.ann)["cpu_seconds_today"]
    spent = light_run + heavy_run + light_check + heavy_check
    assert today == pytest.approx(spent / FUEL_PER_CPU_SECOND, abs=1e-3)


def test_checks_fuel_counts_towards_the_daily_cpu_limit(live: Live) -> None:
    course = Course(live)
    set_limits(course, cpu_seconds_per_day=2)
    url, _ = assignment_with_checks(course, GREETS)
    slug = started(course, course.ann, url, {"main.py": "print('hi')\n"})
    _check(course, url)
    with sqlite3.connect(live.config.database_path) as db:  # as if the checks computed long
        db.execute(
            "UPDATE check_runs SET fuel = ? WHERE id = (SELECT MAX(id) FROM check_runs)",
            [2 * FUEL_PER_CPU_SECOND],
        )
    for refused in (
        course.ann.api("POST", f"{url}/check", json={}),
        course.ann.api("POST", f"/api/widgets/{slug}/runs"),
    ):
        error = assert_error(refused, 429, "course_cpu_limit")
        assert error["details"]["resets_at"]
        assert int(refused.headers["retry-after"]) > 0


def test_a_submit_beyond_a_limit_is_kept_and_its_checks_wait_for_the_teacher(
    live: Live,
) -> None:
    course = Course(live)
    set_limits(course, runs_per_hour=1)
    url, _ = assignment_with_checks(course, GREETS)
    slug = started(course, course.ann, url, {"main.py": "print('hi')\n"})
    assert course.ann.run_script(slug)["status"] == "ok"
    submitted = ok(course.ann.api("POST", f"{url}/submissions", json={}), 201)
    assert ok(course.ann.api("GET", f"{url}/mine"))["submissions"][0]["id"] == submitted["id"]
    mine = ok(course.ann.api("GET", f"{url}/mine/checks"))["submitted"]
    assert mine["finished"] is True
    assert (mine["passed"], mine["total"]) == (0, 0)
    assert "1 runs an hour" in mine["refused"]
    assert "you can run again at" in mine["refused"]
    assert _usage(course, course.ann)["runs_last_hour"] == 1  # the refused checks: nothing
    page = course.ann.get(url.removeprefix("/api"))
    assert "Not run" in page.text
    results = ok(course.teacher.api("GET", f"{url}/checks/results"))["students"]
    ann = next(s for s in results if s["username"] == course.ann.username)
    assert ann["submitted"]["refused"] == mine["refused"]
    grid = ok(course.teacher.api("GET", f"{course.path}/grid"))
    row = next(r for r in grid["students"] if r["username"] == course.ann.username)
    assert row["cells"][-1]["score"] is None  # not checked
    # the teachers' run is theirs: no student's limit refuses it, and it counts as hers
    assert ok(course.teacher.api("POST", f"{url}/checks/run"), 202) == {"started": 1}
    mine = wait_checks(course.ann, f"{url}/mine/checks", "submitted")
    assert "refused" not in mine
    assert (mine["passed"], mine["total"]) == (1, 1)
    assert _usage(course, course.ann)["runs_last_hour"] == 2
    assert_error(course.ann.api("POST", f"{url}/check", json={}), 429, "course_runs_limit")
