"""Sandbox workers through NATS (runtime/remote/): what dispatching a request to a worker
costs against a local sandbox process, and what a second worker adds.

Everything on loopback: nats-server with JetStream in a temporary folder, each worker a
separate `widgetbox worker` process. The throughput figures hold each worker to one core
(`taskset`), so one worker against two is one core against two; on a shared or two-core
machine the host and nats-server compete with them, so read the ratio, not the figure.
The latency figures alternate blocks of requests between a local process and a worker, so
that the machine's drift over the run falls on both; both run on the same core, which
nothing else uses meanwhile (`_placed`)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests import _nats
from widgetbox.runtime import Call, Code, HttpRequest, Route, Runtime, Status

from . import _cpu
from ._report import Figure, median, percentile
from .runtime import HELLO, HELLO_SOURCE, timed

CPU_CALL = Call(
    Code.single(
        "import anvil.server\n@anvil.server.callable\ndef spin(n):\n"
        "    total = 0\n    for i in range(n):\n        total += i * i % 7\n    return total\n"
    ),
    "spin",
    [400_000],
)


_MODULE = "\n".join(
    f'def f{i}(x):\n    """{"a helper. " * 8}"""\n    return x * {i} + len({"s" * 40!r})\n'
    for i in range(60)
)
LARGE_HELLO = Route(
    Code({"main.py": HELLO_SOURCE, **{f"lib/m{k}.py": _MODULE for k in range(12)}}),
    HttpRequest("GET", "/hello"),
)
"""The hello route in a widget of 13 files, about 120 KB of source and 230 KB with its
bytecode: what a request would carry to a worker every time if it went with its files."""


def _latencies(
    local: Runtime, remote: Runtime, count: int, job: Route = HELLO
) -> tuple[list[float], list[float]]:
    """`job`'s times on each, in alternating blocks of 20: the machine's drift over the
    measurement (which on a shared two-core machine is larger than the difference sought)
    falls on both alike."""
    for _ in range(2):  # the second time with its bytecode, compiled after the first
        for runtime in (local, remote):
            for _ in range(20):
                runtime.run(job)
        time.sleep(0.5)
    here: list[float] = []
    there: list[float] = []
    while len(here) < count:
        here += timed(lambda: local.run(job), 20)
        there += timed(lambda: remote.run(job), 20)
    return here, there


def _dispatch_cpu(local: Runtime, remote: Runtime, dispatchers: list[int], count: int) -> float:
    """CPU seconds the dispatching processes (`_placed`) spend per hello route through a
    worker, beyond what this process spends per run on a local sandbox process: what a
    request through NATS costs the machines besides its run."""

    def per_run(runtime: Runtime) -> float:
        before = [_cpu.read(pid) for pid in dispatchers]
        for _ in range(count):
            runtime.run(HELLO)
        after = [_cpu.read(pid) for pid in dispatchers]
        return sum(_cpu.spent(b, a)[0] for b, a in zip(before, after, strict=True)) / count

    return per_run(remote) - per_run(local)


def _throughput(runtime: Runtime, seconds: float, concurrency: int) -> float:
    done = 0
    deadline = time.monotonic() + seconds

    def client() -> int:
        count = 0
        while time.monotonic() < deadline:
            result = runtime.run(CPU_CALL)
            assert result.status is Status.OK, result
            count += 1
        return count

    start = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        done = sum(pool.map(lambda _: client(), range(concurrency)))
    return done / (time.monotonic() - start)


def _hold(pid: int, cores: set[int]) -> None:
    """Keep every thread of process `pid` to `cores` (Linux sets a thread's affinity, not a
    process's: the threads it starts later inherit it)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(ProcessLookupError):  # a thread that has just ended
            os.sched_setaffinity(int(task.name), cores)


@contextlib.contextmanager
def _placed(cluster: _nats.Cluster, cores: list[int]) -> Iterator[tuple[Runtime, list[int]]]:
    """The local runtime of the latency figures, with the worker `w0`, placed alike: every
    sandbox process (the local one and the worker's) on one core, and every process that
    dispatches (this one, with the host's side of each; nats-server; the worker's own) on
    another, idle while a run waits. Each run then meets the same core, and the difference
    between the two is the dispatch. Left to choose, a request process keeps to the first
    core it may use (`runtime._worker._keep_to`), the local one and the worker's alike, and
    each one's pool work slowed the other's runs; held whole to one core, a worker shares it
    with its sandbox process, where on a machine of its own it would not. Yields the local
    runtime and the dispatching processes."""
    dispatch, sandbox = (cores[0], cores[1]) if len(cores) > 1 else (cores[0], cores[0])
    worker = cluster.start_worker("w0", processes=1, capacity=4)
    with Runtime(pool_size=2, processes=1) as local:
        local.wait_ready(60)
        for pid in _cpu.descendants(os.getpid()):
            _hold(pid, {sandbox})
        dispatchers = [os.getpid(), worker.pid]
        dispatchers += [cluster.server.pid] if cluster.server is not None else []
        for pid in dispatchers:
            _hold(pid, {dispatch})
        try:
            yield local, dispatchers
        finally:
            for pid in dispatchers:
                _hold(pid, set(cores))


def _taskset(core: int) -> list[str]:
    """The command prefix holding a process (and every process it starts) to `core`."""
    taskset = shutil.which("taskset")
    return [taskset, "-c", str(core)] if taskset is not None else []


def _wait_workers(runtime: Runtime, count: int) -> None:
    assert runtime.remote is not None
    remote = runtime.remote
    _nats.wait_for(lambda: sum(w.healthy for w in remote.status()) >= count, timeout=60)


def run(quick: bool = False) -> list[Figure]:
    if not _nats.available():
        return [Figure("scaleout", 0, "", note="nats-server is not installed: skipped")]
    count = 200 if quick else 1000
    seconds = 4.0 if quick else 12.0
    cores = sorted(os.sched_getaffinity(0))
    folder = Path(tempfile.mkdtemp(prefix="widgetbox-scaleout-"))
    figures: list[Figure] = []
    try:
        with _nats.cluster(folder, ["w0", "w1", "w2"]) as cluster:

            def pinned(index: int) -> list[str]:
                return _taskset(cores[index % len(cores)]) if len(cores) > 1 else []

            # the host keeps no process for requests: every request goes to a worker
            with Runtime(pool_size=0, processes=0, nats=cluster.url()) as host:
                with _placed(cluster, cores) as (local, dispatchers):
                    _wait_workers(host, 1)
                    time.sleep(1.0)  # the worker's pool fills
                    here, there = _latencies(local, host, count)
                    large_here, large_there = _latencies(local, host, count // 2, LARGE_HELLO)
                    dispatch_cpu = _dispatch_cpu(local, host, dispatchers, count)
                cluster.stop_worker("w0")
                _nats.wait_for(lambda: not host.remote or not host.remote.available(), 30)
                # throughput: workers held to one core each
                cluster.start_worker("w1", processes=1, capacity=4, prefix=pinned(0))
                _wait_workers(host, 1)
                time.sleep(1.0)
                one = _throughput(host, seconds, 4)
                cluster.start_worker("w2", processes=1, capacity=4, prefix=pinned(1))
                _wait_workers(host, 2)
                time.sleep(1.0)  # its pool fills
                two = _throughput(host, seconds, 8)
        local_p50, local_p99 = median(here) * 1000, percentile(here, 99) * 1000
        remote_p50, remote_p99 = median(there) * 1000, percentile(there, 99) * 1000
        overhead = remote_p50 - local_p50
        large_overhead = (median(large_there) - median(large_here)) * 1000
        figures += [
            Figure("hello route, local sandbox process: p50", local_p50, "ms"),
            Figure("hello route, local sandbox process: p99", local_p99, "ms"),
            Figure(
                "hello route through a worker (NATS): p50",
                remote_p50,
                "ms",
                "local p50",
                local_p50,
            ),
            Figure("hello route through a worker (NATS): p99", remote_p99, "ms"),
            Figure(
                "dispatch overhead at p50",
                overhead,
                "ms",
                target="<= 0.5 ms",
                met=overhead <= 0.5,
            ),
            Figure(
                "dispatch overhead at p50, a widget of 230 KB (code and bytecode)",
                large_overhead,
                "ms",
                target="<= 0.5 ms",
                met=large_overhead <= 0.5,
                note=f"local p50 {median(large_here) * 1000:.2f} ms; its files go to a "
                "worker once, then by their digest",
            ),
            Figure(
                "dispatch CPU per request through a worker",
                dispatch_cpu * 1000,
                "ms",
                note="this process (the host's side), nats-server and the worker's own "
                "process, beyond a local run's; spent on other cores than the run's",
            ),
            Figure("CPU-bound calls, 1 worker (1 core)", one, "calls/s"),
            Figure(
                "CPU-bound calls, 2 workers (1 core each)",
                two,
                "calls/s",
                "1 worker",
                one,
                ">= 1.8x",
                two >= 1.8 * one,
                note="" if len(cores) > 2 else "2 cores: the host and nats-server share them",
            ),
        ]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return figures
