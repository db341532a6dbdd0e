"""Widgets' HTTP APIs, served at `/w/{slug}/{path}`: every request in a fresh interpreter.

What the widget's code sees is exactly the request, minus Widgetbox's own credentials: the
`Cookie` header (Widgetbox's session and CSRF cookies live on this origin) and the CSRF
header are removed before the request enters the sandbox. What comes back is checked: only
headers on an allow-list reach the caller (`allowed_response_header`), so a widget cannot set
cookies or policies for Widgetbox's origin, and every response carries
`Content-Security-Policy: sandbox`, so HTML a widget returns runs, if at all, in an opaque
origin that cannot act as the signed-in user.

What a request can make the guest hash before the widget's code runs is bounded (hash
flooding: every interpreter starts from one memory snapshot, so string hashes are the same
in every run): query and form parameters, headers, and the members of JSON objects in a
JSON body are counted, linearly, and refused past their limits before anything enters the
sandbox.

Private widgets' APIs answer only their owner (404 for everyone else); unlisted and public
ones answer anyone. Requests are rate-limited per client address and bodies are capped.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import parse_qsl

from litestar import Request, Response, Router, route
from litestar.datastructures import State
from litestar.enums import HttpMethod
from litestar.params import FromPath

from widgetbox.host.config import Config
from widgetbox.host.errors import NotFound
from widgetbox.host.runs.admission import QUEUE_FULL
from widgetbox.host.runs.runner import Runner
from widgetbox.host.storage.database import Database
from widgetbox.host.web.errors import body, respond
from widgetbox.host.web.security import current_viewer
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.records import Widget
from widgetbox.runtime import TOO_LONG, Code, HttpRequest, HttpResponse, RunResult, Status

log = logging.getLogger("widgetbox.host")

PREFIX = "/w/"
HIDDEN_REQUEST_HEADERS = frozenset({"cookie", "x-csrf-token"})

ALLOWED_RESPONSE_HEADERS = frozenset(
    {
        # the content and how it is encoded (Widgetbox never re-encodes a widget's body)
        "content-type",
        "content-disposition",
        "content-language",
        "content-encoding",
        "content-range",
        "accept-ranges",
        # validators and freshness; `cache-control` stays Widgetbox's `no-store`
        "etag",
        "last-modified",
        "expires",
        "vary",
        "age",
        # CORS as Anvil's `enable_cors` sends it, never with credentials
        "access-control-allow-origin",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-expose-headers",
        "access-control-max-age",
        # redirects, authentication, and the answers routing gives
        "location",
        "www-authenticate",
        "retry-after",
        "allow",
    }
)
"""The headers of a widget's response that reach the caller, besides `x-*` ones
(`allowed_response_header`). Everything else is dropped: cookies (`set-cookie`),
navigation (`refresh`, `link`), policies that belong to Widgetbox's origin (CSP,
`permissions-policy`, `cross-origin-*-policy`, `referrer-policy`, HSTS), state the browser
keeps for the whole origin (`clear-site-data`, `alt-svc`, `nel`, `report-to`, `accept-ch`,
`origin-trial`, `service-worker-allowed`...), credentialed or private-network CORS, and
framing the server computes itself (`content-length`, `transfer-encoding`, `connection`)."""

DROPPED_X_HEADERS = frozenset(
    {
        # security headers: Widgetbox's own (or its middleware's) always apply
        "x-frame-options",
        "x-content-type-options",
        "x-xss-protection",
        "x-permitted-cross-domain-policies",
        "x-dns-prefetch-control",
        "x-download-options",
        "x-ua-compatible",
        "x-content-security-policy",
        "x-content-security-policy-report-only",
        "x-webkit-csp",
        "x-webkit-csp-report-only",
        # Widgetbox's CSRF header, and the usual other names of one
        "x-csrf-token",
        "x-xsrf-token",
        "x-csrftoken",
        # instructions to a reverse proxy in front of Widgetbox (serve a file, an internal
        # location or another URL instead; cache the answer)
        "x-sendfile",
        "x-lighttpd-send-file",
        "x-reproxy-url",
    }
)
DROPPED_X_PREFIXES = ("x-accel-", "x-litespeed-", "x-sendfile-")
"""nginx's `X-Accel-Redirect`, `-Expires`, `-Buffering`...; LiteSpeed's cache controls."""

WIDGET_RESPONSE_HEADERS = {
    "content-security-policy": "sandbox",
    "x-content-type-options": "nosniff",
    "cross-origin-resource-policy": "cross-origin",
    "cache-control": "no-store",
}
ALL_METHODS = [
    HttpMethod.GET,
    HttpMethod.POST,
    HttpMethod.PUT,
    HttpMethod.PATCH,
    HttpMethod.DELETE,
    HttpMethod.OPTIONS,
    HttpMethod.HEAD,
]

MAX_PARAMETERS = 1000
"""Query and form parameters one request may carry, together: the guest builds a dict of
each and merges them into the route's keyword arguments. PHP (`max_input_vars`) and Django
(`DATA_UPLOAD_MAX_NUMBER_FIELDS`) stop at the same number, against the same attack."""
MAX_HEADERS = 100
"""Header fields one request may carry into the sandbox (Widgetbox's cookie and CSRF header
never get there, so they do not count). Browsers send 10 to 20, proxies add a few; Apache
refuses more than 100 by default (`LimitRequestFields`)."""
MAX_JSON_MEMBERS = 10_000
"""Members one JSON object may have, at any depth: in a JSON body of an HTTP API (what
`anvil.server.request.body_json` decodes) and in a GUI app's server call."""
MAX_JSON_MEMBERS_BY_NAMES = 2 * MAX_JSON_MEMBERS**2
"""Members in all times different member names, in one JSON document. The decoder keeps
every name it reads in one dict for the whole document, so each member costs a lookup among
all the different names: a limit per object does not bound that. Twice what one object of
MAX_JSON_MEMBERS different names costs; a list of records (a few names, however many
members) or one map of up to MAX_JSON_MEMBERS entries stays below it."""


