"""The host end of the bridge: named handlers the guest reaches through `host.call`.

Every call is checked before anything is allocated or parsed: the frame's length against the
run's limit, the number of calls against the run's budget, the JSON's nesting depth before
it is decoded. Each handler runs with its own timeout. Failures reach the guest as typed
errors (`{"error": {"kind", "message"}}`) it can catch; no host exception text crosses over.
"""

from __future__ import annotations

import heapq
import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import accumulate, count
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
        self._timeouts = _Timeouts()

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
        self._timeouts.close()

    def dispatch(
        self, op: str, data: Any, call: HostCall, abandoned: list[Future[Any]] | None = None
    ) -> bytes:
        """`submit`, waiting for its answer (at most `call.timeout`)."""
        return self.submit(op, data, call, abandoned).result()

    def submit(
        self, op: str, data: Any, call: HostCall, abandoned: list[Future[Any]] | None = None
    ) -> Future[bytes]:
        """Start the handler for `op` (already parsed and counted) on the bridge's workers;
        the future is the frame that answers it, set when the handler returns or when its
        timeout passes, whichever comes first (no thread waits for it meanwhile: one timer
        thread keeps every call's timeout).

        A handler cannot be interrupted; one that outlives its timeout keeps its worker
        until it returns. `abandoned` holds the calling run's such handlers: a run with
        `MAX_ABANDONED` of them still running may not start another, so one run cannot
        occupy every worker (handlers should honour `call.timeout` themselves). A handler
        is counted there before its Timeout answer is set, so the run's next call sees it.
        """
        answer: Future[bytes] = Future()
        with self._lock:
            handler = self._handlers.get(op)
            busy = False
            if handler is not None and abandoned is not None:
                abandoned[:] = [future for future in abandoned if not future.done()]
                busy = len(abandoned) >= MAX_ABANDONED
        if handler is None:
            answer.set_result(
                error_frame("UnknownOperation", f"the host has no operation named {op!r}")
            )
        elif busy:
            answer.set_result(
                error_frame("LimitExceeded", "earlier host calls of this run are still running")
            )
        else:
            try:
                work = self._executor.submit(handler, call, data)
            except RuntimeError:  # closed
                answer.set_result(error_frame("HostError", "the host is shutting down"))
                return answer
            pending = _Pending(self, op, call.timeout, work, answer, abandoned)
            pending.stop_timer = self._timeouts.after(call.timeout, pending.expired)
            work.add_done_callback(pending.returned)
        return answer


class _Pending:
    """One handler's call: answered once, by whichever comes first, the handler's return or
    its timeout."""

    __slots__ = (
        "_answered",
        "abandoned",
        "answer",
        "bridge",
        "op",
        "stop_timer",
        "timeout",
        "work",
    )

    def __init__(
        self,
        bridge: Bridge,
        op: str,
        timeout: float,
        work: Future[Any],
        answer: Future[bytes],
        abandoned: list[Future[Any]] | None,
    ) -> None:
        self.bridge, self.op, self.timeout = bridge, op, timeout
        self.work, self.answer, self.abandoned = work, answer, abandoned
        self.stop_timer: Callable[[], None] = _nothing
        self._answered = threading.Lock()

    def _first(self) -> bool:
        """Whether this is the first to answer (the handler or its timeout)."""
        return self._answered.acquire(blocking=False)

    def returned(self, work: Future[Any]) -> None:
        if not self._first():
            return  # it timed out first
        self.stop_timer()
        self.answer.set_result(_frame_of(self.op, work))

    def expired(self) -> None:
        if not self._first():
            return  # it returned first
        if not self.work.cancel() and self.abandoned is not None:  # it is running
            with self.bridge._lock:
                self.abandoned.append(self.work)
        log.warning("host call %r did not answer within %.1f s", self.op, self.timeout)
        self.answer.set_result(
            error_frame("Timeout", f"the host did not answer {self.op!r} in time")
        )


def _frame_of(op: str, work: Future[Any]) -> bytes:
    """The frame answering a handler that returned, raised or was cancelled."""
    if work.cancelled():  # the bridge closed before it started
        return error_frame("HostError", "the host is shutting down")
    error = work.exception()
    if isinstance(error, HostCallError):
        return error_frame(error.kind, error.message)
    if error is not None:
        log.error("host call %r failed", op, exc_info=error)
        return error_frame("HostError", f"the host failed while answering {op!r}")
    try:
        return ok_frame(work.result())
    except (TypeError, ValueError):
        log.exception("host call %r answered with a value that is not JSON", op)
        return error_frame("HostError", f"the host failed while answering {op!r}")


def _nothing() -> None:
    pass


