"""A sandbox process: where guests run. `Runtime` starts one per core
(`python -m widgetbox.runtime._worker FD SETTINGS`) and talks to it over the socket FD.

Why processes rather than threads: starting and discarding interpreters maps, faults in
and unmaps tens of MiB per run, and the kernel serialises that work within one address
space. Measured on 2 cores, two threads reach 141 runs/s, two processes 300. A process also
contains a crash in wasmtime: the runtime sees the connection close, fails that process's
runs and starts another.

The process holds the engine, a pool of started guests, the guests kept for widgets in
persistent mode (`_warm`) and the threads that run them.
Host calls are forwarded to the runtime (`RemoteBridge`), where the handlers and each
run's context live; output streams back as it is printed. It exits when told to, or when
the runtime's end of the connection closes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import json
import logging
import os
import resource
import signal
import socket
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, ClassVar, cast

from . import _artifacts, _bundles, _snapshot
from . import _wire as wire
from ._bridge import HostCall, error_frame
from ._busy import NOT_COUNTED, Board, Executing
from ._guest import Guest, Sandbox
from ._http import ResponseChunk
from ._pool import Pool
from ._pycache import CompileFailed, compile_in_guest, compile_packages
from ._warm import Warm
from ._wire import MAX_MESSAGE, pack, unpack

log = logging.getLogger("widgetbox.runtime")

ANSWER_GRACE = 1.0
"""Seconds a forwarded host call waits beyond its own timeout (the runtime answers a
timed-out call itself, with a Timeout error, at the timeout)."""


class Link:
    """This process's end of the connection; any thread may send."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._lock = threading.Lock()

    def send(self, message: wire.Message) -> None:
        data = pack(message)
        with self._lock:
            self._connection.send_bytes(data)

    def receive(self) -> wire.Message:
        """The runtime's next message (raises WireError for one that is not declared in
        `wire.TO_PROCESS`, EOFError or OSError when the runtime has gone)."""
        return unpack(self._connection.recv_bytes(MAX_MESSAGE), wire.TO_PROCESS)


class _Answer:
    def __init__(self) -> None:
        self.ready = threading.Event()
        self.frame = b""


class RemoteBridge:
    """Answers guests' host calls by asking the runtime, which runs the real handler with
    the run's context and its own timeout."""

    def __init__(self, link: Link) -> None:
        self._link = link
        self._ids = itertools.count(1)
        self._waiting: dict[int, _Answer] = {}
        self._lock = threading.Lock()
        self._closed = False

    def dispatch(
        self, op: str, data: Any, call: HostCall, abandoned: list[Future[Any]] | None = None
    ) -> bytes:
        answer = _Answer()
        call_id = next(self._ids)
        with self._lock:
            if self._closed:
                return error_frame("HostError", "the sandbox is shutting down")
            self._waiting[call_id] = answer
        try:
            self._link.send(
                wire.Call(
                    run=call.context["run"], call=call_id, op=op, data=data, timeout=call.timeout
                )
            )
            if answer.ready.wait(call.timeout + ANSWER_GRACE):
                return answer.frame
            return error_frame("Timeout", f"the host did not answer {op!r} in time")
        finally:
            with self._lock:
                self._waiting.pop(call_id, None)

    def answered(self, call_id: int, frame: bytes) -> None:
        with self._lock:
            answer = self._waiting.get(call_id)
        if answer is not None:
            answer.frame = frame
            answer.ready.set()

    def close(self) -> None:
        """Answer every waiting call with an error now, and any later one at once."""
        with self._lock:
            self._closed = True
            waiting = list(self._waiting.values())
        for answer in waiting:
            answer.frame = error_frame("HostError", "the sandbox is shutting down")
            answer.ready.set()


class _ForwardLogs(logging.Handler):
    """Sends this process's log records to the runtime, which logs them as its own."""

    def __init__(self, link: Link) -> None:
        super().__init__()
        self._link = link

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
            if record.exc_info:
                text += "\n" + logging.Formatter().formatException(record.exc_info)
            self._link.send(wire.Log(level=record.levelno, name=record.name, text=text))
        except Exception:  # noqa: S110 - logging must never break a run
            pass


