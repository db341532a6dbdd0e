"""Route mode: one HTTP request answered with Anvil's `@anvil.server.route` semantics."""

from __future__ import annotations

import base64
import json
import textwrap

import pytest

from widgetbox.runtime import (
    Cancel,
    Code,
    HttpRequest,
    HttpResponse,
    Limits,
    ResponseChunk,
    Route,
    RunResult,
    Runtime,
    Script,
    Status,
)

pytestmark = pytest.mark.sandbox

API = Code.single(
    textwrap.dedent(
        """
        import anvil, anvil.server
        from anvil.server import request

        @anvil.server.route("/hello")
        def hello(**params):
            return "hello " + params.get("name", "world")

        @anvil.server.route("/users/:id/items/:item")
        def item(id, item, **rest):
            return {"id": id, "item": item, "rest": rest}

        @anvil.server.route("/echo", methods=["POST", "PUT"])
        def echo(**params):
            return {
                "path": request.path,
                "method": request.method,
                "query": request.query_params,
                "form": request.form_params,
                "json": request.body_json,
                "body": request.body.get_bytes().decode(),
                "type": request.headers.get("content-type"),
                "origin": request.origin,
                "remote": request.remote_address,
                "params": params,
            }

        @anvil.server.http_endpoint("/legacy")
        def legacy():
            return ["an", "alias"]

        @anvil.server.route("/none")
        def nothing():
            return None

        @anvil.server.route("/number")
        def number():
            return 4.5

        @anvil.server.route("/custom")
        def custom():
            return anvil.server.HttpResponse(201, "made", {"X-Thing": "yes", "Location": "/x"})

        @anvil.server.route("/media")
        def media():
            return anvil.BlobMedia("image/png", b"\\x89PNG")

        @anvil.server.route("/cors", enable_cors=True)
        def cors():
            return {"cors": True}

        @anvil.server.route("/private", require_credentials=True)
        def private():
            return {"user": request.username, "password": request.password}

        @anvil.server.route("/bytes", methods=["POST"])
        def raw():
            return anvil.BlobMedia("application/x-thing", request.body.get_bytes())

        @anvil.server.route("/crash")
        def crash():
            raise KeyError("missing")
        """
    )
)


def call(runtime: Runtime, method: str, path: str, **kwargs: object) -> HttpResponse:
    result = runtime.run(Route(API, HttpRequest(method, path, **kwargs)))  # type: ignore[arg-type]
    assert result.status is Status.OK, (result.message, result.stderr)
    assert result.response is not None
    return result.response


def body_json(response: HttpResponse) -> object:
    assert response.content_type == "application/json"
    return json.loads(response.body)


def test_a_str_is_text_plain_and_query_parameters_are_keywords(runtime: Runtime) -> None:
    response = call(runtime, "GET", "/hello", query={"name": "Ada"})
    assert (response.status, response.body) == (200, b"hello Ada")
    assert response.content_type == "text/plain; charset=utf-8"


def test_path_parameters_win_over_query_and_form(runtime: Runtime) -> None:
    response = call(
        runtime,
        "POST",
        "/users/7/items/book",
        query={"id": "from-query", "q": "1"},
        form={"item": "from-form", "f": "2"},
    )
    assert body_json(response) == {"id": "7", "item": "book", "rest": {"q": "1", "f": "2"}}


def test_the_request_object(runtime: Runtime) -> None:
    response = call(
        runtime,
        "POST",
        "/echo",
        query={"a": "1"},
        headers={"Content-Type": "application/json"},
        body=b'{"x": [1, 2]}',
        origin="https://widgets.example",
        remote_address="203.0.113.9",
    )
    assert body_json(response) == {
        "path": "/echo",
        "method": "POST",
        "query": {"a": "1"},
        "form": {},
        "json": {"x": [1, 2]},
        "body": '{"x": [1, 2]}',
        "type": "application/json",
        "origin": "https://widgets.example",
        "remote": "203.0.113.9",
        "params": {"a": "1"},
    }


