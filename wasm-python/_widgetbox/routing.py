"""HTTP routes: find the endpoint for a request and turn its return value into a response.

Responses are plain dicts (`status`, `headers` with lower-case names, `body` bytes).
"""

import json

from anvil import Media
from anvil.server import HttpResponse

NOT_FOUND = "No matching API endpoint"
NOT_ALLOWED = "Method not supported"


def response(status: int, body: bytes | str = b"", headers: dict[str, str] | None = None):
    if isinstance(body, str):
        body = body.encode("utf-8")
    return {"status": status, "headers": dict(headers or {}), "body": body}


def find(routes, method: str, path: str, request_headers: dict[str, str]):
    """(route, path parameters), or a ready response (404, 405, or a CORS preflight)."""
    matching = [(route, params) for route in routes if (params := route.match(path)) is not None]
    if not matching:
        return response(404, NOT_FOUND, {"content-type": "text/plain; charset=utf-8"})
    for route, params in matching:
        if method in route.methods:
            return route, params
    cors = next((route for route, _ in matching if route.enable_cors), None)
    if method == "OPTIONS" and cors is not None:
        return response(200, b"", cors_headers(cors, request_headers))
    allowed = []
    for route, _ in matching:
        allowed.extend(m for m in route.methods if m not in allowed)
    return response(
        405, NOT_ALLOWED, {"allow": ", ".join(allowed), "content-type": "text/plain; charset=utf-8"}
    )


def cors_headers(route, request_headers: dict[str, str]) -> dict[str, str]:
    """What `enable_cors` adds: any origin (or the one named), the methods, the headers asked."""
    origin = route.enable_cors if isinstance(route.enable_cors, str) else "*"
    allow = ["content-type"]
    for asked in request_headers.get("access-control-request-headers", "").split(","):
        name = asked.strip().lower()
        if name and name not in allow:
            allow.append(name)
    return {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": ", ".join(route.methods),
        "access-control-allow-headers": ", ".join(allow),
    }


def _json(value) -> bytes:
    return json.dumps(value, allow_nan=False).encode("utf-8")


def _clean_headers(headers) -> dict[str, str]:
    clean = {}
    for raw_name, raw_value in dict(headers).items():
        name, value = str(raw_name).strip().lower(), str(raw_value)
        if not name or any(c in name + value for c in "\r\n\x00"):
            raise ValueError(f"invalid HTTP header {name!r}: names and values must be one line")
        clean[name] = value
    return clean


def _body(value, headers: dict[str, str]) -> bytes:
    """Encode a body, setting a content type when the code did not choose one."""

    def default(content_type: str) -> None:
        headers.setdefault("content-type", content_type)

    if isinstance(value, str):
        default("text/plain; charset=utf-8")
        return value.encode("utf-8")
    if isinstance(value, Media):
        default(value.content_type or "application/octet-stream")
        return value.get_bytes()
    if isinstance(value, (bytes, bytearray, memoryview)):
        default("application/octet-stream")
        return bytes(value)
    if value is None or isinstance(value, (dict, list, tuple, int, float)):
        default("application/json")
        return _json(value)
    raise TypeError(
        f"an HTTP endpoint cannot return a {type(value).__name__}; return a str, dict, list, "
        "None, a number, a Media object or an anvil.server.HttpResponse"
    )


def to_response(value, route, request_headers: dict[str, str]):
    """Anvil's rules: `str` is text/plain, `dict`/`list`/`None`/numbers are JSON,
    Media keeps its type, `HttpResponse` sets status, body and headers."""
    if isinstance(value, HttpResponse):
        status = value.status
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            raise ValueError(f"HttpResponse status must be an int from 100 to 599, not {status!r}")
        headers = _clean_headers(value.headers)
        body = _body(value.body, headers)
    else:
        status, headers = 200, {}
        body = _body(value, headers)
    if route.enable_cors:
        for name, header in cors_headers(route, request_headers).items():
            headers.setdefault(name, header)
    return response(status, body, headers)
