"""Messages between the runtime and its sandbox processes, declared once.

Every kind of message either side sends is a frozen dataclass below, with its fields and
their types: `TO_PROCESS` holds the runtime's (run, cancel, answer, compile,
compile_packages, wait_ready, close), `FROM_PROCESS` a process's (ready, failed_to_start,
output, chunk, call, lacking, done, failed, log, compiled, packages_compiled, not_compiled,
pool). Both sides build the same classes; `pack` writes one as a JSON object (`{"kind": ..., field:
value, ...}`, sent with length-prefixed framing) and `unpack` reads it back, checked on
arrival: a kind the receiver does not expect, a field missing, extra or misspelt, or a
value of the wrong type is a WireError, so nothing malformed passes silently. Each side
handles a message by its class, through a table (`SandboxProcess._HANDLERS`,
`Worker._HANDLERS`).

JSON rather than pickle on purpose: a sandbox process runs hostile code, and should it ever
be subverted, what it sends back is data the runtime parses, never objects it unpickles.
Results are re-checked field by field on arrival (`result_in`) for the same reason.
"""

from __future__ import annotations

import base64
import dataclasses
import itertools
import json
import math
import sys
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, NamedTuple, TypeVar

from ._bridge import HostCallError, check_frame
from ._codec import decode, encode
from ._http import HttpResponse, ResponseChunk
from ._jobs import Persistent
from ._limits import Limits, MiB
from ._result import Frame, RunResult, Status, UserError

_T = TypeVar("_T")
_M = TypeVar("_M", bound="Message")

MAX_MESSAGE = 128 * MiB
"""Largest message either side accepts: a route's response (up to 32 MiB, base64-encoded)
and a run's output fit with room to spare."""

MAX_DEPTH_IN = 300
"""Deepest nesting of a message from the side that runs hostile code: a result's value is at
most 256 levels (`_door.RESULT_DEPTH`) inside the message's own few."""
MAX_VALUES_IN = 300_000
"""Most values in such a message: a call's value holds at most 250,000 (`_door.REPORT_CAPS`),
a result's frames, headers and other fields a few thousand more."""

Lane = Literal["interactive", "batch"]
"""The lanes of runs (and the roles of sandbox processes): HTTP routes and server calls, or
scripts and background compiles."""
INTERACTIVE: Lane = "interactive"
BATCH: Lane = "batch"
Stream = Literal["stdout", "stderr"]


class WireError(ValueError):
    """A message that does not have the expected shape."""


class Message:
    """One message: a frozen dataclass declared below, with its `kind`."""

    __slots__ = ()
    kind: ClassVar[str]


Kinds = Mapping[str, type[Message]]
"""The messages one side accepts, by kind."""
TO_PROCESS: dict[str, type[Message]] = {}
"""What the runtime sends a sandbox process."""
FROM_PROCESS: dict[str, type[Message]] = {}
"""What a sandbox process sends the runtime."""


def pack(message: Message) -> bytes:
    fields = _record(type(message)).out(message)
    return json.dumps(
        {"kind": message.kind, **fields}, separators=(",", ":"), allow_nan=False
    ).encode()


def unpack(data: bytes, kinds: Kinds) -> Message:
    """The message `data` holds, if it is one of `kinds` with exactly its fields, each of its
    type. Strict JSON: `pack` never writes NaN or an infinity, so a message that holds them
    (or a number that overflows to one, `1e400`) did not come from `pack`."""
    try:
        message = json.loads(data, parse_constant=_not_json, parse_float=_finite)
    except (ValueError, RecursionError):
        raise WireError("a message is not valid JSON") from None
    if not isinstance(message, dict) or not isinstance(message.get("kind"), str):
        raise WireError("a message is not an object with a kind")
    kind = message.pop("kind")
    declared = kinds.get(kind)
    if declared is None:
        raise WireError(f"unexpected message kind {kind[:40]!r}")
    try:
        return typing.cast(Message, _record(declared).into(message))
    except (TypeError, ValueError, OverflowError) as e:  # a WireError is a ValueError
        raise WireError(f"a malformed {kind!r} message: {e}") from None


def unpack_bounded(data: bytes, kinds: Kinds) -> Message:
    """`unpack` for a message from a sandbox process or a worker, refused (WireError) before
    it is decoded when it nests deeper or holds more values than an honest one can: should
    that side be subverted, decoding `[[],[],...]` of the largest message would cost the
    host gigabytes and seconds (`check_frame` is linear, at C speed)."""
    try:
        check_frame(data, MAX_DEPTH_IN, MAX_VALUES_IN, "message")
    except HostCallError as e:
        raise WireError(e.message) from None
    return unpack(data, kinds)


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("a number overflows")
    return value


