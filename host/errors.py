"""One error shape for the whole JSON API, and the handler that renders every error in it.

    {"error": {"status": 409, "code": "version_conflict", "message": "...", "details": {...}}}

`message` is written for people; `code` is stable for programs. A 500 never shows internals:
the exception goes to the server log with an id, and the response carries only that id.
"""

from __future__ import annotations

import logging
import secrets
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

log = logging.getLogger("widgetbox.host")


class ApiError(HTTPException):
    """An error with a stable `code` and a message meant for the person who caused it."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status, detail=message, extra=details or {}, headers=headers)
        self.code = code
        self.message = message
        self.details = details or {}


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


def body(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"error": {"status": status, "code": code, "message": message, "details": details or {}}}


def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Every exception the app raises ends here."""
    headers: dict[str, str] = {}
    if isinstance(exc, ApiError):
        status, payload = exc.status_code, body(exc.status_code, exc.code, exc.message, exc.details)
        headers = dict(exc.headers or {})
    elif isinstance(exc, ValidationException):
        status = 400
        payload = body(
            400, "invalid_request", _validation_message(exc), {"problems": exc.extra or []}
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


def _validation_message(exc: ValidationException) -> str:
    problems = exc.extra if isinstance(exc.extra, list) else []
    parts = []
    for problem in problems[:3]:
        if isinstance(problem, dict):
            key = problem.get("key")
            text = problem.get("message", "")
            parts.append(f"{key}: {text}" if key else str(text))
    return "The request is not valid" + (f" ({'; '.join(parts)})." if parts else ".")
