"""The HTTP clients people import, in the sandbox: `urllib.request`, `http.client`, `requests`
and `httpx` in widget code reach a local server through the host's `http.request` handler
(the guest has no sockets), under the same policy, limits and per-run allowance as
`anvil.http`; refusals and timeouts raise each library's own exceptions with the host's
reason; a widget's own installed `requests` or `httpx` is the one imported, and works.

The servers are on 127.0.0.1: plain HTTP, and HTTPS with a certificate for `secure.test`
from a private CA that the host's handler is told to trust (the guest never sees TLS). The
shared runtime's bridge gets this module's handler, with `allow_private` on and a resolver
that sends `*.test` to 127.0.0.1.
"""

from __future__ import annotations

import base64
import datetime
import gzip
import http.server
import json
import shutil
import ssl
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests._timing import within
from widgetbox.host import outbound
from widgetbox.host.outbound import OutboundBudget, OutboundHandler, OutboundPolicy
from widgetbox.runtime import Code, HostCall, Limits, Runtime, Script, Status, _included

pytestmark = pytest.mark.sandbox

# -- the local servers -------------------------------------------------------------------------


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "TestServer/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.route()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def send(
        self, status: int, body: bytes, content_type: str = "text/plain", **headers: Any
    ) -> None:
        self.send_response(status, headers.pop("reason", None))
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            for one in value if isinstance(value, list) else [value]:
                self.send_header(name.replace("_", "-"), one)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def route(self) -> None:
        url = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if url.path == "/json":
            self.send(200, b'{"hello": "world"}', "application/json")
        elif url.path == "/echo":
            auth = self.headers.get("Authorization", "")
            answer = {
                "method": self.command,
                "path": self.path,
                "headers": {name.lower(): value for name, value in self.headers.items()},
                "body": body.decode("latin-1"),
                "auth": base64.b64decode(auth[6:]).decode() if auth.startswith("Basic ") else None,
                "scheme": "https" if isinstance(self.connection, ssl.SSLSocket) else "http",
            }
            self.send(200, json.dumps(answer).encode(), "application/json")
        elif url.path == "/cookies":
            self.send(200, b"set", Set_Cookie=["a=1; Path=/", "b=2; Path=/"], X_Multi=["x", "y"])
        elif url.path == "/teapot":
            self.send(418, b"short and stout", reason="I'm a teapot")
        elif url.path.startswith("/status/"):
            self.send(int(url.path.rsplit("/", 1)[1]), b'{"error": "no"}', "application/json")
        elif url.path == "/redirect":
            self.send(int(query.get("status", 302)), b"moved along", Location=query["to"])
        elif url.path == "/gzip":
            self.send(200, gzip.compress(b"squeezed " * 50), Content_Encoding="gzip")
        elif url.path == "/slow":
            time.sleep(float(query.get("delay", 3)))
            self.send(200, b"late")
        else:
            self.send(404, b"no route")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def serve(context: ssl.SSLContext | None = None) -> tuple[Server, int]:
    server = Server(("127.0.0.1", 0), Handler)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    server, number = serve()
    yield number
    server.shutdown()
    server.server_close()


