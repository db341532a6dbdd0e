"""Sandbox workers on other machines through NATS (runtime/remote/): a real nats-server on
loopback with JetStream and a user per worker, and each worker a separate `widgetbox
worker` process. What a run gives through a worker is what it gives locally; host calls
are answered by the host; scripts go through the work queue with their output streamed
and their cancels delivered; a worker killed with SIGKILL loses only the runs it had
started (reported as lost), never a queued one; a silent worker gets nothing more within
seconds; a worker's NATS user can act only as itself. A queued run starts only once the
host has recorded it started, so none runs behind its back, and a host restart loses no
queued script; a run's end survives a NATS restart (sent until the host confirms it)."""

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
from tests._timing import LOADED_MARGIN, within
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
from widgetbox.runtime.remote import SILENT_AFTER, WORKER_LOST, Workers
from widgetbox.runtime.remote._workers import WATCH_INTERVAL

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
    # each worker's last heartbeat says it is idle (one sent mid-run counts it busy, and
    # the host, which has a process of its own, would run the request there instead)
    _nats.wait_for(lambda: all(w.runs == 0 for w in _workers(host).status()))
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
    violations = _nats.acting_as_another(two.url("w1"), "w1", "w2")
    assert len(violations) == 8, violations
    assert not any("wb.events.w1" in e for e in violations)


def test_a_silent_worker_gets_nothing_more(two: _nats.Cluster, host: Runtime) -> None:
    """SIGSTOP: no heartbeats, no answers. Within a few seconds it is skipped; a request
    sent to it meanwhile goes to the other worker (it had not begun)."""
    victim = two.workers["w1"]
    os.killpg(victim.pid, signal.SIGSTOP)
    try:
        stopped = time.monotonic()
        results = [host.run(Call(CODE, "echo", [i])) for i in range(3)]
        assert all(r.status is Status.OK for r in results), results
        # its last beat came at most a beat before the stop; the host looks every watch
        skipped_by = SILENT_AFTER + WATCH_INTERVAL
        _nats.wait_for(lambda: "w1" not in _healthy(host), timeout=skipped_by + LOADED_MARGIN)
        assert within(time.monotonic() - stopped, skipped_by)
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


def test_a_queued_run_starts_only_once_the_host_has_recorded_it(
    two: _nats.Cluster, host: Runtime
) -> None:
    """`on_start` is asked (on the caller's loop) after a worker took the run from the
    queue and before anything of it runs; a refusal there means it never runs."""
    code = Code.single("print('ran')")
    seen: list[str] = []

    async def go(refuse: bool) -> object:
        async def on_start() -> None:
            seen.append("asked")
            if refuse:
                raise LookupError("the host is stopping")

        return await host.run_async(
            Script(code), on_output=lambda s, t: seen.append(t), on_start=on_start
        )

    result = asyncio.run(go(refuse=False))
    assert result.status is Status.OK  # type: ignore[attr-defined]
    assert seen == ["asked", "ran\n"]
    served = _served(host, "w1") + _served(host, "w2")
    seen.clear()
    with pytest.raises(LookupError, match="the host is stopping"):
        asyncio.run(go(refuse=True))
    time.sleep(1.0)  # were it started anyway, its output would come now
    assert seen == ["asked"]
    assert _served(host, "w1") + _served(host, "w2") == served


def test_no_queued_run_starts_behind_its_hosts_back(tmp_path: Path) -> None:
    """A run left in the queue by a host that has gone (a crash: nothing emptied it) is
    taken by a worker, which asks to start it and is answered by no one, so it puts it
    back (saying so) without running it, and it stays queued; the next host start drops
    it (its Runner queues again, under a new id, what its records say never began), and a
    worker that asks is told not to."""
    import json

    import nats
    from nats.aio.msg import Msg

    from widgetbox.runtime.remote import _messages as m

    with _nats.cluster(tmp_path, ["q1"]) as found:
        with Runtime(pool_size=0, processes=1, nats=found.url()) as first:
            request = first._request(Script(Code.single("print('ran')")), None, None)
        left = m.Dispatch(run="left-by-a-crash", request=request, timeout=30.0)
        heard: list[str] = []

        async def listen(seconds: float, queue: bool) -> int:
            client = await nats.connect(found.url())
            try:

                async def hear(msg: Msg) -> None:
                    heard.append(json.loads(msg.data)["kind"])

                await client.subscribe("wb.events.q1", cb=hear)
                js = client.jetstream()
                if queue:
                    await js.publish(m.BATCH_SUBJECT, m.pack(left))
                await asyncio.sleep(seconds)
                return int((await js.stream_info(m.STREAM)).state.messages)
            finally:
                await client.close()

        found.start_worker("q1")
        # no host: the worker asks (and asks again), never starts it, and it stays queued
        assert asyncio.run(listen(8.0, queue=True)) == 1
        assert heard, "the worker asked to start it"
        assert set(heard) == {"accepted", "refused"}, heard  # asked; then put it back
        heard.clear()
        with Runtime(pool_size=0, processes=1, nats=found.url()) as second:
            remote = _workers(second)
            _nats.wait_for(remote.available)
            assert asyncio.run(listen(4.0, queue=False)) == 0
            assert not {"output", "done"} & set(heard), heard
            result = second.run(Script(Code.single("print('mine')")))
            assert (result.status, result.stdout) == (Status.OK, "mine\n")


