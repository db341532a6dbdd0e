"""What the load scenarios (sustained, overload, sandbox_loss, neighbours) share: a server on
a fresh data folder, the HTTP API widget they call, a background load, memory sampling and
the figures of a load."""

from __future__ import annotations

import contextlib
import http.client
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Generic, TypeVar

from tests.bench._http import FAILED, Load, Request, Session, run_paced
from tests.bench._report import Figure, median, percentile
from tests.soak._server import Server, make_widget, running

HELLO_API = """\
import anvil.server

@anvil.server.route("/hello")
def hello(**params):
    return "hello"
"""
SETTINGS = {"WIDGETBOX_POOL_SIZE": "4"}
"""As the benchmarks run it: a few interpreters started ahead of demand."""

T = TypeVar("T")


@contextlib.contextmanager
def fresh_server(settings: dict[str, str] | None = None) -> Iterator[Server]:
    """A started server on a new data folder, stopped and removed when the block ends; its
    log's tail is printed when the block raises."""
    with (
        tempfile.TemporaryDirectory(prefix="widgetbox-soak-") as folder,
        running(Path(folder) / "data", {**SETTINGS, **(settings or {})}) as server,
    ):
        try:
            yield server
        except BaseException:
            print(f"server log (tail):\n{server.log_tail()}")
            raise


def hello_api(session: Session) -> Request:
    """A public HTTP API widget answering "hello"; the request that calls it, warmed up
    (its bytecode cached, the pool full)."""
    slug = make_widget(session, "http", {"main.py": HELLO_API}, visibility="public")
    request: Request = ("GET", f"/w/{slug}/hello", {}, b"")
    run_paced(session.base, request, 50, 1.0, connections=4)
    return request


def script(session: Session, code: str, title: str) -> str:
    """A script widget running `code`; its slug."""
    return make_widget(session, "script", {"main.py": code}, title=title)


def start_run(session: Session, slug: str) -> int:
    run = session.call("POST", f"/api/widgets/{slug}/runs", {})
    return int(run["id"])  # type: ignore[index]


def run_detail(session: Session, run_id: int) -> dict[str, Any]:
    detail = session.call("GET", f"/api/runs/{run_id}")
    assert isinstance(detail, dict)
    return detail


def cancel(session: Session, run_id: int) -> None:
    session.call("POST", f"/api/runs/{run_id}/cancel", {})


class Background(Generic[T]):
    """`work()` on a thread, started at once; `result()` waits for it (and re-raises)."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None

        def target() -> None:
            try:
                self._value = work()
            except BaseException as e:  # handed to result()
                self._error = e

        self._thread = threading.Thread(target=target, daemon=True)
        self._thread.start()

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


def paced(
    server: Server, request: Request, rate: float, seconds: float, connections: int = 32
) -> Background[Load]:
    """`run_paced` in the background."""
    return Background(lambda: run_paced(server.base, request, rate, seconds, connections))


class Probe:
    """Single requests, one after another, on one keep-alive connection (opened again
    after a failure)."""

    def __init__(self, base: str, request: Request) -> None:
        self.address = base.removeprefix("http://")
        self.request = request
        self._connection: http.client.HTTPConnection | None = None

    def once(self) -> tuple[int, float]:
        """The status (FAILED when the connection failed) and the seconds it took."""
        method, path, headers, body = self.request
        started = time.perf_counter()
        try:
            if self._connection is None:
                self._connection = http.client.HTTPConnection(self.address, timeout=60)
            self._connection.request(method, path, body=body, headers=headers)
            response = self._connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.close()
            status = FAILED
        return status, time.perf_counter() - started

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def recovered(self, slow: float, streak: int = 20, give_up: float = 60.0) -> float | None:
        """Seconds until `streak` requests in a row answered 200 within `slow` seconds each
        (None when that did not happen within `give_up` seconds)."""
        started = time.perf_counter()
        good = 0
        while time.perf_counter() - started < give_up:
            status, seconds = self.once()
            good = good + 1 if status == 200 and seconds <= slow else 0
            if good == streak:
                return time.perf_counter() - started
        return None


class MemorySampler:
    """Resident memory of the server process and of its sandbox processes, every `every`
    seconds until stopped: (seconds since the start, server bytes, sandbox bytes)."""

    def __init__(self, server: Server, every: float) -> None:
        self.samples: list[tuple[float, int, int]] = []
        self._stop = threading.Event()
        started = time.monotonic()

        def sample() -> None:
            while True:
                memory = server.memory()
                self.samples.append(
                    (time.monotonic() - started, memory["server"], memory["sandbox"])
                )
                if self._stop.wait(every):
                    return

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()

    def stop(self) -> list[tuple[float, int, int]]:
        self._stop.set()
        self._thread.join()
        return self.samples


TICKS = os.sysconf("SC_CLK_TCK")


def _busy_seconds() -> float:
    """CPU seconds the machine has spent busy since it started (all cores)."""
    with open("/proc/stat") as stat:
        fields = [int(field) for field in stat.readline().split()[1:]]
    user, nice, system, _, _, irq, softirq = fields[:7]
    return (user + nice + system + irq + softirq) / TICKS


def _group_seconds(groups: set[int]) -> float:
    """CPU seconds used by the processes in these process groups, with their waited-for
    children."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) in groups:
            total += sum(int(value) for value in fields[11:15]) / TICKS
    return total


