"""Widgets' HTTP APIs at `/w/{slug}/{path}`, over real HTTP (uvicorn on a loopback port):
Anvil's route semantics, every request in a fresh interpreter, errors and output in the
owner's logs, the time limit, what the widget may see and send, body and rate limits, who
may call a private API, and cross-origin callers."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests._timing import by_deadline
from tests.server._client import assert_error
from tests.server._live import Client, Live, serve
from widgetbox.host.widgets.starters import TEMPLATES
from widgetbox.runtime import TOO_LONG, Limits

pytestmark = pytest.mark.server

API = """\
import os
import sys
import time

import anvil.server
from anvil.server import HttpResponse

from helpers import shout

COUNTER = {"n": 0}


@anvil.server.route("/")
def root(**params):
    return "the root"


@anvil.server.route("/hello")
def hello(**params):
    return "Hello, world!"


@anvil.server.http_endpoint("/alias")
def alias(**params):
    return {"alias": True}


@anvil.server.route("/greet/:name")
def greet(name, **params):
    return {"name": name, "params": params}


@anvil.server.route("/pair/:a/:b")
def pair(a, b, **params):
    return [a, b]


@anvil.server.route("/params/:a", methods=["GET", "POST"])
def params(a, **params):
    return {"a": a, **params}


@anvil.server.route("/json", methods=["POST"])
def body_json(**params):
    return {"got": anvil.server.request.body_json}


@anvil.server.route("/request", methods=["GET", "POST", "PUT", "DELETE"])
def describe(**params):
    r = anvil.server.request
    return {
        "method": r.method,
        "path": r.path,
        "query": r.query_params,
        "form": r.form_params,
        "headers": dict(r.headers),
        "origin": r.origin,
        "remote": r.remote_address,
        "body": r.body.get_bytes().decode("utf-8", "replace"),
    }


@anvil.server.route("/text")
def text(**params):
    return shout("plain text")


@anvil.server.route("/none")
def nothing(**params):
    return None


@anvil.server.route("/int")
def integer(**params):
    return 42


@anvil.server.route("/float")
def floating(**params):
    return 2.5


@anvil.server.route("/dict")
def mapping(**params):
    return {"a": 1, "b": [True, None]}


@anvil.server.route("/list")
def sequence(**params):
    return [1, "two", 3.0]


@anvil.server.route("/custom")
def custom(**params):
    return HttpResponse(201, "made it", {"X-Widget": "yes", "Content-Type": "text/csv"})


@anvil.server.route("/custom-json")
def custom_json(**params):
    return HttpResponse(418, {"teapot": True})


@anvil.server.route("/only-post", methods=["POST"])
def only_post(**params):
    return {"posted": params}


@anvil.server.route("/cors", methods=["GET", "POST"], enable_cors=True)
def cors(**params):
    return {"cors": True}


@anvil.server.route("/count")
def count(**params):
    COUNTER["n"] += 1
    existed = os.path.exists("/tmp/mark")
    with open("/tmp/mark", "w") as f:
        f.write("written by an earlier request")
    return {"count": COUNTER["n"], "mark_existed": existed, "modules": "helpers" in sys.modules}


@anvil.server.route("/fail")
def fail(**params):
    print("about to fail")
    helper_that_fails()


def helper_that_fails():
    raise ValueError("the widget's private detail 8731")


@anvil.server.route("/print", methods=["GET", "POST"])
def printing(**params):
    print("printed by the request", params.get("tag"))
    print("and to stderr", file=sys.stderr)
    return "printed"


@anvil.server.route("/slow")
def slow(**params):
    print("starting to sleep")
    time.sleep(20)
    return "woke up"


@anvil.server.route("/busy")
def busy(**params):
    while True:
        pass


@anvil.server.route("/set-cookie")
def set_cookie(**params):
    return HttpResponse(
        200,
        "cookie set?",
        {
            "Set-Cookie": "wb_session=stolen; Path=/",
            "Content-Security-Policy": "default-src *",
            "X-Custom": "kept",
        },
    )


