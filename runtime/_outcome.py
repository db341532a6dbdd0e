"""How a run ended, as a status, a message, and its value, response or error.

The driver reports the result as data; everything about it is checked here, since code
running in the guest can reach the same door as the driver and report nonsense. A
malformed report makes the run an error; it never makes the host raise.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from typing import Any

import wasmtime

from ._activity import Activity
from ._codec import decode
from ._http import HttpResponse
from ._limits import Limits, MiB
from ._result import Frame, Status, UserError

log = logging.getLogger("widgetbox.runtime")

MEMORY_MARGIN = 1 * MiB
"""A run that ends without a proper report this close to its memory limit ran out of
memory: CPython could not even describe its own MemoryError."""

MALFORMED = "The run reported a malformed result"
"""Said of any report that fails a check, in these words only: no host text reaches it."""

# What a report may hold. The driver trims its texts to these (`_widgetbox/errors.py`).
MAX_TEXT = 1024
"""Characters of a type name, a file or function name, a source line, a header name."""
MAX_MESSAGE = 64 * 1024
MAX_TRACEBACK = 256 * 1024
MAX_FRAMES = 200
"""The driver sends at most 101 (100 innermost, and where a SyntaxError points)."""
LINES = range(10**7 + 1)
EXIT_CODES = range(-(2**31), 2**31)
"""A C int, as CPython's own exit status is."""
HTTP_STATUSES = range(100, 600)
MAX_HEADERS = 1000
MAX_HEADER = 64 * 1024
"""Characters of one header's value."""


class Malformed(ValueError):
    """A report that is not what the driver sends."""


@dataclass(frozen=True)
class Outcome:
    status: Status
    message: str = ""
    error: UserError | None = None
    value: Any = None
    response: HttpResponse | None = None


def out_of_memory(limits: Limits, error: UserError | None = None) -> Outcome:
    message = f"The run ran out of memory (the limit is {limits.memory // MiB} MiB)"
    return Outcome(Status.MEMORY, message, error=error)


def outcome_of(
    activity: Activity, ended: int | BaseException, limits: Limits, memory_used: int
) -> Outcome:
    """`ended` is the guest's return code, or the exception that ended it."""
    if activity.stop is not None:
        return Outcome(activity.stop.status, activity.stop.message)
    near_limit = memory_used >= limits.memory - MEMORY_MARGIN
    if isinstance(ended, wasmtime.ExitTrap):
        if ended.code == 0:
            return Outcome(Status.OK)
        return Outcome(Status.ERROR, f"The code exited with status {ended.code}")
    if isinstance(ended, wasmtime.Trap):
        if ended.trap_code is wasmtime.TrapCode.OUT_OF_FUEL:
            return Outcome(
                Status.KILLED, f"The run used up its fuel budget of {limits.fuel:,} units"
            )
        if ended.trap_code is wasmtime.TrapCode.STACK_OVERFLOW:
            return Outcome(
                Status.ERROR,
                "The interpreter's stack overflowed (recursion or nesting too deep for C code)",
            )
    if isinstance(ended, BaseException):
        if near_limit:
            return out_of_memory(limits)
        log.warning("guest trapped: %s", str(ended).splitlines()[0])
        return Outcome(Status.ERROR, "The interpreter stopped unexpectedly (a wasm trap)")
    if activity.report is None:
        if near_limit:
            return out_of_memory(limits)
        return Outcome(Status.ERROR, "The run ended without reporting a result")
    try:
        return _streamed(activity, _reported(activity.report, limits))
    except Exception as e:  # the one boundary guest data crosses: nothing may raise past it
        if not isinstance(e, Malformed):
            log.warning("a report failed its checks with %s", type(e).__name__)
        return Outcome(Status.ERROR, MALFORMED)


def _streamed(activity: Activity, outcome: Outcome) -> Outcome:
    """A streamed response is what its chunks said (the door checked them), whatever the
    report says: their head, and their body when they were kept for the result."""
    streamed = activity.streamed
    if streamed is None or outcome.status is not Status.OK:
        return outcome
    head = streamed.head
    body = b"".join(streamed.kept or ())
    return Outcome(Status.OK, response=HttpResponse(head.status, head.headers, body))


