"""Who is asking, and the protections every browser-facing request gets.

- Sessions: a random token in a host-only cookie (HttpOnly, SameSite=Lax, Secure and
  `__Host-` prefixed when served over HTTPS), looked up on every request; idle and absolute
  expiry; a new token at every log-in.
- CSRF: every request that changes something must carry the CSRF token (Litestar's signed
  double-submit cookie, header `X-CSRF-Token`) and, when the browser says where it comes
  from (`Origin`, `Sec-Fetch-Site`), come from Widgetbox's own origin.
- Security headers on every response; a strict Content-Security-Policy on pages.
- Rate limits on log-in and sign-up, per client address.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Cookie, MutableScopeHeaders, State
from litestar.di import NamedDependency
from litestar.enums import ScopeType
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from widgetbox.host.accounts import users as accounts
from widgetbox.host.accounts.users import User
from widgetbox.host.config import Config
from widgetbox.host.errors import Forbidden, LoginRequired
from widgetbox.host.storage.database import Database
from widgetbox.host.storage.full_disk import is_disk_full

log = logging.getLogger("widgetbox.host")

CSRF_HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def session_cookie_name(config: Config) -> str:
    return "__Host-wb_session" if config.https else "wb_session"


def csrf_cookie_name(config: Config) -> str:
    return "__Host-wb_csrf" if config.https else "wb_csrf"


def server_secret(data_dir: Path) -> str:
    """A random key made on first start and kept in the data folder (0600), for signing."""
    path = data_dir / "server.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def csrf_config(config: Config, secret: str, exclude: list[str]) -> CSRFConfig:
    return CSRFConfig(
        secret=secret,
        cookie_name=csrf_cookie_name(config),
        header_name=CSRF_HEADER,
        cookie_secure=config.https,
        cookie_httponly=False,  # the page's script reads it to send it back as a header
        cookie_samesite="lax",
        exclude=exclude or None,  # an empty list would exclude every path
    )


def rate_limit(config: Config) -> RateLimitConfig:
    return RateLimitConfig(
        rate_limit=("minute", config.login_attempts_per_minute),
        set_rate_limit_headers=True,
        store="rate_limits",
    )


def widget_rate_limit(config: Config) -> RateLimitConfig:
    """Widgets' HTTP APIs, per client address."""
    return RateLimitConfig(
        rate_limit=("minute", config.http_requests_per_minute),
        set_rate_limit_headers=True,
        store="widget_rate_limits",
    )


# -- the viewer ----------------------------------------------------------------------------


def session_cookie(config: Config, token: str) -> Cookie:
    return Cookie(
        key=session_cookie_name(config),
        value=token,
        path="/",
        max_age=int(config.session_max_days * 86400),
        secure=config.https,
        httponly=True,
        samesite="lax",
    )


def expired_session_cookie(config: Config) -> Cookie:
    return dataclasses.replace(session_cookie(config, ""), max_age=0, expires=0)


def limits(config: Config) -> tuple[timedelta, timedelta]:
    return timedelta(days=config.session_idle_days), timedelta(days=config.session_max_days)


class SessionCache:
    """Recently seen sessions, so most requests need no database read to know who asks.

    An entry lives `TTL` seconds; log-out and log-in forget the token at once, so only an
    expiry can be noticed up to `TTL` late.
    """

    TTL = 10.0
    MAX = 10_000

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, accounts.SessionState]] = {}

    def get(self, token: str) -> accounts.SessionState | None:
        entry = self._entries.get(token)
        if entry is None or entry[0] < time.monotonic():
            self._entries.pop(token, None)
            return None
        return entry[1]

    def put(self, token: str, found: accounts.SessionState) -> None:
        if len(self._entries) >= self.MAX:
            self._entries.clear()
        self._entries[token] = (time.monotonic() + self.TTL, found)

    def forget(self, token: str) -> None:
        self._entries.pop(token, None)

    def clear(self) -> None:
        self._entries.clear()


async def current_viewer(request: Request[Any, Any, State], state: State) -> User | None:
    """The signed-in user, or None (a Litestar dependency, named `viewer` in handlers)."""
    config: Config = state.config
    token = request.cookies.get(session_cookie_name(config))
    if not token or len(token) > 100:
        return None
    cache: SessionCache = state.sessions
    found = cache.get(token)
    if found is None:
        db: Database = state.db
        idle, lifetime = limits(config)
        found = await db.read(accounts.session_user, token, idle, lifetime)
        if found is None:
            return None
        if found.needs_touch:
            try:
                await db.write(accounts.touch_session, found.session_id)
            except Exception as e:
                if not is_disk_full(e):
                    raise
                # a session's last use is a courtesy write: reading must work on a full disk
                log.warning("a session's last use could not be recorded: the disk is full")
        cache.put(token, found)
    return found.user


Viewer = NamedDependency[User | None]
"""How a handler declares it wants the `viewer` dependency."""


def require_user(viewer: User | None) -> User:
    if viewer is None:
        raise LoginRequired("login_required", "Log in to do this.")
    return viewer


def require_admin(viewer: User | None) -> User:
    user = require_user(viewer)
    if not user.is_admin:
        raise Forbidden("admin_only", "Only the admin can do this.")
    return user


# -- middleware ----------------------------------------------------------------------------


class SameOriginMiddleware:
    """Refuse state-changing browser requests that come from another site.

    Browsers say where a request comes from (`Origin`, and `Sec-Fetch-Site` in modern
    ones); a request from a page on another origin (another site, or a GUI app's own
    origin) is refused before any handler runs. Requests without these headers (scripts,
    curl) still need the CSRF token.
    """

    def __init__(
        self, app: ASGIApp, origins: frozenset[str], exclude: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.origins = origins
        self.exclude = exclude

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method") if scope["type"] == ScopeType.HTTP else None
        if method in UNSAFE and not self._excluded(scope):
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            origin = headers.get("origin")
            site = headers.get("sec-fetch-site")
            if (origin and origin not in self.origins) or site in {"cross-site", "same-site"}:
                raise Forbidden(
                    "cross_origin",
                    "Requests that change something must come from Widgetbox's own pages.",
                )
        await self.app(scope, receive, send)

    def _excluded(self, scope: Scope) -> bool:
        return bool(self.exclude) and str(scope["path"]).startswith(self.exclude)


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
}


def add_security_headers(config: Config) -> Any:
    """A `before_send` hook adding the headers every response of the IDE carries. It sees
    every response the app sends, errors included (an `after_request` hook would miss
    those raised before or outside a handler: 404, 405, CSRF, 413, 429, 500)."""
    extra = {"strict-transport-security": "max-age=31536000"} if config.https else {}

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            headers = MutableScopeHeaders.from_message(message)
            for name, value in {**SECURITY_HEADERS, **extra}.items():
                if name not in headers:
                    headers[name] = value

    return before_send
