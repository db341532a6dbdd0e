"""Widgets' HTTP API requests served directly, ahead of Litestar's routing and middleware.

Every request to a widget's API runs a fresh interpreter, and the server's own share of it
was the larger part of its cost: of 0.85 ms of the server's CPU per hello request, the
handler and the run's dispatch took about half, and the other half went to the way in
and out (uvicorn, Litestar's routing, the app's middleware, which a widget's API needs
little of, its guards, its signature model, its wrapped `send`s). So the app's outermost
callable hands an ordinary request under `/w/` to `serve`, which does here what that
way does for it, with the same parts:

- the route's path as Litestar reads it (`serve.api_route`), its handler (registered as
  usual: its body cap, what `Request` needs), and its path template for the metrics;
- the rate limit per client address (`SiteLimits.widget_requests`), counted and said in
  the `RateLimit-*` headers of every answer;
- the same handler function (`serve.serve_request`), the same answer to any exception
  (`web.errors.handle`), and the app's `before_send` hooks (the security headers);
- the request counted and timed under its route (`health/requests.py`).

Any request out of the ordinary goes Litestar's whole way instead, where every refusal is
made in one place: a method no route takes, a Host header Litestar would refuse (or one
this cannot vouch for), a Widgetbox API token (refused there, never handed to a widget), a
body larger than the cap by its `Content-Length`, a client over its rate limit (counted
there), a root path. `tests/server/test_direct_path.py` sends the same requests both
ways and compares the answers.
"""

from __future__ import annotations

import re
import time
from typing import Any

from litestar import Litestar, Request
from litestar.handlers import HTTPRouteHandler
from litestar.types import HTTPScope, Message, Receive, Send

from widgetbox.host.endpoints import serve
from widgetbox.host.health.requests import counted
from widgetbox.host.tokens.auth import bearer
from widgetbox.host.tokens.records import PREFIX as TOKEN_PREFIX
from widgetbox.host.web.errors import handle
from widgetbox.host.web.limits import PerMinute, client_key

METHODS = frozenset(method.value for method in serve.ALL_METHODS)
PLAIN_HOST = re.compile(rb"[0-9A-Za-z.\-:\[\]]*")
"""Host headers served here: plain names, addresses and ports, a subset of those Litestar
accepts (anything else goes its way, to be accepted or refused there)."""


class Direct:
    """Serves ordinary requests to widgets' HTTP APIs for `app` (see the module)."""

    def __init__(self, app: Litestar, limit: PerMinute) -> None:
        """`limit`: the widget APIs' rate limit. The app's routes are registered by now:
        their handlers are looked up here, so a missing one stops the app from being made."""
        self.app = app
        self.limit = limit
        self.handlers = {
            serve.ROOT_TEMPLATE: _registered(app, serve.ROOT_NAME),
            serve.PATH_TEMPLATE: _registered(app, serve.PATH_NAME),
        }
        self.max_body = self.handlers[serve.PATH_TEMPLATE].resolve_request_max_body_size() or 0
        """The routes' body cap (their router's): a longer `Content-Length` goes Litestar's way."""

    def _ordinary(self, scope: HTTPScope) -> bool:
        """Whether Litestar's way would refuse none of this request before its handler."""
        if scope.get("root_path") or scope["method"] not in METHODS:
            return False
        for name, value in scope["headers"]:
            if name == b"host" and not PLAIN_HOST.fullmatch(value):
                return False
            if name == b"content-length" and not (value.isdigit() and int(value) <= self.max_body):
                return False
        token = bearer(scope)
        if token is not None and token.startswith(TOKEN_PREFIX):
            return False
        return self.limit.used(client_key(scope)) < self.limit.limit

    async def serve(self, scope: HTTPScope, receive: Receive, send: Send) -> bool:
        """Answer this HTTP request if it is an ordinary one to a widget's API; False when
        it is left to Litestar."""
        path = str(scope["path"])
        if not path.startswith(serve.PREFIX) or not self._ordinary(scope):
            return False
        route = serve.api_route(path)
        if route is None:
            return False
        started = time.perf_counter()
        template, slug, route_path = route.template, route.slug, route.path
        key = client_key(scope)
        self.limit.count(key)
        extra = self.limit.encoded_headers(key)
        method = str(scope["method"])
        app = self.app
        scope["app"] = scope["litestar_app"] = app
        scope.setdefault("state", {})
        scope["path"] = route.normalized
        at_root = template == serve.ROOT_TEMPLATE
        scope["path_params"] = {"slug": slug} if at_root else {"slug": slug, "path": route_path}
        scope["route_handler"] = self.handlers[template]
        scope["path_template"] = template
        sent = False

        async def sending(message: Message) -> None:
            nonlocal sent
            if message["type"] == "http.response.start":
                sent = True
                message["headers"] = [*message.get("headers", ()), *extra]
                counted(app.state.metrics, template, method, message["status"], started)
            for hook in app.before_send:
                await hook(message, scope)
            await send(message)

        request: Request[Any, Any, Any] = Request(scope, receive, send)
        try:
            response = await serve.serve_request(request, slug, route_path)
        except Exception as e:  # answered as Litestar's exception handler answers it
            response = handle(request, e)
        try:
            await response.to_asgi_response(None, request)(scope, receive, sending)
        except Exception as e:
            if sent:
                raise
            await handle(request, e).to_asgi_response(None, request)(scope, receive, sending)
        return True


def _registered(app: Litestar, name: str) -> HTTPRouteHandler:
    """The HTTP route handler `name` as `app` registered it (its layers resolved)."""
    index = app.get_handler_index_by_name(name)
    handler = index["handler"] if index is not None else None
    if not isinstance(handler, HTTPRouteHandler):
        raise LookupError(f"the app has no HTTP route named {name!r}")
    return handler
