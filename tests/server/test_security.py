"""The protections every request gets: CSRF, same-origin, security headers, body size, rate
limits, and 500s that reveal nothing."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server._client import PASSWORD, Browser, assert_error, login
from tests.server.conftest import Server
from widgetbox.host.web.guards import SECURITY_HEADERS
from widgetbox.host.widgets import records as widgets

pytestmark = pytest.mark.server

FOREIGN = "https://evil.example"
BUILD = Path(__file__).resolve().parents[2] / "client" / "build"


def unsafe_requests(slug: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    """A state-changing request to each unsafe endpoint, with a valid body."""
    return [
        ("POST", "/api/auth/signup", {"username": "mallory", "password": PASSWORD}),
        ("POST", "/api/auth/login", {"username": "alice", "password": PASSWORD}),
        ("POST", "/api/auth/logout", None),
        ("PUT", "/api/admin/settings", {"open_signup": False}),
        ("PATCH", "/api/admin/users/alice", {"is_admin": True}),
        ("PUT", "/api/admin/limits", {"values": {"runs_per_user": 1}}),
        ("POST", "/api/widgets", {"kind": "script", "title": "Sneaky"}),
        ("PATCH", f"/api/widgets/{slug}", {"title": "Changed"}),
        ("POST", f"/api/widgets/{slug}/versions", {"base_version": 1, "files": {"main.py": "1"}}),
        ("POST", f"/api/widgets/{slug}/versions/1/restore", {}),
        ("POST", f"/api/widgets/{slug}/fork", {}),
        ("DELETE", f"/api/widgets/{slug}", None),
    ]


def unchanged(alice: Browser, slug: str, before: dict[str, Any]) -> None:
    after = alice.widget(slug)
    assert after == before
    assert alice.whoami() is not None
    assert len(alice.get("/api/widgets").json()["widgets"]) == 1


# -- CSRF ----------------------------------------------------------------------------------


def test_unsafe_requests_without_the_csrf_header_are_refused(alice: Browser) -> None:
    slug = alice.create_widget()["slug"]
    before = alice.widget(slug)
    for method, url, body in unsafe_requests(slug):
        response = alice.request(method, url, json=body, csrf=False)
        assert_error(response, 403, "csrf_failed")
    unchanged(alice, slug, before)


@pytest.mark.parametrize("token", ["", "0" * 64, "not-a-token"])
def test_a_wrong_csrf_token_is_refused(alice: Browser, token: str) -> None:
    response = alice.post(
        "/api/widgets", json={"kind": "script", "title": "x"}, headers={"x-csrf-token": token}
    )
    assert_error(response, 403, "csrf_failed")


def test_another_browsers_csrf_token_does_not_fit(alice: Browser, server: Server) -> None:
    """The header must match this browser's own cookie (double submit)."""
    other = server.browser().csrf_token()
    response = alice.post(
        "/api/widgets", json={"kind": "script", "title": "x"}, headers={"x-csrf-token": other}
    )
    assert_error(response, 403, "csrf_failed")


def test_a_csrf_token_from_another_server_does_not_fit(
    make_server: Callable[..., Server], tmp_path: Path
) -> None:
    """Tokens are signed with the server's own key (data_dir/server.key)."""
    elsewhere = make_server(data_dir=tmp_path / "elsewhere").browser()
    foreign_token = elsewhere.csrf_token()
    here = make_server().browser()
    here.client.cookies.set("wb_csrf", foreign_token, domain="testserver.local")
    response = here.post(
        "/api/auth/signup",
        json={"username": "admin", "password": PASSWORD},
        headers={"x-csrf-token": foreign_token},
    )
    assert_error(response, 403, "csrf_failed")


def test_safe_requests_need_no_csrf_token(alice: Browser) -> None:
    assert alice.get("/api/widgets", csrf=False).status_code == 200


def test_the_server_key_is_private(server: Server) -> None:
    key = server.config.server.data_dir / "server.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(key.read_text().strip()) == 64


# -- same origin ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": FOREIGN},
        {"origin": "null"},
        {"origin": "http://localhost:8000.evil.example"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"origin": FOREIGN, "sec-fetch-site": "same-origin"},
    ],
)
def test_cross_origin_changes_are_refused(alice: Browser, headers: dict[str, str]) -> None:
    slug = alice.create_widget()["slug"]
    before = alice.widget(slug)
    for method, url, body in unsafe_requests(slug):
        response = alice.request(method, url, json=body, headers=headers)
        assert_error(response, 403, "cross_origin")
    unchanged(alice, slug, before)


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "http://localhost:8000"},
        {"sec-fetch-site": "same-origin"},
        {"sec-fetch-site": "none"},
        {"origin": "http://localhost:8000", "sec-fetch-site": "same-origin"},
    ],
)
def test_same_origin_changes_pass(alice: Browser, headers: dict[str, str]) -> None:
    response = alice.post("/api/widgets", json={"kind": "script", "title": "x"}, headers=headers)
    assert response.status_code == 201


def test_reads_from_other_origins_are_allowed(alice: Browser) -> None:
    response = alice.get(
        "/api/session", headers={"origin": FOREIGN, "sec-fetch-site": "cross-site"}
    )
    assert response.status_code == 200


def test_the_origin_is_the_public_url(make_server: Callable[..., Server]) -> None:
    server = make_server(public_url="https://widgets.example.com")
    browser = server.browser()
    ok = browser.post(
        "/api/auth/signup",
        json={"username": "admin", "password": PASSWORD},
        headers={"origin": "https://widgets.example.com"},
    )
    assert ok.status_code == 201
    refused = browser.post(
        "/api/widgets",
        json={"kind": "script", "title": "x"},
        headers={"origin": "http://widgets.example.com"},  # not https: another origin
    )
    assert_error(refused, 403, "cross_origin")


