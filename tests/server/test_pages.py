"""The pages: the landing page's forms, the dashboard, the code page's owner-only parts, and
the static files they load."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.server._client import Browser, set_cookies
from tests.server._data import set_session_times
from tests.server.conftest import Server

pytestmark = pytest.mark.server

BUILD = Path(__file__).resolve().parents[2] / "client" / "build"


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
    assert re.search(r'<script type="module" src="/static/pages/home-\w+\.js"></script>', html)
    assert re.search(r'<link rel="stylesheet" href="/static/app-\w+\.css">', html)
    assert "<script>" not in html  # no inline script: the CSP allows none


def test_signed_in_users_get_their_dashboard(alice: Browser, bob: Browser) -> None:
    alice.create_widget(title="Alice's first", visibility="public")
    alice.create_widget("http", "Alice's API")
    bob.create_widget(title="Bob's own")
    html = page(alice)
    assert "Your widgets" in html
    assert '<span class="sr-only">Signed in as </span>alice</span>' in html
    assert 'href="/admin"' not in html
    assert "Alice&#39;s first" in html
    assert "Alice&#39;s API" in html
    assert "Bob&#39;s own" not in html
    assert 'data-action="logout"' in html
    assert 'data-form="signup"' not in html


def test_a_new_account_sees_an_empty_dashboard(alice: Browser) -> None:
    html = page(alice)
    assert "No widgets yet" in html
    for kind in ("script", "scheduled", "http"):
        assert f'href="/new?kind={kind}"' in html


def test_the_admin_dashboard_shows_the_examples(admin: Browser) -> None:
    html = page(admin)
    assert 'href="/admin"' in html
    for title in ("Hello, script", "A scheduled report", "Hello API", "Hello, app"):
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


def test_the_code_page_shows_the_packages_panel_to_the_owner_only(
    alice: Browser, bob: Browser
) -> None:
    slug = alice.create_widget(title="Shared", visibility="public")["slug"]
    owner = alice.get(f"/widgets/{slug}")
    assert owner.status_code == 200
    assert '<section class="packages"' in owner.text
    assert 'data-action="edit-requirements"' in owner.text
    reader = bob.get(f"/widgets/{slug}")
    assert reader.status_code == 200
    assert 'data-action="fork"' in reader.text
    assert '<section class="packages"' not in reader.text


def built(kind: str) -> list[str]:
    """The built files of one kind (".js" or ".css"), relative to the build folder."""
    return [
        path.relative_to(BUILD).as_posix() for path in BUILD.rglob(f"*{kind}") if path.is_file()
    ]


@pytest.mark.parametrize(
    ("kind", "content_type"), [(".js", "text/javascript"), (".css", "text/css")]
)
def test_built_files_are_served_immutable_and_gzipped(
    anon: Browser, kind: str, content_type: str
) -> None:
    names = built(kind)
    assert names, "the client is not built: run `just client`"
    for name in names:
        plain = anon.client.get(f"/static/{name}", headers={"accept-encoding": "identity"})
        assert plain.status_code == 200
        assert plain.headers["content-type"].startswith(content_type)
        assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert plain.content == (BUILD / name).read_bytes()
        zipped = anon.client.get(f"/static/{name}", headers={"accept-encoding": "gzip"})
        assert zipped.headers.get("content-encoding") == "gzip"
        assert zipped.content == plain.content  # httpx inflates it
        head = anon.client.head(f"/static/{name}")
        assert head.status_code == 200
        assert head.content == b""


@pytest.mark.parametrize(
    "path", ["manifest.json", ".widgetbox-built", "../pyproject.toml", "pages/../../build.mjs"]
)
def test_only_built_files_can_be_fetched(anon: Browser, path: str) -> None:
    assert anon.get(f"/static/{path}").status_code == 404
