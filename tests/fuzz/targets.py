"""The fuzz targets: each checks one contract on one generated input (see `contract.py`).

A contract says what the code under test may return, the only exceptions it may raise, and
that it answers each input within a bound (`within`). This module holds the bridge's own
targets (the door, result reports, the wire, end to end) and `TARGETS`, every target
`python -m tests.fuzz` runs: the host's bridge handlers (every operation registered on the
runtime's bridge: outbound HTTP, secrets, email, Data Tables, sessions, Users, background
tasks, classroom checks) are `handlers.py`'s target, the GUI's server-call door
(`/_/call`'s body and the value codec) `gui.py`'s, and packages' requirements, metadata
and index pages `packages.py`'s.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import inspect
import json
import logging
import queue
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from tests.fuzz import gui, handlers, packages, strategies
from tests.fuzz.contract import Check, ContractError, Target, require, within
from tests.fuzz.strategies import STRATEGIES, Batch, DoorCase, ReportCase, WireCase
from widgetbox.runtime import (
    Bridge,
    Code,
    HostCall,
    HostCallError,
    Limits,
    ResponseChunk,
    RunResult,
    Runtime,
    Script,
    Status,
    _outcome,
)
from widgetbox.runtime import _wire as wire
from widgetbox.runtime._activity import Activity
from widgetbox.runtime._bridge import check_frame, finite_float, no_constants, parse_request
from widgetbox.runtime._codec import decode, encode
from widgetbox.runtime._door import _RESULT_START
from widgetbox.runtime._limits import MiB
from widgetbox.runtime._outcome import MALFORMED, Outcome, outcome_of
from widgetbox.runtime._output import Output
from widgetbox.runtime._processes import PendingRun, SandboxProcess
from widgetbox.runtime._quota import ScratchQuota
from widgetbox.runtime._wire import WireError, bytes_in, limits_in, result_in, result_out, unpack

# -- 1. the door: check_frame and parse_request --------------------------------------------

DOOR_SECONDS = 1.0
"""One frame of at most about a megabyte, checked and decoded (measured: 4-50 ms)."""
SHAPE = 'a request is {"op": name, "data": value}'


def door_messages(case: DoorCase) -> set[str]:
    what = case.what
    return {
        f"the {what} is not valid JSON",
        f"the {what} holds more than {case.max_values:,} values",
        f"the {what} nests deeper than {case.max_depth} levels",
        SHAPE,
    }


class Pairs(list[Any]):
    """A decoded JSON object as its members, duplicates kept."""


UNDECODABLE = object()


def decoded(frame: bytes, strict: bool) -> Any:
    """The frame decoded with every member kept (strict: with the door's own rules: no NaN,
    no infinity, no overflowing number), or UNDECODABLE."""
    try:
        if strict:
            return json.loads(
                frame,
                parse_float=finite_float,
                parse_constant=no_constants,
                object_pairs_hook=Pairs,
            )
        return json.loads(frame, object_pairs_hook=Pairs)
    except (ValueError, RecursionError):
        return UNDECODABLE


def measure(value: Any) -> tuple[int, int]:
    """(depth, values) of a decoded frame as `check_frame` counts them: containers and
    scalars, an object's keys aside; each container one level deeper than its parent."""
    depth = count = 0
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        count += 1
        if isinstance(item, Pairs):
            children = [member for _, member in item]
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth = max(depth, level + 1)
        stack.extend((child, level + 1) for child in children)
    return depth, count


