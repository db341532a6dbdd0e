"""Hash flooding: every interpreter starts from the same memory snapshot, so string hashes
are the same in every run, and an attacker can precompute keys that collide in the dicts
the guest builds from a request before the widget's code runs. What a request can make it
hash is bounded, and refused before anything enters the sandbox: query and form
parameters, headers, and in a JSON body or a GUI app's server call the members of one
object and the members times the different member names of the whole document (the
decoder looks every name up among all of them). A request just under every limit is still
served."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.server._client import Browser, assert_error
from tests.server._live import Live, serve
from tests.server.conftest import Server
from tests.server.test_gui_apps import app_url, make_app
from widgetbox.host.endpoints.bounds import (
    MAX_HEADERS,
    MAX_JSON_MEMBERS,
    MAX_JSON_MEMBERS_BY_NAMES,
    MAX_PARAMETERS,
)

pytestmark = [pytest.mark.server, pytest.mark.security]

API = """\
import anvil.server


@anvil.server.route("/sizes", methods=["GET", "POST"])
def sizes(**params):
    r = anvil.server.request
    return {
        "params": len(params),
        "query": len(r.query_params),
        "form": len(r.form_params),
        "headers": len(r.headers),
        "cookie": "cookie" in r.headers,
    }


@anvil.server.route("/json", methods=["POST"])
def body_json(**params):
    return {"members": len(anvil.server.request.body_json["outer"])}


@anvil.server.route("/raw", methods=["POST"])
def raw(**params):
    return {"bytes": len(anvil.server.request.body.get_bytes())}
"""


class Api:
    """The module's server and its public API widget, called by an anonymous visitor."""

    def __init__(self, live: Live) -> None:
        owner = live.user("owner")
        self.slug = owner.widget_with("http", {"main.py": API}, visibility="public", title="Big")
        self.http = live.client().http

    def url(self, path: str) -> str:
        return f"/w/{self.slug}{path}"

    def send(self, request: httpx.Request) -> httpx.Response:
        return self.http.send(request)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with serve(tmp_path_factory.mktemp("request-bounds")) as live:
        yield Api(live)


def fields(count: int, prefix: str = "p") -> str:
    return "&".join(f"{prefix}{i}=" for i in range(count))


def members(count: int, prefix: str = "k") -> dict[str, int]:
    return {f"{prefix}{i}": i for i in range(count)}


SIDE = math.isqrt(MAX_JSON_MEMBERS_BY_NAMES)
"""The most members a document of as many different names may have: SIDE**2 is within
MAX_JSON_MEMBERS_BY_NAMES, (SIDE + 1)**2 is not."""


def all_different(total: int, around: int) -> dict[str, Any]:
    """`total` members, every name different: a full object in "outer", the rest beside it
    (with the `around` members of the document around them)."""
    rest = total - around - 2 - MAX_JSON_MEMBERS
    return {"outer": members(MAX_JSON_MEMBERS), "rest": members(rest, "r")}


# -- query and form parameters ------------------------------------------------------------


def test_query_parameters_up_to_the_limit_are_served(api: Api) -> None:
    response = api.http.get(api.url("/sizes?" + fields(MAX_PARAMETERS)))
    assert response.status_code == 200, response.text
    assert response.json()["query"] == MAX_PARAMETERS


def test_one_query_parameter_more_is_refused(api: Api) -> None:
    response = api.http.get(api.url("/sizes?" + fields(MAX_PARAMETERS + 1)))
    error = assert_error(response, 400, "too_many_parameters")
    assert f"{MAX_PARAMETERS:,}" in error["message"]


