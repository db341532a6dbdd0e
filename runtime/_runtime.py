"""The runtime's public face: run a job in a fresh sandbox, from a thread or from asyncio."""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import tempfile
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

from . import _artifacts, _engine
from ._bridge import Bridge
from ._engine import CompileProgress
from ._guest import Guest, Sandbox
from ._jobs import Job, Script
from ._limits import Limits
from ._output import OutputCallback
from ._pool import Pool
from ._pycache import BytecodeCache
from ._result import RunResult

SHUTDOWN_WAIT = 10.0
"""Seconds `close()` waits for running work to stop (it stops within a tick)."""


class Runtime:
    """Runs widget code, each run in a fresh interpreter.

    One per process is the normal case (the engine and compiled module are shared anyway).
    `pool_size` interpreters are kept started ahead of demand; `workers` bounds how many
    `run_async` calls execute at once (default: the number of cores). With
    `cache_bytecode`, each version of a widget's files is compiled once in the background
    and later runs load the bytecode (worth it for a server, not for a one-off run). The
    guests' folders go under `work_dir` (default: /dev/shm when available, else the system's
    temporary folder).
    """

    def __init__(
        self,
        *,
        pool_size: int = 2,
        workers: int | None = None,
        bridge: Bridge | None = None,
        work_dir: Path | None = None,
        progress: CompileProgress | None = None,
        cache_bytecode: bool = True,
    ) -> None:
        interpreter = _artifacts.locate()
        compiled = _engine.compiled(interpreter, progress)
        self.bridge = bridge or Bridge()
        self._work = Path(tempfile.mkdtemp(prefix="widgetbox-", dir=work_dir or _memory_dir()))
        self._sandbox = Sandbox(compiled, self.bridge, self._work)
        self.pool = Pool(functools.partial(Guest, self._sandbox), pool_size)
        tag = "cpython-" + interpreter.pin.python.replace(".", "")
        self._bytecode = BytecodeCache(
            functools.partial(Guest, self._sandbox), tag, enabled=cache_bytecode
        )
        self.workers = workers or os.cpu_count() or 1
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="widgetbox-run")
        self._closed = False
        self._active = 0
        self._idle = threading.Condition()

    def run(
        self,
        job: Job,
        *,
        limits: Limits | None = None,
        on_output: OutputCallback | None = None,
        cancel: threading.Event | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> RunResult:
        """Run `job` on this thread and return what happened.

        `on_output(stream, text)` is called as the guest prints; `cancel` stops the run
        within a tick (10 ms) of being set; `context` is passed to bridge handlers.
        Raises ValueError (or SerializationError) for a job that cannot be run at all.
        """
        if self._closed:
            raise RuntimeError("the runtime is closed")
        payload = job.payload()
        limits = limits or (Limits.script() if isinstance(job, Script) else Limits.request())
        with self._idle:
            self._active += 1
        try:
            return self._run_in_guest(payload, job, limits, on_output, cancel, context)
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def _run_in_guest(
        self,
        payload: dict[str, Any],
        job: Job,
        limits: Limits,
        on_output: OutputCallback | None,
        cancel: threading.Event | None,
        context: Mapping[str, Any] | None,
    ) -> RunResult:
        bytecode = self._bytecode.lookup(job.code)
        guest = self.pool.take()
        try:
            return guest.run(
                payload,
                dict(job.code.files),
                limits,
                bytecode=bytecode,
                on_output=on_output,
                cancel=cancel,
                context=dict(context or {}),
            )
        finally:
            self.pool.retire(guest)

    async def run_async(
        self,
        job: Job,
        *,
        limits: Limits | None = None,
        on_output: OutputCallback | None = None,
        cancel: threading.Event | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> RunResult:
        """`run` on the runtime's worker threads. Cancelling the awaiting task cancels the
        run (and waits for the sandbox to stop, which takes at most a tick)."""
        cancel = cancel or threading.Event()
        call = functools.partial(
            self.run, job, limits=limits, on_output=on_output, cancel=cancel, context=context
        )
        future = asyncio.get_running_loop().run_in_executor(self._executor, call)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            cancel.set()
            await asyncio.wait([future])
            raise

    def close(self) -> None:
        """Stop every run, discard the pool and remove the runtime's temporary files."""
        if self._closed:
            return
        self._closed = True
        self._sandbox.shutdown.set()  # running guests stop within a tick
        with self._idle:
            self._idle.wait_for(lambda: self._active == 0, timeout=SHUTDOWN_WAIT)
        self.pool.close()
        self._bytecode.close()
        self._executor.shutdown(wait=True)
        self._sandbox.close_all()
        self.bridge.close()
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


def _memory_dir() -> Path | None:
    """A RAM-backed folder for the guests' files when the system has one (/dev/shm on
    Linux): creating and removing each run's folders there costs microseconds, not the
    half-millisecond a disk file system takes. Each run's scratch area is capped anyway."""
    shm = Path("/dev/shm")  # noqa: S108 - only ever used through a private 0700 mkdtemp
    return shm if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None
