"""`_widgetbox.driver.serve()` end to end on the host's CPython, with a fake door.

Jobs are made by the host's own job classes (`payload()`), request frames go through the host's
own `parse_request`, reports are also read with the host's readers (`runtime/_guest.py`), and
the widget's files live in a temporary folder that stands in for `/widget`.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import sys
import textwrap
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from widgetbox.runtime import Call, Code, HttpRequest, Route, Script
from widgetbox.runtime._bridge import (
    HostCallError,
    bytes_frame,
    error_frame,
    ok_frame,
    parse_request,
)
from widgetbox.runtime._codec import decode, encode
from widgetbox.runtime._outcome import http_response as _response
from widgetbox.runtime._outcome import user_error as _user_error

pytestmark = pytest.mark.unit

TEXT = "text/plain; charset=utf-8"


@dataclass
class FakeHost:
    """Answers the driver's calls the way `runtime/_door.py` does."""

    job: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    """The widget's files, which the guest imports through `widgetbox.file`."""
    report: dict[str, Any] | None = None
    ops: list[str] = field(default_factory=list)
    chunks: list[dict[str, Any]] = field(default_factory=list)
    """A streamed response's chunks (`widgetbox.chunk`), with their bodies decoded."""

    def __call__(self, frame: bytes) -> bytes:
        try:
            op, data = parse_request(frame)  # the host's own checks on a request frame
        except HostCallError as e:
            return error_frame(e.kind, e.message)
        if op == "widgetbox.file":
            if data not in self.files:
                return error_frame("NotFound", f"the widget has no code file {data!r}")
            return bytes_frame(self.files[data])
        self.ops.append(op)
        if op == "widgetbox.job" and self.job is not None:
            job, self.job = self.job, None  # handed over once
            return ok_frame(job)
        if op == "widgetbox.result" and self.report is None and isinstance(data, dict):
            self.report = data
            return ok_frame(None)
        if op == "widgetbox.chunk" and self.report is None and isinstance(data, dict):
            self.chunks.append({**data, "body": base64.b64decode(data["body"], validate=True)})
            return ok_frame(None)
        return error_frame("UnknownOperation", f"the host has no operation named {op!r}")


@dataclass
class Widget:
    host: FakeHost | None
    """The last run's host."""
    root: Path
    scratch: Path
    driver: types.ModuleType
    bridge: types.ModuleType
    monkeypatch: pytest.MonkeyPatch

    def serve(self, job: Script | Call | Route) -> dict[str, Any]:
        """Write the job's files where the driver looks, run `serve()`, return the report."""
        return self.serve_payload(job.code, job.payload())

    def serve_payload(self, code: Code, payload: dict[str, Any]) -> dict[str, Any]:
        self.forget()  # every run starts in a fresh interpreter
        for name, text in code.files.items():
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        # what `runtime/_guest.py` adds to every job: the widget's files (given through the
        # door, where the driver's imports take them) and which have bytecode (none here)
        listing = {"files": sorted(code.files), "bytecode": []}
        files = {name: text.encode() for name, text in code.files.items()}
        host = self.host = FakeHost(json.loads(json.dumps({**payload, **listing})), files)
        self.monkeypatch.setattr(self.bridge, "_door", host)
        self.driver.serve()
        chunks = ["widgetbox.chunk"] * len(host.chunks)
        assert host.ops == ["widgetbox.job", *chunks, "widgetbox.result"]
        assert host.report is not None
        return host.report

    def forget(self) -> None:
        """Drop the widget's modules and what they registered."""
        import anvil.server

        anvil.server._callables.clear()
        anvil.server._routes.clear()
        for name, module in list(sys.modules.items()):
            if belongs_to(module, self.root):
                del sys.modules[name]


def belongs_to(module: types.ModuleType, root: Path) -> bool:
    """Whether a module was imported from the widget's folder (namespace packages included)."""
    places = [getattr(module, "__file__", None) or "", *getattr(module, "__path__", [])]
    return any(str(place).startswith(f"{root}/") for place in places)


