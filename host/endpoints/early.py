"""HTTP API requests turned away before any of their work while the sandbox is full.

Under overload most requests are refused (503 with `Retry-After`: `runs/admission.py`), and
a refusal must come at once. Made by the handler, each one first went through the whole
web stack (the middleware, routing, the visitor's session, the widget's head), about half a
millisecond of the server's CPU: offered three times what it could serve, the server spent
its cores refusing, answered refusals seconds late and served a seventh of its capacity.
So the app's outermost callable asks the queue first (`RunQueue.refusing`) for a request
of the interactive lane (a widget's HTTP API under `/w/`, a GUI app's own HTTP API or
server call), and
when it would be refused, answers it here, in tens of microseconds, with the same status,
body and headers the handler's refusal has (the API's or the call's own, and those of every
response), counted in the metrics under its route.

Whatever the request (an unknown widget, a bad credential), a full lane refuses it: the
server is busy either way. A request let in meets the queue's own decision in the handler.
"""

from __future__ import annotations

import json
import time

from litestar.datastructures import State
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Scope, Send
from litestar.utils.path import normalize_path

from widgetbox.host.app_sessions.app_routes import API as APP_API
from widgetbox.host.endpoints.answers import WIDGET_RESPONSE_HEADERS
from widgetbox.host.endpoints.serve import PREFIX, api_route
from widgetbox.host.gui.hosts import PREFIX as APPS_PREFIX
from widgetbox.host.gui.requests import CALL_HEADERS
from widgetbox.host.health.requests import counted
from widgetbox.host.web.dependencies import config_of
from widgetbox.host.web.errors import answer
from widgetbox.host.web.guards import security_headers

CALL_PATH = "/_/call"
"""A GUI app's server calls, on its origin."""


def _interactive(scope: Scope) -> tuple[str, dict[str, str]] | None:
    """The route template and own headers of a request the interactive lane would run: a
    widget's HTTP API (`/w/<slug>`), a GUI app's own HTTP API (`/_/api` on its origin, which
    `AppHosts` has moved under `/_apps/<slug>`) or its server call (`/_/call`); None for
    any other request. The path is read as Litestar's router reads it."""
    path = str(scope["path"])
    if path.startswith(PREFIX):
        route = api_route(path)
        return None if route is None else (route.template, WIDGET_RESPONSE_HEADERS)
    if not path.startswith(APPS_PREFIX + "/"):  # every other request: the IDE's
        return None
    parts = normalize_path(path).split("/", 3)  # "", "_apps", the slug, the app's own path
    if len(parts) < 4 or parts[1] != APPS_PREFIX[1:]:
        return None
    own, app = "/" + parts[3], f"{APPS_PREFIX}/{{slug}}"
    if own == CALL_PATH and scope.get("method") == "POST":
        return app + CALL_PATH, CALL_HEADERS
    if own == APP_API:
        return app + APP_API, WIDGET_RESPONSE_HEADERS
    if own.startswith(APP_API + "/"):
        return app + APP_API + "/{path}", WIDGET_RESPONSE_HEADERS
    return None


async def refused(state: State, scope: Scope, send: Send) -> bool:
    """Answer this HTTP request with the queue's refusal if it would be refused now; True
    when it was answered here."""
    started = time.perf_counter()
    runner = getattr(state, "runner", None)  # None until the app has started
    interactive = _interactive(scope)
    if runner is None or interactive is None:
        return False
    busy = runner.queue.refusing()
    if busy is None:
        return False
    route, own_headers = interactive
    answered = answer(busy)
    content = json.dumps(answered.body, separators=(",", ":")).encode()
    headers = {
        **security_headers(config_of(state)),
        **own_headers,
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
    counted(state.metrics, route, str(scope.get("method", "GET")), answered.status, started)
    return True
