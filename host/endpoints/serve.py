"""Widgets' HTTP APIs, served at `/w/{slug}/{path}`: every request in a fresh interpreter.

What the widget's code sees is exactly the request, minus Widgetbox's own credentials: the
`Cookie` header (Widgetbox's session and CSRF cookies live on this origin) and the CSRF
header are removed before the request enters the sandbox, and what it would make the guest
hash is bounded first (`bounds.py`). What comes back is checked (`answers.py`): only headers
on an allow-list reach the caller, and every response carries
`Content-Security-Policy: sandbox`, so HTML a widget returns runs, if at all, in an opaque
origin that cannot act as the signed-in user.

Private widgets' APIs answer only their owner (404 for everyone else); unlisted and public
ones answer anyone. Requests are rate-limited per client address and bodies are capped.

A route whose `HttpResponse` body is a generator streams (`streams.py`): its status and
headers go with the first chunk it yields, then each chunk as it comes, chunked; the run's
limits hold for the whole stream, and a caller that goes away stops the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from litestar import Request, Response, Router, route
from litestar.datastructures import Cookie, State
from litestar.enums import HttpMethod
from litestar.params import FromPath
from litestar.response import Stream
from litestar.utils.path import normalize_path

from widgetbox.host.app_sessions.visit import HTTP, Visit
from widgetbox.host.config import Config
from widgetbox.host.endpoints import bounds
from widgetbox.host.endpoints.answers import (
    NO_BODY_STATUSES,
    WIDGET_RESPONSE_HEADERS,
    allowed_response_header,
)
from widgetbox.host.endpoints.streams import ResponseStream, retrieve
from widgetbox.host.errors import Moved, NotFound
from widgetbox.host.runs.admission import QUEUE_FULL
from widgetbox.host.runs.runner import Runner
from widgetbox.host.web.dependencies import (
    app_sessions_of,
    config_of,
    current_viewer,
    db_of,
    runner_of,
)
from widgetbox.host.web.errors import body, moved, respond
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.records import Widget
from widgetbox.runtime import (
    LOAD_APP_TYPE,
    TOO_LONG,
    Code,
    HttpRequest,
    HttpResponse,
    Limits,
    LoadApp,
    ResponseChunk,
    RunResult,
    Status,
    load_app_in,
)

log = logging.getLogger("widgetbox.host")

PREFIX = "/w/"
STREAM_HEADERS = {"x-accel-buffering": "no"}
"""Widgetbox's own headers on a streamed response: a reverse proxy in front (nginx) passes
each chunk on at once rather than buffering the response."""
RUN_HEADER = "x-widgetbox-run"
"""On a failed request's generic 500, when the requester is the widget's owner signed in to
Widgetbox (their session cookie, on Widgetbox's origin): the id of the request's log entry,
whose traceback the try-it panel then reads from the owner-only `GET /api/runs/{id}`. The
answer itself never carries the traceback, and a widget cannot set the header
(answers.py drops `x-widgetbox-*`)."""
RECORDED_WAIT = 2.0
"""Seconds a failed owner's request waits for its log entry to be written (batched every
0.1 s: request_log.py); after that it is answered without the id."""
HIDDEN_REQUEST_HEADERS = frozenset({"cookie", "x-csrf-token"})
"""Widgetbox's own credentials (its session and CSRF cookies live on this origin): never
passed to the widget."""

LoadAppPage = Callable[[LoadApp, list[Cookie]], Response[Any]]
"""The app's page for a route's `FormResponse` (as the runtime read its body), given the
visit's cookies."""

ALL_METHODS = [
    HttpMethod.GET,
    HttpMethod.POST,
    HttpMethod.PUT,
    HttpMethod.PATCH,
    HttpMethod.DELETE,
    HttpMethod.OPTIONS,
    HttpMethod.HEAD,
]


def _error(status: int, code: str, message: str) -> Response[Any]:
    return Response(
        body(status, code, message), status_code=status, headers=WIDGET_RESPONSE_HEADERS
    )


def _failure(result: RunResult) -> Response[Any]:
    """The caller learns that it failed, never why: the owner reads why in the logs."""
    return _failure_of(result.status)


async def _failure_for(result: RunResult, recorded: asyncio.Future[int] | None) -> Response[Any]:
    """A failure's generic answer; for the owner, with the id of the request's log entry
    (`RUN_HEADER`), which only they may read (`GET /api/runs/{id}`: its traceback)."""
    answer = _failure(result)
    if recorded is not None:
        with contextlib.suppress(TimeoutError):  # the log waits for room on a full disk
            run_id = await asyncio.wait_for(asyncio.shield(recorded), RECORDED_WAIT)
            answer.headers[RUN_HEADER] = str(run_id)
    return answer