@pytest.fixture
def widget(
    guest_modules: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],  # scripts reconfigure sys.stdout: keep that per test
):
    from _widgetbox import bridge, driver, errors

    root = tmp_path / "widget"
    scratch = tmp_path / "scratch"
    root.mkdir()
    scratch.mkdir()
    monkeypatch.setattr(driver, "WIDGET_DIR", str(root))
    monkeypatch.setattr(driver, "SCRATCH_DIR", str(scratch))
    monkeypatch.setattr(errors, "WIDGET_ROOT", f"{root}/")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    # the driver installs finders for the widget's folders there (`_widgetbox/imports.py`)
    monkeypatch.setattr(sys, "path_importer_cache", dict(sys.path_importer_cache))
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    monkeypatch.chdir(tmp_path)
    widget = Widget(None, root, scratch, driver, bridge, monkeypatch)
    try:
        yield widget
    finally:
        widget.forget()


def source(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def script(text: str, *argv: str, **files: str) -> Script:
    return Script(Code(files={"main.py": source(text), **files}), argv=argv)


# -- script ----------------------------------------------------------------------------------


def test_a_script_prints(widget: Widget, capsys: pytest.CaptureFixture[str]) -> None:
    report = widget.serve(script("print('hello')\nimport sys\nprint('oops', file=sys.stderr)"))
    assert report == {"status": "ok"}
    assert capsys.readouterr() == ("hello\n", "oops\n")


def test_a_script_reads_the_stdin_it_is_given(
    widget: Widget, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", sys.stdin)  # the driver replaces it: put it back after
    text = "name = input()\nrest = __import__('sys').stdin.read()\nprint(name.upper(), repr(rest))"
    job = Script(Code(files={"main.py": text}), stdin="ada\nmore\n")
    assert widget.serve(job) == {"status": "ok"}
    assert capsys.readouterr().out == "ADA 'more\\n'\n"
    failed = widget.serve(Script(Code(files={"main.py": "input()\ninput()"}), stdin="one\n"))
    assert failed["status"] == "error"
    assert failed["error"]["type"] == "EOFError"


def test_a_script_runs_as_main(widget: Widget, capsys: pytest.CaptureFixture[str]) -> None:
    report = widget.serve(
        script(
            """
            import os, sys
            import __main__
            print(__name__, __file__ == __main__.__file__, sys.argv)
            print(os.getcwd())
            if __name__ == "__main__":
                print("main block ran")
            """,
            "a",
            "b c",
        )
    )
    assert report == {"status": "ok"}
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "__main__ True ['main.py', 'a', 'b c']",
        str(widget.scratch),
        "main block ran",
    ]


def test_a_script_file_name_is_its_widget_path(
    widget: Widget, capsys: pytest.CaptureFixture[str]
) -> None:
    widget.serve(script("print(__file__)"))
    assert capsys.readouterr().out == f"{widget.root}/main.py\n"


def test_the_table_names_sent_with_the_job_need_no_host_call(
    widget: Widget, capsys: pytest.CaptureFixture[str]
) -> None:
    code = Code.single(
        source(
            """
            from anvil.tables import app_tables
            print(repr(app_tables.people), repr(app_tables["teams"]))
            try:
                app_tables.ghosts
            except AttributeError as e:
                print(e)
            """
        )
    )
    # `serve` checks the driver sent nothing but its own two calls: no `describe`
    assert widget.serve(Script(code, services={"tables": ["people", "teams"]})) == {"status": "ok"}
    assert capsys.readouterr().out == (
        "<anvil.tables.Table: people> <anvil.tables.Table: teams>\nNo such app table: 'ghosts'\n"
    )


def test_a_script_imports_other_widget_files(
    widget: Widget, capsys: pytest.CaptureFixture[str]
) -> None:
    report = widget.serve(
        script(
            "import wb_helper\nprint(wb_helper.twice(21))",
            **{"wb_helper.py": "def twice(x):\n    return 2 * x\n"},
        )
    )
    assert report == {"status": "ok"}
    assert capsys.readouterr().out == "42\n"


@pytest.mark.parametrize("exit_call", ["sys.exit()", "sys.exit(0)", "sys.exit(None)", "exit(0)"])
def test_exit_with_success(
    widget: Widget, capsys: pytest.CaptureFixture[str], exit_call: str
) -> None:
    report = widget.serve(script(f"import sys\nprint('before')\n{exit_call}\nprint('after')"))
    assert report == {"status": "ok"}
    assert capsys.readouterr().out == "before\n"


def test_exit_with_a_status(widget: Widget, capsys: pytest.CaptureFixture[str]) -> None:
    report = widget.serve(script("import sys\nsys.exit(3)"))
    assert report["status"] == "error"
    assert report["exit_code"] == 3
    error = report["error"]
    assert (error["type"], error["message"], error["qualified_type"]) == ("SystemExit", "3", "")
    assert error["frames"] == [
        {"filename": "main.py", "lineno": 2, "name": "<module>", "line": "sys.exit(3)"}
    ]
    assert capsys.readouterr().err == ""


def test_exit_with_a_message(widget: Widget, capsys: pytest.CaptureFixture[str]) -> None:
    report = widget.serve(script("import sys\nsys.exit('giving up')"))
    assert report["status"] == "error"
    assert report["exit_code"] == 1
    assert report["error"]["message"] == "giving up"
    assert capsys.readouterr().err == "giving up\n"  # as Python prints it


@pytest.mark.parametrize(("argument", "stderr"), [("True", ""), ("0.0", "0.0\n")])
def test_exit_codes_as_cpython_computes_them(
    widget: Widget, capsys: pytest.CaptureFixture[str], argument: str, stderr: str
) -> None:
    report = widget.serve(script(f"import sys\nsys.exit({argument})"))
    assert report["status"] == "error"
    assert type(report["exit_code"]) is int
    assert report["exit_code"] == 1
    assert capsys.readouterr().err == stderr


def test_an_exception_is_reported_with_a_trimmed_traceback(
    widget: Widget, capsys: pytest.CaptureFixture[str]
) -> None:
    report = widget.serve(
        script(
            """
            import json
            print("started")

            def parse(text):
                return json.loads(text)

            parse("{")
            """
        )
    )
    assert capsys.readouterr().out == "started\n"
    assert report["status"] == "error"
    assert "exit_code" not in report
    error = report["error"]
    assert error["type"] == "JSONDecodeError"
    assert error["message"].startswith("Expecting property name enclosed in double quotes")
    assert error["frames"] == [
        {"filename": "main.py", "lineno": 7, "name": "<module>", "line": 'parse("{")'},
        {"filename": "main.py", "lineno": 5, "name": "parse", "line": "return json.loads(text)"},
    ]
    assert error["traceback"] == (
        "Traceback (most recent call last):\n"
        '  File "main.py", line 7, in <module>\n'
        '    parse("{")\n'
        '  File "main.py", line 5, in parse\n'
        "    return json.loads(text)\n"
        f"JSONDecodeError: {error['message']}\n"
    )
    # Nothing of the driver, the standard library or the host's folders shows.
    for hidden in ("driver.py", "_widgetbox", "json/", str(widget.root)):
        assert hidden not in error["traceback"]


def test_a_syntax_error_in_the_script(widget: Widget) -> None:
    report = widget.serve(script("print('x'\n"))
    error = report["error"]
    assert report["status"] == "error"
    assert error["type"] == "SyntaxError"
    assert error["frames"] == [
        {"filename": "main.py", "lineno": 1, "name": "<module>", "line": "print('x'"}
    ]
    assert error["traceback"] == (
        "  File \"main.py\", line 1\n    print('x'\n         ^\nSyntaxError: '(' was never closed\n"
    )


def test_an_error_in_an_imported_widget_module(widget: Widget) -> None:
    report = widget.serve(
        script(
            "import wb_lib\nwb_lib.go()",
            **{"wb_lib.py": "def go():\n    raise LookupError('nope')\n"},
        )
    )
    assert [(f["filename"], f["lineno"]) for f in report["error"]["frames"]] == [
        ("main.py", 2),
        ("wb_lib.py", 2),
    ]


def test_keyboard_interrupt_and_other_base_exceptions_are_reported(widget: Widget) -> None:
    report = widget.serve(script("raise KeyboardInterrupt"))
    assert report["status"] == "error"
    assert report["error"]["type"] == "KeyboardInterrupt"


# -- call ------------------------------------------------------------------------------------

CALLABLES = source(
    """
    import datetime
    import anvil.server

    if __name__ == "__main__":
        raise AssertionError("call mode imports the entry; it is not __main__")

    @anvil.server.callable
    def describe(*args, **kwargs):
        return {
            "args": args,
            "kwargs": kwargs,
            "types": [type(a).__name__ for a in args],
            "kwarg_types": {k: type(v).__name__ for k, v in kwargs.items()},
        }

    @anvil.server.callable("renamed")
    def add(a, b=10):
        return a + b

    @anvil.server.callable
    def tomorrow(day):
        return day + datetime.timedelta(days=1)

    @anvil.server.callable
    def unserializable():
        return {1, 2}

    @anvil.server.callable
    def fails():
        raise ValueError("inside")
    """
)


def call(name: str, *args: Any, **kwargs: Any) -> Call:
    return Call(Code.single(CALLABLES), name, args, kwargs)


def test_a_call_returns_its_value(widget: Widget) -> None:
    assert widget.serve(call("renamed", 1, 2)) == {"status": "ok", "value": 3}
    assert decode(widget.serve(call("renamed", 5))["value"]) == 15


def test_call_arguments_are_decoded(widget: Widget) -> None:
    day = datetime.date(2026, 11, 24)
    moment = datetime.datetime(2026, 11, 24, 9, 30, tzinfo=datetime.UTC)
    naive = datetime.datetime(2026, 1, 1)
    report = widget.serve(call("describe", day, (1, 2), {"$wb": "x"}, when=moment, naive=naive))
    assert report["status"] == "ok"
    value = decode(report["value"])
    assert value == {
        "args": [day, [1, 2], {"$wb": "x"}],
        "kwargs": {"when": moment, "naive": naive},
        "types": ["date", "list", "dict"],
        "kwarg_types": {"when": "datetime", "naive": "datetime"},
    }
    assert report["value"] == encode(value)  # dates are tagged in the report


def test_a_date_goes_in_and_comes_back(widget: Widget) -> None:
    report = widget.serve(call("tomorrow", datetime.date(2026, 12, 31)))
    assert report["value"] == {"$wb": "date", "v": "2027-01-01"}


def test_calling_an_unknown_function(widget: Widget) -> None:
    report = widget.serve(call("nope"))
    assert report["status"] == "error"
    error = report["error"]
    assert error["type"] == "NoServerFunctionError"
    assert error["qualified_type"] == "anvil.server.NoServerFunctionError"
    assert error["message"] == 'No server function matching "nope" has been registered'
    assert error["frames"] == []


def test_an_unserializable_return_value(widget: Widget) -> None:
    error = widget.serve(call("unserializable"))["error"]
    assert error["type"] == "SerializationError"
    assert error["qualified_type"] == "anvil.server.SerializationError"
    assert error["message"] == "Cannot serialize the return value: cannot serialize a set object"
    assert error["traceback"] == f"SerializationError: {error['message']}\n"


def test_unreadable_arguments(widget: Widget) -> None:
    job = call("describe")
    payload = {**job.payload(), "args": [{"$wb": "nope", "v": 1}]}
    error = widget.serve_payload(job.code, payload)["error"]
    assert error["qualified_type"] == "anvil.server.SerializationError"
    assert error["message"] == "Cannot read the arguments: unknown tagged value 'nope'"


def test_an_error_in_a_callable(widget: Widget) -> None:
    error = widget.serve(call("fails"))["error"]
    assert (error["type"], error["message"]) == ("ValueError", "inside")
    assert error["qualified_type"] == ""
    assert [f["name"] for f in error["frames"]] == ["fails"]


def test_wrong_arguments_for_a_callable(widget: Widget) -> None:
    error = widget.serve(call("renamed"))["error"]
    assert error["type"] == "TypeError"
    assert "missing 1 required positional argument" in error["message"]


def test_an_entry_in_a_subfolder(widget: Widget) -> None:
    code = Code(files={"api/handlers.py": CALLABLES}, entry="api/handlers.py")
    assert widget.serve(Call(code, "renamed", (1,))) == {"status": "ok", "value": 11}


def test_a_deeply_nested_return_value_still_gets_a_report(widget: Widget) -> None:
    code = Code.single(
        source(
            """
            import anvil.server

            @anvil.server.callable
            def deep():
                value = 0
                for _ in range(80):
                    value = [value]
                return value
            """
        )
    )
    # Either the value or a SerializationError; what matters is that the host hears back.
    report = widget.serve(Call(code, "deep"))
    assert report["status"] in {"ok", "error"}


# -- route -----------------------------------------------------------------------------------

API = source(
    """
    import anvil.server
    from anvil.server import request

    @anvil.server.route("/items/:id")
    def item(**params):
        return params

    @anvil.server.route("/secret", require_credentials=True)
    def secret():
        return {"user": request.username, "password": request.password}

    @anvil.server.route("/who")
    def who():
        return {"user": request.username, "password": request.password}

    @anvil.server.route("/echo", methods=["POST", "PUT"], enable_cors=True)
    def echo():
        return {
            "method": request.method,
            "path": request.path,
            "json": request.body_json,
            "type": request.body.content_type,
            "origin": request.origin,
            "remote": request.remote_address,
            "headers": request.headers,
        }

    @anvil.server.route("/binary")
    def binary():
        return b"\\x00\\xff\\x10"

    @anvil.server.route("/custom")
    def custom():
        return anvil.server.HttpResponse(201, "made", {"X-Thing": "yes"})

    @anvil.server.route("/broken")
    def broken():
        raise RuntimeError("route failed")

    @anvil.server.route("/stream")
    def stream():
        def pieces():
            yield "text "
            yield b"\\x00bytes"
            yield ""  # nothing to send
            yield request.path  # the request is there while the generator runs
        return anvil.server.HttpResponse(202, pieces(), {"X-Kind": "stream"})

    @anvil.server.route("/events")
    def events():
        def feed():
            yield "one\\ntwo"
            yield {"event": "tick", "id": 3, "retry": 1000, "data": {"n": [1]}}
            yield {"data": None}
        return anvil.server.HttpResponse(200, feed(), {"Content-Type": "text/event-stream"})

    @anvil.server.route("/stream-fails")
    def stream_fails():
        def pieces():
            yield "first"
            raise ValueError("mid-stream")
        return anvil.server.HttpResponse(200, pieces())

    @anvil.server.route("/stream-nothing")
    def stream_nothing():
        return anvil.server.HttpResponse(200, iter(()))

    @anvil.server.route("/stream-wrong")
    def stream_wrong():
        return anvil.server.HttpResponse(200, iter([1]))
    """
)


def route(method: str, path: str, **parts: Any) -> Route:
    return Route(Code.single(API), HttpRequest(method, path, **parts))


def response_of(report: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    assert report["status"] == "ok", report
    response = report["response"]
    return response["status"], response["headers"], base64.b64decode(response["body"])


def test_parameters_path_over_query_over_form(widget: Widget) -> None:
    report = widget.serve(
        route(
            "POST",
            "/items/42",
            query={"id": "from-query", "q": "query", "both": "query"},
            form={"id": "from-form", "both": "form", "f": "form"},
        )
    )
    status, headers, body = response_of(report)
    assert status == 200
    assert headers == {"content-type": "application/json"}
    assert json.loads(body) == {"id": "42", "q": "query", "both": "query", "f": "form"}


def test_the_method_is_upper_cased(widget: Widget) -> None:
    status, _, body = response_of(widget.serve(route("get", "/items/1")))
    assert (status, json.loads(body)) == (200, {"id": "1"})


def test_unknown_paths_and_methods(widget: Widget) -> None:
    status, headers, body = response_of(widget.serve(route("GET", "/missing")))
    assert (status, headers, body) == (404, {"content-type": TEXT}, b"No matching API endpoint")
    status, headers, body = response_of(widget.serve(route("DELETE", "/echo")))
    assert (status, headers["allow"], body) == (405, "POST, PUT", b"Method not supported")


def test_a_cors_preflight(widget: Widget) -> None:
    report = widget.serve(
        route("OPTIONS", "/echo", headers={"Access-Control-Request-Headers": "X-Api-Key"})
    )
    status, headers, body = response_of(report)
    assert (status, body) == (200, b"")
    assert headers["access-control-allow-origin"] == "*"
    assert headers["access-control-allow-methods"] == "POST, PUT"
    assert headers["access-control-allow-headers"] == "content-type, x-api-key"


def test_require_credentials_without_credentials_is_a_401(widget: Widget) -> None:
    status, headers, body = response_of(widget.serve(route("GET", "/secret")))
    assert status == 401
    assert headers == {"www-authenticate": 'Basic realm="Widgetbox API"'}
    assert body == b"Unauthorized"


def basic(credentials: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(credentials).decode()}


@pytest.mark.parametrize(
    ("credentials", "user", "password"),
    [
        (b"ann:s3cret", "ann", "s3cret"),
        (b"ann:with:colons", "ann", "with:colons"),
        (b"ann:", "ann", ""),
        ("zoë:pässword".encode(), "zoë", "pässword"),
    ],
)
def test_basic_credentials_are_parsed(
    widget: Widget, credentials: bytes, user: str, password: str
) -> None:
    status, _, body = response_of(widget.serve(route("GET", "/secret", headers=basic(credentials))))
    assert (status, json.loads(body)) == (200, {"user": user, "password": password})


def test_the_scheme_is_case_insensitive(widget: Widget) -> None:
    headers = {"authorization": "bAsIc " + base64.b64encode(b"a:b").decode()}
    status, _, body = response_of(widget.serve(route("GET", "/secret", headers=headers)))
    assert (status, json.loads(body)) == (200, {"user": "a", "password": "b"})


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic not*base64!",
        "Basic YW5u",  # "ann": no colon
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),  # not UTF-8
        "Basic YW5uOnB3eA",  # "ann:pwx" without its padding
        "Bearer " + base64.b64encode(b"ann:pw").decode(),
        "Basic",
        "",
    ],
)
def test_unusable_credentials_are_ignored(widget: Widget, authorization: str) -> None:
    headers = {"Authorization": authorization}
    status, _, body = response_of(widget.serve(route("GET", "/who", headers=headers)))
    assert (status, json.loads(body)) == (200, {"user": None, "password": None})
    status, _, _ = response_of(widget.serve(route("GET", "/secret", headers=headers)))
    assert status == 401


