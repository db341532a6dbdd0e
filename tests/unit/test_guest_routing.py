"""`_widgetbox.routing`: Anvil's route matching and return-value rules, on the host's CPython."""

from __future__ import annotations

import datetime
import json
import types

import pytest

pytestmark = pytest.mark.unit

TEXT = "text/plain; charset=utf-8"


@pytest.fixture
def server(guest_modules: None) -> types.ModuleType:
    import anvil.server

    return anvil.server


@pytest.fixture
def routing(guest_modules: None) -> types.ModuleType:
    from _widgetbox import routing

    return routing


def add(server: types.ModuleType, path: str, **options):
    """Register a route the way widget code does and return its record."""

    def handler(**params):
        return params

    server.route(path, **options)(handler)
    return server._routes[-1]


# -- find ------------------------------------------------------------------------------------


def test_find_returns_the_route_and_its_parameters(server, routing) -> None:
    route = add(server, "/users/:id")
    assert routing.find(server._routes, "GET", "/users/7", {}) == (route, {"id": "7"})


def test_no_matching_path_is_a_404(server, routing) -> None:
    add(server, "/users/:id")
    found = routing.find(server._routes, "GET", "/nope", {})
    assert found == {
        "status": 404,
        "headers": {"content-type": TEXT},
        "body": b"No matching API endpoint",
    }


def test_no_routes_at_all_is_a_404(server, routing) -> None:
    assert routing.find([], "GET", "/", {})["status"] == 404


def test_the_first_route_that_matches_path_and_method_wins(server, routing) -> None:
    post_only = add(server, "/a/:x", methods=["POST"])
    by_param = add(server, "/a/:x")
    literal = add(server, "/a/b")
    assert routing.find(server._routes, "GET", "/a/b", {}) == (by_param, {"x": "b"})
    assert routing.find(server._routes, "POST", "/a/b", {}) == (post_only, {"x": "b"})
    assert routing.find(server._routes, "GET", "/a/c", {}) == (by_param, {"x": "c"})
    assert literal.match("/a/b") == {}  # it matches too, but comes later


def test_a_matching_path_with_another_method_is_a_405(server, routing) -> None:
    add(server, "/things", methods=["GET"])
    add(server, "/things", methods=["POST", "GET", "PUT"])
    add(server, "/other", methods=["PATCH"])
    found = routing.find(server._routes, "DELETE", "/things", {})
    assert found["status"] == 405
    assert found["body"] == b"Method not supported"
    assert found["headers"] == {"allow": "GET, POST, PUT", "content-type": TEXT}


def test_a_405_lists_the_union_of_methods_of_matching_routes_only(server, routing) -> None:
    add(server, "/u/:id", methods=["GET"])
    add(server, "/u/me", methods=["PATCH", "GET"])
    add(server, "/v", methods=["DELETE"])
    found = routing.find(server._routes, "POST", "/u/me", {})
    assert found["headers"]["allow"] == "GET, PATCH"


def test_options_without_cors_is_a_405(server, routing) -> None:
    add(server, "/x")
    found = routing.find(server._routes, "OPTIONS", "/x", {})
    assert found["status"] == 405
    assert found["headers"]["allow"] == "GET, POST"


def test_options_preflight_with_cors(server, routing) -> None:
    add(server, "/x", methods=["GET", "PUT"], enable_cors=True)
    asked = {
        "origin": "https://elsewhere.example",
        "access-control-request-method": "PUT",
        "access-control-request-headers": "X-Token, Authorization,content-type, ,x-token",
    }
    found = routing.find(server._routes, "OPTIONS", "/x", asked)
    assert found == {
        "status": 200,
        "headers": {
            "access-control-allow-origin": "*",
            "access-control-allow-methods": "GET, PUT",
            "access-control-allow-headers": "content-type, x-token, authorization",
        },
        "body": b"",
    }


def test_preflight_uses_a_cors_route_among_several_matches(server, routing) -> None:
    add(server, "/x", methods=["GET"])
    add(server, "/x", methods=["POST"], enable_cors="https://app.example")
    found = routing.find(server._routes, "OPTIONS", "/x", {})
    assert found["status"] == 200
    assert found["headers"]["access-control-allow-origin"] == "https://app.example"
    assert found["headers"]["access-control-allow-methods"] == "POST"
    assert found["headers"]["access-control-allow-headers"] == "content-type"


def test_options_is_dispatched_when_a_route_accepts_it(server, routing) -> None:
    route = add(server, "/x", methods=["OPTIONS"], enable_cors=True)
    assert routing.find(server._routes, "OPTIONS", "/x", {}) == (route, {})


