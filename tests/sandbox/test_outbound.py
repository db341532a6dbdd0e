"""Outbound HTTP end to end: widget code calls `anvil.http.request` in the sandbox, the host's
`http.request` handler makes the request to a local server, and the policy's refusals,
limits and timeouts reach the widget as Anvil's exceptions.

The shared runtime's bridge gets the handler once, with `allow_private` on (the test server
is on 127.0.0.1) and a resolver that knows a few `.test` names. What `allow_private` off
refuses is tested on the handler itself, with the same local server.
"""

from __future__ import annotations

import base64
import http.server
import json
import socket
import ssl
import textwrap
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests._certs import contexts
from tests._timing import LOADED_MARGIN, within
from widgetbox.host import outbound
from widgetbox.host.outbound import OutboundBudget, OutboundHandler, OutboundPolicy
from widgetbox.runtime import Bridge, Code, HostCall, HostCallError, Limits, Runtime, Script, Status

pytestmark = pytest.mark.sandbox

MAX_BYTES = 256 * 1024
SECRET = "/srv/widgetbox/secret.toml password=hunter2"

# -- the local server --------------------------------------------------------------------------


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "TestServer/1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.route()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def send(
        self, status: int, body: bytes, content_type: str = "text/plain", **headers: Any
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if headers.pop("length", True):
            self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            for one in value if isinstance(value, list) else [value]:
                self.send_header(name.replace("_", "-"), one)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def redirect(self, status: int, location: str) -> None:
        self.send(status, b"moved", Location=location)

    def route(self) -> None:  # noqa: PLR0912 - one branch per endpoint
        url = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        path = url.path
        if path == "/json":
            self.send(200, b'{"hello": "world", "n": [1, 2.5, null]}', "application/json")
        elif path == "/text":
            self.send(200, "héllo wörld".encode(), "text/plain; charset=utf-8")
        elif path == "/binary":
            self.send(200, bytes(range(256)), "application/octet-stream")
        elif path == "/empty":
            self.send(204, b"")
        elif path == "/headers":
            self.send(200, b"ok", X_Multi=["one", "two"], Set_Cookie=["a=1", "b=2"])
        elif path.startswith("/status/"):
            status = int(path.rsplit("/", 1)[1])
            if status == 404:
                self.send(404, b'{"error": "not here"}', "application/json")
            else:
                self.send(status, b"it broke")
        elif path == "/echo":
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            auth = self.headers.get("Authorization")
            if auth and auth.startswith("Basic "):
                auth = base64.b64decode(auth[6:]).decode()
            answer = {
                "method": self.command,
                "path": self.path,
                "headers": {name.lower(): value for name, value in self.headers.items()},
                "body": body.decode("latin-1"),
                "auth": auth,
            }
            self.send(200, json.dumps(answer).encode(), "application/json")
        elif path == "/redirect":
            self.redirect(int(query.get("status", 302)), query["to"])
        elif path.startswith("/chain/"):
            left = int(path.rsplit("/", 1)[1])
            if left:
                self.redirect(302, f"/chain/{left - 1}")
            else:
                self.send(200, b'{"chain": "done"}', "application/json")
        elif path == "/loop":
            self.redirect(302, "/loop")
        elif path == "/nested/relative":
            self.redirect(302, "../json")
        elif path == "/slow":
            time.sleep(float(query.get("delay", 2)))
            self.send(200, b"late")
        elif path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)
        elif path == "/huge":
            size = int(query["n"])
            self.send(200, b"x" * size, length="nolength" not in query)
            self.close_connection = True
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


@pytest.fixture(scope="module")
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the handler on the shared bridge ----------------------------------------------------------

LOOKUPS: list[str] = []


def resolve(host: str, port: int) -> list[str]:
    """`.test` names for the tests; anything else goes to the system resolver."""
    LOOKUPS.append(host)
    if host == "explode.test":
        raise OSError(f"resolver failed reading {SECRET}")
    if host == "meta.test":
        return ["169.254.169.254"]
    if host.endswith(".test"):
        return ["127.0.0.1"]
    return outbound.resolve_dns(host, port)


SHARED_POLICY = OutboundPolicy(allow_private=True, timeout=5.0, max_bytes=MAX_BYTES)


