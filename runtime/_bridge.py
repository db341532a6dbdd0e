"""The host end of the bridge: named handlers the guest reaches through `host.call`.

Every call is checked before anything is allocated or parsed: the frame's length against the
run's limit, the number of calls against the run's budget, the JSON's nesting depth before
it is decoded. Each handler runs with its own timeout. Failures reach the guest as typed
errors (`{"error": {"kind", "message"}}`) it can catch; no host exception text crosses over.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger("widgetbox.runtime.bridge")

MAX_DEPTH = 64
"""Deepest JSON nesting accepted in a request frame."""

MAX_ABANDONED = 2
"""Timed-out handlers a run may have still running before its next call is refused."""

RESERVED_PREFIX = "widgetbox."
"""Operation names the runtime itself answers (the driver's job and result)."""


class HostCallError(Exception):
    """Raised by a handler to send the guest a typed error it can catch.

    `kind` names the error class the guest raises (`BadRequest`, `Timeout`, ...; any other
    kind arrives as the base `HostCallError`). The message is shown to the widget's code, so
    it must not contain host internals.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class HostCall:
    """What a handler learns about the call it answers."""

    op: str
    context: Mapping[str, Any]
    """Whatever the host passed with the run (for example the widget's id)."""
    timeout: float
    """Seconds the handler has to answer."""


Handler = Callable[[HostCall, Any], Any]
"""A handler receives the call and the decoded `data`, and returns a JSON-ready answer."""


class Bridge:
    """The registry of handlers guests may call. One per runtime; handlers are shared."""

    def __init__(self, max_workers: int = 32) -> None:
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers, thread_name_prefix="widgetbox-bridge")

    def register(self, op: str, handler: Handler) -> None:
        if not op or op.startswith(RESERVED_PREFIX):
            raise ValueError(f"{op!r} is not a name a handler may use")
        with self._lock:
            self._handlers[op] = handler

    def handler(self, op: str) -> Callable[[Handler], Handler]:
        """Decorator form of `register`."""

        def decorate(fn: Handler) -> Handler:
            self.register(op, fn)
            return fn

        return decorate

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def dispatch(
        self, op: str, data: Any, call: HostCall, abandoned: list[Future[Any]] | None = None
    ) -> bytes:
        """Run the handler for `op` (already parsed and counted) and frame its answer.

        A handler cannot be interrupted; one that outlives its timeout keeps its worker
        until it returns. `abandoned` holds the calling run's such handlers: a run with
        `MAX_ABANDONED` of them still running may not start another, so one run cannot
        occupy every worker (handlers should honour `call.timeout` themselves).
        """
        with self._lock:
            handler = self._handlers.get(op)
        if handler is None:
            return error_frame("UnknownOperation", f"the host has no operation named {op!r}")
        if abandoned is not None:
            abandoned[:] = [future for future in abandoned if not future.done()]
            if len(abandoned) >= MAX_ABANDONED:
                return error_frame(
                    "LimitExceeded", "earlier host calls of this run are still running"
                )
        future = self._executor.submit(handler, call, data)
        try:
            answer = future.result(timeout=call.timeout)
        except FutureTimeout:
            if not future.cancel() and abandoned is not None:
                abandoned.append(future)
            log.warning("host call %r did not answer within %.1f s", op, call.timeout)
            return error_frame("Timeout", f"the host did not answer {op!r} in time")
        except HostCallError as e:
            return error_frame(e.kind, e.message)
        except Exception:
            log.exception("host call %r failed", op)
            return error_frame("HostError", f"the host failed while answering {op!r}")
        try:
            return ok_frame(answer)
        except (TypeError, ValueError):
            log.exception("host call %r answered with a value that is not JSON", op)
            return error_frame("HostError", f"the host failed while answering {op!r}")


def ok_frame(value: Any) -> bytes:
    return json.dumps({"ok": value}, separators=(",", ":"), allow_nan=False).encode()


def error_frame(kind: str, message: str) -> bytes:
    return json.dumps({"error": {"kind": kind, "message": message}}).encode()


_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth_ok(frame: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON in `frame` nests at most `limit` deep, judged without decoding it
    (decoding deep input is exactly what must be avoided). Strings are removed first so
    brackets inside them do not count; only the brackets are then walked."""
    if frame.count(b"[") + frame.count(b"{") <= limit:
        return True
    depth = 0
    for char in _STRINGS.sub(b"", frame).translate(None, _NOT_BRACKETS):
        depth += 1 if char in (0x5B, 0x7B) else -1
        if depth > limit:
            return False
    return True


def parse_request(frame: bytes, max_depth: int = MAX_DEPTH) -> tuple[str, Any]:
    """(op, data) from a request frame; HostCallError("BadRequest") when malformed."""
    if not json_depth_ok(frame, max_depth):
        raise HostCallError("BadRequest", f"the request nests deeper than {max_depth} levels")
    try:
        request = json.loads(frame, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise HostCallError("BadRequest", "the request is not valid JSON") from None
    if not isinstance(request, dict) or not isinstance(request.get("op"), str):
        raise HostCallError("BadRequest", 'a request is {"op": name, "data": value}')
    return request["op"], request.get("data")


def _no_constants(name: str) -> Any:
    """NaN and Infinity are not JSON (answers never contain them either)."""
    raise ValueError(f"{name} is not JSON")


class Dispatcher(Protocol):
    """What answers a run's host calls: a `Bridge`, or inside a sandbox process the link
    that forwards calls to the runtime's Bridge."""

    def dispatch(
        self, op: str, data: Any, call: HostCall, abandoned: list[Future[Any]] | None = None
    ) -> bytes: ...
