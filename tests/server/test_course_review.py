"""The teachers' view of a course over real HTTP (issue 18, §4): the grid of students by
assignments, feedback (drafts invisible to the student, released visible, nobody else's
reachable by any route or id), and the exports (the grid's CSV, every submission as a zip
of plain folders)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import pytest

from tests.server._client import assert_error
from tests.server._live import Client, Live
from tests.server.test_courses import Course, live, ok, person

__all__ = ["live"]  # the module's server, shared with test_courses' helpers

pytestmark = pytest.mark.server


def _save(client: Client, slug: str, text: str) -> int:
    return client.save(slug, {"main.py": text})


def _submitted(course: Course) -> tuple[dict[str, object], str]:
    """An assignment Ann started, changed and submitted; Ben has not started it."""
    made = course.assignment(title="Loops")
    slug = course.start(course.ann, made)
    version = _save(course.ann, slug, "for n in range(3):\n    print(n)\n")
    ok(
        course.ann.api(
            "POST", f"{course.path}/assignments/{made['id']}/submissions", json={"version": version}
        ),
        201,
    )
    return made, slug


def _check_run(
    live: Live, assignment_id: int, student_id: int, results: list[Any], finished: bool = True
) -> None:
    """A check run of the student's latest submission, as the checks (`checks.py`) store
    one: the grid reads its score."""
    statuses = {"p": "passed", "f": "failed"}
    stored = [{**r, "status": statuses.get(r["status"], r["status"])} for r in results]

    def write(db: Any) -> None:
        submission, version = db.execute(
            "SELECT id, version FROM submissions WHERE assignment_id = ? AND student_id = ? "
            "ORDER BY id DESC LIMIT 1",
            [assignment_id, student_id],
        ).fetchone()
        db.table("check_runs").insert(
            {
                "assignment_id": assignment_id,
                "student_id": student_id,
                "submission_id": submission,
                "version": version,
                "public_only": 0,
                "started_at": "2026-01-01T00:00:00.000Z",
                "finished_at": "2026-01-01T00:00:01.000Z" if finished else None,
                "results": json.dumps(stored),
            }
        )

    live.app.state.db.write_now(write)


def _student_id(course: Course, username: str | None) -> int:
    members = ok(course.teacher.api("GET", f"{course.path}/members"))["members"]
    return int(next(m["user_id"] for m in members if m["username"] == username))


def test_grid_shows_each_students_state(live: Live) -> None:
    course = Course(live)
    made, slug = _submitted(course)
    second = course.assignment(title="Functions")
    course.start(course.ben, second)
    grid = ok(course.teacher.api("GET", f"{course.path}/grid"))
    assert [a["title"] for a in grid["assignments"]] == ["Loops", "Functions"]
    rows = {row["username"]: row["cells"] for row in grid["students"]}
    ann, ben = rows[course.ann.username], rows[course.ben.username]
    assert ann[0]["status"] == "submitted"
    assert ann[0]["copy"] == slug
    assert ann[0]["version"] == 2
    assert ann[0]["submissions"] == 1
    assert ann[0]["score"] is None  # no automatic checks yet
    assert ann[1]["status"] == "not started"
    assert ben[0]["status"] == "not started"
    assert ben[1]["status"] == "started"
    assert ben[1]["version"] is None
    # the last run's status, once the copy ran
    run = course.ann.run_script(slug)
    assert run["status"] == "ok"
    grid = ok(course.teacher.api("GET", f"{course.path}/grid"))
    row = next(r for r in grid["students"] if r["username"] == course.ann.username)
    assert row["cells"][0]["last_run"] == "ok"
    # the check score: the latest finished check run of the student's submissions
    results = [{"name": f"test_{n}", "status": s} for n, s in enumerate("ppf")]
    _check_run(live, made["id"], ann_id := _student_id(course, course.ann.username), results)
    _check_run(live, made["id"], ann_id, [], finished=False)  # still running: not counted
    grid = ok(course.teacher.api("GET", f"{course.path}/grid"))
    row = next(r for r in grid["students"] if r["username"] == course.ann.username)
    assert row["cells"][0]["score"] == "2/3"
    # the page renders it, with a link to each student's work
    page = course.teacher.get(f"/courses/{course.id}/grid")
    assert page.status_code == 200
    assert f"/courses/{course.id}/assignments/{made['id']}/students/" in page.text
    # students and outsiders never see it
    assert_error(course.ann.api("GET", f"{course.path}/grid"), 403, "teachers_only")
    assert_error(person(live).api("GET", f"{course.path}/grid"), 404, "no_such_course")
    assert course.ann.get(f"/courses/{course.id}/grid").status_code == 403


def test_feedback_is_a_draft_until_released_and_only_its_student_reads_it(live: Live) -> None:
    course = Course(live)
    made, slug = _submitted(course)
    ann_id = _student_id(course, course.ann.username)
    ben_id = _student_id(course, course.ben.username)
    base = f"{course.path}/assignments/{made['id']}/students/{ann_id}/feedback"
    mine = f"{course.path}/assignments/{made['id']}/feedback"
    ok(course.teacher.api("PUT", f"{base}/note", json={"note": "Good loop; name things."}))
    comment = ok(
        course.teacher.api(
            "POST",
            f"{base}/comments",
            json={"version": 2, "path": "main.py", "line": 2, "body": "print(n + 1)?"},
        ),
        201,
    )
    assert comment["released"] is False
    # the version, file and line must exist
    for body, status in [
        ({"version": 9, "path": "main.py", "line": 1, "body": "x"}, 404),
        ({"version": 2, "path": "nope.py", "line": 1, "body": "x"}, 404),
        ({"version": 2, "path": "main.py", "line": 99, "body": "x"}, 422),
    ]:
        assert course.teacher.api("POST", f"{base}/comments", json=body).status_code == status
    # a draft: the student sees nothing, on the API or their pages
    assert_error(course.ann.api("GET", mine), 404, "no_feedback")
    page = course.ann.get(f"/courses/{course.id}/assignments/{made['id']}")
    assert "name things" not in page.text
    assert 'class="feedback-link"' not in course.ann.get(f"/widgets/{slug}").text
    drafted = ok(course.teacher.api("GET", base))
    assert drafted["unreleased"] is True
    assert drafted["released_at"] is None

    released = ok(course.teacher.api("POST", f"{base}/release", json={"released": True}))
    assert released["unreleased"] is False
    seen = ok(course.ann.api("GET", mine))
    assert seen["note"] == "Good loop; name things."
    assert [(c["path"], c["line"], c["body"]) for c in seen["comments"]] == [
        ("main.py", 2, "print(n + 1)?")
    ]
    page = course.ann.get(f"/courses/{course.id}/assignments/{made['id']}")
    assert "name things" in page.text
    assert "print(n + 1)?" in page.text
    assert 'class="feedback-link"' in course.ann.get(f"/widgets/{slug}").text

    # later changes are drafts until the next release
    ok(course.teacher.api("PUT", f"{base}/note", json={"note": "Changed my mind."}))
    ok(
        course.teacher.api(
            "POST",
            f"{base}/comments",
            json={"version": 2, "path": "main.py", "line": 1, "body": "later"},
        ),
        201,
    )
    seen = ok(course.ann.api("GET", mine))
    assert seen["note"] == "Good loop; name things."
    assert [c["body"] for c in seen["comments"]] == ["print(n + 1)?"]
    grid = ok(course.teacher.api("GET", f"{course.path}/grid"))
    cell = next(r for r in grid["students"] if r["username"] == course.ann.username)["cells"][0]
    assert cell["feedback"] == "changed"

    # nobody else reaches it: not Ben (no route takes an id from a student), not a teacher
    # of another course, not an outsider; and no comment id of another student works
    assert_error(course.ben.api("GET", mine), 404, "no_feedback")
    other = Course(live)
    for client in (course.ben, other.teacher, person(live)):
        response = client.api("GET", base)
        assert response.status_code in (403, 404), response.text
        assert "name things" not in response.text
        assert client.api("POST", f"{base}/release", json={}).status_code in (403, 404)
        assert client.get(
            f"/courses/{course.id}/assignments/{made['id']}/students/{ann_id}"
        ).status_code in (403, 404)
    ben_base = f"{course.path}/assignments/{made['id']}/students/{ben_id}/feedback"
    assert_error(
        course.teacher.api("DELETE", f"{ben_base}/comments/{comment['id']}"), 404, "no_such_comment"
    )
    teacher_id = _student_id(course, course.teacher.username)
    teacher_base = f"{course.path}/assignments/{made['id']}/students/{teacher_id}/feedback"
    assert_error(course.teacher.api("GET", teacher_base), 404, "no_such_member")

    # the review page shows the code, the template's diff and the comments
    review = course.teacher.get(f"/courses/{course.id}/assignments/{made['id']}/students/{ann_id}")
    assert review.status_code == 200
    assert "print(n + 1)?" in review.text
    assert 'class="changed"' in review.text

    # deleting a released comment takes it back at once; taking back hides everything
    assert course.teacher.api("DELETE", f"{base}/comments/{comment['id']}").status_code == 204
    assert ok(course.ann.api("GET", mine))["comments"] == []
    ok(course.teacher.api("POST", f"{base}/release", json={"released": False}))
    assert_error(course.ann.api("GET", mine), 404, "no_feedback")


def test_exports_hold_the_grid_and_every_submission(live: Live) -> None:
    course = Course(live)
    made, _slug = _submitted(course)
    response = course.teacher.get(f"{course.path}/grid.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(response.text)))
    assert lines[0][:4] == ["name", "username", "Loops: status", "Loops: version"]
    by_user = {line[1]: line for line in lines[1:]}
    assert by_user[course.ann.username][2:4] == ["submitted", "2"]
    assert by_user[course.ben.username][2] == "not started"

    response = course.teacher.get(f"{course.path}/submissions.zip")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    folder = f"01-loops/{course.ann.username}/"
    assert f"{folder}main.py" in names
    assert f"{folder}.widgetbox.toml" in names
    assert "grid.csv" in names
    assert not any(course.ben.username in name for name in names)  # nothing submitted
    assert archive.read(f"{folder}main.py").decode() == "for n in range(3):\n    print(n)\n"
    for path in ("grid.csv", "submissions.zip"):
        assert_error(course.ann.api("GET", f"{course.path}/{path}"), 403, "teachers_only")
        assert person(live).api("GET", f"{course.path}/{path}").status_code == 404
    assert made
