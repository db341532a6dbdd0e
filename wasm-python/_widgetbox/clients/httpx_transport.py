"""`httpx` through the host: `HTTPTransport` and `AsyncHTTPTransport` make the exchange
(`_widgetbox.net`) instead of handing the request to httpcore.

Every `Client` and `AsyncClient` makes one of these for its default transport (and for the
mounts a widget adds), so patching the two classes reaches them all, and httpcore, which
needs `ssl`, is never imported. The response is built as httpx's own transport builds it:
status, headers as received, the body still content-encoded (the client decodes gzip and
deflate), the HTTP version and reason phrase in its extensions. Clients follow redirects
themselves when asked to (`follow_redirects=True`): each hop is one request of the run's
allowance. An `AsyncClient` works too: the exchange blocks (the sandbox runs one thread).

- Refusals and failures raise `httpx.ConnectError` with the host's message (the policy's
  reason); timeouts `httpx.ReadTimeout`; a request the host finds malformed
  `httpx.LocalProtocolError`. The larger of the connect and read timeouts caps the whole
  exchange, since the host has one deadline for it.
- `verify`, `http2`, `limits`, `retries`, `proxy`, `uds` and socket options do not apply (the
  host connects, verifying certificates against its own roots, over HTTP/1.1); a client
  certificate (`cert`) raises `ConnectError`.
"""

from .. import net


def patch(httpx):
    """Connect `httpx` (the module) to the host."""
    sync, asynchronous = httpx.HTTPTransport, httpx.AsyncHTTPTransport

    def __init__(self, verify=True, cert=None, *args, **kwargs):
        self._widgetbox_cert = cert

    def handle_request(self, request):
        request.read()
        return _exchange(httpx, self, request)

    async def handle_async_request(self, request):
        await request.aread()
        return _exchange(httpx, self, request)

    def close(self):
        pass

    async def aclose(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        pass

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        pass

    for cls in (sync, asynchronous):
        cls.__init__ = __init__
    sync.handle_request, sync.close = handle_request, close
    sync.__enter__, sync.__exit__ = __enter__, __exit__
    asynchronous.handle_async_request, asynchronous.aclose = handle_async_request, aclose
    asynchronous.__aenter__, asynchronous.__aexit__ = __aenter__, __aexit__


def _exchange(httpx, transport, request):
    if getattr(transport, "_widgetbox_cert", None) is not None:
        raise httpx.ConnectError(net.NO_CLIENT_CERTIFICATES, request=request)
    headers = [
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw
    ]
    timeouts = request.extensions.get("timeout") or {}
    seconds = [timeouts.get(phase) for phase in ("connect", "read")]
    seconds = [value for value in seconds if isinstance(value, (int, float))]
    try:
        answer = net.exchange(
            request.method,
            net.without_credentials(str(request.url)),
            headers,
            request.content,
            max(seconds) if seconds else None,
        )
    except net.ExchangeError as e:
        if e.timed_out:
            raise httpx.ReadTimeout(e.message, request=request) from None
        if e.kind == "BadRequest":
            raise httpx.LocalProtocolError(e.message, request=request) from None
        raise httpx.ConnectError(e.message, request=request) from None
    return httpx.Response(
        status_code=answer.status,
        headers=answer.headers,
        stream=httpx.ByteStream(answer.body),
        extensions={
            "http_version": b"HTTP/1.1",
            "reason_phrase": answer.reason.encode("latin-1", "replace"),
        },
    )
