"""Messages between the runtime and its sandbox processes (`runtime/_wire.py`): every kind is
declared once and handled on its side, results survive the trip exactly, and anything
malformed (a kind, a field, a type) is refused rather than trusted."""

from __future__ import annotations

import dataclasses
import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from widgetbox.runtime import (
    Frame,
    HttpResponse,
    Limits,
    ResponseChunk,
    RunResult,
    Status,
    UserError,
)
from widgetbox.runtime import _wire as wire
from widgetbox.runtime._processes import SandboxProcess
from widgetbox.runtime._wire import (
    FROM_PROCESS,
    TO_PROCESS,
    WireError,
    bytes_in,
    limits_in,
    limits_out,
    pack,
    result_in,
    result_out,
    unpack,
)
from widgetbox.runtime._worker import Worker
from widgetbox.runtime.remote import _messages as remote_messages

pytestmark = pytest.mark.unit

FULL = RunResult(
    status=Status.ERROR,
    stdout="out ✓\n",
    stderr="err\n",
    wall_time=0.25,
    fuel=12345,
    peak_memory=40 * 1024 * 1024,
    host_calls=3,
    value={"when": datetime.date(2026, 11, 24), "items": [1, 2.5, None, True]},
    response=HttpResponse(status=201, headers={"x-a": "b"}, body=b"\x00\xffbytes"),
    error=UserError(
        type="ValueError",
        message="bad",
        traceback="Traceback...\nValueError: bad\n",
        frames=(Frame("main.py", 3, "f", "raise ValueError('bad')"),),
        qualified_type="anvil.server.NoServerFunctionError",
    ),
    message="The code raised an exception",
    output_truncated=True,
)


REQUEST = wire.RunRequest(
    job={"mode": "script", "args": [1, "two"]},
    bundle="ab" * 32,
    files={"main.py": "print('hi')\n"},
    limits=Limits.request().with_(fuel=10**9, memory=64 * 1024 * 1024),
    bytecode={"__pycache__/main.cpython-314.pyc": b"\x00\xffpyc"},
    lane="batch",
    packages=Path("/srv/packages/abc"),
)
EXAMPLES: list[wire.Message] = [
    wire.Run(run=1, request=REQUEST, deadline=1234.5),
    wire.Run(run=2, request=dataclasses.replace(REQUEST, packages=None, stream=True), deadline=1.0),
    wire.Run(run=3, request=dataclasses.replace(REQUEST, files=None, bytecode=None), deadline=2.0),
    wire.Cancel(run=1),
    wire.Answer(call=3, frame='{"ok":1}'),
    wire.Compile(id=4, files={"a.py": "x = 1\n"}),
    wire.CompilePackages(id=5, folder=Path("/srv/packages/abc")),
    wire.WaitReady(id=6, timeout=2.5),
    wire.Close(),
    wire.Ready(pid=4321),
    wire.FailedToStart(message="no module", error="ImportError"),
    wire.Output(run=1, stream="stderr", text="oops ✓\n"),
    wire.Chunk(
        run=1, chunk=ResponseChunk(b"data: 1\n\n", 200, {"content-type": "text/event-stream"})
    ),
    wire.Chunk(run=1, chunk=ResponseChunk(b"\x00\xff")),
    wire.Call(run=1, call=7, op="kv.get", data={"key": [1, None, True]}, timeout=10.0),
    wire.Done(run=1, result=FULL),
    wire.Failed(run=1, message="the sandbox broke"),
    wire.Lacking(run=3),
    wire.Log(level=30, name="widgetbox.runtime", text="careful"),
    wire.Compiled(id=4, pyc={"__pycache__/a.cpython-314.pyc": b"\x00pyc"}),
    wire.PackagesCompiled(id=5, modules=12),
    wire.NotCompiled(id=4, error="SyntaxError", quiet=True),
    wire.Pool(id=6, ready=False, guests=0),
]


def test_every_kind_is_declared_once_for_one_direction() -> None:
    assert set(TO_PROCESS) == {
        "run", "cancel", "answer", "compile", "compile_packages", "wait_ready", "close",
    }  # fmt: skip
    assert set(FROM_PROCESS) == {
        "ready", "failed_to_start", "output", "chunk", "call", "lacking", "done", "failed", "log",
        "compiled", "packages_compiled", "not_compiled", "pool",
    }  # fmt: skip
    for kinds in (TO_PROCESS, FROM_PROCESS):
        assert all(declared.kind == kind for kind, declared in kinds.items())
    assert {type(example) for example in EXAMPLES} == {*TO_PROCESS.values(), *FROM_PROCESS.values()}


def test_each_side_handles_every_kind_the_other_sends() -> None:
    assert set(Worker._HANDLERS) == set(TO_PROCESS.values())
    # ready and failed_to_start come only while the process starts (`_await_ready`)
    assert set(SandboxProcess._HANDLERS) == set(FROM_PROCESS.values()) - {
        wire.Ready,
        wire.FailedToStart,
    }


@pytest.mark.parametrize("message", EXAMPLES, ids=lambda message: message.kind)
def test_every_message_survives_the_trip_exactly(message: wire.Message) -> None:
    kinds = TO_PROCESS if message.kind in TO_PROCESS else FROM_PROCESS
    assert unpack(pack(message), kinds) == message


