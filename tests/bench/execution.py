"""Running widgets over real HTTP through the production server: an HTTP API widget's
"hello" with a fresh interpreter per request (its rate against native subprocesses, its
tail, and the host's CPU per request beside the sandbox's own run) and in persistent mode
(against plain Litestar), the time from clicking Run to the first output byte, and how
busy scripts affect API latency."""

from __future__ import annotations

import http.client
import json
import os
import time

from widgetbox.runtime import Code, HttpRequest, Route, Runtime

from . import _cpu
from ._http import (
    Load,
    Session,
    free_port,
    run_load,
    run_paced,
    server,
    uvicorn_command,
    widgetbox_serving,
)
from ._report import Figure, median, percentile
from .runtime import calls, native_hello, rate

HELLO_API = """
import anvil.server

@anvil.server.route("/hello")
def hello(**params):
    return "hello"
"""
PRINT_ONCE = 'print("first line")\n'
SPIN = "while True:\n    pass\n"
LOAD_CONNECTIONS = 4
"""Connections of the closed loop the host's CPU, the rate against native subprocesses and
the tail are measured at."""
PACED_RATE = 100
"""Requests per second offered for the latency figure. A closed loop's latency is its
concurrency divided by its throughput (4 / 200 req/s = 20 ms), so the p50 target is
measured with traffic arriving at the target rate instead."""


def _latency(name: str, load: Load) -> list[Figure]:
    ms = [s * 1000 for s in load.latencies]
    return [
        Figure(f"{name}: p50", median(ms), "ms"),
        Figure(f"{name}: p99", percentile(ms, 99), "ms"),
    ]


def _sandbox_cpu_per_run(seconds: float) -> float:
    """CPU seconds the sandbox processes spend per run of the same hello route sent straight
    to a runtime in this process (no HTTP, no host): the sandbox's own run, to take from
    the server's total."""
    # the job as the server sends it: the load's headers, the API's origin, a caller ready
    # for a streamed answer
    request = HttpRequest(
        "GET",
        "/hello",
        headers={"host": "127.0.0.1:8000", "content-length": "0"},
        origin="http://127.0.0.1:8000/w/bench-api",
        remote_address="127.0.0.1",
    )
    job = Route(Code.single(HELLO_API), request)

    def hello(runtime: Runtime) -> None:
        result = runtime.run(job, on_chunk=lambda chunk: None)
        assert result.response is not None, result.message
        assert result.response.body == b"hello"

    with Runtime(pool_size=4) as runtime:
        for _ in range(20):
            hello(runtime)
        before = _cpu.read(os.getpid())
        count, _ = calls(lambda: hello(runtime), LOAD_CONNECTIONS, seconds)
        after = _cpu.read(os.getpid())
    return _cpu.spent(before, after)[1] / count


def _host_figures(
    load: Load, server_cpu: float, sandbox_cpu: float, seconds: float
) -> list[Figure]:
    """The lean host path's figures (issue 16): CPU per request beside the sandbox's own
    run, requests/s against native subprocesses, p99 against p50; all from this run."""
    count = len(load.latencies)
    run_cpu = _sandbox_cpu_per_run(seconds)
    native = rate(native_hello, LOAD_CONNECTIONS, seconds / 2)
    host_ms = ((server_cpu + sandbox_cpu) / count - run_cpu) * 1000
    ms = [s * 1000 for s in load.latencies]
    tail = percentile(ms, 99) / median(ms)
    c = LOAD_CONNECTIONS
    return [
        Figure(
            f"HTTP API hello, concurrency {c}: host CPU per request",
            host_ms,
            "ms",
            "the sandbox's own run (its processes' CPU per run, no HTTP)",
            run_cpu * 1000,
            "<= 1 ms",
            host_ms <= 1,
            note=f"server process {server_cpu / count * 1000:.2f} ms + sandbox processes "
            f"{sandbox_cpu / count * 1000:.2f} ms per request, minus the run "
            f"{run_cpu * 1000:.2f} ms",
        ),
        Figure(
            f"HTTP API hello, concurrency {c}: requests/s vs native",
            load.rate,
            "req/s",
            f"native python3 -I -S -c subprocesses/s at concurrency {c}",
            native,
            ">= 2.5x, no errors",
            load.rate >= 2.5 * native and load.errors == 0,
            note=f"errors: {load.errors} of {count}",
        ),
        Figure(
            f"HTTP API hello, concurrency {c}: p99 / p50",
            tail,
            "x",
            target="<= 3x",
            met=tail <= 3,
            note=f"p50 {median(ms):.2f} ms, p99 {percentile(ms, 99):.2f} ms",
        ),
    ]