def _reported(report: dict[str, Any], limits: Limits) -> Outcome:
    exit_code = _integer(report.get("exit_code", 1), EXIT_CODES, "an exit code")
    status = report.get("status")
    if status == "ok":
        response = report.get("response")
        return Outcome(
            Status.OK,
            value=_value(report.get("value")),
            response=None if response is None else http_response(response),
        )
    if status != "error":
        raise Malformed("a status is ok or error")
    error = user_error(report.get("error"))
    if error.type == "MemoryError":
        return out_of_memory(limits, error)
    if error.type == "SystemExit":
        return Outcome(Status.ERROR, f"The code exited with status {exit_code}", error=error)
    summary = f"{error.type}: {error.message}" if error.message else error.type
    return Outcome(Status.ERROR, summary, error=error)


def _value(data: Any) -> Any:
    """The decoded value. The result crosses back out as JSON, where NaN and the infinities
    have no place: checked on the JSON form, at C speed and without a copy of the tree."""
    try:
        json.dumps(data, allow_nan=False)
        return decode(data)
    except (ValueError, TypeError) as e:  # SerializationError is a ValueError
        raise Malformed(f"a value the codec refuses: {type(e).__name__}") from None


def user_error(data: Any) -> UserError:
    if not isinstance(data, dict):
        raise Malformed("an error is an object")
    frames = data.get("frames", [])
    if not isinstance(frames, list) or len(frames) > MAX_FRAMES:
        raise Malformed(f"frames are a list of at most {MAX_FRAMES}")
    return UserError(
        type=_text(data.get("type", "Exception"), MAX_TEXT, "a type"),
        message=_text(data.get("message", ""), MAX_MESSAGE, "a message"),
        traceback=_text(data.get("traceback", ""), MAX_TRACEBACK, "a traceback"),
        frames=tuple(_frame(frame) for frame in frames),
        qualified_type=_text(data.get("qualified_type", ""), MAX_TEXT, "a type"),
    )


def _frame(data: Any) -> Frame:
    if not isinstance(data, dict):
        raise Malformed("a frame is an object")
    return Frame(
        filename=_text(data.get("filename"), MAX_TEXT, "a file name"),
        lineno=_integer(data.get("lineno"), LINES, "a line number"),
        name=_text(data.get("name", ""), MAX_TEXT, "a function name"),
        line=_text(data.get("line", ""), MAX_TEXT, "a source line"),
    )


def http_response(data: Any) -> HttpResponse:
    if not isinstance(data, dict):
        raise Malformed("a response is an object")
    status = _integer(data.get("status"), HTTP_STATUSES, "an HTTP status")
    headers = data.get("headers", {})
    if not isinstance(headers, dict) or len(headers) > MAX_HEADERS:
        raise Malformed(f"headers are an object of at most {MAX_HEADERS} entries")
    clean = {
        _text(name, MAX_TEXT, "a header name").lower(): _text(value, MAX_HEADER, "a header")
        for name, value in headers.items()
    }
    if any(c in name + value for name, value in clean.items() for c in "\r\n\x00"):
        raise Malformed("header names and values are one line each")
    body = data.get("body", "")  # none: a streamed response's head
    if not isinstance(body, str):  # its length is the frame's to bound
        raise Malformed("a body is base64 text")
    try:
        return HttpResponse(status, clean, base64.b64decode(body, validate=True))
    except ValueError:  # binascii.Error, or text that is not ASCII
        raise Malformed("a body is base64 text") from None


def _text(value: Any, limit: int, what: str) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise Malformed(f"{what} is text of at most {limit:,} characters")
    return value


def _integer(value: Any, allowed: range, what: str) -> int:
    if type(value) is not int or value not in allowed:  # not a bool, nor a float
        raise Malformed(f"{what} is an integer from {allowed.start} to {allowed.stop - 1}")
    return value