def certificates() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for `secure.test` from a private CA, and a client
    context (the host's) that trusts that CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    def certificate(subject: str, key: Any, issuer_key: Any, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(name("Test CA"))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
            )
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate("Test CA", ca_key, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = certificate("secure.test", key, ca_key, ca=False)
    pem = serialization.Encoding.PEM
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as folder:
        cert_file, key_file = Path(folder, "cert.pem"), Path(folder, "key.pem")
        cert_file.write_bytes(cert.public_bytes(pem))
        key_file.write_bytes(
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
        server.load_cert_chain(cert_file, key_file)
    return server, ssl.create_default_context(cadata=ca.public_bytes(pem).decode())


@pytest.fixture(scope="module")
def tls() -> Iterator[tuple[int, ssl.SSLContext]]:
    """(port, the host's client context) of an HTTPS server for `secure.test`."""
    server_context, client_context = certificates()
    server, number = serve(server_context)
    yield number, client_context
    server.shutdown()
    server.server_close()


def resolve(host: str, port: int) -> list[str]:
    if host == "meta.test":
        return ["169.254.169.254"]
    if host.endswith(".test"):
        return ["127.0.0.1"]
    return outbound.resolve_dns(host, port)


POLICY = OutboundPolicy(allow_private=True, timeout=5.0, max_bytes=256 * 1024)


@pytest.fixture(scope="module", autouse=True)
def registered(runtime: Runtime, tls: tuple[int, ssl.SSLContext]) -> OutboundHandler:
    # The bridge is the session's; this module's handler answers `http.request` on it.
    return outbound.register(runtime.bridge, POLICY, resolve=resolve, ssl_context=tls[1])


def guest(
    runtime: Runtime,
    port: int,
    body: str,
    *,
    tls_port: int = 0,
    calls: int = 50,
    packages: Path | None = None,
) -> list[Any]:
    """Run `body` with BASE (the HTTP server's URL) and SECURE (the HTTPS one's); `out(x)`
    prints one JSON value per line, which are returned."""
    prelude = (
        "import json\n"
        f"BASE = 'http://127.0.0.1:{port}'\n"
        f"SECURE = 'https://secure.test:{tls_port}'\n"
        "def out(value):\n    print(json.dumps(value))\n"
    )
    result = runtime.run(
        Script(Code({"main.py": prelude + textwrap.dedent(body)}, packages=packages)),
        limits=Limits.script().with_(timeout=60),
        context={"outbound": OutboundBudget(calls)},
    )
    assert result.status is Status.OK, (result.message, result.stderr, result.stdout)
    return [json.loads(line) for line in result.stdout.splitlines()]


# -- urllib.request and http.client ------------------------------------------------------------


def test_urllib_get_and_post_with_headers_and_body(runtime: Runtime, port: int) -> None:
    lines = guest(
        runtime,
        port,
        """
        import urllib.request

        with urllib.request.urlopen(BASE + "/json") as r:
            out([r.status, r.reason, r.headers["Content-Type"], json.loads(r.read()), r.url])
        request = urllib.request.Request(
            BASE + "/echo?x=1", data=b"name=Ann", method="POST",
            headers={"X-Api-Key": "k1", "Content-Type": "application/x-www-form-urlencoded"})
        echo = json.loads(urllib.request.urlopen(request, timeout=5).read())
        h = echo["headers"]
        out([echo["method"], echo["path"], echo["body"], h["x-api-key"], h["content-type"],
             h["content-length"], h["user-agent"].startswith("Python-urllib/")])
        """,
    )
    assert lines == [
        [200, "OK", "application/json", {"hello": "world"}, f"http://127.0.0.1:{port}/json"],
        ["POST", "/echo?x=1", "name=Ann", "k1", "application/x-www-form-urlencoded", "8", True],
    ]


def test_urllib_errors_redirects_and_https(
    runtime: Runtime, port: int, tls: tuple[int, ssl.SSLContext]
) -> None:
    lines = guest(
        runtime,
        port,
        """
        import urllib.error, urllib.request

        try:
            urllib.request.urlopen(BASE + "/status/404")
        except urllib.error.HTTPError as e:
            out([e.code, e.reason, e.read().decode()])
        r = urllib.request.urlopen(BASE + "/redirect?status=301&to=/redirect%3Fto%3D/json")
        out([r.status, r.url, json.loads(r.read())])
        echo = json.loads(urllib.request.urlopen(SECURE + "/echo").read())
        out([echo["scheme"], echo["headers"]["host"], hasattr(urllib.request, "HTTPSHandler")])
        """,
        tls_port=tls[0],
    )
    assert lines == [
        [404, "Not Found", '{"error": "no"}'],
        [200, f"http://127.0.0.1:{port}/json", {"hello": "world"}],
        ["https", f"secure.test:{tls[0]}", True],
    ]


def test_http_client_directly(runtime: Runtime, port: int, tls: tuple[int, ssl.SSLContext]) -> None:
    lines = guest(
        runtime,
        port,
        f"""
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", {port}, timeout=5)
        conn.request("GET", "/cookies")
        r = conn.getresponse()
        out([r.status, r.reason, r.getheader("X-Multi"), r.msg.get_all("Set-Cookie"), r.read()
             .decode(), isinstance(r, http.client.HTTPResponse)])
        conn.request("PUT", "/echo", body=iter([b"chunk one, ", b"chunk two"]))  # chunked
        echo = json.loads(conn.getresponse().read())
        out([echo["method"], echo["body"], "transfer-encoding" in echo["headers"]])
        conn.request("HEAD", "/json")
        r = conn.getresponse()
        out([r.status, r.getheader("Content-Length"), r.read().decode()])
        conn.putrequest("POST", "/echo")
        conn.putheader("Content-Length", "5")
        conn.putheader("X-Folded", "one", "two")
        conn.endheaders()
        conn.send(b"hello")
        echo = json.loads(conn.getresponse().read())
        out([echo["body"], echo["headers"]["x-folded"]])
        teapot = http.client.HTTPConnection("127.0.0.1:{port}")
        teapot.request("GET", "/teapot")
        r = teapot.getresponse()
        out([r.status, r.reason, r.read().decode()])
        secure = http.client.HTTPSConnection("secure.test", {tls[0]})
        secure.request("GET", "/echo")
        out(json.loads(secure.getresponse().read())["scheme"])
        """,
    )
    assert lines == [
        [200, "OK", "x, y", ["a=1; Path=/", "b=2; Path=/"], "set", True],
        ["PUT", "chunk one, chunk two", False],
        [200, "18", ""],
        ["hello", "one two"],
        [418, "I'm a teapot", "short and stout"],
        "https",
    ]


# -- requests ----------------------------------------------------------------------------------


def test_requests_get_post_json_params_headers_and_status(runtime: Runtime, port: int) -> None:
    lines = guest(
        runtime,
        port,
        """
        import requests

        r = requests.get(BASE + "/echo", params={"q": "a b", "n": 2}, headers={"X-Key": "k"})
        e = r.json()
        out([r.status_code, r.ok, e["method"], e["path"], e["headers"]["x-key"],
             e["headers"]["user-agent"].startswith("python-requests/")])
        e = requests.post(BASE + "/echo", json={"a": [1, None]}, auth=("ann", "pw")).json()
        out([e["body"], e["headers"]["content-type"], e["auth"]])
        e = requests.put(BASE + "/echo", data={"name": "Ann Lee"}).json()
        out([e["method"], e["body"], e["headers"]["content-type"]])
        e = requests.post(BASE + "/echo", files={"f": ("a.txt", b"file body")}).json()
        out(["multipart/form-data" in e["headers"]["content-type"], "file body" in e["body"]])
        r = requests.get(BASE + "/teapot")
        out([r.status_code, r.reason, r.text, r.ok])
        try:
            requests.get(BASE + "/status/503").raise_for_status()
        except requests.HTTPError as error:
            out([type(error).__name__, error.response.status_code, str(error)[:24]])
        r = requests.get(BASE + "/gzip")
        out([r.headers["Content-Encoding"], r.text[:17], len(r.content)])
        r = requests.get(BASE + "/gzip", stream=True)
        out(len(b"".join(r.iter_content(64))))
        out(requests.head(BASE + "/json").headers["Content-Length"])
        """,
    )
    assert lines == [
        [200, True, "GET", "/echo?q=a+b&n=2", "k", True],
        ['{"a": [1, null]}', "application/json", "ann:pw"],
        ["PUT", "name=Ann+Lee", "application/x-www-form-urlencoded"],
        [True, True],
        [418, "I'm a teapot", "short and stout", False],
        ["HTTPError", 503, "503 Server Error: Servic"],
        ["gzip", "squeezed squeezed", 450],
        450,
        "18",
    ]


def test_requests_redirects_cookies_and_https(
    runtime: Runtime, port: int, tls: tuple[int, ssl.SSLContext]
) -> None:
    lines = guest(
        runtime,
        port,
        """
        import requests

        r = requests.get(BASE + "/redirect?to=/redirect%3Fstatus%3D307%26to%3D/json")
        out([r.status_code, [h.status_code for h in r.history], r.url, r.json()])
        r = requests.get(BASE + "/redirect?to=/json", allow_redirects=False)
        out([r.status_code, r.is_redirect, r.headers["Location"], r.text])
        r = requests.post(BASE + "/redirect?status=303&to=/echo", data="x")
        out([r.json()["method"], r.history[0].status_code])
        session = requests.Session()
        r = session.get(BASE + "/cookies")
        out([r.cookies.get_dict(), r.headers["X-Multi"]])
        out(session.get(BASE + "/echo").json()["headers"]["cookie"])
        e = requests.get(SECURE + "/echo").json()
        out([e["scheme"], e["headers"]["host"]])
        try:  # the host verifies every certificate: this one is for secure.test
            requests.get(SECURE.replace("secure.test", "127.0.0.1"), verify=False)
        except requests.ConnectionError as e:
            out(str(e).split(": ")[-1])
        """,
        tls_port=tls[0],
    )
    assert lines == [
        [200, [302, 307], f"http://127.0.0.1:{port}/json", {"hello": "world"}],
        [302, True, "/json", "moved along"],
        ["GET", 303],
        [{"a": "1", "b": "2"}, "x, y"],
        "a=1; b=2",
        ["https", f"secure.test:{tls[0]}"],
        "its TLS certificate could not be verified",
    ]


# -- httpx -------------------------------------------------------------------------------------


def test_httpx_get_post_json_params_headers_and_status(runtime: Runtime, port: int) -> None:
    lines = guest(
        runtime,
        port,
        """
        import httpx

        r = httpx.get(BASE + "/echo", params={"q": "a b", "n": 2}, headers={"X-Key": "k"})
        e = r.json()
        out([r.status_code, r.http_version, e["method"], e["path"], e["headers"]["x-key"],
             e["headers"]["user-agent"].startswith("python-httpx/")])
        e = httpx.post(BASE + "/echo", json={"a": [1, None]}, auth=("ann", "pw")).json()
        out([e["body"], e["headers"]["content-type"], e["auth"]])
        e = httpx.put(BASE + "/echo", data={"name": "Ann Lee"}).json()
        out([e["method"], e["body"], e["headers"]["content-type"]])
        r = httpx.get(BASE + "/teapot")
        out([r.status_code, r.reason_phrase, r.text, r.is_success])
        try:
            httpx.get(BASE + "/status/503").raise_for_status()
        except httpx.HTTPStatusError as error:
            out([type(error).__name__, error.response.status_code])
        r = httpx.get(BASE + "/gzip")
        out([r.headers["Content-Encoding"], r.text[:17], len(r.content)])
        with httpx.stream("GET", BASE + "/gzip") as r:
            out(len(b"".join(r.iter_bytes())))
        """,
    )
    assert lines == [
        [200, "HTTP/1.1", "GET", "/echo?q=a+b&n=2", "k", True],
        ['{"a":[1,null]}', "application/json", "ann:pw"],
        ["PUT", "name=Ann+Lee", "application/x-www-form-urlencoded"],
        [418, "I'm a teapot", "short and stout", False],
        ["HTTPStatusError", 503],
        ["gzip", "squeezed squeezed", 450],
        450,
    ]


def test_httpx_redirects_cookies_https_and_async(
    runtime: Runtime, port: int, tls: tuple[int, ssl.SSLContext]
) -> None:
    lines = guest(
        runtime,
        port,
        """
        import httpx

        r = httpx.get(BASE + "/redirect?to=/json")
        out([r.status_code, r.is_redirect, r.headers["location"]])
        r = httpx.get(BASE + "/redirect?to=/redirect%3Fstatus%3D307%26to%3D/json",
                      follow_redirects=True)
        out([r.status_code, [h.status_code for h in r.history], str(r.url), r.json()])
        with httpx.Client(base_url=BASE) as client:
            r = client.get("/cookies")
            out([r.headers.get_list("set-cookie"), dict(client.cookies)])
            out(client.get("/echo").json()["headers"]["cookie"])
        e = httpx.get(SECURE + "/echo").json()
        out([e["scheme"], e["headers"]["host"]])

        async def fetch():
            async with httpx.AsyncClient() as client:
                r = await client.post(BASE + "/echo", content=b"async body")
                return r.json()["body"]

        # asyncio's own loop cannot start in the sandbox (it needs a socket pair); the
        # transport never suspends, so the coroutine runs to its end by itself.
        coroutine = fetch()
        try:
            coroutine.send(None)
        except StopIteration as done:
            out(done.value)
        """,
        tls_port=tls[0],
    )
    assert lines == [
        [302, True, "/json"],
        [200, [302, 307], f"http://127.0.0.1:{port}/json", {"hello": "world"}],
        [["a=1; Path=/", "b=2; Path=/"], {"a": "1", "b": "2"}],
        "a=1; b=2",
        ["https", f"secure.test:{tls[0]}"],
        "async body",
    ]


# -- the policy, timeouts and the allowance, for every library ---------------------------------

REFUSAL = "requests to 169.254.169.254 are refused: it is a cloud metadata address"


def test_refusals_raise_each_librarys_connection_error_with_the_reason(
    runtime: Runtime, port: int
) -> None:
    lines = guest(
        runtime,
        port,
        """
        import http.client, urllib.error, urllib.request
        import httpx, requests

        URL = "http://169.254.169.254/latest/meta-data/"
        try:
            urllib.request.urlopen(URL)
        except urllib.error.URLError as e:
            out(["urllib", type(e.reason).__name__, str(e.reason)])
        try:
            conn = http.client.HTTPConnection("meta.test")
            conn.request("GET", "/")
        except ConnectionError as e:
            out(["http.client", type(e).__name__, str(e)])
        try:
            requests.get(URL)
        except requests.ConnectionError as e:
            out(["requests", type(e).__name__, str(e)])
        try:
            httpx.get(URL)
        except httpx.ConnectError as e:
            out(["httpx", type(e).__name__, str(e)])
        try:
            requests.get("http://127.0.0.1:25/")
        except requests.ConnectionError as e:
            out(["port", str(e)])
        """,
    )
    assert lines == [
        ["urllib", "ConnectionRefusedError", REFUSAL],
        ["http.client", "ConnectionRefusedError",
         "requests to meta.test are refused: it resolves to a cloud metadata address"],
        ["requests", "ConnectionError", REFUSAL],
        ["httpx", "ConnectError", REFUSAL],
        ["port", "requests to port 25 are refused"],
    ]  # fmt: skip


def test_timeouts_raise_each_librarys_timeout(runtime: Runtime, port: int) -> None:
    started = time.monotonic()
    lines = guest(
        runtime,
        port,
        """
        import socket, urllib.error, urllib.request
        import httpx, requests

        URL = BASE + "/slow?delay=3"
        try:
            urllib.request.urlopen(URL, timeout=0.3)
        except urllib.error.URLError as e:
            out(["urllib", type(e.reason).__name__, isinstance(e.reason, socket.timeout)])
        try:
            requests.get(URL, timeout=(0.1, 0.3))
        except requests.Timeout as e:
            out(["requests", type(e).__name__, str(e)])
        try:
            httpx.get(URL, timeout=0.3)
        except httpx.TimeoutException as e:
            out(["httpx", type(e).__name__, str(e)])
        """,
    )
    late = f"127.0.0.1:{port} did not answer within 0.3 s"
    assert lines == [
        ["urllib", "TimeoutError", True],
        ["requests", "ReadTimeout", late],
        ["httpx", "ReadTimeout", late],
    ]
    assert within(time.monotonic() - started, 3 * 0.3)  # the timeouts, not the 3 s delays


def test_every_library_draws_on_the_runs_one_allowance(runtime: Runtime, port: int) -> None:
    lines = guest(
        runtime,
        port,
        """
        import urllib.error, urllib.request
        import anvil.http, httpx, requests

        anvil.http.request(BASE + "/json")
        urllib.request.urlopen(BASE + "/json")
        requests.get(BASE + "/redirect?to=/json")  # two requests: the library follows it
        try:
            httpx.get(BASE + "/json")
        except httpx.ConnectError as e:
            out(["httpx", str(e)])
        try:
            requests.get(BASE + "/json")
        except requests.ConnectionError as e:
            out(["requests", str(e)])
        try:
            urllib.request.urlopen(BASE + "/json")
        except urllib.error.URLError as e:
            out(["urllib", type(e.reason).__name__, str(e.reason)])
        """,
        calls=4,
    )
    limit = "this run may make at most 4 outbound HTTP requests"
    assert lines == [
        ["httpx", limit],
        ["requests", limit],
        ["urllib", "ConnectionError", limit],
    ]


# -- which copy is imported --------------------------------------------------------------------


def own_versions(root: Path, runtime: Runtime) -> Path:
    """A widget's packages folder holding its own `requests` and `httpx`: the included
    packages' code under another version number, compiled as an install compiles it."""
    included = _included.locate(runtime.interpreter)
    assert included is not None, "run `widgetbox prepare`"
    folder = root / "env"
    for package in ("requests", "httpx"):
        shutil.copytree(
            included / package, folder / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    version = folder / "requests" / "__version__.py"
    text = version.read_text()
    start = text.index('__version__ = "')
    end = text.index('"', start + 15)
    version.write_text(text[:start] + '__version__ = "2.99.0+widget' + text[end:])
    (folder / "httpx" / "__version__.py").write_text(
        '__title__ = "httpx"\n__description__ = "A widget\'s own"\n__version__ = "0.99.0+widget"\n'
    )
    runtime.compile_packages(folder)
    return folder


def test_a_widgets_own_requests_and_httpx_are_imported_and_work(
    runtime: Runtime, port: int, tmp_path: Path
) -> None:
    lines = guest(
        runtime,
        port,
        """
        import sys
        import httpx, requests

        out(sys.path[-2:])
        out([requests.__version__, requests.__file__, httpx.__version__, httpx.__file__])
        out([requests.get(BASE + "/json").json(), httpx.get(BASE + "/json").json()])
        try:
            requests.get("http://169.254.169.254/")
        except requests.ConnectionError as e:
            out(str(e))
        """,
        packages=own_versions(tmp_path, runtime),
    )
    assert lines == [
        ["/packages", "/included"],
        ["2.99.0+widget", "/packages/requests/__init__.py",
         "0.99.0+widget", "/packages/httpx/__init__.py"],
        [{"hello": "world"}, {"hello": "world"}],
        REFUSAL,
    ]  # fmt: skip


def test_nothing_is_imported_until_a_widget_imports_it(runtime: Runtime, port: int) -> None:
    lines = guest(
        runtime,
        port,
        """
        import os, sys

        out([name for name in ("http.client", "urllib.request", "requests", "httpx", "email")
             if name in sys.modules])
        out(sys.path[-1])
        out(sorted(os.listdir("/included"))[:4])
        try:
            open("/included/requests/new.py", "w")
        except OSError as e:
            out(type(e).__name__)
        import requests
        out(requests.__file__)
        """,
    )
    assert lines == [
        [],
        "/included",
        ["anyio", f"anyio-{version('anyio')}.dist-info", "certifi",
         f"certifi-{version('certifi')}.dist-info"],
        "PermissionError",
        "/included/requests/__init__.py",
    ]  # fmt: skip


def version(name: str) -> str:
    return next(wheel.version for wheel in _included.load() if wheel.name == name)


# -- the host's `raw` exchange -----------------------------------------------------------------


def call() -> HostCall:
    return HostCall(outbound.OP, {"outbound": OutboundBudget(5)}, 10.0)


def test_a_raw_exchange_answers_redirects_and_every_header_as_received(port: int) -> None:
    handler = outbound.make_handler(POLICY, resolve=resolve)
    url = f"http://127.0.0.1:{port}"
    answer = handler(call(), {"url": url + "/redirect?to=/json", "raw": True})
    assert (answer["status"], answer["reason"], answer["url"]) == (
        302,
        "Found",
        url + "/redirect?to=/json",
    )
    assert base64.b64decode(answer["body_b64"]) == b"moved along"
    assert ["Location", "/json"] in answer["header_list"]
    answer = handler(call(), {"url": url + "/cookies", "raw": True})
    assert [
        pair for pair in answer["header_list"] if pair[0].lower() in ("set-cookie", "x-multi")
    ] == [
        ["Set-Cookie", "a=1; Path=/"],
        ["Set-Cookie", "b=2; Path=/"],
        ["X-Multi", "x"],
        ["X-Multi", "y"],
    ]
    # without `raw`, the answer is anvil.http's as before: redirects followed, headers joined
    answer = handler(call(), {"url": url + "/redirect?to=/cookies"})
    assert set(answer) == {"status", "headers", "body_b64", "url"}
    assert answer["headers"]["set-cookie"] == "a=1; Path=/, b=2; Path=/"
