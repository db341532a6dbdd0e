"""The services widget code uses, through the real app over real HTTP: secrets
(`anvil.secrets`), outbound HTTP (`anvil.http`, against a local HTTP server, never the
internet) with its egress policy and per-run budget, and `anvil.server.call` from a script.
The app registers the outbound and secrets handlers on its runtime at start-up."""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.server._client import assert_error
from tests.server._live import Client, Live, serve

pytestmark = pytest.mark.server


def distinctive() -> str:
    """A secret value no page, record or log could contain by chance."""
    return f"wb-secret-{uuid.uuid4().hex}-ünï-🔑"


def leaks(value: str, text: str) -> bool:
    """Whether `text` holds the value, or its random part (JSON may escape the rest)."""
    return value in text or value.split("-")[2] in text


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def everything_about(client: Client, slug: str, run_id: int | None = None) -> str:
    """Every API response about the widget (and one run of it), as one text."""
    urls = [
        f"/api/widgets/{slug}",
        f"/api/widgets/{slug}/versions",
        f"/api/widgets/{slug}/secrets",
        f"/api/widgets/{slug}/runs",
        f"/api/widgets/{slug}/logs",
        "/api/widgets",
        "/api/explore",
        "/api/session",
    ]
    if run_id is not None:
        urls += [f"/api/runs/{run_id}", f"/api/runs/{run_id}/events"]
    texts = []
    for url in urls:
        response = client.api("GET", url)
        assert response.status_code == 200, (url, response.text)
        texts.append(response.text)
    return "\n".join(texts)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Any]:
    """`server(**settings)`: the app with these settings, served for this test."""
    numbers = itertools.count()
    with ExitStack() as stack:

        def make(**settings: Any) -> Live:
            return stack.enter_context(serve(tmp_path / f"data{next(numbers)}", **settings))

        yield make


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """One server with the default settings for the tests that change none."""
    with serve(tmp_path_factory.mktemp("services")) as live:
        live.user("admin")
        yield live


# -- secrets -------------------------------------------------------------------------------

SECRET_SCRIPT = """\
import hashlib
import anvil.secrets

value = anvil.secrets.get_secret("api_key")
print("length", len(value))
print("sha256", hashlib.sha256(value.encode("utf-8")).hexdigest())
try:
    anvil.secrets.get_secret("not_set")
except Exception as e:
    print("missing", type(e).__module__, type(e).__name__, isinstance(e, anvil.secrets.SecretError))
"""

SECRET_ROUTE = """\
import hashlib
import anvil.secrets
import anvil.server


@anvil.server.route("/secret")
def secret(**params):
    value = anvil.secrets.get_secret("api_key")
    return {"sha256": hashlib.sha256(value.encode("utf-8")).hexdigest()}


@anvil.server.route("/missing")
def missing(**params):
    try:
        anvil.secrets.get_secret("not_set")
    except anvil.secrets.SecretError as e:
        return {"type": type(e).__name__, "message": str(e)}
"""

PROBE = """\
import anvil.secrets

try:
    anvil.secrets.get_secret("api_key")
    print("found a secret")
except anvil.secrets.SecretError as e:
    print("missing", type(e).__module__, type(e).__name__)
"""


def put_secret(client: Client, slug: str, name: str, value: str) -> None:
    response = client.api("PUT", f"/api/widgets/{slug}/secrets/{name}", json={"value": value})
    assert response.status_code == 200, response.text
    assert not leaks(value, response.text)
    assert response.json()["name"] == name


def test_a_script_reads_its_secret(shared: Live) -> None:
    owner = shared.user("alice")
    value = distinctive()
    slug = owner.widget_with("script", {"main.py": SECRET_SCRIPT}, title="Secret reader")
    put_secret(owner, slug, "api_key", value)
    run = owner.run_script(slug)
    assert run["status"] == "ok", run
    assert run["stdout"].splitlines() == [
        f"length {len(value)}",
        f"sha256 {sha256(value)}",
        "missing anvil.secrets SecretError True",
    ]
    # the value is nowhere: not in the run's record, not in any response about the widget
    assert not leaks(value, json.dumps(run))
    assert not leaks(value, everything_about(owner, slug, run["id"]))