def test_the_request_object(widget: Widget) -> None:
    report = widget.serve(
        route(
            "PUT",
            "/echo",
            headers={"Content-Type": "application/json", "X-Custom": "1"},
            body=b'{"n": [1, 2]}',
            origin="https://w.example",
            remote_address="192.0.2.1",
        )
    )
    status, headers, body = response_of(report)
    assert status == 200
    assert headers["access-control-allow-origin"] == "*"  # enable_cors on a normal answer
    assert json.loads(body) == {
        "method": "PUT",
        "path": "/echo",
        "json": {"n": [1, 2]},
        "type": "application/json",
        "origin": "https://w.example",
        "remote": "192.0.2.1",
        "headers": {"content-type": "application/json", "x-custom": "1"},
    }


def test_the_request_is_gone_after_the_route(widget: Widget) -> None:
    import anvil.server

    response_of(widget.serve(route("GET", "/who")))
    with pytest.raises(RuntimeError, match="only available while handling an HTTP request"):
        anvil.server.request.path  # noqa: B018


def test_the_response_body_is_base64_in_the_report(widget: Widget) -> None:
    report = widget.serve(route("GET", "/binary"))
    assert report == {
        "status": "ok",
        "response": {
            "status": 200,
            "headers": {"content-type": "application/octet-stream"},
            "body": base64.b64encode(b"\x00\xff\x10").decode(),
        },
    }


