"""One error shape for the whole JSON API, and the handler that renders every error in it.

    {"error": {"status": 409, "code": "version_conflict", "message": "...", "details": {...}}}

`message` is written for people; `code` is stable for programs. A 500 never shows internals:
the exception goes to the server log with an id, and the response carries only that id.

A full disk is not a bug: SQLite's "database or disk is full" and `OSError` ENOSPC or
EDQUOT, raised anywhere while a request is handled, become 507 `disk_full` here (the one
place that knows how a full disk shows itself); callers that must answer another status
(a run that cannot be recorded: 503) build theirs with `disk_full_error`.
"""

from __future__ import annotations

import errno
import logging
import secrets
import sqlite3
import time
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


DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
DISK_FULL_RETRY_AFTER = 30
"""Seconds a client is told to wait before trying again while the disk is full."""


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether `exc`, or an exception it was raised from or while handling, says the
    server's disk (or the data folder's quota) is full: SQLITE_FULL, or an OSError with
    ENOSPC or EDQUOT."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc] if exc is not None else []
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, sqlite3.Error):
            code = getattr(current, "sqlite_errorcode", None)
            if (isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_FULL) or (
                "database or disk is full" in str(current)
            ):
                return True
        elif isinstance(current, OSError) and current.errno in DISK_FULL_ERRNOS:
            return True
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        if current.__cause__ is not None:
            pending.append(current.__cause__)
        if current.__context__ is not None and not current.__suppress_context__:
            pending.append(current.__context__)
    return False


def disk_full_error(status: int = 507, what: str = "this change could not be saved") -> ApiError:
    """The one answer to a full disk: 507 for a write that could not be stored, 503 for
    work that cannot start because it could not be recorded. Both say to try again later."""
    return ApiError(
        status,
        "disk_full",
        f"The server's disk is full: {what}. Nothing else was changed; free some space on "
        "the server (or ask its administrator to) and try again.",
        headers={"retry-after": str(DISK_FULL_RETRY_AFTER)},
    )


class DiskFullLog:
    """Says once that the disk is full and once that writing works again, instead of a
    traceback on every attempt (background writers retry every fraction of a second)."""

    def __init__(self, what: str, repeat_every: float = 60.0) -> None:
        self.what = what
        self.repeat_every = repeat_every
        self._since: float | None = None
        self._said: float | None = None

    @property
    def full(self) -> bool:
        return self._since is not None

    def failed(self, exc: BaseException) -> None:
        moment = time.monotonic()
        if self._since is None:
            self._since = moment
        if self._said is None or moment - self._said >= self.repeat_every:
            self._said = moment
            log.error("the disk is full: %s (%s)", self.what, exc)

    def worked(self) -> None:
        if self._since is not None:
            log.warning(
                "there is room on the disk again: %s (after %.0f s)",
                self.what,
                time.monotonic() - self._since,
            )
            self._since = None
            self._said = None


_refused = DiskFullLog("requests that must write are refused with 507 disk_full")


def body(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"error": {"status": status, "code": code, "message": message, "details": details or {}}}


def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Every exception the app raises ends here."""
    headers: dict[str, str] = {}
    if not isinstance(exc, HTTPException) and is_disk_full(exc):
        _refused.failed(exc)
        exc = disk_full_error()
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