def _failure_of(status: Status) -> Response[Any]:
    if status is Status.TIMEOUT:
        return _error(500, "timeout", TOO_LONG)
    messages = {
        Status.MEMORY: ("out_of_memory", "The widget ran out of memory."),
        Status.OUTPUT_LIMIT: ("output_limit", "The widget printed more than it may."),
        Status.KILLED: ("stopped", "The widget's code was stopped."),
    }
    code, message = messages.get(
        status,
        ("widget_error", "The widget's code failed; its owner can see why in the widget's logs."),
    )
    return _error(500, code, message)


def _missing(slug: str) -> Response[Any]:
    return _error(404, "not_found", f"There is no HTTP API at {PREFIX}{slug}.")


async def serve_request(request: Request[Any, Any, State], slug: str, path: str) -> Response[Any]:
    """The answer to a request for the API of the widget at `slug`, at its `path` (by
    Litestar's route, or directly: `direct.py`)."""
    # the services through the typed accessors, not as Litestar dependencies: resolving
    # those would cost every request of this hot path a task group
    state = request.app.state
    runner = runner_of(state)
    with runner.runtime.handling_request():  # scripts give way meanwhile
        return await _answer(request, state, runner, slug, path)


async def _answer(
    request: Request[Any, Any, State], state: State, runner: Runner, slug: str, path: str
) -> Response[Any]:
    config, db = config_of(state), db_of(state)
    viewer = await current_viewer(request, state)

    head = await runner.heads.get(slug)  # from memory while no save has changed it
    if head is None:
        new = await db.read(widgets.new_address, slug, viewer)  # a former address
        return _missing(slug) if new is None else moved(request, Moved(slug, new))
    if not widgets.can_read(head.widget, viewer):
        try:  # not everyone's to read: the one rule that decides (owners, reviewers)
            await db.read(widgets.readable, slug, viewer)
        except NotFound:
            return _missing(slug)
    widget, code = head.widget, head.code
    if widget.kind != "http":
        return _error(404, "not_found", f"{slug!r} is not an HTTP API widget.")
    client = request.client.host if request.client else ""
    visit = app_sessions_of(state).ephemeral(widget, code.files, HTTP, client)
    return await run_route(
        request,
        runner,
        config,
        widget,
        code,
        path,
        f"{config.origin}{PREFIX}{slug}",
        visit,
        owner=widgets.is_owner(widget, viewer),
    )


async def run_route(
    request: Request[Any, Any, State],
    runner: Runner,
    config: Config,
    widget: Widget,
    code: Code,
    path: str,
    origin: str,
    visit: Visit,
    *,
    owner: bool = False,
    load_app: LoadAppPage | None = None,
) -> Response[Any]:
    """Answer `request` with the widget's `@anvil.server.route`s at `path` (a widget's API
    here; a GUI app's `/_/api/` on its own origin, app_sessions/app_routes.py), the run's visit
    given (its session and cookies; their changes come back as `Set-Cookie`). `owner`:
    the requester is the widget's owner, signed in to Widgetbox, so a failure's generic
    answer names its log entry (`RUN_HEADER`). `load_app`: a GUI app's, whose routes may
    answer with the app's page (`FormResponse`, `AppResponder`: gui/load_app.py)."""
    refused = bounds.request_problem(
        (name for name, _ in request.scope["headers"]), request.scope.get("query_string", b"")
    )
    if refused is not None:
        return _error(refused.status, refused.code, refused.message)
    body_bytes = await request.body()
    if len(body_bytes) > config.http.http_max_body_bytes:
        return _error(
            413,
            "too_large",
            f"Request bodies may be at most {config.http.http_max_body_bytes:,} bytes.",
        )
    headers = {
        k.lower(): v for k, v in request.headers.items() if k.lower() not in HIDDEN_REQUEST_HEADERS
    }
    form: dict[str, str] = {}
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        refused = bounds.form_problem(request.scope.get("query_string", b""), body_bytes)
        if refused is not None:
            return _error(refused.status, refused.code, refused.message)
        form = dict(parse_qsl(body_bytes.decode("utf-8", "replace"), keep_blank_values=True))
    elif media_type == "application/json" or media_type.endswith("+json"):
        refused = bounds.json_problem(body_bytes)
        if refused is not None:
            return _error(refused.status, refused.code, refused.message)
    client = request.client.host if request.client else ""
    call = HttpRequest(
        method=request.method,
        path="/" + path.lstrip("/"),
        query=dict(request.query_params.items()),
        form=form,
        headers=headers,
        body=body_bytes,
        origin=origin,
        remote_address=client,
        app=load_app is not None,
    )
    limits = Limits.request().with_(
        stream_chunk_bytes=config.http.http_stream_chunk_bytes,
        stream_bytes=config.http.http_stream_max_bytes,
    )
    stream = ResponseStream(limits.timeout)
    loaded: list[LoadApp] = []

    def check(answer: HttpResponse) -> str | None:
        """Why the answer cannot be sent: a stream's checks, and for a GUI app's route that
        answers with the app, its body as the runtime reads it (kept in `loaded`); a
        problem makes the run an error in the owner's log, as for any answer."""
        problem = stream.check(answer)
        if problem is None and load_app is not None and answer.content_type == LOAD_APP_TYPE:
            try:
                loaded.append(load_app_in(answer.body))
            except ValueError as e:
                return str(e)
        return problem

    recorded = asyncio.get_running_loop().create_future() if owner else None
    running = asyncio.create_task(
        runner.request(
            widget,
            call,
            {"method": request.method, "path": call.path, "client": client},
            check=check,
            code=code,
            context={"visit": visit},
            limits=limits,
            on_chunk=stream.take,
            cancel=stream.cancel,
            recorded=recorded,
        ),
        # a streamed run outlives this handler: it must not count as its request's work
        context=runner.runtime.outliving_request(),
    )
    stream.watch(running)
    first = await stream.first()
    if first is not None and first.head is not None:
        return _streamed(stream, first, first.head, running, visit)
    try:
        result = await running
    except QUEUE_FULL as e:
        return respond(e, WIDGET_RESPONSE_HEADERS)
    if not result.ok or result.response is None:
        return await _failure_for(result, recorded)
    answer = result.response
    if load_app is not None and loaded:
        return load_app(loaded[0], visit.response_cookies())
    # HTTP has no body with these statuses (Litestar refuses to send one: a 500)
    content = b"" if answer.status in NO_BODY_STATUSES else answer.body
    return Response(
        content,
        status_code=answer.status,
        headers=_out_headers(answer),
        cookies=visit.response_cookies(),
    )


