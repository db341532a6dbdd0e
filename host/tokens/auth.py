"""A request's API token: who it proves and what it may do there (`TokenMiddleware`, on the
whole app). Handlers never see the difference: the `viewer` dependency is the token's
owner (`web/dependencies.py`).

- Only `Authorization: Bearer ...` is a token; other schemes (a proxy's Basic
  authentication, a widget's own) are left alone.
- On an operation of the JSON API a bearer value is always Widgetbox's: an unknown, expired
  or revoked one is a 401 with a JSON error saying which (and `WWW-Authenticate`), never a
  fall-back to the cookie. A good one marks the request (`token_of`), and the browser
  checks (same origin, CSRF: `web/guards.py`) are skipped for it: they protect cookies,
  which a browser sends by itself, and a token is sent only by whoever holds it.
- Anywhere else (pages, widgets' HTTP APIs at `/w/`, GUI apps' origins) a request carrying
  a Widgetbox token (`wbt_...`) is refused (403 `token_not_accepted`) before any handler
  runs, so a token is never handed to a widget's code; other bearer values there are the
  widget's business.
- Failed attempts are counted per client address with the log-in limit (`FailureLimit`):
  beyond it, bearer requests from that address are refused (429) without being checked.
- A token's `last_used_at` is written at most once a minute (`records.TOUCH_EVERY`), and
  not at all when the disk is full.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from widgetbox.host.config import Config
from widgetbox.host.errors import BadCredentials, Forbidden, TooMany
from widgetbox.host.storage.database import Database
from widgetbox.host.storage.full_disk import is_disk_full
from widgetbox.host.tokens import records
from widgetbox.host.tokens.records import TokenUse
from widgetbox.host.tokens.scopes import SESSION, Needed, allows, needed, scopes_allowing
from widgetbox.host.web.errors import respond
from widgetbox.host.web.limits import FailureLimit

log = logging.getLogger("widgetbox.host")

STATE_KEY = "widgetbox_token"
"""Where a request's authenticated token is kept in its scope's state."""

NOT_HERE = (
    "Widgetbox API tokens work only on its JSON API (/api/...), never on its pages, on "
    "widgets' own HTTP APIs or on GUI apps: send this request without the token."
)


def token_of(scope: Scope) -> TokenUse | None:
    """The request's authenticated token, if it came with one."""
    found = scope.get("state", {}).get(STATE_KEY)
    return found if isinstance(found, TokenUse) else None


def bearer(scope: Scope) -> str | None:
    """The value of the request's `Authorization: Bearer` header, if it has one."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, rest = value.decode("latin-1").strip().partition(" ")
            return rest.strip() if scheme.lower() == "bearer" else None
    return None


class TokenMiddleware:
    """Authenticates the bearer token of a request for the JSON API (see the module)."""

    def __init__(self, app: ASGIApp, config: Config) -> None:
        self.app = app
        self.failures = FailureLimit(config, "api_token_failures")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        value = bearer(scope) if scope["type"] == ScopeType.HTTP else None
        if value is None:
            await self.app(scope, receive, send)
            return
        need = needed(scope["path"], scope["route_handler"])
        if need is None:
            if value.startswith(records.PREFIX):
                raise Forbidden("token_not_accepted", NOT_HERE)
            await self.app(scope, receive, send)  # not Widgetbox's: the widget's own scheme
            return
        request: Request[Any, Any, Any] = Request(scope, receive)
        wait = await self.failures.wait(request)
        if wait:
            raise TooMany(
                "too_many_token_failures",
                "Too many wrong API tokens came from this address: wait a minute.",
                retry_after=wait,
            )
        db: Database = request.app.state.db
        try:
            use = await db.read(records.authenticate, value)
        except BadCredentials as error:
            await self.failures.failed(request)
            header = (
                f'Bearer realm="widgetbox", error="invalid_token", error_description="{error.code}"'
            )
            answer = respond(error, {"www-authenticate": header})
            await answer.to_asgi_response(None, request)(scope, receive, send)
            return
        if use.needs_touch:
            try:
                await db.write(records.touch, use.token_id)
            except Exception as e:
                if not is_disk_full(e):
                    raise
                # a token's last use is a courtesy write: the API must work on a full disk
                log.warning("a token's last use could not be recorded: the disk is full")
        check_scope(use, need)
        scope.setdefault("state", {})[STATE_KEY] = use
        await self.app(scope, receive, send)


def check_scope(use: TokenUse, need: Needed) -> None:
    """A request with a token may do only what the token's scope allows there
    (`scopes.needed`). Checked here, by the middleware that knows the token, rather than by
    a guard on the app, which Litestar would run for every request, token or not, on a
    copy of the route's handler it makes each time."""
    if need == SESSION:
        raise Forbidden(
            "session_required",
            "This needs a browser session: sign in to Widgetbox. An API token cannot sign "
            "in or out, change the site's settings, or make, list or revoke tokens.",
        )
    if not allows(use.scope, need):
        which = " or ".join(scopes_allowing(need))
        raise Forbidden(
            "insufficient_scope",
            f"This token's scope is {use.scope}; this needs a token of scope {which}.",
            {"scope": use.scope, "needs": need},
        )
