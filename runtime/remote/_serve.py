"""A worker: sandbox processes on this machine serving a Widgetbox host over NATS
(`widgetbox worker --nats URL`).

The worker is an ordinary `Runtime` (its own sandbox processes, pool, limits, watchdog),
whose bridge forwards every host call to the host (`ForwardingBridge`): the worker holds no
data, no secrets and no handlers, only what a host-call answer carries to the run that
asked. It takes

- requests and server calls sent to it by name (`wb.work.<name>`, request/reply: it answers
  `Accepted` as it hands the run to a sandbox process, `Waiting` when it has no room to
  begin it yet (it asks the host again before it does, so that one not begun is never
  lost with this worker), or `Refused` when it is full), and
- scripts and tasks from the JetStream work queue, one at a time while it has room: it
  asks the host to confirm each (`Accepted`, by request on its events subject), starts it
  once the host has answered `Confirm` (the host has recorded it started), and then
  acknowledges it. One the host did not confirm (no answer came) goes back to the queue,
  and the host is told so (`Refused` on the events subject); one the host refused
  (`CancelRun`: it does not know it) is dropped; one it took and did not start (it died
  first) goes to another worker when the acknowledgement's wait passes; one it started is
  never run twice;

streams each run's output and response chunks back on `wb.events.<name>` in order, then
its end (`RunDone`, `RunFailed`) by request, sent again until the host confirms it (for
`RESEND_FOR`: a NATS restart may lose a message sent once); obeys cancels on
`wb.cancel.<name>`, and says it is alive every second (`Beat`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from .. import _bundles
from .._bridge import Bridge, HostCall, error_frame
from .._bundles import Shelf
from .._cancel import Cancel
from .._http import ResponseChunk
from .._limits import TOO_LONG
from .._result import RunResult, Status
from .._runtime import Runtime
from .._wire import BATCH, Message, WireError
from . import _messages as m
from ._access import Access
from ._link import connect, where
from ._packages import OK, EnvironmentError_, Environments

log = logging.getLogger("widgetbox.runtime.remote")

QUEUED = 2
"""A worker takes up to this many times its capacity of requests (the host sends it more
than its capacity only when it has no sandbox process of its own): the rest wait in its
sandbox processes' queues, as they would wait in the host's run queue."""
RUN_KEY = "widgetbox.remote_run"
"""The context key under which a worker's runtime knows the host's id of a run."""
FETCH_WAIT = 60.0
"""Seconds one piece of an environment may take to arrive."""
ASK_WAIT = 2.0
"""Seconds one request for the host's `Confirm` waits at first (longer for a large result,
and twice as long after each unanswered one, up to `ASK_WAIT_MAX`)."""
ASK_WAIT_MAX = 15.0
CONFIRM_FOR = 6.0
"""Seconds a worker asks the host to confirm a queued run it took before it gives the run
back to the queue: less than `ACK_WAIT`, so the stream gives it to nobody else meanwhile."""
BACK_LATER = 2.0
"""Seconds before a queued run no host confirmed is delivered again."""
RESEND_FOR = 120.0
"""Seconds a worker sends a run's end again until the host confirms it; then it gives up
(the host ends the run at its deadline, or as lost if the worker goes)."""
REMEMBERED = 4096
"""Queued runs a worker remembers having started, so that one delivered again (its
acknowledgement was lost) is never started twice."""


class ForwardingBridge(Bridge):
    """Every host call goes to the host (`wb.host.<name>`), which answers it with its own
    handlers, limits and checks; nothing is answered here."""

    def __init__(self, worker: str) -> None:
        super().__init__(max_workers=1)
        self._subject = m.subject("host", worker)
        self.client: Client | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def submit(
        self, op: str, data: Any, call: HostCall, abandoned: list[Future[Any]] | None = None
    ) -> Future[bytes]:
        answer: Future[bytes] = Future()
        client, loop, run = self.client, self.loop, call.context.get(RUN_KEY)
        if client is None or loop is None or not isinstance(run, str):
            answer.set_result(error_frame("HostError", "the host is not reachable"))
            return answer
        message = m.pack(m.HostCallRequest(run=run, op=op, data=data, timeout=call.timeout))

        async def ask() -> None:
            try:
                reply = await client.request(self._subject, message, timeout=call.timeout + 0.5)
                frame = reply.data
            except (TimeoutError, NatsTimeout):
                frame = error_frame("Timeout", f"the host did not answer {op!r} in time")
            except NoRespondersError:
                frame = error_frame("HostError", "the host is not reachable")
            except Exception:
                log.exception("a host call could not be forwarded")
                frame = error_frame("HostError", "the host is not reachable")
            answer.set_result(frame)

        try:
            asyncio.run_coroutine_threadsafe(ask(), loop)
        except RuntimeError:  # the loop has closed
            answer.set_result(error_frame("HostError", "the worker is stopping"))
        return answer


class Worker:
    """Serves runs for the host until `stop` is set (see the module's docstring)."""

    def __init__(
        self,
        url: str,
        name: str,
        *,
        processes: int | None = None,
        capacity: int | None = None,
        pool_size: int = 2,
        cache: Path | None = None,
        access: Access | None = None,
    ) -> None:
        self.url = url
        self.name = m.check_name(name)
        self.access = access
        """The files it connects with (TLS, an nkey), checked by whoever made them."""
        self.processes = processes
        self.capacity = capacity or processes or os.cpu_count() or 1
        self.batch_capacity = 1
        self.pool_size = pool_size
        self.cache = cache
        self.stop = asyncio.Event()
        self._runs: dict[str, Cancel] = {}
        self._started: OrderedDict[str, None] = OrderedDict()
        """The queued runs it started, newest last (at most `REMEMBERED`)."""
        self._cancelled: OrderedDict[str, None] = OrderedDict()
        """Cancels of runs not started here (yet): a queued run's cancel may overtake the
        host's `Confirm` on its way to the loop (at most `REMEMBERED`)."""
        self._running: set[asyncio.Task[None]] = set()
        """Runs under way (each a task on the loop, waiting for its sandbox process)."""
        self._waiting: OrderedDict[str, tuple[m.Dispatch, float]] = OrderedDict()
        """Requests taken beyond its capacity, oldest first, each with when it came
        (`time.monotonic()`): none has begun, and each asks the host before it does."""
        self._asking = 0
        """Waiting requests whose turn has come, asking the host whether to begin."""
        self._bundles = Shelf(m.BUNDLE_BYTES)
        """The widgets' files and bytecode it was sent, by digest: the host sends a request
        without them while it believes they are kept here (`Dispatch`)."""
        self._ends: set[asyncio.Task[None]] = set()
        """Runs' ends being sent until the host confirms them."""
        self._batch = 0
        self._closing = False
        self.ready = threading.Event()
        """Set once it takes runs (tests wait for it)."""

    async def serve(self) -> None:
        """Raises `Refused` if NATS refuses it (before any sandbox process starts)."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        bridge = ForwardingBridge(self.name)
        client = await connect(
            self.url,
            f"widgetbox-worker-{self.name}",
            inbox_prefix=f"_INBOX.{self.name}",
            access=self.access,
        )
        try:
            runtime = await asyncio.to_thread(
                Runtime,
                pool_size=self.pool_size,
                processes=self.processes,
                workers=self.capacity + self.batch_capacity,
                bridge=bridge,
                cache=self.cache,
            )
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.close(), 5.0)
            raise
        self._runtime = runtime
        self._environments = Environments(runtime.interpreter.cache / "environments")
        self._client = client
        bridge.client, bridge.loop = client, loop
        self._events = m.subject("events", self.name)
        try:
            await client.subscribe(m.subject("work", self.name), cb=self._on_dispatch)
            await client.subscribe(m.subject("cancel", self.name), cb=self._on_cancel)
            tasks = [
                loop.create_task(self._beat()),
                loop.create_task(self._take_queued()),
            ]
            await client.flush()
            await self._send_beat()
            log.info(
                "worker %s serving %s (%d runs at once)", self.name, where(self.url), self.capacity
            )
            self.ready.set()
            await self.stop.wait()
        finally:
            self._closing = True  # it takes nothing more
            for cancel in list(self._runs.values()):
                cancel.set("The run was stopped: its worker is stopping")
            for run_id in list(self._waiting):  # never begun: the host sends them elsewhere
                await self._give_back(run_id)
            self._waiting.clear()
            for task in locals().get("tasks", []):
                task.cancel()
            # its runs stop within a tick and report so, before it says goodbye (after
            # which the host reports whatever is left of them as lost)
            if self._running:
                await asyncio.wait(set(self._running))
            await asyncio.sleep(0)  # their last events are queued before the goodbye
            if self._ends:  # their ends confirmed, if the host answers soon
                await asyncio.wait(set(self._ends), timeout=5.0)
            with contextlib.suppress(Exception):
                await client.publish(m.subject("beat", self.name), m.pack(m.Bye(self.name)))
                await client.flush(2)
            await asyncio.to_thread(runtime.close)
            with contextlib.suppress(Exception):  # drain would wait for the subscriptions
                await asyncio.wait_for(client.close(), 5.0)

    # -- heartbeats --------------------------------------------------------------------------

    async def _beat(self) -> None:
        while not self._closing:
            await asyncio.sleep(m.BEAT_INTERVAL)
            with contextlib.suppress(Exception):
                await self._send_beat()

    async def _send_beat(self) -> None:
        statuses = await asyncio.to_thread(self._runtime.sandbox_status, 0.3)
        beat = m.Beat(
            worker=self.name,
            runs=len(self._runs),
            capacity=0 if self._closing else self.capacity,
            processes=sum(1 for s in statuses if s.alive),
        )
        await self._client.publish(m.subject("beat", self.name), m.pack(beat))

    # -- taking runs -------------------------------------------------------------------------

    async def _on_dispatch(self, msg: Msg) -> None:
        try:
            dispatch = m.unpack(msg.data, m.TO_WORKER)
        except WireError as e:
            log.error("the host sent a malformed dispatch: %s", e)
            return
        if not isinstance(dispatch, m.Dispatch):
            return
        why = self._refusal(dispatch)
        if not why:
            dispatch, why = self._with_files(dispatch)
        if why:
            await msg.respond(m.pack(m.Refused(run=dispatch.run, why=why)))
            return
        if self._interactive() < self.capacity:
            self._start(dispatch)  # counted before answering, so a burst sees it full
            await msg.respond(m.pack(m.Accepted(run=dispatch.run, worker=self.name)))
            return
        # no room to begin now: it waits here, not begun, so that the host may still send
        # it elsewhere should this worker be lost meanwhile (see `_begin_next`)
        self._waiting[dispatch.run] = (dispatch, time.monotonic())
        await msg.respond(m.pack(m.Waiting(run=dispatch.run, worker=self.name)))

    def _interactive(self) -> int:
        """Requests and calls begun or about to begin here."""
        return len(self._runs) - self._batch + self._asking

    def _refusal(self, dispatch: m.Dispatch) -> str:
        interactive = self._interactive() + len(self._waiting)
        if self._closing:
            return "stopping"
        if dispatch.request.packages is not None:
            return "a folder of the host's was sent"
        if dispatch.timeout <= 0:
            return "its time is up"
        if dispatch.run in self._runs or dispatch.run in self._waiting:
            return "already running"
        if interactive >= QUEUED * self.capacity:
            return m.FULL
        return ""

    def _with_files(self, dispatch: m.Dispatch) -> tuple[m.Dispatch, str]:
        """`dispatch` with its files and bytecode: those it came with (kept by the digest
        of what arrived), or, sent without them, those kept under its bundle's digest;
        `LACKING` when they are not kept here (the host sends it again with them)."""
        request = dispatch.request
        if request.files is None:
            content = self._bundles.get(request.bundle)
            if content is None:
                return dispatch, m.LACKING
            files, bytecode = content
            request = dataclasses.replace(request, files=files, bytecode=bytecode)
            return dataclasses.replace(dispatch, request=request), ""
        content = request.files, request.bytecode or {}
        self._bundles.put(_bundles.digest(*content), _bundles.size(*content), content)
        return dispatch, ""

    async def _take_queued(self) -> None:
        """Scripts and tasks from the work queue, one at a time while there is room."""
        js = self._client.jetstream()
        subscription = None
        while not self._closing:
            if subscription is None:
                try:
                    subscription = await js.pull_subscribe_bind(m.CONSUMER, m.STREAM)
                except Exception:  # the host has not made the stream yet
                    await asyncio.sleep(1.0)
                    continue
            if self._batch >= self.batch_capacity:
                await asyncio.sleep(0.05)
                continue
            try:
                messages = await subscription.fetch(1, timeout=1.0)
            except (TimeoutError, NatsTimeout):
                continue
            except Exception:
                log.exception("taking a queued run failed")
                await asyncio.sleep(1.0)
                continue
            for message in messages:
                await self._take(message)

    async def _take(self, message: Msg) -> None:
        try:
            dispatch = m.unpack(message.data, m.TO_WORKER)
        except WireError as e:
            log.error("a malformed queued run is dropped: %s", e)
            await message.term()
            return
        if (
            not isinstance(dispatch, m.Dispatch)
            or dispatch.request.lane != BATCH
            or dispatch.request.files is None  # the host always queues a run with its files
        ):
            await message.term()
            return
        if self._closing:
            await message.nak()
            return
        if dispatch.run in self._started:  # started here: its acknowledgement was lost
            await message.ack()
            return
        # confirmed, then started, then acknowledged: the host has recorded the run started
        # before it can begin, and refuses it to any other worker from then on
        answer = await self._confirm(dispatch.run)
        if answer is None:  # no host answered: it stays queued
            # The host may have confirmed it and every answer been lost: it is told first
            # that this worker will not start it, so that it may confirm it to whichever
            # worker the stream gives it next (the delay lets this arrive first).
            await self._give_back(dispatch.run)
            await message.nak(delay=BACK_LATER)
            return
        if isinstance(answer, m.CancelRun):  # the host does not know it: never to run
            await message.term()
            return
        _remember(self._started, dispatch.run)
        self._start(dispatch, batch=True)
        try:
            await message.ack_sync()
        except Exception as e:  # delivered again later, and then known as started here
            log.warning("a queued run's acknowledgement failed: %s", e)

    async def _confirm(self, run_id: str) -> Message | None:
        """Ask the host whether to start queued run `run_id` (`Accepted`, by request):
        its `Confirm` or `CancelRun`, or None when no host answered within `CONFIRM_FOR`."""
        ask = m.pack(m.Accepted(run=run_id, worker=self.name))
        until = time.monotonic() + CONFIRM_FOR
        wait = ASK_WAIT
        while not self._closing:
            answer, wait = await self._ask(ask, run_id, min(wait, until - time.monotonic()))
            if answer is not None:
                return answer
            if time.monotonic() + 0.2 >= until:
                return None
            await asyncio.sleep(0.2)
        return None

    async def _ask(self, data: bytes, run_id: str, wait: float) -> tuple[Message | None, float]:
        """One request on the events subject: the host's answer about `run_id` (`Confirm`
        or `CancelRun`), or None when none came in `wait` seconds; and how long to wait next
        time (twice as long after a request that went unanswered that long)."""
        if not self._client.is_connected:  # not queued up meanwhile: asked again later
            await asyncio.sleep(min(0.2, max(wait, 0.0)))
            return None, wait
        try:
            reply = await self._client.request(self._events, data, timeout=max(wait, 0.1))
        except (TimeoutError, NatsTimeout):  # the host may be busy: it gets longer
            return None, min(wait * 2, ASK_WAIT_MAX)
        except Exception:  # no host, NATS away: asked again
            return None, wait
        try:
            answer = m.unpack(reply.data, m.TO_WORKER)
        except WireError as e:
            log.error("the host answered with a malformed message: %s", e)
            return None, wait
        if isinstance(answer, (m.Confirm, m.CancelRun)) and answer.run == run_id:
            return answer, wait
        log.error("the host answered run %s with a %r", run_id, answer.kind)
        return None, wait

    async def _send_end(self, data: bytes, run_id: str) -> None:
        """Send a run's end (`RunDone` or `RunFailed`) until the host confirms it, for
        `RESEND_FOR` at most; the host takes it once, however often it comes."""
        until = time.monotonic() + RESEND_FOR
        wait = ASK_WAIT + len(data) / 10_000_000  # a large result takes longer to check
        while time.monotonic() < until:
            answer, wait = await self._ask(data, run_id, wait)
            if answer is not None:
                return
            await asyncio.sleep(0.2)
        log.warning(
            "the end of run %s did not reach the host in %.0f s: not sent again", run_id, RESEND_FOR
        )

    def _start(self, dispatch: m.Dispatch, *, batch: bool = False) -> None:
        cancel = Cancel()
        self._runs[dispatch.run] = cancel
        if dispatch.run in self._cancelled:  # cancelled on its way here
            del self._cancelled[dispatch.run]
            cancel.set()
        if batch:
            self._batch += 1
        request = dispatch.request
        timeout = min(request.limits.timeout, dispatch.timeout)
        if timeout != request.limits.timeout:
            limits = dataclasses.replace(request.limits, timeout=timeout)
            request = dataclasses.replace(request, limits=limits)
        run_id = dispatch.run

        def emit(message: Message) -> None:  # on the sandbox process's reader thread
            with contextlib.suppress(RuntimeError):  # the loop has closed
                self._loop.call_soon_threadsafe(self._publish_now, m.pack(message))

        def on_output(stream: str, text: str) -> None:
            emit(m.RunOutput(run=run_id, stream=stream, text=text))  # type: ignore[arg-type]

        def on_chunk(chunk: ResponseChunk) -> None:
            emit(m.RunChunk(run=run_id, chunk=chunk))

        async def run() -> None:
            nonlocal request
            end: Message
            try:
                if dispatch.packages is not None:  # fetched and verified before it runs
                    folder = await asyncio.to_thread(
                        self._environments.folder,
                        dispatch.packages,
                        self._fetcher(dispatch.packages),
                    )
                    request = dataclasses.replace(request, packages=folder)
                result = await self._runtime.run_request_async(
                    request,
                    on_output=on_output,
                    cancel=cancel,
                    context={RUN_KEY: run_id},
                    on_chunk=on_chunk if request.stream else None,
                )
            except Exception as e:
                log.exception("a run failed in the sandbox")
                end = m.RunFailed(run=run_id, message=str(e)[:500])
            else:
                end = m.RunDone(run=run_id, result=result)
            finally:
                self._ended(run_id, batch)
            # after its output: what the reader thread handed the loop came before the end
            # woke this task
            self._end_now(m.pack(end), run_id)

        task = self._loop.create_task(run())
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    def _fetcher(self, digest: str) -> Callable[[int], bytes]:
        """Fetch a piece of environment `digest` from the host (on a thread: it waits for
        the loop)."""

        def fetch(offset: int) -> bytes:
            ask = m.pack(m.PackagePiece(digest=digest, offset=offset))
            reply = asyncio.run_coroutine_threadsafe(
                self._client.request(m.subject("pkg", self.name), ask, timeout=FETCH_WAIT),
                self._loop,
            ).result(FETCH_WAIT + 5)
            if reply.data[:1] != OK:
                why = reply.data[1:200].decode(errors="replace")
                raise EnvironmentError_(f"the host did not give the environment: {why}")
            return bytes(reply.data[1:])

        return fetch

    def _publish_now(self, data: bytes) -> None:
        """On the loop, in the order called: nats-py queues a publish before it first
        waits, so tasks started in order send in order."""
        task = self._loop.create_task(self._client.publish(self._events, data))
        _keep(task)

    def _end_now(self, data: bytes, run_id: str) -> None:
        """On the loop, after the run's other events (`_publish_now`, in order)."""
        task = self._loop.create_task(self._send_end(data, run_id))
        self._ends.add(task)
        task.add_done_callback(self._ends.discard)

    def _ended(self, run_id: str, batch: bool) -> None:
        if self._runs.pop(run_id, None) is not None and batch:
            self._batch -= 1
        if not batch:
            self._begin_next()

    def _begin_next(self) -> None:
        """On the loop: while there is room, the oldest waiting request asks the host
        whether to begin (`Accepted`, by request, as a queued run does): it begins on
        `Confirm`; on `CancelRun` (the host sent it elsewhere, or it has ended) it is
        dropped; with no answer it is given back (`Refused` on the events subject), and
        the host sends it elsewhere. None of these has begun, so none is ever lost."""
        while self._waiting and not self._closing and self._interactive() < self.capacity:
            _, (dispatch, since) = self._waiting.popitem(last=False)
            self._asking += 1
            _keep(self._loop.create_task(self._begin_waiting(dispatch, since)))

    async def _begin_waiting(self, dispatch: m.Dispatch, since: float) -> None:
        try:
            answer = await self._confirm(dispatch.run)
        finally:
            self._asking -= 1
        left = dispatch.timeout - (time.monotonic() - since)
        if isinstance(answer, m.Confirm) and not self._closing and left > 0:
            self._start(dataclasses.replace(dispatch, timeout=left))
        elif isinstance(answer, m.Confirm):  # its time ran out while it waited
            late = m.RunDone(run=dispatch.run, result=_unstarted(TOO_LONG, Status.TIMEOUT))
            self._end_now(m.pack(late), dispatch.run)
        elif answer is None:
            await self._give_back(dispatch.run)
        self._begin_next()

    async def _give_back(self, run_id: str) -> None:
        """Tell the host that this worker will not begin `run_id` (it may go elsewhere)."""
        with contextlib.suppress(Exception):  # NATS away: the host hears nothing either
            back = m.Refused(run=run_id, why="no confirmation")
            await self._client.publish(self._events, m.pack(back))

    async def _on_cancel(self, msg: Msg) -> None:
        try:
            cancel = m.unpack(msg.data, m.TO_WORKER)
        except WireError:
            return
        if isinstance(cancel, m.CancelRun):
            found = self._runs.get(cancel.run)
            if found is not None:
                found.set()
            elif self._waiting.pop(cancel.run, None) is not None:  # it never began
                end = m.RunDone(run=cancel.run, result=_unstarted("The run was cancelled"))
                self._end_now(m.pack(end), cancel.run)
            else:
                _remember(self._cancelled, cancel.run)


