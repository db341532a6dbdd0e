"""Sandbox workers on other machines through NATS (runtime/remote/): a real nats-server on
loopback with JetStream and a user per worker, and each worker a separate `widgetbox
worker` process. What a run gives through a worker is what it gives locally; host calls
are answered by the host; scripts go through the work queue with their output streamed
and their cancels delivered; a worker killed with SIGKILL loses only the runs it had
started (reported as lost), never a queued one; a silent worker gets nothing more within
seconds; a worker's NATS user can act only as itself."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests import _nats
from tests.sandbox.test_route import STREAMS
from widgetbox.runtime import (
    Call,
    Cancel,
    Code,
    HttpRequest,
    Job,
    Limits,
    ResponseChunk,
    Route,
    Runtime,
    Script,
    Status,
    Task,
)
from widgetbox.runtime.remote import WORKER_LOST, Workers

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(not _nats.available(), reason="nats-server is not installed"),
]

NAMES = ("w1", "w2", "w3", "w4")

CODE = Code.single(
    """
import time
import anvil.server
from _widgetbox.bridge import call

@anvil.server.callable
def echo(x):
    print("echo", x)
    return call("echo", x)

@anvil.server.callable
def slow(seconds):
    time.sleep(seconds)
    return "slept"
"""
)

TASK = """
import anvil.server

@anvil.server.background_task
def double(n):
    print("doubling", n)
    return n * 2
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_nats.Cluster]:
    with _nats.cluster(tmp_path_factory.mktemp("nats"), NAMES) as found:
        yield found


@pytest.fixture(scope="module")
def host(cluster: _nats.Cluster) -> Iterator[Runtime]:
    """The host's runtime: one local process per lane besides the workers."""
    runtime = Runtime(pool_size=1, processes=1, nats=cluster.url())
    runtime.bridge.register("echo", lambda call, data: {"data": data, **call.context})
    try:
        yield runtime
    finally:
        runtime.close()


def _workers(host: Runtime) -> Workers:
    assert host.remote is not None
    return host.remote


def _healthy(host: Runtime) -> set[str]:
    return {w.name for w in _workers(host).status() if w.healthy}


def _served(host: Runtime, name: str) -> int:
    return next((w.served for w in _workers(host).status() if w.name == name), 0)


@pytest.fixture(scope="module")
def two(cluster: _nats.Cluster, host: Runtime) -> _nats.Cluster:
    for name in ("w1", "w2"):
        if name not in cluster.workers:
            cluster.start_worker(name)
    _nats.wait_for(lambda: {"w1", "w2"} <= _healthy(host))
    return cluster


def test_a_call_through_a_worker_is_answered_by_the_host(two: _nats.Cluster, host: Runtime) -> None:
    before = _served(host, "w1") + _served(host, "w2")
    result = host.run(Call(CODE, "echo", [{"n": 5}]), context={"widget": "seven"})
    assert result.status is Status.OK, result
    # the host call reached the host's handler with the run's context, which never left it
    assert result.value == {"data": {"n": 5}, "widget": "seven"}
    assert result.stdout == "echo {'n': 5}\n"
    assert result.host_calls == 1
    assert _served(host, "w1") + _served(host, "w2") == before + 1


def test_requests_spread_over_workers(two: _nats.Cluster, host: Runtime) -> None:
    before = {name: _served(host, name) for name in ("w1", "w2")}
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: host.run(Call(CODE, "slow", [0.3])), range(4)))
    assert all(r.status is Status.OK and r.value == "slept" for r in results), results
    assert all(_served(host, name) > before[name] for name in ("w1", "w2"))


def test_run_async_through_a_worker(two: _nats.Cluster, host: Runtime) -> None:
    async def go() -> object:
        return await host.run_async(Call(CODE, "echo", ["async"]))

    result = asyncio.run(go())
    assert result.status is Status.OK  # type: ignore[attr-defined]
    assert result.value == {"data": "async"}  # type: ignore[attr-defined]