def test_a_custom_response(widget: Widget) -> None:
    status, headers, body = response_of(widget.serve(route("GET", "/custom")))
    assert (status, body) == (201, b"made")
    assert headers == {"x-thing": "yes", "content-type": TEXT}


def test_an_error_in_a_route(widget: Widget) -> None:
    import anvil.server

    report = widget.serve(route("GET", "/broken"))
    assert report["status"] == "error"
    assert (report["error"]["type"], report["error"]["message"]) == ("RuntimeError", "route failed")
    assert report["error"]["frames"][-1]["name"] == "broken"
    with pytest.raises(RuntimeError, match="only available"):
        anvil.server.request.method  # noqa: B018


def test_a_generator_body_streams_its_pieces_as_chunks(widget: Widget) -> None:
    report = widget.serve(route("GET", "/stream"))
    assert widget.host is not None
    head = {"status": 202, "headers": {"x-kind": "stream", "content-type": TEXT}}
    assert widget.host.chunks == [
        {"body": b"text ", **head},  # the first carries the status and headers
        {"body": b"\x00bytes"},
        {"body": b"/stream"},
    ]
    assert report == {"status": "ok", "response": {**head, "body": ""}}


def test_server_sent_events_are_formatted_from_what_is_yielded(widget: Widget) -> None:
    widget.serve(route("GET", "/events"))
    assert widget.host is not None
    assert [chunk["body"] for chunk in widget.host.chunks] == [
        b"data: one\ndata: two\n\n",
        b'event: tick\nid: 3\nretry: 1000\ndata: {"n": [1]}\n\n',
        b"\n\n",
    ]


