"""Abuse of the bridge, the guest's one door to the host: oversized, malformed and deeply
nested frames, too many calls, slow and failing handlers, and the driver's reserved calls."""

from __future__ import annotations

import json
import textwrap
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests._timing import LOADED_MARGIN, by_deadline
from tests.security._helpers import ECHO, attempts, outcomes, run
from widgetbox.runtime import (
    TOO_LONG,
    Call,
    Code,
    HostCall,
    HostCallError,
    HttpRequest,
    Limits,
    Route,
    RunResult,
    Runtime,
    Script,
    Status,
)

pytestmark = pytest.mark.security

SECRET = "host-internal-detail /srv/secret/config.toml password=hunter2"

# Guest helpers: `raw(text)` sends `text` as the whole request frame through the real
# `bridge.call` path (so its errors arrive as the bridge's own exception classes), and
# `kind_of(fn)` names the exception class and `kind` a call raised.
BRIDGE_PRELUDE = """
from _widgetbox import bridge

def raw(text):
    saved = bridge._dumps
    bridge._dumps = lambda *args, **kwargs: text
    try:
        return bridge.call("unused")
    finally:
        bridge._dumps = saved

def kind_of(fn):
    try:
        fn()
    except bridge.HostCallError as e:
        return f"{type(e).__name__}/{e.kind}"
    return "answered"
"""


