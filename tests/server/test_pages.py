"""The pages: the landing page's forms, the dashboard, and the static files they load."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.server._client import Browser, set_cookies
from tests.server._data import set_session_times
from tests.server.conftest import Server

pytestmark = pytest.mark.server

STATIC = Path(__file__).resolve().parents[2] / "client" / "static"


def page(browser: Browser) -> str:
    response = browser.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def assert_landing(html: str) -> None:
    assert 'data-form="signup"' in html
    assert 'data-form="login"' in html
    assert 'name="username"' in html
    assert 'type="password"' in html
    assert "Your widgets" not in html


def test_anonymous_visitors_get_the_signup_and_login_forms(anon: Browser) -> None:
    response = anon.get("/")
    assert "wb_csrf" in set_cookies(response)  # the page's script sends it back
    html = page(anon)
    assert_landing(html)
    assert '<script type="module" src="/static/app.js"></script>' in html
    assert '<link rel="stylesheet" href="/static/app.css">' in html
    assert "<script>" not in html  # no inline script: the CSP allows none


def test_signed_in_users_get_their_dashboard(alice: Browser, bob: Browser) -> None:
    alice.create_widget(title="Alice's first", visibility="public")
    alice.create_widget("http", "Alice's API")
    bob.create_widget(title="Bob's own")
    html = page(alice)
    assert "Your widgets" in html
    assert "Signed in as <strong>alice</strong>" in html
    assert "(admin)" not in html
    assert "Alice&#39;s first" in html
    assert "Alice&#39;s API" in html
    assert "Bob&#39;s own" not in html
    assert 'data-action="logout"' in html
    assert 'data-form="signup"' not in html


def test_a_new_account_sees_an_empty_dashboard(alice: Browser) -> None:
    assert "You have no widgets yet." in page(alice)


def test_the_admin_dashboard_shows_the_examples(admin: Browser) -> None:
    html = page(admin)
    assert "(admin)" in html
    for title in ("Hello, script", "A scheduled report", "Hello API"):
        assert title.replace("'", "&#39;") in html


def test_titles_are_escaped(alice: Browser) -> None:
    alice.create_widget(title="<script>alert(1)</script>")
    html = page(alice)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_logged_out_and_expired_sessions_see_the_landing_page(
    alice: Browser, server: Server
) -> None:
    assert alice.post("/api/auth/logout").status_code == 200
    assert_landing(page(alice))
    bob = server.user("bob")
    set_session_times(server.db, "bob", last_seen_at=timedelta(days=15))
    server.app.state.sessions.clear()  # the cache notices expiry up to 10 s late
    assert_landing(page(bob))


@pytest.mark.parametrize(
    ("name", "content_type"), [("app.js", "text/javascript"), ("app.css", "text/css")]
)
def test_static_files_are_served(anon: Browser, name: str, content_type: str) -> None:
    response = anon.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)
    assert response.content == (STATIC / name).read_bytes()
    head = anon.client.head(f"/static/{name}")
    assert head.status_code == 200
    assert head.content == b""
