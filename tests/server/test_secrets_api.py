"""Widgets' secrets through the real app: the owner sets, lists and deletes them; everyone else
is refused by the ownership rules; and a value, once set, is never seen again: not in any API
response, not in a fork, not in the database file or a backup of it, not in the server's log.

These tests run once the app mounts `widgetbox.host.api.ROUTES` and sets
`app.state.secret_box`; until then they are skipped. The end-to-end run also needs the
bridge handler registered on the app's runtime (`secrets.register`).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server._client import Browser, assert_error
from tests.server._data import widget_id
from tests.server.conftest import Server
from tests.server.test_openapi import problems
from widgetbox.host import secrets
from widgetbox.host.app import create_app
from widgetbox.host.config import load
from widgetbox.host.storage.backups import backup

SECRETS_PATH = "/api/widgets/{slug:str}/secrets"


def _wired() -> bool:
    """Whether `create_app` mounts the secrets routes (built once, in a throwaway folder)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        with tempfile.TemporaryDirectory() as folder:
            app = create_app(load(environ={}, overrides={"data_dir": Path(folder)}))
            return any(route.path.startswith(SECRETS_PATH) for route in app.routes)
    finally:  # creating the app configures logging; leave it as it was
        root.handlers[:], root.level = handlers, level


WIRED = _wired()

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(
        not WIRED,
        reason="the app does not mount widgetbox.host.api.ROUTES (and state.secret_box) yet",
    ),
]


def distinctive() -> str:
    """A value no page, schema or log could contain by chance."""
    return f"wb-secret-{uuid.uuid4().hex}-ünïcødé-🔑"


def url(slug: str, name: str | None = None) -> str:
    return f"/api/widgets/{slug}/secrets" + (f"/{name}" if name else "")


def put(browser: Browser, slug: str, name: str, value: str) -> httpx.Response:
    return browser.put(url(slug, name), json={"value": value})


def names(browser: Browser, slug: str) -> list[str]:
    response = browser.get(url(slug))
    assert response.status_code == 200, response.text
    return [entry["name"] for entry in response.json()["secrets"]]


def secret_rows(server: Server, widget: int) -> list[dict[str, Any]]:
    return server.db.read_now(
        lambda db: list(db.query("SELECT * FROM secrets WHERE widget_id = ?", [widget]))
    )


# -- the owner -------------------------------------------------------------------------------


def test_the_owner_sets_lists_replaces_and_deletes(server: Server, alice: Browser) -> None:
    slug = alice.create_widget(title="Keys")["slug"]
    assert alice.get(url(slug)).json() == {"secrets": []}

    value = distinctive()
    created = put(alice, slug, "API_KEY", value)
    assert created.status_code == 200, created.text
    entry = created.json()
    assert set(entry) == {"name", "created_at", "updated_at"}
    assert entry["name"] == "API_KEY"
    assert entry["created_at"] == entry["updated_at"]

    time.sleep(0.002)  # timestamps have millisecond resolution
    replaced = put(alice, slug, "API_KEY", "a new value").json()
    assert replaced["created_at"] == entry["created_at"]
    assert replaced["updated_at"] > entry["updated_at"]

    assert put(alice, slug, "db-password", "hunter2").status_code == 200
    listing = alice.get(url(slug)).json()
    assert [e["name"] for e in listing["secrets"]] == ["API_KEY", "db-password"]
    assert all(set(e) == {"name", "created_at", "updated_at"} for e in listing["secrets"])
    assert listing["secrets"][0] == replaced

    deleted = alice.delete(url(slug, "API_KEY"))
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert names(alice, slug) == ["db-password"]
    assert_error(alice.delete(url(slug, "API_KEY")), 404, "no_such_secret")
    assert_error(alice.delete(url(slug, "NEVER_SET")), 404, "no_such_secret")

    # deleting the widget deletes its secrets
    found = server.db.read_now(widget_id, slug)
    assert alice.delete(f"/api/widgets/{slug}").status_code == 204
    assert secret_rows(server, found) == []