def check_door(case: DoorCase) -> None:
    """`check_frame` returns None or raises HostCallError("BadRequest") with one of the
    door's fixed messages; `parse_request` returns (str, data) with no NaN or infinity in
    it, or raises that same error; both within a second. Exact: a frame that decodes (by the
    door's own rules, duplicate keys kept) is accepted exactly when its depth and values are
    within the caps (frames in another encoding than plain UTF-8 are refused outright); and
    json.loads of an accepted frame never holds more than the caps unless the door's own
    decoding refuses it (NaN and the infinities, refused at the first one)."""
    frame, depth_cap, values_cap = case.frame, case.max_depth, case.max_values
    messages = door_messages(case)
    accepted = parsed = False
    with within(DOOR_SECONDS, "check_frame"):
        try:
            check_frame(frame, depth_cap, values_cap, case.what)
            accepted = True
        except HostCallError as e:
            require(e.kind == "BadRequest", "check_frame raised another kind", e.kind)
            require(e.message in messages, "check_frame said something else", e.message)
    with within(DOOR_SECONDS, "parse_request"):
        try:
            op, data = parse_request(frame, depth_cap, values_cap, case.what)
            parsed = True
        except HostCallError as e:
            require(e.kind == "BadRequest", "parse_request raised another kind", e.kind)
            require(e.message in messages, "parse_request said something else", e.message)
    if parsed:
        require(accepted, "parse_request decoded a frame check_frame refuses")
        require(isinstance(op, str), "parse_request answered an op that is not text", repr(op))
        try:
            json.dumps(data, allow_nan=False)
        except ValueError as e:
            raise ContractError("parse_request let a non-finite number through", str(e)) from e
    strict = decoded(frame, strict=True)
    if strict is not UNDECODABLE:
        deepest, values = measure(strict)
        fits = deepest <= depth_cap and values <= values_cap
        counts = f"depth {deepest} (cap {depth_cap}), {values} values (cap {values_cap})"
        if accepted:
            require(fits, "check_frame accepted a frame past its caps", counts)
        elif json.detect_encoding(frame) == "utf-8":
            require(not fits, "check_frame refused valid JSON within its caps", counts)
        if fits and accepted and isinstance(strict, Pairs):
            ops = [member for key, member in strict if key == "op"]
            if ops and isinstance(ops[-1], str):
                require(parsed, "parse_request refused a well-formed request")
    loose = decoded(frame, strict=False)
    if accepted and loose is not UNDECODABLE:
        deepest, values = measure(loose)
        if deepest > depth_cap or values > values_cap:
            require(not parsed, "parse_request decoded more than its caps")


@contextlib.contextmanager
def door_session() -> Iterator[Check]:
    yield check_door


# -- 2. result reports ---------------------------------------------------------------------

REPORT_SECONDS = 1.0
REPORT_LIMITS = Limits.request().with_(memory=64 * MiB)
ENDED_WITHOUT = {
    "The run ended without reporting a result",
    f"The run ran out of memory (the limit is {REPORT_LIMITS.memory // MiB} MiB)",
}


