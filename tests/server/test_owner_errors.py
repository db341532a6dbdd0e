"""Errors where the owner is looking (issue 17, section 2), and versions worth reading
(section 4), through the real app:

- a widget's HTTP API that fails answers everyone the same generic 500; its signed-in owner's
  answer also names the request's log entry (`X-Widgetbox-Run`), whose traceback only they
  may read, and a widget cannot forge that header;
- a GUI app's server call that raises answers as Anvil does (the class name and message);
  the owner's visit (handed over from Widgetbox, whatever the app's visibility) also gets
  the traceback of the widget's own frames, no one else does;
- each version lists the files it changed with lines added and removed, an optional message
  (set when saving or later, at most 500 characters) and the first run started on it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from tests.server._client import Browser, assert_error
from tests.server.conftest import Server
from tests.server.test_gui_apps import app_files, app_url, call, make_app
from widgetbox.host.storage.migrations import MIGRATIONS
from widgetbox.host.widgets.changes import file_changes, line_counts

pytestmark = pytest.mark.server

FAILING_API = """\
import anvil.server


def helper(n):
    return 10 // n


@anvil.server.route("/divide")
def divide(**params):
    return str(helper(int(params.get("n", "0"))))


@anvil.server.route("/forged")
def forged(**params):
    return anvil.server.HttpResponse(200, "ok", {"X-Widgetbox-Run": "1", "X-Mine": "kept"})
