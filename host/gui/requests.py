"""What every request from an app's page to its own origin goes through (server calls, Data
Tables, tasks, sessions, Users): the app's host name, its origin, JSON of bounded size, and
refusals in one shape. A refusal is raised (`Refused`) and answered by `REFUSALS`, the
exception handler of every router on an app's origin, so a handler reads as what it does;
the app-origin guard (`visible.py`) applies these checks, then who may open the app."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response
from litestar.datastructures import State
from litestar.types import ExceptionHandlersMap

from widgetbox.host.config import Config
from widgetbox.host.endpoints.bounds import JsonBounds, TooManyMembers
from widgetbox.host.gui.hosts import app_of
from widgetbox.host.web.errors import body
from widgetbox.runtime import finite_float

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


class Refused(Exception):
    """A request from an app's page refused before its work: answered with `status` in the
    one error shape and the app's call headers (`error`)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class AppNotFound(Refused):
    """No app the visitor may open at this address (a private app's existence is not
    revealed: the same answer as no app at all)."""

    def __init__(self) -> None:
        super().__init__(404, "not_found", NOT_FOUND)


def _answer(request: Request[Any, Any, State], refusal: Refused) -> Response[Any]:
    return error(refusal.status, refusal.code, refusal.message)


REFUSALS: ExceptionHandlersMap = {Refused: _answer}
"""The exception handlers of a router on an app's origin whose handlers raise `Refused`."""


def check_request(request: Request[Any, Any, State], slug: str, config: Config, what: str) -> None:
    """Calls and Data Tables requests come from the app's own pages: its host name, its
    origin, JSON (`Refused` otherwise)."""
    if not on_app_host(request, slug):
        raise AppNotFound()
    origin = request.headers.get("origin")
    site = request.headers.get("sec-fetch-site")
    if (origin and origin != config.app_origin(slug)) or site in {"cross-site", "same-site"}:
        raise Refused(403, "cross_origin", f"{what} must come from the app's own page.")
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise Refused(415, "unsupported_media_type", f"{what} is sent as JSON.")


def json_body(raw: bytes, what: str, limit: int = CALL_MAX_BYTES) -> Any:
    """The request's JSON, bounded (at most `limit` bytes, `CALL_MAX_BYTES` unless said;
    objects' members counted as they are read: hash flooding, see `endpoints.bounds`; no
    number past a float's range, which would be an infinity no value may hold), or
    `Refused`."""

    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} cannot be sent")

    if len(raw) > limit:
        raise Refused(413, "too_large", f"{what} may send at most {limit:,} bytes.")
    try:
        return json.loads(
            raw,
            parse_float=finite_float,
            parse_constant=no_constants,
            object_pairs_hook=JsonBounds(),
        )
    except TooManyMembers as e:
        raise Refused(413, "too_large", f"{what} is refused: {e}.") from None
    except (ValueError, RecursionError):
        raise Refused(400, "bad_call", f"{what} is not valid JSON.") from None