_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+")
"""An HTTP token (the sandbox reports header names in lower case)."""
_BAD_HEADER_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
NO_BODY_STATUSES = frozenset({204, 304})


def allowed_response_header(name: str) -> bool:
    """Whether a widget's response may carry this header: one on the allow-list, or a custom
    `x-*` header that means nothing to browsers or proxies."""
    name = name.lower()
    if name in ALLOWED_RESPONSE_HEADERS:
        return True
    return (
        name.startswith("x-")
        and name not in DROPPED_X_HEADERS
        and not name.startswith(DROPPED_X_PREFIXES)
    )


class TooManyMembers(Exception):
    """JSON with an object of more than MAX_JSON_MEMBERS members, or more members times
    different member names than MAX_JSON_MEMBERS_BY_NAMES; the message says which."""


class JsonBounds:
    """An `object_pairs_hook` for `json.loads` that checks the limits as the decoder goes.
    The decoder collects an object's pairs in a list (nothing hashed yet) and calls the hook
    when the object closes, so an oversized object is refused before any dict is built.
    `build=False` only counts (no dict at all); one instance per document."""

    def __init__(self, *, build: bool = True) -> None:
        self.build = build
        self.members = 0
        self.names: set[str] = set()  # the host's hashes are randomised: no flooding here

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any] | None:
        if len(pairs) > MAX_JSON_MEMBERS:
            raise TooManyMembers(f"an object may have at most {MAX_JSON_MEMBERS:,} members")
        self.members += len(pairs)
        self.names.update(name for name, _ in pairs)
        if self.members * len(self.names) > MAX_JSON_MEMBERS_BY_NAMES:
            raise TooManyMembers(
                f"its members ({self.members:,} so far) times its different member names "
                f"({len(self.names):,}) may be at most {MAX_JSON_MEMBERS_BY_NAMES:,}"
            )
        return dict(pairs) if self.build else None


def _field_count(encoded: bytes) -> int:
    """The most fields `parse_qsl` can find in `encoded`: one per `&`-separated piece (the
    count its own `max_num_fields` checks), found without parsing anything."""
    return encoded.count(b"&") + 1 if encoded else 0


def _json_problem(raw: bytes) -> Response[Any] | None:
    """Why a JSON body is refused, or None. Every member of an object has its own `:`, so a
    body with no more `:` than MAX_JSON_MEMBERS (nearly all) is within both limits at once.
    Otherwise it is decoded here, building no dict (`JsonBounds` only counts).

    A body that is not valid JSON is refused then too: the guest's decoder would fill the
    dicts of the objects still open where the error is before it failed."""
    if raw.count(b":") <= MAX_JSON_MEMBERS:
        return None
    try:
        json.loads(raw, object_pairs_hook=JsonBounds(build=False))
    except TooManyMembers as e:
        return _error(413, "too_large", f"A JSON body is refused: {e}.")
    except (ValueError, RecursionError):
        return _error(
            400,
            "invalid_json",
            "The body is not valid JSON; a JSON body with more than "
            f"{MAX_JSON_MEMBERS:,} ':' must be, so that its members can be counted.",
        )
    return None


def _bounds_problem(request: Request[Any, Any, State]) -> Response[Any] | None:
    """Why a request carries too many headers or query parameters for the sandbox, or None:
    counted from the raw request, before anything is parsed."""
    headers = sum(
        1
        for name, _ in request.scope["headers"]
        if name.decode("latin-1").lower() not in HIDDEN_REQUEST_HEADERS
    )
    if headers > MAX_HEADERS:
        return _error(
            431, "too_many_headers", f"A request may carry at most {MAX_HEADERS} headers."
        )
    if _field_count(request.scope.get("query_string", b"")) > MAX_PARAMETERS:
        return _too_many_parameters()
    return None


def _too_many_parameters() -> Response[Any]:
    return _error(
        400,
        "too_many_parameters",
        f"A request may carry at most {MAX_PARAMETERS:,} query and form parameters together.",
    )


