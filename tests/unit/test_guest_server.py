"""`anvil.server` as widget code sees it, unit-tested on the host's CPython."""

from __future__ import annotations

import datetime
import enum
import json
import types

import pytest

pytestmark = pytest.mark.unit


@pytest.fixture
def server(guest_modules: None) -> types.ModuleType:
    import anvil.server

    return anvil.server


@pytest.fixture
def anvil_module(guest_modules: None) -> types.ModuleType:
    import anvil

    return anvil


# -- @callable -------------------------------------------------------------------------------


def test_bare_callable_registers_under_the_function_name(server: types.ModuleType) -> None:
    def greet(name):
        return f"hi {name}"

    assert server.callable(greet) is greet
    assert registered(server) == {"greet": greet}
    assert server.call("greet", "ann") == "hi ann"


def test_named_callable_registers_under_the_given_name(server: types.ModuleType) -> None:
    @server.callable("other_name")
    def greet():
        return 1

    assert registered(server) == {"other_name": greet}
    assert greet() == 1  # the decorator hands back the function itself


def test_callable_with_empty_parentheses(server: types.ModuleType) -> None:
    @server.callable()
    def plain():
        return "x"

    assert registered(server) == {"plain": plain}


def test_a_later_registration_replaces_an_earlier_one(server: types.ModuleType) -> None:
    server.callable("f")(lambda: 1)
    server.callable("f")(lambda: 2)
    assert server.call("f") == 2


@pytest.mark.parametrize(
    "decorate",
    [
        lambda s: s.callable(require_user=True),
        lambda s: s.callable("f", require_user=True),
        lambda s: s.callable(require_user=lambda user: True),
    ],
)
def test_require_user_registers_the_function(server: types.ModuleType, decorate) -> None:
    """The check itself needs the host's Users service: tests/sandbox/test_users_guest.py."""

    def f():
        return 1

    assert decorate(server)(f) is f
    assert registered(server) == {"f": f}


def test_require_user_false_is_accepted(server: types.ModuleType) -> None:
    @server.callable(require_user=False)
    def f():
        return 1

    assert registered(server) == {"f": f}
    assert server.call("f") == 1  # no user is asked for


def registered(server: types.ModuleType) -> dict[str, object]:
    """The functions registered, by name (the registry keeps them wrapped: the session is
    saved, and `require_user` checked, around each)."""
    return {name: fn.__wrapped__ for name, fn in server._callables.items()}


def test_callable_must_decorate_something_callable(server: types.ModuleType) -> None:
    with pytest.raises(TypeError, match="must decorate a function"):
        server.callable("name")(42)


# -- call ------------------------------------------------------------------------------------


def test_call_passes_args_and_kwargs(server: types.ModuleType) -> None:
    @server.callable
    def combine(a, b, *, sep):
        return f"{a}{sep}{b}"

    assert server.call("combine", "x", "y", sep="-") == "x-y"


def test_call_turns_tuples_into_lists_both_ways(server: types.ModuleType) -> None:
    seen = []

    @server.callable
    def echo(value, *, extra):
        seen.append((value, extra))
        return (value, (1, 2))

    result = server.call("echo", (1, (2, 3)), extra=("a",))
    assert seen == [([1, [2, 3]], ["a"])]
    assert type(seen[0][0]) is list
    assert result == [[1, [2, 3]], [1, 2]]
    assert type(result) is list
    assert type(result[1]) is list


def test_call_keeps_dates_and_datetimes(server: types.ModuleType) -> None:
    day = datetime.date(2026, 11, 24)
    naive = datetime.datetime(2026, 11, 24, 9, 30, 15, 123456)
    aware = datetime.datetime(
        2026, 11, 24, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=30))
    )

    @server.callable
    def echo(*args):
        return {"args": args, "types": [type(a).__name__ for a in args]}

    result = server.call("echo", day, naive, aware)
    assert result["types"] == ["date", "datetime", "datetime"]
    assert result["args"] == [day, naive, aware]
    assert type(result["args"][0]) is datetime.date
    assert result["args"][1].tzinfo is None
    assert result["args"][2].utcoffset() == datetime.timedelta(hours=5, minutes=30)


def test_call_keeps_a_dict_that_looks_like_a_tag(server: types.ModuleType) -> None:
    server.callable("echo")(lambda value: value)
    value = {"$wb": "date", "v": "2026-01-01"}
    assert server.call("echo", value) == value


def test_call_copies_values_like_a_real_round_trip(server: types.ModuleType) -> None:
    kept = {}

    @server.callable
    def mutate(items):
        items.append("added")
        kept["items"] = items
        return kept

    mine = [1]
    result = server.call("mutate", mine)
    assert mine == [1]  # the callee got its own copy
    result["items"].append("again")
    assert kept["items"] == [1, "added"]  # and so does the caller