def test_an_exception_mid_stream_is_the_runs_error(widget: Widget) -> None:
    report = widget.serve(route("GET", "/stream-fails"))
    assert widget.host is not None
    assert [chunk["body"] for chunk in widget.host.chunks] == [b"first"]
    assert report["status"] == "error"
    assert (report["error"]["type"], report["error"]["message"]) == ("ValueError", "mid-stream")
    assert report["error"]["frames"][-1]["name"] == "pieces"


def test_a_stream_of_nothing_is_an_empty_answer(widget: Widget) -> None:
    assert response_of(widget.serve(route("GET", "/stream-nothing")))[::2] == (200, b"")
    assert widget.host is not None
    assert widget.host.chunks == []


def test_a_stream_yields_text_or_bytes(widget: Widget) -> None:
    report = widget.serve(route("GET", "/stream-wrong"))
    assert report["status"] == "error"
    assert report["error"]["type"] == "TypeError"
    assert "yields str or bytes" in report["error"]["message"]


def test_the_working_directory_is_the_scratch_area(widget: Widget) -> None:
    code = Code.single(
        source(
            """
            import os, anvil.server

            @anvil.server.route("/cwd")
            def cwd():
                with open("note.txt", "w") as f:
                    f.write("x")
                return os.getcwd()
            """
        )
    )
    report = widget.serve(Route(code, HttpRequest("GET", "/cwd")))
    _, _, body = response_of(report)
    assert body.decode() == str(widget.scratch)
    assert (widget.scratch / "note.txt").read_text() == "x"
    assert os.getcwd() == str(widget.scratch)  # restored by monkeypatch afterwards