def test_a_result_is_confirmed_each_time_and_taken_once(tmp_path: Path) -> None:
    """A worker sends a run's end until the host confirms it: a copy that comes again (the
    confirmation was lost) is confirmed again and changes nothing."""
    import nats

    from widgetbox.runtime import RunResult
    from widgetbox.runtime.remote import _messages as m

    with _nats.cluster(tmp_path, ["dup"]) as found:
        stop = threading.Event()
        ready = threading.Event()
        answers: list[str] = []

        async def twice() -> None:
            client = await nats.connect(found.url("dup"), inbox_prefix="_INBOX.dup")

            async def dispatched(msg: object) -> None:
                run = m.unpack(msg.data, m.TO_WORKER).run  # type: ignore[attr-defined]
                await msg.respond(m.pack(m.Accepted(run=run, worker="dup")))  # type: ignore[attr-defined]
                result = RunResult(Status.OK, "out\n", "", 0.1, 1, 0, value=7)
                for _ in range(2):
                    reply = await client.request(
                        "wb.events.dup", m.pack(m.RunDone(run=run, result=result)), timeout=5
                    )
                    answers.append(m.unpack(reply.data, m.TO_WORKER).kind)

            await client.subscribe("wb.work.dup", cb=dispatched)
            beat = m.Beat(worker="dup", runs=0, capacity=4, processes=1)
            while not stop.is_set():
                await client.publish("wb.beat.dup", m.pack(beat))
                ready.set()
                await asyncio.sleep(0.3)
            await client.close()

        faker = threading.Thread(target=lambda: asyncio.run(twice()))
        faker.start()
        try:
            ready.wait(10)
            with Runtime(pool_size=0, processes=1, nats=found.url()) as host:
                remote = _workers(host)
                _nats.wait_for(remote.available)
                result = host.run(Call(CODE, "echo", [1]))
                assert (result.status, result.value, result.stdout) == (Status.OK, 7, "out\n")
                _nats.wait_for(lambda: len(answers) == 2)
                assert answers == ["confirm", "confirm"]
                (status,) = remote.status()
                assert (status.healthy, status.served) == (True, 1)
        finally:
            stop.set()
            faker.join(10)


