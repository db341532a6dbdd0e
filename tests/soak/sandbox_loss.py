"""Sandbox loss: SIGKILL one sandbox process at a time while work goes on.

An HTTP API widget is called at a steady 50 requests/s, and script runs that print a line
every tenth of a second for five seconds are kept going (as many as the batch lane runs
at once; another starts whenever one ends). One sandbox process is killed with SIGKILL,
several times (the short version: twice), a few seconds apart: a request process and the
scripts' process in turn. Each request process killed is the one running a request held
for the purpose (a route that sleeps, with a marker file open in its scratch area: a
guest's open file is a descriptor of its process, which is how the process is found), so
every such kill has a request in flight, whatever the API's requests happen to be doing.

Guarantees: only the runs in the killed process fail. A script run in it ends as "killed"
with the message that its sandbox process ended unexpectedly, which its owner reads at
GET /api/runs/{id}; every other run finishes with all its output. A request in flight on it
(sent before it had exited, answered after the kill) gets a 500, and its entry in the widget
owner's log (GET /api/widgets/{slug}/logs) says why; a kill fails at most as many requests as one
process can have in flight, which is at most the interactive lane's slots (`workers`);
every other request succeeds. The pool recovers: within `POOL_BOUND` seconds there are as
many sandbox processes as before, the killed one replaced by a new one. Afterwards, at the
same load, zero errors."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.bench._http import Load, Session, run_paced
from tests.bench._report import Figure, percentile
from tests.soak._load import Background, Probe, Runs, fresh_server, hello_api, ms, paced, script
from tests.soak._server import Server, make_widget
from widgetbox.runtime._processes import PROCESS_LOST

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
REASON = PROCESS_LOST.format(cause=f"killed by signal {signal.SIGKILL.value}")
"""What a run in a killed process ends with, as its owner reads it."""
HELD_FOR = 20.0
"""Seconds a held request sleeps: far longer than it waits for its kill, within the 30 s a
request may take."""
HELD_API = f"""\
import time
import anvil.server

@anvil.server.route("/ready")
def ready(**params):
    return "ready"

@anvil.server.route("/hold/:token")
def hold(token, **params):
    marker = open("/tmp/held-" + token, "w")  # open while it runs: how its process is found
    time.sleep({HELD_FOR})
    marker.close()
    return "released"
"""
FIRST_KILL = 3.0
"""Seconds into the load before the first kill."""
POOL_BOUND = 5.0
"""Seconds within which the killed process must be replaced (the runtime waits a second
before starting a replacement, which takes about half a second to start)."""


@dataclass
class Held:
    """A request held in a request process until that process was killed."""

    kill: int
    found: bool
    """Whether the process running it was found (and so was the one killed)."""
    status: int
    sent: float
    answered: float
    """time.perf_counter() times."""


def run(short: bool) -> list[Figure]:
    kills = 2 if short else 6
    gap = 4.0 if short else 6.0
    after = 5.0 if short else 20.0
    with fresh_server({"WIDGETBOX_WORKERS": str(WORKERS)}) as server:
        owner = server.owner()
        request = hello_api(owner)
        holding = make_widget(owner, "http", {"main.py": HELD_API}, visibility="public")
        assert send(server.base, f"/w/{holding}/ready")[0] == 200  # warmed up: compiled
        scripts = Runs(server.owner(), script(owner, SCRIPT, "soak print and sleep"), WORKERS)
        scripts.wait_running()
        pool = len(server.sandbox_pids())
        origin = time.perf_counter()
        load = paced(server, request, RATE, FIRST_KILL + kills * gap)
        killed_at: list[float] = []
        gone_at: list[float] = []
        replaced_in: list[float | None] = []
        running_at_kill: list[int] = []
        holds: list[tuple[int, bool, Background[tuple[int, float, float]]]] = []
        for kill in range(kills):
            time.sleep(max(0.0, origin + FIRST_KILL + kill * gap - time.perf_counter()))
            # a request process (the one running a held request) and the scripts' process
            # in turn
            if kill % 2 == 0:
                path = f"/w/{holding}/hold/kill{kill}"
                sending = Background(functools.partial(send, server.base, path))
                victim = holder(server, f"/held-kill{kill}")
                holds.append((kill, victim is not None, sending))
                victim = victim or server.sandbox_pids("requests")[0]
            else:
                victim = server.sandbox_pids("scripts")[0]
            running_at_kill.append(len(scripts.running()))
            os.kill(victim, signal.SIGKILL)
            killed_at.append(time.perf_counter())
            gone_at.append(exited(victim))
            replaced_in.append(replacement(server, victim, pool))
        during = load.result()
        held = [Held(kill, found, *sending.result()) for kill, found, sending in holds]
        ended = scripts.stop()
        lost_pool = len(server.sandbox_pids()) != pool
        logged = logs(owner, request[1].split("/")[2]) + logs(owner, holding)
        afterwards = run_paced(server.base, request, RATE, after, connections=32)
    return figures(
        during,
        afterwards,
        ended,
        held,
        logged,
        killed_at,
        gone_at,
        replaced_in,
        running_at_kill,
        lost_pool,
        after,
    )


def send(base: str, path: str) -> tuple[int, float, float]:
    """GET `path` once, on a connection of its own: its status (FAILED: the connection
    failed), and the time.perf_counter() when it was sent and when its answer came."""
    probe = Probe(base, ("GET", path, {}, b""))
    sent = time.perf_counter()
    status, took = probe.once()
    probe.close()
    return status, sent, sent + took


def holder(server: Server, marker: str, give_up: float = 10.0) -> int | None:
    """The request process with a file whose path ends in `marker` open (None: none had
    within `give_up` seconds)."""
    processes = server.sandbox_pids("requests")
    began = time.perf_counter()
    while time.perf_counter() - began < give_up:
        for pid in processes:
            with contextlib.suppress(OSError):
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    with contextlib.suppress(OSError):
                        if os.readlink(f"/proc/{pid}/fd/{fd}").endswith(marker):
                            return pid
        time.sleep(0.005)
    return None


def logs(session: Session, slug: str) -> list[dict[str, Any]]:
    """Every entry of the widget's log (its HTTP requests), as its owner reads them."""
    found: list[dict[str, Any]] = []
    while True:
        page = session.call("GET", f"/api/widgets/{slug}/logs?limit=200&offset={len(found)}")
        entries = page["runs"]  # type: ignore[index]
        found += entries
        if len(entries) < 200:
            return found


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