class Worker:
    def __init__(self, link: Link, settings: dict[str, Any]) -> None:
        self.link = link
        self.bridge = RemoteBridge(link)
        # made by the runtime before it started this process (`Runtime.__init__`)
        compiled = _snapshot.compiled(_artifacts.locate(cache=Path(settings["cache"])))
        # request processes count their executing guests; scripts' processes give way to them
        self.board = Board(Path(settings["board"]))
        slot = settings["slot"]
        self.sandbox = Sandbox(
            compiled,
            self.bridge,
            Path(settings["work_dir"]),
            executing=NOT_COUNTED if slot is None else Executing(self.board, slot),
            give_way_to=self.board if slot is None and settings["give_way"] else None,
        )
        self.make_guest = functools.partial(Guest, self.sandbox)
        self.pool = Pool(self.make_guest, settings["pool_size"], thread_setup=_when_idle)
        self.warm = Warm(self.pool.retire)
        """Guests kept between the runs of widgets in persistent mode."""
        threads = settings["threads"]
        self.runs = {
            "interactive": ThreadPoolExecutor(threads, thread_name_prefix="widgetbox-request"),
            "batch": ThreadPoolExecutor(
                threads, thread_name_prefix="widgetbox-script", initializer=_when_idle
            ),
        }
        self.compiles = ThreadPoolExecutor(1, thread_name_prefix="widgetbox-compile")
        self.cancels: dict[int, threading.Event] = {}
        self.bundles = _bundles.Shelf()
        """The widgets' files and bytecode this process was sent (see `_bundles`)."""
        self.closing = False

    def serve(self) -> None:
        """Handle the runtime's messages until it says close or goes away."""
        while not self.closing:
            try:
                message = self.link.receive()
            except (EOFError, OSError):
                break
            except wire.WireError:
                log.exception("the runtime sent a malformed message; this process stops")
                break
            self._HANDLERS[type(message)](self, message)
        self._shutdown()

    def _run(self, message: wire.Run) -> None:
        # registered before the run is queued, so an early cancel is not lost (kept when
        # the run comes again with its files)
        self.cancels.setdefault(message.run, threading.Event())
        request = message.request
        if request.files is None:  # sent by digest: from the shelf, or asked for
            content = self.bundles.get(request.bundle)
            if content is None:
                self.link.send(wire.Lacking(run=message.run))
                return
        else:  # kept by the digest of what arrived, whatever it was sent as
            content = request.files, request.bytecode or {}
            name = _bundles.digest(*content)
            self.bundles.put(name, _bundles.size(*content), content)
        files, bytecode = content
        request = dataclasses.replace(request, files=files, bytecode=bytecode)
        message = dataclasses.replace(message, request=request)
        self.runs[request.lane].submit(self._execute, message)

    def _cancel(self, message: wire.Cancel) -> None:
        cancel = self.cancels.get(message.run)
        if cancel is not None:
            cancel.set()

    def _answer(self, message: wire.Answer) -> None:
        self.bridge.answered(message.call, message.frame.encode())

    def _compile(self, message: wire.Compile) -> None:
        self.compiles.submit(self._compile_files, message)

    def _compile_packages(self, message: wire.CompilePackages) -> None:
        self.compiles.submit(self._compile_folder, message)

    def _wait_ready(self, message: wire.WaitReady) -> None:
        threading.Thread(target=self._pool_ready, args=(message,), daemon=True).start()

    def _close(self, message: wire.Close) -> None:
        self.closing = True

    _HANDLERS: ClassVar[dict[type[wire.Message], Callable[[Worker, Any], None]]] = {
        wire.Run: _run,
        wire.Cancel: _cancel,
        wire.Answer: _answer,
        wire.Compile: _compile,
        wire.CompilePackages: _compile_packages,
        wire.WaitReady: _wait_ready,
        wire.Close: _close,
    }
    """What the runtime may send (`wire.TO_PROCESS`), and what handles each."""

    def _execute(self, message: wire.Run) -> None:
        run_id, request = message.run, message.request
        files = request.files or {}  # resolved from its bundle by `_run`

        def output(stream: str, text: str) -> None:
            self.link.send(wire.Output(run=run_id, stream=cast(wire.Stream, stream), text=text))

        def chunk(piece: ResponseChunk) -> None:
            self.link.send(wire.Chunk(run=run_id, chunk=piece))

        try:
            urgent = request.lane == wire.INTERACTIVE
            kept = None
            if request.persistent is None or request.lane != wire.INTERACTIVE:
                guest = self.pool.take(urgent, request.packages)
            else:  # persistent mode: a kept guest, or a fresh one to keep (see `_warm`)
                kept = self.warm.take(request.persistent, request.packages, files)
                if kept.guest is None:
                    guest = self.pool.take(urgent, request.packages)
                else:
                    guest = kept.guest
                    self.pool.count(urgent, 1)
            try:
                result = guest.run(
                    request.job,
                    files,
                    request.limits,
                    bytecode=request.bytecode or {},
                    on_output=output,
                    cancel=self.cancels[run_id],
                    context={"run": run_id},
                    deadline=message.deadline,
                    on_chunk=chunk if request.stream else None,
                    keep=kept is not None,
                )
            finally:
                if kept is None:
                    self.pool.retire(guest, urgent)
                else:
                    self.pool.count(urgent, -1)
                    self.warm.give_back(kept, guest)
            self.link.send(wire.Done(run=run_id, result=result))
        except Exception as e:
            log.exception("a run failed in the sandbox process")
            self.link.send(wire.Failed(run=run_id, message=str(e)))
        finally:
            self.cancels.pop(run_id, None)

    def _compile_files(self, message: wire.Compile) -> None:
        answer: wire.Message
        try:
            # not giving way to requests: under a steady load it would never finish, and
            # every request would go on compiling the files it exists to compile once
            guest = self.make_guest(gives_way=False)
            try:
                answer = wire.Compiled(id=message.id, pyc=compile_in_guest(guest, message.files))
            finally:
                guest.close()
        except CompileFailed as e:
            answer = wire.NotCompiled(id=message.id, error=str(e), quiet=e.quiet)
        except Exception as e:
            log.exception("a compile job failed in the sandbox process")
            answer = wire.NotCompiled(id=message.id, error=str(e), quiet=False)
        self.link.send(answer)

    def _compile_folder(self, message: wire.CompilePackages) -> None:
        answer: wire.Message
        try:
            guest = Guest(self.sandbox, message.folder, writable_packages=True)
            try:
                answer = wire.PackagesCompiled(id=message.id, modules=compile_packages(guest))
            finally:
                guest.close()
        except CompileFailed as e:
            answer = wire.NotCompiled(id=message.id, error=str(e), quiet=e.quiet)
        except Exception as e:
            log.exception("compiling a packages folder failed in the sandbox process")
            answer = wire.NotCompiled(id=message.id, error=str(e), quiet=False)
        self.link.send(answer)

    def _pool_ready(self, message: wire.WaitReady) -> None:
        ready = self.pool.wait_ready(message.timeout)
        self.link.send(wire.Pool(id=message.id, ready=ready, guests=self.pool.ready))

    def _shutdown(self) -> None:
        self.sandbox.shutdown.set()  # running guests stop within a tick
        self.bridge.close()
        for executor in self.runs.values():
            executor.shutdown(wait=True)
        self.compiles.shutdown(wait=True, cancel_futures=True)
        self.warm.close()
        self.pool.close()
        self.sandbox.close_all()