def test_a_script_through_the_work_queue_streams_its_output(
    two: _nats.Cluster, host: Runtime
) -> None:
    printed: list[tuple[str, str, float]] = []
    code = Code.single("import time\nprint('first', flush=True)\ntime.sleep(0.8)\nprint('last')")
    start = time.monotonic()
    result = host.run(
        Script(code), on_output=lambda s, t: printed.append((s, t, time.monotonic() - start))
    )
    assert result.status is Status.OK, result
    assert result.stdout == "first\nlast\n"
    assert [t for _, t, _ in printed] == ["first\n", "last\n"]
    # streamed as printed, not with the result
    assert printed[1][2] - printed[0][2] > 0.5


def test_a_cancel_reaches_the_worker(two: _nats.Cluster, host: Runtime) -> None:
    cancel = Cancel()
    code = Code.single("print('go', flush=True)\nwhile True:\n    pass")
    started = threading.Event()

    def printed(stream: str, text: str) -> None:
        started.set()

    threading.Thread(target=lambda: (started.wait(30), cancel.set("stopped by the test"))).start()
    begun = time.monotonic()
    result = host.run(Script(code), on_output=printed, cancel=cancel)
    assert result.status is Status.KILLED
    assert result.message == "stopped by the test"
    assert result.stdout == "go\n"
    assert time.monotonic() - begun < 10


def test_limits_apply_on_the_worker(two: _nats.Cluster, host: Runtime) -> None:
    code = Code.single("while True:\n    pass")
    result = host.run(Script(code), limits=Limits(timeout=0.5))
    assert result.status is Status.TIMEOUT


def test_a_worker_can_act_only_as_itself(two: _nats.Cluster) -> None:
    """Subject permissions: w1's user cannot read another worker's work or events, nor
    publish as the host or as w2."""
    import nats

    async def attempt() -> list[str]:
        errors: list[str] = []

        async def on_error(e: Exception) -> None:
            errors.append(str(e))

        client = await nats.connect(
            two.url("w1"), error_cb=on_error, inbox_prefix="_INBOX.w1", allow_reconnect=False
        )
        try:
            for subject in ("wb.work.w2", "wb.events.w2", "wb.host.*", "_INBOX.w2.>"):
                await client.subscribe(subject)
            for subject in ("wb.work.w2", "wb.events.w2", "wb.beat.w2", "wb.jobs.batch"):
                await client.publish(subject, b"{}")
            await client.flush(2)
            await asyncio.sleep(0.3)
        finally:
            await client.close()
        return errors

    errors = asyncio.run(attempt())
    violations = [e for e in errors if "permissions violation" in e.lower()]
    assert len(violations) == 8, errors


def test_a_silent_worker_gets_nothing_more(two: _nats.Cluster, host: Runtime) -> None:
    """SIGSTOP: no heartbeats, no answers. Within a few seconds it is skipped; a request
    sent to it meanwhile goes to the other worker (it had not begun)."""
    victim = two.workers["w1"]
    os.killpg(victim.pid, signal.SIGSTOP)
    try:
        stopped = time.monotonic()
        results = [host.run(Call(CODE, "echo", [i])) for i in range(3)]
        assert all(r.status is Status.OK for r in results), results
        _nats.wait_for(lambda: "w1" not in _healthy(host), timeout=6)
        assert time.monotonic() - stopped < 6
    finally:
        os.killpg(victim.pid, signal.SIGCONT)
    _nats.wait_for(lambda: "w1" in _healthy(host), timeout=10)


