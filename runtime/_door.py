"""`host.call`, the guest's one door to the host, answered for the current run.

The guest passes a frame's address and length and two out-pointers; the answer is written
into memory the guest allocates with its `host_alloc` export. Return values: 0 answered,
-2 fault (the guest raises OSError). Every check happens before the frame is copied out.
"""

from __future__ import annotations

import struct
from typing import Any

from ._activity import Activity, current
from ._bridge import (
    RESERVED_PREFIX,
    Dispatcher,
    HostCall,
    HostCallError,
    error_frame,
    ok_frame,
    parse_request,
)

ANSWERED, FAULT = 0, -2
MASK32 = 0xFFFFFFFF

RESULT_FRAME_BYTES = 32 * 1024 * 1024
"""Largest result report (a route's whole response travels in one)."""
RESULT_FRAMES = 3
"""Result reports accepted per run; the driver sends one (two when the first is refused).
The last one wins, so code that reports early cannot hide the driver's report; code that
reports too often spoils the run's result rather than choosing it."""
RESULT_DEPTH = 256
"""A result carries a value the codec allows 100 levels deep (a tagged dict is two JSON
levels), inside the frame's own envelope."""
JOB, RESULT = RESERVED_PREFIX + "job", RESERVED_PREFIX + "result"
_JOB_FRAME = b'{"op":"' + JOB.encode() + b'","data":null}'  # exactly what the driver sends
_RESULT_START = b'{"op":"' + RESULT.encode() + b'"'


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
    memory = caller["memory"]
    size = memory.data_len(caller)
    if ptr + length > size or out_ptr + 4 > size or out_len + 4 > size:
        return FAULT
    answer = _answer(bridge, act, caller, memory, ptr, length)
    act.stop_if_requested()  # the handler may have used up the run's time
    address = caller["host_alloc"](caller, len(answer)) & MASK32
    if not address or address + len(answer) > memory.data_len(caller):
        return FAULT
    memory.write(caller, answer, address)
    memory.write(caller, struct.pack("<I", address), out_ptr)
    memory.write(caller, struct.pack("<I", len(answer)), out_len)
    return ANSWERED


def _answer(
    bridge: Dispatcher, act: Activity, caller: Any, memory: Any, ptr: int, length: int
) -> bytes:
    if act.job is not None and length == len(_JOB_FRAME) and _peek(memory, caller, ptr, _JOB_FRAME):
        job, act.job = act.job, None  # handed over once, before any widget code runs
        return ok_frame(job)
    if length >= len(_RESULT_START) and _peek(memory, caller, ptr, _RESULT_START):
        return _result(act, memory, caller, ptr, length)
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
        op, data = parse_request(bytes(memory.read(caller, ptr, ptr + length)))
    except HostCallError as e:
        return error_frame(e.kind, e.message)
    if op.startswith(RESERVED_PREFIX):
        return error_frame("UnknownOperation", f"the host has no operation named {op!r}")
    timeout = min(limits.host_call_timeout, act.remaining())
    answer = bridge.dispatch(
        op, data, HostCall(op=op, context=act.context, timeout=timeout), act.abandoned
    )
    if len(answer) > limits.host_response_bytes:
        return error_frame(
            "LimitExceeded",
            f"the answer to {op!r} is larger than {limits.host_response_bytes:,} bytes",
        )
    return answer


def _peek(memory: Any, caller: Any, ptr: int, expected: bytes) -> bool:
    return bytes(memory.read(caller, ptr, ptr + len(expected))) == expected


def _result(act: Activity, memory: Any, caller: Any, ptr: int, length: int) -> bytes:
    act.result_frames += 1
    if act.result_frames > RESULT_FRAMES:
        act.report = None
        return error_frame("LimitExceeded", "the result was reported too many times")
    if length > RESULT_FRAME_BYTES:
        return error_frame(
            "BadRequest", f"a result may be at most {RESULT_FRAME_BYTES:,} bytes to report"
        )
    try:
        _op, data = parse_request(bytes(memory.read(caller, ptr, ptr + length)), RESULT_DEPTH)
    except HostCallError as e:
        return error_frame(e.kind, e.message)
    if not isinstance(data, dict):
        return error_frame("BadRequest", "a result is a JSON object")
    act.report = data
    return ok_frame(None)
