"""Every error becomes an answer here, in one shape:

    {"error": {"status": 409, "code": "version_conflict", "message": "...", "details": {...}}}

Domain errors (`widgetbox.host.errors`) carry no HTTP: `answer` gives each its status, body
and headers, and everything that answers errors uses it: the JSON API's handler (`handle`),
the IDE's error page, widgets' HTTP APIs and GUI apps' server calls. `message` is written
for people; `code` is stable for programs. A 500 never shows internals: the exception goes
to the server log with an id, and the response carries only that id.

A full disk is not a bug: SQLite's "database or disk is full" and `OSError` ENOSPC or
EDQUOT, raised anywhere while a request is handled, become `DiskFull` (507; 503 for work
that could not start because it could not be recorded).
"""

from __future__ import annotations

import logging
import secrets
import traceback
from dataclasses import dataclass, field
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from widgetbox.host.errors import (
    BadCredentials,
    Busy,
    Conflict,
    DiskFull,
    DomainError,
    Forbidden,
    Invalid,
    LoginRequired,
    Malformed,
    Moved,
    NotFound,
    TooMany,
)
from widgetbox.host.storage.full_disk import DiskFullLog, is_disk_full

log = logging.getLogger("widgetbox.host")

STATUSES: dict[type[DomainError], int] = {
    Moved: 308,
    Malformed: 400,
    BadCredentials: 401,
    LoginRequired: 403,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    TooMany: 429,
    Busy: 503,
    DiskFull: 507,
}
"""The HTTP status of each domain error (a full disk that stopped work from starting: 503)."""


@dataclass(frozen=True)
class Answer:
    """An error as HTTP: status, body (the one shape) and headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def domain_error(exc: BaseException) -> DomainError | None:
    """`exc` as a domain error: itself, or `DiskFull` for the forms a full disk takes."""
    if isinstance(exc, DomainError):
        return exc
    if not isinstance(exc, HTTPException) and is_disk_full(exc):
        _refused.failed(exc)
        return DiskFull()
    return None


def answer(error: DomainError) -> Answer:
    """How a domain error is answered, wherever it is answered."""
    if isinstance(error, DiskFull) and error.could_not_start:
        status = 503
    else:
        status = next(code for kind, code in STATUSES.items() if isinstance(error, kind))
    headers = {} if error.retry_after is None else {"retry-after": str(error.retry_after)}
    return Answer(status, body(status, error.code, error.message, error.details), headers)


_CODES = {
    400: "bad_request",
    401: "login_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    503: "unavailable",
}


MULTIPART_PARSER = "litestar/_multipart.py"

_refused = DiskFullLog("requests that must write are refused with 507 disk_full")


def body(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"error": {"status": status, "code": code, "message": message, "details": details or {}}}


def respond(error: DomainError, headers: dict[str, str] | None = None) -> Response[Any]:
    """A domain error as a JSON response, with `headers` added (a widget API's or a GUI
    call's own security headers)."""
    answered = answer(error)
    return Response(
        answered.body,
        status_code=answered.status,
        media_type=MediaType.JSON,
        headers={**answered.headers, **(headers or {})},
    )


def moved(request: Request[Any, Any, Any], error: Moved) -> Response[Any]:
    """The same URL at the widget's new address: its former slug, the first path segment
    that is one, replaced. 308 keeps the method and the body (an API client's POST goes on);
    `no-cache` because the old address may be claimed by another widget later."""
    parts = request.url.path.split("/")
    if error.old in parts:
        parts[parts.index(error.old)] = error.new
    query = request.url.query
    location = "/".join(parts) + (f"?{query}" if query else "")
    answered = answer(error)
    return Response(
        answered.body,
        status_code=308,
        media_type=MediaType.JSON,
        headers={"location": location, "cache-control": "no-cache"},
    )


def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Every exception the app raises ends here."""
    headers: dict[str, str] = {}
    error = domain_error(exc)
    if isinstance(error, Moved):
        return moved(request, error)
    if error is not None:
        answered = answer(error)
        status, payload, headers = answered.status, answered.body, answered.headers
    elif isinstance(exc, ValidationException):
        status = 400
        payload = body(
            400, "invalid_request", _validation_message(exc), {"problems": exc.extra or []}
        )
    elif _unreadable_form(exc):
        status = 400
        payload = body(
            400,
            "invalid_request",
            "A field of the form is not text (UTF-8): send a file as a file, with a filename.",
        )
    elif isinstance(exc, HTTPException):
        status = exc.status_code
        message = exc.detail if status < 500 else "The server could not handle this request."
        if isinstance(exc, NotFoundException) and exc.detail == "Not Found":
            message = "There is nothing here."
        if isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail):
            payload = body(
                403,
                "csrf_failed",
                "The request lacks a valid CSRF token; reload the page and try again.",
            )
        elif isinstance(exc, NotAuthorizedException):
            payload = body(401, "login_required", message)
        else:
            payload = body(status, _CODES.get(status, "error"), message)
        headers = dict(exc.headers or {})
    else:
        incident = secrets.token_hex(6)
        log.exception("unhandled error %s on %s %s", incident, request.method, request.url.path)
        status = HTTP_500_INTERNAL_SERVER_ERROR
        payload = body(
            status,
            "internal_error",
            f"Something went wrong on our side (incident {incident}); it has been logged.",
        )
    return Response(payload, status_code=status, media_type=MediaType.JSON, headers=headers)


def _unreadable_form(exc: Exception) -> bool:
    """Litestar decodes a multipart field without a filename as UTF-8 before any handler
    runs, and lets the UnicodeDecodeError out: that is the client's mistake, not ours (a
    UnicodeDecodeError from anywhere else is still a 500 with an incident)."""
    if not isinstance(exc, UnicodeDecodeError):
        return False
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and frames[-1].filename.endswith(MULTIPART_PARSER)


def _validation_message(exc: ValidationException) -> str:
    problems = exc.extra if isinstance(exc.extra, list) else []
    parts = []
    for problem in problems[:3]:
        if isinstance(problem, dict):
            key = problem.get("key")
            text = problem.get("message", "")
            parts.append(f"{key}: {text}" if key else str(text))
    return "The request is not valid" + (f" ({'; '.join(parts)})." if parts else ".")
