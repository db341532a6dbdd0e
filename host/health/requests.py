"""Every routed request counted and timed for the metrics: an ASGI middleware, outermost of
the app's, so refusals by the middleware after it (a bad token, CSRF) are counted too.

Labelled by the route's path template (`/api/widgets/{slug}`), never the path itself, so
the number of series is bounded by the routes Widgetbox declares; paths that match no route
never reach a route's middleware and are not counted.
"""

from __future__ import annotations

import time

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from widgetbox.host.health.metrics import Metrics

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetrics(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        started = time.perf_counter()
        route = str(scope.get("path_template") or "other")
        method = str(scope.get("method", "GET"))
        method = method if method in METHODS else "other"
        counted = False

        async def counting(message: Message) -> None:
            nonlocal counted
            if message["type"] == "http.response.start" and not counted:
                counted = True
                self.metrics.requests.labels(route, method, str(message["status"])).inc()
                self.metrics.request_seconds.labels(route).observe(time.perf_counter() - started)
            await send(message)

        try:
            await next_app(scope, receive, counting)
        except Exception:
            if not counted:  # nothing was sent: the server answers 500
                self.metrics.requests.labels(route, method, "500").inc()
            raise