# -- security headers ----------------------------------------------------------------------


def assert_security_headers(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "same-origin"


def static_files() -> list[str]:
    """One built script and the built style sheet, as named in the build's manifest."""
    entries = json.loads((BUILD / "manifest.json").read_text())["entries"]
    return [entries["pages/home.js"]["file"], entries["app.css"]["file"]]


def test_security_headers_on_pages_and_api_responses(alice: Browser, anon: Browser) -> None:
    slug = alice.create_widget()["slug"]
    for browser, url in [
        (anon, "/"),
        (alice, "/"),
        (anon, "/api/session"),
        (alice, "/api/widgets"),
        (alice, f"/api/widgets/{slug}"),
        (anon, "/api/explore"),
        *((anon, f"/static/{name}") for name in static_files()),
        (anon, "/api/schema/openapi.json"),
    ]:
        response = browser.get(url)
        assert response.status_code == 200
        assert_security_headers(response)
    created = alice.post("/api/widgets", json={"kind": "script", "title": "x"})
    assert created.status_code == 201
    assert_security_headers(created)
    assert "strict-transport-security" not in created.headers  # plain http here


def test_security_headers_on_error_responses(alice: Browser, anon: Browser) -> None:
    """Every response carries them (security.py), errors included."""
    slug = alice.create_widget()["slug"]
    for response in [
        anon.get("/no/such/page"),
        anon.get("/static/no-such-file.js"),
        anon.get(f"/api/widgets/{slug}"),  # private: 404
        anon.get("/api/widgets"),  # 403 login_required
        alice.post("/api/widgets", json={"kind": "script"}),  # 400
        alice.post("/api/widgets", json={"kind": "script", "title": "x"}, csrf=False),  # 403
        alice.post("/api/widgets", json={}, headers={"origin": FOREIGN}),  # 403
        anon.put("/api/session"),  # 405
    ]:
        assert response.status_code >= 400
        assert_security_headers(response)


def test_hsts_over_https(make_server: Callable[..., Server]) -> None:
    server = make_server(public_url="https://widgets.example.com")
    response = server.browser().get("/api/session")
    assert response.headers["strict-transport-security"] == "max-age=31536000"


# -- request size --------------------------------------------------------------------------


@pytest.fixture
def small_server(make_server: Callable[..., Server]) -> Server:
    return make_server(max_request_bytes=2048)


def test_a_body_over_the_limit_is_refused(small_server: Server) -> None:
    small_server.user("admin")
    owner = small_server.user("owner")
    slug = owner.create_widget()["slug"]
    fits = owner.save(slug, {"main.py": "x" * 1500}, base_version=1)
    assert fits.status_code == 201
    response = owner.save(slug, {"main.py": "x" * 3000}, base_version=2)
    assert_error(response, 413, "too_large")
    assert_security_headers(response)
    assert owner.widget(slug)["head_version"] == 2


def test_a_streamed_body_over_the_limit_is_refused(small_server: Server) -> None:
    """Without a Content-Length the limit is enforced while reading."""
    owner = small_server.user("admin")
    slug = owner.create_widget()["slug"]
    payload = b'{"base_version": 1, "files": {"main.py": "' + b"x" * 4000 + b'"}}'

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(payload), 512):
            yield payload[start : start + 512]

    response = owner.post(
        f"/api/widgets/{slug}/versions",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    assert_error(response, 413, "too_large")
    assert owner.widget(slug)["head_version"] == 1


# -- rate limits ---------------------------------------------------------------------------


def test_login_and_signup_are_rate_limited(make_server: Callable[..., Server]) -> None:
    server = make_server(login_attempts_per_minute=3)
    admin = server.user("admin")  # attempt 1
    assert login(server.browser(), "admin", "wrong password").status_code == 401  # 2
    assert login(server.browser(), "admin").status_code == 200  # 3
    refused = login(server.browser(), "admin")
    assert_error(refused, 429, "too_many_requests")
    assert refused.headers["ratelimit-limit"] == "3"
    assert "ratelimit-reset" in refused.headers
    again = server.browser().post(
        "/api/auth/signup", json={"username": "someone", "password": PASSWORD}
    )
    assert_error(again, 429, "too_many_requests")
    # the rest of the API is not limited
    for _ in range(5):
        assert admin.get("/api/session").status_code == 200
    assert admin.post("/api/widgets", json={"kind": "script", "title": "x"}).status_code == 201


# -- internal errors -----------------------------------------------------------------------


def test_a_500_reveals_nothing(
    alice: Browser, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret detail")

    original = widgets.list_owned
    monkeypatch.setattr(widgets, "list_owned", boom)
    with caplog.at_level(logging.ERROR, logger="widgetbox.host"):
        response = alice.get("/api/widgets")
    error = assert_error(response, 500, "internal_error")
    assert error["details"] == {}
    found = re.search(r"incident ([0-9a-f]{12})", error["message"])
    assert found, error["message"]
    for secret in ("secret detail", "RuntimeError", "Traceback", "boom", ".py"):
        assert secret not in response.text
    assert_security_headers(response)
    # and the next request is served normally
    assert found.group(1) in caplog.text  # the log has the incident id and the details
    assert "secret detail" in caplog.text
    monkeypatch.setattr(widgets, "list_owned", original)
    assert alice.get("/api/widgets").status_code == 200