class OtherLoad:
    """How many cores the processes outside the server's and this process's groups kept
    busy while the block ran (`cores`): on a shared machine, what else competed."""

    def __init__(self, server: Server) -> None:
        self.groups = {os.getpgid(server.pid), os.getpgrp()}
        self.cores = 0.0

    def __enter__(self) -> OtherLoad:
        self._began = (time.monotonic(), _busy_seconds(), _group_seconds(self.groups))
        return self

    def __exit__(self, *exc: object) -> None:
        began, busy, ours = self._began
        elapsed = time.monotonic() - began
        others = _busy_seconds() - busy - (_group_seconds(self.groups) - ours)
        self.cores = max(0.0, others / elapsed) if elapsed else 0.0


def slope(points: list[tuple[float, float]]) -> float:
    """The slope of the least-squares line through `points` (x, y)."""
    n = len(points)
    if n < 2:
        return 0.0
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def ms(seconds: list[float]) -> list[float]:
    return [s * 1000 for s in seconds]


def latency_figures(name: str, load: Load) -> list[Figure]:
    """p50 and p99 of a load, in ms."""
    latencies = ms(load.latencies) or [0.0]
    return [
        Figure(f"{name}: p50", median(latencies), "ms"),
        Figure(f"{name}: p99", percentile(latencies, 99), "ms"),
    ]


def statuses(load: Load) -> str:
    return ", ".join(f"{status}: {count}" for status, count in sorted(load.statuses.items()))


class Runs:
    """Keeps `count` runs of a script widget going, starting another whenever one ends,
    until stopped; `ended` holds each ended run's detail (GET /api/runs/{id}) with
    `noticed`, the time.perf_counter() when its end was seen."""

    def __init__(self, session: Session, slug: str, count: int, every: float = 0.2) -> None:
        self.session = session
        self.slug = slug
        self.count = count
        self.active: list[int] = []
        self.ended: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._every = every
        self._thread = threading.Thread(target=self._keep, daemon=True)
        self._thread.start()

    def _keep(self) -> None:
        while True:
            with self._lock:
                active = list(self.active)
            for run_id in active:
                detail = run_detail(self.session, run_id)
                if detail["status"] not in ("queued", "running"):
                    detail["noticed"] = time.perf_counter()
                    with self._lock:
                        self.active.remove(run_id)
                        self.ended.append(detail)
            if self._stop.is_set():
                if not self.active:
                    return
            else:
                while len(self.active) < self.count:
                    run_id = start_run(self.session, self.slug)
                    with self._lock:
                        self.active.append(run_id)
            time.sleep(self._every)

    def running(self) -> list[int]:
        """The runs in progress now."""
        with self._lock:
            return list(self.active)

    def wait_running(self, timeout: float = 30.0) -> None:
        """Wait until `count` runs are running (not queued)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self.running()
            statuses = [run_detail(self.session, run_id)["status"] for run_id in runs]
            if len(runs) == self.count and all(status == "running" for status in statuses):
                return
            time.sleep(0.1)
        raise TimeoutError(f"{self.count} runs of {self.slug} did not start")

    def stop(self, cancel_them: bool = False) -> list[dict[str, Any]]:
        """Start no more; cancel the runs in progress, or let them end; every ended run."""
        self._stop.set()
        if cancel_them:
            for run_id in self.running():
                cancel(self.session, run_id)
        self._thread.join()
        return self.ended