@pytest.mark.parametrize("message", EXAMPLES, ids=lambda message: message.kind)
def test_a_message_is_refused_by_the_side_that_sends_it(message: wire.Message) -> None:
    other = FROM_PROCESS if message.kind in TO_PROCESS else TO_PROCESS
    with pytest.raises(WireError, match="unexpected message kind"):
        unpack(pack(message), other)


@pytest.mark.parametrize("message", EXAMPLES, ids=lambda message: message.kind)
def test_a_missing_misspelt_or_extra_field_is_refused(message: wire.Message) -> None:
    kinds = TO_PROCESS if message.kind in TO_PROCESS else FROM_PROCESS
    data = json.loads(pack(message))
    changes: list[dict[str, Any]] = [{**data, "extra": 1}]
    for name in set(data) - {"kind"}:
        changes.append({key: value for key, value in data.items() if key != name})
        changes.append({(key + "s" if key == name else key): value for key, value in data.items()})
    for changed in changes:
        with pytest.raises(WireError, match=r"missing|unexpected"):
            unpack(json.dumps(changed).encode(), kinds)


def test_a_misspelt_field_cannot_be_sent_either() -> None:
    with pytest.raises(TypeError):
        wire.Cancel(runs=1)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("message", "why"),
    [
        ({"kind": "cancel", "run": "1"}, "run: expected int"),
        ({"kind": "cancel", "run": True}, "run: expected int"),
        ({"kind": "cancel", "run": 1.0}, "run: expected int"),
        ({"kind": "answer", "call": 1, "frame": None}, "frame: expected str"),
        ({"kind": "wait_ready", "id": 1, "timeout": "1"}, "timeout: expected a number"),
        ({"kind": "compile", "id": 1, "files": {"a.py": 5}}, "files: expected str"),
        ({"kind": "compile", "id": 1, "files": ["a.py"]}, "files: expected an object"),
        ({"kind": "compile_packages", "id": 1, "folder": None}, "folder: expected str"),
        ({"kind": "close", "now": True}, "unexpected 'now'"),
    ],
)
def test_a_runtime_message_of_the_wrong_shape_is_refused(message: dict[str, Any], why: str) -> None:
    with pytest.raises(WireError, match=why):
        unpack(json.dumps(message).encode(), TO_PROCESS)


def run_message(**request: Any) -> dict[str, Any]:
    data = json.loads(pack(EXAMPLES[0]))
    data["request"].update(request)
    return data


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"lane": "urgent"}, "lane: expected one of"),
        ({"job": [1]}, "job: expected an object"),
        ({"bytecode": {"a.pyc": "not base64!"}}, "bytecode: bad base64"),
        ({"packages": 5}, "packages: expected str"),
        ({"limits": {"timeout": 1}}, "limits: missing"),
        ({"limits": {**limits_out(Limits()), "timeout": -1}}, "limits: .*positive"),
        ({"limits": {**limits_out(Limits()), "memory": 1.5}}, "limits: memory: expected int"),
    ],
)
def test_a_run_request_of_the_wrong_shape_is_refused(change: dict[str, Any], why: str) -> None:
    with pytest.raises(WireError, match=why):
        unpack(json.dumps(run_message(**change)).encode(), TO_PROCESS)


@pytest.mark.parametrize(
    ("message", "why"),
    [
        ({"kind": "output", "run": 1, "stream": "stdin", "text": ""}, "stream: expected one of"),
        (
            {"kind": "call", "run": 1, "call": 2, "op": 3, "data": None, "timeout": 1},
            "op: expected",
        ),
        ({"kind": "log", "level": 1.5, "name": "widgetbox", "text": ""}, "level: expected int"),
        ({"kind": "compiled", "id": 1, "pyc": {"a.pyc": 5}}, "pyc: expected base64"),
        ({"kind": "pool", "id": 1, "ready": 1, "guests": 0}, "ready: expected bool"),
        ({"kind": "not_compiled", "id": 1, "error": "x", "quiet": None}, "quiet: expected bool"),
        ({"kind": "done", "run": 1, "result": {}}, "result: a malformed run result"),
    ],
)
def test_a_process_message_of_the_wrong_shape_is_refused(message: dict[str, Any], why: str) -> None:
    with pytest.raises(WireError, match=why):
        unpack(json.dumps(message).encode(), FROM_PROCESS)


def test_a_number_of_seconds_too_large_for_a_float_means_never() -> None:
    data = b'{"kind":"call","run":1,"call":2,"op":"x","data":null,"timeout":1' + b"0" * 400 + b"}"
    message = unpack(data, FROM_PROCESS)
    assert isinstance(message, wire.Call)
    assert message.timeout == 1.7976931348623157e308


def test_a_result_without_optional_parts_survives_too() -> None:
    plain = RunResult(status=Status.OK, stdout="", stderr="", wall_time=0.0, fuel=None,
                      peak_memory=0)  # fmt: skip
    message = unpack(pack(wire.Done(run=1, result=plain)), FROM_PROCESS)
    assert message == wire.Done(run=1, result=plain)