def _unstarted(message: str, status: Status = Status.KILLED) -> RunResult:
    """The end of a request that never began here (nothing ran, nothing was printed)."""
    return RunResult(status, "", "", 0.0, None, 0, message=message)


def _remember(runs: OrderedDict[str, None], run_id: str) -> None:
    """Add `run_id` to `runs`, forgetting the oldest beyond `REMEMBERED`."""
    runs[run_id] = None
    if len(runs) > REMEMBERED:
        runs.popitem(last=False)


_tasks: set[asyncio.Task[Any]] = set()


def _keep(task: asyncio.Task[Any]) -> None:
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


def run_worker(worker: Worker, on_ready: Callable[[], None] | None = None) -> None:
    """Serve until SIGTERM or SIGINT (the command's entry). Raises `Refused` if NATS
    refuses the worker."""
    import signal

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop.set)
        serving = loop.create_task(worker.serve())
        # until it is ready, a start that fails ends it, and a stop ends the start (NATS
        # may be unreachable, and the connection tried for ever)
        while not worker.ready.is_set():
            if serving.done():
                break
            if worker.stop.is_set():
                serving.cancel()
                break
            await asyncio.sleep(0.05)
        else:
            if on_ready is not None:
                on_ready()
        with contextlib.suppress(asyncio.CancelledError):
            await serving

    asyncio.run(main())  # asyncio's loop: see `_link.Link`