class _Timeouts:
    """One thread that calls each function given to `after` when its time comes, unless it
    was stopped first: the timeouts of every host call, with no thread waiting per call."""

    LONGEST_WAIT = 3600.0
    """A condition cannot wait for just any number of seconds; the thread looks again."""

    def __init__(self) -> None:
        self._due: list[_Due] = []
        self._stopped = 0
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._order = count()

    def after(self, seconds: float, fn: Callable[[], None]) -> Callable[[], None]:
        """Call `fn` on the timer's thread in `seconds`; returns what stops that."""
        due = _Due(time.monotonic() + (seconds if seconds > 0 else 0.0), next(self._order), fn)
        with self._changed:
            if not self._closed:
                heapq.heappush(self._due, due)
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._serve, name="widgetbox-bridge-timeouts", daemon=True
                    )
                    self._thread.start()
                elif self._due[0] is due:
                    self._changed.notify()
                return lambda: self._stop(due)
        fn()  # closed: at once
        return _nothing

    def _stop(self, due: _Due) -> None:
        with self._changed:
            if due.fn is None:
                return
            due.fn = None
            self._stopped += 1
            # answered calls leave their entries behind: swept once they are most of them
            if self._stopped > 1024 and 2 * self._stopped > len(self._due):
                self._due = [entry for entry in self._due if entry.fn is not None]
                heapq.heapify(self._due)
                self._stopped = 0

    def _serve(self) -> None:
        with self._changed:
            while not self._closed:
                if not self._due:
                    self._changed.wait()
                    continue
                wait = self._due[0].when - time.monotonic()
                if wait > 0:
                    self._changed.wait(min(wait, self.LONGEST_WAIT))
                    continue
                due = heapq.heappop(self._due)
                fn, due.fn = due.fn, None
                if fn is None:
                    self._stopped -= 1
                    continue
                self._changed.release()
                try:
                    _call_safely(fn)
                finally:
                    self._changed.acquire()

    def close(self) -> None:
        """Stop the thread, and call what is still due at once (nothing waits forever)."""
        with self._changed:
            self._closed = True
            self._changed.notify()
            due = [entry.fn for entry in sorted(self._due) if entry.fn is not None]
            for entry in self._due:
                entry.fn = None
            self._due = []
        for fn in due:
            _call_safely(fn)


def _call_safely(fn: Callable[[], None]) -> None:
    try:
        fn()
    except Exception:
        log.exception("a host call's timeout failed")


class _Due:
    __slots__ = ("fn", "order", "when")

    def __init__(self, when: float, order: int, fn: Callable[[], None]) -> None:
        self.when, self.order = when, order
        self.fn: Callable[[], None] | None = fn

    def __lt__(self, other: _Due) -> bool:
        return (self.when, self.order) < (other.when, other.order)


BYTES_MARK = b"="
"""The first byte of an answer that is bytes rather than a JSON frame (which opens with
`{`): the guest takes what follows as they are (`_widgetbox/bridge.py`'s `call_for_bytes`,
which has the same mark), with no JSON to scan nor base64 to decode."""


def bytes_frame(content: bytes) -> bytes:
    return BYTES_MARK + content


def ok_frame(value: Any) -> bytes:
    return json.dumps({"ok": value}, separators=(",", ":"), allow_nan=False).encode()


def error_frame(kind: str, message: str) -> bytes:
    return json.dumps({"error": {"kind": kind, "message": message}}).encode()


MAX_VALUES = 50_000
"""Most values a request frame may hold (containers and scalars; an object's keys aside)."""

_NOT_MARKS = bytes(b for b in range(256) if b not in b'"[]{},')
_NOT_MARKS_OR_SCALARS = bytes(b for b in range(256) if b not in b'"[]{},-0123456789tfn')
_SCALARS = bytes.maketrans(b"-0123456789tfn", b"0" * 14)
_SIGNS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_STRING = re.compile(rb'"[^"]*+(?:"|\Z)')
"""A string once escapes are resolved; possessive, and an unclosed one runs to the end, so a
match never fails and is never retried (a retried one made the old check quadratic)."""


def check_frame(
    frame: bytes | bytearray,
    max_depth: int = MAX_DEPTH,
    max_values: int = MAX_VALUES,
    what: str = "request",
) -> None:
    """Refuse (HostCallError "BadRequest") a frame that nests deeper than `max_depth` or holds
    more than `max_values` values, judged without decoding it: decoding such input is
    exactly the cost to avoid. Linear in the frame and at C speed: a few passes of `bytes`
    methods and a regex that never backtracks (its matches capped by `max_values`); depth
    is walked only when more than `max_depth` brackets remain, and at most 2 * `max_values`.

    Exact for valid JSON; anything else is judged on at least the prefix `json.loads` would
    read before failing: the marks of that prefix come first and unchanged."""
    if json.detect_encoding(frame) != "utf-8":  # UTF-16 or 32 would hide marks in other bytes
        raise _bad(what, "is not valid JSON")
    text = _unescaped(frame)
    marks = _without_empty_strings(text.translate(None, _NOT_MARKS))
    opens, commas = marks.count(b"[") + marks.count(b"{"), marks.count(b",")
    if opens <= max_depth and 1 + opens + commas <= max_values:
        return  # marks inside strings only add to these counts
    structure = _outside_strings(marks, b"", max_values)
    if structure is None:
        raise _bad(what, f"holds more than {max_values:,} values")
    opens, commas = structure.count(b"[") + structure.count(b"{"), structure.count(b",")
    if opens > max_depth and _depth(structure, max_values) > max_depth:
        raise _bad(what, f"nests deeper than {max_depth} levels")
    if 1 + opens + commas <= max_values:
        return
    # Every container is a value, and valid JSON has a value on each side of each comma.
    if max(opens, commas + 1) > max_values or _values(text, max_values) > max_values:
        raise _bad(what, f"holds more than {max_values:,} values")


