"""A small HTTP/1.1 load generator (keep-alive connections on asyncio streams) and helpers
to start servers as separate processes, so the server is measured over real HTTP without
sharing the benchmark's interpreter."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

Request = tuple[str, str, dict[str, str], bytes]
"""(method, path, headers, body)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server(command: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run `command` until it answers on `port`; yield its base URL; stop it cleanly."""
    with serving(command, port, env) as (base, _):
        yield base


@contextlib.contextmanager
def serving(
    command: list[str], port: int, env: dict[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """`server`, yielding its process id too (for its CPU counters: `_cpu.py`)."""
    process = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = process.stderr.read() if process.stderr else ""
                    raise RuntimeError(f"server did not start: {log[-2000:]}") from None
                time.sleep(0.1)
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


FAILED = 0
"""The status recorded for a request whose connection failed (refused, reset, closed
before the whole answer arrived)."""


@dataclass
class Sample:
    """One request of an open-loop load (`run_paced`), for figures about single requests."""

    status: int
    """The answer's status, or FAILED."""
    due: float
    """Seconds from the start of the load to when the request was due."""
    sent: float
    """Seconds from when it was due to when it was sent (waiting for a free connection)."""
    latency: float
    """Seconds from when it was due to the whole answer."""
    retry_after: str | None = None
    """The answer's `Retry-After` header, if any."""

    @property
    def answered_in(self) -> float:
        """Seconds from when it was sent to the whole answer."""
        return self.latency - self.sent


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    """Each request of a `run_paced` load, in the order they were answered."""
    started: float = 0.0
    """The time.perf_counter() when a `run_paced` load began: its samples count from it."""

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return sum(
            count for status, count in self.statuses.items() if status >= 400 or status == FAILED
        )


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, request: Request
) -> tuple[int, str | None]:
    """Send one request on a keep-alive connection and read the whole response; its status
    and `Retry-After` header."""
    method, path, headers, body = request
    head = f"{method} {path} HTTP/1.1\r\nhost: {host}\r\n"
    head += f"content-length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    writer.write(head.encode() + body)
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("the server closed the connection")
    status = int(status_line.split()[1])
    length = 0
    retry_after = None
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "retry-after":
            retry_after = value.strip()
    await reader.readexactly(length)
    return status, retry_after


def _record(load: Load, status: int, latency: float) -> None:
    load.latencies.append(latency)
    load.statuses[status] = load.statuses.get(status, 0) + 1


def run_load(
    base: str, next_request: Callable[[int], Request], concurrency: int, seconds: float
) -> Load:
    """`concurrency` keep-alive connections sending requests back to back for `seconds`
    (a closed loop: it measures capacity; latency is then concurrency / throughput)."""
    host, port = base.removeprefix("http://").split(":")
    load = Load()

    async def connection(stop: float, slot: int) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                status, _ = await _exchange(reader, writer, f"{host}:{port}", next_request(slot))
                _record(load, status, time.perf_counter() - started)
        finally:
            writer.close()

    async def main() -> None:
        started = time.perf_counter()
        stop = started + seconds
        await asyncio.gather(*(connection(stop, slot) for slot in range(concurrency)))
        load.seconds = time.perf_counter() - started

    asyncio.run(main())
    return load


def run_paced(
    base: str, request: Request, rate: float, seconds: float, connections: int = 16
) -> Load:
    """Requests sent at a steady `rate` per second for `seconds` (an open loop, as traffic
    arrives). Each latency counts from when its request was due, so a request that had to
    wait for a free connection is not measured as fast. Each request is also kept in
    `samples`; one whose connection fails counts as FAILED (an error) and the connection is
    opened again."""
    host, port = base.removeprefix("http://").split(":")
    load = Load()
    total = int(rate * seconds)
    taken = iter(range(total))

    async def connection(started: float) -> None:
        streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            for index in taken:
                due = started + index / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                sent = time.perf_counter()
                try:
                    if streams is None:
                        streams = await asyncio.open_connection(host, int(port))
                    reader, writer = streams
                    status, retry_after = await _exchange(reader, writer, f"{host}:{port}", request)
                except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                    status, retry_after = FAILED, None
                    if streams is not None:
                        streams[1].close()
                    streams = None
                now = time.perf_counter()
                _record(load, status, now - due)
                load.samples.append(
                    Sample(status, due - started, sent - due, now - due, retry_after)
                )
        finally:
            if streams is not None:
                streams[1].close()

    async def main() -> None:
        load.started = started = time.perf_counter()
        await asyncio.gather(*(connection(started) for _ in range(connections)))
        load.seconds = time.perf_counter() - started

    asyncio.run(main())
    return load


class Session:
    """A signed-in browser-like client for setting up data (cookies + CSRF header)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = urllib.request.HTTPCookieProcessor()
        self.opener = urllib.request.build_opener(self.jar)
        self.call("GET", "/api/session")

    @property
    def cookies(self) -> dict[str, str]:
        return {cookie.name: cookie.value or "" for cookie in self.jar.cookiejar}

    def headers(self) -> dict[str, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {
            "cookie": cookie,
            "x-csrf-token": self.cookies.get("wb_csrf", ""),
            "content-type": "application/json",
        }

    def call(self, method: str, path: str, body: object = None) -> object:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("content-type", "application/json")
        token = self.cookies.get("wb_csrf")
        if token:
            request.add_header("x-csrf-token", token)
        with self.opener.open(request) as response:
            text = response.read()
        return json.loads(text) if text else None


PLAIN_HELLO = Path(__file__).with_name("_plain_hello.py")


def uvicorn_command(target: str, port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", target, "--port", str(port), "--log-level", "warning"]


@contextlib.contextmanager
def widgetbox_server(settings: dict[str, str]) -> Iterator[str]:
    """`widgetbox serve` on a fresh data folder with `settings` (WIDGETBOX_* variables) as
    its environment's additions; yields its base URL."""
    with widgetbox_serving(settings) as (base, _):
        yield base


@contextlib.contextmanager
def widgetbox_serving(settings: dict[str, str]) -> Iterator[tuple[str, int]]:
    """`widgetbox_server`, yielding the server's process id too."""
    with tempfile.TemporaryDirectory(prefix="widgetbox-bench-") as data:
        port = free_port()
        command = [sys.executable, "-m", "widgetbox.host.cli", "serve"]
        command += ["--port", str(port), "--data-dir", data]
        env = {"WIDGETBOX_LOG_LEVEL": "warning", **settings}
        with serving(command, port, env) as started:
            yield started
