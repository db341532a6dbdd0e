"""The real app served by uvicorn on a loopback port, in a thread of the test process, and
clients that talk to it over real HTTP (httpx): for widgets' HTTP APIs and the services
their code uses, where the sandbox, the bridge and the network all take part.

Every step goes over HTTP, set-up included (sign-up, creating and saving widgets): one app,
one event loop, one database, as in production.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from argon2 import PasswordHasher
from litestar import Litestar

from tests.server._client import PASSWORD, assert_error_shape
from widgetbox.host.accounts import users as accounts
from widgetbox.host.accounts.sessions import cookie_name as session_cookie_name
from widgetbox.host.app import create_app
from widgetbox.host.config import Config, load
from widgetbox.host.web.guards import csrf_cookie_name
from widgetbox.runtime import FINISHED

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
TIMEOUT = 30.0
"""Seconds any one HTTP exchange with the server may take in these tests."""


class Client:
    """One visitor with its own cookie jar, over real HTTP. Like Widgetbox's pages, it sends
    the CSRF token (from the `wb_csrf` cookie) in `X-CSRF-Token` on unsafe /api requests."""

    def __init__(self, live: Live) -> None:
        self.live = live
        self.http = httpx.Client(base_url=live.base, timeout=TIMEOUT)
        self.username: str | None = None

    def close(self) -> None:
        self.http.close()

    @property
    def session_token(self) -> str | None:
        return self.http.cookies.get(session_cookie_name(self.live.config))

    def csrf_token(self) -> str:
        name = csrf_cookie_name(self.live.config)
        token = self.http.cookies.get(name)
        if token is None:
            self.http.get("/api/session")
            token = self.http.cookies.get(name)
        assert token, "no CSRF cookie after a GET"
        return token

    def request(self, method: str, url: str, *, csrf: bool = True, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if csrf and method.upper() in {"POST", "PUT", "PATCH", "DELETE"}:
            headers.setdefault("x-csrf-token", self.csrf_token())
        return self.http.request(method, url, headers=headers, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def options(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("OPTIONS", url, **kwargs)

    def api(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """A request to Widgetbox's own API; every error must be in the one error shape."""
        if method.upper() == "POST" and not {"json", "content", "data"} & set(kwargs):
            kwargs["json"] = {}
        response = self.request(method, url, **kwargs)
        if response.status_code >= 400:
            assert_error_shape(response)
        return response

    # -- the common steps -------------------------------------------------------------------

    def signup(self, username: str) -> None:
        response = self.api(
            "POST", "/api/auth/signup", json={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 201, response.text
        self.username = username

    def login(self, username: str) -> None:
        """Sign in as `username`, an account made earlier (on this data folder)."""
        response = self.api(
            "POST", "/api/auth/login", json={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        self.username = username

    def create_widget(self, kind: str, title: str = "A widget", **fields: Any) -> dict[str, Any]:
        response = self.api("POST", "/api/widgets", json={"kind": kind, "title": title, **fields})
        assert response.status_code == 201, response.text
        widget: dict[str, Any] = response.json()
        return widget

    def save(self, slug: str, files: dict[str, str]) -> int:
        """Save `files` as the widget's new latest version; returns its number."""
        head = self.api("GET", f"/api/widgets/{slug}").json()["head_version"]
        response = self.api(
            "POST",
            f"/api/widgets/{slug}/versions",
            json={"base_version": head, "files": files, "message": "test"},
        )
        assert response.status_code == 201, response.text
        version: int = response.json()["version"]
        return version

    def widget_with(
        self, kind: str, files: dict[str, str], visibility: str = "private", title: str = "W"
    ) -> str:
        """A new widget of `kind` holding `files`; returns its slug."""
        slug: str = self.create_widget(kind, title, visibility=visibility)["slug"]
        self.save(slug, files)
        return slug

    def logs(self, slug: str) -> list[dict[str, Any]]:
        """The widget's HTTP requests and server calls, newest first."""
        response = self.api("GET", f"/api/widgets/{slug}/logs")
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["runs"]
        return found

    def last_log_id(self, slug: str) -> int:
        """The id of the widget's newest log entry (0 when there is none)."""
        found = self.logs(slug)
        return int(found[0]["id"]) if found else 0

    def wait_for_logs(
        self,
        slug: str,
        after: int,
        count: int = 1,
        path: str | None = None,
        deadline: float = 10.0,
    ) -> list[dict[str, Any]]:
        """The log entries newer than `after` (for requests to `path`, if given), newest
        first, once there are `count` of them. Requests are logged in batches, a moment
        after they are answered, so an earlier request may be logged after `after` too."""
        until = time.monotonic() + deadline
        while True:
            found = [
                entry
                for entry in self.logs(slug)
                if entry["id"] > after and (path is None or entry["request"]["path"] == path)
            ]
            if len(found) >= count:
                return found
            assert time.monotonic() < until, f"{len(found)} of {count} log entries appeared"
            time.sleep(0.02)

    def run_detail(self, run_id: int) -> dict[str, Any]:
        response = self.api("GET", f"/api/runs/{run_id}")
        assert response.status_code == 200, response.text
        detail: dict[str, Any] = response.json()
        return detail

    def run_script(self, slug: str, deadline: float = 30.0) -> dict[str, Any]:
        """Start a run of the widget and wait for it to finish; returns the run's record."""
        response = self.api("POST", f"/api/widgets/{slug}/runs")
        assert response.status_code == 202, response.text
        run_id = response.json()["id"]
        return self.wait_for_run(run_id, deadline)

    def wait_for_run(self, run_id: int, deadline: float = 30.0) -> dict[str, Any]:
        until = time.monotonic() + deadline
        while True:
            detail = self.run_detail(run_id)
            if detail["status"] in FINISHED:
                return detail
            assert time.monotonic() < until, f"run {run_id} did not finish: {detail}"
            time.sleep(0.02)


class Live:
    """A running server: its address, settings and app, and the clients made for it."""

    def __init__(self, base: str, config: Config, app: Litestar) -> None:
        self.base = base
        self.config = config
        self.app = app
        self._clients: list[Client] = []

    def client(self) -> Client:
        """A new anonymous visitor."""
        client = Client(self)
        self._clients.append(client)
        return client

    def user(self, username: str) -> Client:
        """A new visitor, signed up as `username` (the first one is the admin)."""
        client = self.client()
        client.signup(username)
        return client

    def close_clients(self) -> None:
        for client in self._clients:
            client.close()


@contextmanager
def serve(data_dir: Path, **settings: Any) -> Iterator[Live]:
    """The app with these settings, served on a loopback port until the block ends. The
    socket is bound first, so the app's configured origin names the real port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    overrides = {
        "data_dir": data_dir,
        "host": "127.0.0.1",
        "port": port,
        "log_level": "warning",
        "login_attempts_per_minute": 10_000,
        "pool_size": 1,
        **settings,
    }
    # an empty settings file: never the developer's ./widgetbox.toml or WIDGETBOX_* variables
    settings_file = data_dir.parent / f"{data_dir.name}.toml"
    settings_file.write_text("")
    config = load(settings_file, environ={}, overrides=overrides)
    app = create_app(config)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=5, server_header=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    with pytest.MonkeyPatch.context() as patch:
        # Sign-ups in module-scoped servers too: Argon2id with tiny costs.
        patch.setattr(accounts, "_hasher", FAST_HASHER)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive(), "the server stopped while starting"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        live = Live(f"http://127.0.0.1:{port}", config, app)
        try:
            yield live
        finally:
            live.close_clients()
            server.should_exit = True
            thread.join(30)
            sock.close()
            assert not thread.is_alive(), "the server did not stop"
