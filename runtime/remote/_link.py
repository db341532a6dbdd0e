"""A NATS connection on an event loop of its own, for code that runs on threads.

The runtime is driven from threads (a sandbox process's reader, the bridge's workers, the
server's executor) and from the server's event loop; nats-py is asyncio. One thread owns the
connection and its loop; everyone else hands it coroutines (`submit`) or callables
(`call_soon`), which never wait for the network.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from nats.aio.client import Client

from ._access import Access, Refused, TlsOnly, refusal, requires_tls

log = logging.getLogger("widgetbox.runtime.remote")

_T = TypeVar("_T")

CONNECT_TIMEOUT = 5.0
REFUSED_CLOSE = 1.0
"""Seconds a refused client may take to close before it is left to the garbage."""
MAX_PAYLOAD_NEEDED = 40 * 1024 * 1024
"""A route's response may be 32 MiB (base64: about 43 MiB in JSON); the server must allow
this much per message (`max_payload`; NATS allows up to 64 MiB)."""


async def connect(
    url: str, name: str, *, inbox_prefix: str | None = None, access: Access | None = None
) -> Client:
    """A client that reconnects for ever (a NATS server restarting is not the end of a
    worker or of the host), and logs why it is disconnected. `access` names the files it
    proves itself and checks the server with (`_access.py`). Raises `Refused` when the
    server refuses the first connection (or it the server): trying again would not help."""
    connecting = True

    async def disconnected() -> None:
        if not connecting:
            log.warning("%s: disconnected from NATS; reconnecting", name)

    async def reconnected() -> None:
        log.info("%s: reconnected to NATS", name)

    async def error(e: Exception) -> None:
        why = refusal(e)
        if connecting and why is not None:
            raise Refused(why)  # out of nats-py's first connection, which would retry
        log.warning("%s: NATS: %s", name, why or e)

    servers = [u.strip() for u in url.split(",") if u.strip()]
    options: dict[str, Any] = {
        "servers": servers,
        "name": name,
        "connect_timeout": CONNECT_TIMEOUT,
        "max_reconnect_attempts": -1,
        "reconnect_time_wait": 0.5,
        "ping_interval": 5,
        "max_outstanding_pings": 2,
        "disconnected_cb": disconnected,
        "reconnected_cb": reconnected,
        "error_cb": error,
        "allow_reconnect": True,
        **(access.options() if access is not None else {}),
    }
    if inbox_prefix is not None:
        options["inbox_prefix"] = inbox_prefix
    client = TlsOnly() if requires_tls(servers, access) else Client()
    try:
        await client.connect(**options)
    except Refused:
        # a TLS connection that failed its handshake may never finish closing
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.close(), REFUSED_CLOSE)
        raise
    connecting = False
    return client


def where(url: str) -> str:
    """The URL(s) without their users and passwords, for the log."""

    def bare(part: str) -> str:
        scheme, sep, rest = part.strip().partition("://")
        if not sep:
            scheme, rest = "", scheme
        return scheme + sep + rest.rsplit("@", 1)[-1]

    return ",".join(bare(part) for part in url.split(","))


class Link:
    """A loop thread holding one NATS client (`client`), connected by `start`."""

    def __init__(self, name: str) -> None:
        self.name = name
        # asyncio's own loop, not uvloop's: with uvloop, nats-py's reconnection after the
        # connection went stale (a process paused, a network lost) waits for ever for the
        # old transport to close (nats-io/nats.py#671), and a worker never comes back
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name=f"{name}-nats", daemon=True)

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def begin(self) -> None:
        self._thread.start()

    def submit(self, work: Coroutine[Any, Any, _T]) -> concurrent.futures.Future[_T]:
        return asyncio.run_coroutine_threadsafe(work, self.loop)

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Never blocks; does nothing once the loop has stopped (whoever waited is told
        otherwise: the runs end on their own)."""
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(fn, *args)

    def spawn(self, work: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        """Start `work()` as a task on the loop, from any thread (its errors are logged)."""
        self.call_soon(lambda: _logged(self.loop.create_task(work())))

    def close(self, client: Client | None = None, timeout: float = 5.0) -> None:
        if client is not None and self._thread.is_alive():
            with contextlib.suppress(Exception):
                self.submit(client.close()).result(timeout)
        if self._thread.is_alive():  # whatever is left (a close cut short) ends first
            with contextlib.suppress(Exception):
                self.submit(_cancel_the_rest()).result(timeout)
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)
        if not self._thread.is_alive():
            self.loop.close()


async def _cancel_the_rest() -> None:
    me = asyncio.current_task()
    rest = [task for task in asyncio.all_tasks() if task is not me]
    for task in rest:
        task.cancel()
    await asyncio.gather(*rest, return_exceptions=True)


def _logged(task: asyncio.Task[Any]) -> None:
    def done(finished: asyncio.Task[Any]) -> None:
        if not finished.cancelled() and finished.exception() is not None:
            log.error("NATS work failed", exc_info=finished.exception())

    task.add_done_callback(done)
