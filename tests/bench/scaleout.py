"""Sandbox workers through NATS (runtime/remote/): what dispatching a request to a worker
costs against a local sandbox process, and what a second worker adds.

Everything on loopback: nats-server with JetStream in a temporary folder, each worker a
separate `widgetbox worker` process. The throughput figures hold each worker to one core
(`taskset`), so one worker against two is one core against two; on a shared or two-core
machine the host and nats-server compete with them, so read the ratio, not the figure.
The latency figures alternate blocks of requests between a local process and a worker, so
that the machine's drift over the run falls on both."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests import _nats
from widgetbox.runtime import Call, Code, HttpRequest, Route, Runtime, Status

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
    taskset = shutil.which("taskset")
    folder = Path(tempfile.mkdtemp(prefix="widgetbox-scaleout-"))
    figures: list[Figure] = []
    try:
        with _nats.cluster(folder, ["w0", "w1", "w2"]) as cluster:

            def pinned(index: int) -> list[str]:
                if taskset is None or len(cores) < 2:
                    return []
                return [taskset, "-c", str(cores[index % len(cores)])]

            # latency: a worker placed as the local runtime's process is (not pinned)
            cluster.start_worker("w0", processes=1, capacity=4)
            # the host keeps no process for requests: every request goes to a worker
            with Runtime(pool_size=0, processes=0, nats=cluster.url()) as host:
                _wait_workers(host, 1)
                with Runtime(pool_size=2, processes=1) as local:
                    local.wait_ready(60)
                    time.sleep(1.0)  # the worker's pool fills
                    here, there = _latencies(local, host, count)
                    large_here, large_there = _latencies(local, host, count // 2, LARGE_HELLO)
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
