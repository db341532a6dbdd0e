"""`host.call`, the guest's one door to the host, answered for the current run.

The guest passes a frame's address and length and two out-pointers; the answer is written
into memory the guest allocates with its `host_alloc` export. Return values: 0 answered,
-2 fault (the guest raises OSError). Every check happens before the frame is copied out.

Four operations are the runtime's own (`widgetbox.`): `job` hands the run's job over once,
`result` takes the driver's report, `file` hands over one of the widget's code files or
its bytecode as bytes (which the guest imports: see `_widgetbox/imports.py`), and `chunk`
takes one piece of a route's streamed response (`{"body": base64}`, the first also with `"status"`
and `"headers"`), checked here (the run's mode, each chunk's size and the stream's total,
the head as a report's response is checked) and passed to the run's `on_chunk` at once,
or kept for its result.
"""

from __future__ import annotations

import base64
import ctypes
import struct
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from ._activity import Activity, Streamed, current
from ._bridge import (
    RESERVED_PREFIX,
    Dispatcher,
    HostCall,
    HostCallError,
    bytes_frame,
    error_frame,
    ok_frame,
    parse_request,
)
from ._http import ResponseChunk
from ._limits import MiB
from ._outcome import Malformed, http_response

ANSWERED, FAULT = 0, -2
MASK32 = 0xFFFFFFFF


@dataclass(frozen=True)
class ReportCap:
    """How large a result report may be for a run of one mode, checked before decoding."""

    max_bytes: int
    max_values: int
    """Containers and scalars (an object's keys aside), counted by `check_frame`: what a
    decoded tree costs in memory and time, whatever its bytes."""


REPORT_CAPS = {
    "route": ReportCap(32 * MiB, 10_000),
    "call": ReportCap(8 * MiB, 250_000),
    "script": ReportCap(1 * MiB, 10_000),
    "task": ReportCap(1 * MiB, 250_000),
}
"""A route's whole response travels in its report, but its body is one base64 string, so
32 MiB needs only a status and headers beside it; a call's value is a tree of up to 8 MiB;
a script reports only how it ended; a background task its return value, which the host keeps
for `Task.get_return_value` (so at most 1 MiB). Every cap holds the driver's largest error
report (`_widgetbox/errors.py` trims it), and the refusal it falls back to."""
RESULT_FRAMES = 3
"""Result reports accepted per run; the driver sends one (two when the first is refused).
The last one wins, so code that reports early cannot hide the driver's report; code that
reports too often spoils the run's result rather than choosing it."""
RESULT_DEPTH = 256
"""A result carries a value the codec allows 100 levels deep (a tagged dict is two JSON
levels), inside the frame's own envelope."""
JOB, RESULT, FILE = RESERVED_PREFIX + "job", RESERVED_PREFIX + "result", RESERVED_PREFIX + "file"
CHUNK = RESERVED_PREFIX + "chunk"
_CHUNK_KEYS, _HEAD_KEYS = frozenset({"body"}), frozenset({"body", "status", "headers"})
_JOB_FRAME = b'{"op":"' + JOB.encode() + b'","data":null}'  # exactly what the driver sends
_RESULT_START = b'{"op":"' + RESULT.encode() + b'"'

_FILE_START = b'{"op":"' + FILE.encode() + b'"'
_FILE_REQUEST_BYTES = 8192
"""A file's request names one relative path: far less than this."""
_CODE_SUFFIXES = (".py", ".pyc")

_modes: WeakKeyDictionary[Activity, str] = WeakKeyDictionary()
"""The mode of each run whose job has been handed over (which the job itself no longer
says once it is): it chooses the run's report cap."""


def host_call(
    bridge: Dispatcher, caller: Any, ptr: int, length: int, out_ptr: int, out_len: int
) -> int:
    act = current()
    act.stop_if_requested()  # a call after the deadline or a cancel ends the guest
    ptr, length, out_ptr, out_len = (
        ptr & MASK32,
        length & MASK32,
        out_ptr & MASK32,
        out_len & MASK32,
    )
    exports = act.exports
    memory = exports.memory if exports is not None else caller["memory"]
    size = memory.data_len(caller)
    if ptr + length > size or out_ptr + 4 > size or out_len + 4 > size:
        return FAULT
    answer = _answer(bridge, act, caller, memory, ptr, length)
    act.stop_if_requested()  # the handler may have used up the run's time
    alloc = exports.alloc if exports is not None else caller["host_alloc"]
    address = alloc(caller, len(answer)) & MASK32
    # The guest's memory may have grown (and moved) in `host_alloc`: its base and size now.
    base = ctypes.addressof(memory.data_ptr(caller).contents)
    if not address or address + len(answer) > memory.data_len(caller):
        return FAULT
    ctypes.memmove(base + address, answer, len(answer))
    ctypes.memmove(base + out_ptr, _U32.pack(address), 4)
    ctypes.memmove(base + out_len, _U32.pack(len(answer)), 4)
    return ANSWERED


_U32 = struct.Struct("<I")


