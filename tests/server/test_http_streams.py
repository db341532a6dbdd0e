"""Streamed responses over real HTTP (uvicorn on loopback, httpx streaming): a route whose
`HttpResponse` body is a generator answers chunk by chunk as it yields, server-sent events
included, with the run's limits over the whole stream.

Incremental delivery is proven without timing: the guest's generator waits at named gates
(a bridge handler registered on the app's runtime, `tests/_tables.Gates`) that the test
opens only after it has read the chunk before them, so the stream cannot have been buffered
to its end. The run's record (the widget's logs) says how each stream ended.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests._tables import Gates
from tests.server._live import Client, Live, serve
from widgetbox.host.endpoints.streams import CALLER_LEFT
from widgetbox.runtime import Limits, Runtime

pytestmark = pytest.mark.server

API = """\
import time

import anvil.server
from _widgetbox import bridge


def gate(name):
    bridge.call("test.tables_gate", name)


@anvil.server.route("/three")
def three(**params):
    def chunks():
        for n in range(3):
            yield f"chunk {n}\\n"
            if n < 2:
                gate(f"three-{n}")
    return anvil.server.HttpResponse(201, chunks(), {"X-Kind": "stream"})


@anvil.server.route("/events")
def events(**params):
    def feed():
        yield "hello"
        gate("events")
        yield {"event": "tick", "id": 7, "data": {"n": 1}}
        yield b"event: raw\\ndata: as it is\\n\\n"
    return anvil.server.HttpResponse(200, feed(), {"Content-Type": "text/event-stream"})


@anvil.server.route("/forever")
def forever(**params):
    def endless():
        n = 0
        while True:
            yield f"{n}\\n"
            n += 1
            if n == 1:
                bridge.call("test.tables_reached", "forever")
            time.sleep(0.02)
    return anvil.server.HttpResponse(200, endless())


@anvil.server.route("/fails")
def fails(**params):
    def broken():
        yield "first "
        raise ValueError("broke mid-stream 4417")
    return anvil.server.HttpResponse(200, broken())


@anvil.server.route("/big")
def big(**params):
    return anvil.server.HttpResponse(200, iter(["small ", "x" * 5000]))


@anvil.server.route("/cookie")
def cookie(**params):
    return anvil.server.HttpResponse(200, iter(["a"]), {"Set-Cookie": "a=b", "Content-Length": "9"})


@anvil.server.route("/no-content")
def no_content(**params):
    return anvil.server.HttpResponse(204, iter(["a body where there is none"]))


@anvil.server.route("/nothing")
def nothing(**params):
    return anvil.server.HttpResponse(200, iter([]))