@anvil.server.route("/header/:case")
def bad_header(case, **params):
    headers = {
        "space": {"Bad Name": "v"},
        "colon": {"x:y": "v"},
        "unicode": {"X-Euro": "\\u20ac"},
        "control": {"X-Bell": "a\\x07b"},
    }[case]
    return HttpResponse(200, "never sent", headers)


@anvil.server.route("/status/:code")
def status(code, **params):
    return HttpResponse(int(code), "a body", {"X-Status": code})


@anvil.server.route("/origin-state")
def origin_state(**params):
    return HttpResponse(
        200,
        "ok",
        {
            "Clear-Site-Data": '"cookies", "storage"',
            "Alt-Svc": 'h2="evil.example:443"; ma=86400',
            "NEL": '{"report_to": "x", "max_age": 86400, "include_subdomains": true}',
            "Report-To": '{"group": "x", "max_age": 86400, '
            '"endpoints": [{"url": "https://evil.example/r"}]}',
        },
    )


@anvil.server.route("/call/:x")
def call(x, **params):
    doubled = anvil.server.call("double", int(x))
    return {"doubled": doubled, "shouted": anvil.server.call("shout", x)}


@anvil.server.callable
def double(x):
    return x * 2
"""

HELPERS = """\
import anvil.server


@anvil.server.callable
def shout(text):
    return str(text).upper()
"""

FILES = {"main.py": API, "helpers.py": HELPERS}


class Site:
    """The module's server, its admin, the API's owner (alice), another user (bob), an
    anonymous visitor, and alice's public API widget."""

    def __init__(self, live: Live) -> None:
        self.live = live
        self.admin = live.user("admin")
        self.alice = live.user("alice")
        self.bob = live.user("bob")
        self.anon = live.client()
        self.slug = self.alice.widget_with("http", FILES, visibility="public", title="The API")

    def url(self, path: str, slug: str | None = None) -> str:
        return f"/w/{slug or self.slug}{path}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with serve(tmp_path_factory.mktemp("http-api")) as live:
        yield Site(live)


@pytest.fixture
def new_server(tmp_path: Path) -> Iterator[Any]:
    """`new_server(**settings)`: a server of its own for a test that changes settings."""
    numbers = itertools.count()
    with ExitStack() as stack:

        def make(**settings: Any) -> Live:
            return stack.enter_context(serve(tmp_path / f"data{next(numbers)}", **settings))

        yield make


def new_log(client: Client, slug: str, after: int, path: str) -> dict[str, Any]:
    """The one request to `path` logged since `after`, in full (output and error)."""
    [entry] = client.wait_for_logs(slug, after, path=path)
    return client.run_detail(entry["id"])


def settle(site: Site) -> int:
    """Wait until every request answered so far is logged (logs are written in batches, in
    order: once a new request is logged, all earlier ones are); returns the newest log id
    of the module's API, after which only what the test does next is logged."""
    after = site.alice.last_log_id(site.slug)
    path = f"/settle-{uuid.uuid4().hex}"
    assert site.anon.get(site.url(path)).status_code == 404
    [entry] = site.alice.wait_for_logs(site.slug, after, path=path)
    return int(entry["id"])


def assert_widget_headers(response: httpx.Response) -> None:
    assert response.headers["content-security-policy"] == "sandbox"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "set-cookie" not in response.headers


# -- routes and their parameters -----------------------------------------------------------


def test_a_route_answers_at_the_widget_url(site: Site) -> None:
    response = site.anon.get(site.url("/hello"))
    assert response.status_code == 200
    assert response.text == "Hello, world!"
    assert response.headers["content-type"].startswith("text/plain")
    assert_widget_headers(response)


def test_the_widget_root(site: Site) -> None:
    for path in ("", "/"):
        response = site.anon.get(site.url(path))
        assert (response.status_code, response.text) == (200, "the root"), path


def test_http_endpoint_is_an_alias_of_route(site: Site) -> None:
    response = site.anon.get(site.url("/alias"))
    assert response.status_code == 200
    assert response.json() == {"alias": True}


def test_path_parameters(site: Site) -> None:
    response = site.anon.get(site.url("/greet/ada"))
    assert response.json() == {"name": "ada", "params": {}}
    assert site.anon.get(site.url("/pair/one/two")).json() == ["one", "two"]
    # percent-encoded segments arrive decoded
    assert site.anon.get(site.url("/greet/J%C3%BCrgen")).json()["name"] == "Jürgen"