def test_body_json_is_none_for_other_content_types(runtime: Runtime) -> None:
    response = call(runtime, "PUT", "/echo", headers={"content-type": "text/plain"}, body=b"plain")
    assert body_json(response)["json"] is None  # type: ignore[index]


@pytest.mark.parametrize(
    ("path", "expected"), [("/legacy", ["an", "alias"]), ("/none", None), ("/number", 4.5)]
)
def test_lists_none_and_numbers_are_json(runtime: Runtime, path: str, expected: object) -> None:
    assert body_json(call(runtime, "GET", path)) == expected


def test_http_response_sets_status_headers_and_body(runtime: Runtime) -> None:
    response = call(runtime, "GET", "/custom")
    assert response.status == 201
    assert response.body == b"made"
    assert response.headers["x-thing"] == "yes"
    assert response.headers["location"] == "/x"


def test_media_keeps_its_content_type(runtime: Runtime) -> None:
    response = call(runtime, "GET", "/media")
    assert (response.content_type, response.body) == ("image/png", b"\x89PNG")


def test_an_unknown_path_is_404(runtime: Runtime) -> None:
    response = call(runtime, "GET", "/nowhere")
    assert (response.status, response.body) == (404, b"No matching API endpoint")


def test_a_method_not_in_methods_is_405_with_allow(runtime: Runtime) -> None:
    response = call(runtime, "DELETE", "/echo")
    assert response.status == 405
    assert response.headers["allow"] == "POST, PUT"
    assert call(runtime, "PUT", "/hello").headers["allow"] == "GET, POST"


def test_cors_adds_headers_and_answers_preflight(runtime: Runtime) -> None:
    response = call(runtime, "GET", "/cors")
    assert response.headers["access-control-allow-origin"] == "*"
    preflight = call(
        runtime, "OPTIONS", "/cors", headers={"Access-Control-Request-Headers": "X-Api-Key"}
    )
    assert preflight.status == 200
    assert preflight.headers["access-control-allow-headers"] == "content-type, x-api-key"
    assert call(runtime, "OPTIONS", "/hello").status == 405


def test_require_credentials(runtime: Runtime) -> None:
    refused = call(runtime, "GET", "/private")
    assert refused.status == 401
    assert "basic" in refused.headers["www-authenticate"].lower()
    token = base64.b64encode(b"ada:s3cret:with:colons").decode()
    response = call(runtime, "GET", "/private", headers={"Authorization": f"Basic {token}"})
    assert body_json(response) == {"user": "ada", "password": "s3cret:with:colons"}


def test_an_exception_in_a_handler_is_an_error_result(runtime: Runtime) -> None:
    result = runtime.run(Route(API, HttpRequest("GET", "/crash")))
    assert result.status is Status.ERROR
    assert result.response is None
    assert result.error is not None
    assert result.error.type == "KeyError"
    assert result.error.frames[-1].line == 'raise KeyError("missing")'


def test_binary_bodies_pass_unchanged(runtime: Runtime) -> None:
    data = bytes(range(256)) * 4
    response = call(runtime, "POST", "/bytes", body=data)
    assert (response.content_type, response.body) == ("application/x-thing", data)


# -- streamed responses (the door's `widgetbox.chunk`) ----------------------------------------

