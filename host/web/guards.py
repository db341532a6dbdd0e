"""The protections every browser-facing request gets.

- CSRF: every request that changes something must carry the CSRF token (Litestar's signed
  double-submit cookie, header `X-CSRF-Token`) and, when the browser says where it comes
  from (`Origin`, `Sec-Fetch-Site`), come from Widgetbox's own origin. A request that proves
  who it is with an API token instead (`tokens/auth.py`) skips both: they protect the
  cookies a browser sends by itself, and a token is sent only by whoever holds it.
- Security headers on every response; a strict Content-Security-Policy on pages.
- The server's own signing key (`server.key` in the data folder).
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from litestar.config.csrf import CSRFConfig
from litestar.enums import ScopeType
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from widgetbox.host.config import Config
from widgetbox.host.errors import Forbidden
from widgetbox.host.tokens.auth import token_of

log = logging.getLogger("widgetbox.host")

CSRF_HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


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


# -- middleware ----------------------------------------------------------------------------


class CsrfMiddleware(CSRFMiddleware):
    """Litestar's CSRF check (and the cookie it sets on pages), for every request but those
    authenticated by an API token. It is the app's middleware, inside `TokenMiddleware`,
    rather than Litestar's `csrf_config`, which would run it for every request."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if token_of(scope) is not None:
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class SameOriginMiddleware:
    """Refuse state-changing browser requests that come from another site.

    Browsers say where a request comes from (`Origin`, and `Sec-Fetch-Site` in modern
    ones); a request from a page on another origin (another site, or a GUI app's own
    origin) is refused before any handler runs. Requests without these headers (scripts,
    curl) still need the CSRF token, unless they come with an API token.
    """

    def __init__(
        self, app: ASGIApp, origins: frozenset[str], exclude: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.origins = origins
        self.exclude = exclude

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method") if scope["type"] == ScopeType.HTTP else None
        if method in UNSAFE and not self._excluded(scope) and token_of(scope) is None:
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


def security_headers(config: Config) -> dict[str, str]:
    """The headers every response of Widgetbox's origin carries, where it has not set its
    own."""
    extra = {"strict-transport-security": "max-age=31536000"} if config.https else {}
    return {**SECURITY_HEADERS, **extra}


def add_security_headers(config: Config) -> Any:
    """A `before_send` hook adding the headers every response of the IDE carries. It sees
    every response the app sends, errors included (an `after_request` hook would miss
    those raised before or outside a handler: 404, 405, CSRF, 413, 429, 500)."""
    every = [(name.encode(), value.encode()) for name, value in security_headers(config).items()]

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            present = {name.lower() for name, _ in headers}
            message["headers"] = headers + [pair for pair in every if pair[0] not in present]

    return before_send
