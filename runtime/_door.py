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
    MAX_DEPTH,
    RESERVED_PREFIX,
    Bridge,
    HostCall,
    HostCallError,
    error_frame,
    ok_frame,
    parse_request,
)

ANSWERED, FAULT = 0, -2
MASK32 = 0xFFFFFFFF

INTERNAL_FRAME_BYTES = 32 * 1024 * 1024
"""Largest frame for the driver's own two calls (a route's response travels in one)."""
INTERNAL_FRAMES = 2
"""The driver's own calls per run: fetch the job, report the result."""
INTERNAL_DEPTH = 256
"""A result carries a value the codec allows 100 levels deep (a tagged dict is two JSON
levels), inside the frame's own envelope."""
_INTERNAL = b'{"op":"' + RESERVED_PREFIX.encode()
JOB, RESULT = RESERVED_PREFIX + "job", RESERVED_PREFIX + "result"


def host_call(
    bridge: Bridge, caller: Any, ptr: int, length: int, out_ptr: int, out_len: int
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
    bridge: Bridge, act: Activity, caller: Any, memory: Any, ptr: int, length: int
) -> bytes:
    limits = act.limits
    internal = (
        act.internal_frames < INTERNAL_FRAMES
        and length >= len(_INTERNAL)
        and bytes(memory.read(caller, ptr, ptr + len(_INTERNAL))) == _INTERNAL
    )
    if internal:
        if length > INTERNAL_FRAME_BYTES:
            return error_frame("BadRequest", "the result is too large to report")
        act.internal_frames += 1
    else:
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
        frame = bytes(memory.read(caller, ptr, ptr + length))
        op, data = parse_request(frame, INTERNAL_DEPTH if internal else MAX_DEPTH)
    except HostCallError as e:
        return error_frame(e.kind, e.message)
    if internal:
        return _internal(act, op, data)
    if op.startswith(RESERVED_PREFIX):
        return error_frame("UnknownOperation", f"the host has no operation named {op!r}")
    timeout = min(limits.host_call_timeout, act.remaining())
    answer = bridge.dispatch(op, data, HostCall(op=op, context=act.context, timeout=timeout))
    if len(answer) > limits.host_response_bytes:
        return error_frame(
            "LimitExceeded",
            f"the answer to {op!r} is larger than {limits.host_response_bytes:,} bytes",
        )
    return answer


def _internal(act: Activity, op: str, data: Any) -> bytes:
    if op == JOB and act.job is not None:
        job, act.job = act.job, None  # handed over once
        return ok_frame(job)
    if op == RESULT and act.report is None and isinstance(data, dict):
        act.report = data
        return ok_frame(None)
    return error_frame("UnknownOperation", f"the host has no operation named {op!r}")