def test_call_of_an_unknown_name(server: types.ModuleType) -> None:
    with pytest.raises(server.NoServerFunctionError) as info:
        server.call("x")
    assert str(info.value) == 'No server function matching "x" has been registered'
    assert isinstance(info.value, server.AnvilWrappedError)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (({1, 2},), {}),
        ((), {"s": frozenset()}),
        (({1: "a"},), {}),
        (([{"ok": {(1, 2): 3}}],), {}),
        ((float("nan"),), {}),
        ((object(),), {}),
    ],
)
def test_call_refuses_arguments_that_cannot_cross(server: types.ModuleType, args, kwargs) -> None:
    called = []
    server.callable("f")(lambda *a, **k: called.append(1))
    with pytest.raises(server.SerializationError):
        server.call("f", *args, **kwargs)
    assert called == []


@pytest.mark.parametrize(
    ("value", "words"),
    [({1, 2}, "cannot serialize a set"), ({1: "a"}, "dict keys must be strings")],
)
def test_call_refuses_return_values_that_cannot_cross(
    server: types.ModuleType, value: object, words: str
) -> None:
    server.callable("f")(lambda: value)
    with pytest.raises(server.SerializationError, match=words) as info:
        server.call("f")
    assert isinstance(info.value, server.AnvilWrappedError)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


def test_errors_raised_by_the_callee_pass_through(server: types.ModuleType) -> None:
    def boom():
        raise KeyError("inner")

    server.callable(boom)
    with pytest.raises(KeyError, match="inner"):
        server.call("boom")


class Colour(enum.IntEnum):
    RED = 1


class Label(str):
    pass


@pytest.mark.parametrize(("value", "plain"), [(Colour.RED, int), (Label("x"), str)])
def test_call_converts_subclasses_of_json_types_like_a_real_call(
    server: types.ModuleType, value: object, plain: type
) -> None:
    server.callable("echo")(lambda v: v)
    # What a call from outside delivers: the value through JSON.
    assert type(json.loads(json.dumps(value))) is plain
    assert type(server.call("echo", value)) is plain


# -- route / http_endpoint -------------------------------------------------------------------


def test_route_registers_an_endpoint(server: types.ModuleType) -> None:
    def handler():
        return "x"

    assert server.route("/items")(handler) is handler
    (route,) = server._routes
    assert route.path == "/items"
    assert route.fn.__wrapped__ is handler  # wrapped: the session is saved after it
    assert route.methods == ["GET", "POST"]
    assert route.enable_cors is False
    assert route.require_credentials is False
    assert route.params == []


def test_http_endpoint_is_route(server: types.ModuleType) -> None:
    assert server.http_endpoint is server.route


def test_route_options_are_kept(server: types.ModuleType) -> None:
    options = {"enable_cors": "https://a.example", "require_credentials": True}
    server.route("/x", methods=["get", "Post", "delete"], **options)(lambda: None)
    (route,) = server._routes
    assert route.methods == ["GET", "POST", "DELETE"]
    assert route.enable_cors == "https://a.example"
    assert route.require_credentials is True


def test_routes_are_kept_in_registration_order(server: types.ModuleType) -> None:
    server.route("/b")(lambda: None)
    server.route("/a")(lambda: None)
    assert [r.path for r in server._routes] == ["/b", "/a"]


@pytest.mark.parametrize("path", ["items", "", "items/:id", None, b"/items"])
def test_route_paths_must_start_with_a_slash(server: types.ModuleType, path: object) -> None:
    decorator = server.route(path)
    with pytest.raises(ValueError, match="must start with '/'"):
        decorator(lambda: None)
    assert server._routes == []


@pytest.mark.parametrize("option", ["authenticate_users", "authenticate_user"])
def test_authenticate_users_registers_the_route(server: types.ModuleType, option: str) -> None:
    """The check needs the host's Users service: tests/sandbox/test_users_guest.py."""

    def handler():
        return "x"

    assert server.route("/x", **{option: True})(handler) is handler
    assert server._routes[0].fn.__wrapped__ is handler


@pytest.mark.parametrize(
    ("pattern", "path", "params"),
    [
        ("/users/:id", "/users/42", {"id": "42"}),
        ("/users/:id", "/users/", {"id": ""}),
        ("/users/:id", "/users/42/more", None),
        ("/users/:id", "/users", None),
        ("/users/:uid/posts/:pid", "/users/a/posts/b", {"uid": "a", "pid": "b"}),
        ("/f/:name.json", "/f/x.json", {"name.json": "x.json"}),  # as Anvil: up to the next '/'
        ("/file.txt", "/file.txt", {}),
        ("/file.txt", "/fileXtxt", None),  # the static parts are literal, not regex
        ("/a+b", "/a+b", {}),
        ("/a+b", "/aab", None),
        ("/", "/", {}),
        ("/", "/x", None),
        ("/x", "/x/", None),
    ],
)
def test_route_matching(server: types.ModuleType, pattern: str, path: str, params) -> None:
    server.route(pattern)(lambda **kw: kw)
    assert server._routes[0].match(path) == params


