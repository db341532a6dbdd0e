"""Prometheus metrics of one app, with the `prometheus-client` library.

Two kinds of figures. Counted as work happens: requests (by route template, method and
status; durations by route), runs (by lane and status; seconds in the sandbox by lane) and
refusals. Read at each scrape from the objects that hold them, never copied: the run queue
(running and waiting per lane, capacity, refusals), the sandbox processes (alive or not,
runs in each, started guests in each pool: asked of the processes), the database file's
size and the data folder's free space, and the process's own CPU, memory and descriptors.

One registry per app, not the library's global one: tests (and a process that makes two
apps) never see another app's counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar.datastructures import State
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from widgetbox.host.config import Config
from widgetbox.host.runs.admission import Lane
from widgetbox.host.storage import usage

# counters' `_created` series (when each label set first appeared) say nothing an operator
# needs and double the series; the library's one switch for it is process-wide
disable_created_metrics()  # type: ignore[no-untyped-call]
SANDBOX_WAIT = 1.0
"""Seconds a scrape waits for the sandbox processes to say how many guests they hold."""
RUN_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
"""Seconds: requests take milliseconds, scripts up to their limit."""


class Metrics:
    """The registry and its counters; `collect_live` reads `state` at each scrape."""

    def __init__(self, config: Config, state: State) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "widgetbox_http_requests",
            "HTTP requests answered, by route (its path template), method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "widgetbox_http_request_duration_seconds",
            "Seconds from a request's arrival to the start of its answer, by route.",
            ["route"],
            registry=self.registry,
        )
        self.runs = Counter(
            "widgetbox_runs",
            "Runs that ended, by lane (interactive: HTTP requests and server calls; batch: "
            "scripts and tasks) and status.",
            ["lane", "status"],
            registry=self.registry,
        )
        self.run_seconds = Histogram(
            "widgetbox_run_duration_seconds",
            "Seconds runs spent in the sandbox, by lane.",
            ["lane"],
            buckets=RUN_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_Live(config, state))
        ProcessCollector(registry=self.registry)

    def observe_run(self, lane: Lane, status: str, seconds: float | None) -> None:
        """The runner's `observe`: one run ended."""
        name = lane.name.lower()
        self.runs.labels(name, status).inc()
        if seconds is not None:
            self.run_seconds.labels(name).observe(seconds)

    def exposition(self) -> bytes:
        """The text a scrape receives (it blocks while the sandbox answers: call it from a
        thread)."""
        return generate_latest(self.registry)


class _Live(Collector):
    """The figures read from the live objects at each scrape."""

    def __init__(self, config: Config, state: State) -> None:
        self._config = config
        self._state = state

    def describe(self) -> list[Metric]:
        return []  # names are only known from `collect`; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        yield from self._queue()
        yield from self._sandbox()
        yield from self._storage()

    def _queue(self) -> Iterator[Metric]:
        runner = self._state.get("runner")
        if runner is None:  # still starting
            return
        queue = runner.queue
        running = GaugeMetricFamily(
            "widgetbox_queue_running", "Runs holding a slot, by lane.", labels=["lane"]
        )
        waiting = GaugeMetricFamily(
            "widgetbox_queue_waiting", "Runs waiting for a slot, by lane.", labels=["lane"]
        )
        refused = CounterMetricFamily(
            "widgetbox_queue_refused",
            "Runs refused because the queue was full or waited too long (Busy, TooMany).",
            labels=["lane"],
        )
        for lane in Lane:
            name = lane.name.lower()
            running.add_metric([name], queue.running_in(lane))
            waiting.add_metric([name], queue.waiting_in(lane))
            refused.add_metric([name], queue.refused[lane])
        yield running
        yield waiting
        yield refused
        yield GaugeMetricFamily(
            "widgetbox_queue_slots",
            "Runs that may hold a slot at once, per lane (the workers setting).",
            value=queue.workers,
        )
        yield GaugeMetricFamily(
            "widgetbox_queue_size",
            "Runs that may wait per lane before new ones are refused (queue_size).",
            value=queue.queue_size,
        )

    def _sandbox(self) -> Iterator[Metric]:
        runtime = self._state.get("runtime")
        if runtime is None:
            return
        found = runtime.sandbox_status(SANDBOX_WAIT)
        processes = GaugeMetricFamily(
            "widgetbox_sandbox_processes",
            "Sandbox processes, by lane and state (up, or down while being replaced).",
            labels=["lane", "state"],
        )
        runs = GaugeMetricFamily(
            "widgetbox_sandbox_runs",
            "Runs in progress in the sandbox processes, by lane.",
            labels=["lane"],
        )
        pooled = GaugeMetricFamily(
            "widgetbox_pool_guests",
            "Started interpreters waiting in the sandbox processes' pools, by lane (of "
            "those that answered).",
            labels=["lane"],
        )
        for lane in ("interactive", "batch"):
            mine = [process for process in found if process.lane == lane]
            up = sum(process.alive for process in mine)
            processes.add_metric([lane, "up"], up)
            processes.add_metric([lane, "down"], len(mine) - up)
            runs.add_metric([lane], sum(process.runs for process in mine))
            pooled.add_metric([lane], sum(process.pooled or 0 for process in mine))
        yield processes
        yield runs
        yield pooled
        yield GaugeMetricFamily(
            "widgetbox_pool_size",
            "Interpreters kept started ahead of demand (the pool_size setting).",
            value=self._config.sandbox.pool_size,
        )
        yield from _workers(runtime)

    def _storage(self) -> Iterator[Metric]:
        size = usage.database_bytes(self._config.database_path)
        yield GaugeMetricFamily(
            "widgetbox_database_bytes", "Size of the database file and its WAL.", value=size
        )
        try:
            free, _ = usage.disk(self._config.server.data_dir)
        except OSError:
            return
        yield GaugeMetricFamily(
            "widgetbox_data_free_bytes",
            "Free space on the data folder's file system.",
            value=free,
        )


def _workers(runtime: Any) -> Iterator[Metric]:
    """Sandbox workers on other machines (the nats_url setting), as their heartbeats say:
    nothing without it."""
    remote = getattr(runtime, "remote", None)
    if remote is None:
        return
    found = remote.status()
    healthy = GaugeMetricFamily(
        "widgetbox_workers",
        "Sandbox workers on other machines, by state (healthy: taking runs).",
        labels=["state"],
    )
    up = sum(worker.healthy for worker in found)
    healthy.add_metric(["healthy"], up)
    healthy.add_metric(["unhealthy"], len(found) - up)
    yield healthy
    runs = GaugeMetricFamily(
        "widgetbox_worker_runs", "Runs in progress on each worker.", labels=["worker"]
    )
    lost = CounterMetricFamily(
        "widgetbox_worker_runs_lost",
        "Runs reported lost because their worker died or went silent under them.",
        labels=["worker"],
    )
    for worker in found:
        runs.add_metric([worker.name], worker.runs)
        lost.add_metric([worker.name], worker.lost)
    yield runs
    yield lost