def _out_headers(answer: HttpResponse) -> dict[str, str]:
    out_headers = {k: v for k, v in answer.headers.items() if allowed_response_header(k)}
    out_headers.update(WIDGET_RESPONSE_HEADERS)  # none is on the allow-list: belt and braces
    return out_headers


def _streamed(
    stream: ResponseStream,
    first: ResponseChunk,
    head: HttpResponse,
    running: asyncio.Task[RunResult],
    visit: Visit,
) -> Response[Any]:
    """A route that streams: its status and headers now, with the cookies set so far, then
    each chunk as the run yields it (chunked), until the run ends."""
    running.add_done_callback(retrieve)  # no one awaits it from here
    problem = stream.check(head)
    if problem is not None:
        stream.refuse(f"The widget's response could not be sent: {problem}")
        return _failure_of(Status.ERROR)
    headers = _out_headers(head)
    media_type = headers.pop("content-type", "application/octet-stream")
    headers.update(STREAM_HEADERS)
    return Stream(
        stream.body(first),
        status_code=head.status,
        headers=headers,
        media_type=media_type,
        cookies=visit.response_cookies(),
    )


ROOT_NAME = "widget_api_root"
PATH_NAME = "widget_api_path"
"""The two routes' names, by which `direct.py` finds them."""
ROOT_TEMPLATE = PREFIX + "{slug}"
PATH_TEMPLATE = PREFIX + "{slug}/{path}"
"""The two routes' path templates, as the metrics label requests."""


class ApiRoute(NamedTuple):
    """A request's path under `PREFIX`, read as Litestar's router reads it."""

    template: str
    """`ROOT_TEMPLATE` or `PATH_TEMPLATE`."""
    slug: str
    path: str
    """Within the widget's API: `/` at its root."""
    normalized: str
    """The whole path, normalized (`normalize_path`: no doubled or trailing slashes)."""


def api_route(path: str) -> ApiRoute | None:
    """Which route of a widget's API serves `path`, and with what; None when it names no
    widget (`/w/` alone) or is not under `PREFIX`."""
    normalized = normalize_path(path)
    if not normalized.startswith(PREFIX):
        return None
    slug, _, rest = normalized[len(PREFIX) :].partition("/")
    if not slug:
        return None
    template = PATH_TEMPLATE if rest else ROOT_TEMPLATE
    return ApiRoute(template, slug, "/" + rest, normalized)  # a part of it: normalized too


@route(PREFIX + "{slug:str}", http_method=ALL_METHODS, include_in_schema=False, name=ROOT_NAME)
async def widget_root(request: Request[Any, Any, State], slug: FromPath[str]) -> Response[Any]:
    return await serve_request(request, slug, "/")


@route(
    PREFIX + "{slug:str}/{path:path}",
    http_method=ALL_METHODS,
    include_in_schema=False,
    name=PATH_NAME,
)
async def widget_path(
    request: Request[Any, Any, State], slug: FromPath[str], path: FromPath[str]
) -> Response[Any]:
    return await serve_request(request, slug, path)


def router(config: Config, rate_limit: Any) -> Router:
    """The widget API routes, rate-limited per client address, with their own body cap."""
    return Router(
        path="/",
        route_handlers=[widget_root, widget_path],
        middleware=[rate_limit],
        request_max_body_size=config.http.http_max_body_bytes + 1,
    )