# -- what the runtime sends ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunRequest:
    """One run as the runtime asks a sandbox process for it: everything about it that
    crosses the process boundary (its listener, its cancel and the context its host calls
    are answered with stay in the runtime). The same for whichever process runs it."""

    job: dict[str, Any]
    """The job's payload for the guest's driver (`Job.payload()`)."""
    bundle: str
    """The digest of the widget's files and their bytecode (see `_bundles`)."""
    files: dict[str, str] | None
    """The widget's files, by relative path; None when the process is believed to hold
    them (`bundle`): it answers Lacking if it does not."""
    limits: Limits
    bytecode: dict[str, bytes] | None
    """Compiled bytecode for these files, by relative .pyc path (often empty); None with
    `files`."""
    lane: Lane
    """"batch" for scripts (which run at a lower priority), else "interactive"."""
    packages: Path | None
    """The folder of installed packages the guest mounts, if any."""
    stream: bool = False
    """Whether a streamed response's chunks are sent as they come (Chunk), for the caller's
    `on_chunk`; otherwise they are joined into the result's response."""
    persistent: Persistent | None = None
    """For a call or a route in persistent mode: run it in the warm interpreter the process
    keeps for this key (see `_warm`)."""


def declarer(
    *protocol: dict[str, type[Message]],
) -> Callable[[dict[str, type[Message]], str], Callable[[type[_M]], type[_M]]]:
    """The class decorator of a protocol whose messages are registered in `protocol`'s
    tables (one per direction): `@declare(TABLE, "kind")`, a kind unique across them all
    (this wire's, and NATS workers' in `remote/_messages.py`)."""

    def declare_in(kinds: dict[str, type[Message]], kind: str) -> Callable[[type[_M]], type[_M]]:
        def declare(cls: type[_M]) -> type[_M]:
            if any(kind in table for table in protocol):
                raise TypeError(f"the message kind {kind!r} is declared twice")
            cls.kind = kind
            kinds[kind] = cls
            return cls

        return declare

    return declare_in


_declare = declarer(TO_PROCESS, FROM_PROCESS)


@_declare(TO_PROCESS, "run")
@dataclass(frozen=True, slots=True)
class Run(Message):
    """Run `request` as run `run`; the guest must have stopped by `deadline`
    (`time.monotonic()`, a clock both processes share), counted from when it was sent."""

    run: int
    request: RunRequest
    deadline: float


@_declare(TO_PROCESS, "cancel")
@dataclass(frozen=True, slots=True)
class Cancel(Message):
    """Stop run `run` (it ends as killed within a tick)."""

    run: int


@_declare(TO_PROCESS, "answer")
@dataclass(frozen=True, slots=True)
class Answer(Message):
    """The frame answering the forwarded host call `call`."""

    call: int
    frame: str


@_declare(TO_PROCESS, "compile")
@dataclass(frozen=True, slots=True)
class Compile(Message):
    """Compile a widget's files to bytecode (answered by Compiled or NotCompiled)."""

    id: int
    files: dict[str, str]


@_declare(TO_PROCESS, "compile_packages")
@dataclass(frozen=True, slots=True)
class CompilePackages(Message):
    """Compile a folder of installed packages in place (answered by PackagesCompiled or
    NotCompiled)."""

    id: int
    folder: Path


@_declare(TO_PROCESS, "wait_ready")
@dataclass(frozen=True, slots=True)
class WaitReady(Message):
    """Answer (Pool) when the pool holds its share of started guests, or after `timeout`."""

    id: int
    timeout: float


@_declare(TO_PROCESS, "close")
@dataclass(frozen=True, slots=True)
class Close(Message):
    """Stop every run (they end as killed) and exit."""


# -- what a sandbox process sends ------------------------------------------------------------


@_declare(FROM_PROCESS, "ready")
@dataclass(frozen=True, slots=True)
class Ready(Message):
    """The process has started (only ever its first message, if it is not FailedToStart;
    Log messages may come before it)."""

    pid: int


@_declare(FROM_PROCESS, "failed_to_start")
@dataclass(frozen=True, slots=True)
class FailedToStart(Message):
    message: str
    error: str
    """The exception's class name."""


@_declare(FROM_PROCESS, "output")
@dataclass(frozen=True, slots=True)
class Output(Message):
    """What run `run` printed, as it printed it."""

    run: int
    stream: Stream
    text: str