@pytest.mark.parametrize("name", ["1KEY", "_KEY", "KEY.NAME", "kéy", "x" * 65, "KEY%20A"])
def test_invalid_names_are_refused(alice: Browser, name: str) -> None:
    slug = alice.create_widget(title="Names")["slug"]
    assert_error(put(alice, slug, name, "v"), 422, "invalid_secret_name")
    assert_error(alice.delete(url(slug, name)), 422, "invalid_secret_name")
    assert names(alice, slug) == []


def test_invalid_values_and_bodies_are_refused(alice: Browser) -> None:
    slug = alice.create_widget(title="Values")["slug"]
    largest = "x" * secrets.MAX_VALUE_BYTES
    assert put(alice, slug, "BIG", largest).status_code == 200
    assert_error(put(alice, slug, "BIGGER", largest + "x"), 422, "invalid_secret_value")
    assert_error(
        put(alice, slug, "WIDE", "é" * (secrets.MAX_VALUE_BYTES // 2 + 1)),
        422,
        "invalid_secret_value",
    )
    lone = alice.put(  # not Unicode text: the JSON decoder refuses it
        url(slug, "LONE"),
        content=b'{"value": "\\ud800"}',
        headers={"content-type": "application/json"},
    )
    assert_error(lone, 400)
    assert_error(alice.put(url(slug, "NONE"), json={}), 400, "invalid_request")
    assert_error(alice.put(url(slug, "NUM"), json={"value": 5}), 400, "invalid_request")
    assert_error(
        alice.put(url(slug, "MORE"), json={"value": "v", "visible": True}), 400, "invalid_request"
    )
    assert put(alice, slug, "EMPTY", "").status_code == 200
    assert names(alice, slug) == ["BIG", "EMPTY"]


def test_secrets_need_the_csrf_token(alice: Browser) -> None:
    slug = alice.create_widget(title="Csrf")["slug"]
    response = alice.request("PUT", url(slug, "KEY"), json={"value": "v"}, csrf=False)
    assert_error(response, 403, "csrf_failed")
    assert names(alice, slug) == []


# -- everyone else ---------------------------------------------------------------------------


@pytest.mark.parametrize("visibility", ["public", "unlisted", "private"])
def test_others_are_refused_by_the_ownership_rules(
    server: Server, alice: Browser, bob: Browser, anon: Browser, visibility: str
) -> None:
    slug = alice.create_widget(title="Guarded", visibility=visibility)["slug"]
    value = distinctive()
    assert put(alice, slug, "API_KEY", value).status_code == 200
    before = secret_rows(server, server.db.read_now(widget_id, slug))

    attempts = {
        "list": lambda b: b.get(url(slug)),
        "set": lambda b: put(b, slug, "API_KEY", "taken over"),
        "add": lambda b: put(b, slug, "NEW_KEY", "planted"),
        "delete": lambda b: b.delete(url(slug, "API_KEY")),
        "delete missing": lambda b: b.delete(url(slug, "NOT_THERE")),
        "bad name": lambda b: put(b, slug, "1bad", "v"),
    }
    for who, browser, code in [("bob", bob, "not_owner"), ("anon", anon, "login_required")]:
        for what, attempt in attempts.items():
            response = attempt(browser)
            if visibility == "private":  # its existence is not revealed
                assert_error(response, 404, "not_found")
            else:
                assert_error(response, 403, code)
            assert value not in response.text, (who, what)
            assert "API_KEY" not in response.text, (who, what)

    assert secret_rows(server, server.db.read_now(widget_id, slug)) == before
    assert names(alice, slug) == ["API_KEY"]


def test_the_admin_may_manage_any_widgets_secrets(admin: Browser, alice: Browser) -> None:
    slug = alice.create_widget(title="Managed")["slug"]  # private
    assert put(alice, slug, "API_KEY", "v").status_code == 200
    assert names(admin, slug) == ["API_KEY"]
    assert admin.delete(url(slug, "API_KEY")).status_code == 204
    assert names(alice, slug) == []


def test_a_fork_has_no_secrets(server: Server, alice: Browser, bob: Browser) -> None:
    slug = alice.create_widget(title="Forkable", visibility="public")["slug"]
    value = distinctive()
    assert put(alice, slug, "API_KEY", value).status_code == 200
    assert put(alice, slug, "OTHER", value + "2").status_code == 200

    for who in (bob, alice):  # someone else's fork, and the owner's own copy
        forked = who.post(f"/api/widgets/{slug}/fork", json={})
        assert forked.status_code == 201, forked.text
        assert value not in forked.text
        fork = forked.json()
        assert secret_rows(server, fork["id"]) == []
        assert who.get(url(fork["slug"])).json() == {"secrets": []}
        assert value not in who.get(f"/api/widgets/{fork['slug']}").text

    assert names(alice, slug) == ["API_KEY", "OTHER"]


# -- a value is never seen again -------------------------------------------------------------


def collect_examples(node: Any) -> list[Any]:
    found = []
    if isinstance(node, dict):
        for key, item in node.items():
            if key in {"example", "examples"}:
                found.append(item)
            found.extend(collect_examples(item))
    elif isinstance(node, list):
        for item in node:
            found.extend(collect_examples(item))
    return found


def test_a_value_never_appears_in_an_api_response(alice: Browser, anon: Browser) -> None:
    value = distinctive()
    widget = alice.create_widget(title="Leakless", visibility="public")
    slug = widget["slug"]
    assert alice.save(slug, {"main.py": "print('v2')\n"}, 1).status_code == 201
    responses = [
        put(alice, slug, "API_KEY", value),
        put(alice, slug, "API_KEY", value),  # replacing
        put(alice, slug, "SECOND", value),
        alice.get(url(slug)),
        alice.get(f"/api/widgets/{slug}"),
        anon.get(f"/api/widgets/{slug}"),
        alice.get(f"/api/widgets/{slug}/versions"),
        alice.get(f"/api/widgets/{slug}/versions/1"),
        alice.get(f"/api/widgets/{slug}/versions/2"),
        alice.get(f"/api/widgets/{slug}/diff", params={"old": 1}),
        alice.get("/api/widgets"),
        alice.get("/api/explore"),
        alice.get("/"),
        alice.patch(f"/api/widgets/{slug}", json={"title": "Leakless still"}),
        # refusals that carry the value in the request
        alice.put(url(slug, "EXTRA"), json={"value": value, "also": value}),
        alice.put(url(slug, "1BAD"), json={"value": value}),
        alice.put(url(slug, "LIST"), json={"value": [value]}),
        alice.put(url(slug, "BIG"), json={"value": value * 3000}),
        alice.delete(url(slug, "SECOND")),
        alice.get(url(slug)),
    ]
    for response in responses:
        assert response.status_code < 500, response.text
        assert value not in response.text, (response.request.method, response.request.url)
        assert value not in json.dumps(dict(response.headers))

    document = anon.get("/api/schema/openapi.json")
    assert document.status_code == 200
    assert value not in document.text
    assert value not in json.dumps(collect_examples(document.json()))
    assert value not in anon.get("/api/schema/openapi.yaml").text


def test_the_api_is_documented_and_answers_as_documented(alice: Browser, anon: Browser) -> None:
    document = anon.get("/api/schema/openapi.json").json()
    paths = document["paths"]
    listing = paths["/api/widgets/{slug}/secrets"]
    one = paths["/api/widgets/{slug}/secrets/{name}"]
    assert set(listing) == {"get"}
    assert {"put", "delete"} <= set(one)
    assert {"403", "404", "422"} <= set(one["put"]["responses"])
    assert "204" in one["delete"]["responses"]
    assert all(operation["tags"] == ["secrets"] for operation in [listing["get"], *one.values()])

    slug = alice.create_widget(title="Documented")["slug"]
    answers = [
        (put(alice, slug, "API_KEY", "v"), one["put"]),
        (alice.get(url(slug)), listing["get"]),
        (put(alice, slug, "1BAD", "v"), one["put"]),
        (anon.get(url(slug)), listing["get"]),
        (alice.delete(url(slug, "API_KEY")), one["delete"]),
        (alice.delete(url(slug, "API_KEY")), one["delete"]),
    ]
    for response, operation in answers:
        code = str(response.status_code)
        assert code in operation["responses"], (operation["summary"], code)
        if code != "204":
            schema = operation["responses"][code]["content"]["application/json"]["schema"]
            assert problems(response.json(), schema, document) == [], operation["summary"]


def test_the_database_file_and_its_backups_hold_only_ciphertext(
    server: Server, alice: Browser, tmp_path: Path
) -> None:
    value = distinctive()
    token = value.split("-")[2]  # the random part alone: no fragment may leak either
    slug = alice.create_widget(title="At rest")["slug"]
    assert put(alice, slug, "API_KEY", value).status_code == 200
    assert put(alice, slug, "REPLACED", value).status_code == 200
    assert put(alice, slug, "REPLACED", "something else").status_code == 200

    data = server.config.server.data_dir
    files = [data / "widgetbox.db", data / "widgetbox.db-wal"]
    raw = b"".join(path.read_bytes() for path in files if path.exists())
    [row] = [
        r
        for r in secret_rows(server, server.db.read_now(widget_id, slug))
        if r["name"] == "API_KEY"
    ]
    assert row["ciphertext"] in raw  # the test reads where the value went
    for needle in (value.encode(), value.encode("utf-16-le"), token.encode()):
        assert needle not in raw

    key = (data / "secrets.key").read_bytes()
    assert len(key) == 32
    assert key not in raw
    assert key.hex().encode() not in raw
    assert (data / "secrets.key").stat().st_mode & 0o777 == 0o600

    copy = tmp_path / "backup.db"
    backup(server.config.database_path, copy)
    copied = copy.read_bytes()
    assert row["ciphertext"] in copied
    assert token.encode() not in copied
    assert key not in copied
    with sqlite3.connect(copy) as check:  # the copy's secrets are the same ciphertext
        [(stored,)] = check.execute(
            "SELECT ciphertext FROM secrets WHERE name = 'API_KEY'"
        ).fetchall()
    assert stored == row["ciphertext"]


def test_the_server_log_never_holds_a_value(
    server: Server,
    alice: Browser,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    value = distinctive()
    token = value.split("-")[2]
    slug = alice.create_widget(title="Quiet")["slug"]
    with caplog.at_level(logging.DEBUG):
        assert put(alice, slug, "API_KEY", value).status_code == 200
        assert put(alice, slug, "API_KEY", value).status_code == 200
        alice.get(url(slug))
        alice.put(url(slug, "EXTRA"), json={"value": value, "also": value})
        alice.put(url(slug, "1BAD"), json={"value": value})
        alice.put(url(slug, "BIG"), json={"value": value * 3000})

        # a failure while storing: the server logs it with an incident id, not the value
        def broken(*args: Any) -> Any:
            raise OSError("the disk is on fire")

        monkeypatch.setattr(secrets.SecretBox, "encrypt", broken)
        failed = put(alice, slug, "OTHER", value)
        monkeypatch.undo()
        assert_error(failed, 500, "internal_error")
        assert alice.delete(url(slug, "API_KEY")).status_code == 204

    assert "the disk is on fire" in caplog.text  # the log did capture the requests' work
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "") + repr(record.args)
        assert value not in text, record
        assert token not in text, record
    assert token not in caplog.text


def test_a_run_reads_its_widgets_secret(server: Server, alice: Browser) -> None:
    runtime = getattr(server.app.state, "runtime", None)
    if runtime is None:
        pytest.skip("the app has no sandbox runtime")
    value = distinctive()
    slug = alice.create_widget("script", "Reader")["slug"]
    source = (
        "import hashlib\n"
        "import anvil.secrets\n"
        "value = anvil.secrets.get_secret('API_KEY')\n"
        "print('sha', hashlib.sha256(value.encode()).hexdigest())\n"
        "try:\n"
        "    anvil.secrets.get_secret('MISSING')\n"
        "except anvil.secrets.SecretError as e:\n"
        "    print('missing:', e)\n"
    )
    assert alice.save(slug, {"main.py": source}, 1).status_code == 201
    assert put(alice, slug, "API_KEY", value).status_code == 200

    started = alice.post(f"/api/widgets/{slug}/runs")
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    deadline = time.monotonic() + 120
    while True:
        run = alice.get(f"/api/runs/{run_id}").json()
        if run["status"] not in {"queued", "running"}:
            break
        assert time.monotonic() < deadline, run
        time.sleep(0.05)
    assert run["status"] == "ok", run
    import hashlib

    assert f"sha {hashlib.sha256(value.encode()).hexdigest()}" in run["stdout"]
    assert "missing: No such secret 'MISSING'." in run["stdout"]
    assert value not in json.dumps(run)
