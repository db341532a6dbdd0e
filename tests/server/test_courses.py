"""Classrooms over real HTTP (issue 18, §1 and §2): courses and their people, join codes,
rosters with set-password links, assignments forked per student, submissions with due
dates in the course's time zone, and privacy: a student never reaches another student's
work, runs or submissions by any route, and people outside a course never learn of it.

One server for the module; every test makes its own people and course, so the tests are
independent of each other and of their order."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from tests.server._client import PASSWORD, assert_error
from tests.server._live import Client, Live, serve

pytestmark = pytest.mark.server

_names = itertools.count(1)
PUBLIC_CHECK = "from classroom import public\n\n@public\ndef test_ok():\n    assert True\n"
"""A checks file with one test students may run."""


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with serve(tmp_path_factory.mktemp("courses"), pool_size=0) as found:
        found.user("admin")  # the first account is the admin: the others are ordinary
        yield found


def person(live: Live, role: str = "user") -> Client:
    return live.user(f"{role}{next(_names)}")


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json() if response.content else None


class Course:
    """A course with a teacher and two students who joined with its code."""

    def __init__(self, live: Live, timezone: str = "UTC") -> None:
        self.live = live
        self.teacher = person(live, "teacher")
        made = ok(
            self.teacher.api(
                "POST", "/api/courses", json={"title": "Python 1", "timezone": timezone}
            ),
            201,
        )
        self.id = made["id"]
        self.code = made["join_code"]
        self.path = f"/api/courses/{self.id}"
        self.ann = self.join(person(live, "ann"))
        self.ben = self.join(person(live, "ben"))

    def join(self, student: Client) -> Client:
        ok(student.api("POST", "/api/courses/join", json={"code": self.code}))
        return student

    def assignment(self, published: bool = True, **fields: Any) -> dict[str, Any]:
        body = {"title": "Loops", "kind": "script", "instructions": "Print 1 to 10.", **fields}
        made = ok(self.teacher.api("POST", f"{self.path}/assignments", json=body), 201)
        if published:
            made = ok(
                self.teacher.api(
                    "PATCH", f"{self.path}/assignments/{made['id']}", json={"published": True}
                )
            )
        return dict(made)

    def start(self, student: Client, assignment: dict[str, Any]) -> str:
        copy = ok(student.api("POST", f"{self.path}/assignments/{assignment['id']}/start"), 201)
        return str(copy["slug"])


# -- courses and people -------------------------------------------------------------------


def test_create_join_and_what_each_role_sees(live: Live) -> None:
    course = Course(live, "Europe/London")
    mine = ok(course.teacher.api("GET", "/api/courses"))["courses"]
    assert [(c["id"], c["role"]) for c in mine] == [(course.id, "teacher")]
    as_teacher = ok(course.teacher.api("GET", course.path))
    assert as_teacher["join_code"] == course.code
    assert as_teacher["join_url"] == f"{live.config.origin}/join/{course.code}"
    as_student = ok(course.ann.api("GET", course.path))
    assert as_student["role"] == "student"
    assert as_student["join_code"] is None
    assert as_student["join_url"] is None
    assert as_student["teachers"] == [course.teacher.username]
    # joining again changes nothing; a code is read loosely (case, spaces)
    loose = " ".join(course.code.lower())
    ok(course.ann.api("POST", "/api/courses/join", json={"code": loose}))
    members = ok(course.teacher.api("GET", f"{course.path}/members"))["members"]
    assert sorted((m["username"], m["role"]) for m in members) == sorted(
        [
            (course.teacher.username, "teacher"),
            (course.ann.username, "student"),
            (course.ben.username, "student"),
        ]
    )
    assert_error(
        course.ann.api("POST", "/api/courses/join", json={"code": "NOPE2345"}), 404, "no_such_code"
    )


def test_outsiders_get_404_and_students_403(live: Live) -> None:
    course = Course(live)
    made = course.assignment()
    outsider = person(live)
    a = f"{course.path}/assignments/{made['id']}"
    for method, path in [
        ("GET", course.path),
        ("GET", f"{course.path}/members"),
        ("GET", f"{course.path}/assignments"),
        ("GET", a),
        ("GET", f"{a}/students"),
        ("POST", f"{a}/start"),
        ("POST", f"{a}/submissions"),
        ("PATCH", course.path),
    ]:
        kwargs = {"json": {}} if method != "GET" else {}
        assert_error(outsider.api(method, path, **kwargs), 404, None)
    assert_error(live.client().api("GET", course.path), 403, "login_required")
    for method, path, body in [
        ("GET", f"{course.path}/members", None),
        ("GET", f"{a}/students", None),
        ("POST", f"{course.path}/assignments", {"title": "x", "kind": "script"}),
        ("PATCH", a, {"locked": True}),
        ("PATCH", course.path, {"title": "Mine now"}),
        ("POST", f"{course.path}/roster", {"csv": "name,username,email\n"}),
        ("POST", f"{course.path}/join-code", None),
        ("DELETE", f"{course.path}/members/1", None),
    ]:
        kwargs = {"json": body} if body is not None else {}
        assert_error(course.ann.api(method, path, **kwargs), 403, None)


def test_co_teachers_teach_but_only_the_teacher_archives(live: Live) -> None:
    course = Course(live)
    co = person(live, "co")
    ok(
        course.teacher.api("POST", f"{course.path}/co-teachers", json={"username": co.username}),
        201,
    )
    assert ok(co.api("GET", course.path))["role"] == "co-teacher"
    ok(co.api("GET", f"{course.path}/members"))
    made = ok(
        co.api("POST", f"{course.path}/assignments", json={"title": "By co", "kind": "http"}), 201
    )
    # a co-teacher reads every teacher's templates (read-only), students never do
    first = course.assignment()
    ok(co.api("GET", f"/api/widgets/{first['template']}"))
    assert_error(course.ann.api("GET", f"/api/widgets/{made['template']}"), 404, "not_found")
    assert_error(co.api("PATCH", course.path, json={"archived": True}), 403, "teacher_only")
    other = person(live)
    assert_error(
        co.api("POST", f"{course.path}/co-teachers", json={"username": other.username}),
        403,
        "teacher_only",
    )
    assert_error(
        course.teacher.api(
            "POST", f"{course.path}/co-teachers", json={"username": course.ann.username}
        ),
        409,
        "already_member",
    )


def test_removed_student_loses_the_course_and_teachers_lose_their_copy(live: Live) -> None:
    course = Course(live)
    made = course.assignment()
    slug = course.start(course.ann, made)
    ok(course.teacher.api("GET", f"/api/widgets/{slug}"))
    ann_id = next(
        m["user_id"]
        for m in ok(course.teacher.api("GET", f"{course.path}/members"))["members"]
        if m["username"] == course.ann.username
    )
    assert ok(course.teacher.api("DELETE", f"{course.path}/members/{ann_id}"), 204) is None
    assert_error(course.ann.api("GET", course.path), 404, "no_such_course")
    assert_error(course.teacher.api("GET", f"/api/widgets/{slug}"), 404, "not_found")
    ok(course.ann.api("GET", f"/api/widgets/{slug}"))  # still hers
    students = ok(course.teacher.api("GET", f"{course.path}/assignments/{made['id']}/students"))
    assert [s["username"] for s in students["students"]] == [course.ben.username]
    teacher_id = next(
        m["user_id"]
        for m in ok(course.teacher.api("GET", f"{course.path}/members"))["members"]
        if m["role"] == "teacher"
    )
    assert_error(
        course.teacher.api("DELETE", f"{course.path}/members/{teacher_id}"), 403, "teacher_stays"
    )


def archived(response: Any) -> None:
    """The refusal of a change to an archived course."""
    error = assert_error(response, 409, "course_archived")
    assert error["message"].startswith("This course is archived: ")


def test_archived_course_takes_no_one_and_no_work(live: Live) -> None:
    course = Course(live)
    made = course.assignment()
    slug = course.start(course.ann, made)
    ok(course.teacher.api("PATCH", course.path, json={"archived": True}))
    a = f"{course.path}/assignments/{made['id']}"
    archived(person(live).api("POST", "/api/courses/join", json={"code": course.code}))
    archived(course.ben.api("POST", f"{a}/start"))
    archived(course.ann.api("POST", f"{a}/submissions", json={}))
    archived(
        course.teacher.api(
            "POST", f"{course.path}/assignments", json={"title": "x", "kind": "script"}
        )
    )
    assert ok(course.ann.api("GET", course.path))["archived"] is True
    ok(course.teacher.api("GET", f"/api/widgets/{slug}/versions"))  # still readable
    ok(course.teacher.api("PATCH", course.path, json={"archived": False}))
    ok(course.ben.api("POST", f"{a}/start"), 201)


def test_an_archived_course_is_read_only_for_everyone(live: Live) -> None:
    """Every change to an archived course is refused with 409 `course_archived`, whoever
    asks; reading, the student's own widget, a roster account's new set-password link and
    unarchiving stay allowed, and after unarchiving the same changes pass."""
    course = Course(live)
    made = course.assignment()
    a = f"{course.path}/assignments/{made['id']}"
    slug = course.start(course.ann, made)
    course.ann.save(slug, {"main.py": "print('mine')\n"})
    ok(course.ann.api("POST", f"{a}/submissions", json={}), 201)
    ok(course.teacher.api("PUT", f"{a}/checks", json={"source": PUBLIC_CHECK}))
    members = ok(course.teacher.api("GET", f"{course.path}/members"))["members"]
    ids = {m["username"]: m["user_id"] for m in members}
    feedback = f"{a}/students/{ids[course.ann.username]}/feedback"
    comment = {"version": 2, "path": "main.py", "line": 1, "body": "Nice."}
    drafted = ok(course.teacher.api("POST", f"{feedback}/comments", json=comment), 201)
    n = next(_names)
    roster = ok(
        course.teacher.api(
            "POST",
            f"{course.path}/roster",
            json={"csv": f"name,username,email\nCy,cy{n},cy@example.com\n"},
        ),
        201,
    )
    assert roster["created"][0]["username"] == f"cy{n}"
    co = person(live, "co")
    ok(course.teacher.api("PATCH", course.path, json={"archived": True}))

    writes: list[tuple[Client, str, str, Any]] = [
        (course.teacher, "PATCH", course.path, {"title": "Python 2"}),
        (course.teacher, "PATCH", course.path, {"timezone": "Europe/Paris"}),
        (course.teacher, "POST", f"{course.path}/join-code", None),
        (course.teacher, "POST", f"{course.path}/co-teachers", {"username": co.username}),
        (course.teacher, "DELETE", f"{course.path}/members/{ids[course.ben.username]}", None),
        (course.teacher, "POST", f"{course.path}/roster", {"csv": "name,username,email\n"}),
        (course.teacher, "PUT", f"{course.path}/limits", {"runs_per_hour": 5}),
        (course.teacher, "POST", f"{course.path}/assignments", {"title": "x", "kind": "script"}),
        (course.teacher, "PATCH", a, {"title": "Loops again"}),
        (course.teacher, "PATCH", a, {"locked": True}),
        (course.teacher, "PATCH", a, {"published": False}),
        (course.teacher, "PUT", f"{a}/checks", {"source": PUBLIC_CHECK}),
        (course.teacher, "DELETE", f"{a}/checks", None),
        (course.teacher, "POST", f"{a}/checks/run", None),
        (course.teacher, "PUT", f"{feedback}/note", {"note": "Well done."}),
        (course.teacher, "POST", f"{feedback}/comments", comment),
        (course.teacher, "DELETE", f"{feedback}/comments/{drafted['id']}", None),
        (course.teacher, "POST", f"{feedback}/release", {"released": True}),
        (course.ann, "POST", f"{a}/submissions", {}),
        (course.ann, "POST", f"{a}/check", {}),
        (course.ben, "POST", f"{a}/start", None),
        (person(live), "POST", "/api/courses/join", {"code": course.code}),
    ]
    answers = [
        (method, path, client.api(method, path, json=body)) for client, method, path, body in writes
    ]
    assert [(m, p, r.status_code) for m, p, r in answers if r.status_code != 409] == []
    for _, _, response in answers:
        archived(response)

    # nothing changed
    kept = ok(course.teacher.api("GET", course.path))
    assert (kept["title"], kept["timezone"], kept["join_code"]) == ("Python 1", "UTC", course.code)
    assert len(ok(course.teacher.api("GET", f"{course.path}/members"))["members"]) == 4
    assert ok(course.teacher.api("GET", f"{course.path}/limits"))["own"] == {}
    assert ok(course.teacher.api("GET", a))["locked"] is False
    assert ok(course.teacher.api("GET", f"{a}/checks"))["source"] == PUBLIC_CHECK
    drafts = ok(course.teacher.api("GET", feedback))
    assert (drafts["note"], drafts["released_at"]) == ("", None)
    assert [c["id"] for c in drafts["comments"]] == [drafted["id"]]
    assert len(ok(course.ann.api("GET", f"{a}/mine"))["submissions"]) == 1
    # what stays allowed: reading, exports, the student's own widget, a roster account's link
    ok(course.teacher.api("GET", f"{course.path}/grid"))
    assert course.teacher.get(f"{course.path}/submissions.zip").status_code == 200
    course.ann.save(slug, {"main.py": "print('still mine')\n"})
    cy = ok(course.teacher.api("GET", f"{course.path}/members"))["members"]
    cy_id = next(m["user_id"] for m in cy if m["username"] == f"cy{n}")
    ok(course.teacher.api("POST", f"{course.path}/members/{cy_id}/password-link"), 201)
    # the teacher unarchives, with a title change in the same request; changes pass again
    unarchived = ok(
        course.teacher.api("PATCH", course.path, json={"archived": False, "title": "Python 2"})
    )
    assert (unarchived["archived"], unarchived["title"]) == (False, "Python 2")
    ok(course.teacher.api("PUT", f"{course.path}/limits", json={"runs_per_hour": 5}))
    ok(course.teacher.api("PUT", f"{feedback}/note", json={"note": "Well done."}))
    ok(course.teacher.api("POST", f"{feedback}/release", json={"released": True}))


def test_archiving_again_keeps_when_and_only_the_teacher_unarchives(live: Live) -> None:
    course = Course(live)
    co = person(live, "co")
    ok(
        course.teacher.api("POST", f"{course.path}/co-teachers", json={"username": co.username}),
        201,
    )

    def archived_at(db: Any) -> str:
        return str(
            db.execute("SELECT archived_at FROM courses WHERE id = ?", [course.id]).fetchone()[0]
        )

    assert ok(course.teacher.api("PATCH", course.path, json={"archived": True}))["archived"]
    first = live.app.state.db.read_now(archived_at)
    ok(course.teacher.api("PATCH", course.path, json={"archived": True}))
    assert live.app.state.db.read_now(archived_at) == first
    assert_error(co.api("PATCH", course.path, json={"archived": False}), 403, "teacher_only")
    assert_error(course.ann.api("PATCH", course.path, json={"archived": False}), 403)


def test_new_join_code_retires_the_old_one(live: Live) -> None:
    course = Course(live)
    fresh = ok(course.teacher.api("POST", f"{course.path}/join-code"))["join_code"]
    assert fresh != course.code
    assert_error(
        person(live).api("POST", "/api/courses/join", json={"code": course.code}),
        404,
        "no_such_code",
    )
    ok(person(live).api("POST", "/api/courses/join", json={"code": fresh}))


# -- rosters -------------------------------------------------------------------------------


def test_roster_lists_every_problem_by_line_and_imports_nothing(live: Live) -> None:
    course = Course(live)
    taken = person(live).username
    csv = (
        "Name,Email,Username\n"  # any order, any case
        "Ada Lovelace,ada@example.com,rada1\n"
        ",nobody@example.com,rnoname\n"  # line 3: no name
        "Bad User,bad@example.com,Bad User\n"  # line 4: not a username
        "Cy,not-an-address,rcy1\n"  # line 5: not an email
        "\n"
        "Dup,dup@example.com,rada1\n"  # line 7: same username as line 2
        f"Taken,t@example.com,{taken}\n"  # line 8: another account has it
        "Short,s@example.com\n"  # line 9: a value missing
    )
    error = assert_error(
        course.teacher.api("POST", f"{course.path}/roster", json={"csv": csv}),
        422,
        "roster_invalid",
    )
    lines = [problem["line"] for problem in error["details"]["problems"]]
    assert lines == [3, 4, 5, 7, 8, 9], error
    assert "line 2" in error["details"]["problems"][3]["message"]
    members = ok(course.teacher.api("GET", f"{course.path}/members"))["members"]
    assert "rada1" not in [m["username"] for m in members]  # nothing was imported
    bad_header = assert_error(
        course.teacher.api("POST", f"{course.path}/roster", json={"csv": "name,user,email\n"}), 422
    )
    assert bad_header["details"]["problems"][0]["line"] == 1


def test_roster_accounts_set_their_password_once(live: Live) -> None:
    course = Course(live)
    n = next(_names)
    csv = (
        "name,username,email\n"
        f"Ada Lovelace,ada{n},ada@example.com\n"
        f'"Hopper, Grace",grace{n},g@example.com\n'
    )
    made = ok(course.teacher.api("POST", f"{course.path}/roster", json={"csv": csv}), 201)
    assert [a["username"] for a in made["created"]] == [f"ada{n}", f"grace{n}"]
    assert made["created"][1]["name"] == "Hopper, Grace"
    link = made["created"][0]["link"]
    assert link.startswith(f"{live.config.origin}/set-password#")
    token = link.split("#", 1)[1]
    # no password works before the link is used
    nobody = live.client()
    assert_error(
        nobody.api("POST", "/api/auth/login", json={"username": f"ada{n}", "password": PASSWORD}),
        401,
    )
    ada = live.client()
    session = ok(
        ada.api("POST", "/api/auth/set-password", json={"token": token, "password": PASSWORD})
    )
    assert session["user"]["username"] == f"ada{n}"
    assert ok(ada.api("GET", course.path))["role"] == "student"  # signed in, in the course
    assert_error(
        live.client().api(
            "POST", "/api/auth/set-password", json={"token": token, "password": "another one"}
        ),
        422,
        "bad_password_link",
    )
    ok(
        live.client().api(
            "POST", "/api/auth/login", json={"username": f"ada{n}", "password": PASSWORD}
        )
    )
    # importing the same roster again is harmless: both are already students
    again = ok(course.teacher.api("POST", f"{course.path}/roster", json={"csv": csv}), 201)
    assert again["created"] == []
    assert sorted(again["already"]) == [f"ada{n}", f"grace{n}"]
    # a new link only for a roster account without a password of its own
    members = {
        m["username"]: m for m in ok(course.teacher.api("GET", f"{course.path}/members"))["members"]
    }
    assert members[f"grace{n}"]["can_get_link"]
    assert not members[f"ada{n}"]["can_get_link"]
    grace = members[f"grace{n}"]["user_id"]
    renewed = ok(course.teacher.api("POST", f"{course.path}/members/{grace}/password-link"), 201)
    old = made["created"][1]["link"].split("#", 1)[1]
    assert_error(
        live.client().api(
            "POST", "/api/auth/set-password", json={"token": old, "password": PASSWORD}
        ),
        422,
        "bad_password_link",
    )
    ok(
        live.client().api(
            "POST",
            "/api/auth/set-password",
            json={"token": renewed["link"].split("#", 1)[1], "password": PASSWORD},
        )
    )
    for username in (f"ada{n}", course.ann.username):  # set a password / joined by code
        user_id = next(
            m["user_id"]
            for m in ok(course.teacher.api("GET", f"{course.path}/members"))["members"]
            if m["username"] == username
        )
        assert_error(
            course.teacher.api("POST", f"{course.path}/members/{user_id}/password-link"),
            403,
            "has_password",
        )


# -- assignments and privacy ---------------------------------------------------------------


def test_drafts_are_hidden_from_students(live: Live) -> None:
    course = Course(live)
    draft = course.assignment(published=False)
    assert ok(course.ann.api("GET", f"{course.path}/assignments"))["assignments"] == []
    assert_error(
        course.ann.api("GET", f"{course.path}/assignments/{draft['id']}"), 404, "no_such_assignment"
    )
    assert_error(course.ann.api("POST", f"{course.path}/assignments/{draft['id']}/start"), 404)
    listed = ok(course.teacher.api("GET", f"{course.path}/assignments"))["assignments"]
    assert [a["published"] for a in listed] == [False]


def test_start_forks_the_template_into_a_private_copy(live: Live) -> None:
    course = Course(live)
    made = course.assignment()
    files = {"main.py": "print('template')\n"}
    head = ok(course.teacher.api("GET", f"/api/widgets/{made['template']}"))["head_version"]
    ok(
        course.teacher.api(
            "POST",
            f"/api/widgets/{made['template']}/versions",
            json={"base_version": head, "files": files, "message": "starter"},
        ),
        201,
    )
    a = f"{course.path}/assignments/{made['id']}"
    copy = ok(course.ann.api("POST", f"{a}/start"), 201)
    again = ok(course.ann.api("POST", f"{a}/start"), 200)
    assert again["slug"] == copy["slug"]
    widget = ok(course.ann.api("GET", f"/api/widgets/{copy['slug']}"))
    assert widget["files"] == files
    assert widget["visibility"] == "private"
    assert widget["can_edit"]
    assert widget["forked_from"] is None  # the template is private: its slug is not shown
    assert ok(course.ann.api("GET", f"{a}/mine"))["copy"]["slug"] == copy["slug"]
    assert_error(course.teacher.api("POST", f"{a}/start"), 403, "students_only")
    # the copy stays private and is kept while she is in the course
    assert_error(
        course.ann.api("PATCH", f"/api/widgets/{copy['slug']}", json={"visibility": "public"}),
        403,
        "course_copy_private",
    )
    assert_error(course.ann.api("DELETE", f"/api/widgets/{copy['slug']}"), 409, "course_copy")
    ok(course.ann.api("GET", f"/api/widgets/{copy['slug']}"))


def test_teachers_review_copies_read_only_and_students_never_see_each_other(live: Live) -> None:
    course = Course(live)
    made = course.assignment()
    slug = course.start(course.ann, made)
    ben_slug = course.start(course.ben, made)
    run = course.ann.run_script(slug)
    assert run["status"] == "ok", run
    # the teacher reads code, versions, a version, diffs and runs; never changes anything
    widget = ok(course.teacher.api("GET", f"/api/widgets/{slug}"))
    assert widget["can_edit"] is False
    versions = ok(course.teacher.api("GET", f"/api/widgets/{slug}/versions"))["versions"]
    ok(course.teacher.api("GET", f"/api/widgets/{slug}/versions/{versions[0]['number']}"))
    ok(course.teacher.api("GET", f"/api/widgets/{slug}/diff", params={"old": 1}))
    runs = ok(course.teacher.api("GET", f"/api/widgets/{slug}/runs"))["runs"]
    assert [r["id"] for r in runs] == [run["id"]]
    assert ok(course.teacher.api("GET", f"/api/runs/{run['id']}"))["stdout"] == run["stdout"]
    ok(course.teacher.api("GET", f"/api/widgets/{slug}/logs"))
    head = widget["head_version"]
    for method, path, body in [
        (
            "POST",
            f"/api/widgets/{slug}/versions",
            {"base_version": head, "files": {"main.py": "x"}},
        ),
        ("PATCH", f"/api/widgets/{slug}", {"title": "Teacher's"}),
        ("POST", f"/api/widgets/{slug}/runs", {}),
        ("DELETE", f"/api/widgets/{slug}", None),
        ("POST", f"/api/widgets/{slug}/versions/1/restore", {}),
    ]:
        kwargs = {"json": body} if body is not None else {}
        assert_error(course.teacher.api(method, path, **kwargs), 403, "read_only")
    assert_error(course.teacher.api("POST", f"/api/runs/{run['id']}/cancel"), 404, "no_such_run")
    # another student: nothing of Ann's, by any route or id
    for path in [
        f"/api/widgets/{slug}",
        f"/api/widgets/{slug}/versions",
        f"/api/widgets/{slug}/versions/1",
        f"/api/widgets/{slug}/runs",
        f"/api/widgets/{slug}/logs",
        f"/api/runs/{run['id']}",
        f"/api/runs/{run['id']}/events",
        f"/widgets/{slug}",
        f"/widgets/{slug}/versions",
        f"/widgets/{slug}/runs",
        f"/widgets/{slug}/runs/{run['id']}",
    ]:
        response = course.ben.get(path)
        assert response.status_code == 404, (path, response.status_code)
    assert_error(course.ben.api("POST", f"/api/widgets/{slug}/fork"), 404)
    # Ben's own view of the assignment holds his work only; its people list is refused
    mine = ok(course.ben.api("GET", f"{course.path}/assignments/{made['id']}/mine"))
    assert mine["copy"]["slug"] == ben_slug
    assert course.ann.username not in course.ben.get(f"/courses/{course.id}").text
    assert (
        course.ann.username
        not in course.ben.get(f"/courses/{course.id}/assignments/{made['id']}").text
    )
    # a teacher of another course reads none of it
    stranger = Course(live)
    assert_error(stranger.teacher.api("GET", f"/api/widgets/{slug}"), 404, "not_found")
    assert_error(stranger.teacher.api("GET", f"/api/runs/{run['id']}"), 404, "no_such_run")


def test_teachers_pages_show_every_students_work(live: Live) -> None:
    course = Course(live)
    made = course.assignment()
    slug = course.start(course.ann, made)
    page = course.teacher.get(f"/courses/{course.id}/assignments/{made['id']}")
    assert page.status_code == 200
    assert f"/widgets/{slug}/versions" in page.text
    assert course.ben.username in page.text
    for path in (f"/widgets/{slug}", f"/widgets/{slug}/versions", f"/widgets/{slug}/runs"):
        response = course.teacher.get(path)
        assert response.status_code == 200, path
        assert f'href="/widgets/{slug}/versions"' in response.text  # the reviewer's tabs
        assert f'href="/widgets/{slug}/settings"' not in response.text
    code_page = course.teacher.get(f"/widgets/{slug}").text
    assert f'href="/courses/{course.id}/assignments/{made["id"]}">Loops</a>' in code_page
    assert course.teacher.get(f"/widgets/{slug}/settings").status_code == 403
    dashboard = course.ann.get("/")
    assert "Python 1" in dashboard.text
    assert "Loops" in dashboard.text
    assert course.ann.get(f"/courses/{course.id}").status_code == 200
    assert person(live).get(f"/courses/{course.id}").status_code == 404
    join_page = person(live).get(f"/join/{course.code}")
    assert join_page.status_code == 200
    assert course.code in join_page.text
    assert live.client().get("/set-password").status_code == 200


def test_instructions_are_markdown_rendered_safely(live: Live) -> None:
    course = Course(live)
    text = (
        "# Task\n\nWrite **loops**.\n\n<script>alert(1)</script>\n\n"
        "[click](javascript:alert(2)) <img src=x onerror=alert(3)> [docs](https://docs.python.org)"
    )
    made = course.assignment(instructions=text)
    assert "<h1>Task</h1>" in made["instructions_html"]
    assert "<strong>loops</strong>" in made["instructions_html"]
    page = course.ann.get(f"/courses/{course.id}/assignments/{made['id']}").text
    for bad in ("<script>alert(1)", 'href="javascript:', "<img src=x"):
        assert bad not in page
        assert bad not in made["instructions_html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="https://docs.python.org" rel="nofollow noopener noreferrer"' in page


# -- submissions and due dates -------------------------------------------------------------


def test_due_dates_are_read_in_the_course_time_zone(live: Live) -> None:
    course = Course(live, "America/New_York")
    winter = course.assignment(due="2030-01-10T17:00")
    assert winter["due_at"] == "2030-01-10T22:00:00.000Z"  # EST, UTC-5
    assert winter["due_local"] == "2030-01-10T17:00"
    assert winter["due_text"] == "Thu 10 Jan 2030, 17:00 (America/New_York)"
    a = f"{course.path}/assignments/{winter['id']}"
    summer = ok(course.teacher.api("PATCH", a, json={"due": "2030-07-10T17:00"}))
    assert summer["due_at"] == "2030-07-10T21:00:00.000Z"  # EDT, UTC-4
    # the hour the clocks skip does not exist; the one they repeat is its first
    assert_error(
        course.teacher.api("PATCH", a, json={"due": "2030-03-10T02:30"}), 422, "invalid_due"
    )
    repeated = ok(course.teacher.api("PATCH", a, json={"due": "2030-11-03T01:30"}))
    assert repeated["due_at"] == "2030-11-03T05:30:00.000Z"
    assert_error(course.teacher.api("PATCH", a, json={"due": "tomorrow"}), 422, "invalid_due")
    cleared = ok(course.teacher.api("PATCH", a, json={"due": None}))
    assert cleared["due_at"] is None
    # changing the course's time zone keeps the moments already given
    ok(course.teacher.api("PATCH", a, json={"due": "2030-01-10T17:00"}))
    ok(course.teacher.api("PATCH", course.path, json={"timezone": "Asia/Tokyo"}))
    moved = ok(course.teacher.api("GET", a))
    assert moved["due_at"] == "2030-01-10T22:00:00.000Z"
    assert moved["due_local"] == "2030-01-11T07:00"
    assert_error(
        course.teacher.api("PATCH", course.path, json={"timezone": "Mars/Olympus"}),
        422,
        "invalid_timezone",
    )


def test_submit_resubmit_late_and_locked(live: Live) -> None:
    course = Course(live)
    made = course.assignment(due="2099-01-01T00:00")
    a = f"{course.path}/assignments/{made['id']}"
    assert_error(course.ann.api("POST", f"{a}/submissions", json={}), 409, "not_started")
    slug = course.start(course.ann, made)
    first = ok(course.ann.api("POST", f"{a}/submissions", json={}), 201)
    assert first["version"] == 1
    assert first["late"] is False
    version = course.ann.save(slug, {"main.py": "for i in range(1, 11):\n    print(i)\n"})
    second = ok(course.ann.api("POST", f"{a}/submissions", json={"version": version}), 201)
    assert second["version"] == version
    assert not second["late"]
    assert_error(
        course.ann.api("POST", f"{a}/submissions", json={"version": 99}), 404, "no_such_version"
    )
    assert_error(course.teacher.api("POST", f"{a}/submissions", json={}), 403, "students_only")
    # the due date passes (set in the past): Ann's on-time submission stands
    ok(course.teacher.api("PATCH", a, json={"due": "2020-01-01T00:00"}))
    assert_error(course.ann.api("POST", f"{a}/submissions", json={}), 409, "due_date_passed")
    # Ben had not submitted: once, marked late
    course.start(course.ben, made)
    late = ok(course.ben.api("POST", f"{a}/submissions", json={}), 201)
    assert late["late"] is True
    assert_error(course.ben.api("POST", f"{a}/submissions", json={}), 409, "due_date_passed")
    progress = {
        s["username"]: s for s in ok(course.teacher.api("GET", f"{a}/students"))["students"]
    }
    assert progress[course.ann.username]["status"] == "submitted"
    assert progress[course.ann.username]["submissions"] == 2
    assert progress[course.ann.username]["last"]["version"] == version
    assert progress[course.ben.username]["status"] == "submitted late"
    # a third student: started, then the teacher locks
    cy = course.join(person(live, "cy"))
    course.start(cy, made)
    ok(course.teacher.api("PATCH", a, json={"locked": True}))
    assert_error(cy.api("POST", f"{a}/submissions", json={}), 403, "submissions_locked")
    progress = {
        s["username"]: s for s in ok(course.teacher.api("GET", f"{a}/students"))["students"]
    }
    assert progress[cy.username]["status"] == "started"
    # students see only their own submissions
    assert [s["version"] for s in ok(course.ann.api("GET", f"{a}/mine"))["submissions"]] == [
        version,
        1,
    ]
    assert [s["late"] for s in ok(course.ben.api("GET", f"{a}/mine"))["submissions"]] == [True]
    # no due date: never late
    open_ended = course.assignment()
    course.start(cy, open_ended)
    assert not ok(
        cy.api("POST", f"{course.path}/assignments/{open_ended['id']}/submissions", json={}), 201
    )["late"]


def test_unpublishing_is_refused_once_started(live: Live) -> None:
    course = Course(live)
    made = course.assignment()
    course.start(course.ann, made)
    a = f"{course.path}/assignments/{made['id']}"
    assert_error(course.teacher.api("PATCH", a, json={"published": False}), 409, "already_started")


def test_template_from_a_teachers_widget_is_a_copy(live: Live) -> None:
    course = Course(live)
    slug = course.teacher.widget_with("http", {"main.py": "import anvil.server\n"})
    made = course.assignment(kind=None, template=slug)
    assert made["template"] != slug
    assert made["kind"] == "http"
    template = ok(course.teacher.api("GET", f"/api/widgets/{made['template']}"))
    assert template["files"]["main.py"] == "import anvil.server\n"
    theirs = course.ann.widget_with("script", {"main.py": "print(1)\n"})
    assert_error(
        course.teacher.api(
            "POST", f"{course.path}/assignments", json={"title": "t", "template": theirs}
        ),
        404,
    )
    assert_error(
        course.teacher.api("POST", f"{course.path}/assignments", json={"title": "t"}),
        422,
        "template_needed",
    )


def test_rosters_make_accounts_only_while_sign_up_is_open_or_for_the_admin(live: Live) -> None:
    course = Course(live)
    admin = live.client()
    ok(admin.api("POST", "/api/auth/login", json={"username": "admin", "password": PASSWORD}))
    n = next(_names)
    csv = f"name,username,email\nZed,zed{n},z@example.com\n"
    ok(admin.api("PUT", "/api/admin/settings", json={"open_signup": False}))
    try:
        assert_error(
            course.teacher.api("POST", f"{course.path}/roster", json={"csv": csv}),
            403,
            "signup_closed",
        )
        theirs = ok(admin.api("POST", "/api/courses", json={"title": "Admin's"}), 201)
        made = ok(admin.api("POST", f"/api/courses/{theirs['id']}/roster", json={"csv": csv}), 201)
        assert [a["username"] for a in made["created"]] == [f"zed{n}"]
    finally:
        ok(admin.api("PUT", "/api/admin/settings", json={"open_signup": True}))


def test_a_deleted_template_cannot_be_started(live: Live) -> None:
    course = Course(live)
    made = course.assignment()
    slug = course.start(course.ann, made)
    assert ok(course.teacher.api("DELETE", f"/api/widgets/{made['template']}"), 204) is None
    a = f"{course.path}/assignments/{made['id']}"
    assert ok(course.teacher.api("GET", a))["template"] is None
    assert_error(course.ben.api("POST", f"{a}/start"), 409, "template_gone")
    assert ok(course.ann.api("POST", f"{a}/start"), 200)["slug"] == slug  # hers stays
    ok(course.ann.api("POST", f"{a}/submissions", json={}), 201)
