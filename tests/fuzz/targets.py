"""The fuzz targets: each checks one contract on one generated input.

A contract says what the code under test may return, the only exceptions it may raise, and
that it answers each input within a bound (`within`). A broken contract raises
`ContractError`, whose `rule` names what broke (the same rule for the same bug, whatever the
input), so that the runner can tell distinct bugs apart. Any other exception escaping the
code under test is itself a broken contract (`checked` says where it came from).

Server calls made from server code (`anvil.server.call` inside a widget) are answered inside
the guest, and packages are installed by the host before a run, never through the bridge:
neither is a bridge handler, so neither is fuzzed here.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import http.server
import inspect
import ipaddress
import json
import logging
import queue
import signal
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests._timing import LOADED_MARGIN
from tests.fuzz import strategies
from tests.fuzz.strategies import Batch, DoorCase, HandlerCase, ReportCase, WireCase
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

Check = Callable[[Any], None]
"""A target's check of one input: returns, or raises ContractError."""

WATCHDOG = False
"""Interrupt an input that runs past its bound (SIGALRM, main thread only). `python -m
tests.fuzz` turns it on; pytest leaves it off (pytest-timeout uses the same signal)."""


class ContractError(AssertionError):
    """A target broke its contract; `rule` says which part (the same for the same bug)."""

    def __init__(self, rule: str, detail: str = "") -> None:
        super().__init__(f"{rule}: {detail}" if detail else rule)
        self.rule = rule


class Hung(Exception):
    """Raised by the watchdog in an input that runs past its bound."""


def require(ok: bool, rule: str, detail: str = "") -> None:
    if not ok:
        raise ContractError(rule, detail)


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Hung("the input ran past its bound (interrupted by the watchdog)")


@contextlib.contextmanager
def within(seconds: float, what: str) -> Iterator[None]:
    """Fail when the block takes longer than `seconds` (plus a loaded machine's margin);
    with WATCHDOG on, interrupt it well past that instead of waiting for it forever."""
    armed = WATCHDOG and threading.current_thread() is threading.main_thread()
    if armed:
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, 2 * (seconds + LOADED_MARGIN))
    started = time.monotonic()
    try:
        yield
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    elapsed = time.monotonic() - started
    require(
        elapsed <= seconds + LOADED_MARGIN,
        f"{what} is slow",
        f"{elapsed:.2f} s for one input (bound {seconds} s + {LOADED_MARGIN} s margin)",
    )


def where(error: BaseException) -> str:
    """The innermost frame of Widgetbox's own code the exception passed through."""
    frames = list(traceback.extract_tb(error.__traceback__))
    ours = [f for f in frames if "/runtime/" in f.filename or "/host/" in f.filename]
    if not (ours or frames):
        return "?"
    last = (ours or frames)[-1]
    return f"{Path(last.filename).parent.name}/{Path(last.filename).name}:{last.lineno}"


@dataclass(frozen=True)
class Target:
    name: str
    contract: str
    session: Callable[[], contextlib.AbstractContextManager[Check]]
    """Sets up what the checks need (servers, databases, a runtime) and yields the check."""
    weight: float
    """Its share of `just fuzz`'s time budget."""
    chunk: int
    """Examples per hypothesis run in `just fuzz` (each run with its own seed)."""
    shrink: bool = True
    """Whether hypothesis shrinks a failure (each try of a batch end to end runs a guest; its
    failure names the frame, which the door target can then shrink on its own)."""

    @property
    def strategy(self) -> Any:
        return strategies.STRATEGIES[self.name]