def _persistent_figures(
    base: str, session: Session, plain_rate: float, fresh_rate: float, seconds: float
) -> list[Figure]:
    """The same hello from a widget in persistent mode (issue 16 section 3): its requests
    reuse a kept interpreter, so what is left is the host's path and one turn."""
    api = session.call(
        "POST", "/api/widgets", {"kind": "http", "title": "bench kept", "visibility": "public"}
    )
    slug = api["slug"]  # type: ignore[index]
    session.call(
        "POST",
        f"/api/widgets/{slug}/versions",
        {"base_version": 1, "files": {"main.py": HELLO_API}},
    )
    session.call("PATCH", f"/api/widgets/{slug}", {"persistent": True})
    request = ("GET", f"/w/{slug}/hello", {}, b"")
    run_load(base, lambda s: request, LOAD_CONNECTIONS, 1.0)  # warm up: interpreters kept
    load = run_load(base, lambda s: request, LOAD_CONNECTIONS, seconds)
    c = LOAD_CONNECTIONS
    return [
        Figure(
            f"HTTP API hello, persistent mode, concurrency {c}: requests/s",
            load.rate,
            "req/s",
            f"plain Litestar hello at concurrency {c}",
            plain_rate,
            ">= 1/3x, no errors",
            load.rate >= plain_rate / 3 and load.errors == 0,
            note=f"errors: {load.errors} of {len(load.latencies)}; fresh interpreters "
            f"{fresh_rate:.0f} req/s ({load.rate / fresh_rate:.1f}x)",
        ),
        *_latency(f"HTTP API hello, persistent mode, concurrency {c}", load),
    ]


def _first_output_ms(base: str, session: Session, slug: str) -> float:
    """POST a run, open its event stream, and time until the first output event arrives."""
    host, port = base.removeprefix("http://").split(":")
    headers = session.headers()
    started = time.perf_counter()
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("POST", f"/api/widgets/{slug}/runs", body=b"{}", headers=headers)
    response = connection.getresponse()
    run = json.loads(response.read())["id"]
    connection.request("GET", f"/api/runs/{run}/events", headers=headers)
    stream = connection.getresponse()
    while True:
        line = stream.fp.readline()
        if not line:
            raise RuntimeError("the event stream ended before any output")
        if line.startswith(b"event: output"):
            elapsed = (time.perf_counter() - started) * 1000
            connection.close()
            return elapsed