def test_killing_a_worker_loses_only_its_started_runs(
    two: _nats.Cluster, host: Runtime, tmp_path: Path
) -> None:
    """kill -9 a worker under a mixed load of calls and queued scripts: its started runs end
    as lost (never run again by themselves), every other run is served, no queued script
    is lost."""
    two.start_worker("w3")
    _nats.wait_for(lambda: "w3" in _healthy(host))
    script = Code.single("import time\nprint('script', flush=True)\ntime.sleep(1.5)\nprint('end')")
    with ThreadPoolExecutor(10) as pool:
        calls = [pool.submit(host.run, Call(CODE, "slow", [2.0])) for _ in range(3)]
        scripts = [pool.submit(host.run, Script(script)) for _ in range(5)]
        time.sleep(1.0)  # the calls and the first scripts have started
        killed = time.monotonic()
        two.kill_worker("w3")
        results = [f.result(120) for f in calls + scripts]
    lost = [r for r in results if r.status is Status.KILLED]
    served = [r for r in results if r.status is Status.OK]
    assert lost, "w3 had runs in progress"
    assert all(r.message.startswith(WORKER_LOST.split("{")[0]) for r in lost), lost
    assert len(lost) + len(served) == len(results), results
    # every script that had not started was run elsewhere: at most one script per worker
    # had started when w3 died (each takes one at a time)
    assert sum(1 for r in results[3:] if r.status is Status.OK) >= 4
    assert "w3" not in _healthy(host)
    assert max(r.wall_time for r in lost) < time.monotonic() - killed + 10
    # the host keeps serving
    assert host.run(Call(CODE, "echo", [1])).status is Status.OK


EQUIVALENT = [
    Call(CODE, "echo", [[1, "two", {"three": 3.5}]]),
    Route(Code.single(STREAMS), HttpRequest("GET", "/three")),
    Script(Code.single("import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.exit(3)")),
    Script(Code.single("def f():\n    raise ValueError('no')\nf()")),
    Task(Code.single(TASK), "double", [21]),
]


@pytest.mark.parametrize("job", EQUIVALENT, ids=["call", "route", "exit", "error", "task"])
def test_a_run_gives_what_it_gives_locally(two: _nats.Cluster, host: Runtime, job: Job) -> None:
    served = _served(host, "w1") + _served(host, "w2")
    remote = host.run(job)
    assert _served(host, "w1") + _served(host, "w2") == served + 1
    workers, host.remote = host.remote, None
    try:
        local = host.run(job)
    finally:
        host.remote = workers
    varying = {"wall_time": 0, "fuel": 0, "peak_memory": 0}
    assert dataclasses.replace(remote, **varying) == dataclasses.replace(local, **varying)


def test_a_streamed_response_through_a_worker(two: _nats.Cluster, host: Runtime) -> None:
    chunks: list[ResponseChunk] = []
    job = Route(Code.single(STREAMS), HttpRequest("GET", "/three"))
    result = host.run(job, on_chunk=chunks.append)
    assert result.status is Status.OK
    assert [chunk.body for chunk in chunks] == [b"0;", b"1;", b"2;"]
    assert [chunk.status for chunk in chunks] == [200, None, None]


def test_a_worker_that_lies_gets_no_more_runs(tmp_path: Path) -> None:
    """A subverted worker (here a fake one on the NATS protocol) accepts a request and
    reports a result that is not one: the run ends as lost, not with what it sent, and the
    worker gets nothing more."""
    import json

    import nats

    with _nats.cluster(tmp_path, ["evil"]) as found:
        stop = threading.Event()
        ready = threading.Event()

        async def evil() -> None:
            client = await nats.connect(found.url("evil"), inbox_prefix="_INBOX.evil")

            async def dispatched(msg: object) -> None:
                run = json.loads(msg.data)["run"]  # type: ignore[attr-defined]
                await msg.respond(  # type: ignore[attr-defined]
                    json.dumps({"kind": "accepted", "run": run, "worker": "evil"}).encode()
                )
                lie = {"kind": "done", "run": run, "result": {"status": "ok", "value": "pwned"}}
                await client.publish("wb.events.evil", json.dumps(lie).encode())

            await client.subscribe("wb.work.evil", cb=dispatched)
            beat = {"kind": "beat", "worker": "evil", "runs": 0, "capacity": 4, "processes": 1}
            while not stop.is_set():
                await client.publish("wb.beat.evil", json.dumps(beat).encode())
                ready.set()
                await asyncio.sleep(0.3)
            await client.close()

        faker = threading.Thread(target=lambda: asyncio.run(evil()))
        faker.start()
        try:
            ready.wait(10)
            with Runtime(pool_size=0, processes=1, nats=found.url()) as host:
                remote = _workers(host)
                _nats.wait_for(remote.available)
                result = host.run(Call(CODE, "echo", [1]))
                assert result.status is Status.KILLED
                assert result.value is None
                assert "broke the protocol" in result.message
                (status,) = remote.status()
                assert not status.healthy
                assert status.why.startswith("broke the protocol")
                # the next request runs on the host's own process
                result = host.run(Call(CODE, "slow", [0]))
                assert (result.status, result.value) == (Status.OK, "slept")
                assert status.served == 0
        finally:
            stop.set()
            faker.join(10)


