"""The host's side of its remote workers: which are alive, where each run goes, and
everything a worker sends back, checked again.

`Workers` keeps one NATS connection (`_link.Link`). Workers announce themselves by heartbeat
(`Beat`, every second); one silent for `SILENT_AFTER` seconds, or that said `Bye`, or that
broke the protocol, gets nothing more, and the runs it had accepted end as killed with
`WORKER_LOST` (user code may have had side effects, so they are never retried silently).

HTTP routes and server calls (the interactive lane) go to one worker chosen here, the
healthy one with the most room (`Dispatch`, request/reply): the host, not the NATS server,
chooses, so a silent worker is skipped within seconds (a queue group keeps delivering to a
member until the server notices it gone, minutes by default). A run the worker did not
accept (refused, no answer within `ACCEPT_WAIT`, no responder) has not begun: it is sent
once more to another worker, or to the runtime's local processes (`fallback`). A worker
with no room to begin a request at once may keep it waiting (`Waiting`) and asks before it
begins it, so one its worker is lost with, or gives back, is sent elsewhere the same way.

Scripts and tasks (the batch lane) go through a JetStream work-queue stream: any worker with
room takes the next one and asks the host to confirm it (`Accepted`, by request); the host
has its caller record the run started (`on_start`: the Runner writes "running") before it
answers `Confirm`, and from then on the run is that worker's. A run the host does not know
(cancelled meanwhile, or queued by an earlier start of the host) is answered `CancelRun`,
and with no host there is no answer: nothing starts behind the host's back. A worker that
hears no answer puts the run back and says so (`Refused`, on its events subject): a
`Confirm` lost on its way leaves the run nobody's again, for the next worker that asks.
A run queued when a worker dies stays queued (the stream redelivers what was taken but
not acknowledged); one started on a worker that dies is reported lost.

A run's end (`RunDone`, `RunFailed`) comes by request, and the worker sends it again until
the host answers `Confirm`: the host takes the first and confirms every copy. While the
host itself cannot reach NATS, it counts no worker's silence (it could not hear them).

Everything from a worker is parsed strictly (`_messages.unpack`) and checked again as a
sandbox process's messages are: results field by field, a streamed response's pieces
(`_processes.take_chunk`), output up to the run's limit, host calls with the same frame
checks, counts and time limits as the door applies, answered by the same `Bridge` with the
run's context (which never leaves the host). Only a host-call answer carries the host's
data (a secret, a row) to a worker, and only to the run that asked.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import itertools
import logging
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StorageType, StreamConfig

from .. import _bundles
from .._bridge import (
    MAX_DEPTH,
    RESERVED_PREFIX,
    Bridge,
    HostCall,
    HostCallError,
    check_frame,
    error_frame,
)
from .._cancel import Cancel
from .._http import ChunkCallback
from .._limits import TOO_LONG
from .._output import OutputCallback
from .._processes import PendingRun, take_chunk
from .._result import RunResult, Status
from .._wire import BATCH, INTERACTIVE, Message, RunRequest, WireError
from . import _messages as m
from ._access import Access, refusal
from ._link import Link, connect
from ._link import where as _where
from ._packages import FAILED, OK, EnvironmentError_, Shelf

log = logging.getLogger("widgetbox.runtime.remote")

CONNECT_WAIT = 5.0
"""Seconds the runtime's start waits for NATS (it goes on without it: see `_connect`)."""
ACCEPT_WAIT = 2.0
"""Seconds a worker has to accept a dispatched request before it goes elsewhere."""
OVERDUE_GRACE = 3.0
"""Seconds past its deadline (plus the network) after which a remote run is ended here as
timed out, whatever its worker says."""
WATCH_INTERVAL = 0.25
FULL_WAIT = 0.02
"""Seconds between asking full workers again, on a host with no process of its own."""
MAX_CALL_MESSAGE = 2 * 1024 * 1024
"""A forwarded host call's message, at most: a guest's request frame is at most 1 MiB
(`Limits.host_request_bytes`, checked again below per run) plus its envelope."""

WORKER_LOST = (
    "The run was stopped: the worker running it was lost ({why}); it is not run again by "
    "itself, as its code may have done part of its work: run it again"
)
NOT_TAKEN = "No worker took the run, and this server runs no sandbox of its own for it"


@dataclass
class WorkerState:
    """One worker as the host knows it."""

    name: str
    seen: float
    """`time.monotonic()` of its last heartbeat."""
    runs: int = 0
    """Runs in progress, as it last said."""
    capacity: int = 1
    processes: int = 0
    sent: int = 0
    """Interactive runs the host sent it and that have not ended."""
    healthy: bool = True
    why: str = ""
    """Why it is not healthy."""
    gone: bool = False
    """Whether it was lost (silent, stopped, broke the protocol) and its runs ended: a
    worker only suspected (a dispatch unanswered) is not healthy but not gone."""
    served: int = 0
    """Runs it reported ended (as the host counts them)."""
    lost: int = 0
    """Runs of its reported lost."""

    @property
    def room(self) -> int:
        return self.capacity - max(self.runs, self.sent)