@_declare(FROM_PROCESS, "chunk")
@dataclass(frozen=True, slots=True)
class Chunk(Message):
    """A piece of run `run`'s streamed HTTP response, as its route yielded it (the first
    with the response's status and headers), sent when the request asked for them as they
    come (`RunRequest.stream`). Checked again on arrival, and counted against the run's
    `Limits.stream_bytes`."""

    run: int
    chunk: ResponseChunk


@_declare(FROM_PROCESS, "call")
@dataclass(frozen=True, slots=True)
class Call(Message):
    """A guest's host call, forwarded: answered by Answer with the same `call`."""

    run: int
    call: int
    op: str
    data: Any
    timeout: float
    """Seconds the guest waits for its answer (the runtime never allows more than what is
    left of the run)."""


@_declare(FROM_PROCESS, "lacking")
@dataclass(frozen=True, slots=True)
class Lacking(Message):
    """Run `run` came without its files, and the process does not hold its bundle: the
    runtime sends the run again with them."""

    run: int


@_declare(FROM_PROCESS, "done")
@dataclass(frozen=True, slots=True)
class Done(Message):
    run: int
    result: RunResult


@_declare(FROM_PROCESS, "failed")
@dataclass(frozen=True, slots=True)
class Failed(Message):
    """The sandbox process could not run the run (the run did not end by itself)."""

    run: int
    message: str


@_declare(FROM_PROCESS, "log")
@dataclass(frozen=True, slots=True)
class Log(Message):
    """One of the process's log records, for the runtime's log."""

    level: int
    name: str
    text: str


@_declare(FROM_PROCESS, "compiled")
@dataclass(frozen=True, slots=True)
class Compiled(Message):
    """Answers Compile: the pyc files, by relative path."""

    id: int
    pyc: dict[str, bytes]


@_declare(FROM_PROCESS, "packages_compiled")
@dataclass(frozen=True, slots=True)
class PackagesCompiled(Message):
    """Answers CompilePackages: how many modules were compiled."""

    id: int
    modules: int


@_declare(FROM_PROCESS, "not_compiled")
@dataclass(frozen=True, slots=True)
class NotCompiled(Message):
    """Answers Compile or CompilePackages: why it failed (`quiet`: not worth a warning)."""

    id: int
    error: str
    quiet: bool


@_declare(FROM_PROCESS, "pool")
@dataclass(frozen=True, slots=True)
class Pool(Message):
    """Answers WaitReady."""

    id: int
    ready: bool
    guests: int
    """Started guests waiting in the pool when it answered (spares for packages aside)."""


Reply = Compiled | PackagesCompiled | NotCompiled | Pool
"""The messages that answer a request (by its `id`)."""


# -- fields ----------------------------------------------------------------------------------


class _Codec(NamedTuple):
    out: Callable[[Any], Any]
    """The value as JSON-ready data."""
    into: Callable[[Any], Any]
    """The value from what arrived; raises TypeError or ValueError (WireError) when it is
    not one."""


