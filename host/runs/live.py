"""Live run events for browsers: status changes and output as it is printed.

Each run that is queued or running has a channel. The sandbox reports output from its
worker thread; the channel hands it to the event loop, coalescing what arrives between two
turns of the loop into one event per stream, and fans it out to every subscriber. A
subscriber that joins late first receives everything so far (the channel keeps it, up to
the run's own output cap), so the console shows the whole run whenever it is opened.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

LINGER = 30.0
"""Seconds a finished run's channel stays, for subscribers arriving just after the end;
after that they read the stored record."""


@dataclass(frozen=True)
class Event:
    kind: str
    """"status", "output" or "done"."""
    data: dict[str, Any]


class Channel:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._history: list[Event] = []
        self._subscribers: list[asyncio.Queue[Event | None]] = []
        self._pending: dict[str, list[str]] = {}
        self._pending_lock = threading.Lock()
        self._flush_scheduled = False
        self.closed = False

    # -- from any thread -------------------------------------------------------------------

    def output(self, stream: str, text: str) -> None:
        """The sandbox's `on_output` callback (runs on a runtime worker thread)."""
        with self._pending_lock:
            self._pending.setdefault(stream, []).append(text)
            if self._flush_scheduled:
                return
            self._flush_scheduled = True
        self._loop.call_soon_threadsafe(self._flush)

    # -- on the event loop -----------------------------------------------------------------

    def _flush(self) -> None:
        with self._pending_lock:
            pending, self._pending = self._pending, {}
            self._flush_scheduled = False
        for stream, parts in pending.items():
            self._publish(Event("output", {"stream": stream, "text": "".join(parts)}))

    def status(self, status: str, **details: Any) -> None:
        self._flush()
        self._publish(Event("status", {"status": status, **details}))

    def done(self, summary: dict[str, Any]) -> None:
        self._flush()
        self._publish(Event("done", summary))
        self.closed = True
        for queue in self._subscribers:
            queue.put_nowait(None)

    def _publish(self, event: Event) -> None:
        self._history.append(event)
        for queue in self._subscribers:
            queue.put_nowait(event)

    async def events(self) -> AsyncIterator[Event]:
        """Everything so far, then each new event until the run is done."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        backlog = list(self._history)
        if not self.closed:
            self._subscribers.append(queue)
        try:
            for old in backlog:
                yield old
            if self.closed:
                return
            while (new := await queue.get()) is not None:
                yield new
        finally:
            if queue in self._subscribers:
                self._subscribers.remove(queue)


class LiveRuns:
    """The channels of the runs in progress, by run id."""

    def __init__(self) -> None:
        self._channels: dict[int, Channel] = {}

    def open(self, run_id: int) -> Channel:
        channel = Channel(asyncio.get_running_loop())
        self._channels[run_id] = channel
        return channel

    def get(self, run_id: int) -> Channel | None:
        return self._channels.get(run_id)

    def finish(self, run_id: int) -> None:
        """Drop the channel after a while (late subscribers then read the record)."""
        asyncio.get_running_loop().call_later(LINGER, self._channels.pop, run_id, None)