@dataclass(frozen=True)
class WorkerStatus:
    """A worker for the admin page and the metrics."""

    name: str
    healthy: bool
    runs: int
    capacity: int
    processes: int
    silent_for: float
    why: str
    served: int
    lost: int


Starting = Callable[[], Future[None]]
"""Called (on the NATS thread) before a run may begin on a worker: the caller records it
started, on its own loop; the future's exception refuses the run (nothing ran)."""


@dataclass
class RemoteRun(PendingRun):
    """A run sent to a worker (or, once it was refused everywhere, to a local process)."""

    run_id: str = ""
    request: RunRequest | None = None
    worker: str | None = None
    """The worker it was sent to (interactive) or that took it (batch)."""
    accepted: bool = False
    tries: int = 0
    calls: int = 0
    forwarded_bytes: int = 0
    cancel: Cancel | None = None
    busy_ok: bool = False
    digest: str | None = None
    """Its packages environment's digest (see `_packages`), once known."""
    outbound: RunRequest | None = None
    """The request as workers get it (no host path for its packages)."""
    on_start: Starting | None = None
    starting: asyncio.Future[bool] | None = None
    """`on_start` under way or done (True: it may start), asked once however often a
    worker asks to start the run."""
    refusal: BaseException | None = None
    """Why `on_start` refused it: what `outcome` raises."""
    given_back: int = 0
    """How often a worker put it back in the queue unstarted (see `_given_back`)."""
    waiting: bool = False
    """A request its worker took beyond its capacity and has not begun (`m.Waiting`): if
    that worker is lost it is sent elsewhere once, not reported lost."""
    begun: bool = False
    """Its worker was told to begin it after it waited (`_confirm`)."""


Fallback = Callable[[RunRequest, RemoteRun], RunResult]
"""Run a request no worker took on the runtime's own processes, from start to end: called
on a thread of its own with the request and the remote run (its listeners and cancel)."""


