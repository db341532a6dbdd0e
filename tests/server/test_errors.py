"""One error shape: `{"error": {"status", "code", "message", "details"}}`, with `status` equal
to the HTTP status, for every error the app sends.

(Every `Browser` request in this tier checks the shape of any error response it gets; the
tests here go after the errors that do not come from the app's own rules.)
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.server._client import Browser, assert_error

pytestmark = pytest.mark.server


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{bad json", "application/json"),
        (b"", "application/json"),
        (b"null", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'{"kind": 5, "title": 6}', "application/json"),
        (b'{"kind": "script"}', "application/json"),
        (b'{"kind": "script", "title": "x", "extra": 1}', "application/json"),
        (b"kind=script&title=x", "application/x-www-form-urlencoded"),
        (b"\xff\xfe", "application/json"),
    ],
)
def test_bad_bodies_are_400s(alice: Browser, content: bytes, content_type: str) -> None:
    response = alice.post("/api/widgets", content=content, headers={"content-type": content_type})
    assert_error(response, 400)
    assert alice.get("/api/widgets").json()["widgets"] == []


def test_validation_errors_say_what_is_wrong(alice: Browser) -> None:
    response = alice.post("/api/widgets", json={"kind": 5, "title": "x"})
    error = assert_error(response, 400, "invalid_request")
    assert "kind" in error["message"]
    [problem] = error["details"]["problems"]
    assert problem["key"] == "kind"
    assert problem["source"] == "body"


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/widgets", {"limit": "many"}),
        ("/api/explore", {"offset": "-5"}),
        ("/api/widgets/hello-script/diff", {"old": "one"}),
        ("/api/widgets/hello-script/diff", {}),
    ],
)
def test_bad_query_parameters_are_400s(admin: Browser, url: str, params: dict[str, Any]) -> None:
    assert_error(admin.get(url, params=params), 400, "invalid_request")


@pytest.mark.parametrize(
    "url",
    [
        "/nothing",
        "/api",
        "/api/nothing",
        "/api/widgets/a/b/c",
        "/api/widgets/hello-script/versions/one",
        "/static/nothing.js",
        "/static/../host/app.py",
        "/static/%2e%2e/templates/base.html",
        "/api/schema/nothing.json",
        "/api/schema/swagger",
    ],
)
def test_unknown_paths_are_404s(admin: Browser, url: str) -> None:
    assert_error(admin.get(url), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("PUT", "/api/session"),
        ("DELETE", "/api/session"),
        ("GET", "/api/auth/login"),
        ("PATCH", "/api/widgets"),
        ("PUT", "/api/widgets/hello-script"),
        ("DELETE", "/api/explore"),
        ("POST", "/"),
        ("POST", "/api/schema/openapi.json"),
    ],
)
def test_wrong_methods_are_405s(admin: Browser, method: str, url: str) -> None:
    response = admin.request(method, url)
    assert_error(response, 405, "method_not_allowed")
    assert "allow" in response.headers


def test_api_rule_errors_carry_their_code_and_details(alice: Browser) -> None:
    alice.create_widget(title="Shape")
    alice.save("shape", {"main.py": "1"}, 1)
    error = assert_error(alice.save("shape", {"main.py": "2"}, 1), 409, "version_conflict")
    assert error["details"] == {"base_version": 1, "head_version": 2}
    assert isinstance(error["message"], str)
