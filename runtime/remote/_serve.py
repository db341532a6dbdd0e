"""A worker: sandbox processes on this machine serving a Widgetbox host over NATS
(`widgetbox worker --nats URL`).

The worker is an ordinary `Runtime` (its own sandbox processes, pool, limits, watchdog),
whose bridge forwards every host call to the host (`ForwardingBridge`): the worker holds no
data, no secrets and no handlers, only what a host-call answer carries to the run that
asked. It takes

- requests and server calls sent to it by name (`wb.work.<name>`, request/reply: it answers
  `Accepted` as it hands the run to a sandbox process, or `Refused` when it is full), and
- scripts and tasks from the JetStream work queue, one at a time while it has room,
  acknowledged as it starts them (after announcing `Accepted` on its events subject): one
  it took and did not start (it died first) goes to another worker when the
  acknowledgement's wait passes, one it started is never run twice;

streams each run's output, response chunks and result back on `wb.events.<name>` in order,
obeys cancels on `wb.cancel.<name>`, and says it is alive every second (`Beat`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from .._bridge import Bridge, HostCall, error_frame
from .._cancel import Cancel
from .._http import ResponseChunk
from .._result import RunResult
from .._runtime import Runtime
from .._wire import BATCH, Message, WireError
from . import _messages as m
from ._link import connect
from ._packages import OK, EnvironmentError_, Environments

log = logging.getLogger("widgetbox.runtime.remote")

QUEUED = 2
"""A worker takes up to this many times its capacity of requests (the host sends it more
than its capacity only when it has no sandbox process of its own): the rest wait here for a
thread, as they would wait in the host's run queue."""
RUN_KEY = "widgetbox.remote_run"
FETCH_WAIT = 60.0
"""Seconds one piece of an environment may take to arrive."""
"""The context key under which a worker's runtime knows the host's id of a run."""


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
    ) -> None:
        self.url = url
        self.name = m.check_name(name)
        self.processes = processes
        self.capacity = capacity or processes or os.cpu_count() or 1
        self.batch_capacity = 1
        self.pool_size = pool_size
        self.cache = cache
        self.stop = asyncio.Event()
        self._runs: dict[str, Cancel] = {}
        self._batch = 0
        self._closing = False
        self.ready = threading.Event()
        """Set once it takes runs (tests wait for it)."""

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        bridge = ForwardingBridge(self.name)
        runtime = await asyncio.to_thread(
            Runtime,
            pool_size=self.pool_size,
            processes=self.processes,
            workers=self.capacity + self.batch_capacity,
            bridge=bridge,
            cache=self.cache,
        )
        self._runtime = runtime
        self._environments = Environments(runtime.interpreter.cache / "environments")
        self._threads = ThreadPoolExecutor(
            QUEUED * self.capacity + self.batch_capacity, thread_name_prefix="widgetbox-remote"
        )
        client = await connect(
            self.url, f"widgetbox-worker-{self.name}", inbox_prefix=f"_INBOX.{self.name}"
        )
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
            log.info("worker %s serving %s (%d runs at once)", self.name, self.url, self.capacity)
            self.ready.set()
            await self.stop.wait()
        finally:
            self._closing = True  # it takes nothing more
            for cancel in list(self._runs.values()):
                cancel.set("The run was stopped: its worker is stopping")
            for task in locals().get("tasks", []):
                task.cancel()
            # its runs stop within a tick and report so, before it says goodbye (after
            # which the host reports whatever is left of them as lost)
            await asyncio.to_thread(self._threads.shutdown, True)
            with contextlib.suppress(Exception):
                await asyncio.sleep(0)  # their last events are queued before the goodbye
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
        if why:
            await msg.respond(m.pack(m.Refused(run=dispatch.run, why=why)))
            return
        self._start(dispatch)  # counted before answering, so a burst sees it full
        await msg.respond(m.pack(m.Accepted(run=dispatch.run, worker=self.name)))

    def _refusal(self, dispatch: m.Dispatch) -> str:
        interactive = len(self._runs) - self._batch
        if self._closing:
            return "stopping"
        if dispatch.request.files is None:
            return "the run came without its files"
        if dispatch.request.packages is not None:
            return "a folder of the host's was sent"
        if dispatch.timeout <= 0:
            return "its time is up"
        if dispatch.run in self._runs:
            return "already running"
        if interactive >= QUEUED * self.capacity:
            return "full"
        return ""

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
        if not isinstance(dispatch, m.Dispatch) or dispatch.request.lane != BATCH:
            await message.term()
            return
        if self._closing or dispatch.run in self._runs:
            await message.nak()
            return
        # announced, then acknowledged, then started: the host knows where it runs before
        # it can begin, and the queue never gives a started run to another worker
        await self._client.publish(
            self._events, m.pack(m.Accepted(run=dispatch.run, worker=self.name))
        )
        await message.ack_sync()
        self._start(dispatch, batch=True)

    def _start(self, dispatch: m.Dispatch, *, batch: bool = False) -> None:
        cancel = Cancel()
        self._runs[dispatch.run] = cancel
        if batch:
            self._batch += 1
        request = dispatch.request
        timeout = min(request.limits.timeout, dispatch.timeout)
        if timeout != request.limits.timeout:
            limits = dataclasses.replace(request.limits, timeout=timeout)
            request = dataclasses.replace(request, limits=limits)
        run_id = dispatch.run

        def emit(message: Message) -> None:  # from any thread, in order
            data = m.pack(message)
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._publish_now, data)

        def on_output(stream: str, text: str) -> None:
            emit(m.RunOutput(run=run_id, stream=stream, text=text))  # type: ignore[arg-type]

        def on_chunk(chunk: ResponseChunk) -> None:
            emit(m.RunChunk(run=run_id, chunk=chunk))

        def run() -> None:
            nonlocal request
            try:
                if dispatch.packages is not None:  # fetched and verified before it runs
                    folder = self._environments.folder(
                        dispatch.packages, self._fetcher(dispatch.packages)
                    )
                    request = dataclasses.replace(request, packages=folder)
                result: RunResult = self._runtime.run_request(
                    request,
                    on_output=on_output,
                    cancel=cancel,
                    context={RUN_KEY: run_id},
                    on_chunk=on_chunk if request.stream else None,
                )
            except Exception as e:
                log.exception("a run failed in the sandbox")
                emit(m.RunFailed(run=run_id, message=str(e)[:500]))
            else:
                emit(m.RunDone(run=run_id, result=result))
            finally:
                self._loop.call_soon_threadsafe(self._ended, run_id, batch)

        try:
            self._threads.submit(run)
        except RuntimeError:  # shutting down
            self._ended(run_id, batch)

    def _fetcher(self, digest: str) -> Callable[[int], bytes]:
        """Fetch a piece of environment `digest` from the host (on a run's thread)."""

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

    def _ended(self, run_id: str, batch: bool) -> None:
        if self._runs.pop(run_id, None) is not None and batch:
            self._batch -= 1

    async def _on_cancel(self, msg: Msg) -> None:
        try:
            cancel = m.unpack(msg.data, m.TO_WORKER)
        except WireError:
            return
        if isinstance(cancel, m.CancelRun):
            found = self._runs.get(cancel.run)
            if found is not None:
                found.set()


_tasks: set[asyncio.Task[Any]] = set()


def _keep(task: asyncio.Task[Any]) -> None:
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


def run_worker(worker: Worker, on_ready: Callable[[], None] | None = None) -> None:
    """Serve until SIGTERM or SIGINT (the command's entry)."""
    import signal

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop.set)
        serving = loop.create_task(worker.serve())
        if on_ready is not None:
            await asyncio.to_thread(worker.ready.wait)
            on_ready()
        await serving

    asyncio.run(main())


_ = (concurrent, time)
