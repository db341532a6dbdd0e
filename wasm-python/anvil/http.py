"""`anvil.http` for widget server code running in Widgetbox's sandbox.

The sandbox has no network: `request` asks the host (the bridge's `http.request`), which
makes the request if the server's outbound policy allows it. Behaviour follows Anvil's:

- `data`: a str or bytes is sent as it is; a Media with its content type; a dict is sent as
  a form (`application/x-www-form-urlencoded`), or as JSON when a Content-Type header is
  given; a list is sent as JSON; with `json=True` the data is JSON-encoded and the
  Content-Type is `application/json` unless a header says otherwise. With GET and HEAD no
  body is sent: a str (or form) becomes the query string when the URL has none.
- The answer is a Media (`anvil.BlobMedia`) of the response body, or the decoded JSON with
  `json=True`. A status outside 200-299 raises `HttpError` (`.status`, `.content`).
- A request that cannot complete (refused by the server's policy, unreachable, too slow,
  too large, over the run's allowance) raises `HttpRequestFailed`; `.kind` says which
  (`Refused`, `ConnectionError`, `Timeout`, `LimitExceeded`, `BadRequest`). Timeouts raise
  `HttpRequestTimeout`, which is also a `TimeoutError`.
"""

from _widgetbox import net as _net

from anvil import BlobMedia, Media
from anvil.server import AnvilWrappedError

__all__ = [
    "HttpError",
    "HttpErrorStatus",
    "HttpRequestFailed",
    "HttpRequestTimeout",
    "UrlEncodingError",
    "request",
    "url_decode",
    "url_encode",
]

_NO_BODY = ("GET", "HEAD")


class HttpErrorStatus(Exception):
    """The server answered with a status outside 200-299 (for example 404 Not Found).

    `status` is the number; `content` the body: a Media, or the decoded JSON when the
    request asked for JSON and the body is JSON.
    """

    def __init__(self, status, content=None, message=None):
        self.status = status
        self.content = content
        super().__init__(message or f"HTTP error {status}")


HttpError = HttpErrorStatus


class HttpRequestFailed(AnvilWrappedError):
    """The request could not be completed at all; `kind` says why."""

    kind = "HostError"

    def __init__(self, message, kind=None):
        super().__init__(message)
        if kind is not None:
            self.kind = kind


class HttpRequestTimeout(HttpRequestFailed, TimeoutError):
    """The request took longer than its timeout (or the server's limit)."""

    kind = "Timeout"


class UrlEncodingError(AnvilWrappedError):
    """`url_decode` was given a string that is not validly URL-encoded."""


def request(
    url,
    method="GET",
    data=None,
    json=False,
    headers=None,
    username=None,
    password=None,
    timeout=None,
):
    """Make an HTTP request to `url` and return the response body (see the module's notes)."""
    if not isinstance(url, str):
        raise TypeError(f"url must be a string, not {type(url).__name__}")
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, not {type(method).__name__}")
    if headers is not None and not isinstance(headers, dict):
        raise TypeError(f"headers must be a dict, not {type(headers).__name__}")
    method = method.upper()
    sent = {}
    for name, value in (headers or {}).items():
        if value is not None:
            sent[str(name)] = value if isinstance(value, str) else str(value)
    body, content_type, query = _body(data, json, _header(sent, "content-type"))
    if content_type is not None:
        sent["Content-Type"] = content_type
    if method in _NO_BODY:
        if query is not None and "?" not in url.split("#", 1)[0]:
            base, hash_, fragment = url.partition("#")
            url = f"{base}?{query}{hash_}{fragment}"
        body = None
    payload = {"url": url, "method": method, "headers": sent}
    if body is not None:
        import binascii

        payload["body_b64"] = binascii.b2a_base64(body, newline=False).decode("ascii")
    if username is not None:
        payload["username"] = str(username)
        payload["password"] = "" if password is None else str(password)
    if timeout is not None:
        payload["timeout"] = _seconds(timeout)
    answer = _call(payload)
    return _result(answer, json)


def _seconds(timeout):
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError("timeout must be a number of seconds")
    if not timeout > 0:
        raise ValueError("timeout must be more than 0 seconds")
    return timeout


def _header(headers, name):
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _body(data, json, content_type):
    """(body bytes, content type to set or None, query string for GET or None)."""
    if data is None:
        return None, None, None
    if json and not isinstance(data, (bytes, bytearray, memoryview, Media)):
        text = _dumps(data)
        return text.encode("utf-8"), None if content_type else "application/json", None
    if isinstance(data, str):
        return data.encode("utf-8"), None, data
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), None, None
    if isinstance(data, Media):
        return data.get_bytes(), None if content_type else data.content_type, None
    if isinstance(data, dict):
        if content_type:
            return _dumps(data).encode("utf-8"), None, None
        from urllib.parse import quote, urlencode

        form = urlencode(data, quote_via=quote)
        return form.encode("ascii"), "application/x-www-form-urlencoded", form
    if isinstance(data, (list, tuple)):
        return _dumps(data).encode("utf-8"), None if content_type else "application/json", None
    raise TypeError(f"Cannot use '{type(data).__name__}' as the body of an HTTP request")


def _dumps(value):
    import json

    return json.dumps(value)


def _call(payload):
    try:
        return _net.send(payload)
    except _net.ExchangeError as e:
        cls = HttpRequestTimeout if e.timed_out else HttpRequestFailed
        raise cls(e.message, e.kind) from None


def _result(answer, json):
    import binascii

    status = answer["status"]
    headers = answer.get("headers") or {}
    body = binascii.a2b_base64(answer.get("body_b64") or "")
    content = BlobMedia(headers.get("content-type") or "application/octet-stream", body)
    if json:
        if not body.strip():
            content = None
        else:
            import json as json_module

            try:
                content = json_module.loads(body)
            except ValueError:
                raise HttpError(status, content, "Invalid JSON in response") from None
    if not 200 <= status <= 299:
        raise HttpError(status, content)
    return content


def url_encode(string_to_encode):
    """Percent-encode a string as JavaScript's encodeURIComponent does ("a b" -> "a%20b")."""
    if not isinstance(string_to_encode, str):
        raise TypeError("url_encode needs a string")
    from urllib.parse import quote

    return quote(string_to_encode, safe="!'()*~")


def url_decode(string_to_decode):
    """Decode a percent-encoded string; raises UrlEncodingError when it is not valid."""
    if not isinstance(string_to_decode, str):
        raise TypeError("url_decode needs a string")
    import re
    from urllib.parse import unquote_to_bytes

    if re.search("%(?![0-9A-Fa-f]{2})", string_to_decode):
        raise UrlEncodingError("This is not a valid URL-encoded string")
    try:
        return unquote_to_bytes(string_to_decode).decode("utf-8")
    except UnicodeDecodeError:
        raise UrlEncodingError("This is not a valid URL-encoded string") from None
