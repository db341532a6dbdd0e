"""Media and the small modules in the real guest: `anvil.URLMedia` fetched through the
bridge's `http.request` (the outbound policy's handler, loopback allowed here as in
test_outbound.py) from a local HTTP server, `anvil.media` files within the run's scratch
quota, and the services Widgetbox does not provide importing and refusing use."""

from __future__ import annotations

import http.server
import json
import textwrap
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from widgetbox.host import outbound
from widgetbox.host.outbound import OutboundBudget, OutboundHandler, OutboundPolicy
from widgetbox.runtime import Code, Limits, RunResult, Runtime, Script, Status

pytestmark = pytest.mark.sandbox

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


class Handler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012 - shared by the server's handler instances

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        Handler.hits.append(self.path)
        if self.path == "/logo.png":
            status, body, kind = 200, PNG, "image/png"
        else:
            status, body, kind = 404, b"no such file", "text/plain"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module", autouse=True)
def registered(runtime: Runtime) -> OutboundHandler:
    return outbound.register(runtime.bridge, OutboundPolicy(allow_private=True, timeout=5.0))


def run(runtime: Runtime, source: str, context: Any = None, **limits: Any) -> RunResult:
    return runtime.run(
        Script(Code.single(textwrap.dedent(source))),
        limits=Limits.script().with_(timeout=30, **limits),
        context=context if context is not None else {"outbound": OutboundBudget(10)},
    )


def lines(result: RunResult) -> list[Any]:
    assert result.status is Status.OK, (result.message, result.stderr, result.stdout)
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_url_media_is_fetched_through_the_outbound_policy_once(runtime: Runtime, port: int) -> None:
    Handler.hits.clear()
    result = run(
        runtime,
        f"""
        import json, anvil, anvil.http
        media = anvil.URLMedia("http://127.0.0.1:{port}/logo.png")
        print(json.dumps([media.url, media.name, isinstance(media, anvil.Media)]))
        print(json.dumps([media.content_type, media.length, media.get_bytes()[:4].hex()]))
        try:
            anvil.URLMedia("http://127.0.0.1:{port}/missing").get_bytes()
        except anvil.http.HttpError as e:
            print(json.dumps(["HttpError", e.status]))
        """,
    )
    assert lines(result) == [
        [f"http://127.0.0.1:{port}/logo.png", None, True],
        ["image/png", len(PNG), "89504e47"],
        ["HttpError", 404],
    ]
    assert Handler.hits == ["/logo.png", "/missing"]  # once each, when first read
    assert result.host_calls == 2


def test_url_media_is_refused_where_the_policy_refuses(runtime: Runtime, port: int) -> None:
    result = run(
        runtime,
        f"""
        import json, anvil, anvil.http
        media = anvil.URLMedia("http://127.0.0.1:{port}/logo.png")
        try:
            media.get_bytes()
        except anvil.http.HttpRequestFailed as e:
            print(json.dumps([e.kind, "outbound" in str(e)]))
        """,
        context={"outbound": OutboundBudget(0)},
    )
    assert lines(result) == [["LimitExceeded", True]]


def test_media_files_in_the_scratch_area(runtime: Runtime) -> None:
    result = run(
        runtime,
        """
        import json, os, anvil, anvil.media
        media = anvil.BlobMedia("text/csv", b"a,b\\n1,2\\n", name="data.csv")
        with anvil.media.TempFile(media) as path:
            print(json.dumps([os.path.dirname(path), open(path, "rb").read().decode()]))
        print(json.dumps(os.path.exists(path)))
        anvil.media.write_to_file(media, "copy.csv")
        back = anvil.media.from_file("copy.csv")
        print(json.dumps([back.content_type, back.name, back.get_bytes().decode()]))
        print(json.dumps(anvil.media.open(back).read().decode()))
        print(json.dumps(sorted(os.listdir("/tmp"))))
        """,
    )
    assert lines(result) == [
        ["/tmp", "a,b\n1,2\n"],
        False,
        ["text/csv", "copy.csv", "a,b\n1,2\n"],
        "a,b\n1,2\n",
        ["copy.csv"],
    ]


def test_media_files_stay_within_the_scratch_quota(runtime: Runtime) -> None:
    result = run(
        runtime,
        """
        import errno, json, os, anvil, anvil.media
        big = anvil.BlobMedia("application/octet-stream", bytes(3 * 1024 * 1024))
        try:
            with anvil.media.TempFile(big) as path:
                print("written")
        except OSError as e:
            print(json.dumps(["OSError", e.errno == errno.ENOSPC]))
        print(json.dumps(os.listdir("/tmp")))
        try:
            anvil.media.write_to_file(big, "big.bin")
        except OSError as e:
            print(json.dumps(["OSError", e.errno == errno.ENOSPC]))
        """,
        scratch_bytes=2 * 1024 * 1024,
    )
    assert lines(result) == [["OSError", True], [], ["OSError", True]]


def test_services_widgetbox_lacks_import_and_refuse_use(runtime: Runtime) -> None:
    result = run(
        runtime,
        """
        import json
        import anvil.google.auth, anvil.google.drive, anvil.google.sheets, anvil.google.mail
        import anvil.facebook.auth, anvil.microsoft.auth, anvil.stripe, anvil.pdf
        from anvil.google.drive import app_files
        from anvil.email import handle_message
        import anvil.server

        for use in (
            lambda: app_files.my_sheet,
            lambda: anvil.google.auth.login(),
            lambda: anvil.facebook.auth.login(),
            lambda: anvil.microsoft.auth.login(),
            lambda: anvil.stripe.new_customer("a@example.org", "tok"),
            lambda: anvil.pdf.render_form("Form1"),
            lambda: handle_message(print),
        ):
            try:
                use()
            except anvil.server.AnvilWrappedError as e:
                print(json.dumps([type(e).__name__, str(e)]))
        """,
    )
    assert lines(result) == [
        [
            "ServiceNotAvailable",
            "anvil.google.drive.app_files: the Google service (anvil.google) is not available "
            "on Widgetbox",
        ],
        [
            "ServiceNotAvailable",
            "anvil.google.auth.login: the Google service (anvil.google) is not available on "
            "Widgetbox",
        ],
        [
            "ServiceNotAvailable",
            "anvil.facebook.auth.login: the Facebook service (anvil.facebook) is not available "
            "on Widgetbox",
        ],
        [
            "ServiceNotAvailable",
            "anvil.microsoft.auth.login: the Microsoft service (anvil.microsoft) is not "
            "available on Widgetbox",
        ],
        [
            "ServiceNotAvailable",
            "anvil.stripe.new_customer: the Stripe service (anvil.stripe) is not available on "
            "Widgetbox",
        ],
        [
            "ServiceNotAvailable",
            "anvil.pdf.render_form: PDF rendering (anvil.pdf) is not available on Widgetbox",
        ],
        [
            "ServiceNotAvailable",
            "anvil.email.handle_message: receiving email (anvil.email) is not available on "
            "Widgetbox",
        ],
    ]


def test_an_uncaught_refusal_names_the_service_in_the_run(runtime: Runtime) -> None:
    result = run(runtime, "import anvil.stripe\nanvil.stripe.get_customer('cus_1')\n")
    assert result.status is Status.ERROR
    assert result.error is not None
    assert result.error.type == "ServiceNotAvailable"
    assert result.error.message == (
        "anvil.stripe.get_customer: the Stripe service (anvil.stripe) is not available on Widgetbox"
    )