def test_cors_for_other_methods_is_not_a_preflight(server, routing) -> None:
    add(server, "/x", methods=["GET"], enable_cors=True)
    assert routing.find(server._routes, "DELETE", "/x", {})["status"] == 405


def test_enable_cors_as_an_origin(server, routing) -> None:
    route = add(server, "/x", enable_cors="https://only.example")
    headers = routing.cors_headers(route, {})
    assert headers["access-control-allow-origin"] == "https://only.example"


# -- to_response -----------------------------------------------------------------------------


@pytest.fixture
def plain(server):
    return add(server, "/plain")


def test_str_is_text(routing, plain) -> None:
    assert routing.to_response("héllo ✓", plain, {}) == {
        "status": 200,
        "headers": {"content-type": TEXT},
        "body": "héllo ✓".encode(),
    }


@pytest.mark.parametrize(
    "value",
    [{"a": [1, None]}, [1, "two", 3.5], None, 0, -12, 2**70, 1.25, True, False, {}, []],
)
def test_json_values(routing, plain, value: object) -> None:
    response = routing.to_response(value, plain, {})
    assert response["status"] == 200
    assert response["headers"] == {"content-type": "application/json"}
    assert isinstance(response["body"], bytes)
    assert json.loads(response["body"]) == value
    assert type(json.loads(response["body"])) is type(value)


def test_tuples_are_json_lists(routing, plain) -> None:
    assert routing.to_response((1, (2,)), plain, {})["body"] == b"[1, [2]]"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), {"x": [float("-inf")]}])
def test_non_finite_numbers_are_refused(routing, plain, value: object) -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        routing.to_response(value, plain, {})


@pytest.mark.parametrize("value", [b"\x00\xff", bytearray(b"\x00\xff"), memoryview(b"\x00\xff")])
def test_bytes_are_an_octet_stream(routing, plain, value: object) -> None:
    response = routing.to_response(value, plain, {})
    assert response["headers"] == {"content-type": "application/octet-stream"}
    assert response["body"] == b"\x00\xff"
    assert type(response["body"]) is bytes


def test_media_keeps_its_content_type(routing, plain) -> None:
    from anvil import BlobMedia, Media

    response = routing.to_response(BlobMedia("image/png", b"\x89PNG"), plain, {})
    assert response["headers"] == {"content-type": "image/png"}
    assert response["body"] == b"\x89PNG"

    class Generated(Media):
        content_type = None

        def get_bytes(self) -> bytes:
            return b"made"

    response = routing.to_response(Generated(), plain, {})
    assert response["headers"] == {"content-type": "application/octet-stream"}
    assert response["body"] == b"made"


def test_http_response_sets_status_headers_and_body(server, routing, plain) -> None:
    value = server.HttpResponse(201, "made", {"X-Thing": "yes", "Location": "/x", "X-N": 3})
    assert routing.to_response(value, plain, {}) == {
        "status": 201,
        "headers": {"x-thing": "yes", "location": "/x", "x-n": "3", "content-type": TEXT},
        "body": b"made",
    }


def test_http_response_defaults(server, routing, plain) -> None:
    assert routing.to_response(server.HttpResponse(), plain, {}) == {
        "status": 200,
        "headers": {"content-type": TEXT},
        "body": b"",
    }


@pytest.mark.parametrize(
    ("body", "content_type", "raw"),
    [
        ({"a": 1}, "application/json", b'{"a": 1}'),
        (None, "application/json", b"null"),
        (b"\x01", "application/octet-stream", b"\x01"),
    ],
)
def test_http_response_bodies_follow_the_same_rules(
    server, routing, plain, body: object, content_type: str, raw: bytes
) -> None:
    response = routing.to_response(server.HttpResponse(202, body), plain, {})
    assert response["headers"]["content-type"] == content_type
    assert response["body"] == raw


@pytest.mark.parametrize("name", ["Content-Type", "content-type", " CONTENT-TYPE "])
def test_a_chosen_content_type_is_kept(server, routing, plain, name: str) -> None:
    value = server.HttpResponse(200, "<p>hi</p>", {name: "text/html"})
    response = routing.to_response(value, plain, {})
    assert response["headers"] == {"content-type": "text/html"}
    assert response["body"] == b"<p>hi</p>"


def test_a_chosen_content_type_is_kept_for_media(server, routing, plain) -> None:
    from anvil import BlobMedia

    value = server.HttpResponse(200, BlobMedia("image/png", b"x"), {"content-type": "image/gif"})
    assert routing.to_response(value, plain, {})["headers"] == {"content-type": "image/gif"}


