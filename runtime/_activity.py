"""The state of the one run executing on this thread, and the checks that stop it.

Host functions called from wasm (WASI guards, the bridge door, the epoch callback) find the
run they serve through `current()`, a context variable set for the duration of each turn.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from ._fastcall import StopGuest
from ._limits import TOO_LONG, Limits
from ._output import Output
from ._quota import ScratchQuota
from ._result import Status

_current: ContextVar[Activity] = ContextVar("widgetbox_activity")


def current() -> Activity:
    return _current.get()


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
        """From the epoch callback: whether to interrupt the guest."""
        if self.should_stop():
            self.interrupted = True
            return True
        return False


class activate:
    """Make `activity` the current run on this thread for the duration of a `with`."""

    def __init__(self, activity: Activity) -> None:
        self._activity = activity

    def __enter__(self) -> Activity:
        self._token = _current.set(self._activity)
        return self._activity

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._token)
