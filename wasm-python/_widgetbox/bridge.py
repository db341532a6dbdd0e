"""The guest end of the bridge: one request frame out, one answer frame back.

Frames are JSON. A request is `{"op": name, "data": value}`; an answer is `{"ok": value}` or
`{"error": {"kind": kind, "message": text}}`, raised here as the matching `HostCallError`
subclass so guest code can catch it.
"""

import json

try:
    import _host  # the interpreter's builtin door to the host

    _door = _host.call
except ImportError:  # ordinary CPython: tests install a door with `set_door`
    _door = None

_dumps = json.dumps
_loads = json.loads


class HostCallError(Exception):
    """A call through the bridge failed; `kind` says how."""

    kind = "HostError"


class BadRequest(HostCallError):
    """The request frame was malformed, too large or too deeply nested."""

    kind = "BadRequest"


class UnknownOperation(HostCallError):
    """The host has no handler by that name."""

    kind = "UnknownOperation"


class LimitExceeded(HostCallError):
    """This run has made as many host calls as it may."""

    kind = "LimitExceeded"


class HostTimeout(HostCallError, TimeoutError):
    """The host did not answer within the call's timeout."""

    kind = "Timeout"


_KINDS = {cls.kind: cls for cls in (HostCallError, BadRequest, UnknownOperation, LimitExceeded)}
_KINDS[HostTimeout.kind] = HostTimeout


def set_door(door):
    """Install the function that carries frames (tests on ordinary CPython)."""
    global _door
    _door = door


def call(op, data=None):
    """Ask the host to perform `op` with `data`; return its answer or raise HostCallError."""
    if _door is None:
        raise HostCallError("no host is connected to this interpreter")
    frame = _dumps({"op": op, "data": data}, separators=(",", ":"), allow_nan=False)
    try:
        answer = _loads(_door(frame.encode("utf-8")))
    except OSError as e:
        raise HostCallError(f"the host could not answer: {e}") from None
    if "error" in answer:
        error = answer["error"]
        kind = error.get("kind", HostCallError.kind)
        exc = _KINDS.get(kind, HostCallError)(error.get("message", kind))
        exc.kind = kind  # a kind the guest has no class for keeps its name
        raise exc
    return answer.get("ok")
