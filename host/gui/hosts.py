"""Which origin a request is for: Widgetbox's own, or a GUI widget's app.

Apps are served at `<slug>.<apps domain>` (by default `<slug>.localhost:PORT`), an origin
apart from Widgetbox's: the browser never sends Widgetbox's (host-only) cookies there, and
script on an app cannot read Widgetbox's pages or API answers. One process serves both: before
routing, a request for an app's host name is moved under the internal path `/_apps/<slug>`
(so no route of Widgetbox's own is reachable from an app's origin), and a request that names
that path on any other host finds nothing there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import cast

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import (
    HTTPScope,
    LifeSpanReceive,
    LifeSpanScope,
    LifeSpanSend,
    Receive,
    Scope,
    Send,
)

from widgetbox.host.config import Config

PREFIX = "/_apps"
STATE_KEY = "widgetbox_app"
"""Where the app's slug is kept in the request's state (set only by `AppHosts.route`)."""
NOWHERE = "/_apps-elsewhere"


class AppHosts:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.suffix = "." + config.apps_host

    def slug_for(self, host: str) -> str | None:
        """The slug when `host` (a Host header) names an app, "" when it is under the apps
        domain without naming one, None when it is not an app's host at all."""
        host = host.strip().lower()
        if not host.endswith(self.suffix):
            return None
        label = host[: -len(self.suffix)]
        return "" if not label or "." in label or "/" in label else label

    def route(self, scope: Scope) -> None:
        """Move a request for an app under PREFIX/<slug>; refuse PREFIX on other hosts."""
        host = ""
        for name, value in scope.get("headers", ()):
            if name == b"host":
                host = value.decode("latin-1")
                break
        slug = self.slug_for(host)
        path: str = scope["path"]
        if slug is not None:
            label = slug or "-"
            scope["path"] = f"{PREFIX}/{label}{path}"
            raw: bytes = scope.get("raw_path") or path.encode()
            scope["raw_path"] = f"{PREFIX}/{label}".encode() + raw
            scope.setdefault("state", {})[STATE_KEY] = slug
        elif path == PREFIX or path.startswith(PREFIX + "/"):
            scope["path"] = NOWHERE
            scope["raw_path"] = NOWHERE.encode()


RefuseEarly = Callable[[Scope, Send], Awaitable[bool]]
"""Answers a request before routing when it must be refused at once; True when it did."""
ServeDirectly = Callable[[HTTPScope, Receive, Send], Awaitable[bool]]
"""Answers an ordinary request without Litestar's routing and middleware; True when it did."""


class Widgetbox(Litestar):
    """Litestar, plus the dispatch of app host names (see AppHosts), a refusal before any
    routing while the server is full (`refuse_early`: see `endpoints/early.py`), and
    widgets' APIs served ahead of routing (`serve_directly`: see `endpoints/direct.py`)."""

    __slots__ = ("app_hosts", "refuse_early", "serve_directly")
    app_hosts: AppHosts
    refuse_early: RefuseEarly | None
    serve_directly: ServeDirectly | None

    async def __call__(
        self,
        scope: Scope | LifeSpanScope,
        receive: Receive | LifeSpanReceive,
        send: Send | LifeSpanSend,
    ) -> None:
        if scope["type"] in ("http", "websocket"):
            self.app_hosts.route(scope)
        if scope["type"] == ScopeType.HTTP:
            http, answer = cast(HTTPScope, scope), cast(Send, send)
            refuse, direct = self.refuse_early, self.serve_directly
            if refuse is not None and await refuse(http, answer):
                return
            if direct is not None and await direct(http, cast(Receive, receive), answer):
                return
        await super().__call__(scope, receive, send)


def app_of(scope: Scope) -> str | None:
    """The slug the request's host name names (None on Widgetbox's own origin)."""
    found = scope.get("state", {}).get(STATE_KEY)
    return found if isinstance(found, str) else None
