"""Personal access tokens: made in a browser session and shown once, stored hashed, sent as
`Authorization: Bearer`, limited by their scope on every JSON API operation (as the OpenAPI
document says), refused once expired or revoked, and never accepted by a widget's HTTP API,
a GUI app or a page."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlite_utils

from tests.server._client import Browser, assert_error, login
from tests.server._runs import script_widget, wait_for_run
from tests.server.conftest import Server
from tests.server.test_gui_apps import app_url, make_app
from tests.server.test_openapi import api_operations
from widgetbox.host.storage.times import iso, now, parse_iso
from widgetbox.host.tokens.scopes import SESSION, needed

pytestmark = pytest.mark.server

TOKEN = re.compile(r"wbt_[A-Za-z0-9]{43}")
ECHO = """\
import anvil.server

@anvil.server.route("/echo")
def echo(**params):
    return {"authorization": anvil.server.request.headers.get("authorization")}
"""


class Program:
    """A program holding a token: no cookies of its own, no CSRF token."""

    def __init__(self, server: Server, value: str) -> None:
        self.browser = server.browser()
        self.value = value

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {self.value}", **kwargs.pop("headers", {})}
        response = self.browser.request(method, url, csrf=False, headers=headers, **kwargs)
        assert "set-cookie" not in response.headers, response.headers  # not even the CSRF one
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("json", {})
        return self.request("POST", url, **kwargs)


def make_token(
    browser: Browser, scope: str = "read", name: str = "laptop", days: int | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "scope": scope}
    if days is not None:
        body["expires_in_days"] = days
    response = browser.post("/api/tokens", json=body)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def program(server: Server, browser: Browser, scope: str = "read") -> Program:
    return Program(server, make_token(browser, scope)["value"])


def rows(server: Server) -> list[dict[str, Any]]:
    return server.db.read_now(lambda db: list(db.query("SELECT * FROM api_tokens")))


def set_column(server: Server, token_id: int, column: str, value: str) -> None:
    assert column in {"expires_at", "last_used_at", "revoked_at"}

    def change(db: sqlite_utils.Database) -> None:
        db.execute(f"UPDATE api_tokens SET {column} = ? WHERE id = ?", [value, token_id])

    server.db.write_now(change)


# -- making, listing, revoking -------------------------------------------------------------


def test_a_token_is_shown_once_and_only_its_hash_is_kept(server: Server, alice: Browser) -> None:
    made = make_token(alice, "write", name="CI deploy")
    value = made["value"]
    assert TOKEN.fullmatch(value)
    token = made["token"]
    assert token["name"] == "CI deploy"
    assert token["scope"] == "write"
    assert token["prefix"] == value[:8]
    assert token["last_used_at"] is None
    assert token["expired"] is False
    days = (parse_iso(token["expires_at"]) - parse_iso(token["created_at"])).total_seconds() / 86400
    assert days == pytest.approx(30)  # the default expiry

    listed = alice.get("/api/tokens")
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json()["tokens"]] == [token["id"]]
    assert value not in listed.text
    assert value[8:20] not in listed.text
    page = alice.get("/settings")
    assert page.status_code == 200
    assert "CI deploy" in page.text
    assert value not in page.text

    [row] = rows(server)
    assert row["hash"] == hashlib.sha256(value.encode()).hexdigest()
    assert value not in json.dumps(row)
    # each token is new
    assert make_token(alice, "read")["value"] != value


def test_tokens_are_private_to_their_owner(server: Server, alice: Browser, bob: Browser) -> None:
    made = make_token(alice)
    assert bob.get("/api/tokens").json()["tokens"] == []
    assert_error(bob.delete(f"/api/tokens/{made['token']['id']}"), 404, "no_such_token")
    assert len(alice.get("/api/tokens").json()["tokens"]) == 1
    assert_error(server.browser().get("/api/tokens"), 403, "login_required")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "", "scope": "read"}, "invalid_request"),
        ({"name": "x" * 101, "scope": "read"}, "invalid_request"),
        ({"name": "   ", "scope": "read"}, "invalid_token_name"),
        ({"name": "x", "scope": "admin"}, "invalid_request"),
        ({"name": "x", "scope": "read", "expires_in_days": 0}, "invalid_request"),
        ({"name": "x", "scope": "read", "expires_in_days": 366}, "invalid_request"),
        ({"name": "x", "scope": "read", "value": "wbt_mine"}, "invalid_request"),
    ],
)
def test_what_a_new_token_may_be(alice: Browser, body: dict[str, Any], code: str) -> None:
    response = alice.post("/api/tokens", json=body)
    assert response.status_code in (400, 422)
    assert_error(response, response.status_code, code)


def test_a_token_lives_a_year_at_most(alice: Browser) -> None:
    token = make_token(alice, days=365)["token"]
    lifetime = parse_iso(token["expires_at"]) - parse_iso(token["created_at"])
    assert lifetime == timedelta(days=365)


def test_a_revoked_token_stops_working_at_once(server: Server, alice: Browser) -> None:
    made = make_token(alice)
    holder = Program(server, made["value"])
    assert holder.get("/api/widgets").status_code == 200
    assert alice.delete(f"/api/tokens/{made['token']['id']}").status_code == 204
    refused = holder.get("/api/widgets")
    error = assert_error(refused, 401, "token_revoked")
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert "revoked" in error["message"]
    assert made["value"] not in refused.text
    assert alice.get("/api/tokens").json()["tokens"] == []
    assert_error(alice.delete(f"/api/tokens/{made['token']['id']}"), 404, "no_such_token")


def test_an_expired_token_is_refused_and_listed_as_expired(server: Server, alice: Browser) -> None:
    made = make_token(alice)
    holder = Program(server, made["value"])
    assert holder.get("/api/session").json()["user"]["username"] == "alice"
    set_column(server, made["token"]["id"], "expires_at", iso(now() - timedelta(seconds=1)))
    refused = holder.get("/api/session")
    error = assert_error(refused, 401, "token_expired")
    assert "expired" in error["message"]
    assert error["details"]["expired_at"]
    assert made["value"] not in refused.text
    [listed] = alice.get("/api/tokens").json()["tokens"]
    assert listed["expired"] is True
    assert "Expired" in alice.get("/settings").text


def test_a_wrong_token_is_a_401_that_reveals_nothing(server: Server, alice: Browser) -> None:
    real = make_token(alice)["value"]
    wrong = "wbt_" + ("A" if real[4] != "A" else "B") + real[5:]
    for value in (wrong, "wbt_short", "not-a-token", real.upper(), real + "x"):
        response = Program(server, value).get("/api/widgets")
        error = assert_error(response, 401, "token_invalid")
        assert value not in response.text
        assert real not in response.text
        assert error["details"] == {}
        assert 'error="invalid_token"' in response.headers["www-authenticate"]
    # a bad token is never helped by the cookie that came with it
    response = alice.get("/api/widgets", headers={"authorization": f"Bearer {wrong}"})
    assert_error(response, 401, "token_invalid")
    # an empty bearer is a wrong token too
    response = alice.get("/api/widgets", headers={"authorization": "Bearer"})
    assert_error(response, 401, "token_invalid")


# -- what a token may do ------------------------------------------------------------------


def test_a_read_token_reads_but_changes_and_runs_nothing(server: Server, alice: Browser) -> None:
    slug = script_widget(alice, "print('hi')\n")
    run = alice.post(f"/api/widgets/{slug}/runs").json()
    wait_for_run(alice, run["id"])
    reader = program(server, alice, "read")

    assert reader.get("/api/session").json()["user"]["username"] == "alice"
    assert [w["slug"] for w in reader.get("/api/widgets").json()["widgets"]] == [slug]
    assert reader.get(f"/api/widgets/{slug}/versions").status_code == 200
    assert reader.get(f"/api/runs/{run['id']}").json()["stdout"] == "hi\n"
    rule = {"type": "interval", "every": 1, "unit": "days"}
    assert reader.post("/api/schedules/preview", json=rule).status_code == 200  # changes nothing

    files = {"main.py": "print('changed')\n"}
    refused = reader.post(f"/api/widgets/{slug}/versions", json={"base_version": 2, "files": files})
    error = assert_error(refused, 403, "insufficient_scope")
    assert error["details"] == {"scope": "read", "needs": "write"}
    assert_error(reader.post(f"/api/widgets/{slug}/runs"), 403, "insufficient_scope")
    assert_error(reader.post(f"/api/runs/{run['id']}/cancel"), 403, "insufficient_scope")
    assert_error(reader.post("/api/widgets", json={"kind": "script", "title": "x"}), 403)
    assert_error(reader.request("DELETE", f"/api/widgets/{slug}"), 403, "insufficient_scope")
    assert alice.widget(slug)["head_version"] == 2
    assert len(alice.get(f"/api/widgets/{slug}/runs").json()["runs"]) == 1


def test_a_run_token_runs_but_changes_nothing(server: Server, alice: Browser) -> None:
    slug = script_widget(alice, "print('ran by token')\n")
    runner = program(server, alice, "run")
    started = runner.post(f"/api/widgets/{slug}/runs")
    assert started.status_code == 202, started.text
    done = wait_for_run(alice, started.json()["id"])
    assert done["stdout"] == "ran by token\n"
    assert runner.get(f"/api/runs/{done['id']}").json()["status"] == "ok"
    assert runner.post(f"/api/runs/{done['id']}/cancel").status_code == 202
    files = {"main.py": "print('changed')\n"}
    refused = runner.post(f"/api/widgets/{slug}/versions", json={"base_version": 2, "files": files})
    assert assert_error(refused, 403, "insufficient_scope")["details"]["needs"] == "write"


def test_a_write_token_changes_and_runs_with_no_csrf_token(server: Server, alice: Browser) -> None:
    slug = script_widget(alice, "print('one')\n")
    writer = program(server, alice, "write")
    files = {"main.py": "print('pushed')\n"}
    saved = writer.post(f"/api/widgets/{slug}/versions", json={"base_version": 2, "files": files})
    assert saved.status_code == 201, saved.text
    assert "x-csrf-token" not in saved.request.headers
    assert "cookie" not in saved.request.headers
    started = writer.post(f"/api/widgets/{slug}/runs")  # write includes run
    assert started.status_code == 202
    assert wait_for_run(alice, started.json()["id"])["stdout"] == "pushed\n"
    made = writer.post("/api/widgets", json={"kind": "script", "title": "By token"})
    assert made.status_code == 201
    assert made.json()["owner"] == "alice"
    patched = writer.request("PATCH", f"/api/widgets/{slug}", json={"title": "Renamed"})
    assert patched.status_code == 200
    # a browser's rules still hold for browsers: no CSRF token, no change
    assert_error(alice.post("/api/widgets", json={"kind": "script"}, csrf=False), 403)


def test_a_token_speaks_for_its_owner_whatever_cookie_comes_with_it(
    server: Server, alice: Browser, bob: Browser
) -> None:
    writer = make_token(alice, "write")["value"]
    made = bob.post(
        "/api/widgets",
        json={"kind": "script", "title": "Whose"},
        headers={"authorization": f"Bearer {writer}"},
        csrf=False,
    )
    assert made.status_code == 201
    assert made.json()["owner"] == "alice"
    assert bob.get("/api/widgets").json()["widgets"] == []


def test_a_token_cannot_sign_in_or_out_or_manage_tokens(
    server: Server, admin: Browser, alice: Browser
) -> None:
    writer = program(server, alice, "write")
    for method, path, body in [
        ("GET", "/api/tokens", None),
        ("POST", "/api/tokens", {"name": "minted", "scope": "write"}),
        ("DELETE", "/api/tokens/1", None),
        ("POST", "/api/auth/logout", {}),
        ("POST", "/api/auth/login", {"username": "alice", "password": "whatever"}),
        ("POST", "/api/auth/signup", {"username": "eve", "password": "a long password"}),
    ]:
        response = writer.request(method, path, json=body)
        error = assert_error(response, 403, "session_required")
        assert "browser session" in error["message"]
    assert len(alice.get("/api/tokens").json()["tokens"]) == 1
    assert alice.whoami() is not None  # still signed in
    admin_writer = program(server, admin, "write")
    assert_error(admin_writer.get("/api/admin/settings"), 403, "session_required")
    settings = {"open_signup": False}
    assert_error(admin_writer.request("PUT", "/api/admin/settings", json=settings), 403)


def test_every_operation_needs_what_the_document_says(server: Server, alice: Browser) -> None:
    """Walks every JSON API operation with a token of each scope: the middleware refuses
    (before any other check: no such widget, no body) exactly those the document says it
    needs more for, and the document's note and `security` follow the same rule."""
    document = server.browser().get("/api/schema/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["token"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "wbt_ and 43 letters and digits",
        "description": schemes["token"]["description"],
    }
    assert schemes["session"]["in"] == "cookie"
    holders = {scope: program(server, alice, scope) for scope in ("read", "run", "write")}
    allowed = {"read": {"read"}, "run": {"read", "run"}, "write": {"read", "run", "write"}}
    seen = set()
    for method, path, handler in api_operations(server.app):
        need = needed(path, handler)
        assert need is not None, (method, path)
        seen.add(need)
        operation = document["paths"][path][method.lower()]
        if need == SESSION:
            assert operation["security"] == [{"session": []}], (method, path)
            assert "not accepted" in operation["description"], (method, path)
        else:
            scopes = sorted(s for s, grants in allowed.items() if need in grants)
            assert operation["security"] == [{"session": []}, {"token": scopes}], (method, path)
            assert f"needs the `{need}` scope" in operation["description"], (method, path)
        url = re.sub(r"\{[^}]+\}", "1", path)
        for scope, holder in holders.items():
            response = holder.request(method, url, content=b"not json")
            if need == SESSION:
                assert_error(response, 403, "session_required")
            elif need not in allowed[scope]:
                assert_error(response, 403, "insufficient_scope")
            else:
                assert response.status_code != 403 or (
                    response.json()["error"]["code"]
                    not in {"insufficient_scope", "session_required"}
                ), (scope, method, path, response.text)
    assert seen == {"read", "run", "write", SESSION}