class Gate:
    """Holds the blocking handler until its test ends (so no handler outlives a test)."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def wait(self, call: HostCall, data: Any) -> str:
        self.event.wait(30)
        return "late"


_gates: list[Gate] = []


@pytest.fixture(scope="module", autouse=True)
def handlers(runtime: Runtime) -> None:
    bridge = runtime.bridge

    def fail(call: HostCall, data: Any) -> Any:
        raise RuntimeError(SECRET)

    def refuse(call: HostCall, data: Any) -> Any:
        raise HostCallError("NotAllowed", "you may not")

    def huge(call: HostCall, data: Any) -> Any:
        return "z" * int(data)

    def unserializable(call: HostCall, data: Any) -> Any:
        return {"file": open}  # not JSON

    def block(call: HostCall, data: Any) -> Any:
        return _gates[-1].wait(call, data)

    bridge.register("security.fail", fail)
    bridge.register("security.refuse", refuse)
    bridge.register("security.huge", huge)
    bridge.register("security.unserializable", unserializable)
    bridge.register("security.block", block)


@pytest.fixture
def gate() -> Iterator[Gate]:
    _gates.append(Gate())
    try:
        yield _gates[-1]
    finally:
        _gates[-1].event.set()


def bridge_run(runtime: Runtime, source: str, limits: Limits | None = None) -> RunResult:
    code = BRIDGE_PRELUDE + textwrap.dedent(source)
    return run(runtime, code, limits or Limits.script().with_(timeout=3.0))


@pytest.mark.parametrize("limit", [4096, Limits().host_request_bytes], ids=["small", "default"])
def test_an_oversized_request_is_a_bad_request(runtime: Runtime, limit: int) -> None:
    result = bridge_run(
        runtime,
        f"""
        attempt("over", lambda: bridge.call("{ECHO}", "x" * {limit}))
        attempt("fits", lambda: len(bridge.call("{ECHO}", "x" * ({limit} - 100))))
        """,
        Limits.script().with_(timeout=3.0, host_request_bytes=limit),
    )
    assert result.status is Status.OK, result.message
    found = attempts(result)
    assert found["over"].raised == "BadRequest"
    frame = json.dumps({"op": ECHO, "data": "x" * limit}, separators=(",", ":"))
    assert found["over"].message == (
        f"a request may be at most {limit:,} bytes, not {len(frame):,}"
    )
    assert found["fits"].value == str(limit - 100)
    assert result.host_calls == 2


def test_deep_or_malformed_frames_are_bad_requests(runtime: Runtime) -> None:
    result = bridge_run(
        runtime,
        f"""
        deep = 100000
        def echo(data_text):
            return '{{"op":"{ECHO}","data":' + data_text + "}}"
        attempt("brackets only", lambda: raw("[" * deep))
        attempt("nested data", lambda: raw(echo("[" * deep + "]" * deep)))
        attempt("nested objects", lambda: raw(echo('{{"a":' * deep + "1" + "}}" * deep)))
        attempt("65 levels", lambda: raw(echo("[" * 64 + "]" * 64)))
        attempt("63 levels", lambda: len(str(raw(echo("[" * 62 + "]" * 62)))))
        attempt("brackets in a string", lambda: len(raw(echo('"' + "[" * deep + '"'))))
        attempt("not json", lambda: raw("this is not json {{"))
        attempt("a list", lambda: raw("[1, 2]"))
        attempt("no op", lambda: raw('{{"data": 1}}'))
        attempt("op not a string", lambda: raw('{{"op": 7}}'))
        attempt("empty", lambda: raw(""))
        attempt("NaN answer", lambda: raw(echo("NaN")))
        import _host, json
        attempt("invalid utf-8", lambda: json.loads(_host.call(b"\\xff\\xfe\\x00garbage")))
        attempt("str to the door", lambda: _host.call("not bytes"))
        attempt("nothing to the door", lambda: _host.call())
        nested = []
        for _ in range(200):
            nested = [nested]
        attempt("json in python", lambda: bridge.call("{ECHO}", nested))
        """,
    )
    assert result.status is Status.OK, result.message
    bad = "raised BadRequest"
    assert outcomes(result) == {
        "brackets only": bad,
        "nested data": bad,
        "nested objects": bad,
        "65 levels": bad,
        "63 levels": "ok",
        "brackets in a string": "ok",  # brackets inside strings do not count
        "not json": bad,
        "a list": bad,
        "no op": bad,
        "op not a string": bad,
        "empty": bad,
        "NaN answer": bad,  # NaN is not JSON: refused before any handler sees it
        "invalid utf-8": "ok",
        "str to the door": "raised TypeError",
        "nothing to the door": "raised TypeError",
        "json in python": bad,  # 201 levels deep, sent by the guest's own json
    }
    found = attempts(result)
    assert found["brackets only"].message == "the request nests deeper than 64 levels"
    assert found["not json"].message == "the request is not valid JSON"
    assert found["no op"].message == 'a request is {"op": name, "data": value}'
    assert "BadRequest" in str(found["invalid utf-8"].value)
    assert found["63 levels"].value == str(len("[" * 62 + "]" * 62))


def test_the_number_of_calls_is_capped(runtime: Runtime) -> None:
    result = bridge_run(
        runtime,
        f"""
        made = 0
        try:
            while True:
                bridge.call("{ECHO}", made)
                made += 1
        except bridge.LimitExceeded as e:
            print("LIMIT", made, e)
        attempt("again", lambda: bridge.call("{ECHO}", 1))
        attempt("raw again", lambda: raw('{{"op":"{ECHO}"}}'))
        """,
        Limits.script().with_(timeout=10.0, host_calls=1000),
    )
    assert result.status is Status.OK, result.message  # the driver can still report
    limit = 1000
    assert f"LIMIT {limit} this run may make at most {limit} host calls\n" in result.stdout
    assert outcomes(result) == {
        "again": "raised LimitExceeded",
        "raw again": "raised LimitExceeded",
    }
    assert result.host_calls == limit


def test_an_answer_over_the_limit_is_refused(runtime: Runtime) -> None:
    result = bridge_run(
        runtime,
        """
        attempt("huge", lambda: bridge.call("security.huge", 9 * 1024 * 1024))
        attempt("fits", lambda: len(bridge.call("security.huge", 1024)))
        """,
    )
    assert result.status is Status.OK, result.message
    assert outcomes(result) == {"huge": "raised LimitExceeded", "fits": "ok"}
    assert attempts(result)["huge"].message == (
        "the answer to 'security.huge' is larger than 8,388,608 bytes"
    )


def test_a_slow_handler_times_out_in_the_guest(runtime: Runtime, gate: Gate) -> None:
    result = bridge_run(
        runtime,
        """
        import time
        started = time.monotonic()
        try:
            bridge.call("security.block")
        except bridge.HostTimeout as e:
            print("TIMEOUT", isinstance(e, TimeoutError), e.kind, e)
        print("WAITED", time.monotonic() - started < 0.2 + LOADED_MARGIN)
        print(bridge.call("security.echo", "still works"))
        """.replace("LOADED_MARGIN", str(LOADED_MARGIN)),
        Limits.script().with_(timeout=0.2 + 2 * LOADED_MARGIN, host_call_timeout=0.2),
    )
    assert result.status is Status.OK, result.message
    assert result.stdout == (
        "TIMEOUT True Timeout the host did not answer 'security.block' in time\n"
        "WAITED True\nstill works\n"
    )


def test_a_handler_past_the_runs_deadline_ends_the_run(runtime: Runtime, gate: Gate) -> None:
    result = bridge_run(
        runtime,
        """
        try:
            bridge.call("security.block")
        except BaseException as e:
            print("the guest must not get here", type(e).__name__)
        print("nor here")
        """,
        Limits.script().with_(timeout=0.5, host_call_timeout=10.0),
    )
    assert (result.status, result.message) == (Status.TIMEOUT, TOO_LONG)
    assert result.stdout == ""
    assert by_deadline(result.wall_time, 0.5)


def test_handler_failures_reveal_nothing_of_the_host(runtime: Runtime) -> None:
    result = bridge_run(
        runtime,
        """
        attempt("fail", lambda: bridge.call("security.fail"))
        attempt("unserializable", lambda: bridge.call("security.unserializable"))
        attempt("refuse", lambda: bridge.call("security.refuse"))
        print("KINDS", kind_of(lambda: bridge.call("security.fail")),
              kind_of(lambda: bridge.call("security.refuse")))
        """,
    )
    assert result.status is Status.OK, result.message
    assert outcomes(result) == {
        "fail": "raised HostCallError",
        "unserializable": "raised HostCallError",
        "refuse": "raised HostCallError",
    }
    found = attempts(result)
    assert found["fail"].message == "the host failed while answering 'security.fail'"
    assert found["unserializable"].message == (
        "the host failed while answering 'security.unserializable'"
    )
    assert found["refuse"].message == "you may not"
    assert "KINDS HostCallError/HostError HostCallError/NotAllowed\n" in result.stdout
    for secret in ("hunter2", "/srv/secret", "RuntimeError", "Traceback", "runtime/_bridge"):
        assert secret not in result.stdout + result.stderr


def test_unknown_and_reserved_operations(runtime: Runtime) -> None:
    result = bridge_run(
        runtime,
        """
        attempt("unknown", lambda: bridge.call("no.such.operation"))
        attempt("empty name", lambda: bridge.call(""))
        attempt("reserved", lambda: bridge.call("widgetbox.anything"))
        attempt("job", lambda: bridge.call("widgetbox.job"))
        """,
    )
    assert outcomes(result) == {
        "unknown": "raised UnknownOperation",
        "empty name": "raised UnknownOperation",
        "reserved": "raised UnknownOperation",
        "job": "raised UnknownOperation",
    }
    assert attempts(result)["job"].message == "the host has no operation named 'widgetbox.job'"
    assert "mode" not in result.stdout  # the job stays hidden
    # The run's status is not asserted here: see test_reserved_calls_cannot_change_the_outcome.
    with pytest.raises(ValueError, match="is not a name a handler may use"):
        runtime.bridge.register("widgetbox.job", lambda call, data: {"mode": "script"})


@pytest.mark.parametrize(
    ("after", "status"),
    [("while True: pass", Status.TIMEOUT), ("while True: print('x' * 99)", Status.OUTPUT_LIMIT)],
    ids=["timeout", "output"],
)
def test_a_spoofed_result_cannot_hide_a_limit(runtime: Runtime, after: str, status: Status) -> None:
    result = bridge_run(
        runtime,
        f"""
        attempt("spoof", lambda: bridge.call("widgetbox.result", {{"status": "ok"}}))
        {after}
        """,
        Limits.script().with_(timeout=1.0, output=10_000),
    )
    assert result.status is status


@pytest.mark.parametrize(
    ("source", "status", "error"),
    [
        (
            "bridge.call('widgetbox.result', {'status': 'ok'})\nraise ValueError('real error')",
            Status.ERROR,
            "ValueError",
        ),
        (
            "bridge.call('widgetbox.result',\n"
            "            {'status': 'error', 'error': {'type': 'MemoryError'}})",
            Status.OK,
            None,
        ),
        (
            "try:\n    bridge.call('widgetbox.job')\nexcept bridge.HostCallError:\n    pass",
            Status.OK,
            None,
        ),
    ],
    ids=["hide-an-error", "fake-a-memory-error", "swallow-the-report"],
)
def test_reserved_calls_cannot_change_the_outcome(
    runtime: Runtime, source: str, status: Status, error: str | None
) -> None:
    result = bridge_run(runtime, source)
    assert result.status is status, result.message
    assert (result.error.type if result.error else None) == error
    assert "widgetbox.result" not in result.stderr


@pytest.mark.parametrize(
    "report",
    [
        {"status": "ok", "value": {"$wb": "bogus"}},
        {"status": "ok", "response": {"status": "not a number"}},
        {"status": "ok", "response": {"status": 200, "headers": [1], "body": ""}},
        {"status": "ok", "response": {"status": 200, "headers": {}, "body": "!not base64"}},
        {"status": "error", "error": "not a dict"},
        {"status": "error", "error": {"type": "X", "frames": [{"lineno": "x"}]}},
    ],
    ids=["bad-tag", "bad-status", "bad-headers", "bad-body", "bad-error", "bad-frame"],
)
def test_a_malformed_report_cannot_break_the_host(runtime: Runtime, report: dict[str, Any]) -> None:
    # The driver's own report comes last and wins; the host never raises over the spoof.
    # (tests/unit/test_outcome.py checks that a malformed last report is an error.)
    source = BRIDGE_PRELUDE + f"bridge.call('widgetbox.result', {report!r})\nprint('done')\n"
    try:
        result = runtime.run(Script(Code.single(source)), limits=Limits.script().with_(timeout=3.0))
    except Exception as e:
        pytest.fail(f"Runtime.run raised {type(e).__name__}: {e}")
    assert result.status is Status.OK, result.message
    assert result.stdout == "done\n"


def test_reporting_too_often_spoils_the_result(runtime: Runtime) -> None:
    source = BRIDGE_PRELUDE + textwrap.dedent(
        """
        for _ in range(5):
            try:
                bridge.call("widgetbox.result", {"status": "ok"})
            except bridge.HostCallError:
                pass
        """
    )
    result = runtime.run(Script(Code.single(source)), limits=Limits.script().with_(timeout=3.0))
    assert result.status is Status.ERROR
    assert result.message == "The run ended without reporting a result"


def test_reserved_frames_obey_the_request_limits(runtime: Runtime) -> None:
    result = bridge_run(
        runtime,
        """
        import _host, json
        frame = b'{"op":"widgetbox.x","data":"' + b"a" * (4 * 1024 * 1024) + b'"}'
        print("KIND", json.loads(_host.call(frame))["error"]["kind"])
        """,
    )
    assert "KIND BadRequest\n" in result.stdout
    assert result.host_calls >= 1


def test_abandoned_calls_do_not_starve_other_runs(runtime: Runtime, gate: Gate) -> None:
    workers = runtime.bridge._executor._max_workers
    hog = bridge_run(
        runtime,
        f"""
        for _ in range({workers + 1}):
            attempt("hog", lambda: bridge.call("security.block"))
        """,
        Limits.script().with_(timeout=5.0, host_call_timeout=0.05),
    )
    assert hog.status is Status.OK, hog.message
    # Two calls time out and keep their workers; after that the run is refused more.
    assert attempts(hog)["hog"].raised == "LimitExceeded"
    victim = bridge_run(
        runtime,
        f'attempt("echo", lambda: bridge.call("{ECHO}", "answered"))',
        Limits.script().with_(timeout=5.0, host_call_timeout=2.0),
    )
    assert attempts(victim)["echo"].value == "'answered'"


# -- issue 11: what the host does with a hostile frame is linear, bounded, and never raises --


def test_an_unclosed_string_of_escapes_is_refused_at_once(runtime: Runtime) -> None:
    # 100 KB: the old depth check's regex retried the string from every quote (40 s of CPU
    # with the sandbox process's lock held). The run's own time limit is the bound here.
    # The brackets in the first string made the old check look for strings at all.
    result = bridge_run(
        runtime,
        f"""
        frame = '{{"op":"{ECHO}","data":["' + "[" * 70 + '","' + '\\\\"' * 50_000
        print("BYTES", len(frame))
        attempt("unclosed", lambda: raw(frame))
        attempt("after", lambda: bridge.call("{ECHO}", "still answers"))
        """,
        Limits.script().with_(timeout=5.0),
    )
    assert result.status is Status.OK, result.message
    assert "BYTES 100104\n" in result.stdout
    assert outcomes(result) == {"unclosed": "raised BadRequest", "after": "ok"}
    assert attempts(result)["unclosed"].message == "the request is not valid JSON"


REPORT_OF_EMPTY_LISTS = """
import anvil.server

