"""What a token may do: its scope, which scope each route of the JSON API needs, and how the
OpenAPI document says so. One rule decides both what the middleware enforces (`auth.py`) and
what the document says (`ScopesPlugin`), so they cannot disagree.

- `read`: every `GET` its owner may make: widgets, versions, diffs, runs and their output,
  logs, schedules, secrets' names, packages, Data Tables.
- `run`: `read`, and starting and stopping runs (`POST /api/widgets/{slug}/runs`,
  `POST /api/runs/{id}/cancel`).
- `write`: `read`, `run`, and every other change: saving versions, settings, schedules,
  secrets, tables, forks, deletions. Write includes run on purpose: a token that may save
  code and set schedules can make code run anyway (a schedule, a widget's public HTTP
  API), so a `write` that excluded `run` would promise a limit it cannot keep; and one
  token is enough for the command line's push-then-run.
- `session`, not a scope a token can have: signing up, in and out, the admin's site
  settings, and managing tokens need a browser session (a token cannot mint tokens).

A route's scope is `read` when it only reads (`GET`) and `write` otherwise, unless it says
otherwise in its `opt` (`opt={TOKEN_SCOPE: RUN}`): a `POST` that only computes (a
schedule's preview) says `read`, the runs' `POST`s say `run`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from litestar.handlers import BaseRouteHandler, HTTPRouteHandler
from litestar.openapi.spec import Operation, Reference, SecurityRequirement, SecurityScheme
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute

Scope = Literal["read", "run", "write"]
Needed = Literal["read", "run", "write", "session"]

READ: Final = "read"
RUN: Final = "run"
WRITE: Final = "write"
SESSION: Final = "session"
SCOPES: tuple[Scope, ...] = (READ, RUN, WRITE)
NEEDS: tuple[Needed, ...] = (*SCOPES, SESSION)

GRANTS: dict[str, frozenset[str]] = {
    READ: frozenset({READ}),
    RUN: frozenset({READ, RUN}),
    WRITE: frozenset({READ, RUN, WRITE}),
}
"""What a token of each scope may do."""

TOKEN_SCOPE = "token_scope"  # noqa: S105 - a name, not a secret
"""The key in a route's `opt` that names the scope it needs, when its method does not."""

API_PREFIX = "/api/"
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

SESSION_SCHEME = "session"
TOKEN_SCHEME = "token"  # noqa: S105 - a name, not a secret
"""The names of the two ways to authenticate in the OpenAPI document's `securitySchemes`."""


def needed(path: str, handler: BaseRouteHandler) -> Needed | None:
    """The scope a token needs for `handler` at `path`, or None when the route is no
    operation of the JSON API (a page, a widget's HTTP API, a GUI app, the OpenAPI
    document itself), where no token is accepted."""
    if (
        not path.startswith(API_PREFIX)
        or not isinstance(handler, HTTPRouteHandler)
        or not handler.resolve_include_in_schema()
    ):
        return None
    declared = handler.opt.get(TOKEN_SCOPE)
    if declared is not None:
        if declared not in NEEDS:
            raise ValueError(f"{handler}: {TOKEN_SCOPE} is {declared!r}")
        found: Needed = declared
        return found
    return READ if handler.http_methods <= READING_METHODS else WRITE


def allows(scope: str, need: Needed) -> bool:
    return need in GRANTS.get(scope, frozenset())


def scopes_allowing(need: Needed) -> list[Scope]:
    return [scope for scope in SCOPES if allows(scope, need)]


# -- the OpenAPI document ------------------------------------------------------------------


def _note(need: Needed) -> str:
    if need == SESSION:
        return (
            "**API tokens:** not accepted: this needs a browser session (the `wb_session` cookie)."
        )
    which = ", ".join(f"`{scope}`" for scope in scopes_allowing(need))
    return f"**API tokens:** needs the `{need}` scope (a token of scope {which})."


def _security(need: Needed) -> list[SecurityRequirement]:
    session: SecurityRequirement = {SESSION_SCHEME: []}
    if need == SESSION:
        return [session]
    return [session, {TOKEN_SCHEME: [str(scope) for scope in scopes_allowing(need)]}]


def _operation_class(need: Needed) -> type[Operation]:
    note, security = _note(need), _security(need)

    @dataclass
    class ScopedOperation(Operation):
        """An operation whose description ends with the scope a token needs for it, and
        whose `security` lists the session and the tokens that may call it."""

        def __post_init__(self) -> None:
            self.description = f"{self.description}\n\n{note}" if self.description else note
            self.security = [dict(requirement) for requirement in security]

    ScopedOperation.__name__ = ScopedOperation.__qualname__ = f"Operation_{need}"
    return ScopedOperation


OPERATION_CLASSES: dict[str, type[Operation]] = {need: _operation_class(need) for need in NEEDS}


class ScopesPlugin(ReceiveRoutePlugin):
    """Writes into every JSON API operation of the OpenAPI document the scope a token needs
    for it (its description's last paragraph and its `security`), from `needed`: the rule
    the middleware enforces."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler in route.route_handlers:
            need = needed(route.path, handler)
            if need is not None:
                handler.operation_class = OPERATION_CLASSES[need]


SECURITY_SCHEMES: dict[str, SecurityScheme | Reference] = {
    SESSION_SCHEME: SecurityScheme(
        type="apiKey",
        security_scheme_in="cookie",
        name="wb_session",
        description=(
            "A browser's session (`__Host-wb_session` over HTTPS), from signing in; requests "
            "that change something also need the CSRF token from the `wb_csrf` cookie in an "
            "`X-CSRF-Token` header."
        ),
    ),
    TOKEN_SCHEME: SecurityScheme(
        type="http",
        scheme="bearer",
        bearer_format="wbt_ and 43 letters and digits",
        description=(
            "A personal access token, made in the account's Settings page, sent as "
            "`Authorization: Bearer <token>`: no cookie or CSRF token needed. Its scope is "
            "`read`, `run` (read and run) or `write` (read, run and change)."
        ),
    ),
}
"""The document's `components.securitySchemes`."""