# -- where tokens are refused -------------------------------------------------------------


def test_tokens_never_work_on_a_widgets_http_api(server: Server, alice: Browser) -> None:
    private = alice.create_widget("http", "Private API")["slug"]
    public = alice.create_widget("http", "Public API", visibility="public")["slug"]
    for slug in (private, public):
        assert alice.save(slug, {"main.py": ECHO}, 1).status_code == 201
    value = make_token(alice, "write")["value"]
    for slug in (private, public):
        for method in ("GET", "POST"):
            response = server.browser().request(
                method, f"/w/{slug}/echo", headers={"authorization": f"Bearer {value}"}, csrf=False
            )
            error = assert_error(response, 403, "token_not_accepted")
            assert "HTTP APIs" in error["message"]
            assert value not in response.text
    # the private API is still its owner's only: the token did not sign anyone in
    assert server.browser().get(f"/w/{private}/echo").status_code == 404
    # no run saw the token: nothing was logged
    server.call(server.app.state.runner.log.flush)
    assert alice.get(f"/api/widgets/{public}/logs").json()["runs"] == []
    # other credentials are the widget's business, passed on as they came
    for header in ("Bearer someone-elses-token", "Basic YWxhZGRpbjpvcGVuc2VzYW1l"):
        answer = server.browser().get(f"/w/{public}/echo", headers={"authorization": header})
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"authorization": header}