def checked(check: Check) -> Check:
    """`check`, with any exception other than ContractError turned into one that says what
    escaped and from where, and the input noted (cut short) on the error."""

    def run(case: Any) -> None:
        try:
            try:
                check(case)
            except ContractError:
                raise
            except Exception as e:
                rule = f"{type(e).__name__} escaped from {where(e)}"
                raise ContractError(rule, str(e)[:300]) from e
        except ContractError as e:
            e.add_note(f"the input: {strategies.short(case, 3000)}")
            raise

    return run


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
    """The process's end of the connection: keeps what the runtime sends."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    def send_bytes(self, data: bytes) -> None:
        self.messages.append(bytes(data))


class Fake:
    """A SandboxProcess without a process: two runs and two requests waiting, host calls
    answered by a real Bridge, what it sends (from the caller's thread) or posts (to its
    writer) kept."""

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
        process._send_lock = threading.Lock()
        process._outgoing = queue.SimpleQueue()
        process._connection = self.sent  # type: ignore[assignment]
        process.alive, process.closing, process.killed = True, False, False

    def posted(self, count: int, wait: float) -> list[bytes]:
        """What was posted for the writer: at least `count` messages if they come within
        `wait` seconds, and any more already there."""
        got: list[bytes | None] = []
        deadline = time.monotonic() + wait
        with contextlib.suppress(queue.Empty):
            while len(got) < count:
                got.append(
                    self.process._outgoing.get(timeout=max(0.0, deadline - time.monotonic()))
                )
            while True:
                got.append(self.process._outgoing.get_nowait())
        return [data for data in got if data is not None]


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
    for sent in [*fake.sent.messages, *posted]:
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


# -- 4. host handlers ----------------------------------------------------------------------

HANDLER_SECONDS = 2.0
"""A request's policy timeout (0.5 s) and a loaded local server's answers."""
CALL_TIMEOUT = 5.0
POLICY_TIMEOUT = 0.5
OUTBOUND_KINDS = {"BadRequest", "Refused", "LimitExceeded", "Timeout", "ConnectionError"}
SECRETS_KINDS = {"NotFound", "BadRequest", "Undecryptable"}
SECRETS = {"API_KEY": "sk_live_fuzz-ünïcode-🔑", "OTHER": "x" * 1000, "Broken": "moved"}
ADDRESSES = {
    "local.test": ["127.0.0.1"],
    "public.test": ["93.184.215.14"],
    "private.test": ["10.0.0.1"],
    "mixed.test": ["93.184.215.14", "127.0.0.1"],
}


def fake_resolve(host: str, port: int) -> list[str]:
    """A resolver that knows a few names and never asks the network."""
    if host in ADDRESSES:
        return ADDRESSES[host]
    raise OSError("no such host")


class LocalServer(http.server.BaseHTTPRequestHandler):
    """Answers the fuzzer's outbound requests on 127.0.0.1."""

    server_version = "FuzzServer/1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        status, body, headers = 200, b'{"hello": "world"}', {"Content-Type": "application/json"}
        if url.path == "/redirect":
            status, headers = 302, {"Location": query.get("to", "/json")}
        elif url.path == "/loop":
            status, headers = 302, {"Location": "/loop"}
        elif url.path == "/big":
            body = b"x" * 8192
        elif url.path == "/headers":
            headers = {"X-Long": "v" * 4000, "Set-Cookie": "a=1", "X-Latin": "caf\xe9"}
        elif url.path == "/slow":
            time.sleep(2 * POLICY_TIMEOUT)
        elif url.path not in ("/", "/json"):
            status = 404
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            with contextlib.suppress(OSError):
                self.wfile.write(body)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_BREW = do_GET


class HandlerEnv:
    """The handlers, a local HTTP server, a database with a widget and its secrets."""

    def __init__(self, folder: Path) -> None:
        from widgetbox.host import secrets
        from widgetbox.host.outbound import OutboundPolicy
        from widgetbox.host.storage.database import Database

        self.folder = folder
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), LocalServer)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.policy = OutboundPolicy(
            allow_private=False,
            allowlist=("local.test",),
            timeout=POLICY_TIMEOUT,
            max_bytes=4096,
        )
        self.outbound = local_only(self.policy, self.port)
        self.database = Database(folder / "widgetbox.db")
        self.box = secrets.SecretBox(folder / "data")
        self.widget = self.database.write_now(_add_widget)
        for name, value in SECRETS.items():
            self.database.write_now(secrets.set_secret, self.box, self.widget, name, value)
        self.database.write_now(  # Broken: API_KEY's ciphertext under another name
            lambda db: db.execute(
                "UPDATE secrets SET nonce = (SELECT nonce FROM secrets WHERE name = 'API_KEY'),"
                " ciphertext = (SELECT ciphertext FROM secrets WHERE name = 'API_KEY')"
                " WHERE name = 'Broken'"
            )
        )
        self.secrets = secrets.SecretsHandler(self.database, self.box)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.database.close()

    def context(self, case: HandlerCase) -> dict[str, Any]:
        from widgetbox.host.outbound import OutboundBudget

        contexts: dict[str, dict[str, Any]] = {
            "widget": {"widget_id": self.widget, "outbound": OutboundBudget(case.budget)},
            "other widget": {"widget_id": self.widget + 1, "outbound": OutboundBudget(1)},
            "no widget": {"outbound": "not a budget"},
            "bad widget id": {"widget_id": str(self.widget), "outbound": None},
            "empty": {},
        }
        return contexts[case.context]