def response_problem(answer: HttpResponse) -> str | None:
    """Why the widget's response cannot be sent over HTTP, or None. Checked before the
    request is logged, so the owner reads the reason there; the caller gets a 500."""
    if answer.status < 200:
        return f"an HTTP API answers with a status from 200 to 599, not {answer.status}"
    for name, value in answer.headers.items():
        if not _HEADER_NAME.fullmatch(name):
            return f"{name[:60]!r} is not a valid HTTP header name"
        if _BAD_HEADER_VALUE.search(value):
            return f"the value of the header {name!r} contains a control character"
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            return (
                f"the value of the header {name!r} is not Latin-1 text "
                "(percent-encode other characters)"
            )
    return None


def _error(status: int, code: str, message: str) -> Response[Any]:
    return Response(
        body(status, code, message), status_code=status, headers=WIDGET_RESPONSE_HEADERS
    )


def _failure(result: RunResult) -> Response[Any]:
    """The caller learns that it failed, never why: the owner reads why in the logs."""
    if result.status is Status.TIMEOUT:
        return _error(500, "timeout", TOO_LONG)
    messages = {
        Status.MEMORY: ("out_of_memory", "The widget ran out of memory."),
        Status.OUTPUT_LIMIT: ("output_limit", "The widget printed more than it may."),
        Status.KILLED: ("stopped", "The widget's code was stopped."),
    }
    code, message = messages.get(
        result.status,
        ("widget_error", "The widget's code failed; its owner can see why in the widget's logs."),
    )
    return _error(500, code, message)


async def _serve(request: Request[Any, Any, State], slug: str, path: str) -> Response[Any]:
    runner: Runner = request.app.state.runner
    with runner.runtime.handling_request():  # scripts give way meanwhile
        return await _answer(request, slug, path)


async def _answer(request: Request[Any, Any, State], slug: str, path: str) -> Response[Any]:
    state = request.app.state
    config: Config = state.config
    db: Database = state.db
    runner: Runner = state.runner
    viewer = await current_viewer(request, state)

    def find(database: Any) -> tuple[Widget, Code | None]:
        widget = widgets.readable(database, slug, viewer)
        return widget, runner.code_in(database, widget) if widget.kind == "http" else None

    try:
        widget, code = await db.read(find)  # one trip to the database per request
    except NotFound:
        return _error(404, "not_found", f"There is no HTTP API at {PREFIX}{slug}.")
    if widget.kind != "http":
        return _error(404, "not_found", f"{slug!r} is not an HTTP API widget.")
    refused = _bounds_problem(request)
    if refused is not None:
        return refused
    body_bytes = await request.body()
    if len(body_bytes) > config.http_max_body_bytes:
        return _error(
            413, "too_large", f"Request bodies may be at most {config.http_max_body_bytes:,} bytes."
        )
    headers = {
        k.lower(): v for k, v in request.headers.items() if k.lower() not in HIDDEN_REQUEST_HEADERS
    }
    form: dict[str, str] = {}
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        parameters = _field_count(request.scope.get("query_string", b""))
        if parameters + _field_count(body_bytes) > MAX_PARAMETERS:
            return _too_many_parameters()
        form = dict(parse_qsl(body_bytes.decode("utf-8", "replace"), keep_blank_values=True))
    elif media_type == "application/json" or media_type.endswith("+json"):
        refused = _json_problem(body_bytes)
        if refused is not None:
            return refused
    client = request.client.host if request.client else ""
    call = HttpRequest(
        method=request.method,
        path="/" + path.lstrip("/"),
        query=dict(request.query_params.items()),
        form=form,
        headers=headers,
        body=body_bytes,
        origin=f"{config.origin}{PREFIX}{slug}",
        remote_address=client,
    )
    try:
        result = await runner.request(
            widget,
            call,
            {"method": request.method, "path": call.path, "client": client},
            check=response_problem,
            code=code,
        )
    except QUEUE_FULL as e:
        return respond(e, WIDGET_RESPONSE_HEADERS)
    if not result.ok or result.response is None:
        return _failure(result)
    answer = result.response
    out_headers = {k: v for k, v in answer.headers.items() if allowed_response_header(k)}
    out_headers.update(WIDGET_RESPONSE_HEADERS)  # none is on the allow-list: belt and braces
    # HTTP has no body with these statuses (Litestar refuses to send one: a 500)
    content = b"" if answer.status in NO_BODY_STATUSES else answer.body
    return Response(content, status_code=answer.status, headers=out_headers)


@route(PREFIX + "{slug:str}", http_method=ALL_METHODS, include_in_schema=False)
async def widget_root(request: Request[Any, Any, State], slug: FromPath[str]) -> Response[Any]:
    return await _serve(request, slug, "/")


@route(PREFIX + "{slug:str}/{path:path}", http_method=ALL_METHODS, include_in_schema=False)
async def widget_path(
    request: Request[Any, Any, State], slug: FromPath[str], path: FromPath[str]
) -> Response[Any]:
    return await _serve(request, slug, path)


def router(config: Config, rate_limit: Any) -> Router:
    """The widget API routes, rate-limited per client address, with their own body cap."""
    return Router(
        path="/",
        route_handlers=[widget_root, widget_path],
        middleware=[rate_limit],
        request_max_body_size=config.http_max_body_bytes + 1,
    )