@pytest.fixture(scope="module", autouse=True)
def registered(runtime: Runtime) -> OutboundHandler:
    # The bridge is the session's; this module's handler answers `http.request` on it.
    return outbound.register(runtime.bridge, SHARED_POLICY, resolve=resolve)


PRELUDE = """
import json
import anvil
import anvil.http as http

def show(value):
    if isinstance(value, anvil.Media):
        return {"media": value.content_type, "text": value.get_bytes().decode("latin-1")}
    return value

def attempt(fn):
    try:
        return {"ok": show(fn())}
    except http.HttpError as e:
        return {"status": e.status, "content": show(e.content), "message": str(e)}
    except http.HttpRequestFailed as e:
        return {"failed": type(e).__name__, "kind": e.kind, "message": str(e),
                "timeout": isinstance(e, TimeoutError)}

def out(value):
    print(json.dumps(value))
"""


def guest(runtime: Runtime, port: int, body: str, calls: int = 50, **limits: Any) -> list[Any]:
    """Run `body` (with PRELUDE, and BASE the local server's URL); one JSON value per line."""
    source = PRELUDE + f"BASE = 'http://127.0.0.1:{port}'\n" + textwrap.dedent(body)
    result = runtime.run(
        Script(Code.single(source)),
        limits=Limits.script().with_(timeout=30, **limits),
        context={"outbound": OutboundBudget(calls)},
    )
    assert result.status is Status.OK, (result.message, result.stderr, result.stdout)
    return [json.loads(line) for line in result.stdout.splitlines()]


# -- answers -----------------------------------------------------------------------------------


def test_json_text_and_binary_answers(runtime: Runtime, port: int) -> None:
    lines = guest(
        runtime,
        port,
        """
        out(http.request(BASE + "/json", json=True))
        media = http.request(BASE + "/json")
        out([type(media).__name__, media.content_type, media.get_bytes().decode()])
        text = http.request(BASE + "/text")
        out([text.content_type, text.get_bytes().decode("utf-8")])
        blob = http.request(BASE + "/binary")
        out([blob.content_type, list(blob.get_bytes()) == list(range(256)), blob.length])
        out(attempt(lambda: http.request(BASE + "/empty", json=True)))
        out(attempt(lambda: http.request(BASE + "/text", json=True)))
        """,
    )
    assert lines == [
        {"hello": "world", "n": [1, 2.5, None]},
        ["BlobMedia", "application/json", '{"hello": "world", "n": [1, 2.5, null]}'],
        ["text/plain; charset=utf-8", "héllo wörld"],
        ["application/octet-stream", True, 256],
        {"ok": None},
        {
            "status": 200,
            "content": {"media": "text/plain; charset=utf-8", "text": "hÃ©llo wÃ¶rld"},
            "message": "Invalid JSON in response",
        },
    ]


def test_error_statuses_raise_http_error_with_the_content(runtime: Runtime, port: int) -> None:
    lines = guest(
        runtime,
        port,
        """
        out(attempt(lambda: http.request(BASE + "/status/404", json=True)))
        out(attempt(lambda: http.request(BASE + "/status/404")))
        out(attempt(lambda: http.request(BASE + "/status/500", json=True)))
        out(attempt(lambda: http.request(BASE + "/status/500", method="POST", data="x")))
        out([issubclass(http.HttpError, Exception), http.HttpError is http.HttpErrorStatus])
        """,
    )
    assert lines == [
        {"status": 404, "content": {"error": "not here"}, "message": "HTTP error 404"},
        {
            "status": 404,
            "content": {"media": "application/json", "text": '{"error": "not here"}'},
            "message": "HTTP error 404",
        },
        {
            "status": 500,
            "content": {"media": "text/plain", "text": "it broke"},
            "message": "Invalid JSON in response",
        },
        {
            "status": 500,
            "content": {"media": "text/plain", "text": "it broke"},
            "message": "HTTP error 500",
        },
        [True, True],
    ]