def _add_widget(db: Any) -> int:
    stamp = "2026-11-24T00:00:00Z"
    db.table("users").insert(
        {"id": 1, "username": "ann", "password_hash": "-", "created_at": stamp}
    )
    widget = {
        "owner_id": 1,
        "kind": "script",
        "title": "fuzz",
        "slug": "fuzz",
        "visibility": "private",
        "created_at": stamp,
        "updated_at": stamp,
    }
    return int(db.table("widgets").insert(widget).last_pk)


def local_only(policy: Any, port: int) -> Any:
    """The real `http.request` handler, its resolver faked and every connection it makes
    sent to the local server (so nothing leaves the machine); a connection to an address
    the policy refuses is a broken contract."""
    from widgetbox.host.outbound import OutboundClient, OutboundHandler, address_refusal

    class LocalOnly(OutboundClient):
        def _connection(self, target: Any, ip: Any, timeout: float) -> Any:
            refusal = address_refusal(policy, target.host, ip)
            require(refusal is None, "a connection to an address the policy refuses", str(refusal))
            local = dataclasses.replace(target, port=port)
            return super()._connection(local, ipaddress.ip_address("127.0.0.1"), timeout)

    return OutboundHandler(LocalOnly(policy, resolve=fake_resolve))


def _with_port(value: Any, port: int) -> Any:
    if isinstance(value, dict):
        return {key: _with_port(item, port) for key, item in value.items()}
    if isinstance(value, str):
        return value.replace("{port}", str(port))
    return value


def check_handler(case: HandlerCase, env: HandlerEnv) -> None:
    """`http.request` answers {status, headers, body_b64, url} or raises HostCallError of
    a kind the module documents, connecting only to addresses the policy allows; `secrets.get`
    answers the stored value of the run's own widget or raises NotFound, BadRequest or
    Undecryptable; neither raises anything else (the bridge would turn it into a generic
    HostError: the handler did not validate its input), nor leaks host text, and each
    answers within its policy's timeout."""
    context = env.context(case)
    call = HostCall(op=case.handler, context=context, timeout=CALL_TIMEOUT)
    outbound = case.handler == "http.request"
    data = _with_port(case.data, env.port) if outbound else case.data
    handler: Callable[[HostCall, Any], Any] = env.outbound if outbound else env.secrets
    kinds = OUTBOUND_KINDS if outbound else SECRETS_KINDS
    with within(HANDLER_SECONDS, case.handler):
        try:
            answer = handler(call, data)
        except HostCallError as e:
            require(e.kind in kinds, f"{case.handler} raised an undocumented kind", e.kind)
            require(isinstance(e.message, str) and len(e.message) <= 1000, "a long message")
            for secret in ("hunter2", "Traceback", str(env.folder), SECRETS["API_KEY"]):
                require(secret not in e.message, "a message leaks host text", e.message)
            return
    try:
        json.dumps(answer, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ContractError(f"{case.handler} answered with what is not JSON", str(e)) from e
    if outbound:
        require(
            isinstance(answer, dict)
            and set(answer) == {"status", "headers", "body_b64", "url"}
            and isinstance(answer["status"], int)
            and isinstance(answer["headers"], dict)
            and isinstance(answer["url"], str),
            "http.request answered another shape",
            repr(answer)[:200],
        )
        base64.b64decode(answer["body_b64"], validate=True)
    else:
        require(
            context.get("widget_id") == env.widget and data in SECRETS and data != "Broken",
            "secrets.get answered a secret it should not",
            repr(data),
        )
        require(answer == SECRETS[data], "secrets.get answered another value")


@contextlib.contextmanager
def handlers_session() -> Iterator[Check]:
    with tempfile.TemporaryDirectory(prefix="widgetbox-fuzz-") as folder:
        env = HandlerEnv(Path(folder))
        try:
            yield lambda case: check_handler(case, env)
        finally:
            env.close()


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
        Target("door", check_door.__doc__ or "", door_session, weight=0.3, chunk=50),
        Target("report", check_report.__doc__ or "", report_session, weight=0.15, chunk=200),
        Target(
            "wire",
            inspect.cleandoc(check_wire.__doc__ or "")
            + "\n"
            + inspect.cleandoc(check_handle.__doc__ or ""),
            wire_session,
            weight=0.2,
            chunk=100,
        ),
        Target("handlers", check_handler.__doc__ or "", handlers_session, weight=0.2, chunk=50),
        Target("e2e", check_batch.__doc__ or "", e2e_session, weight=0.15, chunk=10, shrink=False),
    )
}
