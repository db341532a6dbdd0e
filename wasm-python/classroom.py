"""Helpers for a course's automatic checks (Widgetbox classrooms, `host/courses/checks.py`).

A teacher's checks file is Python test functions, `def test_...():` with plain `assert`;
`@public` marks the ones students may run themselves with "Check" before they submit. Each
test runs in a fresh interpreter of its own that holds the checks file and this module, never
the student's code: the helpers ask the host to run the student's version in another fresh
sandbox and hand back only what it did (its output, its answer, its return value). So the
student's code can neither read the checks nor change how they judge it.

    from classroom import public, run_script, call_api, call_server

    @public
    def test_greets():
        assert run_script(stdin="Ada\\n").stdout == "Hello, Ada!\\n"

The student's code runs there without the widget's services (no Data Tables, secrets, email
or outbound HTTP): checks judge what the code does, not what it stores.
"""

import base64
import json

from _widgetbox import bridge

__all__ = [
    "ApiResponse",
    "ScriptResult",
    "ServerError",
    "TimedOut",
    "call_api",
    "call_server",
    "public",
    "run_script",
]


class TimedOut(Exception):
    """The student's code ran past the test's deadline: the test counts as timed out."""


class ServerError(Exception):
    """The student's server function raised; `type` is its exception's class name."""

    def __init__(self, type_, message):
        super().__init__(f"{type_}: {message}" if message else type_)
        self.type = type_
        self.message = message


def public(test):
    """Mark a test as public: students run it with "Check" before they submit. (The host
    reads the mark from the checks file's source; this only keeps the name defined.)"""
    test.public = True
    return test


class ScriptResult:
    """How a run of the student's script went."""

    def __init__(self, answer):
        self.status = answer["status"]
        """`ok`, `error` (an exception, or a non-zero `sys.exit`), `memory` or `killed`."""
        self.stdout = answer["stdout"]
        self.stderr = answer["stderr"]
        error = answer.get("error") or {}
        self.error = error.get("type")
        """The class name of the exception that ended it (None when none did)."""
        self.error_message = error.get("message", "")

    @property
    def ok(self):
        return self.status == "ok"

    @property
    def output(self):
        """What it printed to stdout (the same as `stdout`)."""
        return self.stdout

    def __repr__(self):
        return f"<ScriptResult {self.status} stdout={self.stdout[:60]!r}>"


class ApiResponse:
    """What the student's HTTP API answered."""

    def __init__(self, answer):
        self.status = answer["status"]
        self.headers = answer["headers"]
        self.body = base64.b64decode(answer["body"])

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<ApiResponse {self.status} {self.text[:60]!r}>"


def _ask(op, data):
    answer = bridge.call(op, data)
    if answer.get("status") == "timeout":
        raise TimedOut(answer.get("message") or "the student's code ran past the deadline")
    return answer


def run_script(stdin="", argv=()):
    """Run the student's script top to bottom with `stdin` as its input (and `argv` as its
    arguments); returns a `ScriptResult`. Raises TimedOut when it runs past the deadline."""
    if not isinstance(stdin, str):
        raise TypeError("stdin is text (a str)")
    return ScriptResult(_ask("checks.script", {"stdin": stdin, "argv": [str(a) for a in argv]}))


def call_api(method, path, *, query=None, headers=None, body=b"", json_body=None):
    """Send one request to the student's HTTP API (`@anvil.server.route`s): `path` starts
    with `/`; `json_body` is sent as JSON. Returns an `ApiResponse`."""
    if json_body is not None:
        body = json.dumps(json_body).encode("utf-8")
        headers = {"content-type": "application/json", **(headers or {})}
    if isinstance(body, str):
        body = body.encode("utf-8")
    request = {
        "method": str(method).upper(),
        "path": str(path),
        "query": {str(k): str(v) for k, v in (query or {}).items()},
        "headers": {str(k).lower(): str(v) for k, v in (headers or {}).items()},
        "body": base64.b64encode(bytes(body)).decode("ascii"),
    }
    answer = _ask("checks.http", request)
    if answer["status"] != "ok":
        error = answer.get("error") or {}
        raise ServerError(error.get("type", "Error"), error.get("message", ""))
    return ApiResponse(answer["response"])


def call_server(name, *args, **kwargs):
    """Call the student's `@anvil.server.callable` function `name` with JSON-like
    arguments and return what it returns; raises ServerError when it raised."""
    answer = _ask("checks.call", {"name": str(name), "args": list(args), "kwargs": kwargs})
    if answer["status"] != "ok":
        error = answer.get("error") or {}
        raise ServerError(error.get("type", "Error"), error.get("message", ""))
    return answer.get("value")