def run(quick: bool = False) -> list[Figure]:
    seconds = 3.0 if quick else 10.0
    figures: list[Figure] = []
    hello_port = free_port()
    with server(uvicorn_command("tests.bench._plain_hello:app", hello_port), hello_port) as plain:
        hello = ("GET", "/hello", {}, b"")
        baseline = {c: run_load(plain, lambda s: hello, c, seconds) for c in (4, 16)}
        paced_baseline = run_paced(plain, hello, PACED_RATE, seconds)
    settings = {
        "WIDGETBOX_LOGIN_ATTEMPTS_PER_MINUTE": "10000",
        "WIDGETBOX_HTTP_REQUESTS_PER_MINUTE": "10000000",
        "WIDGETBOX_POOL_SIZE": "4",
    }
    with widgetbox_serving(settings) as (base, pid):
        session = Session(base)
        session.call(
            "POST", "/api/auth/signup", {"username": "bench", "password": "benchmark password"}
        )
        api = session.call(
            "POST",
            "/api/widgets",
            {"kind": "http", "title": "bench api", "visibility": "public"},
        )
        slug = api["slug"]  # type: ignore[index]
        session.call(
            "POST",
            f"/api/widgets/{slug}/versions",
            {"base_version": 1, "files": {"main.py": HELLO_API}},
        )
        request = ("GET", f"/w/{slug}/hello", {}, b"")
        run_load(base, lambda s: request, 4, 1.0)  # warm up: bytecode cached, pool full
        before = _cpu.read(pid)
        loads = {LOAD_CONNECTIONS: run_load(base, lambda s: request, LOAD_CONNECTIONS, seconds)}
        server_cpu, sandbox_cpu = _cpu.spent(before, _cpu.read(pid))
        loads[16] = run_load(base, lambda s: request, 16, seconds)
        for c, load in loads.items():
            figures.append(
                Figure(
                    f"HTTP API hello, concurrency {c}: requests/s",
                    load.rate,
                    "req/s",
                    f"plain Litestar hello at concurrency {c}",
                    baseline[c].rate,
                    ">= 100 req/s, no errors",
                    load.rate >= 100 and load.errors == 0,
                    note=f"errors: {load.errors} of {len(load.latencies)}",
                )
            )
            figures += _latency(f"HTTP API hello, concurrency {c} (closed loop)", load)
        figures += _persistent_figures(
            base, session, baseline[LOAD_CONNECTIONS].rate, loads[LOAD_CONNECTIONS].rate, seconds
        )
        paced = run_paced(base, request, PACED_RATE, seconds)
        p50 = median([s * 1000 for s in paced.latencies])
        figures.append(
            Figure(
                f"HTTP API hello at a steady {PACED_RATE} req/s: p50",
                p50,
                "ms",
                f"plain Litestar hello at {PACED_RATE} req/s",
                median([s * 1000 for s in paced_baseline.latencies]),
                "<= 5 ms, no errors",
                p50 <= 5 and paced.errors == 0,
                note=f"errors: {paced.errors} of {len(paced.latencies)}",
            )
        )
        figures.append(
            Figure(
                f"HTTP API hello at a steady {PACED_RATE} req/s: p99",
                percentile([s * 1000 for s in paced.latencies], 99),
                "ms",
            )
        )

        script = session.call("POST", "/api/widgets", {"kind": "script", "title": "bench print"})
        script_slug = script["slug"]  # type: ignore[index]
        session.call(
            "POST",
            f"/api/widgets/{script_slug}/versions",
            {"base_version": 1, "files": {"main.py": PRINT_ONCE}},
        )
        _first_output_ms(base, session, script_slug)  # warm up
        firsts = [_first_output_ms(base, session, script_slug) for _ in range(10 if quick else 40)]
        figures.append(
            Figure(
                "Run to first output byte at the client: p50",
                median(firsts),
                "ms",
                target="<= 50 ms",
                met=median(firsts) <= 50,
            )
        )
        figures.append(Figure("Run to first output byte: p99", percentile(firsts, 99), "ms"))

        idle = run_load(base, lambda s: request, 4, seconds)
        spinner = session.call("POST", "/api/widgets", {"kind": "script", "title": "bench spin"})
        spin_slug = spinner["slug"]  # type: ignore[index]
        session.call(
            "POST",
            f"/api/widgets/{spin_slug}/versions",
            {"base_version": 1, "files": {"main.py": SPIN}},
        )
        spinning = [
            session.call("POST", f"/api/widgets/{spin_slug}/runs", {})["id"] for _ in range(2)
        ]  # type: ignore[index]
        time.sleep(0.5)
        busy = run_load(base, lambda s: request, 4, seconds)
        for run_id in spinning:
            session.call("POST", f"/api/runs/{run_id}/cancel", {})
        idle_p99 = percentile([s * 1000 for s in idle.latencies], 99)
        busy_p99 = percentile([s * 1000 for s in busy.latencies], 99)
        figures.append(
            Figure(
                "HTTP API p99 while 2 scripts spin",
                busy_p99,
                "ms",
                "HTTP API p99 when idle",
                idle_p99,
                note=f"errors while busy: {busy.errors}; idle p50 "
                f"{median([s * 1000 for s in idle.latencies]):.2f} ms, busy p50 "
                f"{median([s * 1000 for s in busy.latencies]):.2f} ms",
            )
        )
    return _host_figures(loads[LOAD_CONNECTIONS], server_cpu, sandbox_cpu, seconds) + figures