def test_limits_survive_the_trip() -> None:
    limits = Limits.request().with_(fuel=10**9, memory=64 * 1024 * 1024)
    assert limits_in(json.loads(json.dumps(limits_out(limits)))) == limits


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"status": "bogus"}, "unknown status"),
        ({"stdout": 5}, "stdout not text"),
        ({"fuel": True}, "a bool is not a count"),
        ({"fuel": "1"}, "fuel not a number"),
        ({"peak_memory": None}, "missing measurement"),
        ({"value": {"$wb": "nonsense"}}, "an unknown tagged value"),
        ({"response": {"status": 200, "headers": {"a": 1}, "body": ""}}, "header not text"),
        ({"response": {"status": 200, "headers": {}, "body": "not base64!"}}, "bad body"),
        ({"error": {"type": "E"}}, "an incomplete error"),
        ({"output_truncated": "yes"}, "flag not a bool"),
    ],
)
def test_a_malformed_result_is_refused(change: dict[str, Any], why: str) -> None:
    data = {**result_out(FULL), **change}
    with pytest.raises(WireError):
        result_in(data)


def test_a_result_missing_a_field_is_refused() -> None:
    data = result_out(FULL)
    del data["stderr"]
    with pytest.raises(WireError):
        result_in(data)


@pytest.mark.parametrize(
    "data", [b"not json", b"[1, 2]", b'{"no": "kind"}', b'{"kind": 5}', b'{"kind": "dne"}']
)
def test_a_message_that_is_not_an_object_with_a_known_kind_is_refused(data: bytes) -> None:
    with pytest.raises(WireError):
        unpack(data, FROM_PROCESS)


def test_nan_is_never_sent() -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        pack(wire.Done(run=1, result=dataclasses.replace(FULL, wall_time=float("nan"))))


def test_bytes_must_be_strict_base64() -> None:
    assert bytes_in("AP8=") == b"\x00\xff"
    for bad in ("AP8", "A P8=", 5):
        with pytest.raises(WireError):
            bytes_in(bad)


# Found by the fuzzer (`just fuzz`): `pack` never writes NaN or an infinity, but `unpack`
# took them, so a subverted process could hand the runtime a result it cannot send on as
# JSON (or a log level `int()` cannot take, which ended the reader thread).
@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e400"])
def test_a_message_with_a_number_json_cannot_carry_is_refused(number: bytes) -> None:
    with pytest.raises(WireError):
        unpack(b'{"kind": "log", "name": "x", "level": ' + number + b', "text": ""}', FROM_PROCESS)
    data = pack(wire.Done(run=1, result=FULL)).replace(
        b'"wall_time":0.25', b'"wall_time":' + number
    )
    assert data != pack(wire.Done(run=1, result=FULL))
    with pytest.raises(WireError):
        unpack(data, FROM_PROCESS)


def test_a_result_with_a_number_too_large_for_a_float_is_refused() -> None:
    with pytest.raises(WireError, match="malformed"):
        result_in({**result_out(FULL), "wall_time": 10**400})


def _done(result: RunResult) -> bytes:
    return pack(wire.Done(run=1, result=result))


def test_a_message_from_the_hostile_side_is_bounded_before_it_is_decoded() -> None:
    """Should a sandbox process or a worker be subverted, what it sends is judged before
    it is decoded: a 30 MB `[[],[],...]` would take gigabytes and seconds to decode."""
    flood = b'{"kind":"done","run":1,"result":{"value":[' + b"[]," * 10_000_000 + b"[]]}}"
    with pytest.raises(WireError, match="holds more than 300,000 values"):
        wire.unpack_bounded(flood, FROM_PROCESS)
    deep = b'{"kind":"done","run":1,"result":{"value":' + b"[" * 400 + b"]" * 400 + b"}}"
    with pytest.raises(WireError, match="nests deeper than 300 levels"):
        wire.unpack_bounded(deep, FROM_PROCESS)
    worker_flood = flood.replace(b'"kind":"done","run":1', b'"kind":"done","run":"r1"')
    with pytest.raises(WireError, match="holds more than 300,000 values"):
        remote_messages.unpack(worker_flood, remote_messages.FROM_WORKER)


def test_the_largest_honest_results_pass_the_bound() -> None:
    """A call's largest value (250,000 values, `_door.REPORT_CAPS`) and a route's largest
    body (32 MiB) pass, from a sandbox process and from a worker."""
    plain = RunResult(status=Status.OK, stdout="", stderr="", wall_time=0.0, fuel=None,
                      peak_memory=0)  # fmt: skip
    value = dataclasses.replace(plain, value=list(range(249_999)))
    body = dataclasses.replace(plain, response=HttpResponse(200, {}, b"x" * 32 * 1024 * 1024))
    for result in (value, body):
        assert wire.unpack_bounded(_done(result), FROM_PROCESS) == wire.Done(run=1, result=result)
        done = remote_messages.RunDone(run="r1", result=result)
        sent = remote_messages.pack(done)
        assert remote_messages.unpack(sent, remote_messages.FROM_WORKER) == done