def test_an_http_request_reads_its_secret(shared: Live) -> None:
    owner = shared.user("bea")
    value = distinctive()
    slug = owner.widget_with("http", {"main.py": SECRET_ROUTE}, visibility="public", title="S")
    put_secret(owner, slug, "api_key", value)
    caller = shared.client()
    response = caller.get(f"/w/{slug}/secret")
    assert response.status_code == 200, response.text
    assert response.json() == {"sha256": sha256(value)}
    missing = caller.get(f"/w/{slug}/missing").json()
    assert missing["type"] == "SecretError"
    assert "not_set" in missing["message"]
    entries = owner.wait_for_logs(slug, 0, count=2)
    assert [entry["status"] for entry in entries] == ["ok", "ok"]
    for entry in entries:
        assert not leaks(value, json.dumps(owner.run_detail(entry["id"])))
    assert not leaks(value, everything_about(owner, slug))


def test_the_value_is_in_the_record_only_when_the_widget_prints_it(shared: Live) -> None:
    owner = shared.user("carl")
    value = distinctive()
    code = 'import anvil.secrets\nprint("the value is", anvil.secrets.get_secret("api_key"))\n'
    slug = owner.widget_with("script", {"main.py": code}, title="Careless")
    put_secret(owner, slug, "api_key", value)
    run = owner.run_script(slug)
    assert run["stdout"] == f"the value is {value}\n"
    # the check the other tests make does find it then: in the run and its events
    assert leaks(value, json.dumps(run))
    assert leaks(value, everything_about(owner, slug, run["id"]))


def test_a_missing_secret_raises_secret_error(shared: Live) -> None:
    owner = shared.user("dora")
    slug = owner.widget_with("script", {"main.py": PROBE}, title="No secrets")
    run = owner.run_script(slug)
    assert run["status"] == "ok", run
    assert run["stdout"] == "missing anvil.secrets SecretError\n"
    # uncaught, it is the run's error, by its Anvil name
    raw = 'import anvil.secrets\nanvil.secrets.get_secret("nope")\n'
    owner.save(slug, {"main.py": raw})
    failed = owner.run_script(slug)
    assert failed["status"] == "error"
    assert failed["error"]["type"] == "SecretError"
    assert "nope" in failed["error"]["message"]
    assert failed["error"]["frames"][-1]["filename"] == "main.py"


def test_secrets_belong_to_their_widget_and_a_fork_has_none(shared: Live) -> None:
    owner = shared.user("erin")
    other = shared.user("fred")
    value = distinctive()
    slug = owner.widget_with("script", {"main.py": PROBE}, visibility="public", title="Shared")
    put_secret(owner, slug, "api_key", value)
    assert owner.run_script(slug)["stdout"] == "found a secret\n"

    # another widget of the same owner cannot read it
    sibling = owner.widget_with("script", {"main.py": PROBE}, title="Sibling")
    assert owner.run_script(sibling)["stdout"] == "missing anvil.secrets SecretError\n"

    # a fork (by someone else, or by the owner) takes no secrets
    for forker in (other, owner):
        response = forker.api("POST", f"/api/widgets/{slug}/fork", json={})
        assert response.status_code == 201, response.text
        fork = response.json()["slug"]
        assert not leaks(value, response.text)
        listed = forker.api("GET", f"/api/widgets/{fork}/secrets")
        assert listed.json()["secrets"] == []
        run = forker.run_script(fork)
        assert run["status"] == "ok", run
        assert run["stdout"] == "missing anvil.secrets SecretError\n"
    # nobody but the owner may list the original's secrets
    assert_error(other.api("GET", f"/api/widgets/{slug}/secrets"), 403)


# -- outbound HTTP -------------------------------------------------------------------------


