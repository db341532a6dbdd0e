"""What every request from an app's page to its own origin goes through (server calls, Data
Tables, tasks, sessions, Users): the app's host name, its origin, JSON of bounded size, and
refusals in one shape."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response
from litestar.datastructures import State

from widgetbox.host.config import Config
from widgetbox.host.endpoints.bounds import JsonBounds, TooManyMembers
from widgetbox.host.gui.hosts import app_of
from widgetbox.host.web.errors import body

CALL_MAX_BYTES = 1024 * 1024

NOT_FOUND = (
    "There is no app at this address, or it is private: if it is yours, open it from its page "
    "in Widgetbox."
)

CALL_HEADERS = {"cache-control": "no-store", "content-security-policy": "sandbox"}


def on_app_host(request: Request[Any, Any, State], slug: str) -> bool:
    """Only requests routed here from the app's own host name (never a path typed on
    Widgetbox's origin)."""
    return app_of(request.scope) == slug != ""


def error(status: int, code: str, message: str) -> Response[Any]:
    return Response(body(status, code, message), status_code=status, headers=CALL_HEADERS)


def refused(
    request: Request[Any, Any, State], slug: str, config: Config, what: str
) -> Response[Any] | None:
    """Calls and Data Tables requests come from the app's own pages: its host name, its
    origin, JSON."""
    if not on_app_host(request, slug):
        return error(404, "not_found", NOT_FOUND)
    origin = request.headers.get("origin")
    site = request.headers.get("sec-fetch-site")
    if (origin and origin != config.app_origin(slug)) or site in {"cross-site", "same-site"}:
        return error(403, "cross_origin", f"{what} must come from the app's own page.")
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        return error(415, "unsupported_media_type", f"{what} is sent as JSON.")
    return None


def json_body(raw: bytes, what: str, limit: int = CALL_MAX_BYTES) -> Any:
    """The request's JSON, bounded (at most `limit` bytes, `CALL_MAX_BYTES` unless said;
    objects' members counted as they are read: hash flooding, see `endpoints.bounds`), or
    the refusal."""

    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} cannot be sent")

    if len(raw) > limit:
        return error(413, "too_large", f"{what} may send at most {limit:,} bytes.")
    try:
        return json.loads(raw, parse_constant=no_constants, object_pairs_hook=JsonBounds())
    except TooManyMembers as e:
        return error(413, "too_large", f"{what} is refused: {e}.")
    except (ValueError, RecursionError):
        return error(400, "bad_call", f"{what} is not valid JSON.")


async def app_json(
    request: Request[Any, Any, State],
    slug: str,
    config: Config,
    what: str,
    limit: int = CALL_MAX_BYTES,
) -> Any:
    """The JSON a request from the app's page sends (`refused` and `json_body`), or the
    refusal to answer with."""
    problem = refused(request, slug, config, what)
    if problem is not None:
        return problem
    return json_body(await request.body(), what, limit)