class CatchAll(logging.Handler):
    """Notes the exception of a report that only `outcome_of`'s catch-all refused (no check
    named what is wrong with it): safe, but worth knowing about for reports that are
    objects, as the door's are."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.last: str | None = None
        self.types: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "a report failed its checks with %s":
            self.last = str(record.args[0] if isinstance(record.args, tuple) else record.args)

    def count(self, report: Any) -> None:
        if self.last is not None and isinstance(report, dict):
            self.types[self.last] = self.types.get(self.last, 0) + 1
        self.last = None


def require_valid_outcome(result: Outcome) -> None:
    """What every outcome of a report holds, whatever the report said."""
    require(result.status in (Status.OK, Status.ERROR, Status.MEMORY), "an unexpected status")
    if result.status is Status.OK:
        require(result.error is None and result.message == "", "an ok outcome with an error")
        try:
            json.dumps(encode(result.value), allow_nan=False)
        except ValueError as e:
            raise ContractError("an outcome's value cannot cross back out", str(e)) from e
    response = result.response
    if response is not None:
        require(response.status in _outcome.HTTP_STATUSES, "an HTTP status out of range")
        require(len(response.headers) <= _outcome.MAX_HEADERS, "too many headers")
        for name, value in response.headers.items():
            require(isinstance(name, str) and isinstance(value, str), "a header not text")
            require(not any(c in name + value for c in "\r\n\x00"), "a header of two lines")
            require(len(name) <= _outcome.MAX_TEXT, "a header name too long")
            require(len(value) <= _outcome.MAX_HEADER, "a header value too long")
        require(isinstance(response.body, bytes), "a body not bytes")
    error = result.error
    if error is not None:
        require(len(error.type) <= _outcome.MAX_TEXT, "an error type too long")
        require(len(error.message) <= _outcome.MAX_MESSAGE, "an error message too long")
        require(len(error.traceback) <= _outcome.MAX_TRACEBACK, "a traceback too long")
        require(len(error.frames) <= _outcome.MAX_FRAMES, "too many frames")
        for frame in error.frames:
            require(frame.lineno in _outcome.LINES, "a line number out of range")
            require(
                max(len(frame.filename), len(frame.name), len(frame.line)) <= _outcome.MAX_TEXT,
                "a frame's text too long",
            )


def check_report(case: ReportCase, scratch: Path, catch_all: CatchAll) -> None:
    """`outcome_of` always returns an Outcome, within a second: for a malformed report one
    with the fixed message and nothing else; for a report the driver could send, never that
    one, and the status, value and response it reported; for anything, an outcome whose
    every field is within the report's documented bounds."""
    act = Activity(
        limits=REPORT_LIMITS,
        output=Output(100),
        quota=ScratchQuota(scratch, 100, 10),
        wasi={},
        cancel=None,
        shutdown=threading.Event(),
    )
    act.report = case.report
    with within(REPORT_SECONDS, "outcome_of"):
        result = outcome_of(act, 0, REPORT_LIMITS, case.memory_used)
    catch_all.count(case.report)
    require(isinstance(result, Outcome), "outcome_of returned something else", repr(result))
    if case.report is None:
        require(result.message in ENDED_WITHOUT, "a missing report said something else")
        return
    if result.message == MALFORMED:
        require(
            result.status is Status.ERROR
            and result.error is None
            and result.value is None
            and result.response is None,
            "a malformed report's outcome carries more than the fixed message",
        )
        require(case.expect != "valid", "a report the driver could send was called malformed")
        return
    require(case.expect != "malformed", "a malformed report was accepted", repr(result)[:300])
    require_valid_outcome(result)
    if case.expect == "valid":
        report = case.report
        if report["status"] == "ok":
            require(result.status is Status.OK, "an ok report is not an ok outcome")
            require(result.value == decode(report.get("value")), "the value changed")
            response = report.get("response")
            if response is not None:
                require(result.response is not None, "the response was lost")
        else:
            error_type = report["error"].get("type", "Exception")
            expected = Status.MEMORY if error_type == "MemoryError" else Status.ERROR
            require(result.status is expected, "an error report has the wrong status")
            require(result.error is not None, "the error was lost")


@contextlib.contextmanager
def report_session() -> Iterator[Check]:
    catch_all = CatchAll()
    logger = logging.getLogger("widgetbox.runtime")
    logger.addHandler(catch_all)
    try:
        with tempfile.TemporaryDirectory(prefix="widgetbox-fuzz-") as scratch:
            yield lambda case: check_report(case, Path(scratch), catch_all)
    finally:
        logger.removeHandler(catch_all)
        if catch_all.types:
            counts = ", ".join(f"{name} {count}" for name, count in catch_all.types.items())
            print(f"  (report objects refused by outcome_of's catch-all only: {counts})")


# -- 3. the wire ---------------------------------------------------------------------------

WIRE_SECONDS = 2.0
"""One message handled, or every host call of a sequence answered (the fuzz handlers answer
at once; the runtime answers any other call at its clamped timeout, without waiting)."""
READER_CATCHES = (WireError, KeyError, TypeError, ValueError)
"""What `SandboxProcess._read` treats as a broken protocol (it kills the process); anything
else would end the reader thread and leave the process running, its runs waiting forever."""


class Sent:
    """In the place of the process's `Sender`: keeps what the runtime sends, from any thread."""

    def __init__(self) -> None:
        self.messages: queue.SimpleQueue[bytes] = queue.SimpleQueue()

    def send(self, message: bytes) -> None:
        self.messages.put(bytes(message))


