"""Sandbox loss: SIGKILL one sandbox process at a time while work goes on.

An HTTP API widget is called at a steady 50 requests/s, and script runs that print a line
every tenth of a second for five seconds are kept going (as many as the batch lane runs
at once; another starts whenever one ends). One sandbox process is killed with SIGKILL,
several times (the short version: twice), a few seconds apart: a request process and the
scripts' process in turn.

Guarantees: only the runs in the killed process fail. A script run in it ends as "killed"
with the message that its sandbox process ended unexpectedly, which its owner reads at
GET /api/runs/{id}; every other run finishes with all its output. A request in flight on it
gets a 500, so a kill fails at most as many requests as one process can have in flight,
which is at most the interactive lane's slots (`workers`); every other request succeeds.
The pool recovers: within `POOL_BOUND` seconds there are as many sandbox processes as
before, the killed one replaced by a new one. Afterwards, at the same load, zero errors."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from tests.bench._http import Load, run_paced
from tests.bench._report import Figure, percentile
from tests.soak._load import Runs, fresh_server, hello_api, ms, paced, script
from tests.soak._server import Server

RATE = 50.0
WORKERS = os.cpu_count() or 1
"""The server's `workers` (set explicitly): its slots per lane, so the runs one process
can hold of each kind."""
SCRIPT = """\
import time
for i in range(50):
    print("line", i)
    time.sleep(0.1)