def test_a_single_method_given_as_a_string(server: types.ModuleType) -> None:
    server.route("/x", methods="GET")(lambda: None)
    assert server._routes[0].methods == ["GET"]


# -- HttpResponse ----------------------------------------------------------------------------


def test_http_response_defaults(server: types.ModuleType) -> None:
    response = server.HttpResponse()
    assert response.status == 200
    assert response.body == ""
    assert response.headers == {}
    assert repr(response) == "HttpResponse(status=200)"


def test_http_response_copies_its_headers(server: types.ModuleType) -> None:
    headers = {"X-A": "1"}
    response = server.HttpResponse(404, "gone", headers)
    headers["X-B"] = "2"
    assert (response.status, response.body, response.headers) == (404, "gone", {"X-A": "1"})
    response.headers["Location"] = "/y"  # headers can be set after construction, as in Anvil
    assert response.headers == {"X-A": "1", "Location": "/y"}


# -- request ---------------------------------------------------------------------------------


def make_request(server: types.ModuleType, body: bytes = b"", **headers: str):
    return server.HttpRequest(
        path="/p",
        method="POST",
        query_params={"q": "1"},
        form_params={"f": "2"},
        headers={k.replace("_", "-"): v for k, v in headers.items()},
        body=body,
        origin="https://w.example",
        remote_address="10.0.0.1",
        username="u",
        password="pw",
    )


@pytest.mark.parametrize("name", ["path", "method", "headers", "body", "body_json", "user"])
def test_request_outside_a_request_raises(server: types.ModuleType, name: str) -> None:
    with pytest.raises(RuntimeError, match="only available while handling an HTTP request"):
        getattr(server.request, name)


def test_request_forwards_to_the_current_request(
    server: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    current = make_request(server)
    monkeypatch.setattr(server._CurrentRequest, "_current", current)
    request = server.request
    assert (request.path, request.method, request.origin) == ("/p", "POST", "https://w.example")
    assert (request.query_params, request.form_params) == ({"q": "1"}, {"f": "2"})
    assert (request.username, request.password, request.user) == ("u", "pw", None)
    assert request.remote_address == "10.0.0.1"
    assert "'/p'" in repr(request)
    with pytest.raises(AttributeError):
        request.no_such_attribute  # noqa: B018


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/vnd.api+json",
        "application/problem+json; charset=utf-8",
    ],
)
def test_body_json_for_json_content_types(server: types.ModuleType, content_type: str) -> None:
    request = make_request(server, b'{"a": [1, 2.5, null]}', content_type=content_type)
    assert request.body_json == {"a": [1, 2.5, None]}


@pytest.mark.parametrize(
    "headers",
    [{}, {"content_type": "text/plain"}, {"content_type": "application/jsonx"}],
)
def test_body_json_is_none_otherwise(server: types.ModuleType, headers: dict[str, str]) -> None:
    request = make_request(server, b'{"a": 1}', **headers)
    assert request.body_json is None


def test_body_json_of_an_empty_json_body_is_none(server: types.ModuleType) -> None:
    assert make_request(server, b"", content_type="application/json").body_json is None


def test_body_is_blob_media(server: types.ModuleType, anvil_module: types.ModuleType) -> None:
    request = make_request(server, b"\x00\xffdata", content_type="image/png")
    assert isinstance(request.body, anvil_module.BlobMedia)
    assert isinstance(request.body, anvil_module.Media)
    assert request.body.get_bytes() == b"\x00\xffdata"
    assert request.body.content_type == "image/png"
    assert request.body.length == 6
    untyped = make_request(server, b"x")
    assert untyped.body.content_type == "application/octet-stream"


def test_blob_media_accepts_text(anvil_module: types.ModuleType) -> None:
    media = anvil_module.BlobMedia("text/plain", "héllo", name="a.txt")
    assert media.get_bytes() == "héllo".encode()
    assert media.name == "a.txt"
    assert repr(media) == "BlobMedia(content_type='text/plain', length=6)"


# -- exception classes -----------------------------------------------------------------------


def test_anvil_exception_classes(server: types.ModuleType) -> None:
    names = [
        "NoServerFunctionError",
        "SerializationError",
        "ExecutionTerminatedError",
        "TimeoutError",
        "RuntimeUnavailableError",
        "InternalError",
        "QuotaExceededError",
        "SessionExpiredError",
        "UplinkDisconnectedError",
    ]
    for name in names:
        cls = getattr(server, name)
        assert issubclass(cls, server.AnvilWrappedError), name
        assert cls.__module__ == "anvil.server"
    assert server.TimeoutError is not TimeoutError
    for name in server.__all__:
        assert hasattr(server, name), name