def _answer(
    bridge: Dispatcher, act: Activity, caller: Any, memory: Any, ptr: int, length: int
) -> bytes:
    if act.job is not None and length == len(_JOB_FRAME) and _peek(memory, caller, ptr, _JOB_FRAME):
        job, act.job = act.job, None  # handed over once, before any widget code runs
        _modes[act] = str(job.get("mode"))
        return ok_frame(job)
    if length >= len(_RESULT_START) and _peek(memory, caller, ptr, _RESULT_START):
        return _result(act, memory, caller, ptr, length)
    if length >= len(_FILE_START) and _peek(memory, caller, ptr, _FILE_START):
        return _file(act, memory, caller, ptr, length)
    limits = act.limits
    if act.host_calls >= limits.host_calls:
        return error_frame(
            "LimitExceeded", f"this run may make at most {limits.host_calls} host calls"
        )
    act.host_calls += 1
    if length > limits.host_request_bytes:
        return error_frame(
            "BadRequest",
            f"a request may be at most {limits.host_request_bytes:,} bytes, not {length:,}",
        )
    try:
        op, data = parse_request(memory.read(caller, ptr, ptr + length))
    except HostCallError as e:
        return error_frame(e.kind, e.message)
    if op == CHUNK:
        return _chunk(act, data)
    if op.startswith(RESERVED_PREFIX):
        return error_frame("UnknownOperation", f"the host has no operation named {op!r}")
    timeout = min(limits.host_call_timeout, act.remaining())
    with act.waiting():
        answer = bridge.dispatch(
            op, data, HostCall(op=op, context=act.context, timeout=timeout), act.abandoned
        )
    if len(answer) > limits.host_response_bytes:
        return error_frame(
            "LimitExceeded",
            f"the answer to {op!r} is larger than {limits.host_response_bytes:,} bytes",
        )
    return answer


def _file(act: Activity, memory: Any, caller: Any, ptr: int, length: int) -> bytes:
    """One of the widget's code files or its bytecode, as bytes (`bytes_frame`), for the
    guest's import of it (`_widgetbox/imports.py`): what the guest could read from /widget,
    without the file calls. Not counted as a host call, as reading the file would not be;
    each answer is no larger than a file of the widget's, and only code is served."""
    if length > _FILE_REQUEST_BYTES:
        return error_frame("BadRequest", "a file's request names one relative path")
    try:
        op, relative = parse_request(memory.read(caller, ptr, ptr + length))
    except HostCallError as e:
        return error_frame(e.kind, e.message)
    if op != FILE:
        return error_frame("UnknownOperation", f"the host has no operation named {op!r}")
    content = act.files.get(relative) if isinstance(relative, str) else None
    if content is None or not relative.endswith(_CODE_SUFFIXES):
        return error_frame("NotFound", f"the widget has no code file {relative!r}")
    return bytes_frame(content)


def _chunk(act: Activity, data: Any) -> bytes:
    """One piece of the run's streamed response, counted as a host call (so a run sends at
    most `Limits.host_calls` of them) and bounded in size, each and in all."""
    if _modes.get(act) != "route":
        return error_frame("BadRequest", "only an HTTP route can stream its response")
    streamed = act.streamed
    keys = _CHUNK_KEYS if streamed is not None else _HEAD_KEYS
    if not isinstance(data, dict) or data.keys() != keys or not isinstance(data["body"], str):
        return error_frame(
            "BadRequest",
            'a chunk is {"body": base64 text}, the first with the response\'s "status" and '
            '"headers" too',
        )
    limits = act.limits
    if len(data["body"]) > (limits.stream_chunk_bytes + 2) // 3 * 4:  # before decoding it
        return _chunk_too_large(limits.stream_chunk_bytes)
    try:
        body = base64.b64decode(data["body"], validate=True)
    except ValueError:
        return error_frame("BadRequest", "a chunk's body is base64 text")
    if len(body) > limits.stream_chunk_bytes:
        return _chunk_too_large(limits.stream_chunk_bytes)
    head = None
    if streamed is None:
        try:
            head = http_response({"status": data["status"], "headers": data["headers"]})
        except Malformed as e:
            return error_frame("BadRequest", f"the streamed response's head: {e}")
        streamed = Streamed(head, kept=None if act.on_chunk is not None else [])
    # kept chunks become the result's body, which a route's report bounds
    cap = limits.stream_bytes if streamed.kept is None else min(limits.stream_bytes, _KEPT)
    if streamed.sent + len(body) > cap:
        return error_frame(
            "LimitExceeded", f"a streamed response may carry at most {cap:,} bytes in all"
        )
    act.streamed = streamed
    streamed.sent += len(body)
    if streamed.kept is not None:
        streamed.kept.append(body)
    elif act.on_chunk is not None:
        chunk = (
            ResponseChunk(body)
            if head is None
            else ResponseChunk(body, head.status, dict(head.headers))
        )
        act.on_chunk(chunk)
    return ok_frame(None)


def _chunk_too_large(limit: int) -> bytes:
    return error_frame(
        "LimitExceeded", f"a chunk of a streamed response may be at most {limit:,} bytes"
    )


_KEPT = 32 * MiB
"""Bytes of a streamed response kept for the result when no one takes them as they come."""


def _peek(memory: Any, caller: Any, ptr: int, expected: bytes) -> bool:
    return bytes(memory.read(caller, ptr, ptr + len(expected))) == expected


def report_cap(act: Activity) -> ReportCap:
    """The cap for this run's reports; a run whose job was not handed over yet (no widget
    code has run) gets the smallest."""
    return REPORT_CAPS.get(_modes.get(act, "script"), REPORT_CAPS["script"])


def _result(act: Activity, memory: Any, caller: Any, ptr: int, length: int) -> bytes:
    act.result_frames += 1
    if act.result_frames > RESULT_FRAMES:
        act.report = None
        return error_frame("LimitExceeded", "the result was reported too many times")
    cap = report_cap(act)
    if length > cap.max_bytes:
        return error_frame(
            "BadRequest", f"a result may be at most {cap.max_bytes:,} bytes to report"
        )
    try:
        frame = memory.read(caller, ptr, ptr + length)  # a copy already: no bytes() of it
        _op, data = parse_request(frame, RESULT_DEPTH, cap.max_values, "result")
    except HostCallError as e:
        return error_frame(e.kind, e.message)
    if not isinstance(data, dict):
        return error_frame("BadRequest", "a result is a JSON object")
    act.report = data
    return ok_frame(None)
