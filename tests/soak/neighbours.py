"""Neighbours: an HTTP API's latency beside scripts that take all the CPU and memory they
may.

The hello API's p99 is measured at a steady 50 requests/s when the server is otherwise
idle, and at the same rate for as long while two scripts spin (`while True: pass`) and a
third fills its memory to the limit (256 MiB) over and over, in one run that catches its
MemoryError, frees everything and starts again (started anew whenever it ends). Idle and
busy phases take turns (twice in the short version, four times in the full one), so a
shared machine's drift meets both. Guarantee (the issue's): the p99 beside the neighbours
is at most twice the idle p99 measured in the same run; the full version judges it, the
short one (in `just test`) shows the ratio but fails only on errors. The server runs three
scripts at once here (`workers` 3, and 3 per user), so all three neighbours run together
on two cores.

For comparison, no target: the p99 beside the same three loops run as plain processes at
the scheduling class scripts get (SCHED_IDLE), outside Widgetbox: what the machine itself
allows. And since a shared machine's other work moves these figures, each phase notes how
many cores processes other than the server and the load kept busy."""

from __future__ import annotations

import subprocess
import sys
import time

from tests.bench._http import Load, Request, run_paced
from tests.bench._report import Figure, median, percentile
from tests.soak._load import OtherLoad, Runs, cancel, fresh_server, hello_api, ms, script
from tests.soak._load import start_run as start
from tests.soak._server import Server

RATE = 50.0
RATIO = 2.0
"""The p99 beside neighbours may be at most this multiple of the idle p99."""
SPIN = "while True:\n    pass\n"
HOG = """\
chunks = []
while True:
    try:
        chunks.append(bytearray(8 * 2**20))
    except MemoryError:
        chunks.clear()
"""
NATIVE_HOG = """\
chunks = []
while True:
    chunks.append(bytearray(8 * 2**20))
    if len(chunks) == 31:
        chunks.clear()
"""
"""The hog outside the sandbox: the same 8 MiB blocks up to 248 MiB, then again."""
SETTINGS = {"WIDGETBOX_WORKERS": "3", "WIDGETBOX_RUNS_PER_USER": "3"}


def run(short: bool) -> list[Figure]:
    rounds, seconds = (2, 5.0) if short else (4, 10.0)
    with fresh_server(SETTINGS) as server:
        owner = server.owner()
        request = hello_api(owner)
        spin = script(owner, SPIN, "soak spin")
        hog_script = script(owner, HOG, "soak memory hog")
        idle: list[Measured] = []
        busy: list[Measured] = []
        hog_runs = 0
        # idle and busy phases take turns, so that a shared machine's drift meets both
        for _ in range(rounds):
            idle.append(measure(server, request, seconds))
            spinning = [start(owner, spin) for _ in range(2)]
            hog = Runs(server.owner(), hog_script, 1, every=0.5)
            hog.wait_running()
            time.sleep(1.0)  # the hog has reached its limit
            busy.append(measure(server, request, seconds))
            for run_id in spinning:
                cancel(owner, run_id)
            hog_runs += len(hog.stop(cancel_them=True))
        native = [idle_process(code) for code in (SPIN, SPIN, NATIVE_HOG)]
        try:
            time.sleep(1.0)
            beside_native = measure(server, request, seconds)
        finally:
            for process in native:
                process.kill()
                process.wait()
    return figures(merged(idle), merged(busy), beside_native, rounds * seconds, hog_runs, short)


def merged(phases: list[Measured]) -> Measured:
    """The phases' requests as one load, with the most other load any of them saw."""
    load = Load()
    for phase, _ in phases:
        load.latencies += phase.latencies
        for status, count in phase.statuses.items():
            load.statuses[status] = load.statuses.get(status, 0) + count
        load.seconds += phase.seconds
    return load, max(cores for _, cores in phases)


Measured = tuple[Load, float]
"""A load and the cores other processes kept busy meanwhile."""


def measure(server: Server, request: Request, seconds: float) -> Measured:
    with OtherLoad(server) as others:
        load = run_paced(server.base, request, RATE, seconds, connections=32)
    return load, others.cores


def idle_process(code: str) -> subprocess.Popen[bytes]:
    """`code` in a plain Python process at the SCHED_IDLE scheduling class."""
    prelude = "import os; os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))\n"
    return subprocess.Popen([sys.executable, "-c", prelude + code])


def figures(
    idle: Measured, busy: Measured, native: Measured, seconds: float, hog_runs: int, short: bool
) -> list[Figure]:
    def p50(measured: Measured) -> float:
        return median(ms(measured[0].latencies))

    def p99(measured: Measured) -> float:
        return percentile(ms(measured[0].latencies), 99)

    def others(measured: Measured) -> str:
        return f"other processes kept {measured[1]:.2f} cores busy"

    errors = sum(load.errors for load, _ in (idle, busy, native))
    return [
        Figure(f"idle, {RATE:g} req/s for {seconds:g} s: p50", p50(idle), "ms"),
        Figure(f"idle, {RATE:g} req/s for {seconds:g} s: p99", p99(idle), "ms", note=others(idle)),
        Figure("beside 2 spinning scripts and a memory hog: p50", p50(busy), "ms"),
        Figure(
            "beside 2 spinning scripts and a memory hog: p99",
            p99(busy),
            "ms",
            "p99 when idle",
            p99(idle),
            target=f"<= {RATIO:g}x idle",
            # judged in the full version: a short one on a shared machine is too noisy to
            # fail a build on (its figures still show the ratio)
            met=None if short else p99(busy) <= RATIO * p99(idle),
            note=others(busy) + ("" if not short else "; judged in the full `just soak`"),
        ),
        Figure(
            "beside the same loops as SCHED_IDLE processes: p99",
            p99(native),
            "ms",
            "p99 when idle",
            p99(idle),
            note=f"outside Widgetbox, for comparison (p50 {p50(native):.1f} ms); " + others(native),
        ),
        Figure(
            "errors",
            errors,
            "requests",
            target="0",
            met=errors == 0,
            note=f"idle: {idle[0].statuses}; beside the neighbours: {busy[0].statuses}; "
            f"beside the processes: {native[0].statuses}",
        ),
        Figure("memory hog runs", hog_runs, "runs", note="a new one starts whenever one ends"),
    ]