def test_query_and_form_parameters_are_keyword_arguments(site: Site) -> None:
    response = site.anon.get(site.url("/greet/ada?lang=en&n=3"))
    assert response.json() == {"name": "ada", "params": {"lang": "en", "n": "3"}}
    form = site.anon.post(site.url("/params/p"), data={"f": "form", "both": "form"})
    assert form.json() == {"a": "p", "f": "form", "both": "form"}


def test_a_form_is_recognised_whatever_the_case_of_its_media_type(site: Site) -> None:
    """Media types are case-insensitive (RFC 9110); before, this form was ignored."""
    for content_type in (
        "application/x-www-form-urlencoded; charset=UTF-8",
        "Application/X-WWW-Form-URLEncoded",
    ):
        response = site.anon.post(
            site.url("/params/p"),
            content=b"f=1&g=two+words",
            headers={"content-type": content_type},
        )
        assert response.json() == {"a": "p", "f": "1", "g": "two words"}, content_type


def test_path_wins_over_query_wins_over_form(site: Site) -> None:
    response = site.anon.post(
        site.url("/params/from-path?a=from-query&b=from-query&q=only-query"),
        data={"a": "from-form", "b": "from-form", "c": "from-form"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "a": "from-path",
        "b": "from-query",
        "c": "from-form",
        "q": "only-query",
    }


def test_a_json_body(site: Site) -> None:
    payload = {"numbers": [1, 2, 3], "nested": {"ok": True}, "text": "ünï"}
    response = site.anon.post(site.url("/json"), json=payload)
    assert response.status_code == 200
    assert response.json() == {"got": payload}
    # not JSON by its content type: body_json is None
    plain = site.anon.post(
        site.url("/json"), content=b'{"a": 1}', headers={"content-type": "text/plain"}
    )
    assert plain.json() == {"got": None}


def test_what_the_request_object_holds(site: Site) -> None:
    response = site.anon.put(
        site.url("/request?x=1&y=two"),
        content=b"raw body",
        headers={"X-Custom-Header": "custom value", "content-type": "application/octet-stream"},
    )
    assert response.status_code == 200
    seen = response.json()
    assert seen["method"] == "PUT"
    assert seen["path"] == "/request"
    assert seen["query"] == {"x": "1", "y": "two"}
    assert seen["form"] == {}
    assert seen["headers"]["x-custom-header"] == "custom value"
    assert seen["headers"]["host"] == site.live.base.removeprefix("http://")
    assert seen["origin"] == f"{site.live.config.origin}/w/{site.slug}"
    assert seen["remote"] == "127.0.0.1"
    assert seen["body"] == "raw body"

    form = site.anon.post(site.url("/request"), data={"field": "value"}).json()
    assert (form["method"], form["form"]) == ("POST", {"field": "value"})


# -- return values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("/text", "text/plain", "PLAIN TEXT"),
        ("/none", "application/json", None),
        ("/int", "application/json", 42),
        ("/float", "application/json", 2.5),
        ("/dict", "application/json", {"a": 1, "b": [True, None]}),
        ("/list", "application/json", [1, "two", 3.0]),
    ],
)
def test_return_values_by_anvils_rules(site: Site, path: str, content_type: str, body: Any) -> None:
    response = site.anon.get(site.url(path))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)
    if content_type == "text/plain":
        assert response.text == body
    else:
        assert response.json() == body


def test_http_response_sets_status_body_and_headers(site: Site) -> None:
    response = site.anon.get(site.url("/custom"))
    assert response.status_code == 201
    assert response.text == "made it"
    assert response.headers["content-type"] == "text/csv"
    assert response.headers["x-widget"] == "yes"
    assert_widget_headers(response)
    teapot = site.anon.get(site.url("/custom-json"))
    assert teapot.status_code == 418
    assert teapot.headers["content-type"].startswith("application/json")
    assert teapot.json() == {"teapot": True}


