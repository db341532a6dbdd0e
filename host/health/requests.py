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


def counted(metrics: Metrics, route: str, method: str, status: int, started: float) -> None:
    """Count an answered request under its route template, and time it from `started`
    (`time.perf_counter()`); wherever it was answered (also `endpoints/early.py` and
    `endpoints/direct.py`, ahead of the middleware)."""
    metrics.requests.labels(route, _label(method), str(status)).inc()
    metrics.request_seconds.labels(route).observe(time.perf_counter() - started)


def _label(method: str) -> str:
    """A method as the metrics label it: an unusual one is "other" (a bounded label set)."""
    return method if method in METHODS else "other"


class RequestMetrics(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        started = time.perf_counter()
        route = str(scope.get("path_template") or "other")
        method = str(scope.get("method", "GET"))
        answered = False

        async def counting(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start" and not answered:
                answered = True
                counted(self.metrics, route, method, message["status"], started)
            await send(message)

        try:
            await next_app(scope, receive, counting)
        except Exception:
            if not answered:  # nothing was sent: the server answers 500
                self.metrics.requests.labels(route, _label(method), "500").inc()
            raise
