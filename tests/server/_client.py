"""Helpers for the server tier: browser-like clients over Litestar's in-process TestClient.

A `Browser` has its own cookie jar and behaves like Widgetbox's own pages: it fetches the
CSRF cookie with a GET and sends it back in the `X-CSRF-Token` header on every request that
changes something. Every error response it sees is checked against the one error shape.
"""

from __future__ import annotations

from typing import Any

import httpx
from litestar.testing import TestClient

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PASSWORD = "correct horse battery staple"


def assert_error_shape(response: httpx.Response) -> dict[str, Any]:
    """The body is `{"error": {"status", "code", "message", "details"}}` and its status is
    the response's."""
    assert response.headers.get("content-type", "").startswith("application/json"), (
        response.status_code,
        response.headers.get("content-type"),
        response.text[:200],
    )
    body = response.json()
    assert isinstance(body, dict)
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error, dict), body
    assert set(error) == {"status", "code", "message", "details"}, body
    assert error["status"] == response.status_code, body
    assert isinstance(error["code"], str), body
    assert error["code"], body
    assert isinstance(error["message"], str), body
    assert error["message"], body
    assert isinstance(error["details"], dict), body
    shaped: dict[str, Any] = error
    return shaped


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """An error response with this status (and code), in the error shape; returns the error."""
    assert response.status_code == status, (response.status_code, response.text)
    error = assert_error_shape(response)
    if code is not None:
        assert error["code"] == code, error
    return error


class Browser:
    """One visitor: a cookie jar, and the CSRF token sent on unsafe requests."""

    def __init__(self, client: TestClient[Any], csrf_cookie: str, session_cookie: str) -> None:
        self.client = client
        self.csrf_cookie = csrf_cookie
        self.session_cookie = session_cookie

    @property
    def session_token(self) -> str | None:
        return self.client.cookies.get(self.session_cookie)

    def csrf_token(self) -> str:
        token = self.client.cookies.get(self.csrf_cookie)
        if token is None:
            self.client.get("/api/session")
            token = self.client.cookies.get(self.csrf_cookie)
        assert token, "no CSRF cookie after a GET"
        return token

    def request(self, method: str, url: str, *, csrf: bool = True, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if csrf and method.upper() in UNSAFE:
            headers.setdefault("x-csrf-token", self.csrf_token())
        response = self.client.request(method, url, headers=headers, **kwargs)
        if response.status_code >= 400:
            assert_error_shape(response)
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """POST with a JSON body; `{}` when none is given (as the pages send)."""
        if "json" not in kwargs and "content" not in kwargs and "data" not in kwargs:
            kwargs["json"] = {}
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    # -- the common steps ----------------------------------------------------------------

    def whoami(self) -> dict[str, Any] | None:
        response = self.get("/api/session")
        assert response.status_code == 200
        user: dict[str, Any] | None = response.json()["user"]
        return user

    def create_widget(
        self, kind: str = "script", title: str = "A widget", **fields: Any
    ) -> dict[str, Any]:
        response = self.post("/api/widgets", json={"kind": kind, "title": title, **fields})
        assert response.status_code == 201, response.text
        widget: dict[str, Any] = response.json()
        return widget

    def widget(self, slug: str) -> dict[str, Any]:
        response = self.get(f"/api/widgets/{slug}")
        assert response.status_code == 200, response.text
        widget: dict[str, Any] = response.json()
        return widget

    def save(
        self, slug: str, files: dict[str, str], base_version: int, message: str = ""
    ) -> httpx.Response:
        return self.post(
            f"/api/widgets/{slug}/versions",
            json={"base_version": base_version, "files": files, "message": message},
        )


def tampered(signed: str) -> str:
    """`signed` (ending in a base64 MAC) with one character of the MAC changed, so it can
    never still verify: not one of the last two, which may already be the replacement or
    carry only padding bits (a forgery that is the original 1 time in 1,024)."""
    at = len(signed) - 3
    return signed[:at] + ("B" if signed[at] == "A" else "A") + signed[at + 1 :]


def signup(browser: Browser, username: str, password: str = PASSWORD) -> dict[str, Any]:
    """Sign `browser` up as `username`; returns the new user."""
    response = browser.post("/api/auth/signup", json={"username": username, "password": password})
    assert response.status_code == 201, response.text
    user: dict[str, Any] = response.json()["user"]
    return user


def login(browser: Browser, username: str, password: str = PASSWORD) -> httpx.Response:
    return browser.post("/api/auth/login", json={"username": username, "password": password})


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """The response's Set-Cookie headers, by cookie name."""
    found = {}
    for header in response.headers.get_list("set-cookie"):
        name = header.split("=", 1)[0].strip()
        found[name] = header
    return found


def cookie_attributes(header: str) -> dict[str, str]:
    """A Set-Cookie header's attributes, names lowercased (`httponly` -> '')."""
    attributes = {}
    for part in header.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        attributes[name.lower()] = value
    return attributes
