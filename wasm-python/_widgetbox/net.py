"""One HTTP exchange through the host: the one way widget code reaches the network.

The sandbox has no sockets. Every HTTP client a widget uses (`anvil.http`, and through the
import hooks of `_widgetbox.clients`: `http.client` and `urllib.request`, `requests`,
`httpx`) ends up here, in the bridge's `http.request`, so the host's outbound policy,
limits and per-run allowance apply to all of them alike; the host makes the connection, TLS
included (see host/outbound/).

`send(payload)` is the bridge call as `anvil.http` makes it (the host follows redirects).
`exchange(...)` is one request and its response as an HTTP library sees them: the host
answers a redirect instead of following it (the library follows it itself, each hop a
request of its own, counted as one), and the response comes with its reason phrase and
every header as received, so cookies and repeated headers survive. `response_bytes` writes
an `Answer` out as HTTP/1.1, for libraries that parse responses themselves, and
`http_response` reads it back as `http.client` would.

Failures raise `ExchangeError`, whose `kind` says what happened (`Refused`,
`ConnectionError`, `Timeout`, `LimitExceeded`, `BadRequest`, or `UnknownOperation` on a
server without outbound HTTP) and whose message is the host's (the policy's reason for a
refusal); each library's adapter turns it into that library's own exception.
"""

import binascii

from . import bridge

OP = "http.request"

NO_CLIENT_CERTIFICATES = (
    "client certificates are not available to widget code: the host makes the TLS connection"
)
DROPPED = frozenset({"transfer-encoding"})
"""Response headers an `Answer` leaves out: the host hands over the body de-chunked."""


class ExchangeError(Exception):
    """An outbound request could not be completed; `kind` says why."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message

    @property
    def timed_out(self):
        return self.kind == "Timeout"


class Answer:
    """A response as received: status, reason, headers (pairs, in order), body (bytes, still
    content-encoded as the server sent it), and the URL that answered."""

    __slots__ = ("body", "headers", "reason", "status", "url")

    def __init__(self, status, reason, headers, body, url):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.url = url


def send(payload):
    """The bridge's `http.request` with `payload`; its answer, or `ExchangeError`."""
    try:
        return bridge.call(OP, payload)
    except bridge.HostCallError as e:
        kind = getattr(e, "kind", "HostError")
        message = str(e)
        if kind == "UnknownOperation":
            message = "outbound HTTP is not available on this Widgetbox server"
        elif kind == "LimitExceeded" and message.startswith("the answer to"):
            # The bridge's own limit on answers (the body travels base64-encoded).
            limit = message.rpartition(" is larger than ")[2]
            message = f"the response is too large to pass to widget code (at most {limit})"
        raise ExchangeError(kind, message) from None


def exchange(method, url, headers=(), body=None, timeout=None):
    """Send one request (`headers` as (name, value) pairs of str) and return its `Answer`;
    redirects are answered, not followed. `timeout` in seconds caps the whole exchange (the
    server's own limit applies too)."""
    sent = {}
    lowered = {}
    for name, value in headers:
        key = name.lower()
        if key in lowered:  # the host takes one value per name, as HTTP allows joining them
            sent[lowered[key]] += ", " + value
        else:
            lowered[key] = name
            sent[name] = value
    payload = {"url": url, "method": method, "headers": sent, "raw": True}
    if body:
        payload["body_b64"] = binascii.b2a_base64(body, newline=False).decode("ascii")
    if timeout is not None:
        if not timeout > 0:
            raise ExchangeError("Timeout", f"the request to {url} timed out (timeout {timeout})")
        payload["timeout"] = timeout
    answer = send(payload)
    return Answer(
        answer["status"],
        answer.get("reason") or "",
        [
            (name, value)
            for name, value in answer.get("header_list") or ()
            if name.lower() not in DROPPED
        ],
        binascii.a2b_base64(answer.get("body_b64") or ""),
        answer.get("url") or url,
    )


def without_credentials(url):
    """`url` without a user name and password: libraries send those as an Authorization
    header, and the host refuses URLs that carry them."""
    scheme, sep, rest = url.partition("://")
    end = min((i for i in map(rest.find, "/?#") if i >= 0), default=len(rest))
    authority = rest[:end]
    if not sep or "@" not in authority:
        return url
    return f"{scheme}://{authority.rpartition('@')[2]}{rest[end:]}"


def http_response(answer, method):
    """The answer as a real `http.client.HTTPResponse`, read from its bytes."""
    import http.client

    response = http.client.HTTPResponse(_Received(response_bytes(answer)), method=method)
    response.begin()
    return response


class _Received:
    """A response's bytes, as the socket `http.client.HTTPResponse` reads them from."""

    def __init__(self, data):
        self._data = data

    def makefile(self, mode="rb"):
        import io

        return io.BytesIO(self._data)


def response_bytes(answer):
    """The answer as an HTTP/1.1 response message (the body as received: its length is the
    one the server declared, or the message ends where the body does)."""
    lines = [f"HTTP/1.1 {answer.status} {answer.reason}"]
    lines += [f"{name}: {value}" for name, value in answer.headers]
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("latin-1") + answer.body
