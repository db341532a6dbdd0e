"""Outbound HTTP from widget code: a GET to a local server with `requests` (and `httpx`,
`urllib.request`) against the same GET with `anvil.http`, all through the host's
`http.request` handler (the sandbox has no sockets).

Two views. Per request: a run makes many GETs in a loop and times each inside the guest, so
the figure is the library's own cost on top of the bridge and the host's request (the
libraries are imported first, outside the timing). Per run: a route that imports the
library and makes one GET, timed from outside with the pool warm: what a widget whose
endpoint calls an API pays, the import included (each run is a fresh interpreter).
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from widgetbox.host import outbound
from widgetbox.host.outbound import OutboundBudget, OutboundPolicy
from widgetbox.runtime import Code, HttpRequest, Limits, Route, Runtime, Script, Status

from ._report import Figure, median, percentile

GETS = {
    "anvil.http": ("import anvil.http", "anvil.http.request(URL)"),
    "requests": ("import requests", "requests.get(URL).content"),
    "httpx": ("import httpx", "httpx.get(URL).content"),
    "urllib.request": ("import urllib.request", "urllib.request.urlopen(URL).read()"),
}

LOOP = """
import time
{setup}
URL = {url!r}
{get}
samples = []
for _ in range({count}):
    started = time.perf_counter()
    {get}
    samples.append(time.perf_counter() - started)
print(" ".join(str(s) for s in samples))
"""

ROUTE = """
import anvil.server

@anvil.server.route("/fetch")
def fetch(**q):
    {setup}
    URL = {url!r}
    {get}
    return "done"
"""


class Answer(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = json.dumps({"hello": "world", "items": list(range(20))}).encode()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)


@contextmanager
def local_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/data"
    finally:
        server.shutdown()
        server.server_close()


def per_request(runtime: Runtime, url: str, library: str, runs: int, count: int) -> list[float]:
    """Milliseconds per GET, timed inside the guest over `runs` runs of `count` GETs."""
    setup, get = GETS[library]
    source = LOOP.format(setup=setup, url=url, get=get, count=count)
    samples: list[float] = []
    for _ in range(runs):
        result = runtime.run(
            Script(Code.single(source)),
            limits=Limits.script().with_(timeout=120),
            context={"outbound": OutboundBudget(count + 1)},
        )
        if result.status is not Status.OK:
            raise RuntimeError(f"the {library} loop failed: {result.message}\n{result.stderr}")
        samples += [float(s) * 1000 for s in result.stdout.split()]
    return samples


def per_run(
    runtime: Runtime, url: str, library: str, count: int
) -> tuple[list[float], list[float]]:
    """Milliseconds, and millions of instructions (fuel: exact, whatever the machine's
    load), for a route run that imports `library` and makes one GET."""
    setup, get = GETS[library]
    job = Route(
        Code.single(ROUTE.format(setup=setup, url=url, get=get)), HttpRequest("GET", "/fetch")
    )
    samples, fuel = [], []
    for index in range(count + 2):
        runtime.wait_ready(10)
        started = time.perf_counter()
        result = runtime.run(job, context={"outbound": OutboundBudget(1)})
        elapsed = (time.perf_counter() - started) * 1000
        if result.status is not Status.OK:
            raise RuntimeError(f"the {library} route failed: {result.message}\n{result.stderr}")
        if index >= 2:  # the first runs compile the widget's file
            samples.append(elapsed)
            fuel.append((result.fuel or 0) / 1e6)
    return samples, fuel


def run(quick: bool = False) -> list[Figure]:
    runs, count, routes = (2, 20, 10) if quick else (5, 60, 40)
    figures: list[Figure] = []
    with local_server() as url, Runtime(pool_size=2, processes=1) as runtime:
        outbound.register(runtime.bridge, OutboundPolicy(allow_private=True, calls_per_run=1000))
        loops = {library: per_request(runtime, url, library, runs, count) for library in GETS}
        cold = {library: per_run(runtime, url, library, routes) for library in GETS}
    base = median(loops["anvil.http"])
    figures.append(
        Figure(
            "GET with anvil.http, per request: p50",
            base,
            "ms",
            note="a local server; the host's http.request (policy checks, a fresh connection)",
        )
    )
    figures.append(
        Figure("GET with anvil.http, per request: p99", percentile(loops["anvil.http"], 99), "ms")
    )
    for library in ("requests", "httpx", "urllib.request"):
        figures.append(
            Figure(
                f"GET with {library}, per request: p50",
                median(loops[library]),
                "ms",
                "the same GET with anvil.http, p50",
                base,
            )
        )
    cold_base = median(cold["anvil.http"][0])
    figures.append(
        Figure(
            "route importing anvil.http, one GET: p50",
            cold_base,
            "ms",
            note="a fresh interpreter per run, the pool warm",
        )
    )
    for library in ("requests", "httpx", "urllib.request"):
        figures.append(
            Figure(
                f"route importing {library}, one GET: p50",
                median(cold[library][0]),
                "ms",
                "the same route with anvil.http, p50",
                cold_base,
                note="the library's import included: most of the difference",
            )
        )
    fuel_base = median(cold["anvil.http"][1])
    figures.append(Figure("route importing anvil.http, one GET: fuel", fuel_base, "M instr."))
    for library in ("requests", "httpx", "urllib.request"):
        figures.append(
            Figure(
                f"route importing {library}, one GET: fuel",
                median(cold[library][1]),
                "M instr.",
                "the same route with anvil.http",
                fuel_base,
                note="instructions the guest executed: exact whatever the machine's load",
            )
        )
    return figures