def test_an_unknown_path_is_404(site: Site) -> None:
    for path in ("/nowhere", "/hello/extra", "/greet", "/greet/a/b"):
        response = site.anon.get(site.url(path))
        assert response.status_code == 404, path
        assert response.text == "No matching API endpoint"
        assert_widget_headers(response)


def test_the_wrong_method_is_405_with_allow(site: Site) -> None:
    response = site.anon.get(site.url("/only-post"))
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert_widget_headers(response)
    delete = site.anon.delete(site.url("/hello"))
    assert delete.status_code == 405
    assert delete.headers["allow"] == "GET, POST"
    assert site.anon.post(site.url("/only-post"), data={"k": "v"}).json() == {"posted": {"k": "v"}}


def test_enable_cors(site: Site) -> None:
    response = site.anon.get(site.url("/cors"), headers={"origin": "https://elsewhere.example"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    preflight = site.anon.options(
        site.url("/cors"),
        headers={
            "origin": "https://elsewhere.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": "X-Token, Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert set(preflight.headers["access-control-allow-methods"].split(", ")) == {"GET", "POST"}
    allowed = {h.strip() for h in preflight.headers["access-control-allow-headers"].split(",")}
    assert {"x-token", "content-type"} <= allowed
    # without enable_cors, no CORS headers and no preflight
    plain = site.anon.get(site.url("/hello"), headers={"origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in plain.headers
    assert site.anon.options(site.url("/hello")).status_code == 405


def test_anvil_server_call_reaches_the_widgets_callables(site: Site) -> None:
    response = site.anon.get(site.url("/call/21"))
    assert response.status_code == 200, response.text
    assert response.json() == {"doubled": 42, "shouted": "21"}


# -- a fresh interpreter for every request -------------------------------------------------


def test_every_request_runs_in_a_fresh_interpreter(site: Site) -> None:
    seen = [site.anon.get(site.url("/count")).json() for _ in range(3)]
    assert seen == [{"count": 1, "mark_existed": False, "modules": True}] * 3


def test_concurrent_requests_each_get_a_fresh_interpreter(site: Site) -> None:
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: site.live.client().get(site.url("/count")), range(12)))
    assert [a.status_code for a in answers] == [200] * 12
    assert {json.dumps(a.json()) for a in answers} == {
        json.dumps({"count": 1, "mark_existed": False, "modules": True})
    }


# -- errors, output and the owner's logs ---------------------------------------------------


def test_an_exception_is_a_generic_500_and_the_owner_sees_the_traceback(site: Site) -> None:
    mark = settle(site)
    response = site.anon.get(site.url("/fail"))
    error = assert_error(response, 500, "widget_error")
    assert_widget_headers(response)
    for leak in ("8731", "private detail", "ValueError", "Traceback", "main.py", "helper_that"):
        assert leak not in response.text
    assert "logs" in error["message"]

    detail = new_log(site.alice, site.slug, mark, "/fail")
    assert detail["trigger"] == "http"
    assert detail["status"] == "error"
    assert detail["request"]["method"] == "GET"
    assert detail["request"]["path"] == "/fail"
    assert detail["request"]["status"] == 500
    assert detail["error"]["type"] == "ValueError"
    assert detail["error"]["message"] == "the widget's private detail 8731"
    frames = detail["error"]["frames"]
    assert [(f["filename"], f["name"]) for f in frames] == [
        ("main.py", "fail"),
        ("main.py", "helper_that_fails"),
    ]
    assert frames[-1]["line"] == 'raise ValueError("the widget\'s private detail 8731")'
    assert "Traceback" in detail["error"]["traceback"]
    assert "8731" in detail["error"]["traceback"]
    assert "about to fail" in detail["stdout"]


def test_what_a_request_prints_is_in_the_logs_with_method_path_and_status(site: Site) -> None:
    mark = settle(site)
    response = site.anon.post(site.url("/print?tag=first-tag"))
    assert (response.status_code, response.text) == (200, "printed")
    [entry] = site.alice.wait_for_logs(site.slug, mark, path="/print")
    assert entry["trigger"] == "http"
    assert entry["status"] == "ok"
    assert entry["user"] is None
    assert {k: entry["request"][k] for k in ("method", "path", "status")} == {
        "method": "POST",
        "path": "/print",
        "status": 200,
    }
    detail = site.alice.run_detail(entry["id"])
    assert detail["stdout"] == "printed by the request first-tag\n"
    assert detail["stderr"] == "and to stderr\n"

    # 404s and 405s answered by the routing are logged with their status too
    mark = entry["id"]
    site.anon.get(site.url("/no-such-endpoint"))
    [missing] = site.alice.wait_for_logs(site.slug, mark, path="/no-such-endpoint")
    assert (missing["request"]["path"], missing["request"]["status"]) == ("/no-such-endpoint", 404)


def test_only_the_owner_reads_the_logs(site: Site) -> None:
    assert_error(site.bob.api("GET", f"/api/widgets/{site.slug}/logs"), 403)
    assert_error(site.anon.api("GET", f"/api/widgets/{site.slug}/logs"), 403)
    settle(site)
    run_id = site.alice.last_log_id(site.slug)
    assert_error(site.bob.api("GET", f"/api/runs/{run_id}"), 404)


def test_the_time_limit(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real limit is 30 s; here it is one second, for a sleeping and a busy handler."""
    monkeypatch.setattr(Limits, "request", classmethod(lambda cls: cls(timeout=1.0)))
    for path in ("/slow", "/busy"):
        mark = settle(site)
        started = time.monotonic()
        response = site.anon.get(site.url(path))
        elapsed = time.monotonic() - started
        error = assert_error(response, 500, "timeout")
        assert error["message"] == TOO_LONG == "Server code took too long"
        assert_widget_headers(response)
        assert by_deadline(elapsed, 1.0), elapsed
        entry = new_log(site.alice, site.slug, mark, path)
        assert (entry["status"], entry["request"]["path"]) == ("timeout", path)
        assert entry["request"]["status"] == 500
        assert entry["message"] == TOO_LONG


def test_what_a_request_printed_before_its_time_ran_out_is_logged(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Limits, "request", classmethod(lambda cls: cls(timeout=1.0)))
    mark = settle(site)
    assert_error(site.anon.get(site.url("/slow")), 500, "timeout")
    entry = new_log(site.alice, site.slug, mark, "/slow")
    assert (entry["status"], entry["request"]["path"]) == ("timeout", "/slow")
    assert entry["stdout"] == "starting to sleep\n"


def test_the_default_time_limit_is_30_seconds() -> None:
    assert Limits.request().timeout == 30.0


# -- what the widget sees and sends --------------------------------------------------------


def test_the_widget_never_sees_widgetboxs_cookies_or_csrf_token(site: Site) -> None:
    owner = site.alice
    token, csrf = owner.session_token, owner.csrf_token()
    assert token
    assert csrf
    private = owner.widget_with("http", FILES, title="Private headers")
    mark = settle(site)
    for method, slug in [("GET", site.slug), ("POST", site.slug), ("GET", private)]:
        response = owner.request(
            method, site.url("/request", slug), headers={"x-csrf-token": csrf, "x-other": "kept"}
        )
        # the browser did send its cookies (the private API answers only with them)
        assert token in response.request.headers["cookie"]
        assert response.status_code == 200, response.text
        headers = response.json()["headers"]
        assert "cookie" not in headers
        assert "x-csrf-token" not in headers
        assert headers["x-other"] == "kept"
        assert token not in response.text
        assert csrf not in response.text
    # nor in the logged runs
    for entry in owner.wait_for_logs(site.slug, mark, count=2, path="/request"):
        assert token not in json.dumps(owner.run_detail(entry["id"]))
        assert csrf not in json.dumps(owner.run_detail(entry["id"]))


def test_a_widget_cannot_set_cookies_or_loosen_the_headers(site: Site) -> None:
    owner = site.alice
    before = owner.session_token
    response = owner.get(site.url("/set-cookie"))
    assert response.status_code == 200
    assert response.text == "cookie set?"
    assert "set-cookie" not in response.headers
    assert response.headers["content-security-policy"] == "sandbox"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-custom"] == "kept"
    assert owner.session_token == before
    assert owner.api("GET", "/api/session").json()["user"]["username"] == "alice"


def test_a_widget_cannot_change_browser_state_for_widgetboxs_origin(site: Site) -> None:
    """Clear-Site-Data would log the visitor out of Widgetbox, Alt-Svc would move the
    origin's connections, NEL and Report-To would report requests to the whole origin."""
    response = site.alice.get(site.url("/origin-state"))
    assert (response.status_code, response.text) == (200, "ok")
    for name in ("clear-site-data", "alt-svc", "nel", "report-to"):
        assert name not in response.headers, name
    assert_widget_headers(response)


@pytest.mark.parametrize("case", ["space", "colon", "unicode", "control"])
def test_a_response_header_that_is_not_valid_http_is_the_widgets_error(
    site: Site, case: str
) -> None:
    """Before: a bad name made the server drop the connection without an answer; a
    non-Latin-1 value was a host error with an incident id; both were logged as ok."""
    mark = settle(site)
    response = site.anon.get(site.url(f"/header/{case}"))
    assert_error(response, 500, "widget_error")
    assert_widget_headers(response)
    assert "never sent" not in response.text
    entry = new_log(site.alice, site.slug, mark, f"/header/{case}")
    assert (entry["status"], entry["request"]["status"]) == ("error", 500)
    assert entry["message"].startswith("The widget's response could not be sent: ")
    assert "header" in entry["message"]


@pytest.mark.parametrize("code", [100, 101, 103])
def test_an_informational_status_is_the_widgets_error(site: Site, code: int) -> None:
    mark = settle(site)
    response = site.anon.get(site.url(f"/status/{code}"))
    assert_error(response, 500, "widget_error")
    entry = new_log(site.alice, site.slug, mark, f"/status/{code}")
    assert entry["status"] == "error"
    assert str(code) in entry["message"]


@pytest.mark.parametrize("code", [204, 304])
def test_statuses_without_a_body_drop_the_body(site: Site, code: int) -> None:
    """HTTP cannot send a body with these; before, the caller got a 500."""
    response = site.anon.get(site.url(f"/status/{code}"))
    assert response.status_code == code
    assert response.content == b""
    assert response.headers["x-status"] == str(code)
    assert_widget_headers(response)
    assert site.anon.get(site.url("/status/200")).text == "a body"


def test_every_widget_response_is_sandboxed(site: Site) -> None:
    """Successes, routing errors, failures and refusals alike."""
    private = site.alice.widget_with("http", FILES, title="Sandboxed private")
    for path, status in [
        (site.url("/hello"), 200),
        (site.url("/nowhere"), 404),
        (site.url("/only-post"), 405),
        (site.url("/fail"), 500),
        (site.url("/hello", slug=private), 404),
        ("/w/no-such-widget/hello", 404),
    ]:
        response = site.anon.get(path)
        assert response.status_code == status, path
        assert_widget_headers(response)


# -- who may call ------------------------------------------------------------------------


def test_a_private_api_answers_only_its_owner(site: Site) -> None:
    slug = site.alice.widget_with("http", FILES, title="Private API")
    for caller in (site.anon, site.bob):
        response = caller.get(site.url("/hello", slug=slug))
        error = assert_error(response, 404, "not_found")
        assert "Hello" not in response.text
        # exactly as a widget that does not exist answers
        unknown = caller.get(site.url("/hello", slug=slug + "-nope"))
        other = assert_error(unknown, 404, "not_found")
        assert error["message"] == other["message"].replace(slug + "-nope", slug)
        assert_widget_headers(response)
    owner = site.alice.get(site.url("/hello", slug=slug))
    assert (owner.status_code, owner.text) == (200, "Hello, world!")
    # the admin may read any widget
    assert site.admin.get(site.url("/hello", slug=slug)).status_code == 200
    # requests that were refused were not run, so not logged
    settle(site)
    assert [entry["request"]["status"] for entry in site.alice.logs(slug)] == [200, 200]


@pytest.mark.parametrize("visibility", ["unlisted", "public"])
def test_unlisted_and_public_apis_answer_anyone(site: Site, visibility: str) -> None:
    slug = site.alice.widget_with("http", FILES, visibility=visibility, title=f"{visibility} API")
    for caller in (site.anon, site.bob, site.alice):
        response = caller.get(site.url("/hello", slug=slug))
        assert (response.status_code, response.text) == (200, "Hello, world!")


@pytest.mark.parametrize("kind", ["script", "scheduled", "gui"])
def test_other_kinds_have_no_http_api(site: Site, kind: str) -> None:
    files = FILES | (TEMPLATES["gui"] if kind == "gui" else {}) | {"server.py": API}
    slug = site.alice.widget_with(kind, files, visibility="public", title=kind)
    for caller in (site.anon, site.alice):
        response = caller.get(site.url("/hello", slug=slug))
        assert_error(response, 404, "not_found")
        assert_widget_headers(response)
    settle(site)
    assert site.alice.logs(slug) == []


def test_cross_origin_posts_reach_widget_apis_but_not_widgetbox(site: Site) -> None:
    foreign = {"origin": "https://evil.example", "sec-fetch-site": "cross-site"}
    # an anonymous caller with no token at all, from another site
    response = site.anon.request(
        "POST", site.url("/only-post"), csrf=False, headers=foreign, data={"k": "v"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"posted": {"k": "v"}}
    # the signed-in owner's browser, from another site: the widget answers...
    owner = site.alice
    widget_post = owner.request(
        "POST", site.url("/params/x"), csrf=False, headers=foreign, data={"b": "1"}
    )
    assert widget_post.status_code == 200
    assert widget_post.json() == {"a": "x", "b": "1"}
    # ...but Widgetbox's own API refuses the same kind of request, even with the token
    refused = owner.request(
        "POST",
        "/api/widgets",
        headers={**foreign, "x-csrf-token": owner.csrf_token()},
        json={"kind": "http", "title": "From elsewhere"},
    )
    assert_error(refused, 403, "cross_origin")
    refused_save = owner.request(
        "POST",
        f"/api/widgets/{site.slug}/versions",
        headers={"origin": "https://evil.example", "x-csrf-token": owner.csrf_token()},
        json={"base_version": 1, "files": FILES},
    )
    assert_error(refused_save, 403, "cross_origin")
    # and without the token, even from no origin at all
    assert_error(owner.request("POST", "/api/widgets", csrf=False, json={"kind": "http"}), 403)


# -- limits ------------------------------------------------------------------------------


def test_request_bodies_over_the_cap_are_413(new_server: Any) -> None:
    live: Live = new_server(http_max_body_bytes=100)
    owner = live.user("owner")
    slug = owner.widget_with("http", FILES, visibility="public", title="Capped")
    ok = owner.post(f"/w/{slug}/request", content=b"x" * 100)
    assert ok.status_code == 200
    assert ok.json()["body"] == "x" * 100
    for size in (101, 5000):
        response = live.client().post(f"/w/{slug}/request", content=b"x" * size)
        assert_error(response, 413)

    def chunks(count: int) -> Iterator[bytes]:
        yield from (b"x" * 60 for _ in range(count))

    # without a Content-Length (chunked), too
    assert_error(live.client().post(f"/w/{slug}/request", content=chunks(2)), 413)
    # refused bodies never reached the widget (logs are written in order: once a later
    # request is logged, the refused ones would have been)
    assert owner.get(f"/w/{slug}/hello").status_code == 200
    logged = owner.wait_for_logs(slug, 0, count=2)
    assert [entry["request"]["path"] for entry in logged] == ["/hello", "/request"]


def test_more_requests_per_minute_than_allowed_are_429(new_server: Any) -> None:
    live: Live = new_server(http_requests_per_minute=3)
    owner = live.user("owner")
    slug = owner.widget_with("http", FILES, visibility="public", title="Limited")
    caller = live.client()
    statuses = [caller.get(f"/w/{slug}/hello").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    response = caller.get(f"/w/{slug}/hello")
    assert_error(response, 429)
    assert response.headers.get("retry-after") or response.headers.get("ratelimit-reset")
    # per client address, not per browser: a second visitor from the same address waits too
    assert live.client().get(f"/w/{slug}/hello").status_code == 429
    # Widgetbox's own API is not limited by the widgets' rate limit
    assert owner.api("GET", f"/api/widgets/{slug}").status_code == 200
    assert len(owner.wait_for_logs(slug, 0, count=3)) == 3