class Origin:
    """A local HTTP server: JSON at /data.json, text at /text, a JSON 404 at /missing, 5000
    bytes at /big, a slow answer at /slow, a redirect to ?to= at /redirect, an echo of a
    JSON POST anywhere. It records what it was asked for."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.release = threading.Event()
        """Set to let a request for /slow be answered (after five seconds it is anyway)."""
        origin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                origin.requests.append(("GET", self.path, dict(self.headers.items())))
                if self.path.startswith("/redirect"):
                    self.send_response(302)
                    self.send_header("Location", self.path.partition("?to=")[2])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path == "/slow":
                    origin.release.wait(5)
                routes = {
                    "/data.json": (200, "application/json", json.dumps(DATA).encode()),
                    "/text": (200, "text/plain; charset=utf-8", "plain text, ünï".encode()),
                    "/missing": (404, "application/json", b'{"error": "nope"}'),
                    "/big": (200, "text/plain", b"x" * 5000),
                    "/slow": (200, "text/plain", b"late"),
                }
                status, content_type, body = routes.get(
                    self.path, (404, "text/plain", b"no such page")
                )
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                origin.requests.append(("POST", self.path, dict(self.headers.items())))
                answer = json.dumps({"echo": json.loads(body)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


DATA = {"name": "local data", "items": [1, 2, 3], "nested": {"ok": True}}


@pytest.fixture
def origin() -> Iterator[Origin]:
    served = Origin()
    try:
        yield served
    finally:
        served.close()


FETCH_SCRIPT = """\
import anvil.http

BASE = {base!r}

data = anvil.http.request(BASE + "/data.json", json=True)
print("json", data["name"], data["items"], data["nested"])
text = anvil.http.request(BASE + "/text")
print("text", text.content_type, text.get_bytes().decode("utf-8"))
echo = anvil.http.request(BASE + "/echo", method="POST", data={{"sent": [1, 2]}}, json=True)
print("post", echo)
try:
    anvil.http.request(BASE + "/missing", json=True)
except anvil.http.HttpError as e:
    print("http error", e.status, e.content)
"""

FETCH_ROUTE = """\
import anvil.http
import anvil.server

BASE = {base!r}


@anvil.server.route("/fetch")
def fetch(**params):
    return anvil.http.request(BASE + "/data.json", json=True)


@anvil.server.route("/missing")
def missing(**params):
    try:
        anvil.http.request(BASE + "/missing", json=True)
    except anvil.http.HttpError as e:
        return {{"status": e.status, "content": e.content}}


@anvil.server.route("/try")
def attempt(url, **params):
    try:
        anvil.http.request(url, json=True)
        return "fetched"
    except anvil.http.HttpRequestFailed as e:
        return {{"type": type(e).__name__, "kind": e.kind, "message": str(e)}}
"""

REFUSED_SCRIPT = """\
import anvil.http

for url in {urls!r}:
    try:
        anvil.http.request(url, json=True)
        print("fetched", url)
    except anvil.http.HttpRequestFailed as e:
        print("failed", type(e).__name__, e.kind, "|", e)
