"""Running widgets: scripts, scheduled runs and background tasks in the background with live
output, HTTP requests and server calls while their caller waits. Every run goes through the
queue, executes in a fresh sandbox (HTTP requests and server calls of a widget in persistent
mode: in a warm one kept for its version, `_persistent`), and is recorded.

Scripts and background tasks share one path (`start`): a script run is a background task
whose function is the module body, so both are queued on the batch lane under the owner's
limits, recorded, streamed live, listed in the run history, cancelled by `cancel` and keep a
`task_state` (`states.py`); only the job differs (`Script` or `Task`).

A batch run is recorded "running" only as it may begin (`Runtime.run_async`'s `on_start`:
in a local process at once, on a remote worker once one has taken it from the work queue
and before it starts it), so its record says whether its code may have run. Stopping
leaves the runs that never began queued, and the next start queues them again (`resume`);
those that had begun are not run again (their code may have had side effects).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from widgetbox.host.accounts.users import User
from widgetbox.host.errors import DiskFull
from widgetbox.host.runs import fuel
from widgetbox.host.runs import records as runs
from widgetbox.host.runs.admission import Lane, RunQueue, Ticket
from widgetbox.host.runs.live import Channel, LiveRuns
from widgetbox.host.runs.request_log import Entry, RequestLog
from widgetbox.host.runs.states import TaskStates
from widgetbox.host.storage.database import Database
from widgetbox.host.storage.full_disk import DiskFullLog, is_disk_full
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.heads import Heads
from widgetbox.host.widgets.records import Widget
from widgetbox.runtime import (
    Call,
    Cancel,
    ChunkCallback,
    Code,
    GuestError,
    HttpRequest,
    HttpResponse,
    Job,
    Limits,
    Persistent,
    Recycle,
    Route,
    RunResult,
    Runtime,
    Script,
    Status,
    Task,
    decode_value,
)

log = logging.getLogger("widgetbox.host")

RECORD_RETRY_FIRST = 0.25
RECORD_RETRY_MAX = 2.0
"""Seconds between attempts to record how a run ended while the disk is full."""

ContextFactory = Callable[[Widget, int | None, Code], Mapping[str, Any]]
"""Builds the bridge context of a run (widget id, services' per-run budgets and sessions)
from the widget, the run's id (None for requests and calls) and the code it runs."""
ContextEnd = Callable[[Mapping[str, Any]], None]
"""Called with a run's context once the run has ended, whatever the outcome (its services'
sessions end: an open Data Tables transaction is rolled back)."""
GuestServices = Callable[[Code], Mapping[str, Any]]
"""What a run's services tell its guest with the job (`Job.services`), from the code it runs
(the widget's table names)."""
PackagesFolder = Callable[[sqlite_utils.Database, int, int], Path | None]
"""The folder of the packages a widget version runs with (None: it has none), read in a
database read (`PackageService.folder_for`)."""
Admit = Callable[[sqlite_utils.Database, Widget], None]
"""Refuses a new batch run of the widget (a domain error, `TooMany`), inside the write that
records it: a course's limits on its students' copies (`courses/limits.check`)."""
RunObserver = Callable[[Lane, str, float | None], None]
"""Told of every run that ends: its lane, its status and its seconds in the sandbox (None
when it never reached it); the metrics count them (`health.metrics`)."""


@dataclass(frozen=True)
class Launch:
    """A background task to run (`anvil.server.launch_background_task`): the
    `@anvil.server.background_task` registered as `name`, with these arguments (decoded)."""

    name: str
    args: list[Any]
    kwargs: dict[str, Any]


@dataclass
class _Active:
    task: asyncio.Task[None]
    cancel: Cancel
    started: bool = False
    """Whether it left the queue for the sandbox (then a cancel stops the sandbox)."""
    begun: bool = False
    """Whether it is recorded running: its code may have run."""
    cancelled: bool = False
    """Whether someone stopped it (`cancel`), not the server's stopping."""


class _NotBegun(Exception):
    """The server is stopping: a run that has not begun stays queued for the next start."""


class Runner:
    def __init__(
        self,
        runtime: Runtime,
        db: Database,
        queue: RunQueue,
        live: LiveRuns,
        context: ContextFactory,
        packages_folder: PackagesFolder = lambda db, widget_id, version: None,
        end_context: ContextEnd = lambda context: None,
        services: GuestServices = lambda code: {},
        observe: RunObserver = lambda lane, status, seconds: None,
        recycle: Recycle | None = None,
        admit: Admit = lambda db, widget: None,
    ) -> None:
        self.runtime = runtime
        self._admit = admit
        self._observe = observe
        self._recycle = recycle or Recycle()
        """When a persistent-mode widget's kept interpreter is replaced (`[sandbox]`)."""
        self._services = services
        self._packages_folder = packages_folder
        self.db = db
        self.queue = queue
        self.live = live
        self._context = context
        self._end_context = end_context
        self._active: dict[int, _Active] = {}
        self.states = TaskStates()
        """`anvil.server.task_state` of the batch runs in progress."""
        self._stopping = asyncio.Event()
        self._disk_full = DiskFullLog("runs' records are waiting for room to be written")
        self.log = RequestLog(db)
        self.log.start()
        self.heads = Heads(db, self.code_in)
        """Widgets and their head code as requests run them, kept between requests."""

    def code_in(self, db: sqlite_utils.Database, widget: Widget) -> Code:
        """The widget's latest files, with the packages they run with (their own once
        installed, until then the previous version's), read inside a `Database.read`: a
        handler that reads the widget anyway reads its code in the same trip."""
        packages = self._packages_folder(db, widget.id, widget.head_version)
        return Code(widgets.head_files(db, widget), widget.entry, packages)

    def code_at(self, db: sqlite_utils.Database, widget: Widget, number: int) -> Code:
        """One version's files with the packages it runs with (classroom checks judge the
        version a student submitted), read inside a `Database.read`."""
        packages = self._packages_folder(db, widget.id, number)
        return Code(widgets.version(db, widget, number).files, widget.entry, packages)

    async def _code(self, widget: Widget) -> Code:
        return await self.db.read(self.code_in, widget)

    # -- the batch lane: scripts, scheduled runs, background tasks -------------------------

    async def start(
        self,
        widget: Widget,
        user: User | None,
        trigger: str,
        *,
        task: Launch | None = None,
        code: Code | None = None,
    ) -> int:
        """Queue a script run of the widget's latest version, or with `task` a background
        task (`code`: the launching run's, else the latest); returns the run's id at once.
        Raises Busy or TooMany when the run cannot even wait."""
        # the place is taken before the first await, so a run that is accepted always runs
        ticket = self.queue.reserve(widget.owner_id, Lane.BATCH)
        try:
            code = code or await self._code(widget)
            services = self._services(code)
            job: Script | Task = (
                Script(code, services=services)
                if task is None
                else Task(code, task.name, task.args, task.kwargs, services=services)
            )
            job.payload()  # SerializationError (arguments) before anything is recorded
            user_id = user.id if user else None
            version = widget.head_version
            name = None if task is None else task.name
            call = None if task is None else runs.task_call(task.args, task.kwargs)

            def record(db: sqlite_utils.Database) -> int:
                self._admit(db, widget)  # in the same write: a burst cannot pass together
                return runs.create(
                    db, widget, version, user_id, trigger, task_name=name, request=call
                )

            run_id = await self.db.write(record)
        except BaseException as e:
            self.queue.give_back(ticket)
            if isinstance(e, Exception) and is_disk_full(e):
                what = "the run could not be recorded, so it was not started"
                raise DiskFull(what, could_not_start=True) from e
            raise
        self._queue(run_id, widget, job, ticket)
        return run_id

    def _queue(self, run_id: int, widget: Widget, job: Script | Task, ticket: Ticket) -> None:
        channel = self.live.open(run_id)
        channel.status("queued", run=run_id)
        self.states.open(run_id)
        cancel = Cancel()
        running = asyncio.create_task(self._script(run_id, widget, job, ticket, channel, cancel))
        self._active[run_id] = _Active(running, cancel)

    async def resume(self) -> int:
        """At start-up: queue again the batch runs an earlier start left queued (they never
        began), each with the version it was queued with (a task with its arguments),
        oldest first; one that cannot be (its widget or version gone, the queue full) is
        marked interrupted. Returns how many were queued again."""
        queued = 0
        for left in await self.db.read(runs.left_queued):
            try:
                widget, job = await self.db.read(self._job_of, left)
                ticket = self.queue.reserve(widget.owner_id, Lane.BATCH)
            except Exception as e:
                log.warning("run %s could not be queued again: %s", left.id, e)
                message = (
                    "Widgetbox stopped while this run was queued, and it could not be "
                    f"queued again: {getattr(e, 'message', e)}"
                )
                await self.db.write(runs.ended_without_running, left.id, "interrupted", message)
                continue
            self._queue(left.id, widget, job, ticket)
            queued += 1
        return queued

    def _job_of(self, db: sqlite_utils.Database, left: runs.Queued) -> tuple[Widget, Script | Task]:
        widget = widgets.find(db, left.widget)
        if widget is None:
            raise LookupError("its widget is gone")
        code = self.code_at(db, widget, left.version)
        services = self._services(code)
        if left.task_name is None:
            return widget, Script(code, services=services)
        call = left.request or {}
        args = decode_value(call.get("args", []))
        kwargs = decode_value(call.get("kwargs", {}))
        return widget, Task(code, left.task_name, args, kwargs, services=services)

    async def _script(
        self,
        run_id: int,
        widget: Widget,
        job: Script | Task,
        ticket: Ticket,
        channel: Channel,
        cancel: Cancel,
    ) -> None:
        active = self._active[run_id]

        async def begin() -> None:
            """It may begin now: recorded running first (a restart never runs it again)."""
            if self._stopping.is_set():
                raise _NotBegun()
            await self.db.write(runs.started, run_id)
            active.begun = True
            channel.status("running", run=run_id)

        try:
            try:
                async with self.queue.hold(ticket):
                    active.started = True
                    context = self._context(widget, run_id, job.code)
                    try:
                        result = await self.runtime.run_async(
                            job,
                            limits=Limits.script(),
                            on_output=channel.output,
                            cancel=cancel,
                            context=context,
                            on_start=begin,
                        )
                    finally:
                        self._ended(widget, context)
            except asyncio.CancelledError:  # cancelled before it reached the sandbox
                if not self._left_queued(active):
                    await self._end(
                        run_id, channel, "killed", "The run was cancelled before it started"
                    )
            except Exception as e:
                if self._left_queued(active):
                    pass
                elif is_disk_full(e):  # the write that marks it started
                    self._disk_full.failed(e)
                    message = (
                        "The server's disk was full: the run could not be recorded as "
                        "started, so it did not start"
                    )
                else:
                    log.exception("run %s failed in the host", run_id)
                    message = "Widgetbox could not run this; the error has been logged"
                await self._end(run_id, channel, "error", message)
            else:
                if self._left_queued(active):  # ended before a worker took it
                    return
                self._observe(Lane.BATCH, result.status.value, result.wall_time)
                state = self.states.get(run_id)[1]
                done = summary(run_id, result)
                await self._finish(run_id, channel, done, runs.finished_task, result, state)
        finally:
            self.queue.give_back(ticket)  # when cancelled before it began to wait
            self._active.pop(run_id, None)
            self.states.close(run_id)  # after the record: readers find the state there
            self.live.finish(run_id)

    def _left_queued(self, active: _Active) -> bool:
        """Whether a run that ended without beginning was stopped by the server's stopping
        (its record stays queued, for the next start), not by someone."""
        return self._stopping.is_set() and not active.begun and not active.cancelled

    async def _end(self, run_id: int, channel: Channel, status: str, message: str) -> None:
        """A run that ended without a result from the sandbox."""
        self._observe(Lane.BATCH, status, None)
        done = {"run": run_id, "status": status, "message": message}
        await self._finish(run_id, channel, done, runs.ended_without_running, status, message)

    async def _finish(
        self,
        run_id: int,
        channel: Channel,
        done: dict[str, Any],
        record: Callable[..., None],
        *args: Any,
    ) -> None:
        """Record how a run ended (`record(db, run_id, *args)`), then tell its watchers.

        A run is never left half-recorded: while the disk is full the record is tried
        again, with waits growing to `RECORD_RETRY_MAX`, until it fits (the watchers are
        told at once meanwhile); a record that fails for another reason is replaced by a
        plain `error`. Only when Widgetbox stops first does the run stay unfinished, and
        the next start marks it interrupted."""
        told = False
        wait = RECORD_RETRY_FIRST
        try:
            while True:
                try:
                    await self.db.write(record, run_id, *args)
                except Exception as e:
                    if not is_disk_full(e):
                        raise
                    self._disk_full.failed(e)
                    if not told:
                        channel.done(done)
                        told = True
                    if self._stopping.is_set():
                        return
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), wait)
                    wait = min(wait * 2, RECORD_RETRY_MAX)
                else:
                    self._disk_full.worked()
                    return
        except Exception:
            log.exception("the end of run %s could not be recorded", run_id)
            message = "Widgetbox could not record how this run ended; the error has been logged"
            done = {"run": run_id, "status": "error", "message": message}
            try:
                await self.db.write(runs.ended_without_running, run_id, "error", message)
            except Exception:
                log.exception("run %s stays unfinished until Widgetbox restarts", run_id)
        finally:
            if not told:
                channel.done(done)

    def cancel(self, run_id: int) -> bool:
        """Stop a queued or running run; False when it is not in progress."""
        active = self._active.get(run_id)
        if active is None:
            return False
        active.cancelled = True
        return self._stop_run(active)

    def _stop_run(self, active: _Active) -> bool:
        active.cancel.set()  # a running sandbox stops within a tick and is recorded as killed
        if not active.started:
            active.task.cancel()  # a queued run leaves the queue
        return True

    async def kill(self, run_id: int, wait: float) -> None:
        """`cancel`, then wait (at most `wait` seconds) until the run's end is recorded."""
        active = self._active.get(run_id)
        if active is not None and self.cancel(run_id):
            await asyncio.wait({active.task}, timeout=wait)

    # -- requests that wait for their answer ------------------------------------------------

    async def request(
        self,
        widget: Widget,
        request: HttpRequest,
        log_request: dict[str, Any],
        check: Callable[[HttpResponse], str | None] | None = None,
        code: Code | None = None,
        context: Mapping[str, Any] | None = None,
        *,
        limits: Limits | None = None,
        on_chunk: ChunkCallback | None = None,
        cancel: Cancel | None = None,
        recorded: asyncio.Future[int] | None = None,
    ) -> RunResult:
        """Answer one HTTP request with a fresh interpreter (persistent mode: a kept one),
        and log it for the owner.
        `check` says why a response cannot be sent (then the run is an error); `code` is
        the widget's, when the caller has read it already (`code_in`); `context` adds to
        (or replaces part of) the run's bridge context (the browser's visit). `limits`
        replace the request limits; `on_chunk` takes a streamed response's chunks as they
        come (from a runtime thread); `cancel` stops the run; `recorded` is given the id of
        the request's log entry once it is written."""
        code = code or await self._code(widget)
        job = Route(
            code, request, services=self._services(code), persistent=self._persistent(widget)
        )
        result = await self._wait(widget, job, context, limits, on_chunk, cancel)
        problem = check(result.response) if check and result.ok and result.response else None
        if problem is not None:
            message = f"The widget's response could not be sent: {problem}"
            result = dataclasses.replace(
                result, status=Status.ERROR, response=None, message=message
            )
        status = result.response.status if result.ok and result.response else 500
        request_log = {**log_request, "status": status}
        entry = Entry(widget, widget.head_version, "http", result, request_log, recorded)
        self.log.add(entry)
        return result

    async def call(
        self,
        widget: Widget,
        name: str,
        args: list[Any],
        kwargs: dict[str, Any],
        code: Code | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> RunResult:
        """Call one of the widget's `@anvil.server.callable` functions (GUI server calls);
        `code` and `context` as for `request`."""
        code = code or await self._code(widget)
        job = Call(
            code,
            name,
            args,
            kwargs,
            services=self._services(code),
            persistent=self._persistent(widget),
        )
        result = await self._wait(widget, job, context)
        self.log.add(Entry(widget, widget.head_version, "call", result, {"function": name}))
        return result

    def _persistent(self, widget: Widget) -> Persistent | None:
        """A request's or a call's warm interpreter, for a widget in persistent mode: kept
        for its latest version (a new version gets a fresh one)."""
        if not widget.persistent:
            return None
        return Persistent(str(widget.id), str(widget.head_version), self._recycle)

    async def _wait(
        self,
        widget: Widget,
        job: Job,
        extra: Mapping[str, Any] | None = None,
        limits: Limits | None = None,
        on_chunk: ChunkCallback | None = None,
        cancel: Cancel | None = None,
    ) -> RunResult:
        """A widget's run someone waits for (HTTP requests, GUI server calls): `wait` in
        the interactive lane under the owner's name, with the widget's services in its
        context (ended however the run ends) and the request limits."""
        context = {**self._context(widget, None, job.code), **(extra or {})}
        try:
            return await self.wait(
                widget.owner_id,
                Lane.INTERACTIVE,
                job,
                limits or Limits.request(),
                context,
                on_chunk=on_chunk,
                cancel=cancel,
                what=f"widget {widget.slug}",
            )
        finally:
            self._ended(widget, context)

    async def wait(
        self,
        owner_id: int,
        lane: Lane,
        job: Job,
        limits: Limits,
        context: Mapping[str, Any],
        *,
        on_chunk: ChunkCallback | None = None,
        cancel: Cancel | None = None,
        on_start: Callable[[], Awaitable[None]] | None = None,
        what: str = "a run",
    ) -> RunResult:
        """The one path of a run someone waits for (HTTP requests, GUI server calls, a
        classroom's checks): a slot in `lane` under `owner_id`'s name (Busy or TooMany when
        it cannot have one, answered as such by the caller's protocol, or waited out by a
        background caller), a fresh sandbox, and a result whatever happens: a failure of the
        sandbox itself becomes a failed run whose message the owner reads (the caller gets
        the generic answer to a failed run), not an unhandled error. `on_start` is awaited
        as the run begins (`Runtime.run_async`); `what` names the run in the log."""
        async with self.queue.slot(owner_id, lane):
            try:
                result = await self.runtime.run_async(
                    job,
                    limits=limits,
                    context=context,
                    on_chunk=on_chunk,
                    cancel=cancel,
                    on_start=on_start,
                )
            except GuestError as e:
                log.exception("the sandbox failed while running %s", what)
                self._observe(lane, Status.ERROR.value, None)
                return RunResult(
                    status=Status.ERROR,
                    stdout="",
                    stderr="",
                    wall_time=0.0,
                    fuel=None,
                    peak_memory=0,
                    message=f"Widgetbox's sandbox failed while running this: {e}",
                )
            self._observe(lane, result.status.value, result.wall_time)
            return result

    def _ended(self, widget: Widget, context: Mapping[str, Any]) -> None:
        try:
            self._end_context(context)
        except Exception:
            log.exception("the services of a run of widget %s did not end cleanly", widget.slug)

    # -- shutting down ----------------------------------------------------------------------

    async def stop(self) -> None:
        """Tell every run to stop and wait (briefly) for them to be recorded; those that
        had not begun stay queued for the next start (`resume`)."""
        self._stopping.set()  # records waiting for room on the disk give up
        for active in list(self._active.values()):
            self._stop_run(active)
        tasks = [active.task for active in self._active.values()]
        if tasks:
            await asyncio.wait(tasks, timeout=10)
        await self.log.stop()


def summary(run_id: int, result: RunResult) -> dict[str, Any]:
    """What the console shows when a run ends."""
    return {
        "run": run_id,
        "status": result.status.value,
        "message": result.message,
        "wall_time": result.wall_time,
        "fuel": result.fuel,
        "cpu_ms": fuel.cpu_ms(result.fuel),
        "peak_memory": result.peak_memory,
        "output_truncated": result.output_truncated,
        "error": runs.error_data(result.error),
    }
