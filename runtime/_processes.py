"""The runtime's side of its sandbox processes (see `_worker` for theirs).

`SandboxProcess` starts one process, sends it runs and compile jobs, and dispatches what
comes back (the messages declared in `_wire`) through `_HANDLERS`, read on a thread of its
own or on the server's event loop (`_read_on_loop`): output and a streamed response's chunks
to the run's listeners, host calls to the runtime's Bridge (with the run's context, answered
by a callback when the handler returns or times out, no thread waiting), results to the
waiting caller. No sender ever waits for the process's socket (`_frames.Sender`: what it
does not take at once goes to a writer thread, in order). When the process dies, its runs
end as killed (with what they printed so far and a message saying why) and `on_exit` lets
the runtime start a replacement. A run is sent without waiting for it (`start`), so the
event loop can send it and be woken when it ends (`Runtime.run_async`); it carries its
widget's files only when the process is not believed to hold them already (see `_bundles`).

Every run carries its deadline, on the system's monotonic clock, which both processes
share. A run still going a second past it is stuck in host-side work that fuel and epochs
cannot see (a host function is not interruptible); `overdue` finds such runs, and the
runtime's watchdog kills the process (`kill`), so no bug of that kind holds a core longer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import logging
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, ClassVar

from . import _bundles
from . import _wire as wire
from ._bridge import Bridge, HostCall, error_frame
from ._cancel import Cancel
from ._frames import FrameError, Frames, Sender
from ._guest import GuestError
from ._http import ChunkCallback, ResponseChunk
from ._launch import module_command
from ._limits import TOO_LONG, Limits
from ._outcome import Malformed, http_response
from ._output import OutputCallback
from ._result import RunResult, Status
from ._wire import MAX_MESSAGE, Lane, RunRequest, WireError, pack, unpack_bounded

log = logging.getLogger("widgetbox.runtime")

START_TIMEOUT = 120.0
"""Seconds a new process may take to be ready (it loads the compiled module from the
cache, which the runtime filled before starting it)."""
STOP_TIMEOUT = 10.0
READ_SIZE = 256 * 1024
"""Bytes read from a process's socket at a time: a large message comes in several reads
(and, on an event loop, other work goes on between them)."""

PROCESS_LOST = (
    "The run was stopped: the sandbox process running it ended unexpectedly ({cause}); run it again"
)
REPLACED = (
    "The run was stopped: the sandbox process running it was replaced because another run "
    "in it did not stop at its deadline; run it again"
)


class ProcessGone(GuestError):
    """The process had stopped before the run reached it: nothing ran, so the run may be
    sent to another process."""


@dataclass
class PendingRun:
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
    """Host-call handlers of this run that outlived their timeout (see Bridge.submit)."""
    on_chunk: ChunkCallback | None = None
    streamed: int | None = None
    """Bytes of its streamed response so far (None: no chunk yet)."""
    request: RunRequest | None = None
    """What was asked, with its files: sent again when the process lacks them."""
    stripped: bool = False
    """Whether it was sent without its files (the process was believed to hold them)."""
    on_done: Callable[[], None] | None = None
    """Called (on the reader thread) when it ends: how `Runtime.run_async` is woken."""
    unsubscribe: Callable[[], None] | None = None
    """Stops its cancel from reaching the process once it has ended."""

    def finish(self) -> None:
        """It has ended (a result, a failure, or its process died): wake whoever waits."""
        self.done.set()
        if self.on_done is not None:
            try:
                self.on_done()
            except Exception:  # a broken waiter must not break the reader
                log.exception("a run's completion callback failed")

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
        role: Lane,
        slot: int | None,
        settings: dict[str, Any],
        bridge: Bridge,
        on_exit: Callable[[SandboxProcess], None],
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        """`loop`: the event loop to read the process's messages on (see `_read_on_loop`);
        None reads them on a thread of its own."""
        self.role = role
        self.slot = slot
        """Its slot of the runtime's busy board (request processes; see `_busy`)."""
        self._bridge = bridge
        self._on_exit = on_exit
        self._runs: dict[int, PendingRun] = {}
        self._requests: dict[int, Future[wire.Reply]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._holds = _bundles.Shelf()
        """The bundles this process is believed to hold (see `_bundles`)."""
        self.alive = True
        self._ended = threading.Event()
        """Set once reading has ended and the process's runs have been ended (`_exited`)."""
        self._exit_lock = threading.Lock()
        self.closing = False
        self.killed = False
        """Whether the watchdog killed it (see `kill`)."""
        ours, theirs = socket.socketpair()
        with theirs:
            # Isolated (`_launch`: no script folder or working directory on sys.path, no
            # PYTHON* variables, no user site-packages), started in the runtime's private
            # work folder: a stray `zlib.py` beside where `widgetbox` was started, or a
            # PYTHONPATH, can never be imported by the process that runs guests.
            command = module_command(
                "widgetbox.runtime._worker", str(theirs.fileno()), json.dumps(settings)
            )
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
        self._sender = Sender(self._descriptor(), "widgetbox-sandbox-writer")
        self._loop = loop
        self._reading: socket.socket | None = None
        """The descriptor read on `loop`, if any."""
        if loop is None:
            threading.Thread(
                target=self._read, name="widgetbox-sandbox-reader", daemon=True
            ).start()
        else:
            self._read_on_loop(loop)

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
        deadline = time.monotonic() + START_TIMEOUT
        while True:  # its log records may come first
            if not self._connection.poll(max(0.0, deadline - time.monotonic())):
                raise GuestError("a sandbox process did not start in time")
            try:
                message = self._receive()
            except (EOFError, OSError, WireError):
                raise GuestError(
                    f"a sandbox process failed to start (exit status {self._process.wait()})"
                ) from None
            match message:
                case wire.Ready():
                    return
                case wire.Log():
                    self._log(message)
                case wire.FailedToStart(message=why):
                    raise GuestError(f"a sandbox process failed to start: {why}")
                case _:
                    raise GuestError(f"a sandbox process failed to start: sent {message.kind!r}")

    # -- sending -----------------------------------------------------------------------------

    def _send(self, message: wire.Message) -> None:
        """Send without waiting (see `Sender`); OSError when the process has gone."""
        self._sender.send(pack(message))

    def _post(self, message: wire.Message) -> None:
        """`_send`, for a message lost if the process has gone, whose runs end on their own
        (a cancel, a host call's answer)."""
        with contextlib.suppress(OSError):
            self._sender.send(pack(message))

    def start(
        self,
        run_id: int,
        request: RunRequest,
        *,
        on_output: OutputCallback | None,
        cancel: Cancel | None,
        context: Mapping[str, Any],
        on_chunk: ChunkCallback | None = None,
        on_done: Callable[[], None] | None = None,
    ) -> PendingRun:
        """Send one job to this process without waiting: `request` is what the process
        needs; `on_output`, `on_chunk` (when `request.stream`), `cancel` and `context` (which
        host calls are answered with) stay here, and `on_done` is called on the reader
        thread when the run has ended (its `done` is set then). The caller then calls
        `forget` and takes its `outcome`. Raises ProcessGone when the process had stopped
        before the run was sent; a process that dies under the run makes it end as killed.
        Neither the send nor anything else here waits for the run or the socket, so an
        event loop may call this."""
        limits = request.limits
        run = PendingRun(on_output, context, limits, time.monotonic() + limits.timeout)
        run.on_chunk = on_chunk if request.stream else None
        run.on_done = on_done
        run.request = request
        sent = request
        if request.files is not None and self._holds.has(request.bundle):
            sent = dataclasses.replace(request, files=None, bytecode=None)
            run.stripped = True
        with self._lock:
            if not self.alive:
                raise ProcessGone("the sandbox process has stopped")
            self._runs[run_id] = run
        try:
            self._send(wire.Run(run=run_id, request=sent, deadline=run.deadline))
            if not run.stripped and request.files is not None:
                self._holds.put(
                    request.bundle, _bundles.size(request.files, request.bytecode or {})
                )
        except OSError:
            with self._lock:
                self.alive = False  # so it is not picked again; the reader cleans up
                self._runs.pop(run_id, None)
            raise ProcessGone("the sandbox process has stopped") from None
        except BaseException:
            with self._lock:
                self._runs.pop(run_id, None)
            raise
        # a cancel is sent from where it is set (such as the event loop), which never waits
        if cancel is not None:
            run.unsubscribe = cancel.when_set(lambda: self._post(wire.Cancel(run=run_id)))
        return run

    def forget(self, run_id: int, run: PendingRun) -> None:
        """The run has ended, or its caller gave up on it: no more cancels or output."""
        if run.unsubscribe is not None:
            run.unsubscribe()
        with self._lock:
            self._runs.pop(run_id, None)

    @staticmethod
    def outcome(run: PendingRun) -> RunResult:
        """What an ended run gives: its result, or GuestError when the process failed to
        run it, or the result of a run whose process died under it."""
        if run.result is not None:
            return run.result
        if run.failure:
            raise GuestError(run.failure)
        return run.lost()

    def request(self, make: Callable[[int], wire.Message], wait: float) -> wire.Reply:
        """Send the request `make(id)` and wait for the reply with the same id; GuestError
        when the process has stopped (before the request, or while it was being sent: it
        may die between the two), TimeoutError when it does not answer in time."""
        refuse_waiting_on(self._loop)
        answer: Future[wire.Reply] = Future()
        request_id = next(self._ids)
        with self._lock:
            if not self.alive:
                raise GuestError("the sandbox process has stopped")
            self._requests[request_id] = answer
        try:
            try:
                self._send(make(request_id))
            except OSError:  # BrokenPipeError: it died after the check above
                raise GuestError("the sandbox process has stopped") from None
            return answer.result(wait)
        finally:
            with self._lock:
                self._requests.pop(request_id, None)

    # -- receiving ---------------------------------------------------------------------------

    def _receive(self) -> wire.Message:
        """The next message from the process, bounded before it is decoded (for the
        handshake, before a reader takes over)."""
        return unpack_bounded(self._connection.recv_bytes(MAX_MESSAGE), wire.FROM_PROCESS)

    def _read(self) -> None:
        """Read the process's messages on this thread, until its socket closes."""
        reading = self._descriptor()
        frames = Frames(MAX_MESSAGE)
        try:
            while self._take(frames, reading.recv(READ_SIZE)):
                pass
        except OSError:
            pass
        finally:
            reading.close()
        self._exited()

    def _read_on_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Read the process's messages in `loop`'s own thread, when its socket is readable.

        Why: in the server, a message read on a thread of its own had to wake the loop to
        be acted on (a run's end, above all), and those threads' wake-ups cost about a
        sixth of the server's CPU per widget API request. Read here, the loop's own poll
        notices the socket, and a run's end resolves its future at once. Handlers never
        wait (output, chunks and ends are handed on; host calls go to the bridge's
        threads), nor does any send (`Sender`); waiting for the process from the loop's
        thread is refused (`refuse_waiting_on`). Each read asks not to wait
        (MSG_DONTWAIT), whatever the descriptor's mode (uvloop makes it non-blocking)."""
        self._reading = reading = self._descriptor()
        frames = Frames(MAX_MESSAGE)

        def readable() -> None:
            try:
                data = reading.recv(READ_SIZE, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if not self._take(frames, data):  # the rest waits for the process, off the loop
                loop.remove_reader(reading.fileno())
                reading.close()
                threading.Thread(
                    target=self._exited, name="widgetbox-sandbox-exit", daemon=True
                ).start()

        def attach() -> None:
            loop.add_reader(reading.fileno(), readable)

        loop.call_soon_threadsafe(attach)

    def _descriptor(self) -> socket.socket:
        """A descriptor of the process's socket for one reader or sender to own, in
        blocking mode (a socket object with a timeout waits in `recv` and `send` even when
        asked not to)."""
        sock = socket.socket(fileno=os.dup(self._connection.fileno()))
        sock.settimeout(None)
        return sock

    def _take(self, frames: Frames, data: bytes) -> bool:
        """Handle the messages `data` completes. False when reading ends: the socket has
        closed (`data` is empty), or the process broke the protocol: it may be subverted,
        so it is killed and not trusted again (a message too long, malformed, unexpected)."""
        if not data:
            return False
        try:
            for payload in frames.feed(data):
                self._handle(unpack_bounded(payload, wire.FROM_PROCESS))
        except (FrameError, WireError, KeyError, TypeError, ValueError):
            log.exception("a sandbox process sent a malformed message; it is stopped")
            self._process.kill()
            return False
        return True

    def _handle(self, message: wire.Message) -> None:
        handler = self._HANDLERS.get(type(message))
        if handler is None:
            raise WireError(f"a {message.kind!r} message is not expected now")
        handler(self, message)

    def _output(self, message: wire.Output) -> None:
        run = self._runs.get(message.run)
        if run is None:
            return
        run.keep_output(message.stream, message.text)
        if run.on_output is not None:
            try:
                run.on_output(message.stream, message.text)
            except Exception:  # a broken listener must not break the run
                log.exception("output callback failed")

    def _chunk(self, message: wire.Chunk) -> None:
        """A piece of a run's streamed response: checked again (the process may be
        subverted: a chunk nobody asked for, a second head, a bad head, too many bytes break
        the protocol) and handed to the run's listener."""
        run = self._runs.get(message.run)
        if run is not None:
            take_chunk(run, message.chunk)

    def _call(self, message: wire.Call) -> None:
        """A forwarded host call: started on the Bridge's workers from this thread, and
        answered when the handler returns or its timeout passes."""
        run = self._runs.get(message.run)
        if run is None:  # the run has ended meanwhile
            self._answer(message.call, error_frame("HostError", "the run has ended"))
            return
        call = HostCall(op=message.op, context=run.context, timeout=_seconds(message.timeout, run))
        answer = self._bridge.submit(message.op, message.data, call, run.abandoned)
        answer.add_done_callback(lambda done: self._answer(message.call, done.result()))

    def _answer(self, call_id: int, frame: bytes) -> None:
        self._post(wire.Answer(call=call_id, frame=frame.decode()))

    def _lacking(self, message: wire.Lacking) -> None:
        """The process does not hold the files a run was sent without (it dropped them):
        the run goes again with them. Only a run sent without files may ask, and only
        once."""
        run = self._runs.get(message.run)
        if run is None:
            return
        if not run.stripped or run.request is None:
            raise WireError("asked for files it was sent")
        run.stripped = False
        self._holds.discard(run.request.bundle)
        self._post(wire.Run(run=message.run, request=run.request, deadline=run.deadline))

    def _done(self, message: wire.Done) -> None:
        run = self._runs.get(message.run)
        if run is not None:
            run.result = message.result
            run.finish()

    def _failed(self, message: wire.Failed) -> None:
        run = self._runs.get(message.run)
        if run is not None:
            run.failure = f"the sandbox failed: {message.message}"
            run.finish()

    def _log(self, message: wire.Log) -> None:
        # Only Widgetbox's own loggers, at a level that exists: a subverted process must not
        # grow the logging registry with names of its choosing.
        name, level = message.name, message.level
        if name != "widgetbox" and not name.startswith("widgetbox."):
            name = "widgetbox.runtime"
        level = min(max(level, logging.DEBUG), logging.CRITICAL)
        logging.getLogger(name).log(level, "sandbox process: %s", message.text)

    def _reply(self, message: wire.Reply) -> None:
        answer = self._requests.get(message.id)
        if answer is not None and not answer.done():  # a second answer is ignored
            answer.set_result(message)

    _HANDLERS: ClassVar[dict[type[wire.Message], Callable[[SandboxProcess, Any], None]]] = {
        wire.Output: _output,
        wire.Chunk: _chunk,
        wire.Call: _call,
        wire.Lacking: _lacking,
        wire.Done: _done,
        wire.Failed: _failed,
        wire.Log: _log,
        wire.Compiled: _reply,
        wire.PackagesCompiled: _reply,
        wire.NotCompiled: _reply,
        wire.Pool: _reply,
    }
    """What a running process may send (`wire.FROM_PROCESS` but for Ready and
    FailedToStart, which only `_await_ready` reads), and what handles each."""

    def _exited(self) -> None:
        with self._exit_lock:
            if self._ended.is_set():
                return
            self._end_runs()
            self._ended.set()

    def _end_runs(self) -> None:
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
            run.finish()
        for answer in requests:
            if not answer.done():
                answer.set_exception(GuestError("the sandbox process stopped"))
        self._sender.stop(0.0)  # its writer ends once it has sent or found the process gone
        self._connection.close()  # read by no one now (the sender has a descriptor of its own)
        self._on_exit(self)

    # -- stopping ----------------------------------------------------------------------------

    def begin_close(self) -> None:
        """Tell the process to stop its runs (they end as killed) and exit."""
        self.closing = True
        with contextlib.suppress(OSError):  # it has gone already
            self._send(wire.Close())

    def finish_close(self, timeout: float = STOP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("a sandbox process did not stop in time; killing it")
            self._process.kill()
        grace = max(0.0, deadline - time.monotonic()) + 1.0
        stopped = self._loop is not None and not self._loop.is_running()
        if not self._ended.wait(0.0 if stopped else grace):
            self._exited()  # the loop that read it has stopped: its runs end here instead
        if stopped and self._reading is not None and self._loop and self._loop.is_closed():
            self._reading.close()  # its loop cannot remove or close it any more
        self._sender.stop(max(0.0, deadline - time.monotonic()) + 1.0)


def take_chunk(run: PendingRun, chunk: ResponseChunk) -> None:
    """Check a piece of a run's streamed response again (its sender may be subverted: a
    chunk nobody asked for, a second head, a bad head, too many bytes break the protocol,
    a WireError) and hand it to the run's listener. For a sandbox process's chunks and a
    remote worker's (`remote/`) alike."""
    first = run.streamed is None
    if run.on_chunk is None or first != (chunk.status is not None or chunk.headers is not None):
        raise WireError("a chunk the run did not ask for, or with a head out of place")
    if first:
        try:
            http_response({"status": chunk.status, "headers": chunk.headers})
        except Malformed as e:
            raise WireError(f"a streamed response's head: {e}") from None
    run.streamed = (run.streamed or 0) + len(chunk.body)
    if len(chunk.body) > run.limits.stream_chunk_bytes or run.streamed > run.limits.stream_bytes:
        raise WireError("a streamed response beyond its limits")
    try:
        run.on_chunk(chunk)
    except Exception:  # a broken listener must not break the run
        log.exception("chunk callback failed")


def _seconds(timeout: float, run: PendingRun) -> float:
    """A forwarded call's timeout: what the process asked for, never past the run's deadline
    (a process could ask for any number, and one too large for a lock's wait raises)."""
    left = max(0.0, run.deadline - time.monotonic())
    return max(timeout, 0.0) if timeout < left else left


def refuse_waiting_on(loop: asyncio.AbstractEventLoop | None) -> None:
    """Refuse (RuntimeError) to wait for a sandbox process on the event loop that reads it
    (`SandboxProcess._read_on_loop`): nothing would be read while it waited."""
    if loop is not None and running_loop() is loop:
        raise RuntimeError("waiting for a sandbox process on the event loop that reads it")


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running in this thread, if any."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
