"""Widgets' HTTP APIs served directly, ahead of Litestar's routing and middleware
(`endpoints/direct.py`), over real HTTP: every request answered exactly as Litestar's own
way answers it (the same status, body and headers, the rate limit counted once), ordinary
requests served directly, and every request Litestar would refuse left to it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.server._live import Client, Live, serve
from widgetbox.host.endpoints.direct import Direct
from widgetbox.host.tokens.records import PREFIX as TOKEN_PREFIX

pytestmark = pytest.mark.server

API = """\
import anvil.server
from anvil.server import HttpResponse


@anvil.server.route("/")
def root(**params):
    return "the root"


@anvil.server.route("/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])
def echo(**params):
    r = anvil.server.request
    return {
        "method": r.method,
        "path": r.path,
        "query": r.query_params,
        "form": r.form_params,
        "headers": {k: v for k, v in r.headers.items() if k != "user-agent"},
        "body": r.body.get_bytes().decode("utf-8", "replace") if r.body else None,
    }


@anvil.server.route("/echo/:a/:b")
def pair(a, b, **params):
    return [a, b]


@anvil.server.route("/made")
def made(**params):
    return HttpResponse(201, "made it", {"X-Widget": "yes", "Content-Type": "text/csv"})


@anvil.server.route("/empty")
def empty(**params):
    return HttpResponse(204, "")


@anvil.server.route("/fails")
def fails(**params):
    raise ValueError("no")


@anvil.server.route("/stream")
def stream(**params):
    def chunks():
        yield "one,"
        yield "two"
    return HttpResponse(200, chunks(), {"Content-Type": "text/plain"})
"""

VARYING = frozenset({"date", "ratelimit-remaining", "ratelimit-reset", "x-widgetbox-run"})
"""Headers whose values differ from one request to the next (their presence is compared)."""


def _answer(response: httpx.Response) -> tuple[int, bytes, list[tuple[str, str]]]:
    headers = sorted(
        (name, "" if name in VARYING else value) for name, value in response.headers.multi_items()
    )
    return response.status_code, response.content, headers


class Recorded:
    """The app's direct way, counting the requests it served and those it left."""

    def __init__(self, live: Live) -> None:
        self.app: Any = live.app
        self.direct = self.app.serve_directly
        assert isinstance(self.direct.__self__, Direct)
        self.served = self.left = 0

    async def serve(self, scope: Any, receive: Any, send: Any) -> bool:
        answered: bool = await self.direct(scope, receive, send)
        if answered:
            self.served += 1
        else:
            self.left += 1
        return answered

    def both_ways(self, send: Any) -> tuple[Any, Any, tuple[int, int]]:
        """`send()`'s answer served directly (as far as the direct way takes it), then by
        Litestar's way alone, and how many requests the direct way served and left."""
        self.served = self.left = 0
        self.app.serve_directly = self.serve
        try:
            direct = send()
        finally:
            self.app.serve_directly = None
        try:
            litestar = send()
        finally:
            self.app.serve_directly = self.direct
        return direct, litestar, (self.served, self.left)


NAMES = itertools.count()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with serve(tmp_path_factory.mktemp("direct"), http_max_body_bytes=1000) as running:
        running.user("admin")
        yield running


@pytest.fixture(scope="module")
def owner(live: Live) -> Client:
    return live.user("owner")


@pytest.fixture(scope="module")
def slug(owner: Client) -> str:
    return owner.widget_with("http", {"main.py": API}, visibility="public", title="Direct")


def _same(live: Live, send: Any) -> tuple[int, int]:
    """Asserts that `send()` is answered alike both ways; returns how many requests the
    direct way served and left."""
    direct, litestar, counts = Recorded(live).both_ways(send)
    assert _answer(direct) == _answer(litestar)
    return counts


ORDINARY = [
    ("GET", "/", {}),
    ("GET", "", {}),
    ("GET", "/echo?a=1&b=two&a=3", {}),
    ("GET", "/echo/", {}),
    ("GET", "//echo//x//y/", {}),
    ("GET", "/echo/caf%C3%A9/%20x", {}),
    ("POST", "/echo", {"json": {"n": [1, 2]}}),
    ("POST", "/echo", {"data": {"field": "value", "other": "é"}}),
    ("PUT", "/echo", {"content": b"\x00\xff raw", "headers": {"content-type": "x/y"}}),
    ("PATCH", "/echo", {"content": b"x" * 1000}),
    ("POST", "/echo", {"content": b"x" * 1001}),
    ("DELETE", "/echo", {}),
    ("OPTIONS", "/echo", {"headers": {"origin": "https://elsewhere.example"}}),
    ("HEAD", "/echo", {}),
    ("GET", "/echo", {"headers": {"authorization": "Bearer the-widgets-own"}}),
    ("GET", "/echo", {"headers": {"cookie": "wb_session=nonsense; other=1"}}),
    ("GET", "/made", {}),
    ("GET", "/empty", {}),
    ("GET", "/fails", {}),
    ("GET", "/stream", {}),
    ("GET", "/nowhere", {}),
]


def _sender(live: Live, slug: str, method: str, path: str, options: dict[str, Any]) -> Any:
    """Sends a new visitor's `method` request for `path` of the widget's API."""
    visitor = live.client()
    return lambda: visitor.request(method, f"/w/{slug}{path}", csrf=False, **options)


@pytest.mark.parametrize(("method", "path", "options"), ORDINARY)
def test_an_ordinary_request_is_served_directly_as_litestar_serves_it(
    live: Live, slug: str, method: str, path: str, options: dict[str, Any]
) -> None:
    assert _same(live, _sender(live, slug, method, path, options)) == (1, 0)


def test_a_path_is_read_as_litestar_reads_it(live: Live, slug: str) -> None:
    visitor = live.client()
    for path in (f"/w//{slug}//echo/a/", f"/w/{slug}///", f"/w///{slug}"):
        assert _same(live, lambda path=path: visitor.get(path)) == (1, 0)
    assert visitor.get(f"/w//{slug}//echo/a/b/").json() == ["a", "b"]


def test_a_chunked_body_over_the_cap_is_refused_alike(live: Live, slug: str) -> None:
    """No length to judge by beforehand: the cap stops the body as it is read, inside the
    handler, and the error is answered as Litestar answers it."""
    visitor = live.client()

    def chunked() -> Iterator[bytes]:
        yield b"x" * 600
        yield b"x" * 600

    send = lambda: visitor.post(f"/w/{slug}/echo", content=chunked(), csrf=False)  # noqa: E731
    assert _same(live, send) == (1, 0)
    assert send().status_code == 413


def test_the_owners_failed_request_names_its_log_entry_either_way(
    live: Live, owner: Client, slug: str
) -> None:
    direct, litestar, counts = Recorded(live).both_ways(lambda: owner.get(f"/w/{slug}/fails"))
    assert counts == (1, 0)
    assert _answer(direct) == _answer(litestar)
    assert direct.headers["x-widgetbox-run"] != litestar.headers["x-widgetbox-run"]


def test_unknown_private_and_other_kinds_of_widgets_are_answered_alike(
    live: Live, owner: Client
) -> None:
    private = owner.widget_with("http", {"main.py": API}, title="Private")
    script = owner.widget_with("script", {"main.py": "print(1)\n"}, visibility="public")
    visitor = live.client()
    for path in ("/w/no-such-widget/echo", f"/w/{private}/echo", f"/w/{script}/x"):
        assert _same(live, lambda path=path: visitor.get(path)) == (1, 0)


def test_a_renamed_widgets_former_address_moves_alike(live: Live, owner: Client) -> None:
    slug = owner.widget_with("http", {"main.py": API}, visibility="public", title="Moving")
    renamed = f"{slug}-renamed"
    response = owner.api("PATCH", f"/api/widgets/{slug}", json={"slug": renamed})
    assert response.status_code == 200, response.text
    visitor = live.client()
    assert _same(live, lambda: visitor.get(f"/w/{slug}/echo?x=1")) == (1, 0)


REFUSED = [
    ("TRACE", "/echo", {}),
    ("GET", "/echo", {"headers": {"authorization": f"Bearer {TOKEN_PREFIX}not-handed-over"}}),
    ("POST", "/echo", {"content": b"x" * 1002}),
    ("GET", "/echo", {"headers": {"host": "a bad host"}}),
]


@pytest.mark.parametrize(("method", "path", "options"), REFUSED)
def test_a_request_litestar_refuses_is_left_to_it(
    live: Live, slug: str, method: str, path: str, options: dict[str, Any]
) -> None:
    send = _sender(live, slug, method, path, options)
    assert _same(live, send) == (0, 1)
    assert send().status_code >= 400


def test_an_unusual_host_it_cannot_vouch_for_is_left_to_litestar(live: Live, slug: str) -> None:
    visitor = live.client()
    send = lambda: visitor.get(f"/w/{slug}/echo", headers={"host": "under_score.example"})  # noqa: E731
    assert _same(live, send) == (0, 1)
    assert send().status_code == 200


def test_the_rate_limit_counts_each_request_once_either_way(tmp_path: Any) -> None:
    with serve(tmp_path / "data", http_requests_per_minute=4) as live:
        owner = live.user("owner")
        slug = owner.widget_with("http", {"main.py": API}, visibility="public")
        recorded = Recorded(live)
        visitor = live.client()
        first, second, counts = recorded.both_ways(lambda: visitor.get(f"/w/{slug}/"))
        assert counts == (1, 0)
        assert (first.headers["ratelimit-remaining"], second.headers["ratelimit-remaining"]) == (
            "3",
            "2",
        )
        third, fourth, _ = recorded.both_ways(lambda: visitor.get(f"/w/{slug}/"))
        assert (third.status_code, fourth.status_code) == (200, 200)
        assert fourth.headers["ratelimit-remaining"] == "0"
        over, still, counts = recorded.both_ways(lambda: visitor.get(f"/w/{slug}/"))
        assert counts == (0, 1)  # over the limit: Litestar's way refuses it
        assert (over.status_code, still.status_code) == (429, 429)
        assert _answer(over) == _answer(still)


def test_a_direct_answer_is_counted_under_its_route(live: Live, slug: str) -> None:
    visitor = live.client()
    visitor.get(f"/w/{slug}/echo")

    def count(route: str, status: str) -> float:
        text = live.app.state.metrics.exposition().decode()
        line = f'widgetbox_http_requests_total{{method="GET",route="{route}",status="{status}"}}'
        found = [row for row in text.splitlines() if row.startswith(line)]
        return float(found[0].split()[-1]) if found else 0.0

    before = (count("/w/{slug}/{path}", "200"), count("/w/{slug}", "200"))
    recorded = Recorded(live)
    assert recorded.both_ways(lambda: visitor.get(f"/w/{slug}/echo"))[2] == (1, 0)
    assert recorded.both_ways(lambda: visitor.get(f"/w/{slug}"))[2] == (1, 0)
    after = (count("/w/{slug}/{path}", "200"), count("/w/{slug}", "200"))
    assert after == (before[0] + 2, before[1] + 2)