# -- the driver itself -----------------------------------------------------------------------


def test_an_unknown_mode_is_reported(widget: Widget) -> None:
    report = widget.serve_payload(Code.single(""), {"mode": "dance", "entry": "main.py"})
    assert report["status"] == "error"
    assert report["error"]["type"] == "KeyError"


def test_reports_are_what_the_host_reads(widget: Widget) -> None:
    error = _user_error(widget.serve(script("def f():\n    1 / 0\n\nf()"))["error"])
    assert (error.type, error.message, error.lineno) == ("ZeroDivisionError", "division by zero", 2)
    assert [frame.filename for frame in error.frames] == ["main.py", "main.py"]
    assert error.traceback.endswith("ZeroDivisionError: division by zero\n")

    response = _response(widget.serve(route("GET", "/custom"))["response"])
    assert (response.status, response.body, response.content_type) == (201, b"made", TEXT)

    value = decode(widget.serve(call("tomorrow", datetime.date(2026, 2, 28)))["value"])
    assert value == datetime.date(2026, 3, 1)


def test_without_a_door_the_bridge_refuses(widget: Widget) -> None:
    widget.monkeypatch.setattr(widget.bridge, "_door", None)
    with pytest.raises(widget.bridge.HostCallError, match="no host is connected"):
        widget.driver.serve()