def test_tokens_never_work_on_a_gui_apps_origin(server: Server, alice: Browser) -> None:
    slug = make_app(alice, "Tokenless", visibility="private")
    value = make_token(alice, "write")["value"]
    bearer = {"authorization": f"Bearer {value}"}
    page = server.browser().client.get(app_url(server, slug), headers=bearer)
    assert_error(page, 403, "token_not_accepted")
    origin = app_url(server, slug, "").rstrip("/")
    called = server.browser().client.post(
        app_url(server, slug, "/_/call"),
        json={"name": "hello", "args": [], "kwargs": {}},
        headers={**bearer, "origin": origin},
    )
    assert_error(called, 403, "token_not_accepted")
    # the JSON API's own paths are not reachable there at all
    api = server.browser().client.get(app_url(server, slug, "/api/widgets"), headers=bearer)
    assert api.status_code in (403, 404)
    # without the token, a private app still sends a stranger to enter through Widgetbox
    entering = server.browser().client.get(app_url(server, slug), follow_redirects=False)
    assert entering.status_code == 303


def test_tokens_never_open_the_ides_pages(server: Server, alice: Browser) -> None:
    value = make_token(alice, "write")["value"]
    for path in ("/", "/settings", "/explore"):
        bearer = {"authorization": f"Bearer {value}"}
        response = server.browser().client.get(path, headers=bearer)
        assert response.status_code == 403  # the error page, as pages answer errors
        assert "API tokens work only on its JSON API" in response.text
        assert value not in response.text