def test_bodies_methods_headers_and_basic_auth(runtime: Runtime, port: int) -> None:
    lines = guest(
        runtime,
        port,
        """
        def echo(**kwargs):
            answer = http.request(BASE + "/echo", **kwargs)
            if isinstance(answer, anvil.Media):
                answer = json.loads(answer.get_bytes())
            return [answer["method"], answer["path"], answer["headers"].get("content-type"),
                    answer["body"], answer["auth"]]

        out(echo(method="POST", data={"a": 1, "b": [True, None]}, json=True))
        out(echo(method="POST", data="text", json=True))
        out(echo(method="put", data=[1, "two"]))
        out(echo(method="POST", data="raw text", headers={"Content-Type": "text/csv"}))
        out(echo(method="POST", data={"k": "v"}, headers={"content-type": "application/vnd+json"}))
        out(echo(method="PATCH", data=b"\\x00\\xff"))
        out(echo(method="POST", data=anvil.BlobMedia("image/png", b"PNG")))
        out(echo(data="q=1 2"))
        out(echo(data={"q": "a b"}, json=False))
        out(echo(method="DELETE", username="ann", password="s3cr:t"))
        answer = http.request(BASE + "/echo", json=True, headers={
            "X-Api-Key": "k1", "Accept": "application/json", "Host": "evil.example",
            "Connection": "upgrade", "Upgrade": "h2c", "Transfer-Encoding": "chunked"})
        h = answer["headers"]
        out([h["x-api-key"], h["accept"], h["host"] == BASE[7:], "upgrade" in h,
             h.get("connection"), "transfer-encoding" in h, h["user-agent"]])
        """,
    )
    assert lines == [
        ["POST", "/echo", "application/json", '{"a": 1, "b": [true, null]}', None],
        ["POST", "/echo", "application/json", '"text"', None],
        ["PUT", "/echo", "application/json", '[1, "two"]', None],
        ["POST", "/echo", "text/csv", "raw text", None],
        ["POST", "/echo", "application/vnd+json", '{"k": "v"}', None],
        ["PATCH", "/echo", None, "\x00\xff", None],
        ["POST", "/echo", "image/png", "PNG", None],
        ["GET", "/echo?q=1%202", None, "", None],
        ["GET", "/echo?q=a%20b", "application/x-www-form-urlencoded", "", None],
        ["DELETE", "/echo", None, "", "ann:s3cr:t"],
        ["k1", "application/json", True, False, None, False,
         "Widgetbox (outbound HTTP for widget code)"],
    ]  # fmt: skip