class Workers:
    """The host's view of its workers over the NATS server at `url` (comma-separated for a
    cluster), connecting with the files `access` names (TLS, an nkey). `bridge` answers the
    guests' host calls, as it does for local processes."""

    def __init__(
        self,
        url: str,
        bridge: Bridge,
        *,
        name: str = "widgetbox-host",
        fallback: Fallback | None = None,
        silent_after: float = m.SILENT_AFTER,
        access: Access | None = None,
    ) -> None:
        if access is not None:
            access.check()  # a file that cannot be used fails the start, not every attempt
        self._bridge = bridge
        self.fallback = fallback
        self._environments = tempfile.mkdtemp(prefix="widgetbox-environments-")
        self._shelf = Shelf(Path(self._environments))
        self._silent_after = silent_after
        self._lock = threading.Lock()
        self._workers: dict[str, WorkerState] = {}
        self._runs: dict[str, RemoteRun] = {}
        self._holds: dict[str, _bundles.Shelf] = {}
        """Per worker, the bundles (files and bytecode) it is believed to hold."""
        self._turn = itertools.count()
        self._closed = False
        self._url, self._name, self._access = url, name, access
        self._client: Client | None = None
        self.trouble = ""
        """Why the last try at a first connection failed ("" once connected, or while
        nats-py is still trying to reach the server: it logs each attempt itself)."""
        self._link = Link(name)
        self._link.begin()
        self._connecting = self._link.submit(self._connect())
        with contextlib.suppress(concurrent.futures.TimeoutError):
            self._connecting.result(CONNECT_WAIT)  # usually connected by now; else later

    async def _connect(self) -> None:
        """Connect and subscribe, trying again every few seconds while the NATS server
        cannot be reached: meanwhile every run is local (`start` answers None), and the
        server starts all the same."""
        delay = 1.0
        while not self._closed:
            try:
                client = await connect(self._url, self._name, access=self._access)
                break
            except Exception as e:
                why = refusal(e)
                self.trouble = f"refused: {why}" if why else f"cannot be reached: {e}"
                log.warning(
                    "NATS at %s %s; runs are local meanwhile (trying again in %g s)",
                    _where(self._url),
                    self.trouble,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
        else:
            return
        await self._setup(client)
        self._client = client
        self.trouble = ""
        log.info("connected to NATS at %s: waiting for workers", _where(self._url))

    async def _setup(self, client: Client) -> None:
        await client.subscribe(f"{m.PREFIX}.beat.*", cb=self._on_beat)
        await client.subscribe(f"{m.PREFIX}.events.*", cb=self._on_event)
        await client.subscribe(f"{m.PREFIX}.host.*", cb=self._on_host_call)
        await client.subscribe(f"{m.PREFIX}.pkg.*", cb=self._on_piece)
        js = client.jetstream()
        with contextlib.suppress(Exception):  # it exists already (another host start)
            await js.add_stream(
                StreamConfig(
                    name=m.STREAM,
                    subjects=[m.BATCH_SUBJECT],
                    retention=RetentionPolicy.WORK_QUEUE,
                    storage=StorageType.FILE,
                    duplicate_window=120.0,
                )
            )
        with contextlib.suppress(Exception):
            await js.add_consumer(
                m.STREAM,
                ConsumerConfig(
                    durable_name=m.CONSUMER,
                    ack_policy=AckPolicy.EXPLICIT,
                    ack_wait=m.ACK_WAIT,
                    max_ack_pending=-1,
                ),
            )
        # What an earlier start of this host queued is dropped: its Runner queues again
        # what had not started, from its own records, under new ids (a worker that had
        # taken one asks to start it and is told not to).
        try:
            await js.purge_stream(m.STREAM)
        except Exception:
            log.exception("the work queue of an earlier start could not be emptied")
        self._js = js
        self._watcher = asyncio.get_running_loop().create_task(self._watch())

    # -- choosing ----------------------------------------------------------------------------

    def available(self) -> bool:
        """Whether any worker is healthy now."""
        with self._lock:
            return any(w.healthy for w in self._workers.values())

    def _choose(self, avoid: str | None = None, busy_ok: bool = False) -> WorkerState | None:
        """The healthy worker with the most room (in turn among equals); with `busy_ok`,
        even one without (it queues up to as many again: `_serve.QUEUED`)."""
        with self._lock:
            healthy = [w for w in self._workers.values() if w.healthy and w.name != avoid]
            roomy = healthy if busy_ok else [w for w in healthy if w.room > 0]
            if not roomy:
                return None
            best = max(w.room for w in roomy)
            tied = [w for w in roomy if w.room == best]
            chosen = tied[next(self._turn) % len(tied)]
            chosen.sent += 1
            return chosen

    @property
    def connected(self) -> bool:
        """Whether the host is connected to NATS now (it reconnects by itself)."""
        client = self._client
        return client is not None and client.is_connected

    def status(self) -> list[WorkerStatus]:
        now = time.monotonic()
        with self._lock:
            return [
                WorkerStatus(
                    name=w.name,
                    healthy=w.healthy,
                    runs=w.runs,
                    capacity=w.capacity,
                    processes=w.processes,
                    silent_for=now - w.seen,
                    why=w.why,
                    served=w.served,
                    lost=w.lost,
                )
                for w in sorted(self._workers.values(), key=lambda w: w.name)
            ]

    # -- starting ----------------------------------------------------------------------------

    def start(
        self,
        request: RunRequest,
        *,
        on_output: OutputCallback | None,
        cancel: Cancel | None,
        context: Mapping[str, Any],
        on_chunk: ChunkCallback | None,
        on_done: Callable[[], None] | None,
        busy_ok: bool = False,
        on_start: Starting | None = None,
    ) -> RemoteRun | None:
        """Send `request` to a worker without waiting: the run's `done` is set (and
        `on_done` called, on the NATS thread) when it has ended. None when no worker can
        take it now (the caller runs it locally): an interactive run needs a healthy worker
        with room (`busy_ok`: or the least busy, when the caller has no process of its own
        for it); a batch run is queued whenever any worker is healthy. Code with a packages
        folder goes with its environment's digest (see `_packages`). `on_start` is asked
        before the run may begin anywhere (a queued run: once a worker has taken it)."""
        if self._closed or self._client is None:
            return None
        limits = request.limits
        run = RemoteRun(on_output, dict(context), limits, time.monotonic() + limits.timeout)
        run.on_chunk = on_chunk if request.stream else None
        run.on_done = on_done
        run.run_id = uuid.uuid4().hex
        run.request = request
        run.cancel = cancel
        run.on_start = on_start
        if request.lane == INTERACTIVE:
            worker = self._choose(busy_ok=busy_ok)
            if worker is None:
                return None
            run.worker = worker.name
            run.busy_ok = busy_ok
            with self._lock:
                self._runs[run.run_id] = run
            self._link.spawn(lambda: self._dispatch(run))
        else:
            if not self.available():
                return None
            with self._lock:
                self._runs[run.run_id] = run
            self._link.spawn(lambda: self._enqueue(run))
        if cancel is not None:
            run.unsubscribe = cancel.when_set(lambda: self._link.call_soon(self._cancel, run))
        return run

    def forget(self, run_id: int, run: PendingRun) -> None:
        """The run has ended, or its caller gave up on it (as `SandboxProcess.forget`)."""
        if run.unsubscribe is not None:
            run.unsubscribe()
        if isinstance(run, RemoteRun):
            self._drop(run)

    @staticmethod
    def outcome(run: PendingRun) -> RunResult:
        """As `SandboxProcess.outcome`; raises what `on_start` raised when it refused the
        run."""
        if isinstance(run, RemoteRun) and run.refusal is not None:
            raise run.refusal
        if run.result is not None:
            return run.result
        if run.failure:
            from .._guest import GuestError

            raise GuestError(run.failure)
        return run.lost()

    def _drop(self, run: RemoteRun) -> None:
        with self._lock:
            if self._runs.pop(run.run_id, None) is not None and run.request is not None:
                state = self._workers.get(run.worker or "")
                if state is not None and run.request.lane == INTERACTIVE and state.sent > 0:
                    state.sent -= 1

    def _end(self, run: RemoteRun, status: Status | None = None, why: str = "") -> None:
        """End `run` here (lost, overdue, cancelled while queued): whatever its worker sends
        for it later is ignored."""
        if run.done.is_set():
            return
        if status is not None:
            run.ended, run.ended_why = status, why
        self._drop(run)
        run.finish()

    async def _dispatch(self, run: RemoteRun) -> None:
        """Send an interactive run to its worker until one accepts it: a worker that does
        not answer (or has no responder) is suspected and the run goes once more to
        another, then to a local process; a full one, on a host without a process of its
        own for the run, is asked again (any worker) every `FULL_WAIT` until the run's
        deadline. Nothing has run in any of these cases."""
        assert run.request is not None
        assert run.worker is not None
        if not await self._outbound(run) or not await self._begin(run):
            return
        await self._send(run)

    async def _send(self, run: RemoteRun) -> None:
        """`_dispatch` once its request is ready: to its worker, then once more to another,
        then to a local process."""
        while True:
            run.tries += 1
            why, silent, full = await self._ask(run)
            if not why:
                self._accepted(run)
                return
            if run.done.is_set():
                return
            previous = run.worker
            assert previous is not None
            if silent:
                self._suspect(previous, why)
            if not full:
                log.warning("worker %s did not take a run (%s)", previous, why)
                self._publish(m.subject("cancel", previous), m.CancelRun(run.run_id))
            with self._lock:
                state = self._workers.get(previous)
                if state is not None and state.sent > 0:
                    state.sent -= 1
            other = None
            if full and run.busy_ok and time.monotonic() < run.deadline:
                run.tries -= 1  # waiting for room is not a retry
                await asyncio.sleep(FULL_WAIT)
                other = self._choose(busy_ok=True)
            elif run.tries < 2:
                other = self._choose(avoid=previous, busy_ok=run.busy_ok)
            if other is not None:
                run.worker = other.name
                continue
            run.worker = None
            await self._fall_back(run)
            return

    async def _ask(self, run: RemoteRun) -> tuple[str, bool, bool]:
        """Dispatch `run` to its worker: ("", ...) when it accepted, else why not, whether
        the worker was silent and whether it was full. Its files and bytecode go only when
        the worker is not believed to hold them (`_holds`); a worker that does not, after
        all, says so and is sent them at once."""
        assert run.request is not None
        assert run.worker is not None
        assert run.outbound is not None
        request = run.outbound
        holds = self._holding(run.worker)
        stripped = request.files is not None and holds.has(request.bundle)
        why, silent, full = await self._offer(run, request, stripped)
        if why == m.LACKING and stripped:
            holds.discard(request.bundle)
            why, silent, full = await self._offer(run, request, False)
        if not why and not stripped and request.files is not None:
            holds.put(request.bundle, _bundles.size(request.files, request.bytecode or {}))
        return why, silent, full

    async def _offer(
        self, run: RemoteRun, request: RunRequest, stripped: bool
    ) -> tuple[str, bool, bool]:
        assert run.worker is not None
        assert self._client is not None
        if stripped:
            request = dataclasses.replace(request, files=None, bytecode=None)
        left = max(0.0, run.deadline - time.monotonic())
        message = m.Dispatch(run=run.run_id, request=request, timeout=left, packages=run.digest)
        try:
            reply = await self._client.request(
                m.subject("work", run.worker), m.pack(message), timeout=ACCEPT_WAIT
            )
            answer = m.unpack(reply.data, m.FROM_WORKER)
        except NoRespondersError:
            return "no responder", True, False
        except (TimeoutError, NatsTimeout):
            return f"no answer in {ACCEPT_WAIT:.0f} s", True, False
        except WireError as e:
            why = f"a malformed answer ({e})"
            self._untrust(run.worker, why)
            return why, False, False
        if isinstance(answer, m.Accepted) and answer.run == run.run_id:
            return "", False, False
        if isinstance(answer, m.Waiting) and answer.run == run.run_id:
            run.waiting = not run.begun  # it may have been told to begin already
            return "", False, False
        if isinstance(answer, m.Refused):
            return answer.why or "refused", False, answer.why == m.FULL
        return "an unexpected answer", False, False

    def _holding(self, name: str) -> _bundles.Shelf:
        """The bundles worker `name` is believed to hold (names and sizes)."""
        with self._lock:
            holds = self._holds.get(name)
            if holds is None:
                holds = self._holds[name] = _bundles.Shelf(m.BUNDLE_BYTES)
            return holds

    def _accepted(self, run: RemoteRun) -> None:
        """Its worker has it (its events may have come first): a worker lost meanwhile
        loses it too; a cancel set meanwhile is sent on."""
        run.accepted = True
        with self._lock:
            state = self._workers.get(run.worker or "")
            gone = state.why if state is not None and state.gone else ""
        if gone and run.waiting:
            self._again(run)
        elif gone:
            self._end(run, Status.KILLED, WORKER_LOST.format(why=gone))
        elif run.cancel is not None and run.cancel.is_set():
            self._cancel(run)

    async def _begin(self, run: RemoteRun) -> bool:
        """Ask the run's `on_start` (once, however often it is asked): False when it
        refused the run, which has then ended."""
        if run.on_start is None:
            return True
        if run.starting is None:
            run.starting = asyncio.ensure_future(self._ask_to_start(run, run.on_start))
        return await asyncio.shield(run.starting)

    async def _ask_to_start(self, run: RemoteRun, on_start: Starting) -> bool:
        try:
            await asyncio.wrap_future(on_start())
        except Exception as e:  # the caller's own reason (it may be stopping)
            run.refusal = e
            self._end(run)
            return False
        return True

    async def _fall_back(self, run: RemoteRun) -> None:
        fallback = self.fallback
        if fallback is None or run.request is None:
            self._end(run, Status.KILLED, NOT_TAKEN)
            return
        request = run.request
        try:
            result = await asyncio.get_running_loop().run_in_executor(None, fallback, request, run)
        except Exception as e:
            log.exception("a run no worker took could not run locally either")
            run.failure = f"no worker took the run, and it could not run here: {e}"
        else:
            run.result = result
        self._end(run)

    async def _enqueue(self, run: RemoteRun) -> None:
        if not await self._outbound(run):
            return
        assert run.outbound is not None
        message = m.Dispatch(
            run=run.run_id, request=run.outbound, timeout=run.limits.timeout, packages=run.digest
        )
        try:
            await self._js.publish(
                m.BATCH_SUBJECT, m.pack(message), headers={"Nats-Msg-Id": run.run_id}
            )
        except Exception as e:
            log.exception("a script could not be queued for the workers")
            run.failure = f"the script could not be queued: {e}"
            self._end(run)

    async def _outbound(self, run: RemoteRun) -> bool:
        """The request as workers get it: a packages folder replaced by its environment's
        digest (the tar made off the loop, once per folder). False when that failed (the
        run has ended)."""
        request = run.request
        assert request is not None
        if request.packages is None:
            run.outbound = request
            return True
        try:
            loop = asyncio.get_running_loop()
            run.digest = await loop.run_in_executor(None, self._shelf.digest, request.packages)
        except OSError as e:
            log.exception("a packages environment could not be packed for the workers")
            run.failure = f"the packages environment could not be sent to a worker: {e}"
            self._end(run)
            return False
        run.outbound = dataclasses.replace(request, packages=None)
        return True

    async def _on_piece(self, msg: Msg) -> None:
        """A worker asks for a piece of an environment: given only for the runs sent or
        queued for it."""
        name = msg.subject.rsplit(".", 1)[-1]
        try:
            ask = m.unpack(msg.data, m.FROM_WORKER)
        except WireError as e:
            self._untrust(name, f"a malformed environment request ({e})")
            return
        if not isinstance(ask, m.PackagePiece):
            self._untrust(name, f"a {ask.kind!r} message on the environments subject")
            return
        with self._lock:
            allowed = any(
                r.digest == ask.digest and r.worker in (None, name) for r in self._runs.values()
            )
        if not allowed:
            await _respond(msg, FAILED + b"no run of yours needs that environment", name)
            return
        try:
            loop = asyncio.get_running_loop()
            piece = await loop.run_in_executor(None, self._shelf.piece, ask.digest, ask.offset)
        except (OSError, EnvironmentError_) as e:
            await _respond(msg, FAILED + str(e).encode()[:200], name)
            return
        await _respond(msg, OK + piece, name)

    def _cancel(self, run: RemoteRun) -> None:
        """On the loop: tell its worker; a queued script not yet taken ends here."""
        if run.done.is_set():
            return
        if run.worker is not None:
            self._publish(m.subject("cancel", run.worker), m.CancelRun(run.run_id))
        elif run.request is not None and run.request.lane == BATCH:
            reason = run.cancel.reason if run.cancel is not None else ""
            self._end(run, Status.KILLED, reason or "The run was cancelled before it started")

    def _publish(self, subject: str, message: Message) -> None:
        client = self._client
        if client is None:
            return

        async def send() -> None:
            with contextlib.suppress(Exception):  # disconnected: the worker is lost anyway
                await client.publish(subject, m.pack(message))

        _keep(asyncio.get_running_loop().create_task(send()))

    # -- what workers send -------------------------------------------------------------------

    async def _on_beat(self, msg: Msg) -> None:
        name = msg.subject.rsplit(".", 1)[-1]
        try:
            beat = m.unpack(msg.data, m.FROM_WORKER)
        except WireError as e:
            self._untrust(name, f"a malformed heartbeat ({e})")
            return
        if isinstance(beat, m.Bye) and beat.worker == name:
            self._lose(name, "it stopped")
            return
        if not isinstance(beat, m.Beat) or beat.worker != name:
            self._untrust(name, "a heartbeat in another's name")
            return
        with self._lock:
            state = self._workers.get(name)
            if state is None:
                state = self._workers[name] = WorkerState(name, time.monotonic())
                log.info("worker %s joined (%d runs at once)", name, beat.capacity)
            elif not state.healthy and state.why.startswith("broke"):
                return  # not trusted again (until the host restarts)
            elif not state.healthy:
                log.info("worker %s is back", name)
            state.seen = time.monotonic()
            state.runs = max(0, beat.runs)
            state.capacity = max(0, min(beat.capacity, 4096))
            state.processes = max(0, beat.processes)
            state.healthy, state.why, state.gone = True, "", False

    async def _on_event(self, msg: Msg) -> None:
        name = msg.subject.rsplit(".", 1)[-1]
        try:
            event = m.unpack(msg.data, m.FROM_WORKER)
            if msg.reply and not _own_inbox(msg, name):
                raise WireError("an answer asked for on another's subject")
            if isinstance(event, m.Accepted):
                if event.worker != name:
                    raise WireError("an acceptance in another's name")
                if not msg.reply:
                    raise WireError("a queued run's acceptance that asks no answer")
                _keep(asyncio.get_running_loop().create_task(self._confirm(name, event, msg)))
                return
            if isinstance(event, m.Refused):
                self._given_back(name, event)
                return
            self._event(name, event)
        except (WireError, KeyError, TypeError, ValueError) as e:
            self._untrust(name, f"a malformed message ({e})")
            return
        if isinstance(event, (m.RunDone, m.RunFailed)) and msg.reply:
            # every copy is confirmed (the worker sends it until one is), taken only once
            await _respond(msg, m.pack(m.Confirm(event.run)), name)

    def _event(self, name: str, event: Message) -> None:
        run_id = getattr(event, "run", None)
        with self._lock:
            run = self._runs.get(run_id) if isinstance(run_id, str) else None
        if run is None or run.worker != name or run.done.is_set():
            return  # ended here already, or not this worker's: ignored
        run.accepted = True
        match event:
            case m.RunOutput(stream=stream, text=text):
                # a worker that ignores the output limit is not passed on beyond it
                run.forwarded_bytes += len(text)
                if run.forwarded_bytes > run.limits.output + 64 * 1024:
                    return
                run.keep_output(stream, text)
                if run.on_output is not None:
                    try:
                        run.on_output(stream, text)
                    except Exception:  # a broken listener must not break the run
                        log.exception("output callback failed")
            case m.RunChunk(chunk=chunk):
                take_chunk(run, chunk)
            case m.RunDone(result=result):
                run.result = result
                with self._lock:
                    state = self._workers.get(name)
                    if state is not None:
                        state.served += 1
                self._drop(run)
                run.finish()
            case m.RunFailed(message=message):
                run.failure = f"the sandbox failed on worker {name}: {message[:500]}"
                self._drop(run)
                run.finish()
            case _:
                raise WireError(f"a {event.kind!r} message is not expected on events")

    async def _confirm(self, name: str, event: m.Accepted, msg: Msg) -> None:
        """Worker `name` took a queued run from the stream (or a request waited there for
        room) and asks whether to start it:
        `Confirm` once the run's `on_start` has recorded it started, `CancelRun` for a run
        not known here (cancelled meanwhile, queued by an earlier start of the host), taken
        by another worker, or refused by `on_start`. Asked again by the same worker (its
        answer was lost), it is confirmed again: the worker never starts a run twice."""
        with self._lock:
            run = self._runs.get(event.run)
        stop = m.pack(m.CancelRun(event.run))
        if run is not None and run.request is not None and run.request.lane == INTERACTIVE:
            # a request that waited on worker `name` asks to begin (perhaps before its
            # `Waiting` was read here): yes while it is still that worker's
            if run.worker == name and not run.done.is_set():
                run.waiting, run.begun = False, True
                await _respond(msg, m.pack(m.Confirm(event.run)), name)
            else:
                await _respond(msg, stop, name)
            return
        if (
            run is None
            or run.request is None
            or run.request.lane != BATCH
            or run.worker not in (None, name)
            or run.done.is_set()
        ):
            await _respond(msg, stop, name)
            return
        if run.worker is None:
            given_back = run.given_back
            if (
                not await self._begin(run)
                or run.done.is_set()
                or run.worker not in (None, name)
                or run.given_back != given_back  # the worker stopped waiting meanwhile
            ):
                await _respond(msg, stop, name)  # refused, cancelled, or another's meanwhile
                return
            with self._lock:
                state = self._workers.get(name)
                gone = state.why if state is not None and state.gone else ""
            run.worker, run.accepted = name, True
            run.deadline = time.monotonic() + run.limits.timeout  # counted from its start
            if gone:  # recorded started, so reported lost as any run of a lost worker
                self._end(run, Status.KILLED, WORKER_LOST.format(why=gone))
                await _respond(msg, stop, name)
                return
        await _respond(msg, m.pack(m.Confirm(event.run)), name)

    def _given_back(self, name: str, event: m.Refused) -> None:
        """Worker `name` will not start queued run `event.run`: it asked to and heard no
        answer, and put the run back in the queue. A `Confirm` it was sent was lost, so the
        run is nobody's again (it never began), to be confirmed to the next worker that
        asks; a confirmation of it to this worker still under way answers `CancelRun`."""
        with self._lock:
            run = self._runs.get(event.run)
        if run is None or run.request is None or run.done.is_set():
            return
        if run.request.lane == INTERACTIVE:
            if run.worker == name and run.waiting:
                self._again(run)
            return
        run.given_back += 1
        if run.worker == name:
            log.warning("worker %s did not hear its run confirmed: it goes to the next", name)
            run.worker, run.accepted = None, False

    async def _on_host_call(self, msg: Msg) -> None:
        name = msg.subject.rsplit(".", 1)[-1]
        frame = self._host_call(name, msg.data)
        if isinstance(frame, bytes):
            await _respond(msg, frame, name)
        else:
            frame.add_done_callback(
                lambda done: self._link.call_soon(
                    lambda: _keep(
                        asyncio.get_running_loop().create_task(_respond(msg, done.result(), name))
                    )
                )
            )

    def _host_call(self, name: str, data: bytes) -> Any:
        """The answer frame (bytes), or a future of it: the checks the door makes in a
        sandbox process, made again here, since the worker may be subverted."""
        if len(data) > MAX_CALL_MESSAGE:
            return error_frame("BadRequest", "a host call's request is too large")
        try:
            check_frame(data, MAX_DEPTH + 2)
            call = m.unpack(data, m.FROM_WORKER)
        except (HostCallError, WireError) as e:
            self._untrust(name, f"a malformed host call ({e})")
            return error_frame("BadRequest", "a malformed host call")
        if not isinstance(call, m.HostCallRequest):
            self._untrust(name, f"a {call.kind!r} message on the host-call subject")
            return error_frame("BadRequest", "a malformed host call")
        with self._lock:
            run = self._runs.get(call.run)
        if run is None or run.worker != name or run.done.is_set():
            return error_frame("HostError", "the run has ended")
        limits = run.limits
        run.calls += 1
        if run.calls > limits.host_calls:
            return error_frame(
                "LimitExceeded", f"this run may make at most {limits.host_calls} host calls"
            )
        if len(data) > limits.host_request_bytes + 64 * 1024:
            return error_frame("BadRequest", "a host call's request is too large")
        if not call.op or call.op.startswith(RESERVED_PREFIX):
            return error_frame(
                "UnknownOperation", f"the host has no operation named {call.op[:80]!r}"
            )
        left = max(0.0, run.deadline - time.monotonic())
        timeout = min(max(call.timeout, 0.0), limits.host_call_timeout, left)
        host_call = HostCall(op=call.op, context=run.context, timeout=timeout)
        return self._bridge.submit(call.op, call.data, host_call, run.abandoned)

    # -- health ------------------------------------------------------------------------------

    async def _watch(self) -> None:
        deaf = False
        while not self._closed:
            await asyncio.sleep(WATCH_INTERVAL)
            now = time.monotonic()
            client = self._client
            if client is not None and not client.is_connected:
                deaf = True  # a worker's silence means nothing while the host hears none
                continue
            with self._lock:
                if deaf:  # reconnected: each has `silent_after` from now to be heard again
                    deaf = False
                    for state in self._workers.values():
                        state.seen = max(state.seen, now)
                silent = [
                    w.name
                    for w in self._workers.values()
                    if not w.gone and now - w.seen > self._silent_after
                ]
                overdue = [
                    r
                    for r in self._runs.values()
                    if now > r.deadline + OVERDUE_GRACE and r.accepted
                ]
            for name in silent:
                self._lose(name, f"no heartbeat for {self._silent_after:.0f} s")
            for run in overdue:
                if run.worker is not None:
                    self._publish(m.subject("cancel", run.worker), m.CancelRun(run.run_id))
                self._end(run, Status.TIMEOUT, TOO_LONG)

    def _suspect(self, name: str, why: str) -> None:
        """A worker that did not answer a dispatch gets nothing more until its next beat."""
        with self._lock:
            state = self._workers.get(name)
            if state is not None and state.healthy:
                state.healthy, state.why = False, f"did not answer ({why})"

    def _untrust(self, name: str, why: str) -> None:
        log.error("worker %s broke the protocol: %s; it gets no more runs", name, why)
        self._lose(name, f"broke the protocol: {why}")

    def _lose(self, name: str, why: str) -> None:
        """Send `name` nothing more; end the runs it had accepted as lost."""
        with self._lock:
            state = self._workers.get(name)
            if state is not None:
                if state.healthy or not state.why.startswith("broke"):
                    state.healthy, state.why = False, why
                state.sent, state.gone = 0, True
            self._holds.pop(name, None)  # one started again under its name holds nothing
            taken = [r for r in self._runs.values() if r.worker == name and r.accepted]
            waiting = [r for r in taken if r.waiting]
            lost = [r for r in taken if not r.waiting]
            if state is not None:
                state.lost += len(lost)
        if taken or (state is not None):
            log.warning(
                "worker %s lost (%s): %d run(s) in progress end, %d not begun go elsewhere",
                name,
                why,
                len(lost),
                len(waiting),
            )
        for run in lost:
            self._end(run, Status.KILLED, WORKER_LOST.format(why=why))
        for run in waiting:
            self._again(run)

    def _again(self, run: RemoteRun) -> None:
        """A request its worker took but never began (`waiting`), given back or lost with
        the worker: sent on as one that worker had refused, once more to another worker,
        then to a local process (`_send`)."""
        previous = run.worker
        if run.done.is_set():
            return
        with self._lock:
            state = self._workers.get(previous or "")
            if state is not None and state.sent > 0:
                state.sent -= 1
        run.waiting = run.accepted = False
        other = None if run.tries >= 2 else self._choose(avoid=previous, busy_ok=run.busy_ok)
        run.worker = other.name if other is not None else None
        log.info(
            "a request worker %s had not begun goes to %s",
            previous,
            run.worker or "a local sandbox process",
        )

        async def send() -> None:
            if run.worker is None:
                await self._fall_back(run)
            else:
                await self._send(run)

        self._link.spawn(send)

    # -- stopping ----------------------------------------------------------------------------

    def close(self) -> None:
        """End every run still here as killed, empty the work queue (no worker is
        confirmed a run once the host has gone; the next start's Runner queues again what
        its records say had not started), and disconnect."""
        self._closed = True
        with self._lock:
            runs = list(self._runs.values())
        js = getattr(self, "_js", None)
        if js is not None:
            with contextlib.suppress(Exception):
                self._link.submit(asyncio.wait_for(js.purge_stream(m.STREAM), 2.0)).result(3.0)
        for run in runs:
            if run.worker is not None:
                self._link.call_soon(
                    self._publish, m.subject("cancel", run.worker), m.CancelRun(run.run_id)
                )
            self._end(run, Status.KILLED, "The run was stopped: the server is shutting down")
        watcher = getattr(self, "_watcher", None)
        if watcher is not None:
            self._link.call_soon(watcher.cancel)
        self._link.call_soon(self._connecting.cancel)
        self._link.close(self._client)
        shutil.rmtree(self._environments, ignore_errors=True)


def _own_inbox(msg: Msg, name: str) -> bool:
    """Whether `msg` asks for its answer in worker `name`'s own inbox (its client's
    prefix): a worker cannot have the host publish on another's subject."""
    return msg.reply.startswith(f"_INBOX.{name}.")


async def _respond(msg: Msg, frame: bytes, name: str) -> None:
    if not _own_inbox(msg, name):
        return
    with contextlib.suppress(Exception):  # the worker has gone: its run ends on its own
        await msg.respond(frame)


_tasks: set[asyncio.Task[Any]] = set()


def _keep(task: asyncio.Task[Any]) -> None:
    """Hold a reference to a fire-and-forget task until it ends (the loop keeps only weak
    ones)."""
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)
