"""Shared by the server tier's tests of apps' sessions and Users service: a GUI app with the
Users service on, and a browser on the app's own origin (its cookies kept, as a browser
keeps them for `<slug>.localhost`)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from argon2 import PasswordHasher

from tests.server._client import Browser
from tests.server.conftest import Server
from widgetbox.host.app_users import passwords
from widgetbox.host.widgets.starters import TEMPLATES

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
PASSWORD = "a long enough password"


def fast_hashing() -> None:
    passwords.set_hasher(FAST_HASHER)


def app_url(server: Server, slug: str, path: str = "/") -> str:
    return f"http://{slug}.{server.config.apps_host}{path}"


def make_app(
    owner: Browser,
    title: str,
    server_code: str,
    *,
    visibility: str = "public",
    users: dict[str, Any] | None = None,
    **extra: str,
) -> str:
    """A GUI app with `server_code`, its Users service on with `users` (off with None)."""
    slug: str = owner.create_widget("gui", title, visibility=visibility)["slug"]
    files = {**TEMPLATES["gui"], "server.py": server_code, **extra}
    saved = owner.post(f"/api/widgets/{slug}/versions", json={"base_version": 1, "files": files})
    assert saved.status_code == 201, saved.text
    if users is not None:
        turned = owner.put(f"/api/widgets/{slug}/users/settings", json={"enabled": True, **users})
        assert turned.status_code == 200, turned.text
    return slug


class Visitor:
    """A browser on an app's origin: server calls, `anvil.users` requests, its cookies."""

    def __init__(self, server: Server, slug: str, browser: Browser | None = None) -> None:
        self.server = server
        self.slug = slug
        self.browser = browser or server.browser()
        self.client = self.browser.client

    @property
    def origin(self) -> str:
        return app_url(self.server, self.slug, "")

    def post(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        headers = {"origin": self.origin, **kwargs.pop("headers", {})}
        return self.client.post(self.origin + path, json=body, headers=headers, **kwargs)

    def call_answer(self, name: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        response = self.post("/_/call", {"name": name, "args": list(args), "kwargs": kwargs})
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        answer = self.call_answer(name, *args, **kwargs)
        assert "value" in answer, answer
        return answer["value"]

    def raised(self, name: str, *args: Any, **kwargs: Any) -> tuple[str, str]:
        answer = self.call_answer(name, *args, **kwargs)
        assert "exception" in answer, answer
        return answer["exception"]["type"], answer["exception"]["message"]

    def users(self, op: str, **data: Any) -> dict[str, Any]:
        response = self.post("/_/users", {"op": op, **data})
        assert response.status_code == 200, response.text
        frame: dict[str, Any] = response.json()
        return frame

    def ok(self, op: str, **data: Any) -> Any:
        frame = self.users(op, **data)
        assert set(frame) == {"ok"}, frame
        return frame["ok"]

    def refused(self, op: str, **data: Any) -> tuple[str, str]:
        frame = self.users(op, **data)
        assert set(frame) == {"error"}, frame
        return frame["error"]["kind"], frame["error"]["message"]

    def cookie(self, name: str) -> str | None:
        value: str | None = self.client.cookies.get(name)
        return value

    def forget_cookie(self, name: str) -> None:
        for cookie in list(self.client.cookies.jar):
            if cookie.name == name:
                self.client.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)


def basic(email: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{email}:{password}".encode()).decode()
    return {"authorization": f"Basic {token}"}


def cookie_payload(value: str) -> dict[str, Any]:
    """What a signed cookie holds (readable, not forgeable)."""
    body = value.split(".", maxsplit=1)[0]
    found: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return found