STREAMS = textwrap.dedent(
    """
    import time
    import anvil.server
    from _widgetbox import bridge

    @anvil.server.route("/three")
    def three(**params):
        return anvil.server.HttpResponse(200, (f"{n};" for n in range(3)), {"X-A": "b"})

    @anvil.server.route("/forever")
    def forever(**params):
        def endless():
            while True:
                yield "."
                time.sleep(0.01)
        return anvil.server.HttpResponse(200, endless())

    @anvil.server.route("/by-hand")
    def by_hand(**params):
        def attempt(data):
            try:
                bridge.call("widgetbox.chunk", data)
                return "ok"
            except bridge.HostCallError as e:
                return f"{e.kind}: {e}"
        import json
        print(json.dumps([
            attempt({"body": "eA=="}),  # no head first
            attempt({"body": "eA==", "status": 200, "headers": {"a\\nb": "c"}}),
            attempt({"body": "!!", "status": 200, "headers": {}}),
            attempt({"body": "eA==", "status": 200, "headers": {}}),
            attempt({"body": "eA==", "status": 200, "headers": {}}),  # a second head
            attempt({"body": "eA==", "more": 1}),
        ]))
        return "not sent: the stream started"
    """
)


def stream(
    runtime: Runtime, path: str, limits: Limits | None = None
) -> tuple[RunResult, list[ResponseChunk]]:
    chunks: list[ResponseChunk] = []
    job = Route(Code.single(STREAMS), HttpRequest("GET", path))
    return runtime.run(job, limits=limits, on_chunk=chunks.append), chunks


def test_a_streamed_response_reaches_on_chunk_piece_by_piece(runtime: Runtime) -> None:
    result, chunks = stream(runtime, "/three")
    assert result.status is Status.OK
    assert [chunk.body for chunk in chunks] == [b"0;", b"1;", b"2;"]
    assert [chunk.status for chunk in chunks] == [200, None, None]
    assert chunks[0].headers == {"x-a": "b", "content-type": "text/plain; charset=utf-8"}
    # the result carries the head; the body went to the listener
    assert result.response == HttpResponse(200, chunks[0].headers, b"")


def test_without_a_listener_the_chunks_are_the_results_body(runtime: Runtime) -> None:
    result = runtime.run(Route(Code.single(STREAMS), HttpRequest("GET", "/three")))
    assert result.response is not None
    assert result.response.body == b"0;1;2;"


def test_a_stream_ends_at_the_runs_deadline_or_its_cancel(runtime: Runtime) -> None:
    result, chunks = stream(runtime, "/forever", limits=Limits.request().with_(timeout=1.0))
    assert result.status is Status.TIMEOUT
    assert chunks
    assert chunks[0].status == 200
    cancel = Cancel()
    chunks = []

    def take(chunk: ResponseChunk) -> None:
        chunks.append(chunk)
        if len(chunks) == 3:
            cancel.set("the caller left")

    result = runtime.run(
        Route(Code.single(STREAMS), HttpRequest("GET", "/forever")), on_chunk=take, cancel=cancel
    )
    assert (result.status, result.message) == (Status.KILLED, "the caller left")


def test_the_door_takes_only_well_formed_chunks_in_order(runtime: Runtime) -> None:
    result, chunks = stream(runtime, "/by-hand")
    assert result.response is not None
    assert json.loads(result.stdout) == [
        'BadRequest: a chunk is {"body": base64 text}, the first with the response\'s '
        '"status" and "headers" too',
        "BadRequest: the streamed response's head: header names and values are one line each",
        "BadRequest: a chunk's body is base64 text",
        "ok",
        'BadRequest: a chunk is {"body": base64 text}, the first with the response\'s '
        '"status" and "headers" too',
        'BadRequest: a chunk is {"body": base64 text}, the first with the response\'s '
        '"status" and "headers" too',
    ]
    assert [chunk.body for chunk in chunks] == [b"x"]
    # once a stream has started, the run's response is the stream's (not what it returned)
    assert result.response == HttpResponse(200, {}, b"")


def test_only_a_route_streams(runtime: Runtime) -> None:
    source = textwrap.dedent(
        """
        from _widgetbox import bridge
        try:
            bridge.call("widgetbox.chunk", {"body": "", "status": 200, "headers": {}})
        except bridge.HostCallError as e:
            print(e.kind, e)
        """
    )
    result = runtime.run(Script(Code.single(source)))
    assert result.stdout == "BadRequest only an HTTP route can stream its response\n"