"""


def test_with_private_addresses_allowed_a_script_fetches_local_data(
    server: Any, origin: Origin
) -> None:
    live: Live = server(outbound_allow_private=True)
    owner = live.user("admin")
    slug = owner.widget_with("script", {"main.py": FETCH_SCRIPT.format(base=origin.base)})
    run = owner.run_script(slug)
    assert run["status"] == "ok", run
    assert run["stdout"].splitlines() == [
        "json local data [1, 2, 3] {'ok': True}",
        "text text/plain; charset=utf-8 plain text, ünï",
        "post {'echo': {'sent': [1, 2]}}",
        "http error 404 {'error': 'nope'}",
    ]
    assert [(method, path) for method, path, _ in origin.requests] == [
        ("GET", "/data.json"),
        ("GET", "/text"),
        ("POST", "/echo"),
        ("GET", "/missing"),
    ]
    headers = {k.lower(): v for k, v in origin.requests[0][2].items()}
    assert headers["host"] == f"127.0.0.1:{origin.port}"
    assert headers["user-agent"].startswith("Widgetbox")
    post_headers = {k.lower(): v for k, v in origin.requests[2][2].items()}
    assert post_headers["content-type"] == "application/json"


def test_with_private_addresses_allowed_a_route_fetches_local_data(
    server: Any, origin: Origin
) -> None:
    live: Live = server(outbound_allow_private=True)
    owner = live.user("admin")
    code = FETCH_ROUTE.format(base=origin.base)
    slug = owner.widget_with("http", {"main.py": code}, visibility="public")
    caller = live.client()
    response = caller.get(f"/w/{slug}/fetch")
    assert response.status_code == 200, response.text
    assert response.json() == DATA
    assert caller.get(f"/w/{slug}/missing").json() == {"status": 404, "content": {"error": "nope"}}
    # metadata addresses stay refused, whatever the settings
    metadata = caller.get(f"/w/{slug}/try", params={"url": "http://169.254.169.254/latest"})
    refused = metadata.json()
    assert (refused["type"], refused["kind"]) == ("HttpRequestFailed", "Refused")
    assert "169.254.169.254" in refused["message"]
    assert "metadata" in refused["message"]


def test_redirects_are_followed_and_checked_again(server: Any, origin: Origin) -> None:
    live: Live = server(outbound_allow_private=True)
    owner = live.user("admin")
    code = FETCH_ROUTE.format(base=origin.base)
    slug = owner.widget_with("http", {"main.py": code}, visibility="public")
    caller = live.client()
    followed = f"{origin.base}/redirect?to={origin.base}/data.json"
    assert caller.get(f"/w/{slug}/try", params={"url": followed}).text == "fetched"
    to_metadata = f"{origin.base}/redirect?to=http://169.254.169.254/latest/meta-data/"
    refused = caller.get(f"/w/{slug}/try", params={"url": to_metadata}).json()
    assert (refused["type"], refused["kind"]) == ("HttpRequestFailed", "Refused")
    assert "169.254.169.254" in refused["message"]
    assert "metadata" in refused["message"]
    assert [path for _, path, _ in origin.requests] == [
        "/redirect?to=" + origin.base + "/data.json",
        "/data.json",
        "/redirect?to=http://169.254.169.254/latest/meta-data/",
    ]


def test_outbound_timeout_and_size_limits(server: Any, origin: Origin) -> None:
    live: Live = server(outbound_allow_private=True, outbound_timeout=0.5, outbound_max_bytes=1024)
    owner = live.user("admin")
    code = f"""\
import anvil.http

for path in ("/slow", "/big", "/text"):
    try:
        answer = anvil.http.request({origin.base!r} + path)
        print(path, "fetched", len(answer.get_bytes()))
    except anvil.http.HttpRequestFailed as e:
        print(path, type(e).__name__, e.kind, isinstance(e, TimeoutError), "|", e)