def test_a_queued_run_whose_confirmation_is_lost_goes_to_the_next_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The host records a queued run started and confirms it, and every answer is lost on
    its way: the worker that took it puts it back and says so, and the run is confirmed to
    the next worker that takes it, and runs once, long before its deadline."""
    from widgetbox.runtime.remote import _messages as m
    from widgetbox.runtime.remote import _serve
    from widgetbox.runtime.remote import _workers as workers_module

    dropped: list[str] = []
    respond = workers_module._respond
    host: Runtime | None = None

    async def losing(msg: object, frame: bytes, name: str) -> None:
        asked = m.unpack(msg.data, m.FROM_WORKER)  # type: ignore[attr-defined]
        if isinstance(asked, m.Accepted) and host is not None:
            run = _workers(host)._runs.get(asked.run)
            if run is not None and run.given_back == 0:  # until a worker has put it back
                dropped.append(name)
                return
        await respond(msg, frame, name)  # type: ignore[arg-type]

    monkeypatch.setattr(workers_module, "_respond", losing)
    with _nats.cluster(tmp_path, ["c1", "c2"]) as found:
        found.start_worker("c1")
        found.start_worker("c2")
        with Runtime(pool_size=0, processes=1, nats=found.url()) as host:
            remote = _workers(host)
            _nats.wait_for(lambda: len([w for w in remote.status() if w.healthy]) == 2)
            begun = time.monotonic()
            result = host.run(Script(Code.single("print('once')")), limits=Limits(timeout=300))
            took = time.monotonic() - begun
            assert (result.status, result.stdout) == (Status.OK, "once\n"), result.message
            assert len(set(dropped)) == 1, dropped  # one worker asked, unanswered
            # it gave up after CONFIRM_FOR, and the run went on: not at its deadline
            assert _serve.CONFIRM_FOR <= took < 60, took
            served = {w.name: w.served for w in remote.status()}
            assert sum(served.values()) == 1, served


def test_a_request_waits_on_a_full_worker_and_goes_elsewhere_if_it_is_lost(
    tmp_path: Path,
) -> None:
    """A worker with room for one call at a time takes three (the host has no sandbox
    process of its own): the first begins, the others wait there, not begun. A cancel ends
    a waiting one without running it. Killed under the first, the worker loses only it:
    the one still waiting is sent to another worker and served."""
    with _nats.cluster(tmp_path, ["full", "spare"]) as found:
        found.start_worker("full", capacity=1)
        with Runtime(pool_size=0, processes=0, nats=found.url()) as host:
            host.bridge.register("echo", lambda call, data: {"data": data})
            remote = _workers(host)
            _nats.wait_for(remote.available)
            # in turn: two waiting calls begin one after the other on the same worker
            with ThreadPoolExecutor(2) as pool:
                both = [pool.submit(host.run, Call(CODE, "slow", [0.5])) for _ in range(2)]
                results = [f.result(60) for f in both]
            assert [(r.status, r.value) for r in results] == [(Status.OK, "slept")] * 2
            assert _served(host, "full") == 2

            printed: list[str] = []
            cancel = Cancel()
            with ThreadPoolExecutor(3) as pool:
                first = pool.submit(host.run, Call(CODE, "slow", [3.0]))
                time.sleep(0.5)  # it has begun
                cancelled = pool.submit(
                    host.run,
                    Call(CODE, "echo", ["never"]),
                    cancel=cancel,
                    on_output=lambda s, t: printed.append(t),
                )
                waiting = pool.submit(host.run, Call(CODE, "echo", ["elsewhere"]))
                time.sleep(0.5)  # both wait on the worker
                cancel.set("cancelled while it waited")
                assert cancelled.result(30).status is Status.KILLED
                found.start_worker("spare")
                _nats.wait_for(lambda: "spare" in _healthy(host), timeout=60)
                found.kill_worker("full")
                lost, served = first.result(60), waiting.result(60)
            assert lost.status is Status.KILLED, lost
            assert lost.message.startswith(WORKER_LOST.split("{")[0]), lost.message
            assert (served.status, served.stdout) == (Status.OK, "echo elsewhere\n"), served
            assert served.value["data"] == "elsewhere"
            assert printed == []  # the cancelled call never ran
            assert _served(host, "spare") == 1


def test_a_widgets_files_go_to_a_worker_once(tmp_path: Path) -> None:
    """A request goes with its widget's files and bytecode only the first time: after that
    by their digest, which the worker looks up. A worker that does not hold them after all
    (the host's belief is wrong here on purpose) says so, and gets them at once."""
    import json

    import nats
    from nats.aio.msg import Msg

    sent: list[tuple[str, bool]] = []  # each dispatch's bundle, and whether files came

    async def watch(ready: threading.Event, stop: threading.Event) -> None:
        client = await nats.connect(found.url())

        async def seen(msg: Msg) -> None:
            request = json.loads(msg.data)["request"]
            sent.append((request["bundle"], request["files"] is not None))

        await client.subscribe("wb.work.once", cb=seen)
        await client.flush()
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await client.close()

    with _nats.cluster(tmp_path, ["once"]) as found:
        found.start_worker("once")
        with Runtime(pool_size=0, processes=0, nats=found.url()) as host:
            host.bridge.register("echo", lambda call, data: {"data": data})
            remote = _workers(host)
            _nats.wait_for(remote.available)
            host.run(Call(CODE, "echo", [0]))  # its bytecode is compiled after a first run
            _nats.wait_for(lambda: host._bundles.bytecode.lookup_complete(CODE)[1])
            ready, stop = threading.Event(), threading.Event()
            watcher = threading.Thread(target=lambda: asyncio.run(watch(ready, stop)))
            watcher.start()
            try:
                assert ready.wait(10)
                for n in range(3):
                    result = host.run(Call(CODE, "echo", [n]))
                    assert (result.status, result.value["data"]) == (Status.OK, n), result
                other = Code.single(CODE.files["main.py"] + "\n# another version\n")
                host._bundles.of(other)  # has its bytecode compiled: the bundle is final
                _nats.wait_for(lambda: host._bundles.bytecode.lookup_complete(other)[1])
                bundle = host._bundles.of(other)
                remote._holding("once").put(bundle.digest, bundle.size)  # wrongly believed
                result = host.run(Call(other, "echo", ["again"]))
                assert (result.status, result.value["data"]) == (Status.OK, "again"), result
                _nats.wait_for(lambda: len(sent) == 5)
            finally:
                stop.set()
                watcher.join(10)
            # the bundle with its bytecode: with its files the first time, then by digest
            assert [files for _, files in sent[:3]] == [True, False, False], sent
            assert len({bundle for bundle, _ in sent[:3]}) == 1, sent
            # the wrong belief: sent without them, then again with them
            assert sent[3:] == [(bundle.digest, False), (bundle.digest, True)], sent
            assert _served(host, "once") == 5


def test_a_run_ends_with_its_result_across_a_nats_restart(tmp_path: Path) -> None:
    """nats-server restarts while a script and a call run on a worker, and is away when
    they end: each ends with its real result once NATS is back (the worker sends a run's
    end until the host confirms it), not at its deadline, and the worker is not taken for
    lost meanwhile (the host counts no silence while it hears nothing itself)."""
    with _nats.cluster(tmp_path, ["r1"]) as found:
        found.start_worker("r1")
        with Runtime(pool_size=0, processes=1, nats=found.url()) as host:
            remote = _workers(host)
            _nats.wait_for(remote.available)
            started = threading.Event()
            script = Code.single(
                "import time\nprint('before', flush=True)\ntime.sleep(2)\nprint('after')"
            )
            limits = Limits(timeout=60)
            with ThreadPoolExecutor(2) as pool:
                ran = pool.submit(
                    host.run, Script(script), limits=limits, on_output=lambda s, t: started.set()
                )
                called = pool.submit(host.run, Call(CODE, "slow", [2.5]), limits=limits)
                assert started.wait(60)
                begun = time.monotonic()
                found.stop_server()
                time.sleep(4.0)  # both end meanwhile, and more than SILENT_AFTER passes
                found.start_server()
                script_result, call_result = ran.result(60), called.result(60)
            assert (script_result.status, script_result.stdout) == (Status.OK, "before\nafter\n")
            assert (call_result.status, call_result.value) == (Status.OK, "slept")
            assert time.monotonic() - begun < 30  # far from the deadline
            (status,) = remote.status()
            assert (status.lost, status.served) == (0, 2)


def test_a_host_restart_under_load_loses_no_queued_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole server with a worker: scripts queued for the worker when the server stops
    stay queued (none is run by the worker meanwhile: none is confirmed), the one it had
    started is recorded stopped, and the next start runs each queued one once."""
    from tests.server._client import login
    from tests.server._runs import run_detail, script_widget, start_run, wait_for_run
    from tests.server.conftest import running_server

    monkeypatch.chdir(tmp_path)  # no ./widgetbox.toml from the developer's checkout
    data = tmp_path / "data"
    (tmp_path / "nats").mkdir()
    with _nats.cluster(tmp_path / "nats", ["h1"]) as found:
        found.start_worker("h1")  # one script at a time
        settings = {"nats_url": found.url(), "workers": 4}
        with running_server(data, **settings) as server:
            _nats.wait_for(server.app.state.runtime.remote.available)
            server.user("admin")
            alice = server.user("alice")
            code = "import time\nprint('start', flush=True)\ntime.sleep(1)\nprint('end')\n"
            slug = script_widget(alice, code)
            ids = [start_run(alice, slug)["id"] for _ in range(4)]
            _nats.wait_for(lambda: run_detail(alice, ids[0])["status"] == "running")
            assert [run_detail(alice, i)["status"] for i in ids[1:]] == ["queued"] * 3
        time.sleep(2.0)  # no server: a worker would have started a queued one by now
        with running_server(data, **settings) as server:
            alice = server.browser()
            assert login(alice, "alice").status_code == 200
            first = wait_for_run(alice, ids[0])
            assert first["status"] == "killed", first
            for run_id in ids[1:]:
                ran = wait_for_run(alice, run_id)
                assert (ran["status"], ran["stdout"]) == ("ok", "start\nend\n"), ran
