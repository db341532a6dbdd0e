"""HTTP API requests turned away before any of their work while the sandbox is full.

Under overload most requests are refused (503 with `Retry-After`: `runs/admission.py`), and
a refusal must come at once. Made by the handler, each one first went through the whole
web stack (the middleware, routing, the visitor's session, the widget's head), about half a
millisecond of the server's CPU: offered three times what it could serve, the server spent
its cores refusing, answered refusals seconds late and served a seventh of its capacity.
So the app's outermost callable asks the queue first (`RunQueue.refusing`) for a request
under `/w/`, and when it would be refused, answers it here, in tens of microseconds, with
the same status, body and headers the handler's refusal has (the widget API's own, and
those of every response of Widgetbox's origin), counted in the metrics under its route.

Whatever the request (an unknown widget, a bad credential), a full lane refuses it: the
server is busy either way. A request let in meets the queue's own decision in the handler.
"""

from __future__ import annotations

import json
import time

from litestar.datastructures import State
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Scope, Send

from widgetbox.host.endpoints.answers import WIDGET_RESPONSE_HEADERS
from widgetbox.host.endpoints.serve import PREFIX
from widgetbox.host.health.requests import METHODS
from widgetbox.host.web.dependencies import config_of
from widgetbox.host.web.errors import answer
from widgetbox.host.web.guards import security_headers


async def refused(state: State, scope: Scope, send: Send) -> bool:
    """Answer this HTTP request with the queue's refusal if it would be refused now; True
    when it was answered here."""
    started = time.perf_counter()
    runner = getattr(state, "runner", None)  # None until the app has started
    if runner is None or not str(scope["path"]).startswith(PREFIX):
        return False
    busy = runner.queue.refusing()
    if busy is None:
        return False
    answered = answer(busy)
    content = json.dumps(answered.body, separators=(",", ":")).encode()
    headers = {
        **security_headers(config_of(state)),
        **WIDGET_RESPONSE_HEADERS,
        **answered.headers,
        "content-type": "application/json",
        "content-length": str(len(content)),
    }
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": answered.status,
        "headers": [(name.encode(), value.encode()) for name, value in headers.items()],
    }
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": content, "more_body": False}
    await send(end)
    metrics = state.metrics
    route = "/w/{slug}/{path}" if "/" in str(scope["path"])[len(PREFIX) :] else "/w/{slug}"
    method = str(scope.get("method", "GET"))
    method = method if method in METHODS else "other"
    metrics.requests.labels(route, method, str(answered.status)).inc()
    metrics.request_seconds.labels(route).observe(time.perf_counter() - started)
    return True