class _Record:
    """A dataclass's fields on the wire: a JSON object with exactly its fields."""

    def __init__(self, cls: type[Any]) -> None:
        hints = typing.get_type_hints(cls)
        self.cls = cls
        self.fields = tuple((f.name, _codec(hints[f.name])) for f in dataclasses.fields(cls))
        self.names = frozenset(name for name, _ in self.fields)

    def out(self, value: Any) -> dict[str, Any]:
        return {name: codec.out(getattr(value, name)) for name, codec in self.fields}

    def into(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise WireError(f"expected an object ({self.cls.__name__})")
        if data.keys() != self.names:
            missing = sorted(self.names - data.keys())
            extra = [repr(name)[:40] for name in itertools.islice(data.keys() - self.names, 5)]
            raise WireError(
                "; ".join(
                    ([f"missing {', '.join(missing)}"] if missing else [])
                    + ([f"unexpected {', '.join(extra)}"] if extra else [])
                )
            )
        values = {}
        for name, codec in self.fields:
            try:
                values[name] = codec.into(data[name])
            except (TypeError, ValueError, OverflowError) as e:
                raise WireError(f"{name}: {e}") from None
        return self.cls(**values)


_RECORDS: dict[type[Any], _Record] = {}


def _record(cls: type[Any]) -> _Record:
    record = _RECORDS.get(cls)
    if record is None:
        record = _RECORDS[cls] = _Record(cls)
    return record


def _same(value: Any) -> Any:
    return value


def _int(value: Any) -> int:
    return _typed(value, int)


def _float(value: Any) -> float:
    """A number of seconds; an integer beyond a float's range saturates (it means "never")."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    if isinstance(value, int) and abs(value) > sys.float_info.max:
        return sys.float_info.max if value > 0 else -sys.float_info.max
    return float(value)


def _path(value: Any) -> Path:
    return Path(_typed(value, str))


def _codec(hint: Any) -> _Codec:
    known = _KNOWN.get(hint)
    if known is not None:
        return known
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Literal:
        return _Codec(_same, lambda value: _one_of(value, args))
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        inner = _codec(args[0] if args[1] is type(None) else args[1])
        return _Codec(
            lambda value: None if value is None else inner.out(value),
            lambda value: None if value is None else inner.into(value),
        )
    if origin is dict and args[:1] == (str,):
        values = _codec(args[1])
        return _Codec(
            _same if values.out is _same else lambda value: _mapped(value, values.out),
            lambda value: _mapped(value, values.into),
        )
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        record = _record(hint)
        return _Codec(record.out, record.into)
    raise TypeError(f"the wire cannot carry {hint!r}")


def _one_of(value: Any, allowed: tuple[Any, ...]) -> Any:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"expected one of {allowed}")
    return value


def _mapped(value: Any, convert: Callable[[Any], Any]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return {_typed(key, str): convert(item) for key, item in value.items()}


def bytes_out(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def bytes_in(text: Any) -> bytes:
    if not isinstance(text, str):
        raise WireError("expected base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise WireError("bad base64 text") from None


def limits_out(limits: Limits) -> dict[str, Any]:
    return _record(Limits).out(limits)


def limits_in(data: Any) -> Limits:
    """Limits as they arrived: exactly their fields, each of its type, and valid."""
    try:
        return typing.cast(Limits, _record(Limits).into(data))
    except (TypeError, ValueError) as e:
        raise WireError(f"malformed limits: {e}") from None


def result_out(result: RunResult) -> dict[str, Any]:
    response = result.response
    return {
        "status": result.status.value,
        "stdout": result.stdout,
        "stderr": result.stderr,
        "wall_time": result.wall_time,
        "fuel": result.fuel,
        "peak_memory": result.peak_memory,
        "host_calls": result.host_calls,
        "value": encode(result.value),
        "response": None
        if response is None
        else {
            "status": response.status,
            "headers": dict(response.headers),
            "body": bytes_out(response.body),
        },
        "error": None if result.error is None else dataclasses.asdict(result.error),
        "message": result.message,
        "output_truncated": result.output_truncated,
    }


def result_in(data: Any) -> RunResult:
    """The RunResult a sandbox process reported, checked field by field."""
    try:
        return _result_in(data)
    except (KeyError, TypeError, ValueError, OverflowError) as e:  # float(10**400) overflows
        raise WireError(f"a malformed run result: {e}") from None


def _result_in(data: dict[str, Any]) -> RunResult:
    response = data["response"]
    error = data["error"]
    return RunResult(
        status=Status(data["status"]),
        stdout=_typed(data["stdout"], str),
        stderr=_typed(data["stderr"], str),
        wall_time=float(data["wall_time"]),
        fuel=None if data["fuel"] is None else _typed(data["fuel"], int),
        peak_memory=_typed(data["peak_memory"], int),
        host_calls=_typed(data["host_calls"], int),
        value=decode(data["value"]),
        response=None
        if response is None
        else HttpResponse(
            status=_typed(response["status"], int),
            headers=_strings(response["headers"]),
            body=bytes_in(response["body"]),
        ),
        error=None
        if error is None
        else UserError(
            type=_typed(error["type"], str),
            message=_typed(error["message"], str),
            traceback=_typed(error["traceback"], str),
            frames=tuple(
                Frame(
                    filename=_typed(frame["filename"], str),
                    lineno=_typed(frame["lineno"], int),
                    name=_typed(frame["name"], str),
                    line=_typed(frame["line"], str),
                )
                for frame in error["frames"]
            ),
            qualified_type=_typed(error["qualified_type"], str),
        ),
        message=_typed(data["message"], str),
        output_truncated=_typed(data["output_truncated"], bool),
    )


def _typed(value: Any, kind: type[_T]) -> _T:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise TypeError("expected a dict of strings")
    return value


_KNOWN: dict[Any, _Codec] = {
    int: _Codec(_same, _int),
    float: _Codec(_same, _float),
    str: _Codec(_same, lambda value: _typed(value, str)),
    bool: _Codec(_same, lambda value: _typed(value, bool)),
    bytes: _Codec(bytes_out, bytes_in),
    Any: _Codec(_same, _same),
    Path: _Codec(str, _path),
    RunResult: _Codec(result_out, result_in),
}
"""The types the wire carries as they are, or in a form of their own."""

for _declared in (*TO_PROCESS.values(), *FROM_PROCESS.values()):
    _record(_declared)  # a field the wire cannot carry fails here, at import