@pytest.mark.parametrize(
    "headers",
    [
        {"X-A": "ok\r\nSet-Cookie: evil=1"},
        {"X-A": "ok\nSet-Cookie: evil=1"},
        {"X-A": "ok\rmore"},
        {"X-A": "nul\x00"},
        {"X-A\r\nSet-Cookie: evil=1": "v"},
        {"X\nA": "v"},
        {"": "v"},
        {"   ": "v"},
    ],
)
def test_header_injection_is_refused(server, routing, plain, headers: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="invalid HTTP header"):
        routing.to_response(server.HttpResponse(200, "x", headers), plain, {})


@pytest.mark.parametrize("status", [99, 600, 0, -200, "200", 200.0, True, None])
def test_bad_status_is_refused(server, routing, plain, status: object) -> None:
    with pytest.raises(ValueError, match="status must be an int from 100 to 599"):
        routing.to_response(server.HttpResponse(status, "x"), plain, {})


@pytest.mark.parametrize("status", [100, 204, 302, 418, 599])
def test_any_status_in_range_is_accepted(server, routing, plain, status: int) -> None:
    assert routing.to_response(server.HttpResponse(status), plain, {})["status"] == status


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        (object(), "object"),
        ({1, 2}, "set"),
        (datetime.date(2026, 1, 1), "date"),
        (lambda: None, "function"),
    ],
)
def test_unsupported_return_values(routing, plain, value: object, type_name: str) -> None:
    with pytest.raises(TypeError) as info:
        routing.to_response(value, plain, {})
    message = str(info.value)
    assert f"cannot return a {type_name};" in message
    assert "return a str, dict, list, None, a number, a Media object" in message
    assert "anvil.server.HttpResponse" in message


def test_unsupported_http_response_body(server, routing, plain) -> None:
    with pytest.raises(TypeError, match="cannot return a set"):
        routing.to_response(server.HttpResponse(200, {1}), plain, {})


def test_cors_headers_are_added(server, routing) -> None:
    route = add(server, "/x", enable_cors=True)
    response = routing.to_response({"a": 1}, route, {"access-control-request-headers": "X-A"})
    assert response["headers"] == {
        "content-type": "application/json",
        "access-control-allow-origin": "*",
        "access-control-allow-methods": "GET, POST",
        "access-control-allow-headers": "content-type, x-a",
    }


def test_cors_headers_do_not_override_the_code(server, routing) -> None:
    route = add(server, "/x", enable_cors="https://a.example")
    value = server.HttpResponse(200, "x", {"Access-Control-Allow-Origin": "https://b.example"})
    response = routing.to_response(value, route, {})
    assert response["headers"]["access-control-allow-origin"] == "https://b.example"
    assert response["headers"]["access-control-allow-methods"] == "GET, POST"


def test_no_cors_headers_without_enable_cors(routing, plain) -> None:
    response = routing.to_response("x", plain, {"access-control-request-headers": "X-A"})
    assert not any(name.startswith("access-control-") for name in response["headers"])


def test_response_helper(routing) -> None:
    assert routing.response(204) == {"status": 204, "headers": {}, "body": b""}
    headers = {"a": "1"}
    made = routing.response(200, "é", headers)
    assert made["body"] == "é".encode()
    assert made["headers"] == headers
    assert made["headers"] is not headers


# -- streamed responses ----------------------------------------------------------------------


def test_an_iterator_body_streams(server: types.ModuleType, routing: types.ModuleType) -> None:
    route = add(server, "/s")
    pieces = iter(["a", b"b"])
    answer = routing.to_response(server.HttpResponse(200, pieces), route, {})
    assert answer["stream"] is pieces
    assert (answer["status"], answer["body"], answer["headers"]) == (
        200,
        b"",
        {"content-type": TEXT},
    )
    # lists, text and bytes are bodies as before, not streams
    for body in (["a"], "a", b"a"):
        assert "stream" not in routing.to_response(server.HttpResponse(200, body), route, {})


def test_pieces_and_server_sent_events(routing: types.ModuleType) -> None:
    assert list(routing.pieces(iter(["é", b"\x00", bytearray(b"x")]), False)) == [
        "é".encode(),
        b"\x00",
        b"x",
    ]
    assert list(routing.pieces(iter(["a\r\nb", {"id": "7", "data": [1]}]), True)) == [
        b"data: a\ndata: b\n\n",
        b"id: 7\ndata: [1]\n\n",
    ]
    assert routing.event_stream({"content-type": "Text/Event-Stream; charset=utf-8"})
    with pytest.raises(TypeError, match="yields str or bytes"):
        list(routing.pieces(iter([{"data": 1}]), False))
    with pytest.raises(ValueError, match="one line"):
        routing.server_sent_event({"event": "a\nb"})
    with pytest.raises(ValueError, match="fields"):
        routing.server_sent_event({"comment": "x"})
