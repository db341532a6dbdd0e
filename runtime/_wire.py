"""Messages between the runtime and its sandbox processes.

Every message is one JSON object (`{"kind": ..., ...}`) sent with length-prefixed framing.
JSON rather than pickle on purpose: a sandbox process runs hostile code, and should it ever
be subverted, what it sends back is data the runtime parses, never objects it unpickles.
Results are re-checked on arrival (`result_in`) for the same reason.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
from typing import Any, TypeVar

from ._codec import decode, encode
from ._http import HttpResponse
from ._limits import Limits, MiB
from ._result import Frame, RunResult, Status, UserError

_T = TypeVar("_T")

MAX_MESSAGE = 128 * MiB
"""Largest message either side accepts: a route's response (up to 32 MiB, base64-encoded)
and a run's output fit with room to spare."""


class WireError(ValueError):
    """A message that does not have the expected shape."""


def pack(kind: str, **fields: Any) -> bytes:
    return json.dumps({"kind": kind, **fields}, separators=(",", ":"), allow_nan=False).encode()


def unpack(data: bytes) -> dict[str, Any]:
    """A message, as strict JSON: `pack` never writes NaN or an infinity, so one that holds
    them (or a number that overflows to one, `1e400`) did not come from `pack`."""
    try:
        message = json.loads(data, parse_constant=_not_json, parse_float=_finite)
    except (ValueError, RecursionError):
        raise WireError("a message is not valid JSON") from None
    if not isinstance(message, dict) or not isinstance(message.get("kind"), str):
        raise WireError("a message is not an object with a kind")
    return message


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("a number overflows")
    return value


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
    return dataclasses.asdict(limits)


def limits_in(data: dict[str, Any]) -> Limits:
    return Limits(**data)


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
