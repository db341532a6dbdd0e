"""The admin's JSON API over real HTTP (uvicorn on a loopback port, the real sandbox): every
admin action, what it changes where it counts (log-in, sessions, tokens, widgets, limits
in effect), and that nobody else may do any of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server._client import PASSWORD, assert_error_shape
from tests.server._live import Client, Live, serve

pytestmark = pytest.mark.server

HTTP_API = """\
import anvil.server


@anvil.server.route("/hello")
def hello(**params):
    return {"hello": "world"}
"""

ADMIN_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/admin/users", None),
    ("POST", "/api/admin/users", {"username": "sneaky", "is_admin": True}),
    ("PATCH", "/api/admin/users/{me}", {"is_admin": True}),
    ("POST", "/api/admin/users/root/password-link", None),
    ("GET", "/api/admin/settings", None),
    ("PUT", "/api/admin/settings", {"open_signup": False}),
    ("GET", "/api/admin/limits", None),
    ("PUT", "/api/admin/limits", {"values": {"runs_per_user": 1}}),
    ("GET", "/api/admin/health", None),
]
"""Every admin route with a valid body (`{me}`: the caller's own username)."""


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with serve(tmp_path_factory.mktemp("admin") / "data") as running:
        running.user("root")  # the first account: the admin
        yield running


@pytest.fixture(scope="module")
def root(live: Live) -> Client:
    client = live.client()
    login(client, "root")
    return client


def login(client: Client, username: str, password: str = PASSWORD) -> httpx.Response:
    return client.api("POST", "/api/auth/login", json={"username": username, "password": password})


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    found = assert_error_shape(response)
    assert found["code"] == code, found
    return found


def account(root: Client, username: str) -> dict[str, Any]:
    found = root.api("GET", "/api/admin/users", params={"q": username}).json()["users"]
    [user] = [user for user in found if user["username"] == username]
    return user


def make_token(client: Client, scope: str = "write") -> str:
    response = client.api("POST", "/api/tokens", json={"name": "cli", "scope": scope})
    assert response.status_code == 201, response.text
    value: str = response.json()["value"]
    return value


def bearer(live: Live, token: str, path: str) -> httpx.Response:
    return httpx.get(live.base + path, headers={"authorization": f"Bearer {token}"})


def test_nobody_but_an_admin_may_do_anything_here(live: Live, root: Client) -> None:
    alice, anon = live.user("nosy"), live.client()
    token = make_token(root)
    for method, path, body in ADMIN_ROUTES:
        for who, code in ((alice, "admin_only"), (anon, "login_required")):
            url = path.format(me=who.username or "nosy")
            error(who.request(method, url, json=body), 403, code)
        # an admin's API token cannot administer either: a browser session only
        answer = httpx.request(
            method,
            live.base + path.format(me="root"),
            json=body,
            headers={"authorization": f"Bearer {token}"},
        )
        error(answer, 403, "session_required")
    # and nothing changed
    assert account(root, "nosy")["is_admin"] is False
    assert root.api("GET", "/api/admin/users", params={"q": "sneaky"}).json()["total"] == 0
    assert root.api("GET", "/api/admin/settings").json() == {"open_signup": True}
    limits = root.api("GET", "/api/admin/limits").json()["limits"]
    assert not any(limit["overridden"] for limit in limits)


def test_accounts_are_listed_with_their_usage_and_searched(live: Live, root: Client) -> None:
    user = live.user("counted")
    slug = user.widget_with("script", {"main.py": "print('x' * 1000)\n"})
    assert user.run_script(slug)["status"] == "ok"
    user.run_script(slug)
    live.user("other-one")

    listed = account(root, "counted")
    assert listed["widgets"] == 1
    assert listed["runs_today"] == 2
    # two versions (the starter and the save) and two runs' 1001 bytes of output at least
    assert listed["storage_bytes"] > 2 * 1001
    assert listed["is_admin"] is False
    assert listed["disabled"] is False
    nothing = account(root, "other-one")
    assert (nothing["widgets"], nothing["runs_today"], nothing["storage_bytes"]) == (0, 0, 0)

    found = root.api("GET", "/api/admin/users", params={"q": "COUNT"}).json()
    assert [u["username"] for u in found["users"]] == ["counted"]
    assert found["total"] == 1
    everyone = root.api("GET", "/api/admin/users").json()
    assert everyone["users"][0]["username"] == "root"  # in order of making
    assert everyone["total"] == len(everyone["users"]) >= 3
    # LIKE's wildcards are searched for as themselves
    assert root.api("GET", "/api/admin/users", params={"q": "%"}).json()["total"] == 0
    assert root.api("GET", "/api/admin/users", params={"q": "_"}).json()["total"] == 0
    assert root.api("GET", "/api/admin/users", params={"q": "r-o"}).json()["total"] == 1
    paged = root.api("GET", "/api/admin/users", params={"offset": 1}).json()
    assert paged["users"][0]["username"] == everyone["users"][1]["username"]


def test_a_disabled_account_stops_at_once_and_comes_back(live: Live, root: Client) -> None:
    mallory, visitor = live.user("mallory"), live.client()
    token = make_token(mallory, "read")
    api_slug = mallory.widget_with("http", {"main.py": HTTP_API}, visibility="public")
    assert visitor.get(f"/w/{api_slug}/hello").json() == {"hello": "world"}
    assert bearer(live, token, "/api/widgets").status_code == 200

    changed = root.api("PATCH", "/api/admin/users/mallory", json={"disabled": True})
    assert changed.status_code == 200, changed.text
    assert changed.json()["disabled"] is True

    # the session, the token and the password all stop working
    assert mallory.api("GET", "/api/session").json()["user"] is None
    error(mallory.request("GET", "/api/widgets"), 403, "login_required")
    error(bearer(live, token, "/api/widgets"), 401, "account_disabled")
    error(login(live.client(), "mallory"), 403, "account_disabled")
    error(login(live.client(), "mallory", "a wrong password"), 401, "bad_credentials")
    # the widgets are served to nobody but admins
    assert visitor.get(f"/w/{api_slug}/hello").status_code == 404
    error(visitor.api("GET", f"/api/widgets/{api_slug}"), 404, "not_found")
    explore = visitor.api("GET", "/api/explore").json()["widgets"]
    assert api_slug not in [widget["slug"] for widget in explore]
    assert root.api("GET", f"/api/widgets/{api_slug}").status_code == 200

    back = root.api("PATCH", "/api/admin/users/mallory", json={"disabled": False})
    assert back.json()["disabled"] is False
    assert login(mallory, "mallory").status_code == 200  # a fresh log-in
    assert bearer(live, token, "/api/widgets").status_code == 200
    assert visitor.get(f"/w/{api_slug}/hello").json() == {"hello": "world"}
    explore = visitor.api("GET", "/api/explore").json()["widgets"]
    assert api_slug in [widget["slug"] for widget in explore]


def test_admins_are_made_and_unmade_at_once_never_the_last(live: Live, root: Client) -> None:
    bob = live.user("bob")
    error(bob.request("GET", "/api/admin/users"), 403, "admin_only")
    made = root.api("PATCH", "/api/admin/users/bob", json={"is_admin": True})
    assert made.json()["is_admin"] is True
    assert bob.api("GET", "/api/admin/users").status_code == 200  # no wait for a cache
    assert bob.api("GET", "/api/session").json()["user"]["is_admin"] is True

    # with two admins, either may be demoted; the last one may not
    assert root.api("PATCH", "/api/admin/users/bob", json={"is_admin": False}).status_code == 200
    error(bob.request("GET", "/api/admin/users"), 403, "admin_only")
    error(
        root.request("PATCH", "/api/admin/users/root", json={"is_admin": False}), 409, "last_admin"
    )
    error(
        root.request("PATCH", "/api/admin/users/root", json={"disabled": True}),
        403,
        "disable_yourself",
    )
    assert account(root, "root")["is_admin"] is True

    # an admin who is the only other one cannot be disabled away from the last admin either
    root.api("PATCH", "/api/admin/users/bob", json={"is_admin": True})
    assert root.api("PATCH", "/api/admin/users/bob", json={"disabled": True}).status_code == 200
    # (signed out by it)
    error(
        bob.request("PATCH", "/api/admin/users/root", json={"disabled": True}),
        403,
        "login_required",
    )
    # a disabled admin does not count: root is the last one who can act
    error(
        root.request("PATCH", "/api/admin/users/root", json={"is_admin": False}), 409, "last_admin"
    )
    root.api("PATCH", "/api/admin/users/bob", json={"disabled": False, "is_admin": False})
    error(
        root.request("PATCH", "/api/admin/users/nobody", json={"is_admin": True}),
        404,
        "no_such_user",
    )


def test_accounts_made_and_passwords_reset_through_one_time_links(live: Live, root: Client) -> None:
    made = root.api("POST", "/api/admin/users", json={"username": "Carol"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["user"]["username"] == "carol"
    assert body["user"]["is_admin"] is False
    prefix = f"{live.config.origin}/set-password#"
    assert body["url"].startswith(prefix)
    error(
        root.request("POST", "/api/admin/users", json={"username": "carol"}), 409, "username_taken"
    )
    error(root.request("POST", "/api/admin/users", json={"username": "x"}), 422, "invalid_username")

    carol = live.client()
    # nobody can log in before the link is used, whatever they try
    error(login(carol, "carol", "!unset"), 401, "bad_credentials")
    token = body["url"].removeprefix(prefix)
    first = carol.api("POST", "/api/auth/set-password", json={"token": token, "password": PASSWORD})
    assert first.status_code == 200, first.text
    assert login(live.client(), "carol").status_code == 200
    again = carol.request(
        "POST", "/api/auth/set-password", json={"token": token, "password": PASSWORD}
    )
    error(again, 422, "bad_password_link")

    # a reset: a new link, the old password works until the new one is set
    reset = root.api("POST", "/api/admin/users/carol/password-link")
    assert reset.status_code == 201
    assert login(live.client(), "carol").status_code == 200
    new_password = "another long password"
    done = live.client().api(
        "POST",
        "/api/auth/set-password",
        json={"token": reset.json()["url"].removeprefix(prefix), "password": new_password},
    )
    assert done.status_code == 200, done.text
    error(login(live.client(), "carol"), 401, "bad_credentials")
    assert login(live.client(), "carol", new_password).status_code == 200
    error(root.request("POST", "/api/admin/users/nobody/password-link"), 404, "no_such_user")

    admin = root.api("POST", "/api/admin/users", json={"username": "dave", "is_admin": True})
    assert admin.json()["user"]["is_admin"] is True
    root.api("PATCH", "/api/admin/users/dave", json={"is_admin": False})


def test_site_wide_limits_change_at_once(live: Live, root: Client) -> None:
    listed = {
        limit["name"]: limit for limit in root.api("GET", "/api/admin/limits").json()["limits"]
    }
    assert list(listed) == [
        "runs_per_user",
        "queue_size",
        "http_requests_per_minute",
        "app_calls_per_minute",
        "email_per_widget_per_day",
    ]
    assert listed["http_requests_per_minute"] == {
        **listed["http_requests_per_minute"],
        "value": live.config.http.http_requests_per_minute,
        "setting": live.config.http.http_requests_per_minute,
        "overridden": False,
    }
    owner, caller = live.user("limited"), live.client()
    slug = owner.widget_with("http", {"main.py": HTTP_API}, visibility="public")
    used = caller.get(f"/w/{slug}/hello")
    assert used.status_code == 200
    already = int(used.headers["ratelimit-limit"]) - int(used.headers["ratelimit-remaining"])

    # every value checked before any is written
    bad = root.request(
        "PUT",
        "/api/admin/limits",
        json={"values": {"runs_per_user": 0, "workers": 4, "queue_size": 5}},
    )
    problems = error(bad, 422, "invalid_limits")["details"]["problems"]
    assert len(problems) == 2
    assert "runs_per_user" in problems[0]
    assert "workers" in problems[1]
    assert not any(
        limit["overridden"] for limit in root.api("GET", "/api/admin/limits").json()["limits"]
    )

    limit = already + 3
    changed = root.api(
        "PUT",
        "/api/admin/limits",
        json={"values": {"http_requests_per_minute": limit, "runs_per_user": 1}},
    )
    assert changed.status_code == 200, changed.text
    now = {item["name"]: item for item in changed.json()["limits"]}
    assert now["http_requests_per_minute"]["value"] == limit
    assert now["http_requests_per_minute"]["overridden"] is True
    assert now["runs_per_user"]["value"] == 1
    assert live.app.state.runner.queue.per_user == 1  # the queue's own limit
    first = caller.get(f"/w/{slug}/hello")
    assert first.headers["ratelimit-limit"] == str(limit)
    # refused within two counting windows at most, however the minute falls
    answers = [first.status_code]
    while 429 not in answers and len(answers) <= 2 * limit + 2:
        answers.append(caller.get(f"/w/{slug}/hello").status_code)
    assert answers[-1] == 429, answers

    reset = root.api(
        "PUT",
        "/api/admin/limits",
        json={"values": {"http_requests_per_minute": None, "runs_per_user": None}},
    )
    back = {item["name"]: item for item in reset.json()["limits"]}
    assert back["http_requests_per_minute"]["value"] == live.config.http.http_requests_per_minute
    assert back["runs_per_user"]["overridden"] is False
    assert live.app.state.runner.queue.per_user == live.config.runs.runs_per_user
    assert caller.get(f"/w/{slug}/hello").status_code == 200


def test_health_reads_the_server_as_it_is(live: Live, root: Client, tmp_path: Path) -> None:
    health = root.api("GET", "/api/admin/health").json()
    lanes = sorted(process["lane"] for process in health["processes"])
    assert "batch" in lanes
    assert "interactive" in lanes
    assert all(process["alive"] for process in health["processes"])
    assert all(process["pooled"] is not None for process in health["processes"])
    assert health["capacity"] == live.app.state.runner.queue.capacity > 0
    assert health["running"] == 0
    assert health["waiting"] == 0
    assert 0 < health["disk_free_bytes"] <= health["disk_total_bytes"]
    database = live.config.database_path
    assert health["database_bytes"] >= database.stat().st_size > 0
    assert health["pool_size"] == live.config.sandbox.pool_size
    assert health["nats"] == ""  # no workers configured


def test_limits_set_in_the_app_outlive_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serve(data) as first:
        admin = first.user("root")
        changed = admin.api(
            "PUT", "/api/admin/limits", json={"values": {"queue_size": 7, "runs_per_user": 3}}
        )
        assert changed.status_code == 200, changed.text
    with serve(data) as second:
        admin = second.client()
        login(admin, "root")
        limits = {
            item["name"]: item for item in admin.api("GET", "/api/admin/limits").json()["limits"]
        }
        assert (limits["queue_size"]["value"], limits["queue_size"]["overridden"]) == (7, True)
        queue = second.app.state.runner.queue
        assert (queue.queue_size, queue.per_user) == (7, 3)
