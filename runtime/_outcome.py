"""How a run ended, as a status, a message, and its value, response or error.

The driver reports the result as data; everything about it is checked here, since code
running in the guest can reach the same door as the driver and report nonsense. A
malformed report makes the run an error; it never makes the host raise.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass
from typing import Any

import wasmtime

from ._activity import Activity
from ._codec import SerializationError, decode
from ._http import HttpResponse
from ._limits import Limits, MiB
from ._result import Frame, Status, UserError

log = logging.getLogger("widgetbox.runtime")

MEMORY_MARGIN = 1 * MiB
"""A run that ends without a proper report this close to its memory limit ran out of
memory: CPython could not even describe its own MemoryError."""


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
        return _reported(activity.report, limits)
    except (TypeError, ValueError, KeyError, AttributeError, binascii.Error, SerializationError):
        return Outcome(Status.ERROR, "The run reported a malformed result")


def _reported(report: dict[str, Any], limits: Limits) -> Outcome:
    if report.get("status") == "ok":
        response = report.get("response")
        return Outcome(
            Status.OK,
            value=decode(report.get("value")),
            response=http_response(response) if response is not None else None,
        )
    if report.get("status") != "error":
        raise ValueError("unknown status")
    error = user_error(report.get("error"))
    if error.type == "MemoryError":
        return out_of_memory(limits, error)
    if error.type == "SystemExit":
        status = int(report.get("exit_code", 1))
        return Outcome(Status.ERROR, f"The code exited with status {status}", error=error)
    summary = f"{error.type}: {error.message}" if error.message else error.type
    return Outcome(Status.ERROR, summary, error=error)


def user_error(data: Any) -> UserError:
    if not isinstance(data, dict):
        raise TypeError("an error is an object")
    frames = data.get("frames", [])
    if not isinstance(frames, list):
        raise TypeError("frames are a list")
    return UserError(
        type=str(data.get("type", "Exception")),
        message=str(data.get("message", "")),
        traceback=str(data.get("traceback", "")),
        frames=tuple(
            Frame(
                filename=str(frame["filename"]),
                lineno=int(frame["lineno"]),
                name=str(frame.get("name", "")),
                line=str(frame.get("line", "")),
            )
            for frame in frames
        ),
        qualified_type=str(data.get("qualified_type", "")),
    )


def http_response(data: Any) -> HttpResponse:
    if not isinstance(data, dict):
        raise TypeError("a response is an object")
    status = data["status"]
    headers = data.get("headers", {})
    if not isinstance(status, int) or not 100 <= status <= 599 or not isinstance(headers, dict):
        raise ValueError("a response has a status from 100 to 599 and headers")
    clean = {str(k).lower(): str(v) for k, v in headers.items()}
    if any(c in name + value for name, value in clean.items() for c in "\r\n\x00"):
        raise ValueError("header names and values are one line each")
    return HttpResponse(
        status=status,
        headers=clean,
        body=base64.b64decode(data.get("body", ""), validate=True),
    )