print("done")
"""
OUTPUT = "".join(f"line {i}\n" for i in range(50)) + "done\n"
LOST = "the sandbox process running it ended unexpectedly"
FIRST_KILL = 3.0
"""Seconds into the load before the first kill."""
POOL_BOUND = 5.0
"""Seconds within which the killed process must be replaced (the runtime waits a second
before starting a replacement, which takes about half a second to start)."""


def run(short: bool) -> list[Figure]:
    kills = 2 if short else 6
    gap = 4.0 if short else 6.0
    after = 5.0 if short else 20.0
    with fresh_server({"WIDGETBOX_WORKERS": str(WORKERS)}) as server:
        owner = server.owner()
        request = hello_api(owner)
        scripts = Runs(server.owner(), script(owner, SCRIPT, "soak print and sleep"), WORKERS)
        scripts.wait_running()
        pool = len(server.sandbox_pids())
        origin = time.perf_counter()
        load = paced(server, request, RATE, FIRST_KILL + kills * gap)
        killed_at: list[float] = []
        replaced_in: list[float | None] = []
        running_at_kill: list[int] = []
        for kill in range(kills):
            time.sleep(max(0.0, origin + FIRST_KILL + kill * gap - time.perf_counter()))
            # a request process and the scripts' process in turn
            victim = server.sandbox_pids("requests" if kill % 2 == 0 else "scripts")[0]
            running_at_kill.append(len(scripts.running()))
            os.kill(victim, signal.SIGKILL)
            killed_at.append(time.perf_counter())
            replaced_in.append(replacement(server, victim, pool))
        during = load.result()
        ended = scripts.stop()
        lost_pool = len(server.sandbox_pids()) != pool
        afterwards = run_paced(server.base, request, RATE, after, connections=32)
    return figures(
        during, afterwards, ended, origin, killed_at, replaced_in, running_at_kill, lost_pool, after
    )


def replacement(server: Server, victim: int, pool: int, give_up: float = 30.0) -> float | None:
    """Seconds until the pool has `pool` processes again, none of them `victim`."""
    began = time.perf_counter()
    while time.perf_counter() - began < give_up:
        pids = server.sandbox_pids()
        if len(pids) == pool and victim not in pids:
            return time.perf_counter() - began
        time.sleep(0.02)
    return None


def last_before(times: list[float], moment: float) -> int | None:
    """The index of the last of `times` at or before `moment` (None: before all)."""
    before = [index for index, at in enumerate(times) if at <= moment]
    return before[-1] if before else None


def figures(
    during: Load,
    afterwards: Load,
    ended: list[dict[str, Any]],
    origin: float,
    killed_at: list[float],
    replaced_in: list[float | None],
    running_at_kill: list[int],
    lost_pool: bool,
    after: float,
) -> list[Figure]:
    """`killed_at` and each ended run's `noticed` are time.perf_counter() times; the load's
    samples count from `origin`."""
    kills = len(killed_at)
    # a failed request belongs to the last kill before its answer came
    failed_per_kill = [0] * kills
    unexplained: list[int] = []
    for sample in during.samples:
        if sample.status == 200:
            continue
        kill = last_before(killed_at, origin + sample.due + sample.latency)
        if sample.status != 500 or kill is None:
            unexplained.append(sample.status)
        else:
            failed_per_kill[kill] += 1
    # a lost script run belongs to the last kill before its end was seen
    lost = [run for run in ended if run["status"] == "killed" and LOST in run["message"]]
    lost_per_kill = [0] * kills
    for run in lost:
        kill = last_before(killed_at, run["noticed"])
        if kill is not None:
            lost_per_kill[kill] += 1
    ok = [run for run in ended if run["status"] == "ok" and run["stdout"] == OUTPUT]
    otherwise = [run for run in ended if run not in ok and run not in lost]
    worst_failed = max(failed_per_kill, default=0)
    worst_lost = max(lost_per_kill, default=0)
    replaced = [t for t in replaced_in if t is not None]
    return [
        Figure(
            "kills",
            kills,
            "processes",
            note="at " + ", ".join(f"{at - origin:.1f}" for at in killed_at) + " s into the load",
        ),
        Figure(
            "script runs",
            len(ended),
            "runs",
            note=f"{len(ok)} ok with all their output, {len(lost)} lost with their process",
        ),
        Figure(
            "script runs lost per kill: max",
            worst_lost,
            "runs",
            target=f"<= {WORKERS} (workers)",
            met=worst_lost <= WORKERS,
            note=f"per kill: {lost_per_kill}; runs in progress at each kill: {running_at_kill}; "
            "each says to its owner (GET /api/runs/{id}) that its sandbox process ended "
            "unexpectedly",
        ),
        Figure(
            "script runs that ended otherwise",
            len(otherwise),
            "runs",
            target="0",
            met=not otherwise,
            note="neither ok with all their output, nor killed saying their sandbox process "
            "ended unexpectedly"
            + "".join(f"; {run['id']}: {run['status']} {run['message']!r}" for run in otherwise),
        ),
        Figure(
            "requests failed per kill: max",
            worst_failed,
            "requests",
            target=f"<= {WORKERS} (workers)",
            met=worst_failed <= WORKERS,
            note=f"per kill: {failed_per_kill} (500s), of {len(during.samples):,} requests at "
            f"{RATE:g}/s",
        ),
        Figure(
            "requests failed but not in flight at a kill",
            len(unexplained),
            "requests",
            target="0",
            met=not unexplained,
            note="answered before the first kill, or with another status than 500"
            + (f": {sorted(set(unexplained))}" if unexplained else ""),
        ),
        Figure(
            "time to a full pool again: max",
            max(replaced, default=0.0),
            "s",
            target=f"<= {POOL_BOUND:g} s",
            met=len(replaced) == kills
            and max(replaced, default=0.0) <= POOL_BOUND
            and not lost_pool,
            note="per kill: "
            + ", ".join("never" if t is None else f"{t:.2f} s" for t in replaced_in)
            + " (until a new process stands in the killed one's place)",
        ),
        Figure(
            f"errors afterwards at {RATE:g} req/s for {after:g} s",
            afterwards.errors,
            "requests",
            target="0",
            met=afterwards.errors == 0,
            note=f"p99 {percentile(ms(afterwards.latencies) or [0.0], 99):.1f} ms",
        ),
    ]
