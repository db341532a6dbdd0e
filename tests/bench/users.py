"""The Users service through the production server (`widgetbox serve`): a GUI app's server
call with `require_user=True`, made by a logged-in browser, against the same call without it
(p50 over real HTTP on the app's own origin, one call at a time on one keep-alive
connection, the two alternating so both see the same machine; the difference is the check:
one bridge call, the app session's row and the user's row read)."""

from __future__ import annotations

import http.client
import json
import time
from http.cookies import SimpleCookie
from typing import Any

from ._http import Session, widgetbox_server
from ._report import Figure, median, percentile

SERVER = """\
import anvil.server
import anvil.users


@anvil.server.callable
def plain(value):
    return value


@anvil.server.callable(require_user=True)
def secret(value):
    return value
"""

GUI_FILES = {
    "server.py": SERVER,
    "forms/Form1.json": json.dumps({"container": {"type": "ColumnPanel"}, "components": []}),
    "forms/Form1.py": (
        "from ._anvil_designer import Form1Template\n\n\n"
        "class Form1(Form1Template):\n"
        "    def __init__(self, **properties):\n"
        "        self.init_components(**properties)\n"
    ),
    "app.json": json.dumps({"startup_form": "Form1", "runtime": "brython"}),
}


class AppClient:
    """A browser on an app's origin: one keep-alive connection, its cookies kept."""

    def __init__(self, base: str, slug: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=30)
        self.host = f"{slug}.localhost:{port}"
        self.cookies: dict[str, str] = {}

    def post(self, path: str, body: Any) -> Any:
        headers = {
            "host": self.host,
            "origin": f"http://{self.host}",
            "content-type": "application/json",
        }
        if self.cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.connection.request("POST", path, json.dumps(body).encode(), headers)
        response = self.connection.getresponse()
        text = response.read()
        for header in response.headers.get_all("set-cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}: {text[:200]!r}")
        return json.loads(text)

    def close(self) -> None:
        self.connection.close()


def _alternating(client: AppClient, names: list[str], rounds: int) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {name: [] for name in names}
    for number in range(rounds):
        for name in names if number % 2 == 0 else reversed(names):
            started = time.perf_counter()
            answer = client.post("/_/call", {"name": name, "args": [number], "kwargs": {}})
            found[name].append(time.perf_counter() - started)
            if answer != {"value": number}:
                raise RuntimeError(f"{name} answered {answer}")
    return found


def run(quick: bool = False) -> list[Figure]:
    rounds = 60 if quick else 300
    settings = {
        "WIDGETBOX_LOGIN_ATTEMPTS_PER_MINUTE": "10000",
        "WIDGETBOX_APP_CALLS_PER_MINUTE": "10000000",
        "WIDGETBOX_POOL_SIZE": "4",
    }
    with widgetbox_server(settings) as base:
        session = Session(base)
        session.call(
            "POST", "/api/auth/signup", {"username": "bench", "password": "benchmark password"}
        )
        widget: Any = session.call(
            "POST", "/api/widgets", {"kind": "gui", "title": "bench users", "visibility": "public"}
        )
        slug = widget["slug"]
        session.call(
            "POST", f"/api/widgets/{slug}/versions", {"base_version": 1, "files": GUI_FILES}
        )
        session.call("PUT", f"/api/widgets/{slug}/users/settings", {"enabled": True})
        client = AppClient(base, slug)
        try:
            signed = client.post(
                "/_/users",
                {"op": "signup", "email": "bench@example.com", "password": "a bench password"},
            )
            if "ok" not in signed:
                raise RuntimeError(f"sign-up failed: {signed}")
            _alternating(client, ["plain", "secret"], 20)  # warm up: bytecode cached, pool full
            timed = _alternating(client, ["plain", "secret"], rounds)
        finally:
            client.close()
    plain_ms = [s * 1000 for s in timed["plain"]]
    secret_ms = [s * 1000 for s in timed["secret"]]
    return [
        Figure(
            "require_user server call round trip, p50",
            median(secret_ms),
            "ms",
            baseline="the same call without require_user, same session, alternating",
            baseline_value=median(plain_ms),
            note=(
                f"p99 {percentile(secret_ms, 99):.2f} ms against {percentile(plain_ms, 99):.2f} ms;"
                f" the check costs {median(secret_ms) - median(plain_ms):.2f} ms at p50"
            ),
        )
    ]