@anvil.server.route("/report")
def report():
    # One report frame of 32 MiB, the most a route may send, nearly all `[],`: decoded, it
    # was 11 million lists (1 GiB and 11.6 s of CPU in the sandbox process).
    head, tail = '{"op":"widgetbox.result","data":{"status":"ok","value":[', "[]]}}"
    raw(head + "[]," * ((32 * 1024 * 1024 - len(head) - len(tail)) // 3) + tail)
"""


def test_a_report_of_too_many_values_is_refused_before_decoding(runtime: Runtime) -> None:
    job = Route(
        Code.single(BRIDGE_PRELUDE + REPORT_OF_EMPTY_LISTS),
        HttpRequest(method="GET", path="/report"),
    )
    result = runtime.run(job, limits=Limits.request().with_(timeout=10.0))
    assert result.status is Status.ERROR, result.message
    assert result.message == "BadRequest: the result holds more than 10,000 values"


@pytest.mark.parametrize(
    ("count", "status", "message"),
    [
        (200_000, Status.OK, ""),
        (1_000_000, Status.ERROR, "BadRequest: the result holds more than 250,000 values"),
    ],
    ids=["fits", "too-many"],
)
def test_a_calls_value_is_capped_by_its_values(
    runtime: Runtime, count: int, status: Status, message: str
) -> None:
    source = (
        f"import anvil.server\n\n@anvil.server.callable\ndef many():\n    return [[]] * {count}\n"
    )
    result = runtime.run(Call(Code.single(source), "many"), limits=Limits.request())
    assert (result.status, result.message) == (status, message)
    if status is Status.OK:
        assert result.value == [[]] * count


def test_a_value_json_cannot_carry_is_reported_as_the_error(runtime: Runtime) -> None:
    # The guest's json refuses an int of more than 4,300 digits; the driver reports that.
    source = "import anvil.server\n\n@anvil.server.callable\ndef big():\n    return 10**5000\n"
    result = runtime.run(Call(Code.single(source), "big"), limits=Limits.request())
    assert result.status is Status.ERROR
    assert result.message.startswith("ValueError: Exceeds the limit (4300 digits)")


def test_a_long_error_is_trimmed_to_fit_a_scripts_report(runtime: Runtime) -> None:
    result = run(runtime, "raise ValueError('x' * 3_000_000)", prelude=False)
    assert result.status is Status.ERROR
    assert result.error is not None
    assert result.error.type == "ValueError"
    assert len(result.error.message) == 64 * 1024
    assert result.error.message.endswith("x [...trimmed]")
    assert len(result.error.traceback) <= 256 * 1024
    assert result.error.traceback.startswith("[...trimmed]\n")
    assert result.message == f"ValueError: {result.error.message}"


@pytest.mark.parametrize(
    ("code", "status"), [("2**40", 1), ("-(2**31)", -(2**31)), ("2**31 - 1", 2**31 - 1)]
)
def test_an_exit_status_beyond_a_c_int_is_1(runtime: Runtime, code: str, status: int) -> None:
    result = run(runtime, f"import sys\nsys.exit({code})", prelude=False)
    assert (result.status, result.message) == (
        Status.ERROR,
        f"The code exited with status {status}",
    )


@pytest.mark.parametrize(
    "report",
    [
        '{"status":"error","error":{"type":"SystemExit"},"exit_code":1e400}',
        '{"status":"error","error":{"type":"X","frames":[{"filename":"a","lineno":-1e999}]}}',
        '{"status":"ok","value":[1,1e400]}',
        '{"status":"ok","value":{"a":NaN}}',
        '{"status":"ok","value":-Infinity}',
    ],
    ids=["exit-code", "line", "value", "nan", "infinity"],
)
def test_a_report_with_a_number_json_cannot_carry_is_refused(runtime: Runtime, report: str) -> None:
    # Decoded, these were floats the host could not take (OverflowError, SerializationError).
    frame = '{"op":"widgetbox.result","data":' + report + "}"
    result = bridge_run(runtime, f"attempt('report', lambda: raw({frame!r}))")
    assert result.status is Status.OK, result.message  # the driver's own report still wins
    assert attempts(result)["report"].outcome == "raised BadRequest"
    assert attempts(result)["report"].message == "the result is not valid JSON"


@pytest.mark.parametrize(
    "report",
    [
        {"status": "error", "error": {"type": "SystemExit"}, "exit_code": 1e3},
        {"status": "error", "error": {"type": "SystemExit"}, "exit_code": 2**40},
        {"status": "error", "error": {"type": "X", "frames": [{"filename": "a", "lineno": -1}]}},
        {"status": "error", "error": {"type": "X", "frames": [["main.py", 1]]}},
        {"status": "ok", "response": {"status": 200, "headers": {"a": {"b": "c"}}, "body": ""}},
        {"status": True},
    ],
    ids=["float-exit-code", "huge-exit-code", "negative-line", "list-frame", "dict-header", "true"],
)
def test_a_malformed_last_report_is_an_error_with_a_fixed_message(
    runtime: Runtime, report: dict[str, Any]
) -> None:
    # Widget code reports, then silences the driver so that its report is the last one.
    source = (
        BRIDGE_PRELUDE
        + f"bridge.call('widgetbox.result', {report!r})\n"
        + "bridge.call = lambda *args, **kwargs: None\n"
    )
    try:
        result = runtime.run(Script(Code.single(source)), limits=Limits.script().with_(timeout=3.0))
    except Exception as e:
        pytest.fail(f"Runtime.run raised {type(e).__name__}: {e}")
    assert (result.status, result.message) == (Status.ERROR, "The run reported a malformed result")
    assert result.error is None
