"""Accounts: sign-up, log-in, log-out, sessions and their expiry, the admin's settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher

from tests.server._client import (
    PASSWORD,
    Browser,
    assert_error,
    cookie_attributes,
    login,
    set_cookies,
    signup,
)
from tests.server._data import sessions_of, set_session_times
from tests.server.conftest import Server
from widgetbox.host.accounts import sessions
from widgetbox.host.accounts import users as accounts
from widgetbox.host.storage import times

pytestmark = pytest.mark.server

DAY = 86400


def user_for_token(server: Server, token: str) -> dict[str, Any] | None:
    """Who a session token signs in, asked by a browser that has nothing but that cookie."""
    browser = server.browser()
    response = browser.get("/api/session", headers={"cookie": f"{browser.session_cookie}={token}"})
    assert response.status_code == 200
    user: dict[str, Any] | None = response.json()["user"]
    return user


# -- sign-up -------------------------------------------------------------------------------


def test_anonymous_session(anon: Browser) -> None:
    response = anon.get("/api/session")
    assert response.status_code == 200
    assert response.json() == {"user": None, "open_signup": True}


def test_signup_signs_in_with_a_safe_cookie_over_http(server: Server) -> None:
    browser = server.browser()
    first = browser.get("/api/session")
    csrf = cookie_attributes(set_cookies(first)["wb_csrf"])
    assert "httponly" not in csrf  # the page's script reads it
    assert "secure" not in csrf
    assert csrf["samesite"].lower() == "lax"
    assert csrf["path"] == "/"

    response = browser.post("/api/auth/signup", json={"username": "admin", "password": PASSWORD})
    assert response.status_code == 201
    cookies = set_cookies(response)
    assert set(cookies) == {"wb_session"}
    attributes = cookie_attributes(cookies["wb_session"])
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "lax"
    assert attributes["path"] == "/"
    assert "secure" not in attributes
    assert "domain" not in attributes
    assert int(attributes["max-age"]) == 30 * DAY
    body = response.json()
    assert body["user"]["username"] == "admin"
    assert body["open_signup"] is True
    assert browser.whoami() == body["user"]


def test_cookies_are_secure_and_host_prefixed_over_https(
    make_server: Callable[..., Server],
) -> None:
    server = make_server(environ={"WIDGETBOX_PUBLIC_URL": "https://widgets.example.com"})
    assert server.config.https
    browser = server.browser()
    first = browser.get("/api/session")
    csrf = cookie_attributes(set_cookies(first)["__Host-wb_csrf"])
    assert "secure" in csrf
    assert csrf["path"] == "/"
    assert "domain" not in csrf
    assert first.headers["strict-transport-security"].startswith("max-age=")

    response = browser.post("/api/auth/signup", json={"username": "admin", "password": PASSWORD})
    assert response.status_code == 201
    cookies = set_cookies(response)
    assert set(cookies) == {"__Host-wb_session"}
    attributes = cookie_attributes(cookies["__Host-wb_session"])
    assert {"secure", "httponly"} <= set(attributes)
    assert attributes["samesite"].lower() == "lax"
    assert attributes["path"] == "/"  # __Host- requires Path=/ and no Domain
    assert "domain" not in attributes
    assert browser.whoami() is not None

    out = browser.post("/api/auth/logout")
    assert out.status_code == 200
    cleared = cookie_attributes(set_cookies(out)["__Host-wb_session"])
    assert {"secure", "httponly"} <= set(cleared)
    assert cleared["max-age"] == "0"


def test_first_account_is_admin_with_one_example_of_each_kind(server: Server) -> None:
    admin = server.user("admin")
    me = admin.whoami()
    assert me is not None
    assert me["is_admin"] is True
    mine = admin.get("/api/widgets").json()["widgets"]
    assert sorted(w["kind"] for w in mine) == ["gui", "http", "scheduled", "script"]
    for widget in mine:
        assert widget["owner"] == "admin"
        assert widget["visibility"] == "private"
        assert widget["head_version"] == 1
        files = admin.widget(widget["slug"])["files"]
        entry = "server.py" if widget["kind"] == "gui" else "main.py"
        assert files[entry].strip()


def test_later_accounts_are_not_admins_and_start_empty(admin: Browser, server: Server) -> None:
    alice = server.user("alice")
    me = alice.whoami()
    assert me is not None
    assert me["is_admin"] is False
    assert alice.get("/api/widgets").json()["widgets"] == []


@pytest.mark.parametrize(
    ("given", "stored"),
    [("Alice", "alice"), ("  BOB_the-2nd ", "bob_the-2nd"), ("abc", "abc"), ("a" * 32, "a" * 32)],
)
def test_usernames_are_normalised(server: Server, given: str, stored: str) -> None:
    assert signup(server.browser(), given)["username"] == stored


@pytest.mark.parametrize(
    "username",
    ["ab", "a" * 33, "-abc", "abc-", "_abc", "abc_", "a b c", "josé", "a.b.c", "abc!", "   "],
)
def test_invalid_usernames_are_refused(server: Server, username: str) -> None:
    response = server.browser().post(
        "/api/auth/signup", json={"username": username, "password": PASSWORD}
    )
    assert_error(response, 422, "invalid_username")


def test_an_absurd_username_is_a_bad_request(anon: Browser) -> None:
    response = anon.post("/api/auth/signup", json={"username": "a" * 65, "password": PASSWORD})
    assert_error(response, 400, "invalid_request")


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=64, parallelism=1)
        self.hashed: list[int] = []

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.hashed.append(len(password))
        return super().hash(password, salt=salt)


@pytest.mark.parametrize(
    ("length", "status"), [(7, 422), (8, 201), (256, 201), (257, 422), (1000, 422)]
)
def test_password_length_rules_apply_before_hashing(
    server: Server, monkeypatch: pytest.MonkeyPatch, length: int, status: int
) -> None:
    hasher = CountingHasher()
    monkeypatch.setattr(accounts, "_hasher", hasher)
    response = server.browser().post(
        "/api/auth/signup", json={"username": "someone", "password": "p" * length}
    )
    if status == 201:
        assert response.status_code == 201
        assert hasher.hashed == [length]
    else:
        assert_error(response, 422, "invalid_password")
        assert hasher.hashed == []  # refused before any hashing work


def test_a_password_beyond_the_body_limit_is_a_bad_request(anon: Browser) -> None:
    response = anon.post("/api/auth/signup", json={"username": "someone", "password": "p" * 1025})
    assert_error(response, 400, "invalid_request")


def test_usernames_are_unique_ignoring_case(admin: Browser, server: Server) -> None:
    signup(server.browser(), "alice")
    for name in ("alice", "ALICE", " Alice "):
        response = server.browser().post(
            "/api/auth/signup", json={"username": name, "password": PASSWORD}
        )
        assert_error(response, 409, "username_taken")
    assert (
        server.db.read_now(lambda db: db.execute("SELECT COUNT(*) FROM users").fetchone()[0]) == 2
    )


def test_production_hashing_is_argon2id_with_default_costs(
    real_password_hashing: None, server: Server
) -> None:
    browser = server.user("admin")
    stored = server.db.read_now(
        lambda db: db.execute("SELECT password_hash FROM users").fetchone()[0]
    )
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PASSWORD not in stored
    assert login(browser, "admin").status_code == 200


# -- log-in and log-out --------------------------------------------------------------------


def test_login_signs_in_ignoring_username_case(alice: Browser, server: Server) -> None:
    browser = server.browser()
    response = login(browser, "ALICE")
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "alice"
    attributes = cookie_attributes(set_cookies(response)["wb_session"])
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "lax"
    me = browser.whoami()
    assert me is not None
    assert me["username"] == "alice"


def test_bad_credentials_look_the_same_for_unknown_users_and_wrong_passwords(
    alice: Browser, server: Server
) -> None:
    wrong_password = login(server.browser(), "alice", "not the password")
    unknown_user = login(server.browser(), "nobody", PASSWORD)
    too_long = login(server.browser(), "alice", "p" * 300)
    errors = [
        assert_error(r, 401, "bad_credentials") for r in (wrong_password, unknown_user, too_long)
    ]
    assert errors[0] == errors[1] == errors[2]
    for response in (wrong_password, unknown_user, too_long):
        assert (
            "set-cookie" not in response.headers
            or "wb_session" not in response.headers["set-cookie"]
        )


def test_every_login_makes_a_new_token_and_ends_the_old_one(alice: Browser, server: Server) -> None:
    first = alice.session_token
    assert first
    response = login(alice, "alice")
    assert response.status_code == 200
    second = alice.session_token
    assert second
    assert second != first
    assert user_for_token(server, first) is None
    user = user_for_token(server, second)
    assert user is not None
    assert user["username"] == "alice"
    assert len(sessions_of(server.db, "alice")) == 1


def test_a_session_cookie_planted_before_login_is_not_kept(alice: Browser, server: Server) -> None:
    """Session fixation: a token the browser had before logging in never becomes a session."""
    planted = "planted-token-value"
    browser = server.browser()
    response = browser.post(
        "/api/auth/login",
        json={"username": "alice", "password": PASSWORD},
        headers={"cookie": f"wb_session={planted}; wb_csrf={browser.csrf_token()}"},
    )
    assert response.status_code == 200
    assert browser.session_token != planted
    assert user_for_token(server, planted) is None


def test_logout_clears_the_cookie_and_ends_the_session(alice: Browser, server: Server) -> None:
    token = alice.session_token
    assert token
    response = alice.post("/api/auth/logout")
    assert response.status_code == 200
    assert response.json()["user"] is None
    cleared = set_cookies(response)["wb_session"]
    assert cleared.startswith(("wb_session=;", 'wb_session="";'))
    assert cookie_attributes(cleared)["max-age"] == "0"
    assert alice.whoami() is None
    assert user_for_token(server, token) is None
    assert sessions_of(server.db, "alice") == []


def test_logout_when_anonymous_is_harmless(anon: Browser) -> None:
    assert anon.post("/api/auth/logout").status_code == 200


@pytest.mark.parametrize("token", ["garbage", "x" * 101, ""])
def test_unknown_tokens_are_anonymous(server: Server, token: str) -> None:
    assert user_for_token(server, token) is None


def test_only_a_hash_of_the_token_is_stored(alice: Browser, server: Server) -> None:
    token = alice.session_token
    assert token
    [row] = sessions_of(server.db, "alice")
    assert row["id"] == sessions.token_id(token)
    assert token not in str(row)


# -- expiry --------------------------------------------------------------------------------


def test_a_session_idles_out(alice: Browser, server: Server) -> None:
    set_session_times(server.db, "alice", last_seen_at=timedelta(days=13, hours=23))
    server.app.state.sessions.clear()  # the cache notices expiry up to 10 s late
    assert alice.whoami() is not None  # just inside the 14 days
    set_session_times(server.db, "alice", last_seen_at=timedelta(days=14, minutes=1))
    server.app.state.sessions.clear()  # the cache notices expiry up to 10 s late
    assert alice.whoami() is None


def test_use_keeps_a_session_alive(alice: Browser, server: Server) -> None:
    set_session_times(server.db, "alice", last_seen_at=timedelta(days=13))
    server.app.state.sessions.clear()  # the cache notices expiry up to 10 s late
    before = sessions_of(server.db, "alice")[0]["last_seen_at"]
    assert alice.whoami() is not None
    after = sessions_of(server.db, "alice")[0]["last_seen_at"]
    assert times.parse_iso(after) - times.parse_iso(before) > timedelta(days=12)


def test_a_session_ends_at_its_lifetime_even_when_used(alice: Browser, server: Server) -> None:
    set_session_times(server.db, "alice", created_at=timedelta(days=29, hours=23))
    server.app.state.sessions.clear()  # the cache notices expiry up to 10 s late
    assert alice.whoami() is not None
    set_session_times(server.db, "alice", created_at=timedelta(days=30, minutes=1))
    server.app.state.sessions.clear()  # the cache notices expiry up to 10 s late
    assert alice.whoami() is None


def test_configured_expiry_and_pruning_at_start(
    make_server: Callable[..., Server],
) -> None:
    settings = {"session_idle_days": 0.01, "session_max_days": 0.02}  # 14.4 and 28.8 minutes
    server = make_server(**settings)
    admin = server.user("admin")
    alice = server.user("alice")
    set_session_times(server.db, "admin", last_seen_at=timedelta(minutes=10))
    server.app.state.sessions.clear()  # the cache notices expiry up to 10 s late
    set_session_times(server.db, "alice", last_seen_at=timedelta(minutes=15))
    server.app.state.sessions.clear()  # the cache notices expiry up to 10 s late
    assert admin.whoami() is not None
    assert alice.whoami() is None
    assert len(sessions_of(server.db, "alice")) == 1  # refused, but still there until pruned

    set_session_times(server.db, "admin", created_at=timedelta(minutes=30))

    server.app.state.sessions.clear()  # the cache notices expiry up to 10 s late
    assert admin.whoami() is None

    restarted = make_server(**settings)  # same data_dir: start-up prunes dead sessions
    assert sessions_of(restarted.db, "alice") == []
    assert sessions_of(restarted.db, "admin") == []


def test_session_cookie_lives_as_long_as_the_session(make_server: Callable[..., Server]) -> None:
    server = make_server(session_idle_days=1, session_max_days=2)
    response = server.browser().post(
        "/api/auth/signup", json={"username": "admin", "password": PASSWORD}
    )
    assert int(cookie_attributes(set_cookies(response)["wb_session"])["max-age"]) == 2 * DAY


# -- the admin's settings ------------------------------------------------------------------


def test_admin_closes_and_reopens_signup(admin: Browser, server: Server) -> None:
    assert admin.get("/api/admin/settings").json() == {"open_signup": True}
    response = admin.put("/api/admin/settings", json={"open_signup": False})
    assert response.status_code == 200
    assert response.json() == {"open_signup": False}
    assert admin.get("/api/admin/settings").json() == {"open_signup": False}
    assert server.browser().get("/api/session").json() == {"user": None, "open_signup": False}

    refused = server.browser().post(
        "/api/auth/signup", json={"username": "alice", "password": PASSWORD}
    )
    assert_error(refused, 403, "signup_closed")

    assert admin.put("/api/admin/settings", json={"open_signup": True}).status_code == 200
    signup(server.browser(), "alice")


def test_settings_are_for_the_admin_only(alice: Browser, anon: Browser) -> None:
    assert_error(alice.get("/api/admin/settings"), 403, "admin_only")
    assert_error(alice.put("/api/admin/settings", json={"open_signup": False}), 403, "admin_only")
    assert_error(anon.get("/api/admin/settings"), 403, "login_required")
    assert_error(
        anon.put("/api/admin/settings", json={"open_signup": False}), 403, "login_required"
    )
    assert alice.get("/api/session").json()["open_signup"] is True


def test_closed_signup_still_lets_the_first_account_in(
    make_server: Callable[..., Server],
) -> None:
    server = make_server(open_signup=False)
    assert server.browser().get("/api/session").json()["open_signup"] is False
    admin = server.user("admin")
    me = admin.whoami()
    assert me is not None
    assert me["is_admin"] is True
    refused = server.browser().post(
        "/api/auth/signup", json={"username": "alice", "password": PASSWORD}
    )
    assert_error(refused, 403, "signup_closed")
    admin.put("/api/admin/settings", json={"open_signup": True})
    signup(server.browser(), "alice")