def test_form_posts_are_url_encoded(runtime: Runtime, port: int) -> None:
    lines = guest(
        runtime,
        port,
        """
        answer = http.request(BASE + "/echo", method="POST", data={"name": "Ann Lee", "n": 3},
                              json=False)
        out(json.loads(answer.get_bytes()))
        """,
    )
    (answer,) = lines
    assert answer["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert answer["body"] == "name=Ann%20Lee&n=3"


def test_repeated_response_headers_are_joined(port: int) -> None:
    handler = outbound.make_handler(SHARED_POLICY, resolve=resolve)
    answer = handler(call(), {"url": f"http://127.0.0.1:{port}/headers"})
    assert answer["headers"]["x-multi"] == "one, two"
    assert answer["headers"]["set-cookie"] == "a=1, b=2"
    assert all(name == name.lower() for name in answer["headers"])


def test_url_encode_and_decode_as_anvil(runtime: Runtime, port: int) -> None:
    lines = guest(
        runtime,
        port,
        """
        out(http.url_encode("Hello there/?&=é~*'()!"))
        out(http.url_decode("Hello%20there%2F%3F%26%3D%C3%A9+x"))
        for bad in ("%", "%zz", "%C3"):
            try:
                http.url_decode(bad)
            except http.UrlEncodingError as e:
                out(str(e))
        """,
    )
    assert lines == [
        "Hello%20there%2F%3F%26%3D%C3%A9~*'()!",
        "Hello there/?&=é+x",
        *["This is not a valid URL-encoded string"] * 3,
    ]


# -- redirects ---------------------------------------------------------------------------------


def test_redirects_are_followed(runtime: Runtime, port: int) -> None:
    lines = guest(
        runtime,
        port,
        """
        out(http.request(BASE + "/redirect?to=/json", json=True))
        out(http.request(BASE + "/redirect?status=301&to=" + BASE + "/json", json=True))
        out(http.request(BASE + "/nested/relative", json=True))
        out(http.request(BASE + "/chain/10", json=True))
        out(attempt(lambda: http.request(BASE + "/chain/11")))
        out(attempt(lambda: http.request(BASE + "/loop")))
        for status in (301, 302, 303, 307, 308):
            a = http.request(BASE + f"/redirect?status={status}&to=/echo", method="POST",
                             data="payload", json=True, headers={"Content-Type": "text/plain"})
            out([status, a["method"], a["body"], a["headers"].get("content-type")])
        a = http.request(BASE + "/redirect?status=303&to=/echo", method="HEAD")
        out(a.get_bytes().decode())
        """,
    )
    loop_message = f"127.0.0.1:{port} redirected more than 10 times"
    assert lines == [
        {"hello": "world", "n": [1, 2.5, None]},
        {"hello": "world", "n": [1, 2.5, None]},
        {"hello": "world", "n": [1, 2.5, None]},
        {"chain": "done"},
        {"failed": "HttpRequestFailed", "kind": "ConnectionError", "message": loop_message,
         "timeout": False},
        {"failed": "HttpRequestFailed", "kind": "ConnectionError", "message": loop_message,
         "timeout": False},
        [301, "GET", "", None],
        [302, "GET", "", None],
        [303, "GET", "", None],
        [307, "POST", '"payload"', "text/plain"],
        [308, "POST", '"payload"', "text/plain"],
        "",
    ]  # fmt: skip


def test_credentials_do_not_follow_a_redirect_to_another_origin(
    runtime: Runtime, port: int
) -> None:
    lines = guest(
        runtime,
        port,
        f"""
        same = http.request(BASE + "/redirect?to=/echo", json=True, username="ann", password="pw",
                            headers={{"Cookie": "c=1", "X-Other": "kept"}})
        out([same["auth"], same["headers"].get("cookie"), same["headers"].get("x-other")])
        away = "http://alias.test:{port}/echo"
        other = http.request(BASE + "/redirect?to=" + away, json=True, username="ann",
                             password="pw", headers={{"Cookie": "c=1", "X-Other": "kept"}})
        out([other["auth"], other["headers"].get("cookie"), other["headers"].get("x-other"),
             other["headers"]["host"]])
        """,
    )
    assert lines == [
        ["ann:pw", "c=1", "kept"],
        [None, None, "kept", f"alias.test:{port}"],
    ]


def test_every_redirect_is_checked_again(runtime: Runtime, port: int) -> None:
    lines = guest(
        runtime,
        port,
        """
        for to in ("http://169.254.169.254/latest/meta-data/", "http://meta.test/",
                   "ftp://example.com/", "http://example.com:25/", "http://[::1%25lo]/"):
            out(attempt(lambda: http.request(BASE + "/redirect?to=" + http.url_encode(to))))
        """,
    )
    here = f"127.0.0.1:{port} redirected to a URL that"
    assert [(line["kind"], line["message"]) for line in lines] == [
        ("Refused", "requests to 169.254.169.254 are refused: it is a cloud metadata address"),
        ("Refused", "requests to meta.test are refused: it resolves to a cloud metadata address"),
        ("Refused", f"{here} is refused: only http and https URLs may be requested, not ftp:"),
        ("Refused", f"{here} is refused: requests to port 25 are refused"),
        ("ConnectionError", f"{here} is not valid: IPv6 zone identifiers are not accepted"),
    ]


# -- limits and failures -----------------------------------------------------------------------


def test_timeouts(runtime: Runtime, port: int) -> None:
    started = time.monotonic()
    lines = guest(
        runtime,
        port,
        """
        out(attempt(lambda: http.request(BASE + "/slow?delay=3", timeout=0.3)))
        out(attempt(lambda: http.request(BASE + "/slow?delay=0.05", timeout=2)))
        """,
    )
    assert within(time.monotonic() - started, 0.3 + 0.05)  # the timeout, not the 3 s delay
    assert lines == [
        {"failed": "HttpRequestTimeout", "kind": "Timeout",
         "message": f"127.0.0.1:{port} did not answer within 0.3 s", "timeout": True},
        {"ok": {"media": "text/plain", "text": "late"}},
    ]  # fmt: skip


def test_a_trickling_server_cannot_outlast_the_deadline(port: int) -> None:
    handler = outbound.make_handler(SHARED_POLICY, resolve=resolve)
    started = time.monotonic()
    with pytest.raises(HostCallError) as caught:
        handler(call(), {"url": f"http://127.0.0.1:{port}/drip", "timeout": 0.4})
    elapsed = time.monotonic() - started
    assert caught.value.kind == "Timeout"
    assert 0.4 <= elapsed <= 0.4 + 0.1 + LOADED_MARGIN  # though each byte arrives in time


def test_the_call_timeout_caps_the_request(runtime: Runtime, port: int) -> None:
    lines = guest(
        runtime,
        port,
        """
        out(attempt(lambda: http.request(BASE + "/slow?delay=3", timeout=60)))
        """,
        host_call_timeout=0.5,
    )
    (line,) = lines
    assert (line["kind"], line["timeout"]) == ("Timeout", True)
    assert line["message"].startswith(f"127.0.0.1:{port} did not answer within 0.4")


def test_the_size_cap(runtime: Runtime, port: int) -> None:
    lines = guest(
        runtime,
        port,
        f"""
        out(len(http.request(BASE + "/huge?n={MAX_BYTES}").get_bytes()))
        out(attempt(lambda: http.request(BASE + "/huge?n={MAX_BYTES + 1}")))
        out(attempt(lambda: http.request(BASE + "/huge?nolength=1&n={MAX_BYTES * 4}")))
        """,
    )
    message = f"the response from 127.0.0.1:{port} is larger than {MAX_BYTES:,} bytes"
    assert lines == [
        MAX_BYTES,
        {"failed": "HttpRequestFailed", "kind": "LimitExceeded", "message": message,
         "timeout": False},
        {"failed": "HttpRequestFailed", "kind": "LimitExceeded", "message": message,
         "timeout": False},
    ]  # fmt: skip


def test_an_answer_larger_than_the_bridge_carries_is_a_limit(runtime: Runtime, port: int) -> None:
    lines = guest(
        runtime,
        port,
        """
        out(attempt(lambda: http.request(BASE + "/huge?n=100000")))
        out(len(http.request(BASE + "/huge?n=10000").get_bytes()))
        """,
        host_response_bytes=64 * 1024,
    )
    assert lines == [
        {"failed": "HttpRequestFailed", "kind": "LimitExceeded", "timeout": False,
         "message": "the response is too large to pass to widget code (at most 65,536 bytes)"},
        10000,
    ]  # fmt: skip


def test_the_number_of_requests_per_run_is_capped(runtime: Runtime, port: int) -> None:
    lines = guest(
        runtime,
        port,
        """
        done = 0
        while True:
            result = attempt(lambda: http.request(BASE + "/json"))
            if "ok" not in result:
                out([done, result])
                break
            done += 1
        """,
        calls=3,
    )
    assert lines == [
        [3, {"failed": "HttpRequestFailed", "kind": "LimitExceeded",
             "message": "this run may make at most 3 outbound HTTP requests", "timeout": False}],
    ]  # fmt: skip


def test_failures_never_show_the_hosts_exception_text(
    runtime: Runtime, port: int, closed_port: int
) -> None:
    lines = guest(
        runtime,
        port,
        f"""
        out(attempt(lambda: http.request("http://127.0.0.1:{closed_port}/")))
        out(attempt(lambda: http.request("http://explode.test/")))
        out(attempt(lambda: http.request("https://127.0.0.1:{port}/json")))
        out(attempt(lambda: http.request("gopher://example.com/")))
        out(attempt(lambda: http.request("http://user:pw@example.com/")))
        out(attempt(lambda: http.request(BASE + "/json", method="CONNECT")))
        """,
    )
    assert [(line["kind"], line["message"]) for line in lines] == [
        ("ConnectionError",
         f"the request to 127.0.0.1:{closed_port} failed: the connection was refused"),
        ("ConnectionError", "the host name explode.test could not be resolved"),
        ("ConnectionError", f"the request to 127.0.0.1:{port} failed: the TLS handshake failed"),
        ("Refused", "only http and https URLs may be requested, not gopher:"),
        ("BadRequest",
         "credentials in the URL are not accepted; pass username= and password= instead"),
        ("Refused", "the CONNECT method is not allowed"),
    ]  # fmt: skip
    text = json.dumps(lines)
    for leak in ("hunter2", "secret", "Errno", "urllib3", "Traceback", "NewConnectionError"):
        assert leak not in text


def test_metadata_is_refused_even_with_private_addresses_allowed(
    runtime: Runtime, port: int
) -> None:
    lines = guest(
        runtime,
        port,
        """
        for url in ("http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/",
                    "http://metadata.google.internal/", "http://meta.test/",
                    "http://0.0.0.0/"):
            out(attempt(lambda: http.request(url))["message"])
        """,
    )
    assert lines == [
        "requests to 169.254.169.254 are refused: it is a cloud metadata address",
        "requests to [fd00:ec2::254] are refused: it is a cloud metadata address",
        "requests to metadata.google.internal are refused: it is a cloud metadata address",
        "requests to meta.test are refused: it resolves to a cloud metadata address",
        "requests to 0.0.0.0 are refused: it is the unspecified address",
    ]


def test_guest_argument_errors_are_python_errors(runtime: Runtime, port: int) -> None:
    lines = guest(
        runtime,
        port,
        """
        for kwargs in ({"url": 5}, {"url": BASE, "timeout": "1"}, {"url": BASE, "timeout": 0},
                       {"url": BASE, "method": "POST", "data": object()},
                       {"url": BASE, "headers": [("Accept", "x")]}):
            try:
                http.request(**kwargs)
            except (TypeError, ValueError) as e:
                out(type(e).__name__)
        """,
    )
    assert lines == ["TypeError", "TypeError", "ValueError", "TypeError", "TypeError"]


# -- allow_private off, on the handler directly -------------------------------------------------


def call(budget: int = 10, timeout: float = 10.0) -> HostCall:
    return HostCall(outbound.OP, {"outbound": OutboundBudget(budget)}, timeout)


def refusal(handler: outbound.OutboundHandler, url: str) -> HostCallError:
    with pytest.raises(HostCallError) as caught:
        handler(call(), {"url": url})
    return caught.value


def test_private_addresses_are_refused_when_not_allowed(port: int) -> None:
    handler = outbound.make_handler(OutboundPolicy(), resolve=resolve)
    for url, message in [
        (f"http://127.0.0.1:{port}/json", f"requests to 127.0.0.1:{port} are refused: it is a "),
        (f"http://localhost:{port}/json", f"requests to localhost:{port} are refused: it resolves"),
        (f"http://alias.test:{port}/json", f"requests to alias.test:{port} are refused: it resolv"),
        (f"http://[::ffff:127.0.0.1]:{port}/", f"requests to [::ffff:127.0.0.1]:{port} are ref"),
    ]:
        error = refusal(handler, url)
        assert error.kind == "Refused"
        assert error.message.startswith(message)
        assert "loopback address" in error.message


def test_the_system_resolver_is_used_by_default(port: int) -> None:
    handler = outbound.make_handler(OutboundPolicy())
    error = refusal(handler, f"http://localhost:{port}/json")
    assert error.message.startswith(f"requests to localhost:{port} are refused: it resolves to a")


def test_an_allowlisted_name_may_be_private_but_not_where_it_redirects(port: int) -> None:
    policy = OutboundPolicy(allowlist=("alias.test",))
    handler = outbound.make_handler(policy, resolve=resolve)
    answer = handler(call(), {"url": f"http://alias.test:{port}/json"})
    assert (answer["status"], answer["url"]) == (200, f"http://alias.test:{port}/json")
    answer = handler(call(), {"url": f"http://alias.test:{port}/redirect?to=/json"})
    assert answer["url"] == f"http://alias.test:{port}/json"
    # The allowlist names hosts: the same server under another name or its address is refused.
    to = f"http://127.0.0.1:{port}/json"
    error = refusal(handler, f"http://alias.test:{port}/redirect?to={to}")
    assert (error.kind, error.message) == (
        "Refused",
        f"requests to 127.0.0.1:{port} are refused: it is a loopback address "
        "(outbound requests may reach only the public internet)",
    )
    error = refusal(handler, f"http://other.test:{port}/json")
    assert error.message.startswith(f"requests to other.test:{port} are refused: it resolves to")


def test_the_vetted_address_is_the_one_connected_to(port: int) -> None:
    # One lookup per hop, and the connection goes to its answer with the name as Host:
    # a resolver that changes its mind (DNS rebinding) is never asked twice.
    answers = iter([["127.0.0.1"], ["169.254.169.254"]])
    asked: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        asked.append(host)
        return next(answers)

    handler = outbound.make_handler(OutboundPolicy(allowlist=("rebind.test",)), resolve=rebinding)
    answer = handler(call(), {"url": f"http://rebind.test:{port}/echo"})
    echoed = json.loads(base64.b64decode(answer["body_b64"]))
    assert echoed["headers"]["host"] == f"rebind.test:{port}"
    assert asked == ["rebind.test"]


def test_every_address_a_name_resolves_to_is_vetted(port: int) -> None:
    handler = outbound.make_handler(
        OutboundPolicy(allow_private=True), resolve=lambda host, p: ["127.0.0.1", "169.254.169.254"]
    )
    error = refusal(handler, f"http://two.test:{port}/json")
    assert error.message == (
        f"requests to two.test:{port} are refused: it resolves to a cloud metadata address"
    )


def test_unreachable_addresses_fall_back_to_the_next(port: int) -> None:
    handler = outbound.make_handler(
        OutboundPolicy(allow_private=True), resolve=lambda host, p: ["::1", "127.0.0.1"]
    )
    answer = handler(call(), {"url": f"http://dual.test:{port}/json"})
    assert answer["status"] == 200


def test_a_request_outside_a_budget_is_refused(port: int) -> None:
    handler = outbound.make_handler(SHARED_POLICY, resolve=resolve)
    with pytest.raises(HostCallError) as caught:
        handler(HostCall(outbound.OP, {}, 5.0), {"url": f"http://127.0.0.1:{port}/json"})
    assert caught.value.kind == "Refused"


def test_register_returns_the_handler_it_offers(registered: OutboundHandler, port: int) -> None:
    # The session's bridge answers with this module's handler; no registry keeps it.
    assert registered.policy == SHARED_POLICY
    bridge = Bridge(max_workers=1)
    try:
        url = {"url": f"http://127.0.0.1:{port}/json"}
        strict = outbound.register(bridge, OutboundPolicy(), resolve=resolve)
        assert strict.policy == OutboundPolicy()
        refused = json.loads(bridge.dispatch(outbound.OP, url, call()))
        assert refused["error"]["kind"] == "Refused"
        assert "loopback address" in refused["error"]["message"]
        # A later registration replaces the handler, as for any operation on a bridge.
        outbound.register(bridge, SHARED_POLICY, resolve=resolve)
        answered = json.loads(bridge.dispatch(outbound.OP, url, call()))
        assert answered["ok"]["status"] == 200
    finally:
        bridge.close()


# -- TLS: the vetted address, the original name ----------------------------------------------


@pytest.fixture(scope="module")
def tls() -> Iterator[tuple[int, ssl.SSLContext, list[str | None]]]:
    """An HTTPS server whose certificate names `secure.test`, and a client context that
    trusts its private CA."""
    server_context, client_context = contexts(hosts=("secure.test",), addresses=())
    seen: list[str | None] = []
    server_context.sni_callback = lambda sock, name, context: seen.append(name)  # type: ignore[assignment, func-returns-value]
    server, number = serve(server_context)
    yield number, client_context, seen
    server.shutdown()
    server.server_close()


def test_https_connects_to_the_address_and_verifies_the_name(
    tls: tuple[int, ssl.SSLContext, list[str | None]],
) -> None:
    number, client_context, seen = tls
    handler = outbound.make_handler(SHARED_POLICY, resolve=resolve, ssl_context=client_context)
    answer = handler(call(), {"url": f"https://secure.test:{number}/echo"})
    echoed = json.loads(base64.b64decode(answer["body_b64"]))
    assert echoed["headers"]["host"] == f"secure.test:{number}"
    assert seen[-1] == "secure.test"
    assert answer["url"] == f"https://secure.test:{number}/echo"

    for url in (f"https://other.test:{number}/echo", f"https://127.0.0.1:{number}/echo"):
        with pytest.raises(HostCallError) as caught:
            handler(call(), {"url": url})
        assert caught.value.kind == "ConnectionError"
        assert caught.value.message.endswith("failed: its TLS certificate could not be verified")