class Fake:
    """A SandboxProcess without a process: two runs and two requests waiting, host calls
    answered by a real Bridge, what it sends kept."""

    def __init__(self, bridge: Bridge) -> None:
        self.process = object.__new__(SandboxProcess)
        self.printed: list[tuple[str, str]] = []
        self.chunks: list[ResponseChunk] = []
        """What run 1 was handed of a streamed response (it asked for chunks; run 2 not)."""
        self.sent = Sent()
        deadline = time.monotonic() + 30.0
        runs = {
            run_id: PendingRun(
                lambda stream, text: self.printed.append((stream, text)),
                {"run": run_id},
                Limits.request(),
                deadline,
            )
            for run_id in (1, 2)
        }
        runs[1].on_chunk = self.chunks.append
        requests: dict[int, Future[wire.Reply]] = {1: Future(), 2: Future()}
        process = self.process
        process._bridge = bridge
        process._runs = runs
        process._requests = requests
        process._lock = threading.Lock()
        process._sender = self.sent  # type: ignore[assignment]
        process.alive, process.closing, process.killed = True, False, False

    def posted(self, count: int, wait: float) -> list[bytes]:
        """What was sent: at least `count` messages if they come within `wait` seconds, and
        any more already there."""
        got: list[bytes] = []
        deadline = time.monotonic() + wait
        with contextlib.suppress(queue.Empty):
            while len(got) < count:
                got.append(self.sent.messages.get(timeout=max(0.0, deadline - time.monotonic())))
            while True:
                got.append(self.sent.messages.get_nowait())
        return got


def well_formed_answer(frame: Any) -> bool:
    if not isinstance(frame, str):
        return False
    try:
        answer = json.loads(frame)
    except ValueError:
        return False
    if not isinstance(answer, dict):
        return False
    if set(answer) == {"ok"}:
        return True
    error = answer.get("error")
    return (
        set(answer) == {"error"}
        and isinstance(error, dict)
        and set(error) == {"kind", "message"}
        and all(isinstance(text, str) for text in error.values())
    )


def require_sendable(result: RunResult, rule: str) -> None:
    """A result the runtime holds can be sent on as strict JSON (no NaN, no infinity)."""
    try:
        json.dumps(result_out(result), allow_nan=False)
    except ValueError as e:
        raise ContractError(rule, str(e)[:200]) from e


def check_handle(messages: list[bytes], bridge: Bridge) -> None:
    """The reader's loop on a sequence of messages: `_handle(unpack(data, FROM_PROCESS))`
    returns or raises only what the reader catches (each message, whatever came before);
    each host call that passed is answered by exactly one well-formed frame, posted within
    two seconds, and nothing else is sent; a result the runtime keeps can be sent on as
    strict JSON; a streamed response's chunks reach the run's listener only when it asked
    for them, the first alone with a valid status, each within its size."""
    fake = Fake(bridge)
    calls = 0
    for data in messages:
        try:
            with within(WIRE_SECONDS, "handling a message"):
                message = unpack(data, wire.FROM_PROCESS)
                fake.process._handle(message)
        except READER_CATCHES:
            # The reader would kill the process here; the next message is handled all the
            # same, since any message may come first (and the state it meets is no less odd).
            continue
        calls += isinstance(message, wire.Call)
    posted = fake.posted(calls, WIRE_SECONDS)
    require(
        len(posted) == calls,
        "host calls were not answered once each",
        f"{calls} calls, {len(posted)} answers",
    )
    for sent in posted:
        answer = json.loads(sent)
        require(answer.get("kind") == "answer", "the runtime sent something else", repr(answer))
        require(well_formed_answer(answer.get("frame")), "a host call's answer is malformed")
    for run in fake.process._runs.values():
        if run.result is not None:
            require_sendable(run.result, "the runtime kept a result it cannot send on")
    for number, chunk in enumerate(fake.chunks):
        head = chunk.head
        require(
            (head is not None) == (number == 0)
            and (head is None or 100 <= head.status <= 599)
            and len(chunk.body) <= Limits.request().stream_chunk_bytes,
            "a streamed response's chunk passed on out of place, with a bad head or too long",
            repr(chunk)[:200],
        )