def _bad(what: str, complaint: str) -> HostCallError:
    return HostCallError("BadRequest", f"the {what} {complaint}")


def _unescaped(frame: bytes | bytearray) -> bytes | bytearray:
    """The frame with escaped backslashes and then escaped quotes removed (left to right,
    as a decoder pairs them), so that every quote left opens or closes a string."""
    if b"\\" not in frame:
        return frame
    return frame.replace(b"\\\\", b"").replace(b'\\"', b"")


def _without_empty_strings(marks: bytes | bytearray, placeholder: bytes = b"") -> bytes | bytearray:
    """Two neighbouring quotes replaced, at C speed: every other mark stays on its side of
    the strings, and few strings are left for the regex."""
    return marks.replace(b'""', placeholder) if b'"' in marks else marks


def _outside_strings(
    marks: bytes | bytearray, placeholder: bytes, max_values: int
) -> bytes | bytearray | None:
    """`marks` with each string replaced; None beyond the strings that valid JSON of
    `max_values` values can hold (two per value: a key and its value)."""
    if b'"' not in marks:
        return marks
    limit = 2 * max_values + 2
    outside, strings = _STRING.subn(placeholder, marks, count=limit)
    return None if strings >= limit else outside


def _depth(structure: bytes | bytearray, max_values: int) -> int:
    """How deep the brackets of `structure` nest among its first 2 * `max_values` + 2: JSON
    of at most `max_values` values has no more, and the caller refuses any other."""
    steps = structure.translate(None, b",")[: 2 * max_values + 2].translate(_SIGNS)
    return max(accumulate(memoryview(steps).cast("b")), default=0)


def _values(text: bytes | bytearray, max_values: int) -> int:
    """How many values `text` (escapes resolved) holds: each but the first is a container's
    first member or follows a comma, so 1 + opens + commas - empty containers. Scalars leave
    a `0` (numbers and literals start with `-`, a digit, `t`, `f` or `n`; a string becomes
    one `0`) so that `[1]` is not mistaken for `[]`. More than `max_values` when the
    strings alone are too many."""
    marks = _without_empty_strings(text.translate(_SCALARS, _NOT_MARKS_OR_SCALARS), b"0")
    structure = _outside_strings(marks, b"0", max_values)
    if structure is None:
        return max_values + 1
    empty = structure.count(b"[]") + structure.count(b"{}")
    return 1 + structure.count(b"[") + structure.count(b"{") + structure.count(b",") - empty


def parse_request(
    frame: bytes | bytearray,
    max_depth: int = MAX_DEPTH,
    max_values: int = MAX_VALUES,
    what: str = "request",
) -> tuple[str, Any]:
    """(op, data) from a request frame; HostCallError("BadRequest") when malformed, too deep
    or too large, or when it holds a number JSON cannot carry (NaN, an infinity)."""
    check_frame(frame, max_depth, max_values, what)
    try:
        request = json.loads(frame, parse_float=finite_float, parse_constant=no_constants)
    except (ValueError, RecursionError):  # ValueError includes CPython's int-digits limit
        raise _bad(what, "is not valid JSON") from None
    if not isinstance(request, dict) or not isinstance(request.get("op"), str):
        raise HostCallError("BadRequest", 'a request is {"op": name, "data": value}')
    return request["op"], request.get("data")


def finite_float(text: str) -> float:
    """`1e400` is valid JSON but overflows to infinity, which no answer or result may hold."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is not a finite number")
    return value


def no_constants(name: str) -> Any:
    """NaN and Infinity are not JSON (answers never contain them either)."""
    raise ValueError(f"{name} is not JSON")


class Dispatcher(Protocol):
    """What answers a run's host calls: a `Bridge`, or inside a sandbox process the link
    that forwards calls to the runtime's Bridge."""

    def dispatch(
        self, op: str, data: Any, call: HostCall, abandoned: list[Future[Any]] | None = None
    ) -> bytes: ...