def _when_idle() -> None:
    """Make the calling thread (Linux schedules threads one by one) SCHED_IDLE: it runs on
    the CPU time that others leave, and yields a core at once to a thread that wants it.

    Scripts run so: a spinning script does not hold up HTTP requests and server calls
    (measured with two scripts spinning: requests keep about 75% of their throughput; at
    nice 10 or 19, about 55%). Under a sustained full load of requests, scripts slow down
    accordingly; their time limit still applies. So does the pool's housekeeping: starting
    interpreters ahead of demand never delays a run or the web server (a pooled request
    at 50 per second: p90 3.3 ms instead of 5.0)."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux: every run is equal
        os.sched_setscheduler(threading.get_native_id(), os.SCHED_IDLE, os.sched_param(0))


def _keep_to(cpu: int | None) -> None:
    """Keep every thread of this process on one core (a request process; the runtime gives
    each its own in turn).

    wasmtime answers a guest's file calls (a stat, an open, a read: an import makes
    several) on a thread of its own and waits for it. Woken on another core, that thread
    costs tens of microseconds per call on a virtual machine, where waking an idle core is
    slow; on the caller's core, a few. Measured here, a guest's stat took 68-98 us against
    13 us kept to one core, and a pooled hello route ran 25-33% more runs per second. A
    request process runs one request at a time for most of its life, and the runtime gives
    a run to the process with the fewest, so no core waits while another has two.

    Scripts' process is left free: its runs are long, and several of them should spread."""
    if cpu is None:
        return
    with contextlib.suppress(AttributeError, OSError, ValueError):  # not Linux, or not now
        os.sched_setaffinity(0, {cpu})


def _raise_open_files_limit() -> None:
    """Every file a guest opens is a descriptor of this process: allow as many as the
    system lets us (each run may hold `Limits.open_files` of them)."""
    with contextlib.suppress(ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main() -> None:
    # Ctrl-C in a terminal reaches the whole process group: the runtime stops this process
    # in order (its runs end as killed) rather than have it die mid-run.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _raise_open_files_limit()
    settings = json.loads(sys.argv[2])
    if settings["idle"]:
        _when_idle()  # before any thread starts: every thread of the process inherits it
    _keep_to(settings.get("cpu"))  # likewise
    connection = Connection(socket.socket(fileno=int(sys.argv[1])).detach())
    link = Link(connection)
    _artifacts.trust(settings["verified"])
    root = logging.getLogger()
    root.setLevel(settings["log_level"])
    root.addHandler(_ForwardLogs(link))
    try:
        worker = Worker(link, settings)
    except Exception as e:
        link.send(wire.FailedToStart(message=str(e), error=type(e).__name__))
        sys.exit(1)
    link.send(wire.Ready(pid=os.getpid()))
    worker.serve()


if __name__ == "__main__":
    main()