def check_wire(case: WireCase, bridge: Bridge) -> None:
    """`unpack` returns a message of a declared kind or raises WireError; `result_in` returns
    a RunResult or raises WireError (and one that came through `unpack` can be sent on as
    strict JSON); `bytes_in` returns bytes and `limits_in` Limits, or raise WireError. Each
    within two seconds."""
    payload = case.payload
    if case.kind == "handle":
        check_handle(payload, bridge)
        return
    with within(WIRE_SECONDS, case.kind):
        try:
            if case.kind == "unpack":
                message = unpack(payload, wire.FROM_PROCESS)
                require(
                    wire.FROM_PROCESS.get(message.kind) is type(message),
                    "unpack returned something else",
                )
            elif case.kind == "result_in":
                require(isinstance(result_in(payload), RunResult), "result_in returned another")
            elif case.kind == "limits_in":
                require(isinstance(limits_in(payload), Limits), "limits_in returned another")
            else:
                require(isinstance(bytes_in(payload), bytes), "bytes_in returned something else")
        except WireError:
            pass
    if case.kind == "result_in":
        _check_result_through_wire(payload)


def _check_result_through_wire(payload: Any) -> None:
    try:
        text = json.dumps({"kind": "done", "run": 1, "result": payload})
    except ValueError:
        return  # an integer too long to write: no process can send it either
    try:
        message = unpack(text.encode("utf-8", "surrogatepass"), wire.FROM_PROCESS)
    except WireError:
        return
    require(isinstance(message, wire.Done), "unpack returned another message")
    assert isinstance(message, wire.Done)
    require_sendable(message.result, "result_in accepted a result that cannot be sent on")


def _echo(call: HostCall, data: Any) -> Any:
    return data


def _fail(call: HostCall, data: Any) -> Any:
    raise RuntimeError("/srv/widgetbox/secret.toml password=hunter2")


def _refuse(call: HostCall, data: Any) -> Any:
    raise HostCallError("NotAllowed", "you may not")


@contextlib.contextmanager
def wire_session() -> Iterator[Check]:
    bridge = Bridge(max_workers=4)
    bridge.register("fuzz.echo", _echo)
    bridge.register("fuzz.fail", _fail)
    bridge.register("fuzz.refuse", _refuse)
    try:
        yield lambda case: check_wire(case, bridge)
    finally:
        bridge.close()


# -- 5. end to end -------------------------------------------------------------------------

E2E_SECONDS = 60.0
E2E_LIMITS = Limits.script().with_(timeout=60.0, host_request_bytes=16 * 1024)
E2E_OPS = ("fuzz.", "widgetbox.")
"""Frames naming any other operation are renamed: a shared runtime may offer handlers
(outbound HTTP among them) that a fuzzer must not reach."""

GUEST = """\
import _host, base64, hashlib, json

def judged(raw):
    try:
        answer = json.loads(raw)
    except ValueError:
        return ["unparseable", repr(raw[:200])]
    error = answer.get("error") if isinstance(answer, dict) else None
    if isinstance(answer, dict) and set(answer) == {{"ok"}}:
        text = json.dumps(answer["ok"], sort_keys=True)
        return ["ok", hashlib.sha256(text.encode()).hexdigest()]
    if (
        isinstance(answer, dict) and set(answer) == {{"error"}} and isinstance(error, dict)
        and set(error) == {{"kind", "message"}}
        and all(isinstance(text, str) for text in error.values())
    ):
        return ["error", error["kind"]]
    return ["malformed", repr(answer)[:200]]

for encoded in json.loads(base64.b64decode({frames!r})):
    try:
        print(json.dumps(judged(_host.call(base64.b64decode(encoded)))))
    except OSError as e:
        print(json.dumps(["fault", str(e)]))
"""
HEALTH = """\
import os
from _widgetbox import bridge
print(os.listdir("/tmp"), bridge.call("fuzz.echo", "ping"))
print("healthy")
"""


def e2e_frame(frame: bytes) -> bytes:
    """The frame as sent: one that would be a result report made a plain request (it would
    change the run's result), one naming a foreign operation renamed."""
    if frame.startswith(_RESULT_START):
        return b" " + frame
    try:
        op, data = parse_request(frame)
    except HostCallError:
        return frame
    if op.startswith(E2E_OPS):
        return frame
    return json.dumps({"op": "fuzz.nope." + op[:20], "data": data}).encode()


