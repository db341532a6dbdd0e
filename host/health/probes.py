"""Readiness: whether this server can take traffic now, and if not, why.

Liveness (`/healthz`) needs nothing of this: an event loop that answers is alive. Readiness
asks the three things a request needs and that can fail while the process lives: the
interpreter compiled and the runtime started (the app's start-up has finished), the database
taking a write transaction (not locked by another process, not read-only), and something to
run each lane's work: a live sandbox process (one that crashed is replaced after a second;
until then, requests or scripts would wait) or, with NATS workers configured (`nats_url`), a
healthy worker, which takes both lanes' work. Workers add capacity rather than being needed:
with local processes up, a server whose workers are all gone (or whose NATS is away) is
still ready, and `workers` says so.
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar.datastructures import State

from widgetbox.host.storage.database import Database
from widgetbox.runtime import Runtime

WRITE_WAIT = 2.0
"""Seconds the database may take to grant a write transaction before it counts as not
writable (a write normally takes milliseconds; another process holding the lock, or a
stuck writer, makes it wait)."""
SANDBOX_WAIT = 1.0
"""Seconds the sandbox processes may take to say how they are."""
LANES = ("interactive", "batch")


async def readiness(state: State) -> list[str]:
    """Why the app is not ready, one reason per problem; empty when it is."""
    runtime: Runtime | None = state.get("runtime")
    db: Database | None = state.get("db")
    if runtime is None or db is None or "runner" not in state:
        return ["starting: the interpreter and the sandbox are not ready yet"]
    problems = await asyncio.gather(_database(db), _sandbox(runtime))
    return [reason for found in problems for reason in found]


async def _database(db: Database) -> list[str]:
    try:
        async with asyncio.timeout(WRITE_WAIT):
            await db.write(_nothing)
    except TimeoutError:
        return [
            f"database: no write transaction within {WRITE_WAIT:g} s (is another process "
            f"holding {db.path.name} locked?)"
        ]
    except Exception as e:  # read-only file, closed, I/O error: each is a reason
        return [f"database: not writable ({type(e).__name__}: {e})"]
    return []


def _nothing(db: Any) -> None:
    """The write transaction itself is the check: `BEGIN IMMEDIATE` takes the write lock."""


def workers(runtime: Runtime) -> dict[str, Any] | None:
    """The NATS workers' state, for `/readyz` (None without NATS): whether the server is
    connected to NATS and how many workers are healthy. Counts only: which machines serve
    and how busy they are is the operator's business (the admin page, `/metrics`)."""
    remote = runtime.remote
    if remote is None:
        return None
    found = remote.status()
    healthy = sum(worker.healthy for worker in found)
    return {
        "nats": "connected" if remote.connected else "not connected",
        "healthy": healthy,
        "unhealthy": len(found) - healthy,
    }


async def _sandbox(runtime: Runtime) -> list[str]:
    found = await asyncio.to_thread(runtime.sandbox_status, SANDBOX_WAIT)
    remote = workers(runtime)
    # a healthy worker takes either lane's work, whatever the local processes
    served = remote is not None and remote["healthy"] > 0
    reasons = []
    for lane in LANES:
        mine = [process for process in found if process.lane == lane]
        alive = [process for process in mine if process.alive]
        if mine and not alive and not served:
            which = "requests" if lane == "interactive" else "scripts"
            reasons.append(
                f"sandbox: no {which} process is running ({len(mine)} being replaced)"
                + ("" if remote is None else " and no worker is healthy")
            )
    if not found:
        reasons.append("sandbox: the runtime has stopped")
    return reasons