def around(kills: list[float], sent: float, answered: float) -> str:
    """When a request was sent and answered, from the kill nearest to its sending."""
    if not kills:
        return "(no kill)"
    index = min(range(len(kills)), key=lambda i: abs(kills[i] - sent))
    at = kills[index]
    return f"(sent {sent - at:+.3f} s, answered {answered - at:+.3f} s from kill {index + 1})"


def exited(pid: int) -> float:
    """When a process just sent SIGKILL has exited (a zombie, or gone), polled: until then
    its socket still takes the runs the runtime sends it, which then fail with it."""
    until = time.perf_counter() + 5
    while time.perf_counter() < until:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            break
        if state in ("Z", "X"):
            break
        time.sleep(0.001)
    return time.perf_counter()


def in_flight(kills: list[float], gone: list[float], sent: float, answered: float) -> int | None:
    """The index of the first kill a request was in flight at: sent before its process had
    exited (`gone`), answered after the signal (None: none was)."""
    return next(
        (index for index, at in enumerate(kills) if sent < gone[index] and at < answered), None
    )


def figures(
    during: Load,
    afterwards: Load,
    ended: list[dict[str, Any]],
    held: list[Held],
    logged: list[dict[str, Any]],
    killed_at: list[float],
    gone_at: list[float],
    replaced_in: list[float | None],
    running_at_kill: list[int],
    lost_pool: bool,
    after: float,
) -> list[Figure]:
    """`killed_at` (each SIGKILL sent), `gone_at` (its process exited), the held requests'
    times and each ended run's `noticed` are time.perf_counter() times; the load's samples
    count from its `started`; `logged` is both widgets' logs."""
    kills = len(killed_at)
    origin = during.started
    # a failed request belongs to the kill it was in flight at (sent before the process had
    # exited, answered after the signal)
    failed_per_kill = [0] * kills
    unexplained: list[str] = []
    for sample in during.samples:
        if sample.status == 200:
            continue
        due = origin + sample.due
        sent, answered = due + sample.sent, due + sample.latency
        kill = in_flight(killed_at, gone_at, sent, answered)
        if sample.status != 500 or kill is None:
            unexplained.append(f"{sample.status} {around(killed_at, sent, answered)}")
        else:
            failed_per_kill[kill] += 1
    held_failed = [
        h
        for h in held
        if h.found
        and h.status == 500
        and in_flight(killed_at, gone_at, h.sent, h.answered) == h.kill
    ]
    for h in held_failed:
        failed_per_kill[h.kill] += 1
    killed = [entry for entry in logged if entry["status"] == "killed"]
    said_why = [entry for entry in killed if REASON in entry["message"]]
    killed_otherwise = [entry["message"] for entry in killed if REASON not in entry["message"]]
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
            note=f"per kill: {failed_per_kill} (500s, the held requests among them), of "
            f"{len(during.samples):,} requests at {RATE:g}/s",
        ),
        Figure(
            "requests failed but not in flight at a kill",
            len(unexplained),
            "requests",
            target="0",
            met=not unexplained,
            note="sent after a kill or answered before it, or with another status than 500"
            + (f": {'; '.join(unexplained[:10])}" if unexplained else ""),
        ),
        Figure(
            "held requests failed at their process's kill",
            len(held_failed),
            "requests",
            target=f"= {len(held)} (each kill of a request process)",
            met=bool(held) and len(held_failed) == len(held),
            note="a 500, sent before its process had exited and answered after the kill; "
            + ", ".join(
                f"kill {h.kill + 1}: "
                + (f"{h.status} after {h.answered - h.sent:.2f} s" if h.found else "not found")
                for h in held
            ),
        ),
        Figure(
            "requests killed whose log entry says why",
            len(said_why),
            "requests",
            target=f"= {sum(failed_per_kill)} (failed at a kill)",
            met=bool(held_failed)
            and len(said_why) == sum(failed_per_kill)
            and not killed_otherwise,
            note=f"entries of the owner's log (GET /api/widgets/{{slug}}/logs) with status "
            f"killed and the message {REASON!r}"
            + "".join(f"; killed saying {message!r}" for message in killed_otherwise),
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
