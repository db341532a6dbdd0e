"""The guest end of the bridge: one request frame out, one answer frame back.

Frames are JSON. A request is `{"op": name, "data": value}`; an answer is `{"ok": value}` or
`{"error": {"kind": kind, "message": text}}`, raised here as the matching `HostCallError`
subclass so guest code can catch it. An operation whose answer is bytes (a widget's file)
may be answered with those bytes after `BYTES_MARK` instead (`call_for_bytes`).
"""

from json.decoder import JSONDecoder
from json.encoder import JSONEncoder, c_make_encoder, encode_basestring_ascii
from json.scanner import make_scanner

try:
    import _host  # the interpreter's builtin door to the host

    _door = _host.call
except ImportError:  # ordinary CPython: tests install a door with `set_door`
    _door = None

BYTES_MARK = b"="
"""Opens an answer that is bytes, not a JSON frame (the host's runtime/_bridge.py has the
same mark)."""

_unencodable = JSONEncoder().default  # its TypeError names a value JSON has no form for
_scan = make_scanner(JSONDecoder())


def _dumps(value):
    """`json.dumps(value, separators=(",", ":"), allow_nan=False)`, the same text, made by
    the C encoder that call builds: `json.dumps` given any option first builds a
    `JSONEncoder` in Python, most of what a small frame cost (about 60,000 units of fuel of
    a fresh hello route's 1.3 million). A fresh `markers` each time: the encoder leaves
    entries behind when it fails, and they would make a later frame look circular."""
    encode = c_make_encoder(
        {}, _unencodable, encode_basestring_ascii, None, ":", ",", False, False, False
    )
    return "".join(encode(value, 0))


def _loads(frame):
    """The host's answer frame, as `json.loads` reads it, without its Python steps (a
    bytes frame's encoding guessed, whitespace skipped): the host writes ASCII JSON with
    nothing around it."""
    text = str(frame, "utf-8")
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        raise ValueError("the host's answer is not a JSON value") from None
    if end != len(text):
        raise ValueError("the host's answer has more after its JSON value")
    return value


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
    return _value(_ask(op, data))


def call_for_bytes(op, data=None):
    """`call` for an operation the host answers with bytes (the runtime's `widgetbox.file`):
    those bytes, or HostCallError."""
    answer = _ask(op, data)
    if answer[:1] == BYTES_MARK:
        return answer[1:]
    _value(answer)  # raises the host's error
    raise HostCallError(f"the host answered {op!r} with a value, not bytes")


def _ask(op, data):
    if _door is None:
        raise HostCallError("no host is connected to this interpreter")
    frame = _dumps({"op": op, "data": data})
    try:
        return _door(frame.encode("utf-8"))
    except OSError as e:
        raise HostCallError(f"the host could not answer: {e}") from None


def _value(frame):
    answer = _loads(frame)
    if "error" in answer:
        error = answer["error"]
        kind = error.get("kind", HostCallError.kind)
        exc = _KINDS.get(kind, HostCallError)(error.get("message", kind))
        exc.kind = kind  # a kind the guest has no class for keeps its name
        raise exc
    return answer.get("ok")
