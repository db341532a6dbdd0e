"""HTTP routes: find the endpoint for a request and turn its return value into a response.

Responses are plain dicts (`status`, `headers` with lower-case names, `body` bytes), and
`stream`, the iterator of a streamed response (an `HttpResponse` whose body is an iterator
or a generator: `pieces` turns what it yields into bytes, the driver sends them as chunks).

A GUI app's route may answer with the app (`FormResponse`, `AppResponder`): the response is
then LOAD_APP_TYPE, a JSON body the host turns into the app's page (host/gui/load_app.py).
"""

import json
import re

from anvil import Media, _serialize
from anvil.server import HttpResponse, SerializationError, _LoadAppResponse

NOT_FOUND = "No matching API endpoint"
NOT_ALLOWED = "Method not supported"
META_NAME = re.compile(r"[A-Za-z][A-Za-z0-9:._-]{0,63}")
"""A meta tag's name the app's page can carry (the host's runtime/_load_app.py refuses any
other, and more than MAX_META of them)."""
MAX_META = 64
LOAD_APP_TYPE = "application/vnd.widgetbox.load-app+json"
"""The content type of a route's answer that loads the app (the host's
host/gui/load_app.py has the same name, and a test checks that they agree)."""


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


def load_app(value) -> bytes:
    """The body of a `FormResponse`/`AppResponder` answer: what to open, and the form's
    arguments and the startup data as a server call's values (rows, media, portable
    objects and all), so the client decodes them as it decodes a call's answer."""
    for name in ("form", "module"):
        chosen = getattr(value, name)
        if chosen is not None and not isinstance(chosen, str):
            raise TypeError(f"the {name} to open must be named by a str, not {chosen!r}")
    meta = value.meta or {}
    if not isinstance(meta, dict):
        raise TypeError(f"AppResponder's meta must be a dict of meta tags, not {meta!r}")
    wrong = [
        repr(name)
        for name, content in meta.items()
        if not (isinstance(name, str) and META_NAME.fullmatch(name) and isinstance(content, str))
    ]
    if wrong:
        raise TypeError(
            "AppResponder's meta tags need names of letters, digits and ':._-' (at most 64) "
            f"and str contents; not so: {', '.join(wrong)}"
        )
    if len(meta) > MAX_META:
        raise TypeError(f"AppResponder takes at most {MAX_META} meta tags, not {len(meta)}")
    try:
        encoded = {
            name: _serialize.encode(getattr(value, name)) for name in ("args", "kwargs", "data")
        }
    except _serialize.SerializationError as e:
        raise SerializationError(f"Cannot serialize the app's startup data: {e}") from None
    return _json({"form": value.form, "module": value.module, "meta": meta, **encoded})


def to_response(value, route, request_headers: dict[str, str], *, app: bool = False):
    """Anvil's rules: `str` is text/plain, `dict`/`list`/`None`/numbers are JSON,
    Media keeps its type, `HttpResponse` sets status, body and headers. An `HttpResponse`
    whose body is an iterator (a generator) streams: the answer has `stream`. `app`: the
    route serves a GUI app (its `/_/api/`), whose answer may load the app itself."""
    stream = None
    if isinstance(value, _LoadAppResponse):
        if not app:
            raise TypeError(
                "FormResponse and AppResponder open the app's page at a form: only a GUI "
                "widget's routes (on its app's /_/api/) can return them"
            )
        return response(200, load_app(value), {"content-type": LOAD_APP_TYPE})
    if isinstance(value, HttpResponse):
        status = value.status
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            raise ValueError(f"HttpResponse status must be an int from 100 to 599, not {status!r}")
        headers = _clean_headers(value.headers)
        if _is_iterator(value.body):
            stream, body = value.body, b""
            headers.setdefault("content-type", "text/plain; charset=utf-8")
        else:
            body = _body(value.body, headers)
    else:
        status, headers = 200, {}
        body = _body(value, headers)
    if route.enable_cors:
        for name, header in cors_headers(route, request_headers).items():
            headers.setdefault(name, header)
    answer = response(status, body, headers)
    if stream is not None:
        answer["stream"] = stream
    return answer


def _is_iterator(value) -> bool:
    kind = type(value)
    return hasattr(kind, "__next__") and hasattr(kind, "__iter__")


def event_stream(headers: dict[str, str]) -> bool:
    """Whether a response's content type is `text/event-stream` (server-sent events)."""
    return headers.get("content-type", "").split(";")[0].strip().lower() == "text/event-stream"


def pieces(stream, events: bool):
    """The bytes of each value a streamed response's iterator yields: `bytes` as they are;
    `str` as UTF-8, or with `events` (server-sent events) as one event whose data is the
    text; with `events`, a dict as one event of its fields (`data`, `event`, `id`, `retry`;
    data that is not text is sent as JSON)."""
    for item in stream:
        if isinstance(item, (bytes, bytearray, memoryview)):
            yield bytes(item)
        elif events and isinstance(item, (str, dict)):
            yield server_sent_event(item if isinstance(item, dict) else {"data": item})
        elif isinstance(item, str):
            yield item.encode("utf-8")
        else:
            raise TypeError(
                f"a streamed response yields str or bytes (or, for text/event-stream, dicts "
                f"of event fields), not {type(item).__name__}"
            )


_EVENT_FIELDS = ("event", "id", "retry", "data")


def server_sent_event(fields: dict) -> bytes:
    """One server-sent event: `event`, `id` and `retry` each on one line, then the data, one
    `data:` line per line of it, and the blank line that ends the event."""
    unknown = [str(name) for name in fields if name not in _EVENT_FIELDS]
    if unknown:
        raise ValueError(f"a server-sent event has the fields {_EVENT_FIELDS}, not {unknown}")
    lines = []
    for name in ("event", "id", "retry"):
        if fields.get(name) is not None:
            value = str(fields[name])
            if any(c in value for c in "\r\n\x00"):
                raise ValueError(f"a server-sent event's {name} must be one line")
            lines.append(f"{name}: {value}")
    data = fields.get("data")
    if data is not None:
        text = data if isinstance(data, str) else json.dumps(data, allow_nan=False)
        lines.extend(f"data: {line}" for line in text.replace("\r\n", "\n").split("\n"))
    return ("\n".join(lines) + "\n\n").encode("utf-8")
