"""The runtime's side of its sandbox processes (see `_worker` for theirs).

`SandboxProcess` starts one process, sends it runs and compile jobs, and dispatches what
comes back on a reader thread: output to the run's listener, host calls to the runtime's
Bridge (with the run's context), results to the waiting caller. When the process dies, its
runs end as killed (with what they printed so far and a message saying why) and `on_exit`
lets the runtime start a replacement.

Every run carries its deadline, on the system's monotonic clock, which both processes
share. A run still going a second past it is stuck in host-side work that fuel and epochs
cannot see (a host function is not interruptible); `overdue` finds such runs, and the
runtime's watchdog kills the process (`kill`), so no bug of that kind holds a core longer.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, ClassVar

from ._bridge import Bridge, HostCall, error_frame
from ._cancel import Cancel
from ._guest import GuestError
from ._limits import TOO_LONG, Limits
from ._output import OutputCallback
from ._result import RunResult, Status
from ._wire import (
    MAX_MESSAGE,
    WireError,
    bytes_in,
    bytes_out,
    limits_out,
    pack,
    result_in,
    unpack,
)

log = logging.getLogger("widgetbox.runtime")

START_TIMEOUT = 120.0
"""Seconds a new process may take to be ready (it loads the compiled module from the
cache, which the runtime filled before starting it)."""
STOP_TIMEOUT = 10.0

PROCESS_LOST = (
    "The run was stopped: the sandbox process running it ended unexpectedly ({cause}); run it again"
)
REPLACED = (
    "The run was stopped: the sandbox process running it was replaced because another run "
    "in it did not stop at its deadline; run it again"
)


INTERACTIVE, BATCH = "interactive", "batch"
"""The roles of sandbox processes (and the lanes of runs): HTTP routes and server calls, or
scripts and background compiles."""


class ProcessGone(GuestError):
    """The process had stopped before the run reached it: nothing ran, so the run may be
    sent to another process."""


@dataclass
class _Run:
    on_output: OutputCallback | None
    context: Mapping[str, Any]
    limits: Limits
    deadline: float
    """`time.monotonic()` after which the guest must have stopped (same clock in both
    processes)."""
    started: float = field(default_factory=time.monotonic)
    done: threading.Event = field(default_factory=threading.Event)
    result: RunResult | None = None
    failure: str = ""
    ended: Status | None = None
    """Set when the process is killed under the run: how the run is reported."""
    ended_why: str = ""
    printed: dict[str, list[str]] = field(default_factory=lambda: {"stdout": [], "stderr": []})
    """What the run printed so far, kept (up to its output limit) so that a run whose
    process dies still reports its output."""
    printed_bytes: int = 0
    abandoned: list[Future[Any]] = field(default_factory=list)
    """Host-call handlers of this run that outlived their timeout (see Bridge.dispatch)."""

    def keep_output(self, stream: str, text: str) -> None:
        room = self.limits.output - self.printed_bytes
        if room > 0 and stream in self.printed:
            kept = text[:room]
            self.printed[stream].append(kept)
            self.printed_bytes += len(kept)

    def lost(self) -> RunResult:
        """The result of a run whose process died under it."""
        return RunResult(
            status=self.ended or Status.KILLED,
            stdout="".join(self.printed["stdout"]),
            stderr="".join(self.printed["stderr"]),
            wall_time=time.monotonic() - self.started,
            fuel=None,
            peak_memory=0,
            message=self.ended_why or PROCESS_LOST.format(cause="see the server's log"),
        )


class SandboxProcess:
    def __init__(
        self,
        role: str,
        slot: int | None,
        settings: dict[str, Any],
        bridge: Bridge,
        host_calls: Executor,
        on_exit: Callable[[SandboxProcess], None],
    ) -> None:
        self.role = role
        self.slot = slot
        """Its slot of the runtime's busy board (request processes; see `_busy`)."""
        self._bridge = bridge
        self._host_calls = host_calls
        self._on_exit = on_exit
        self._runs: dict[int, _Run] = {}
        self._requests: dict[int, Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self.alive = True
        self.closing = False
        self.killed = False
        """Whether the watchdog killed it (see `kill`)."""
        ours, theirs = socket.socketpair()
        with theirs:
            # Isolated mode (-I: no script folder or working directory on sys.path, no
            # PYTHON* variables, no user site-packages), started in the runtime's private
            # work folder: a stray `zlib.py` beside where `widgetbox` was started, or a
            # PYTHONPATH, can never be imported by the process that runs guests.
            command = [sys.executable, "-I", "-m", "widgetbox.runtime._worker"]
            command += [str(theirs.fileno()), json.dumps(settings)]
            self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                command,
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                cwd=settings["work_dir"],
            )
        self._connection = Connection(ours.detach())
        try:
            self._await_ready()
        except BaseException:
            self._process.kill()
            self._process.wait()
            self._connection.close()
            raise
        self._reader = threading.Thread(
            target=self._read, name="widgetbox-sandbox-reader", daemon=True
        )
        self._reader.start()

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def active(self) -> int:
        return len(self._runs)

    def overdue(self, now: float, grace: float) -> list[int]:
        """Runs still in progress `grace` seconds after their deadline."""
        with self._lock:
            return [run_id for run_id, run in self._runs.items() if now > run.deadline + grace]

    def kill(self, overdue: list[int]) -> None:
        """Kill the process because `overdue` runs are stuck in it: those end as timed
        out, the others in it as killed, and the runtime starts a replacement."""
        with self._lock:
            for run_id, run in self._runs.items():
                if run.ended is None:
                    stuck = run_id in overdue
                    run.ended = Status.TIMEOUT if stuck else Status.KILLED
                    run.ended_why = TOO_LONG if stuck else REPLACED
        log.error(
            "a sandbox process is killed: %d run(s) in it passed their deadline and did not "
            "stop (host-side work the deadline cannot interrupt)",
            len(overdue),
        )
        self.killed = True
        with contextlib.suppress(OSError):
            self._process.kill()

    def _await_ready(self) -> None:
        if not self._connection.poll(START_TIMEOUT):
            raise GuestError("a sandbox process did not start in time")
        try:
            message = unpack(self._connection.recv_bytes(MAX_MESSAGE))
        except (EOFError, OSError, WireError):
            raise GuestError(
                f"a sandbox process failed to start (exit status {self._process.wait()})"
            ) from None
        if message["kind"] != "ready":
            raise GuestError(f"a sandbox process failed to start: {message.get('message')}")

    # -- sending -----------------------------------------------------------------------------

    def _send(self, kind: str, **fields: Any) -> None:
        data = pack(kind, **fields)
        with self._send_lock:
            self._connection.send_bytes(data)

    def run(
        self,
        run_id: int,
        job: dict[str, Any],
        files: dict[str, str],
        limits: Limits,
        bytecode: dict[str, bytes],
        lane: str,
        packages: Path | None,
        on_output: OutputCallback | None,
        cancel: Cancel | None,
        context: Mapping[str, Any],
    ) -> RunResult:
        """Run one job in this process and wait for its result. `lane` is "batch" for
        scripts, which run at a lower priority, or "interactive"; `packages` is the folder
        of installed packages the job's guest mounts. Raises ProcessGone when the process
        had stopped before the run was sent, GuestError when it failed to run it; a
        process that dies under the run makes it end as killed."""
        run = _Run(on_output, context, limits, time.monotonic() + limits.timeout)
        with self._lock:
            if not self.alive:
                raise ProcessGone("the sandbox process has stopped")
            self._runs[run_id] = run
        try:
            try:
                self._send(
                    "run", run=run_id, lane=lane, job=job, files=files,
                    limits=limits_out(limits), deadline=run.deadline,
                    bytecode={path: bytes_out(data) for path, data in bytecode.items()},
                    packages=None if packages is None else str(packages),
                )  # fmt: skip
            except OSError:
                with self._lock:
                    self.alive = False  # so it is not picked again; the reader cleans up
                raise ProcessGone("the sandbox process has stopped") from None
            # a cancel is sent from where it is set (on another thread: the setter's, such
            # as the event loop, must not wait for this process's socket)
            unsubscribe = (
                cancel.when_set(lambda: self._cancel_soon(run_id)) if cancel is not None else None
            )
            try:
                run.done.wait()  # set by its result, or by `_exited` when the process dies
            finally:
                if unsubscribe is not None:
                    unsubscribe()
        finally:
            with self._lock:
                self._runs.pop(run_id, None)
        if run.result is not None:
            return run.result
        if run.failure:
            raise GuestError(run.failure)
        return run.lost()

    def _cancel_soon(self, run_id: int) -> None:
        try:
            self._host_calls.submit(self._send_cancel, run_id)
        except RuntimeError:  # the runtime is closing: its runs are being stopped anyway
            self._send_cancel(run_id)

    def _send_cancel(self, run_id: int) -> None:
        with contextlib.suppress(OSError):  # it has died: the reader ends the run
            self._send("cancel", run=run_id)

    def request(self, kind: str, wait: float, **fields: Any) -> dict[str, Any]:
        """Send a request that is answered by one message with the same id."""
        answer: Future[dict[str, Any]] = Future()
        request_id = next(self._ids)
        with self._lock:
            if not self.alive:
                raise GuestError("the sandbox process has stopped")
            self._requests[request_id] = answer
        try:
            self._send(kind, id=request_id, **fields)
            return answer.result(wait)
        finally:
            with self._lock:
                self._requests.pop(request_id, None)

    # -- receiving ---------------------------------------------------------------------------

    def _read(self) -> None:
        try:
            while True:
                self._handle(unpack(self._connection.recv_bytes(MAX_MESSAGE)))
        except (EOFError, OSError):
            pass
        except (WireError, KeyError, TypeError, ValueError):
            # the process broke the protocol: it may be subverted, so it is not trusted again
            log.exception("a sandbox process sent a malformed message; it is stopped")
            self._process.kill()
        self._exited()

    def _handle(self, message: dict[str, Any]) -> None:
        handler = self._HANDLERS.get(message["kind"])
        if handler is None:
            raise WireError(f"unknown message kind {message['kind']!r}")
        handler(self, message)

    def _output(self, message: dict[str, Any]) -> None:
        run = self._runs.get(message["run"])
        if run is None:
            return
        stream, text = _text(message["stream"]), _text(message["text"])
        run.keep_output(stream, text)
        if run.on_output is not None:
            try:
                run.on_output(stream, text)
            except Exception:  # a broken listener must not break the run
                log.exception("output callback failed")

    def _call(self, message: dict[str, Any]) -> None:
        self._host_calls.submit(self._host_call, message)

    def _done(self, message: dict[str, Any]) -> None:
        run = self._runs.get(message["run"])
        if run is not None:
            run.result = result_in(message["result"])
            run.done.set()

    def _failed(self, message: dict[str, Any]) -> None:
        run = self._runs.get(message["run"])
        if run is not None:
            run.failure = f"the sandbox failed: {_text(message['message'])}"
            run.done.set()

    def _log(self, message: dict[str, Any]) -> None:
        # Only Widgetbox's own loggers, at a level that exists: a subverted process must not
        # grow the logging registry with names of its choosing.
        name, level = _text(message["name"]), int(message["level"])
        if name != "widgetbox" and not name.startswith("widgetbox."):
            name = "widgetbox.runtime"
        level = min(max(level, logging.DEBUG), logging.CRITICAL)
        logging.getLogger(name).log(level, "sandbox process: %s", _text(message["text"]))

    def _answer(self, message: dict[str, Any]) -> None:
        answer = self._requests.get(message["id"])
        if answer is not None and not answer.done():  # a second answer is ignored
            answer.set_result(message)

    _HANDLERS: ClassVar[dict[str, Callable[[SandboxProcess, dict[str, Any]], None]]] = {
        "output": _output,
        "call": _call,
        "done": _done,
        "failed": _failed,
        "log": _log,
        "compiled": _answer,
        "pool": _answer,
    }
    """What the process may send, and what handles each kind."""

    def _host_call(self, message: dict[str, Any]) -> None:
        try:
            call_id, op, timeout = message["call"], _text(message["op"]), message["timeout"]
            run = self._runs.get(message["run"])
            if run is None:  # the run has ended meanwhile
                frame = error_frame("HostError", "the run has ended")
            else:
                call = HostCall(op=op, context=run.context, timeout=_seconds(timeout, run))
                frame = self._bridge.dispatch(op, message["data"], call, run.abandoned)
            self._send("answer", call=call_id, frame=frame.decode())
        except (KeyError, TypeError, ValueError):
            log.exception("a sandbox process sent a malformed host call")
        except OSError:
            pass  # the process has gone; its runs fail on their own

    def _exited(self) -> None:
        with self._lock:
            self.alive = False
            runs = list(self._runs.values())
            requests = list(self._requests.values())
        status = self._process.wait()
        if not (self.closing or self.killed):
            log.error("a sandbox process stopped unexpectedly (exit status %s)", status)
        cause = f"killed by signal {-status}" if status < 0 else f"exit status {status}"
        for run in runs:
            if run.ended is None:
                run.ended, run.ended_why = Status.KILLED, PROCESS_LOST.format(cause=cause)
            run.done.set()
        for answer in requests:
            if not answer.done():
                answer.set_exception(GuestError("the sandbox process stopped"))
        self._connection.close()
        self._on_exit(self)

    # -- stopping ----------------------------------------------------------------------------

    def begin_close(self) -> None:
        """Tell the process to stop its runs (they end as killed) and exit."""
        self.closing = True
        with contextlib.suppress(OSError):  # it has gone already
            self._send("close")

    def finish_close(self, timeout: float = STOP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("a sandbox process did not stop in time; killing it")
            self._process.kill()
        self._reader.join(max(0.0, deadline - time.monotonic()) + 1.0)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise WireError("expected text")
    return value


def _seconds(timeout: Any, run: _Run) -> float:
    """A forwarded call's timeout: what the process asked for, never past the run's deadline
    (a process could ask for any number, and one too large for a lock's wait raises)."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise WireError("expected a number of seconds")
    left = max(0.0, run.deadline - time.monotonic())
    return float(max(timeout, 0)) if timeout < left else left  # NaN is not < left


def pyc_from(answer: dict[str, Any]) -> dict[str, bytes]:
    """The pyc files of a "compiled" answer."""
    return {_text(path): bytes_in(data) for path, data in answer["pyc"].items()}
