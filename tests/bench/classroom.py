"""A class at once, through the production server (`widgetbox serve`, 2 script workers) over
real HTTP: a teacher's course with a script assignment, 30 students (real accounts that
signed up, joined with the code and pressed Start), then

- every student presses Run on their copy at the same moment: the time from each one's
  press to the first output in their run console (the run's Server-Sent Events), p50, p90
  and max; the target is every student within 2 s. Baselines from the same run: one
  student's run on an idle server, and the same burst on widgets of the students' own that
  belong to no course (what the course's limits, checked at every run, cost).
- with the assignment's checks (`host/courses/checks.py`, 10 tests each running the
  student's script), every student submits at the same moment: the time until all the
  submissions are checked (the teacher's results all finished); the target is 60 s.

The server and the 30 clients (threads of this process) share the machine's cores, as a
classroom's browsers do not: the figures are a little worse than a class would see.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ._http import Session, widgetbox_server
from ._report import Figure, median, percentile

STUDENTS = 30
CHECKS = 10
SCRIPT = """\
name = input() if False else "class"
total = sum(i * i for i in range(2000))
print(f"Hello, {name}! {total}")
"""
CHECK = """
def test_{n}():
    result = run_script()
    assert result.stdout.startswith("Hello, class!"), result.stdout
"""


def _sign_up(base: str, username: str) -> Session:
    session = Session(base)
    session.call("POST", "/api/auth/signup", {"username": username, "password": "a class password"})
    return session


def _first_output(session: Session, slug: str) -> float:
    """Press Run, follow the run's events until its first output: the seconds it took."""
    began = time.perf_counter()
    run: Any = session.call("POST", f"/api/widgets/{slug}/runs")
    request = urllib.request.Request(f"{session.base}/api/runs/{run['id']}/events")
    with session.opener.open(request, timeout=60) as events:
        for line in events:
            if line.startswith(b"event: output"):
                return time.perf_counter() - began
            if line.startswith(b"event: done"):
                raise RuntimeError(f"run {run['id']} ended without output")
    raise RuntimeError(f"run {run['id']}: the events ended without output")


def _at_once(sessions: list[Session], work: Any) -> list[Any]:
    """`work(index, session)` for every session, each started as the same barrier opens."""
    barrier = threading.Barrier(len(sessions))

    def one(index: int) -> Any:
        barrier.wait()
        return work(index, sessions[index])

    with ThreadPoolExecutor(len(sessions)) as pool:
        return list(pool.map(one, range(len(sessions))))


def _class(base: str, students: int, checks: int) -> tuple[Session, str, list[Session], list[str]]:
    """The teacher, the assignment's path, the students and their copies' slugs."""
    teacher = _sign_up(base, "teacher")
    course: Any = teacher.call("POST", "/api/courses", {"title": "Python 1", "timezone": "UTC"})
    made: Any = teacher.call(
        "POST",
        f"/api/courses/{course['id']}/assignments",
        {"title": "Hello", "kind": "script", "instructions": "Say hello."},
    )
    path = f"/api/courses/{course['id']}/assignments/{made['id']}"
    template: Any = teacher.call("GET", f"/api/widgets/{made['template']}")
    teacher.call(
        "POST",
        f"/api/widgets/{made['template']}/versions",
        {"base_version": template["head_version"], "files": {"main.py": SCRIPT}},
    )
    if checks:
        source = "from classroom import run_script\n" + "".join(
            CHECK.format(n=n) for n in range(checks)
        )
        teacher.call("PUT", f"{path}/checks", {"source": source, "deadline": 10.0})
    teacher.call("PATCH", path, {"published": True})
    sessions, slugs = [], []
    for number in range(students):
        student = _sign_up(base, f"student{number:02}")
        student.call("POST", "/api/courses/join", {"code": course["join_code"]})
        copy: Any = student.call("POST", f"{path}/start")
        sessions.append(student)
        slugs.append(copy["slug"])
    return teacher, path, sessions, slugs


def _all_checked(teacher: Session, path: str, students: int, checks: int, deadline: float) -> float:
    """Seconds until every student's submission has been checked (polled every 0.1 s)."""
    began = time.perf_counter()
    while time.perf_counter() - began < deadline:
        found: Any = teacher.call("GET", f"{path}/checks/results")
        done = [
            s["submitted"]
            for s in found["students"]
            if s["submitted"] and s["submitted"]["finished_at"]
        ]
        if len(done) == students:
            if any(run["passed"] != run["total"] or run["total"] != checks for run in done):
                raise RuntimeError(f"a check failed: {done}")
            return time.perf_counter() - began
        time.sleep(0.1)
    raise RuntimeError(f"not every submission was checked within {deadline:.0f} s")


def run(quick: bool = False) -> list[Figure]:
    students = 10 if quick else STUDENTS
    checks = 3 if quick else CHECKS
    settings = {"WIDGETBOX_LOGIN_ATTEMPTS_PER_MINUTE": "10000", "WIDGETBOX_WORKERS": "2"}
    with widgetbox_server(settings) as base:
        teacher, path, sessions, slugs = _class(base, students, checks)
        _first_output(sessions[0], slugs[0])  # warm: the copy's code compiled once, pool full
        idle = [_first_output(sessions[0], slugs[0]) for _ in range(5)]
        own = []
        for session in sessions:
            widget: Any = session.call("POST", "/api/widgets", {"kind": "script", "title": "Own"})
            session.call(
                "POST",
                f"/api/widgets/{widget['slug']}/versions",
                {"base_version": widget["head_version"], "files": {"main.py": SCRIPT}},
            )
            own.append(widget["slug"])
        outside = _at_once(sessions, lambda index, session: _first_output(session, own[index]))
        seconds = _at_once(sessions, lambda index, session: _first_output(session, slugs[index]))
        checked = None
        if checks:
            _at_once(
                sessions, lambda index, session: session.call("POST", f"{path}/submissions", {})
            )
            submitted = time.perf_counter()
            _all_checked(teacher, path, students, checks, 300)
            checked = time.perf_counter() - submitted
    ms = [s * 1000 for s in seconds]
    cores = os.cpu_count() or 0
    note = f"{students} students, 2 script workers, {cores} cores shared with the clients"
    figures = [
        Figure(
            f"{students} students press Run at once: first output, p50",
            median(ms),
            "ms",
            baseline="one student's run on an idle server (median of 5)",
            baseline_value=median(idle) * 1000,
            note=note,
        ),
        Figure(
            f"{students} students press Run at once: first output, p90",
            percentile(ms, 90),
            "ms",
            baseline="the same burst on widgets outside any course (no limits to check)",
            baseline_value=percentile([s * 1000 for s in outside], 90),
        ),
        Figure(
            f"{students} students press Run at once: first output, max",
            max(ms),
            "ms",
            target="every student < 2000 ms",
            met=max(ms) < 2000,
        ),
    ]
    if checked is not None:
        figures.append(
            Figure(
                f"{students} submissions x {checks} checks: all checked",
                checked,
                "s",
                target="< 60 s",
                met=checked < 60,
                note="each check runs the student's script in a sandbox of its own",
            )
        )
    print(json.dumps({"first_output_ms": sorted(round(m) for m in ms)}))
    print(json.dumps({"outside_a_course_ms": sorted(round(s * 1000) for s in outside)}))
    return figures
