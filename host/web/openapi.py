"""The error responses every API operation documents (one shape: `ErrorOut`)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec


class ErrorDetail(msgspec.Struct):
    status: int
    code: str
    message: str
    details: dict[str, Any]


class ErrorOut(msgspec.Struct):
    """Every error the API returns has this shape."""

    error: ErrorDetail


_MEANINGS = {
    308: "Moved: the address is a widget's former one; `Location` is the same URL at its "
    "current address (`moved`; method and body are kept).",
    400: "The request is malformed or its body does not match the schema.",
    401: "Wrong credentials: a wrong password, or an API token that is unknown, expired or "
    "revoked (`token_invalid`, `token_expired`, `token_revoked`).",
    403: "Not allowed: log in, or this needs the owner or the admin, or a CSRF check failed, "
    "or the API token's scope does not allow it (`insufficient_scope`, `session_required`).",
    404: "There is no such thing, or it is private to someone else.",
    409: "A conflict: the name is taken, or the widget changed since you read it.",
    413: "The request body is too large.",
    422: "The request is well-formed but a value breaks a rule (the message says which).",
    429: "Too many attempts; wait a minute.",
    500: "Something went wrong on the server; the message carries an incident id.",
    503: "Busy, or the disk is full: try again after `Retry-After` seconds.",
    507: "The server's disk is full: nothing was changed; try again after `Retry-After`.",
}

ERRORS = {
    status: ResponseSpec(data_container=ErrorOut, description=meaning)
    for status, meaning in _MEANINGS.items()
}