# -- last use, and failures ----------------------------------------------------------------


def test_the_last_use_is_recorded_at_most_once_a_minute(server: Server, alice: Browser) -> None:
    made = make_token(alice)
    holder = Program(server, made["value"])
    token_id = made["token"]["id"]
    holder.get("/api/widgets")
    [first] = alice.get("/api/tokens").json()["tokens"]
    assert first["last_used_at"] is not None
    for _ in range(3):
        holder.get("/api/widgets")
    [again] = alice.get("/api/tokens").json()["tokens"]
    assert again["last_used_at"] == first["last_used_at"]
    earlier = iso(now() - timedelta(minutes=2))
    set_column(server, token_id, "last_used_at", earlier)
    holder.get("/api/widgets")
    [later] = alice.get("/api/tokens").json()["tokens"]
    assert later["last_used_at"] > earlier


def test_wrong_tokens_are_limited_per_address_like_logins(
    make_server: Callable[..., Server],
) -> None:
    server = make_server(login_attempts_per_minute=3)
    server.user("admin")  # a sign-up: the log-in limit's count, not this one's
    alice = server.user("alice")
    good = program(server, alice, "read")
    for _ in range(5):  # good tokens are never counted
        assert good.get("/api/widgets").status_code == 200
    wrong = Program(server, "wbt_" + "x" * 43)
    for _ in range(3):
        assert_error(wrong.get("/api/widgets"), 401, "token_invalid")
    refused = wrong.get("/api/widgets")
    assert_error(refused, 429, "too_many_token_failures")
    assert int(refused.headers["retry-after"]) >= 1
    # from this address, even a good token waits: guesses are not checked at all
    assert_error(good.get("/api/widgets"), 429, "too_many_token_failures")
    # browsers are not affected
    assert alice.get("/api/widgets").status_code == 200
    assert login(server.browser(), "alice").status_code == 200
