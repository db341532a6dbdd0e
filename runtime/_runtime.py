"""The runtime's public face: run a job in a fresh sandbox, from a thread or from asyncio."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import dataclasses
import functools
import itertools
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from . import _artifacts, _busy, _included, _snapshot
from . import _wire as wire
from ._bridge import Bridge
from ._bundles import Bundles
from ._cancel import Cancel
from ._engine import CompileProgress
from ._guest import GuestError
from ._http import ChunkCallback
from ._jobs import BATCH_JOBS, Call, Job, Route
from ._limits import Limits
from ._output import OutputCallback
from ._processes import (
    PendingRun,
    ProcessGone,
    SandboxProcess,
    refuse_waiting_on,
    running_loop,
)
from ._pycache import PACKAGES_COMPILE_LIMITS, BytecodeCache, CompileFailed
from ._result import RunResult, Status
from ._wire import BATCH, INTERACTIVE, Lane, RunRequest

if TYPE_CHECKING:
    from .remote import Access, Workers

log = logging.getLogger("widgetbox.runtime")

SHUTDOWN_WAIT = 10.0
"""Seconds `close()` waits for running work to stop (it stops within a tick)."""
RESTART_DELAY = 1.0
"""Seconds before a sandbox process that died is replaced (doubled, up to a minute, while
starting one fails)."""
PICK_WAIT = 15.0
"""Seconds a run waits for a replacement when no sandbox process is alive."""
COMPILE_WAIT = 120.0
"""Seconds a background compile job may take before its answer is given up on."""
MAX_HOMES = 1000
"""Packages folders whose process is remembered, at most."""
OVERDUE_GRACE = 1.0
"""Seconds past its deadline after which a run still going is stuck where the deadline
cannot reach (host-side work), and its sandbox process is killed and replaced."""
WATCH_INTERVAL = 0.2
"""How often the watchdog looks for such runs."""


@dataclasses.dataclass(frozen=True)
class ProcessStatus:
    """One sandbox process, as `Runtime.sandbox_status` found it."""

    lane: Lane
    """`interactive` (HTTP routes, server calls) or `batch` (scripts, compiles)."""
    pid: int
    alive: bool
    runs: int
    """Runs in progress in it."""
    pooled: int | None
    """Started guests waiting in its pool; None when it did not answer in time."""


_handling: ContextVar[bool] = ContextVar("widgetbox_handling_request", default=False)
"""Whether the current task is inside `Runtime.handling_request`."""


class Runtime:
    """Runs widget code, each run in a fresh interpreter (or, for a call or a route that
    asks for it, `Persistent`, in a warm one kept between runs: see `_warm`).

    One per process is the normal case. The interpreters live in sandbox processes (see
    `_worker` for why processes): `processes` for HTTP routes and server calls (default:
    one per core), each keeping its share of `pool_size` interpreters started ahead of
    demand, and `script_processes` (default 1, with one interpreter ahead) for scripts and
    background compiles. With `idle_scripts`, those run at idle priority (SCHED_IDLE): they
    get the CPU time requests leave, and since the whole process is idle, a starved script
    never holds the interpreter lock a request in its process waits for (it did when both
    shared a process). `workers` bounds how many `run_async` calls execute at once
    (default: the number of cores). With
    `cache_bytecode`, each version of a widget's files is compiled once in the background
    and later runs load the bytecode (worth it for a server, not for a one-off run). The
    guests' folders go under `work_dir` (default: /dev/shm when available, else the system's
    temporary folder). Host calls are answered by `bridge`'s handlers, in this process. The
    interpreter, its compiled form and the bytecode come from `cache` (the `cache_dir`
    setting; default: see `_paths.cache_dir`), prepared beforehand by `prepare`. Given a
    `loop`, the processes' messages are read on it (a server's, which awaits its runs
    with `run_async`: see `SandboxProcess._read_on_loop`); the blocking calls (`run`,
    `compile`, ...) must then be made from other threads. Without one, each process is
    read on a thread of its own.
    """

    def __init__(
        self,
        *,
        pool_size: int = 2,
        workers: int | None = None,
        processes: int | None = None,
        script_processes: int = 1,
        idle_scripts: bool = True,
        bridge: Bridge | None = None,
        work_dir: Path | None = None,
        progress: CompileProgress | None = None,
        cache_bytecode: bool = True,
        cache: Path | None = None,
        nats: str | None = None,
        nats_access: Access | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if pool_size < 0:
            raise ValueError("the pool size must not be negative")
        self.interpreter = _artifacts.locate(cache=cache)
        # so no sandbox process makes them: the compiled interpreter, its warmed-up image
        _snapshot.ensure_cached(self.interpreter, progress)
        if _included.locate(self.interpreter) is None:
            log.warning(
                "the packages included for widgets (requests, httpx) are not prepared: "
                "widgets cannot import them until `widgetbox prepare` has run"
            )
        self.bridge = bridge or Bridge()
        self.workers = workers or os.cpu_count() or 1
        count = (os.cpu_count() or 1) if processes is None else processes
        if count < 0 or script_processes < 1:
            raise ValueError("a runtime needs a script process, and no negative counts")
        self.pool_size = pool_size
        self._work = Path(tempfile.mkdtemp(prefix="widgetbox-", dir=work_dir or _memory_dir()))
        # a slot per request process, and one for this process (`handling_request`)
        self._board = _busy.Board(_busy.create(self._work, count + 1))
        self._handling = _busy.Executing(self._board, count)
        common = {
            "work_dir": str(self._work),
            "board": str(self._work / _busy.BOARD_FILE),
            "threads": self.workers,
            "log_level": logging.getLogger("widgetbox").getEffectiveLevel(),
            "verified": _artifacts.verified(),
            "cache": str(self.interpreter.cache),
        }
        self._settings = {
            # the share of each, rounded up
            INTERACTIVE: {
                **common,
                "pool_size": -(-pool_size // max(count, 1)),
                "idle": False,
                "give_way": False,
            },
            BATCH: {
                **common,
                "pool_size": min(pool_size, 1),
                "idle": idle_scripts,
                "give_way": idle_scripts,
                "slot": None,
            },
        }
        self._loop = loop
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        """Notified when a process is replaced (runs waiting for a live one wake up)."""
        self._closed = False
        self._processes: list[SandboxProcess] = []
        # request processes each write their own slot of the board
        roles: list[tuple[Lane, int | None]] = [(INTERACTIVE, slot) for slot in range(count)]
        roles += [(BATCH, None)] * script_processes
        try:
            with ThreadPoolExecutor(len(roles)) as starting:  # in parallel: each takes ~0.4 s
                self._processes.extend(starting.map(lambda r: self._start_process(*r), roles))
        except BaseException:
            self.close()
            raise
        tag = "cpython-" + self.interpreter.pin.python.replace(".", "")
        self._bundles = Bundles(BytecodeCache(self._compile_files, tag, enabled=cache_bytecode))
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="widgetbox-run")
        self._run_ids = itertools.count(1)
        self._homes: dict[tuple[Lane, Path], SandboxProcess] = {}
        """The process that last ran with each packages folder (it keeps a spare guest)."""
        self._active = 0
        self._idle = threading.Condition()
        self._start_watchdog()
        self.remote: Workers | None = None
        """Sandbox workers on other machines, over the NATS server at `nats`, reached with
        the files `nats_access` names (TLS, an nkey; see `remote/`): runs go to them while
        one has room, else to this runtime's processes."""
        if nats:
            from .remote import Workers  # nats-py only when it is used

            try:
                self.remote = Workers(
                    nats, self.bridge, fallback=self._run_here, access=nats_access
                )
            except BaseException:
                self.close()
                raise

    def _start_watchdog(self) -> None:
        self._stop_watching = threading.Event()
        self._watchdog = threading.Thread(
            target=self._watch, name="widgetbox-watchdog", daemon=True
        )
        self._watchdog.start()

    def _watch(self) -> None:
        """Kill a sandbox process in which a run is stuck past its deadline. Fuel and
        epochs stop wasm code, but nothing interrupts the host's own work for a guest
        (a host function, a WASI call); this bounds any future bug of that kind to the
        run's deadline plus `OVERDUE_GRACE`, at the price of the other runs in that
        process, which end as killed and say why."""
        while not self._stop_watching.wait(WATCH_INTERVAL):
            now = time.monotonic()
            with self._lock:
                processes = list(self._processes)
            for process in processes:
                overdue = process.overdue(now, OVERDUE_GRACE)
                if overdue and process.alive and not process.closing:
                    process.kill(overdue)

    def _start_process(self, role: Lane, slot: int | None) -> SandboxProcess:
        settings = self._settings[role]
        if role == INTERACTIVE:
            assert slot is not None
            settings = {**settings, "slot": slot, "cpu": _cpu_for(slot)}
        return SandboxProcess(
            role, slot, settings, self.bridge, self._process_exited, loop=self._loop
        )

    def _process_exited(self, process: SandboxProcess) -> None:
        """Replace a process that died (a crash in wasmtime, or killed from outside)."""
        with self._lock:
            if self._closed or process.closing:
                return
        threading.Thread(
            target=self._replace, args=(process,), name="widgetbox-restart", daemon=True
        ).start()

    def _replace(self, dead: SandboxProcess) -> None:
        delay = RESTART_DELAY  # a process that dies at once is not restarted in a loop
        while True:
            time.sleep(delay)
            with self._lock:
                if self._closed:
                    return
            if dead.slot is not None:
                self._board.clear(dead.slot)  # it may have died with guests executing
            try:
                fresh = self._start_process(dead.role, dead.slot)
                break
            except Exception:
                log.exception("could not restart a sandbox process; trying again in %.0f s", delay)
                delay = min(delay * 2, 60.0)
        with self._lock:
            if not self._closed:
                self._processes = [fresh if p is dead else p for p in self._processes]
                self._changed.notify_all()
                return
        fresh.begin_close()
        fresh.finish_close()

    def _pick(
        self, role: Lane, packages: Path | None = None, *, wait: bool = True
    ) -> SandboxProcess:
        """The live process of `role` with the fewest runs in progress; for code with
        packages, the one that ran with that folder last (its spare guest is there) unless
        it is busier than the others by more than a run. When none is alive (all were lost
        at once), waits up to `PICK_WAIT` for a replacement."""

        def live() -> list[SandboxProcess]:
            return [p for p in self._processes if p.role == role and p.alive]

        with self._lock:
            alive = live()
            if not alive and not wait:
                raise _NoneAlive("no sandbox process is running now")
            self._changed.wait_for(lambda: self._closed or bool(live()), PICK_WAIT)
            alive = live()
            if not alive:
                raise GuestError("no sandbox process is running (see the log for why)")
            chosen = min(alive, key=lambda process: process.active)
            if packages is not None:
                # a home per lane: a request must never land in the batch lane's process
                # (idle priority, giving way to requests: to itself too)
                home = self._homes.get((role, packages))
                if home is not None and home.alive and home.active <= chosen.active + 1:
                    chosen = home
                self._homes[(role, packages)] = chosen
                while len(self._homes) > MAX_HOMES:
                    del self._homes[next(iter(self._homes))]
            return chosen

    def _compile_files(self, files: dict[str, str]) -> dict[str, bytes]:
        process = self._pick(BATCH)
        match process.request(functools.partial(wire.Compile, files=files), COMPILE_WAIT):
            case wire.Compiled(pyc=pyc):
                return pyc
            case wire.NotCompiled(error=error, quiet=quiet):
                raise CompileFailed(error, quiet=quiet)
            case other:
                raise GuestError(f"a sandbox process answered a compile job with {other.kind!r}")

    def compile_packages(self, folder: Path) -> int:
        """Compile the modules of a folder of installed packages to bytecode in place (see
        `_pycache.compile_packages`), in a sandbox that mounts it writable; returns how many
        modules were compiled. Raises CompileFailed."""
        wait = PACKAGES_COMPILE_LIMITS.timeout + 30.0
        process = self._pick(BATCH)
        match process.request(functools.partial(wire.CompilePackages, folder=folder), wait):
            case wire.PackagesCompiled(modules=modules):
                return modules
            case wire.NotCompiled(error=error, quiet=quiet):
                raise CompileFailed(error, quiet=quiet)
            case other:
                raise GuestError(f"a sandbox process answered a compile job with {other.kind!r}")

    def sandbox_status(self, wait: float = 1.0) -> list[ProcessStatus]:
        """Each sandbox process as it is now: its lane, whether it is alive, its runs in
        progress and the started guests its pool holds (asked of the process, waiting at
        most `wait` seconds in all; None when it did not answer). For health checks and
        metrics: it blocks, so call it from a thread."""
        with self._lock:
            processes = [] if self._closed else list(self._processes)
        deadline = time.monotonic() + wait
        found = []
        for process in processes:
            guests = None
            if process.alive and not process.closing:
                left = max(0.0, deadline - time.monotonic())
                with contextlib.suppress(GuestError, TimeoutError):
                    answer = process.request(functools.partial(wire.WaitReady, timeout=0.0), left)
                    if isinstance(answer, wire.Pool):
                        guests = answer.guests
            found.append(
                ProcessStatus(
                    lane=process.role,
                    pid=process.pid,
                    alive=process.alive and not process.closing,
                    runs=process.active,
                    pooled=guests,
                )
            )
        return found

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until every process has its share of started interpreters (benchmarks and
        tests use this)."""
        deadline = time.monotonic() + (timeout if timeout is not None else 3600.0)
        with self._lock:
            processes = list(self._processes)
        for process in processes:
            left = max(0.0, deadline - time.monotonic())
            answer = process.request(functools.partial(wire.WaitReady, timeout=left), left + 1.0)
            if not isinstance(answer, wire.Pool) or not answer.ready:
                return False
        return True

    def run(
        self,
        job: Job,
        *,
        limits: Limits | None = None,
        on_output: OutputCallback | None = None,
        cancel: Cancel | None = None,
        context: Mapping[str, Any] | None = None,
        on_chunk: ChunkCallback | None = None,
    ) -> RunResult:
        """Run `job` (from this thread, in a sandbox process) and return what happened.

        `on_output(stream, text)` is called as the guest prints; `on_chunk(chunk)` as a
        route streams its response (without it, the chunks are joined into the result's
        response); `cancel` stops the run within a tick (10 ms) of being set, the run's
        message its reason if it gave one; `context` is passed to bridge handlers.
        A run whose sandbox process dies under it (or is killed by the watchdog) ends as
        killed, or timed out if it was the one stuck past its deadline, with what it
        printed and a message saying why. Raises ValueError (or SerializationError) for a
        job that cannot be run at all, and GuestError when the sandbox itself failed.
        """
        refuse_waiting_on(self._loop)
        request = self._request(job, limits, on_chunk)
        run_context = dict(context or {})  # stays here: host calls are answered here
        with self._idle:
            self._active += 1
        try:
            process, run_id, run = self._start(
                request, on_output, cancel, run_context, on_chunk, None, wait=True
            )
            try:
                run.done.wait()  # set by its result, or when its process dies
            finally:
                process.forget(run_id, run)
            return _reasoned(process.outcome(run), cancel)
        finally:
            self._ended()

    def _request(
        self, job: Job, limits: Limits | None, on_chunk: ChunkCallback | None
    ) -> RunRequest:
        """What a sandbox process needs of `job` (checked here: ValueError for a job that
        cannot be run at all)."""
        if self._closed:
            raise RuntimeError("the runtime is closed")
        payload = job.payload()
        batch = isinstance(job, BATCH_JOBS)
        limits = limits or (Limits.script() if batch else Limits.request())
        bundle = self._bundles.of(job.code)
        return RunRequest(
            job=payload,
            bundle=bundle.digest,
            files=bundle.files,
            limits=limits,
            bytecode=bundle.bytecode,
            lane=BATCH if batch else INTERACTIVE,
            packages=job.code.packages,
            stream=on_chunk is not None,
            persistent=job.persistent if isinstance(job, (Call, Route)) else None,
        )

    def _start(
        self,
        request: RunRequest,
        on_output: OutputCallback | None,
        cancel: Cancel | None,
        context: Mapping[str, Any],
        on_chunk: ChunkCallback | None,
        on_done: Callable[[], None] | None,
        *,
        wait: bool,
    ) -> tuple[_Runs, int, PendingRun]:
        """Send `request` to a remote worker with room (`remote`), else to a sandbox
        process of its lane (see `SandboxProcess.start`), once more to another when the
        first had died before it reached it (nothing ran). Without `wait`, raises _NoneAlive
        rather than wait for a replacement process."""
        sent = self._start_remote(request, on_output, cancel, context, on_chunk, on_done, None)
        if sent is not None:
            return sent
        return self._start_local(request, on_output, cancel, context, on_chunk, on_done, wait)

    def _start_remote(
        self,
        request: RunRequest,
        on_output: OutputCallback | None,
        cancel: Cancel | None,
        context: Mapping[str, Any],
        on_chunk: ChunkCallback | None,
        on_done: Callable[[], None] | None,
        on_start: Callable[[], concurrent.futures.Future[None]] | None,
    ) -> tuple[_Runs, int, PendingRun] | None:
        """Send `request` to a remote worker (`remote`), or None when none takes it now."""
        if self.remote is None:
            return None
        with self._lock:  # with none of its own, a worker takes it even when busy
            local = any(p.role == request.lane and p.alive for p in self._processes)
        sent = self.remote.start(
            request,
            on_output=on_output,
            cancel=cancel,
            context=context,
            on_chunk=on_chunk,
            on_done=on_done,
            busy_ok=not local,
            on_start=on_start,
        )
        return None if sent is None else (self.remote, 0, sent)

    def _start_local(
        self,
        request: RunRequest,
        on_output: OutputCallback | None,
        cancel: Cancel | None,
        context: Mapping[str, Any],
        on_chunk: ChunkCallback | None,
        on_done: Callable[[], None] | None = None,
        wait: bool = True,
    ) -> tuple[_Runs, int, PendingRun]:
        def send() -> tuple[_Runs, int, PendingRun]:
            process = self._pick(request.lane, request.packages, wait=wait)
            run_id = next(self._run_ids)
            run = process.start(
                run_id,
                request,
                on_output=on_output,
                cancel=cancel,
                context=context,
                on_chunk=on_chunk,
                on_done=on_done,
            )
            return process, run_id, run

        try:
            return send()
        except ProcessGone:  # it died before the run reached it: nothing ran
            return send()

    def _run_here(
        self,
        request: RunRequest,
        remote: PendingRun | None = None,
        on_output: OutputCallback | None = None,
        cancel: Cancel | None = None,
        context: Mapping[str, Any] | None = None,
        on_chunk: ChunkCallback | None = None,
    ) -> RunResult:
        """Run `request` on a local process from start to end (also what `remote` falls
        back to for a run no worker took: then its listeners are the remote run's)."""
        if remote is not None:
            on_output, on_chunk, context = remote.on_output, remote.on_chunk, remote.context
            cancel = getattr(remote, "cancel", None)
        process, run_id, run = self._start_local(
            request, on_output, cancel, dict(context or {}), on_chunk
        )
        try:
            run.done.wait()
        finally:
            process.forget(run_id, run)
        return process.outcome(run)

    def _ended(self) -> None:
        with self._idle:
            self._active -= 1
            self._idle.notify_all()

    @contextlib.contextmanager
    def handling_request(self) -> Iterator[None]:
        """Around a server's handling of someone's request (an HTTP API call, a GUI app's
        server call): scripts give way meanwhile, as they do while the request's guest
        executes, except while `run_async` waits for that guest (which counts itself only
        while it executes, not while it waits for the network)."""
        token = _handling.set(True)
        self._handling.enter()
        try:
            yield
        finally:
            self._handling.leave()
            _handling.reset(token)

    def outliving_request(self) -> contextvars.Context:
        """A copy of the current context where runs are not part of the request being
        handled (`handling_request`): for a run that outlives its handler, as a streamed
        response's does (its guest still counts itself while it executes)."""
        context = contextvars.copy_context()
        context.run(_handling.set, False)
        return context

    async def run_async(
        self,
        job: Job,
        *,
        limits: Limits | None = None,
        on_output: OutputCallback | None = None,
        cancel: Cancel | None = None,
        context: Mapping[str, Any] | None = None,
        on_chunk: ChunkCallback | None = None,
        on_start: Callable[[], Awaitable[None]] | None = None,
    ) -> RunResult:
        """`run` from an event loop, which waits for the sandbox process's answer without a
        thread per run: the run is sent from the loop, and the process's reader thread wakes
        the loop when it ends. Cancelling the awaiting task cancels the run (and waits for
        the sandbox to stop, which takes at most a tick). Deadlines and the watchdog apply
        as for `run`. Only while no sandbox process of its lane is alive (all were lost at
        once) does a run wait for a replacement on one of the runtime's worker threads.

        `on_start()` is awaited (on this loop) before the run may begin anywhere: at once
        for a local process, once a worker has taken it from the queue for a queued run
        on a remote worker (see `remote/`). What it raises refuses the run, which then
        never began: `run_async` raises it."""
        request = self._request(job, limits, on_chunk)
        return await self._run_async(request, on_output, cancel, context, on_chunk, on_start)

    async def run_request_async(
        self,
        request: RunRequest,
        *,
        on_output: OutputCallback | None = None,
        cancel: Cancel | None = None,
        context: Mapping[str, Any] | None = None,
        on_chunk: ChunkCallback | None = None,
    ) -> RunResult:
        """`run_async` for a request made elsewhere (what a worker's host sent it:
        `remote/`), on this runtime's own sandbox processes. A worker drives its host's
        runs from its NATS loop this way: no thread per run, and no hop to one."""
        if self._closed:
            raise RuntimeError("the runtime is closed")
        return await self._run_async(
            request, on_output, cancel, context, on_chunk, None, local_only=True
        )

    async def _run_async(
        self,
        request: RunRequest,
        on_output: OutputCallback | None,
        cancel: Cancel | None,
        context: Mapping[str, Any] | None,
        on_chunk: ChunkCallback | None,
        on_start: Callable[[], Awaitable[None]] | None,
        *,
        local_only: bool = False,
    ) -> RunResult:
        cancel = cancel or Cancel()
        run_context = dict(context or {})  # stays here: host calls are answered here
        loop = asyncio.get_running_loop()
        ended: asyncio.Future[None] = loop.create_future()

        wake = functools.partial(_wake, loop, ended)
        handling = _handling.get()
        if handling:
            self._handling.leave()  # the sandbox process counts the guest from here
        with self._idle:
            self._active += 1
        started: tuple[_Runs, int, PendingRun] | None = None
        remote_start = None
        if on_start is not None:
            begin = on_start

            def remote_start() -> concurrent.futures.Future[None]:  # on the NATS thread
                return asyncio.run_coroutine_threadsafe(_awaited(begin), loop)

        try:
            try:
                if not local_only:
                    started = self._start_remote(
                        request, on_output, cancel, run_context, on_chunk, wake, remote_start
                    )
                if started is None:
                    if on_start is not None:
                        await on_start()
                    started = self._start_local(
                        request, on_output, cancel, run_context, on_chunk, wake, wait=False
                    )
            except _NoneAlive:  # wait for a replacement off the loop
                starting = loop.run_in_executor(
                    self._executor,
                    functools.partial(
                        self._start_local,
                        request,
                        on_output,
                        cancel,
                        run_context,
                        on_chunk,
                        wake,
                        wait=True,
                    ),
                )
                try:
                    started = await asyncio.shield(starting)
                except asyncio.CancelledError:
                    cancel.set()  # a run sent meanwhile stops at once
                    await asyncio.wait([starting])
                    if not starting.cancelled() and starting.exception() is None:
                        started = starting.result()
                    raise
            try:
                await asyncio.shield(ended)
            except asyncio.CancelledError:
                cancel.set()
                await asyncio.wait([ended])  # the guest stops within a tick
                raise
            process, _, run = started
            return _reasoned(process.outcome(run), cancel)
        finally:
            if started is not None:
                started[0].forget(started[1], started[2])
            self._ended()
            if handling:
                self._handling.enter()

    def close(self) -> None:
        """Stop every run, stop the sandbox processes and remove the runtime's files."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            processes = list(self._processes)
            self._changed.notify_all()
        if hasattr(self, "_stop_watching"):
            self._stop_watching.set()
        if getattr(self, "remote", None) is not None:
            self.remote.close()  # type: ignore[union-attr]  # its runs end as killed
        for process in processes:
            process.begin_close()  # running guests stop within a tick and report "killed"
        if hasattr(self, "_idle"):
            with self._idle:
                self._idle.wait_for(lambda: self._active == 0, timeout=SHUTDOWN_WAIT)
            self._bundles.bytecode.close()
            self._executor.shutdown(wait=True)
        for process in processes:
            process.finish_close()
        self.bridge.close()
        if hasattr(self, "_board"):
            self._board.close()
        shutil.rmtree(self._work, ignore_errors=True)

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _Runs(Protocol):
    """Where a run was sent: a sandbox process, or the remote workers."""

    def forget(self, run_id: int, run: Any) -> None: ...

    def outcome(self, run: Any) -> RunResult: ...


class _NoneAlive(GuestError):
    """No sandbox process of the lane is alive now (`_pick` without waiting)."""


async def _awaited(on_start: Callable[[], Awaitable[None]]) -> None:
    await on_start()


def _wake(loop: asyncio.AbstractEventLoop, ended: asyncio.Future[None]) -> None:
    """A run has ended: resolve `ended` on its loop. Called where the process is read: on
    that loop itself (`Runtime(loop=...)`), or on a reader thread."""
    if running_loop() is loop:
        _resolve(ended)
        return
    with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
        loop.call_soon_threadsafe(_resolve, ended)


def _resolve(ended: asyncio.Future[None]) -> None:
    if not ended.done():
        ended.set_result(None)


def _reasoned(result: RunResult, cancel: Cancel | None) -> RunResult:
    """A run killed by its cancel says why, when the canceller gave a reason."""
    if cancel is not None and cancel.reason and result.status is Status.KILLED:
        return dataclasses.replace(result, message=cancel.reason)
    return result


def _cpu_for(slot: int) -> int | None:
    """The core request process `slot` keeps to (see `_worker._keep_to`), one each in turn
    among those this process may use; None where the system cannot say."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return None
    return cpus[slot % len(cpus)] if cpus else None


def _memory_dir() -> Path | None:
    """A RAM-backed folder for the guests' files when the system has one (/dev/shm on
    Linux): creating and removing each run's folders there costs microseconds, not the
    half-millisecond a disk file system takes. Each run's scratch area is capped anyway."""
    shm = Path("/dev/shm")  # noqa: S108 - only ever used through a private 0700 mkdtemp
    return shm if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None
