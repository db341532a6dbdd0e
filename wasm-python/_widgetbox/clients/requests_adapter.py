"""`requests` through the host: `HTTPAdapter.send` makes the exchange (`_widgetbox.net`).

Every `Session` mounts an `HTTPAdapter` for http:// and https://, and widgets mount their own
(`HTTPAdapter(max_retries=...)`, subclasses); patching the class's `send` reaches them all,
so urllib3 never opens a socket (its pool manager is made and never used). What the adapter
gives back is what urllib3 would have given: a `urllib3.HTTPResponse` around the real
`http.client.HTTPResponse`, passed to the adapter's own `build_response`, so cookies,
encodings, content decoding (gzip, deflate), streaming and `response.raw` behave as usual.
`Session` follows redirects itself, as it always does: each hop is one request of the run's
allowance.

- Refusals and failures raise `requests.exceptions.ConnectionError` with the host's message
  (the policy's reason); timeouts `requests.exceptions.ReadTimeout` (a `Timeout`). A
  `(connect, read)` timeout caps the exchange at the larger of the two, since the host has
  one deadline for the whole request.
- `verify` does not apply: the host always verifies certificates against its own trusted
  roots. `cert` (client certificates) raises `SSLError`; proxies and `max_retries` are not
  used (the host connects to the server itself, once).
- A body from a file or a generator is read whole before it is sent.
"""

import sys

from .. import net


def patch(requests):
    """Connect `requests` (the module) to the host."""
    requests.adapters.HTTPAdapter.send = _send_for(requests)


def _send_for(requests):
    exceptions = requests.exceptions

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        """Send the PreparedRequest through Widgetbox's host and return its Response."""
        if cert is not None:
            raise exceptions.SSLError(net.NO_CLIENT_CERTIFICATES, request=request)
        self.add_headers(
            request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies
        )
        url = request.url.decode("utf-8") if isinstance(request.url, bytes) else request.url
        headers = [(str(name), _text(value)) for name, value in request.headers.items()]
        try:
            answer = net.exchange(
                request.method,
                net.without_credentials(url),
                headers,
                _body(request.body),
                _seconds(timeout),
            )
        except net.ExchangeError as e:
            if e.timed_out:
                raise exceptions.ReadTimeout(e.message, request=request) from None
            if e.kind == "BadRequest":
                raise exceptions.RequestException(e.message, request=request) from None
            raise exceptions.ConnectionError(e.message, request=request) from None
        return self.build_response(request, _urllib3_response(answer, request.method, url))

    return send


def _urllib3_response(answer, method, url):
    """What urllib3's connection pool would have answered (`preload_content` and
    `decode_content` off, as `HTTPAdapter` asks)."""
    original = net.http_response(answer, method)
    urllib3 = sys.modules["urllib3"]  # requests imported it
    return urllib3.HTTPResponse(
        body=original,
        headers=answer.headers,
        status=answer.status,
        version=11,
        reason=answer.reason,
        preload_content=False,
        decode_content=False,
        original_response=original,
        msg=original.msg,
        request_method=method,
        request_url=url,
    )


def _text(value):
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _body(body):
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    if hasattr(body, "read"):
        return _body(body.read())
    return b"".join(
        chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk) for chunk in body
    )


def _seconds(timeout):
    """One number of seconds for the whole exchange, or None (the server's limit)."""
    if isinstance(timeout, tuple):
        parts = timeout
    elif timeout is None or isinstance(timeout, (int, float)):
        parts = (timeout,)
    else:  # urllib3's Timeout
        parts = (getattr(timeout, "total", None),)
        if not isinstance(parts[0], (int, float)):
            parts = (
                getattr(timeout, "connect_timeout", None),
                getattr(timeout, "read_timeout", None),
            )
    numbers = [
        part for part in parts if isinstance(part, (int, float)) and not isinstance(part, bool)
    ]
    return max(numbers) if numbers else None
