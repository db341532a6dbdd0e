"""Rate limits, per client address: log-in and sign-up attempts, failed API-token attempts,
calls to widgets' HTTP APIs, and GUI apps' server calls (with their Users service's).

Counted in fixed one-minute windows: one number per address, so the work per request is
the same however many requests came before (Litestar's own limiter keeps and re-encodes
every request's time in the window, which under a flood made each request cost more than
the last, and the host's event loop the bottleneck). A window's counts are dropped when the
next minute starts; an address may send up to twice its limit across a window's edge.
"""

from __future__ import annotations

import time
from typing import Any

from litestar.enums import ScopeType
from litestar.exceptions import TooManyRequestsException
from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from widgetbox.host.config import Config

WINDOW = 60


class PerMinute:
    """At most `limit` requests a minute per client address (a proxy's client address is
    the one uvicorn's proxy headers give)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._window = 0
        self._counts: dict[str, int] = {}

    def __copy__(self) -> PerMinute:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> PerMinute:
        # Litestar deep-copies middleware's arguments as it registers each router: a limit
        # is one count shared by every router given it, and its limit an admin may change
        # while the server runs (admin/limits.py), so every copy is this one.
        return self

    @property
    def middleware(self) -> DefineMiddleware:
        """The ASGI middleware counting every request of the routes it is given to."""
        return DefineMiddleware(_LimitMiddleware, limit=self)

    def _counts_now(self) -> dict[str, int]:
        window = int(time.time()) // WINDOW
        if window != self._window:
            self._window, self._counts = window, {}
        return self._counts

    def reset_in(self) -> int:
        """Seconds until the next window."""
        return max(1, WINDOW - int(time.time()) % WINDOW)

    def used(self, key: str) -> int:
        return self._counts_now().get(key, 0)

    def count(self, key: str) -> None:
        counts = self._counts_now()
        counts[key] = counts.get(key, 0) + 1

    def refusal(self, key: str) -> TooManyRequestsException:
        return TooManyRequestsException(
            detail="Rate limit exceeded",
            headers={**self.headers(key), "Retry-After": str(self.reset_in())},
        )

    def encoded_headers(self, key: str) -> list[tuple[bytes, bytes]]:
        """`headers`, as an ASGI answer carries them."""
        return [
            (name.lower().encode(), value.encode()) for name, value in self.headers(key).items()
        ]

    def headers(self, key: str) -> dict[str, str]:
        remaining = max(0, self.limit - self.used(key))
        return {
            "RateLimit-Policy": f"{self.limit}; w={WINDOW}",
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(self.reset_in()),
        }


def client_key(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class _LimitMiddleware:
    def __init__(self, app: ASGIApp, limit: PerMinute) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        key = client_key(scope)
        if self.limit.used(key) >= self.limit.limit:
            raise self.limit.refusal(key)
        self.limit.count(key)
        extra = self.limit.encoded_headers(key)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def login_limit(config: Config) -> PerMinute:
    """Log-in and sign-up attempts, per client address."""
    return PerMinute(config.security.login_attempts_per_minute)


def widget_limit(config: Config) -> PerMinute:
    """Widgets' HTTP APIs (and GUI apps' own `/_/api/` routes), per client address."""
    return PerMinute(config.http.http_requests_per_minute)


def app_call_limit(config: Config) -> PerMinute:
    """GUI apps' server calls, Data Tables, tasks and Users requests, per client address."""
    return PerMinute(config.gui.app_calls_per_minute)


class FailureLimit:
    """Failures counted per client address with the log-in limit's budget, apart from it:
    where the log-in limit counts every attempt, this counts only those that failed, so a
    program with a good credential is never slowed down, and one that guesses is refused
    (429) before its guesses are even checked."""

    def __init__(self, config: Config, name: str) -> None:
        self.name = name
        self._counts = login_limit(config)

    async def wait(self, request: Any) -> int:
        """Seconds until this address may try again (0: now)."""
        key = client_key(request.scope)
        return 0 if self._counts.used(key) < self._counts.limit else self._counts.reset_in()

    async def failed(self, request: Any) -> None:
        self._counts.count(client_key(request.scope))
