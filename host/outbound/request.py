"""Decoding the guest's `http.request` data into a checked `OutboundRequest`: its URL (see
`urls.py`), method, headers (the ones the host frames left out), Basic authentication, body
and timeout. Anything malformed is a `BadRequest` (a refused method or URL a `Refused`)."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from widgetbox.host.outbound.urls import Target, parse_url
from widgetbox.runtime import HostCallError

MAX_HEADERS = 100
MAX_HEADER_BYTES = 64 * 1024

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
DROPPED_HEADERS = HOP_BY_HOP | {"host", "content-length", "expect"}
"""Request headers the guest may not set: the host frames the request and names the host."""

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_BAD_VALUE = re.compile(r"[\x00\r\n]")


def filter_headers(headers: object) -> dict[str, str]:
    """The guest's request headers, checked, with the ones it may not set left out."""
    if headers is None:
        return {}
    if not isinstance(headers, dict):
        raise HostCallError("BadRequest", "headers must be a dict of strings")
    if len(headers) > MAX_HEADERS:
        raise HostCallError("BadRequest", f"a request may have at most {MAX_HEADERS} headers")
    kept: dict[str, tuple[str, str]] = {}
    size = 0
    for name, value in headers.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise HostCallError("BadRequest", f"{str(name)[:60]!r} is not a valid header name")
        if not isinstance(value, str):
            raise HostCallError("BadRequest", f"the value of header {name!r} is not a string")
        if _BAD_VALUE.search(value):
            raise HostCallError("BadRequest", f"the value of header {name!r} contains a line break")
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise HostCallError(
                "BadRequest", f"the value of header {name!r} is not Latin-1 text"
            ) from None
        size += len(name) + len(value) + 4
        if size > MAX_HEADER_BYTES:
            raise HostCallError(
                "BadRequest", f"the headers are larger than {MAX_HEADER_BYTES:,} bytes"
            )
        if name.lower() not in DROPPED_HEADERS:
            kept[name.lower()] = (name, value.strip())
    return dict(kept.values())


def basic_auth(username: object, password: object) -> str | None:
    """The Authorization header for `username` and `password`, or None without a username."""
    if username is None:
        return None
    if not isinstance(username, str) or not isinstance(password, (str, type(None))):
        raise HostCallError("BadRequest", "username and password must be strings")
    if ":" in username:
        raise HostCallError("BadRequest", "a username for Basic authentication may not contain ':'")
    try:
        credentials = f"{username}:{password or ''}".encode()
    except UnicodeEncodeError:  # a lone surrogate
        raise HostCallError("BadRequest", "username and password must be Unicode text") from None
    token = base64.b64encode(credentials).decode("ascii")
    return f"Basic {token}"


def without(headers: dict[str, str], names: frozenset[str]) -> dict[str, str]:
    """`headers` without the ones named (lower-case) in `names`, whatever their case."""
    return {name: value for name, value in headers.items() if name.lower() not in names}


@dataclass(frozen=True)
class OutboundRequest:
    """A guest's request, checked (see `parse_request`)."""

    target: Target
    method: str
    headers: dict[str, str]
    body: bytes | None
    timeout: float | None
    raw: bool = False
    """Answer this one exchange as an HTTP library needs it: a redirect is answered (with
    its body), not followed, and the answer carries the reason phrase and every header as
    received. The guest's `http.client`, `requests` and `httpx` ask for it (they follow
    redirects themselves, each hop a request of its own); `anvil.http` does not."""


_METHOD = re.compile(r"[A-Z][A-Z-]{0,19}")
_REFUSED_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})


def parse_request(data: object) -> OutboundRequest:
    """The guest's `data` checked: url, method, headers, body_b64, timeout, username, password,
    raw."""
    if not isinstance(data, dict):
        raise HostCallError("BadRequest", "an http.request needs a dict with at least a url")
    target = parse_url(data.get("url"))
    method = data.get("method") or "GET"
    if not isinstance(method, str) or not _METHOD.fullmatch(method.upper()):
        raise HostCallError("BadRequest", f"{str(method)[:30]!r} is not an HTTP method")
    method = method.upper()
    if method in _REFUSED_METHODS:
        raise HostCallError("Refused", f"the {method} method is not allowed")
    headers = filter_headers(data.get("headers"))
    authorization = basic_auth(data.get("username"), data.get("password"))
    if authorization is not None:
        headers = without(headers, frozenset({"authorization"}))
        headers["Authorization"] = authorization
    body = None
    body_b64 = data.get("body_b64")
    if body_b64 is not None:
        if not isinstance(body_b64, str):
            raise HostCallError("BadRequest", "body_b64 must be a base64 string")
        try:
            body = base64.b64decode(body_b64, validate=True)
        except ValueError:
            raise HostCallError("BadRequest", "body_b64 is not valid base64") from None
    timeout = data.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0
    ):
        raise HostCallError("BadRequest", "timeout must be a positive number of seconds")
    raw = data.get("raw", False)
    if not isinstance(raw, bool):
        raise HostCallError("BadRequest", "raw must be true or false")
    # min(): an integer too large for a float (JSON carries them) is just a long timeout
    return OutboundRequest(
        target, method, headers, body, None if timeout is None else float(min(timeout, 1e300)), raw
    )