def test_form_fields_up_to_the_limit_are_served(api: Api) -> None:
    response = api.http.post(
        api.url("/sizes"),
        content=fields(MAX_PARAMETERS),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["form"] == MAX_PARAMETERS


def test_one_form_field_more_is_refused(api: Api) -> None:
    response = api.http.post(
        api.url("/sizes"),
        content=fields(MAX_PARAMETERS + 1),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    error = assert_error(response, 400, "too_many_parameters")
    assert f"{MAX_PARAMETERS:,}" in error["message"]


def test_query_and_form_parameters_count_together(api: Api) -> None:
    """The guest merges them into one dict of keyword arguments."""
    query = MAX_PARAMETERS // 2
    form = {"content-type": "application/x-www-form-urlencoded"}
    served = api.http.post(
        api.url("/sizes?" + fields(query, "q")),
        content=fields(MAX_PARAMETERS - query, "f"),
        headers=form,
    )
    assert served.status_code == 200, served.text
    assert served.json()["params"] == MAX_PARAMETERS
    refused = api.http.post(
        api.url("/sizes?" + fields(query, "q")),
        content=fields(MAX_PARAMETERS - query + 1, "f"),
        headers=form,
    )
    assert_error(refused, 400, "too_many_parameters")


def test_a_body_that_is_not_a_form_is_not_counted(api: Api) -> None:
    response = api.http.post(
        api.url("/raw"),
        content=fields(MAX_PARAMETERS * 2),
        headers={"content-type": "text/plain"},
    )
    assert response.status_code == 200, response.text


# -- headers ------------------------------------------------------------------------------


def with_headers(api: Api, count: int, **extra: str) -> httpx.Request:
    """A request carrying exactly `count` headers the widget would see, plus `extra`."""
    request = api.http.build_request("GET", api.url("/sizes"))
    own = len(request.headers)
    request = api.http.build_request(
        "GET",
        api.url("/sizes"),
        headers={**{f"x-h{i}": "v" for i in range(count - own)}, **extra},
    )
    assert len(request.headers) == count + len(extra)
    return request


def test_headers_up_to_the_limit_are_served(api: Api) -> None:
    # Widgetbox's cookies and CSRF header never reach the widget: they do not count
    request = with_headers(api, MAX_HEADERS, cookie="a=b", **{"x-csrf-token": "t"})
    response = api.send(request)
    assert response.status_code == 200, response.text
    assert response.json()["headers"] == MAX_HEADERS
    assert response.json()["cookie"] is False


def test_one_header_more_is_refused(api: Api) -> None:
    response = api.send(with_headers(api, MAX_HEADERS + 1))
    error = assert_error(response, 431, "too_many_headers")
    assert str(MAX_HEADERS) in error["message"]


# -- JSON bodies --------------------------------------------------------------------------


def post_json(api: Api, path: str, value: Any, content_type: str = "application/json") -> Any:
    return api.http.post(
        api.url(path), content=json.dumps(value), headers={"content-type": content_type}
    )


@pytest.mark.parametrize("content_type", ["application/json", "application/problem+json"])
def test_a_json_object_up_to_the_limit_is_served(api: Api, content_type: str) -> None:
    response = post_json(api, "/json", {"outer": members(MAX_JSON_MEMBERS)}, content_type)
    assert response.status_code == 200, response.text
    assert response.json() == {"members": MAX_JSON_MEMBERS}


@pytest.mark.parametrize(
    "value",
    [
        members(MAX_JSON_MEMBERS + 1),
        {"outer": members(MAX_JSON_MEMBERS + 1)},
        [1, [{"deep": members(MAX_JSON_MEMBERS + 1)}]],
    ],
    ids=["top", "nested", "in-a-list"],
)
def test_a_json_object_with_one_member_more_is_refused(api: Api, value: Any) -> None:
    response = post_json(api, "/json", value)
    error = assert_error(response, 413, "too_large")
    assert f"{MAX_JSON_MEMBERS:,}" in error["message"]


def test_members_times_names_up_to_the_limit_are_served(api: Api) -> None:
    at_limit = all_different(SIDE, around=0)
    response = post_json(api, "/json", at_limit)
    assert response.status_code == 200, response.text
    assert response.json() == {"members": MAX_JSON_MEMBERS}
    # many members with a few names: a list of records
    records = {"outer": [{"id": i, "v": i} for i in range(30_000)]}
    body = json.dumps(records, separators=(",", ":"))
    response = api.http.post(
        api.url("/json"), content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"members": 30_000}


def test_members_times_names_over_the_limit_are_refused(api: Api) -> None:
    """Every object within its limit, but the decoder's one dict of names would hold them
    all, and be looked up for each."""
    response = post_json(api, "/json", all_different(SIDE + 1, around=0))
    error = assert_error(response, 413, "too_large")
    assert f"{MAX_JSON_MEMBERS_BY_NAMES:,}" in error["message"]


def test_only_json_bodies_are_counted(api: Api) -> None:
    """Widgetbox decodes only JSON bodies (`body_json`); code that decodes other bodies
    itself chooses to."""
    big = {"outer": members(MAX_JSON_MEMBERS + 1)}
    assert post_json(api, "/raw", big, "text/plain").status_code == 200
    # a `:` in a string is no member
    response = post_json(api, "/raw", {"outer": ":" * (MAX_JSON_MEMBERS * 3)})
    assert response.status_code == 200, response.text
    # nor is one in a body that is not JSON at all, when it is small
    few = api.http.post(
        api.url("/raw"), content=b"not: json", headers={"content-type": "application/json"}
    )
    assert few.status_code == 200, few.text


def test_an_unfinished_json_body_with_too_many_members_is_refused(api: Api) -> None:
    """The guest's decoder fills an object's dict as it reads it: an object never closed
    still costs its members before the error."""
    unfinished = json.dumps({"outer": members(MAX_JSON_MEMBERS + 1)})[:-2]
    response = api.http.post(
        api.url("/json"), content=unfinished, headers={"content-type": "application/json"}
    )
    error = assert_error(response, 400, "invalid_json")
    assert f"{MAX_JSON_MEMBERS:,}" in error["message"]


# -- GUI apps' server calls ----------------------------------------------------------------

SERVER = """\
import anvil.server


@anvil.server.callable
def sizes(*args, **kwargs):
    return {"args": [len(arg) for arg in args], "kwargs": len(kwargs)}
"""


def call(browser: Browser, server: Server, slug: str, payload: dict[str, Any]) -> httpx.Response:
    response: httpx.Response = browser.client.post(
        app_url(server, slug, "/_/call"),
        content=json.dumps(payload),
        headers={
            "content-type": "application/json",
            "origin": app_url(server, slug, "").rstrip("/"),
        },
    )
    return response


@pytest.mark.parametrize(
    ("payload", "value"),
    [
        (
            {"name": "sizes", "args": [members(MAX_JSON_MEMBERS)]},
            {"args": [MAX_JSON_MEMBERS], "kwargs": 0},
        ),
        (
            {"name": "sizes", "kwargs": members(MAX_JSON_MEMBERS)},
            {"args": [], "kwargs": MAX_JSON_MEMBERS},
        ),
        (
            {"name": "sizes", "args": [[{"deep": members(MAX_JSON_MEMBERS)}]]},
            {"args": [1], "kwargs": 0},
        ),
        (
            {
                "name": "sizes",
                "args": [{"$wb": "dict", "v": {"$wb": 1, **members(MAX_JSON_MEMBERS - 1)}}],
            },
            {"args": [MAX_JSON_MEMBERS], "kwargs": 0},
        ),
    ],
    ids=["arg", "kwargs", "nested", "tagged"],
)
def test_call_arguments_up_to_the_limit_are_served(
    server: Server, alice: Browser, anon: Browser, payload: dict[str, Any], value: Any
) -> None:
    slug = make_app(alice, "Sizes", **{"server.py": SERVER})
    response = call(anon, server, slug, payload)
    assert response.status_code == 200, response.text
    assert response.json() == {"value": value}


def test_call_members_times_names_up_to_the_limit_are_served(
    server: Server, alice: Browser, anon: Browser
) -> None:
    slug = make_app(alice, "Sizes", **{"server.py": SERVER})
    # the call object's own two members: "name" and "args"
    document = all_different(SIDE, around=2)
    response = call(anon, server, slug, {"name": "sizes", "args": [document]})
    assert response.status_code == 200, response.text
    assert response.json() == {"value": {"args": [2], "kwargs": 0}}
    records = [{"id": i, "v": i} for i in range(20_000)]
    response = call(anon, server, slug, {"name": "sizes", "args": [records]})
    assert response.status_code == 200, response.text
    assert response.json() == {"value": {"args": [20_000], "kwargs": 0}}


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "sizes", "args": [all_different(SIDE + 1, around=2)]},
        {"name": "sizes", "args": [members(MAX_JSON_MEMBERS + 1)]},
        {"name": "sizes", "kwargs": members(MAX_JSON_MEMBERS + 1)},
        {"name": "sizes", "args": [[{"deep": members(MAX_JSON_MEMBERS + 1)}]]},
        {"name": "sizes", "args": [{"$wb": "dict", "v": members(MAX_JSON_MEMBERS + 1)}]},
    ],
    ids=["members-by-names", "arg", "kwargs", "nested", "tagged"],
)
def test_a_call_with_one_member_more_is_refused(
    server: Server, alice: Browser, anon: Browser, payload: dict[str, Any]
) -> None:
    slug = make_app(alice, "Sizes", **{"server.py": SERVER})
    error = assert_error(call(anon, server, slug, payload), 413, "too_large")
    assert f"{MAX_JSON_MEMBERS:,}" in error["message"] or (
        f"{MAX_JSON_MEMBERS_BY_NAMES:,}" in error["message"]
    )
    # never reached the sandbox: nothing was logged for the owner
    server.call(server.app.state.runner.log.flush)
    assert alice.get(f"/api/widgets/{slug}/logs").json()["runs"] == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ('{"name": "sizes", "args": [1e400]}', 400, "bad_call"),
        ('{"name": "sizes", "kwargs": {"a": [-1e400]}}', 400, "bad_call"),
        (
            '{"name": "sizes", "args": [{"$wb": "row", "v": {"id": "\\ud800", "cap": "read.x"}}]}',
            400,
            "invalid_capability",
        ),
        (
            '{"name": "sizes", "args": [{"$wb": "task", "v": {"id": "\\udc00", "cap": "x"}}]}',
            400,
            "invalid_capability",
        ),
    ],
    ids=["overflowing number", "overflowing in kwargs", "row id", "task id"],
)
def test_a_call_the_codec_cannot_carry_is_refused(
    server: Server, alice: Browser, anon: Browser, body: str, status: int, code: str
) -> None:
    """The fuzzer's finds (`just fuzz gui`): `1e400` is valid JSON that reads as an
    infinity, which the call's arguments cannot be encoded with for the sandbox; a lone
    surrogate (valid JSON too) in a row's or task's id failed the capability's MAC. Both
    were a 500."""
    slug = make_app(alice, "Sizes", **{"server.py": SERVER})
    response = anon.client.post(
        app_url(server, slug, "/_/call"),
        content=body,
        headers={
            "content-type": "application/json",
            "origin": app_url(server, slug, "").rstrip("/"),
        },
    )
    assert_error(response, status, code)
