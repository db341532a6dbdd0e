"""The server's state, for its admin: each sandbox process (alive, its runs, its pool of
started interpreters), the run queue, the data folder's disk, the database's size, and the
workers on other machines with the server's NATS connection (or why it has none). Every
figure is read from its source when asked (the processes are asked over their pipes, at most
a second in all), none is kept.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from widgetbox.host.config import Config
from widgetbox.host.runs.admission import RunQueue
from widgetbox.host.storage import usage
from widgetbox.host.storage.times import iso, now
from widgetbox.host.tables.store import FOLDER as TABLES_FOLDER
from widgetbox.runtime import Runtime


@dataclass(frozen=True)
class Process:
    lane: str
    """`interactive` (HTTP APIs, server calls) or `batch` (scripts, tasks, compiles)."""
    alive: bool
    runs: int
    pooled: int | None
    """Started interpreters waiting in its pool; None when it did not answer in time."""


@dataclass(frozen=True)
class Worker:
    """A sandbox worker on another machine (`widgetbox worker`), as its heartbeats say."""

    name: str
    healthy: bool
    why: str
    """Why it gets no runs, when it does not."""
    runs: int
    capacity: int
    processes: int
    """Its sandbox processes alive."""
    served: int
    lost: int
    """Its runs reported lost (it died or went silent under them)."""


@dataclass(frozen=True)
class Health:
    checked_at: str
    processes: list[Process]
    pool_size: int
    """Interpreters the settings keep started ahead of demand, among the request processes."""
    running: int
    waiting: int
    capacity: int
    """Runs that may execute at once, both lanes together."""
    disk_free_bytes: int
    disk_total_bytes: int
    database_bytes: int
    """The database file with its write-ahead log."""
    tables_bytes: int
    """Every widget's Data Tables file."""
    workers: list[Worker]
    """Sandbox workers on other machines (none without the `nats_url` setting)."""
    nats: str = ""
    """This server's NATS connection: "" without the `nats_url` setting, "connected", or
    why not (the server's refusal and what to change, or that it cannot be reached)."""


def _files(config: Config, runtime: Runtime) -> tuple[list[Process], int, int, int, int]:
    processes = [
        Process(str(status.lane), status.alive, status.runs, status.pooled)
        for status in runtime.sandbox_status(wait=1.0)
    ]
    data = config.server.data_dir
    free, total = usage.disk(data)
    tables = data / TABLES_FOLDER
    tables_bytes = usage.file_bytes(*tables.iterdir()) if tables.is_dir() else 0
    return processes, free, total, usage.database_bytes(config.database_path), tables_bytes


async def snapshot(config: Config, runtime: Runtime, queue: RunQueue) -> Health:
    """The state now (the processes and the disk are asked in a thread)."""
    processes, free, total, database, tables = await asyncio.to_thread(_files, config, runtime)
    return Health(
        checked_at=iso(now()),
        processes=processes,
        pool_size=config.sandbox.pool_size,
        running=queue.running,
        waiting=queue.waiting,
        capacity=queue.capacity,
        disk_free_bytes=free,
        disk_total_bytes=total,
        database_bytes=database,
        tables_bytes=tables,
        workers=[
            Worker(w.name, w.healthy, w.why, w.runs, w.capacity, w.processes, w.served, w.lost)
            for w in (runtime.remote.status() if runtime.remote is not None else [])
        ],
        nats=_nats_state(runtime),
    )


def _nats_state(runtime: Runtime) -> str:
    remote = runtime.remote
    if remote is None:
        return ""
    if remote.connected:
        return "connected"
    return f"not connected: {remote.trouble or 'connecting'}"