def test_without_nats_the_host_runs_locally_until_it_comes(tmp_path: Path) -> None:
    """NATS unreachable when the server starts: it starts all the same, runs locally, and
    takes workers once NATS is there."""
    import secrets

    later = _nats.Cluster(
        folder=tmp_path,
        port=_nats.free_port(),
        passwords={"w9": secrets.token_hex(8)},
        host_password=secrets.token_hex(8),
    )
    started = time.monotonic()
    with Runtime(pool_size=0, processes=1, nats=later.url()) as host:
        assert time.monotonic() - started < 30
        host.bridge.register("echo", lambda call, data: data)
        remote = _workers(host)
        result = host.run(Call(CODE, "slow", [0]))
        assert (result.status, result.value) == (Status.OK, "slept")
        try:
            later.start_server()
            later.start_worker("w9")
            _nats.wait_for(remote.available, timeout=60)
            assert host.run(Call(CODE, "echo", [2])).status is Status.OK
            assert _served(host, "w9") == 1
        finally:
            later.close()


def test_a_packages_environment_goes_to_the_worker_by_its_hash(
    two: _nats.Cluster, host: Runtime, tmp_path: Path
) -> None:
    """The folder stays on the host; the worker fetches its tar by sha256, checks it, and
    mounts what it unpacked, as the host would mount the folder."""
    folder = tmp_path / "environment"
    (folder / "mypkg").mkdir(parents=True)
    (folder / "mypkg" / "__init__.py").write_text("VALUE = 42\n")
    code = Code(
        files={
            "main.py": "import anvil.server\nimport mypkg\n"
            "@anvil.server.callable\ndef value():\n    return mypkg.VALUE\n"
        },
        packages=folder,
    )
    served = _served(host, "w1") + _served(host, "w2")
    for _ in range(2):  # fetched once per worker, then kept
        result = host.run(Call(code, "value"))
        assert (result.status, result.value) == (Status.OK, 42), result
    assert _served(host, "w1") + _served(host, "w2") == served + 2
    script = host.run(
        Script(Code(files={"main.py": "import mypkg\nprint(mypkg.VALUE)"}, packages=folder))
    )
    assert script.stdout == "42\n"


def test_a_new_host_start_drops_what_an_earlier_one_queued(tmp_path: Path) -> None:
    """The Runner reports an earlier start's unfinished runs as interrupted, so their queued
    scripts must never run behind its back: a new host empties the queue before any worker
    takes one (here no worker is running while they are queued)."""
    import nats

    with _nats.cluster(tmp_path, ["q1"]) as found:
        with Runtime(pool_size=0, processes=1, nats=found.url()):
            pass  # makes the stream and its consumer

        async def queue_and_count(purge_first: bool) -> int:
            client = await nats.connect(found.url())
            try:
                js = client.jetstream()
                if not purge_first:
                    await js.publish("wb.jobs.batch", b'{"kind": "dispatch"}')
                info = await js.stream_info("WIDGETBOX_RUNS")
                return int(info.state.messages)
            finally:
                await client.close()

        assert asyncio.run(queue_and_count(False)) == 1
        with Runtime(pool_size=0, processes=1, nats=found.url()):
            assert asyncio.run(queue_and_count(True)) == 0
