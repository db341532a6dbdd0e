"""The guest's `classroom` helpers on ordinary CPython, over a fake bridge door: what each
asks the host, and how answers become results, `TimedOut` and `ServerError`."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def host(guest_modules: None) -> Iterator[list[tuple[str, Any]]]:
    """The door records each request; its answer is `answers[op]`."""
    from _widgetbox import bridge

    asked: list[tuple[str, Any]] = []

    def door(frame: bytes) -> bytes:
        request = json.loads(frame)
        asked.append((request["op"], request["data"]))
        return json.dumps({"ok": ANSWERS[request["op"]]}).encode()

    bridge.set_door(door)
    yield asked
    bridge.set_door(None)


ANSWERS: dict[str, Any] = {}


def test_run_script_sends_stdin_and_reads_the_output(host: list[tuple[str, Any]]) -> None:
    import classroom

    ANSWERS["checks.script"] = {"status": "ok", "stdout": "hi\n", "stderr": "", "error": None}
    result = classroom.run_script(stdin="x\n", argv=["a", 1])
    assert host == [("checks.script", {"stdin": "x\n", "argv": ["a", "1"]})]
    assert (result.ok, result.stdout, result.output, result.error) == (True, "hi\n", "hi\n", None)
    ANSWERS["checks.script"] = {
        "status": "error",
        "stdout": "",
        "stderr": "Traceback...",
        "error": {"type": "ValueError", "message": "bad"},
    }
    failed = classroom.run_script()
    assert (failed.ok, failed.error, failed.error_message) == (False, "ValueError", "bad")
    with pytest.raises(TypeError):
        classroom.run_script(stdin=b"bytes")


def test_the_student_code_running_late_times_the_test_out(host: list[tuple[str, Any]]) -> None:
    import classroom

    ANSWERS["checks.script"] = {"status": "timeout", "message": "Server code took too long"}
    with pytest.raises(classroom.TimedOut):
        classroom.run_script()


def test_call_api_sends_one_request(host: list[tuple[str, Any]]) -> None:
    import classroom

    body = base64.b64encode(b'{"n": 2}').decode()
    ANSWERS["checks.http"] = {
        "status": "ok",
        "response": {"status": 201, "headers": {"content-type": "application/json"}, "body": body},
    }
    answer = classroom.call_api("post", "/n", query={"a": 1}, json_body={"n": 1})
    op, sent = host[0]
    assert op == "checks.http"
    assert (sent["method"], sent["path"], sent["query"]) == ("POST", "/n", {"a": "1"})
    assert sent["headers"] == {"content-type": "application/json"}
    assert json.loads(base64.b64decode(sent["body"])) == {"n": 1}
    assert (answer.status, answer.json(), answer.text) == (201, {"n": 2}, '{"n": 2}')


def test_call_server_returns_the_value_or_raises_server_error(
    host: list[tuple[str, Any]],
) -> None:
    import classroom

    ANSWERS["checks.call"] = {"status": "ok", "value": [1, 2]}
    assert classroom.call_server("f", 1, k=2) == [1, 2]
    assert host[-1] == ("checks.call", {"name": "f", "args": [1], "kwargs": {"k": 2}})
    ANSWERS["checks.call"] = {"status": "error", "error": {"type": "KeyError", "message": "'x'"}}
    with pytest.raises(classroom.ServerError) as raised:
        classroom.call_server("f")
    assert (raised.value.type, str(raised.value)) == ("KeyError", "KeyError: 'x'")


def test_public_marks_a_test(guest_modules: None) -> None:
    import classroom

    @classroom.public
    def test_x() -> None:
        pass

    assert test_x.public is True  # type: ignore[attr-defined]