"""


class Site:
    def __init__(self, live: Live) -> None:
        self.live = live
        self.owner = live.user("owner")
        self.anon = live.client()
        self.slug = self.owner.widget_with("http", {"main.py": API}, visibility="public")
        self.gates = Gates()
        runtime: Runtime = live.app.state.runtime
        self.gates.register(runtime)

    def url(self, path: str) -> str:
        return f"/w/{self.slug}{path}"

    def record(self, path: str, after: int) -> dict[str, Any]:
        """The run record of the request to `path` logged after `after`."""
        [entry] = self.owner.wait_for_logs(self.slug, after, path=path)
        return self.owner.run_detail(entry["id"])

    def mark(self) -> int:
        return self.owner.last_log_id(self.slug)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with serve(
        tmp_path_factory.mktemp("http-streams"),
        http_stream_chunk_bytes=4096,
        http_stream_max_bytes=10_000,
    ) as live:
        yield Site(live)


def chunked(response: httpx.Response) -> None:
    assert response.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in response.headers
    assert response.headers["content-security-policy"] == "sandbox"
    assert response.headers["x-accel-buffering"] == "no"


def test_chunks_arrive_as_the_generator_yields_them(site: Site) -> None:
    after = site.mark()
    with site.anon.http.stream("GET", site.url("/three")) as response:
        assert response.status_code == 201
        chunked(response)
        assert response.headers["x-kind"] == "stream"
        assert response.headers["content-type"].startswith("text/plain")
        pieces = response.iter_raw()
        # each chunk is read while the generator waits at the gate after it
        assert next(pieces) == b"chunk 0\n"
        site.gates.open("three-0")
        assert next(pieces) == b"chunk 1\n"
        site.gates.open("three-1")
        assert b"".join(pieces) == b"chunk 2\n"
    record = site.record("/three", after)
    assert (record["status"], record["request"]["status"]) == ("ok", 201)


def test_server_sent_events_arrive_as_they_are_yielded(site: Site) -> None:
    with site.anon.http.stream("GET", site.url("/events")) as response:
        assert response.status_code == 200
        chunked(response)
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert [next(lines), next(lines)] == ["data: hello", ""]
        site.gates.open("events")
        rest = list(lines)
    assert rest == [
        "event: tick",
        "id: 7",
        'data: {"n": 1}',
        "",
        "event: raw",
        "data: as it is",
        "",
    ]
    assert json.loads(rest[2].removeprefix("data: ")) == {"n": 1}


def test_the_deadline_ends_a_stream_that_never_stops(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the request limit, 30 s, made 2 s for this test (the server runs in this process)
    monkeypatch.setattr(Limits, "request", classmethod(lambda cls: cls(timeout=2.0)))
    after = site.mark()
    with site.anon.http.stream("GET", site.url("/forever")) as response:
        assert response.status_code == 200
        body = response.read()  # the response ends: the run's deadline ended it
    numbers = body.decode().split()
    assert numbers[:3] == ["0", "1", "2"]
    assert numbers == [str(n) for n in range(len(numbers))]
    record = site.record("/forever", after)
    assert record["status"] == "timeout"
    assert record["message"] == "Server code took too long"


def test_an_exception_mid_stream_ends_it_and_the_run_keeps_the_traceback(site: Site) -> None:
    after = site.mark()
    with site.anon.http.stream("GET", site.url("/fails")) as response:
        assert response.status_code == 200
        assert response.read() == b"first "
    record = site.record("/fails", after)
    assert record["status"] == "error"
    assert record["error"]["type"] == "ValueError"
    assert "broke mid-stream 4417" in record["error"]["traceback"]
    assert record["error"]["frames"][-1]["name"] == "broken"


def test_a_caller_that_goes_away_stops_the_run(site: Site) -> None:
    after = site.mark()
    with site.anon.http.stream("GET", site.url("/forever")) as response:
        assert next(response.iter_raw()).startswith(b"0\n")
        site.gates.wait_reached("forever")
    # the connection is closed here, long before the run's 30 s
    record = site.record("/forever", after)
    assert record["status"] == "killed"
    assert record["message"] == CALLER_LEFT


def test_chunks_are_bounded_each_and_in_all(site: Site) -> None:
    after = site.mark()
    with site.anon.http.stream("GET", site.url("/big")) as response:
        assert response.read() == b"small "  # the 5,000-byte piece is over the 4,096 allowed
    record = site.record("/big", after)
    assert record["status"] == "error"
    assert "at most 4,096 bytes" in record["error"]["message"]


def test_headers_a_widget_may_not_send_are_dropped_from_streams_too(site: Site) -> None:
    with site.anon.http.stream("GET", site.url("/cookie")) as response:
        assert response.read() == b"a"
    assert "set-cookie" not in response.headers
    assert "content-length" not in response.headers


def test_a_generator_that_yields_nothing_answers_an_empty_body(site: Site) -> None:
    response = site.anon.get(site.url("/nothing"))
    assert (response.status_code, response.content) == (200, b"")
    assert response.headers["content-length"] == "0"


def test_a_stream_beyond_its_total_ends_there(site: Site, tmp_path: Any) -> None:
    owner: Client = site.owner
    slug = owner.widget_with(
        "http",
        {
            "main.py": "import anvil.server\n\n"
            "@anvil.server.route('/total')\n"
            "def total(**params):\n"
            "    return anvil.server.HttpResponse(200, ('y' * 4000 for _ in range(5)))\n"
        },
        visibility="public",
    )
    after = owner.last_log_id(slug)
    with site.anon.http.stream("GET", f"/w/{slug}/total") as response:
        assert response.read() == b"y" * 8000  # the third would pass the 10,000 allowed
    [entry] = owner.wait_for_logs(slug, after, path="/total")
    record = owner.run_detail(entry["id"])
    assert record["status"] == "error"
    assert "at most 10,000 bytes in all" in record["error"]["message"]


def test_a_stream_that_is_not_valid_http_is_a_generic_500(site: Site) -> None:
    after = site.mark()
    response = site.anon.get(site.url("/no-content"))
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "widget_error"
    record = site.record("/no-content", after)
    assert record["message"] == (
        "The widget's response could not be sent: a 204 or 304 response has no body to stream"
    )
