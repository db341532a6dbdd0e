"""Overload: an HTTP API offered three times what the server can serve.

The server's capacity is measured first, in the same run (a closed loop of 8 connections
calling the hello API back to back). Then three times that rate is offered open-loop, as
traffic arrives, over enough connections that the generator keeps pace. Guarantees (the
issue's): the excess is refused with 429 or 503 carrying `Retry-After`, and each refusal
arrives within 1 s of its request being sent; the requests admitted still meet their
deadline (30 s: a 500 "Server code took too long", or any answer but 200, 429 and 503, is
a failure); after the load stops the server recovers within 10 s (single requests, one
after another, until 20 in a row answer 200 within 5x the idle median measured before)."""

from __future__ import annotations

import math
import time

from tests.bench._http import Sample, run_load, run_paced
from tests.bench._report import Figure, median, percentile
from tests.soak._load import OtherLoad, Probe, fresh_server, hello_api, ms

OVERLOAD = 3.0
"""The rate offered, as a multiple of the capacity measured."""
REFUSED = (429, 503)
REFUSAL_BOUND = 1.0
"""Seconds within which a refusal must arrive (the guarantee)."""
DEADLINE = 30.0
"""Seconds an admitted request may take (a request's time limit)."""
RECOVERY_BOUND = 10.0
"""Seconds within which the server must serve normally again after the load stops."""
SLOW = 5.0
"""After the load, a probe counts as normal within this multiple of the idle median."""
STREAK = 20


def run(short: bool) -> list[Figure]:
    seconds = 15.0 if short else 60.0
    with fresh_server() as server:
        request = hello_api(server.owner())
        probe = Probe(server.base, request)
        idle = [probe.once() for _ in range(100)]
        idle_p50 = median([took for _, took in idle])
        capacity = run_load(server.base, lambda slot: request, 8, 5.0).rate
        rate = OVERLOAD * capacity
        # enough connections for every request that may be in progress at once: the
        # admitted ones wait up to about a second, and a refusal should take far less
        connections = max(64, min(2000, math.ceil(rate * 2)))
        began = time.perf_counter()
        with OtherLoad(server) as others:
            load = run_paced(server.base, request, rate, seconds, connections=connections)
        stopped = began + seconds  # when the last request was due
        recovered = probe.recovered(SLOW * idle_p50, STREAK)
        recovery = None if recovered is None else time.perf_counter() - stopped
        probe.close()
    return figures(load.samples, capacity, seconds, idle_p50, recovery, connections, others.cores)


def figures(
    samples: list[Sample],
    capacity: float,
    seconds: float,
    idle_p50: float,
    recovery: float | None,
    connections: int,
    others: float,
) -> list[Figure]:
    admitted = [sample for sample in samples if sample.status == 200]
    refused = [sample for sample in samples if sample.status in REFUSED]
    failed = [sample for sample in samples if sample.status not in (200, *REFUSED)]
    without_retry_after = [sample for sample in refused if not sample.retry_after]
    refusal_ms = ms([sample.answered_in for sample in refused]) or [0.0]
    admitted_ms = ms([sample.latency for sample in admitted]) or [0.0]
    lag_ms = ms([sample.sent for sample in samples]) or [0.0]
    other = sorted({sample.status for sample in failed})
    return [
        Figure("capacity (closed loop, 8 connections)", capacity, "req/s"),
        Figure(
            f"offered ({OVERLOAD:g}x capacity, open loop, {seconds:g} s)",
            len(samples) / seconds,
            "req/s",
            "capacity",
            capacity,
            note=f"over {connections} keep-alive connections; a request waited for a free "
            f"connection at most {max(lag_ms):,.0f} ms (p99 {percentile(lag_ms, 99):,.0f} ms); "
            f"other processes kept {others:.2f} cores busy meanwhile",
        ),
        Figure(
            "admitted (200) per second",
            len(admitted) / seconds,
            "req/s",
            "capacity",
            capacity,
            note=f"{len(admitted):,} admitted, {len(refused):,} refused of {len(samples):,}",
        ),
        Figure(
            "answers other than 200, 429 and 503",
            len(failed),
            "requests",
            target="0",
            met=not failed,
            note=f"statuses: {other} (0: the connection failed)" if failed else "",
        ),
        Figure(
            "refusals without Retry-After",
            len(without_retry_after),
            "requests",
            target="0",
            met=not without_retry_after,
            note="Retry-After values: "
            + ", ".join(sorted({s.retry_after for s in refused if s.retry_after})),
        ),
        Figure("refusal time from sending: p50", median(refusal_ms), "ms"),
        Figure("refusal time from sending: p99", percentile(refusal_ms, 99), "ms"),
        Figure(
            "refusal time from sending: max",
            max(refusal_ms),
            "ms",
            target=f"<= {REFUSAL_BOUND * 1000:,.0f} ms",
            met=max(refusal_ms) <= REFUSAL_BOUND * 1000,
            note=f"{sum(1 for t in refusal_ms if t > REFUSAL_BOUND * 1000)} refusals took longer",
        ),
        Figure("admitted latency from when due: p50", median(admitted_ms), "ms"),
        Figure("admitted latency from when due: p99", percentile(admitted_ms, 99), "ms"),
        # every admitted request, not most of them: the deadline is a guarantee to each
        Figure(
            "admitted latency from when due: max",
            max(admitted_ms),
            "ms",
            target=f"<= {DEADLINE:g} s",
            met=max(admitted_ms) <= DEADLINE * 1000,
            note=f"{sum(1 for t in admitted_ms if t > DEADLINE * 1000)} admitted requests "
            "took longer",
        ),
        Figure("idle single-request latency: p50", idle_p50 * 1000, "ms"),
        Figure(
            "recovery after the load stops",
            recovery if recovery is not None else math.inf,
            "s",
            target=f"<= {RECOVERY_BOUND:g} s",
            met=recovery is not None and recovery <= RECOVERY_BOUND,
            note=f"until {STREAK} single requests in a row answered 200 within "
            f"{SLOW:g}x the idle p50 ({SLOW * idle_p50 * 1000:.1f} ms); counted from when "
            "the last request was due, so draining what was admitted counts too",
        ),
    ]
