"""A Widgetbox server's JSON API over HTTP, as the command line uses it.

`Remote` sends every request with the login's API token (`Authorization: Bearer`: no
cookie, no CSRF token) and turns every refusal into a `RemoteError` carrying the server's
own message and code, and the exit status the command ends with. `events` reads a run's
server-sent events as they come. `make_token` is the one exchange that needs a browser's
session: it signs in with a password (a cookie jar and the CSRF token, as the IDE's pages
do), makes a token, and signs out again; the cookie is forgotten with the client.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from widgetbox.host.cli.connect import EXIT_CONNECTION, RemoteError

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
USER_AGENT = "widgetbox-cli"
LOGIN_REFUSED = {
    "token_expired": "has expired",
    "token_revoked": "was revoked",
    "token_invalid": "is not valid there",
}


@dataclass(frozen=True)
class Event:
    """One server-sent event: its name and its data, parsed as JSON."""

    kind: str
    data: Any


MAX_MOVES = 5
"""Former addresses followed for one request (a widget renamed again and again)."""


def unreachable(server: str, error: httpx.HTTPError) -> RemoteError:
    reason = str(error) or type(error).__name__
    return RemoteError(
        f"Cannot reach {server}: {reason}.", "unreachable", exit_code=EXIT_CONNECTION
    )


def refusal(server: str, response: httpx.Response) -> RemoteError:
    """The error a refused request stands for, in the server's words when it gave some."""
    status = response.status_code
    if 300 <= status < 400:
        where = response.headers.get("location", "elsewhere")
        return RemoteError(
            f"{server} sends requests to {where}: log in with that address instead.",
            "redirected",
            status,
            exit_code=EXIT_CONNECTION,
        )
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
        details = error.get("details") if isinstance(error.get("details"), dict) else {}
    except (ValueError, KeyError, TypeError):
        return RemoteError(
            f"{server} answered {status} {response.reason_phrase} (is it a Widgetbox server?).",
            "http_error",
            status,
        )
    if code in LOGIN_REFUSED:
        return RemoteError(
            f"Your login to {server} {LOGIN_REFUSED[code]}: log in again "
            f"(widgetbox login {server}).",
            code,
            status,
            exit_code=EXIT_CONNECTION,
        )
    if code == "insufficient_scope":
        message += f" Log in again for a token of the write scope (widgetbox login {server})."
        return RemoteError(message, code, status, details, exit_code=EXIT_CONNECTION)
    retry = response.headers.get("retry-after")
    if retry and status in (429, 503):
        message += f" (try again in {retry} s)"
    return RemoteError(message, code, status, details)


class Remote:
    """One server, with the login's token (or none: only public reads then work)."""

    def __init__(
        self,
        server: str,
        token: str | None,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.server = server
        headers = {"user-agent": USER_AGENT, "accept": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        self.http = httpx.Client(
            base_url=server, headers=headers, timeout=TIMEOUT, transport=transport
        )

    def __enter__(self) -> Remote:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """The answer's JSON (None for an empty answer); RemoteError otherwise."""
        try:
            response = self.http.request(method, path, json=body, params=params)
            for _ in range(MAX_MOVES):
                moved = self.moved_to(response)
                if moved is None:
                    break
                response = self.http.request(method, moved, json=body)
        except httpx.HTTPError as e:
            raise unreachable(self.server, e) from None
        if response.status_code >= 300:
            raise refusal(self.server, response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise RemoteError(
                f"{self.server} answered {path} with something other than JSON.", "not_json"
            ) from None

    def moved_to(self, response: httpx.Response) -> httpx.URL | None:
        """Where a renamed widget's former address now leads (a 308 on this server), or None:
        a redirect elsewhere (another scheme or host) is a refusal, so the token is only
        ever sent to the server it was made for."""
        if response.status_code != 308 or "location" not in response.headers:
            return None
        target = response.url.join(response.headers["location"])
        base = self.http.base_url
        same = (target.scheme, target.host, target.port) == (base.scheme, base.host, base.port)
        return target if same else None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, body={} if body is None else body)

    def pages(self, path: str, key: str, size: int = 200) -> Iterator[dict[str, Any]]:
        """Every item of a paged listing (`limit`, `offset`), in the server's order."""
        offset = 0
        while True:
            page = self.get(path, limit=size, offset=offset)[key]
            yield from page
            if len(page) < size:
                return
            offset += size

    def events(self, path: str) -> Iterator[Event]:
        """The server-sent events at `path`, each as it arrives (no read timeout: a run may
        print nothing for minutes)."""
        timeout = httpx.Timeout(None, connect=10.0)
        headers = {"accept": "text/event-stream"}
        try:
            with self.http.stream("GET", path, headers=headers, timeout=timeout) as response:
                if response.status_code >= 300:
                    response.read()
                    raise refusal(self.server, response)
                for kind, data in parse_events(response.iter_lines()):
                    yield Event(kind, _json(data))
        except httpx.HTTPError as e:
            raise unreachable(self.server, e) from None


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_events(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(event, data) for each event of a text/event-stream, given its lines: `data:` lines
    joined with newlines, `event` "message" unless named, comments and ids skipped."""
    kind = ""
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield kind or "message", "\n".join(data)
            kind, data = "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            kind = value
        elif name == "data":
            data.append(value)
    if data:
        yield kind or "message", "\n".join(data)


# -- signing in with a password ------------------------------------------------------------


@dataclass(frozen=True)
class NewToken:
    value: str
    name: str
    expires_at: str
    username: str


def make_token(
    server: str,
    username: str,
    password: str,
    name: str,
    days: int,
    *,
    transport: httpx.BaseTransport | None = None,
) -> NewToken:
    """Sign in as a browser does, make a `write` token called `name` that expires in
    `days`, sign out. Only the token leaves this function; the session ends here."""
    headers = {"user-agent": USER_AGENT, "accept": "application/json"}
    with httpx.Client(
        base_url=server, headers=headers, timeout=TIMEOUT, transport=transport
    ) as http:

        def send(method: str, path: str, body: Any = None) -> Any:
            csrf = next(
                (value for key, value in http.cookies.items() if key.endswith("wb_csrf")), None
            )
            extra = {"x-csrf-token": csrf} if csrf and method != "GET" else {}
            try:
                response = http.request(method, path, json=body, headers=extra)
            except httpx.HTTPError as e:
                raise unreachable(server, e) from None
            if response.status_code >= 300:
                error = refusal(server, response)
                if error.code == "bad_credentials":
                    error.exit_code = EXIT_CONNECTION
                raise error
            return response.json() if response.content else None

        send("GET", "/api/session")  # the CSRF cookie
        signed_in = send("POST", "/api/auth/login", {"username": username, "password": password})
        try:
            made = send(
                "POST", "/api/tokens", {"name": name, "scope": "write", "expires_in_days": days}
            )
        finally:  # a failed sign-out leaves a session that expires by itself
            with contextlib.suppress(RemoteError):
                send("POST", "/api/auth/logout", {})
    return NewToken(
        value=str(made["value"]),
        name=str(made["token"]["name"]),
        expires_at=str(made["token"]["expires_at"]),
        username=str(signed_in["user"]["username"]),
    )