"""
    slug = owner.widget_with("script", {"main.py": code})
    run = owner.run_script(slug)
    assert run["status"] == "ok", run
    slow, big, text = run["stdout"].splitlines()
    assert slow == (
        f"/slow HttpRequestTimeout Timeout True | 127.0.0.1:{origin.port} did not answer "
        "within 0.5 s"
    )
    assert big == (
        f"/big HttpRequestFailed LimitExceeded False | the response from 127.0.0.1:{origin.port} "
        "is larger than 1,024 bytes"
    )
    assert text == f"/text fetched {len('plain text, ünï'.encode())}"


def test_by_default_private_addresses_are_refused(shared: Live, origin: Origin) -> None:
    owner = shared.user("gina")
    urls = [
        origin.base + "/data.json",
        f"http://localhost:{origin.port}/data.json",
        "http://10.1.2.3:8080/internal",
        "http://169.254.169.254/latest/meta-data/",
    ]
    slug = owner.widget_with("script", {"main.py": REFUSED_SCRIPT.format(urls=urls)})
    run = owner.run_script(slug)
    assert run["status"] == "ok", run
    lines = run["stdout"].splitlines()
    assert len(lines) == 4, lines
    assert all(line.startswith("failed HttpRequestFailed Refused | ") for line in lines), lines
    loopback, named, private, metadata = (line.split(" | ", 1)[1] for line in lines)
    assert f"127.0.0.1:{origin.port}" in loopback
    assert "loopback" in loopback
    assert f"localhost:{origin.port}" in named
    assert "resolves to a loopback address" in named
    assert "10.1.2.3:8080" in private
    assert "private address" in private
    assert "metadata" in metadata
    for message in lines:
        for leak in ("Traceback", "Errno", "HostCallError", "Exception", "widgetbox.", "/work"):
            assert leak not in message, message
    # nothing left the machine
    assert origin.requests == []


def test_by_default_a_route_is_refused_too(shared: Live, origin: Origin) -> None:
    owner = shared.user("hank")
    code = FETCH_ROUTE.format(base=origin.base)
    slug = owner.widget_with("http", {"main.py": code}, visibility="public", title="Fetcher")
    response = shared.client().get(f"/w/{slug}/try", params={"url": origin.base + "/data.json"})
    assert response.status_code == 200, response.text
    refused = response.json()
    assert (refused["type"], refused["kind"]) == ("HttpRequestFailed", "Refused")
    assert f"127.0.0.1:{origin.port}" in refused["message"]
    assert "loopback" in refused["message"]
    # uncaught, it is the widget's error: a generic 500 for the caller, the reason in the logs
    failed = shared.client().get(f"/w/{slug}/fetch")
    assert_error(failed, 500, "widget_error")
    assert "loopback" not in failed.text
    [entry, _] = owner.wait_for_logs(slug, 0, count=2)
    detail = owner.run_detail(entry["id"])
    assert detail["error"]["type"] == "HttpRequestFailed"
    assert "loopback" in detail["error"]["message"]
    assert origin.requests == []


def test_the_per_run_call_budget(server: Any, origin: Origin) -> None:
    live: Live = server(outbound_allow_private=True, outbound_calls_per_run=2)
    owner = live.user("admin")
    code = f"""\
import anvil.http

for attempt in range(4):
    try:
        anvil.http.request({origin.base + "/data.json"!r}, json=True)
        print(attempt, "fetched")
    except anvil.http.HttpRequestFailed as e:
        print(attempt, e.kind, "|", e)
"""
    slug = owner.widget_with("script", {"main.py": code})
    expected = [
        "0 fetched",
        "1 fetched",
        "2 LimitExceeded | this run may make at most 2 outbound HTTP requests",
        "3 LimitExceeded | this run may make at most 2 outbound HTTP requests",
    ]
    first = owner.run_script(slug)
    assert first["stdout"].splitlines() == expected
    # every run has a budget of its own
    assert owner.run_script(slug)["stdout"].splitlines() == expected
    assert len(origin.requests) == 4


def test_a_routes_call_budget_is_per_request(server: Any, origin: Origin) -> None:
    live: Live = server(outbound_allow_private=True, outbound_calls_per_run=1)
    owner = live.user("admin")
    code = FETCH_ROUTE.format(base=origin.base)
    slug = owner.widget_with("http", {"main.py": code}, visibility="public")
    caller = live.client()
    for _ in range(2):
        assert caller.get(f"/w/{slug}/fetch").json() == DATA
    assert len(origin.requests) == 2


# -- anvil.server.call from a script --------------------------------------------------------

CALLS = """\
import anvil.server

import helpers


@anvil.server.callable
def double(x):
    return x * 2


@anvil.server.callable("named")
def renamed(a, b=0):
    return {"sum": a + b, "as_tuple": (a, b)}


print(anvil.server.call("double", 21))
print(anvil.server.call("named", 1, b=2))
print(anvil.server.call("shout", "quiet"))
try:
    anvil.server.call("no_such_function")
except anvil.server.NoServerFunctionError as e:
    print(type(e).__name__, e)
"""

HELPERS = """\
import anvil.server


@anvil.server.callable
def shout(text):
    return text.upper()
"""


def test_a_script_calls_its_own_callables(shared: Live) -> None:
    owner = shared.user("ivan")
    slug = owner.widget_with("script", {"main.py": CALLS, "helpers.py": HELPERS}, title="Calls")
    run = owner.run_script(slug)
    assert run["status"] == "ok", run
    assert run["stdout"].splitlines() == [
        "42",
        "{'sum': 3, 'as_tuple': [1, 2]}",
        "QUIET",
        'NoServerFunctionError No server function matching "no_such_function" has been registered',
    ]
