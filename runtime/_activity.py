"""The state of the one run executing on this thread, and the checks that stop it.

Host functions called from wasm (WASI guards, the bridge door, the epoch callback) find the
run they serve through `current()`, a context variable set for the duration of each turn.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import wasmtime

from ._busy import NOT_COUNTED, Board, Executing, NotCounted
from ._fastcall import FastCall, StopGuest
from ._http import ChunkCallback, HttpResponse
from ._limits import TOO_LONG, Limits
from ._output import Output
from ._quota import ScratchQuota
from ._result import Status

_current: ContextVar[Activity] = ContextVar("widgetbox_activity")

GIVE_WAY_SLICE = 0.001
"""Seconds a script's guest sleeps between looks at whether requests still execute."""


def current() -> Activity:
    return _current.get()


@dataclass(frozen=True)
class GuestExports:
    """The guest's own exports that host functions use on every call, found once when the
    guest is started rather than looked up through the caller each time."""

    memory: wasmtime.Memory
    alloc: FastCall
    """`host_alloc(size) -> address`: memory for an answer, which the guest frees."""


@dataclass
class Streamed:
    """The run's streamed response so far (see `_door`): its status and headers, the bytes
    sent, and, when no one takes the chunks as they come, the chunks themselves."""

    head: HttpResponse
    sent: int = 0
    kept: list[bytes] | None = None


@dataclass(frozen=True)
class Stop:
    status: Status
    message: str


class Activity:
    """One turn of one guest: its limits, output, quota and why it must stop, if it must."""

    def __init__(
        self,
        *,
        limits: Limits,
        output: Output,
        quota: ScratchQuota,
        wasi: dict[str, Any],
        cancel: threading.Event | None,
        shutdown: threading.Event,
        job: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
        executing: Executing | NotCounted = NOT_COUNTED,
        give_way_to: Board | None = None,
        exports: GuestExports | None = None,
        on_chunk: ChunkCallback | None = None,
    ) -> None:
        self.limits = limits
        self.output = output
        self.quota = quota
        self.wasi = wasi
        """wasmtime's own WASI functions, reached through the trampoline."""
        self.job = job
        self.context = context or {}
        self.started = time.monotonic()
        self.deadline = self.started + limits.timeout
        self.stop: Stop | None = None
        self.interrupted = False
        """True when the epoch callback stopped the guest mid-instruction-stream."""
        self.report: dict[str, Any] | None = None
        self.host_calls = 0
        self.result_frames = 0
        self.open_files: set[int] = set()
        """Descriptors the guest opened in this turn and has not closed (see `_wasi`)."""
        self.abandoned: list[Future[Any]] = []
        """Host calls that outlived their timeout and may still occupy a bridge worker."""
        self.executing = executing
        """This guest's part in whether a request is executing (see `_busy`)."""
        self.give_way_to = give_way_to
        """For a script's guest: the board it pauses for while a request executes."""
        self.exports = exports
        """The guest's memory and allocator (None: looked up through the caller)."""
        self.on_chunk = on_chunk
        """Takes each chunk of a streamed response (None: they are kept for the result)."""
        self.streamed: Streamed | None = None
        """Set by the first chunk of a streamed response."""
        self.files: Mapping[str, bytes] = {}
        """The widget's files and bytecode the door hands over (`widgetbox.file`)."""
        self._cancel = cancel
        self._shutdown = shutdown

    def request_stop(self, status: Status, message: str) -> None:
        if self.stop is None:
            self.stop = Stop(status, message)

    def should_stop(self) -> bool:
        if self.stop is None:
            if self.output.truncated:
                self.request_stop(
                    Status.OUTPUT_LIMIT,
                    f"Output limit reached: the run printed more than {self.limits.output:,} "
                    "bytes and was stopped",
                )
            elif self._cancel is not None and self._cancel.is_set():
                self.request_stop(Status.KILLED, "The run was cancelled")
            elif self._shutdown.is_set():
                self.request_stop(Status.KILLED, "The run was stopped: Widgetbox is shutting down")
            elif time.monotonic() >= self.deadline:
                self.request_stop(Status.TIMEOUT, TOO_LONG)
        return self.stop is not None

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def stop_if_requested(self) -> None:
        """From a host function: end the guest now if the run must stop."""
        if self.should_stop():
            raise StopGuest

    def epoch_check(self) -> bool:
        """From the epoch callback: whether to interrupt the guest. A script's guest first
        waits while a request's guest executes (deadlines and cancels still apply)."""
        board = self.give_way_to
        if board is not None:
            while board.busy() and not self.should_stop():
                time.sleep(GIVE_WAY_SLICE)
        if self.should_stop():
            self.interrupted = True
            return True
        return False

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        """Around a wait in a host function (a host call, a sleep): the guest is not
        executing meanwhile, so scripts need not give way to it."""
        self.executing.leave()
        try:
            yield
        finally:
            self.executing.enter()


class activate:
    """Make `activity` the current run on this thread for the duration of a `with`."""

    def __init__(self, activity: Activity) -> None:
        self._activity = activity

    def __enter__(self) -> Activity:
        self._token = _current.set(self._activity)
        return self._activity

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._token)