def expected_answer(frame: bytes) -> list[str]:
    """What the door must answer, worked out on the host with the same functions."""
    if len(frame) > E2E_LIMITS.host_request_bytes:
        return ["error", "BadRequest"]
    try:
        op, data = parse_request(frame)
    except HostCallError:
        return ["error", "BadRequest"]
    if op == "fuzz.echo":
        text = json.dumps(data, sort_keys=True)
        return ["ok", hashlib.sha256(text.encode()).hexdigest()]
    if op == "fuzz.fail":
        return ["error", "HostError"]
    return ["error", "UnknownOperation"]


def check_batch(batch: Batch, runtime: Runtime) -> None:
    """Guest code in a real sandbox sends each frame through `_host.call`: every answer is
    a well-formed `{"ok"}` or `{"error": {"kind", "message"}}` frame, of the kind (and, for
    an echo, the value) the door's functions give on the host; each frame counts as one
    host call; the run ends OK within a minute, and a health check run afterwards is fine
    (an empty /tmp, a bridge that answers)."""
    frames = [e2e_frame(frame) for frame in batch.frames]
    encoded = json.dumps([base64.b64encode(frame).decode() for frame in frames]).encode()
    source = GUEST.format(frames=base64.b64encode(encoded).decode())
    with within(E2E_SECONDS, "a batch of frames"):
        result = runtime.run(Script(Code.single(source)), limits=E2E_LIMITS)
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    if result.status is not Status.OK:
        culprit = strategies.short(frames[len(answers)]) if len(answers) < len(frames) else "?"
        raise ContractError("the run did not end OK", f"{result.message}; at frame {culprit}")
    require(result.host_calls == len(frames), "host calls were miscounted")
    for frame, answer in zip(frames, answers, strict=True):
        require(answer[0] in ("ok", "error"), f"an answer was {answer[0]}", repr(answer))
        require(
            answer == expected_answer(frame),
            "the door answered otherwise than its functions on the host",
            f"{strategies.short(frame)} -> {answer}, expected {expected_answer(frame)}",
        )
    health = runtime.run(Script(Code.single(HEALTH)), limits=Limits.script().with_(timeout=10.0))
    require(health.status is Status.OK, "the health check failed", health.message)
    require(health.stdout == "[] ping\nhealthy\n", "the health check saw", health.stdout)


def register_fuzz_handlers(bridge: Bridge) -> None:
    bridge.register("fuzz.echo", _echo)
    bridge.register("fuzz.fail", _fail)


@contextlib.contextmanager
def e2e_session(runtime: Runtime | None = None) -> Iterator[Check]:
    """With the caller's runtime (the test session's), or a runtime of its own."""
    with contextlib.ExitStack() as stack:
        if runtime is None:
            runtime = stack.enter_context(Runtime(pool_size=2))
        register_fuzz_handlers(runtime.bridge)
        ready = runtime
        yield lambda batch: check_batch(batch, ready)


# -- the targets ---------------------------------------------------------------------------

TARGETS = {
    target.name: target
    for target in (
        Target(
            "door",
            check_door.__doc__ or "",
            door_session,
            STRATEGIES["door"],
            weight=0.15,
            chunk=50,
        ),
        Target(
            "report",
            check_report.__doc__ or "",
            report_session,
            STRATEGIES["report"],
            weight=0.1,
            chunk=200,
        ),
        Target(
            "wire",
            inspect.cleandoc(check_wire.__doc__ or "")
            + "\n"
            + inspect.cleandoc(check_handle.__doc__ or ""),
            wire_session,
            STRATEGIES["wire"],
            weight=0.1,
            chunk=100,
        ),
        Target(
            "handlers",
            handlers.CONTRACT,
            handlers.session,
            handlers.STRATEGY,
            weight=0.3,
            chunk=50,
        ),
        Target("gui", gui.CONTRACT, gui.session, gui.STRATEGY, weight=0.1, chunk=100),
        Target(
            "packages",
            packages.CONTRACT,
            packages.session,
            packages.STRATEGY,
            weight=0.1,
            chunk=100,
        ),
        Target(
            "e2e",
            check_batch.__doc__ or "",
            e2e_session,
            STRATEGIES["e2e"],
            weight=0.15,
            chunk=10,
            shrink=False,
        ),
    )
}
