"""`http.client` through the host (and so `urllib.request`, `xmlrpc.client` and anything else
built on its connections).

The library stays itself: it builds the request (request line, headers, chunked bodies) and
parses the response as usual; only the socket is replaced. `connect()` gives the connection
a `BridgeSocket`, which collects what the library sends and, once the request is complete,
makes the exchange through the host (`_widgetbox.net`); the response is handed back to the
library as the bytes of an HTTP/1.1 message, so `HTTPResponse` is the real one.

The exchange happens at the end of `request()`, so a refusal or failure is raised there, as
a failure to connect would be: `urllib.request.urlopen` then raises `URLError` with it as
the reason, as for any connection error. A request sent piece by piece (`putrequest`,
`putheader`, `endheaders`, `send`) is exchanged when `getresponse()` reads it.

The interpreter has no `ssl` module, so `http.client` has no `HTTPSConnection` of its own:
one is added (with `_create_https_context`, which `urllib.request` asks for) before
`urllib.request` looks for it. TLS is the host's: it verifies the server's certificate
against its own trusted roots whatever `context` says, and the `Host` header is always the
URL's. Proxies and tunnels do not apply: the host connects to the server itself.
"""

import io

from .. import net

HOST_TLS = "the host makes TLS connections for widget code and always verifies certificates"


def patch(client):
    """Connect `client` (the `http.client` module) to the host."""
    connection = client.HTTPConnection
    original_request = connection.request

    def connect(self):
        """Connect to the host and port given: through the host (see `_widgetbox.clients`)."""
        self.sock = BridgeSocket(
            getattr(self, "_widgetbox_scheme", "http"),
            self._tunnel_host or self.host,  # a tunnel's end is the server itself
            self._tunnel_port or self.port,
            self.default_port,
            self.timeout if isinstance(self.timeout, (int, float)) else None,
        )

    def request(self, *args, **kwargs):
        original_request(self, *args, **kwargs)
        if isinstance(self.sock, BridgeSocket):
            self.sock.exchange()

    request.__doc__ = original_request.__doc__
    connection.connect = connect
    connection.request = request
    connection._widgetbox_scheme = "http"
    if hasattr(client, "HTTPSConnection"):  # an interpreter with `ssl`: TLS is still the host's
        client.HTTPSConnection.connect = connect
    else:
        client.HTTPSConnection = _https_connection(client)
        client._create_https_context = _create_https_context
        client.__all__.append("HTTPSConnection")
    client.HTTPSConnection._widgetbox_scheme = "https"


def _https_connection(client):
    class HTTPSConnection(client.HTTPConnection):
        """An HTTPS connection; the host makes it and verifies the server's certificate
        (a `context` is accepted for compatibility and not used)."""

        default_port = client.HTTPS_PORT

        def __init__(self, host, port=None, *, context=None, **kwargs):
            super().__init__(host, port, **kwargs)
            self._context = context

    HTTPSConnection.__module__ = client.__name__
    return HTTPSConnection


class HostContext:
    """What `_create_https_context` gives `urllib.request`: a stand-in for an SSL context,
    since the host does the TLS (setting its attributes changes nothing)."""

    check_hostname = True
    verify_mode = 2  # ssl.CERT_REQUIRED

    def __repr__(self):
        return f"<HostContext: {HOST_TLS}>"


def _create_https_context(http_version=None):
    return HostContext()


class BridgeSocket:
    """What `http.client` takes for its socket: it collects the request and hands back the
    host's answer (see the module's docstring)."""

    def __init__(self, scheme, host, port, default_port, timeout):
        self._scheme = scheme
        self._authority = f"[{host}]" if ":" in host else host
        if port != default_port:
            self._authority += f":{port}"
        self._timeout = timeout
        self._out = bytearray()
        self._answer = b""

    def sendall(self, data):
        self._out += data

    def exchange(self):
        """Send the request collected so far and keep the response for `makefile`."""
        if not self._out:
            return
        request, self._out = bytes(self._out), bytearray()
        method, target, headers, body = parse_request(request)
        url = target if target.startswith(("http://", "https://")) else None
        url = url or f"{self._scheme}://{self._authority}{target}"
        try:
            answer = net.exchange(method, url, headers, body, self._timeout)
        except net.ExchangeError as e:
            raise library_error(e) from None
        self._answer = net.response_bytes(answer)

    def makefile(self, mode="rb", *args, **kwargs):
        self.exchange()
        answer, self._answer = self._answer, b""
        return io.BytesIO(answer)

    def settimeout(self, timeout):
        self._timeout = timeout

    def setsockopt(self, *args):
        pass

    def close(self):
        self._out.clear()


def library_error(error):
    """The exception `http.client` users expect for a failed exchange: a refusal is a
    refused connection, a timeout a `TimeoutError`, a request the host finds malformed a
    `ValueError`, anything else a `ConnectionError`; each with the host's message."""
    if error.kind == "Timeout":
        return TimeoutError(error.message)
    if error.kind == "Refused":
        return ConnectionRefusedError(error.message)
    if error.kind == "BadRequest":
        return ValueError(error.message)
    return ConnectionError(error.message)


def parse_request(data):
    """(method, request target, headers as pairs, body) of a request `http.client` wrote:
    folded header lines joined, a chunked body decoded, the framing headers left out."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = []
    chunked = False
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # putheader() with several values folds them
            name, value = headers.pop()
            headers.append((name, f"{value} {line.strip()}"))
            continue
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    kept = []
    for name, value in headers:
        key = name.lower()
        if key == "transfer-encoding":
            chunked = "chunked" in value.lower()
        elif key != "content-length":
            kept.append((name, value))
    return method, target, kept, _dechunk(body) if chunked else body


def _dechunk(data):
    out = bytearray()
    at = 0
    while True:
        end = data.find(b"\r\n", at)
        if end < 0:
            return bytes(out)
        size = int(data[at:end].split(b";", 1)[0], 16)
        if size == 0:
            return bytes(out)
        out += data[end + 2 : end + 2 + size]
        at = end + 2 + size + 2