"""

GENERIC = "The widget's code failed; its owner can see why in the widget's logs."


def failing_api(owner: Browser, visibility: str = "public") -> str:
    slug: str = owner.create_widget("http", "Divider", visibility=visibility)["slug"]
    assert owner.save(slug, {"main.py": FAILING_API}, 1).status_code == 201
    return slug


# -- HTTP APIs: the owner's try-it panel reads the traceback --------------------------------


def test_a_failed_request_names_its_log_entry_for_the_owner_only(
    server: Server, alice: Browser, bob: Browser, anon: Browser
) -> None:
    slug = failing_api(alice)
    answers = {name: who.get(f"/w/{slug}/divide") for name, who in
               (("owner", alice), ("other", bob), ("anonymous", anon))}  # fmt: skip
    for answer in answers.values():
        assert answer.status_code == 500
        assert answer.json()["error"]["message"] == GENERIC
        assert "ZeroDivisionError" not in answer.text
    assert "x-widgetbox-run" not in answers["other"].headers
    assert "x-widgetbox-run" not in answers["anonymous"].headers
    run_id = int(answers["owner"].headers["x-widgetbox-run"])

    # the log entry holds the traceback of the widget's own frames; only its owner reads it
    detail = alice.get(f"/api/runs/{run_id}").json()
    assert detail["status"] == "error"
    error = detail["error"]
    assert (error["type"], error["message"]) == ("ZeroDivisionError", "division by zero")
    assert [(f["filename"], f["lineno"], f["name"]) for f in error["frames"]] == [
        ("main.py", 10, "divide"),
        ("main.py", 5, "helper"),
    ]
    assert "return 10 // n" in error["traceback"]
    assert_error(bob.get(f"/api/runs/{run_id}"), 404)
    assert_error(anon.get(f"/api/runs/{run_id}"), 404)


def test_a_successful_request_and_a_widgets_own_header_name_no_log_entry(
    server: Server, alice: Browser
) -> None:
    slug = failing_api(alice)
    fine = alice.get(f"/w/{slug}/divide", params={"n": "5"})
    assert (fine.status_code, fine.text) == (200, "2")
    assert "x-widgetbox-run" not in fine.headers
    forged = alice.get(f"/w/{slug}/forged")
    assert forged.headers["x-mine"] == "kept"
    assert "x-widgetbox-run" not in forged.headers  # Widgetbox's own: a widget cannot set it


# -- GUI apps: Anvil's exceptions, the owner's traceback -----------------------------------


def enter_as_owner(owner: Browser, server: Server, slug: str) -> None:
    """Open the app from Widgetbox (the handover gives the owner the app's visit cookie)."""
    hop = owner.client.get(f"/widgets/{slug}/app", follow_redirects=False)
    location = hop.headers["location"]
    assert location.startswith(app_url(server, slug, "/_/enter?token=")), location
    assert owner.client.get(location, follow_redirects=False).status_code == 303


@pytest.mark.parametrize("visibility", ["public", "private"])
def test_a_server_exception_reaches_the_owner_with_its_traceback(
    server: Server, alice: Browser, visibility: str
) -> None:
    slug = make_app(alice, "Failing", visibility=visibility)
    enter_as_owner(alice, server, slug)
    answer = call(alice, server, slug, "fails").json()["exception"]
    assert (answer["type"], answer["message"]) == ("ValueError", "bad value")
    assert answer["trace"] == [["server.py", 17]]
    assert answer["traceback"].endswith('raise ValueError("bad value")\nValueError: bad value\n')
    assert 'File "server.py", line 17, in fails' in answer["traceback"]
    # Anvil's own exceptions keep their qualified name
    own = call(alice, server, slug, "anvil_error").json()["exception"]
    assert own["type"] == "anvil.server.NoServerFunctionError"


def test_a_server_exception_reaches_visitors_without_its_traceback(
    server: Server, alice: Browser, bob: Browser, anon: Browser
) -> None:
    slug = make_app(alice, "Visited")
    for visitor in (anon, bob, alice):  # alice without the handover is a visitor too
        answer = call(visitor, server, slug, "fails").json()
        assert answer == {"exception": {"type": "ValueError", "message": "bad value"}}
    # a visit cookie of another app of the owner's does not make one the owner here
    other = make_app(alice, "Other")
    enter_as_owner(alice, server, other)
    assert "traceback" not in call(alice, server, slug, "fails").json()["exception"]


def test_the_preview_handover_makes_the_owner_known_to_a_public_app(
    server: Server, alice: Browser
) -> None:
    slug = make_app(alice, "Previewed", **{"server.py": app_files()["server.py"]})
    hop = alice.client.get(f"/widgets/{slug}/app?view=preview", follow_redirects=False)
    landed = alice.client.get(hop.headers["location"], follow_redirects=False)
    assert landed.headers["location"] == "/_/preview"
    assert "traceback" in call(alice, server, slug, "fails").json()["exception"]


# -- versions: changed files with line counts, messages, the run that followed -------------


def test_each_version_lists_its_changed_files_with_line_counts(alice: Browser) -> None:
    slug = alice.create_widget("script", "Counted")["slug"]
    first = alice.widget(slug)["files"]["main.py"]
    files = {"main.py": "print('one')\nprint('two')\n", "notes.txt": "a\nb\nc\n"}
    assert alice.save(slug, files, 1, "Two prints and notes").status_code == 201
    files = {"main.py": "print('one')\nprint('2')\n"}
    assert alice.save(slug, files, 2).status_code == 201
    listed = alice.get(f"/api/widgets/{slug}/versions").json()["versions"]
    by_number = {v["number"]: v for v in listed}
    assert by_number[1]["changes"] == [
        {"path": "main.py", "status": "added", "added": len(first.splitlines()), "removed": 0}
    ]
    assert by_number[2]["message"] == "Two prints and notes"
    assert by_number[2]["changes"] == [
        {"path": "main.py", "status": "changed", "added": 2, "removed": len(first.splitlines())},
        {"path": "notes.txt", "status": "added", "added": 3, "removed": 0},
    ]
    assert by_number[3]["message"] == ""
    assert by_number[3]["changes"] == [
        {"path": "main.py", "status": "changed", "added": 1, "removed": 1},
        {"path": "notes.txt", "status": "removed", "added": 0, "removed": 3},
    ]
    # a restore lists what it changed back
    restored = alice.post(f"/api/widgets/{slug}/versions/2/restore", json={})
    assert restored.status_code == 201
    four = alice.get(f"/api/widgets/{slug}/versions/4").json()
    assert four["message"] == "Restored version 2"
    assert [(c["path"], c["status"]) for c in four["changes"]] == [
        ("main.py", "changed"),
        ("notes.txt", "added"),
    ]
    # the diff of any two versions, either way round
    for old, new, notes in ((4, 3, "removed"), (3, 4, "added"), (2, 4, "unchanged")):
        diff = alice.get(f"/api/widgets/{slug}/diff", params={"old": old, "new": new}).json()
        statuses = {f["path"]: f["status"] for f in diff["files"]}
        assert statuses["notes.txt"] == notes


def test_a_versions_message_is_set_later_bounded_and_kept_as_text(
    alice: Browser, bob: Browser
) -> None:
    slug = alice.create_widget("script", "Described")["slug"]
    assert alice.save(slug, {"main.py": "print(2)\n"}, 1).status_code == 201
    markup = "<b>Fix</b> & tidy"
    described = alice.patch(f"/api/widgets/{slug}/versions/2", json={"message": markup})
    assert described.status_code == 200, described.text
    assert (described.json()["number"], described.json()["message"]) == (2, markup)
    assert alice.get(f"/api/widgets/{slug}/versions/2").json()["message"] == markup
    page = alice.get(f"/widgets/{slug}/versions").text
    assert "&lt;b&gt;Fix&lt;/b&gt; &amp; tidy" in page
    assert "<b>Fix</b>" not in page
    too_long = alice.patch(f"/api/widgets/{slug}/versions/2", json={"message": "x" * 501})
    assert too_long.status_code == 400
    assert alice.save(slug, {"main.py": "print(3)\n"}, 2, "y" * 501).status_code == 400
    assert_error(alice.patch(f"/api/widgets/{slug}/versions/9", json={"message": "?"}), 404)
    assert bob.patch(f"/api/widgets/{slug}/versions/2", json={"message": "mine"}).status_code in (
        403,
        404,
    )
    assert alice.get(f"/api/widgets/{slug}/versions/2").json()["message"] == markup
    # the files never change
    assert alice.get(f"/api/widgets/{slug}/versions/2").json()["files"] == {"main.py": "print(2)\n"}


def test_a_version_names_the_first_run_started_on_it(server: Server, alice: Browser) -> None:
    slug = alice.create_widget("script", "Run after saving")["slug"]
    assert alice.save(slug, {"main.py": "print(1)\n"}, 1).status_code == 201
    numbers = []
    for _ in range(2):
        started = alice.post(f"/api/widgets/{slug}/runs", json={})
        assert started.status_code == 202, started.text
        numbers.append(started.json()["number"])
    listed = alice.get(f"/api/widgets/{slug}/versions").json()["versions"]
    assert [(v["number"], v["first_run"]) for v in listed] == [(2, numbers[0]), (1, None)]


def test_the_openapi_document_describes_version_messages(alice: Browser) -> None:
    document = alice.get("/api/schema/openapi.json").json()
    patch = document["paths"]["/api/widgets/{slug}/versions/{number}"]["patch"]
    body = patch["requestBody"]["content"]["application/json"]["schema"]
    schema = resolve(document, body)
    assert schema["properties"]["message"]["maxLength"] == 500
    listed = resolve(document, document["components"]["schemas"]["VersionOut"])
    assert {"changes", "first_run", "message"} <= set(listed["properties"])


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_versions_saved_before_the_counts_existed_are_counted(tmp_path: Path) -> None:
    """m012: each widget's versions are compared with the one before, in order."""
    db = sqlite_utils.Database(tmp_path / "old.db")
    MIGRATIONS.apply(db, stop_before="m012_version_changes")
    stamp = "2026-01-01T00:00:00+00:00"
    db["users"].insert({"id": 1, "username": "ada", "password_hash": "x", "created_at": stamp})
    contents = {1: ['{"main.py": "a\\n"}', '{"main.py": "a\\nb\\n"}'], 2: ['{"x.py": "1\\n"}']}
    for widget_id, versions in contents.items():
        db["widgets"].insert(
            {"id": widget_id, "owner_id": 1, "kind": "script", "title": "w",
             "slug": f"w{widget_id}", "visibility": "private", "created_at": stamp,
             "updated_at": stamp}
        )  # fmt: skip
        for number, files in enumerate(versions, start=1):
            db["widget_versions"].insert(
                {"widget_id": widget_id, "number": number, "files": files, "created_at": stamp}
            )
    MIGRATIONS.apply(db)
    counted = [
        tuple(row)
        for row in db.execute(
            "SELECT widget_id, number, changes FROM widget_versions ORDER BY widget_id, number"
        )
    ]
    assert counted == [
        (1, 1, '[{"path": "main.py", "status": "added", "added": 1, "removed": 0}]'),
        (1, 2, '[{"path": "main.py", "status": "changed", "added": 1, "removed": 0}]'),
        (2, 1, '[{"path": "x.py", "status": "added", "added": 1, "removed": 0}]'),
    ]
    with pytest.raises(sqlite3.OperationalError):
        db.execute("ALTER TABLE widget_versions ADD COLUMN changes TEXT")  # it is there


def test_line_counts_agree_with_the_diff() -> None:
    assert line_counts("a\nb\nc\n", "a\nB\nc\nd\n") == (2, 1)
    assert line_counts("", "") == (0, 0)
    assert file_changes({"same": "x", "gone": "1\n2"}, {"same": "x", "new": ""}) == [
        {"path": "gone", "status": "removed", "added": 0, "removed": 2},
        {"path": "new", "status": "added", "added": 0, "removed": 0},
    ]


def test_line_counts_of_huge_files_take_linear_time() -> None:
    # every line unique and moved: the matcher's worst shape; counted as multisets instead
    before = "\n".join(f"line {i}" for i in range(30_000))
    after = "\n".join(f"line {i}" for i in reversed(range(30_000))) + "\nnew"
    assert line_counts(before, after) == (1, 0)
