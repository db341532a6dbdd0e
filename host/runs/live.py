"""Live run events for browsers: status changes and output as it is printed.

Each run that is queued or running has a channel. The sandbox reports output from its
worker thread, one piece per write (a line, for `print`); the channel hands it to the event
loop in time slices: the first output after a quiet spell goes out at once, and whatever
arrives within `SLICE` of the last output event waits for the next one. So a run printing
as fast as it can sends about 1 / `SLICE` output events a second (adjacent pieces of one
stream joined, stdout and stderr kept in the order printed), not one per line, and the
host's work stays linear in the bytes printed.

Events fan out to every subscriber. A subscriber that joins late first receives everything
so far (the channel keeps it, up to the run's own output cap, with neighbouring output of
one stream joined), so the console shows the whole run whenever it is opened.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

LINGER = 30.0
"""Seconds a finished run's channel stays, for subscribers arriving just after the end;
after that they read the stored record."""
SLICE = 0.05
"""Seconds between two output events of one run, at the least (a browser draws at most one
frame in 16 ms; a run printing 100,000 lines a second sends 20 events a second)."""


@dataclass(frozen=True)
class Event:
    kind: str
    """"status", "output" or "done"."""
    data: dict[str, Any]


@dataclass
class _Printed:
    """Output of one stream in the history: its pieces in order, joined when read."""

    stream: str
    parts: list[str] = field(default_factory=list)

    def event(self) -> Event:
        return Event("output", {"stream": self.stream, "text": "".join(self.parts)})


class Channel:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._history: list[Event | _Printed] = []
        self._subscribers: list[asyncio.Queue[Event | None]] = []
        self._pending: list[tuple[str, str]] = []
        self._pending_lock = threading.Lock()
        self._wake_scheduled = False
        self._timer: asyncio.TimerHandle | None = None
        self._last_output = float("-inf")
        self.closed = False

    # -- from any thread -------------------------------------------------------------------

    def output(self, stream: str, text: str) -> None:
        """The sandbox's `on_output` callback (runs on a runtime worker thread)."""
        with self._pending_lock:
            self._pending.append((stream, text))
            if self._wake_scheduled:
                return
            self._wake_scheduled = True
        self._loop.call_soon_threadsafe(self._wake)

    # -- on the event loop -----------------------------------------------------------------

    def _wake(self) -> None:
        """Output is waiting: send it now, or when this time slice ends."""
        if self._timer is not None:
            return
        wait = self._last_output + SLICE - self._loop.time()
        if wait <= 0:
            self._flush()
        else:
            self._timer = self._loop.call_later(wait, self._flush)

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        with self._pending_lock:
            pending, self._pending = self._pending, []
            self._wake_scheduled = False
        if not pending or self.closed:
            return
        self._last_output = self._loop.time()
        for stream, text in _joined(pending):
            self._publish_output(stream, text)

    def status(self, status: str, **details: Any) -> None:
        self._flush()
        self._publish(Event("status", {"status": status, **details}))

    def done(self, summary: dict[str, Any]) -> None:
        self._flush()
        self._publish(Event("done", summary))
        self.closed = True
        for queue in self._subscribers:
            queue.put_nowait(None)

    def _publish_output(self, stream: str, text: str) -> None:
        last = self._history[-1] if self._history else None
        if isinstance(last, _Printed) and last.stream == stream:
            last.parts.append(text)
        else:
            self._history.append(_Printed(stream, [text]))
        self._send(Event("output", {"stream": stream, "text": text}))

    def _publish(self, event: Event) -> None:
        self._history.append(event)
        self._send(event)

    def _send(self, event: Event) -> None:
        for queue in self._subscribers:
            queue.put_nowait(event)

    async def events(self) -> AsyncIterator[Event]:
        """Everything so far, then each new event until the run is done."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        backlog = [item.event() if isinstance(item, _Printed) else item for item in self._history]
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


def _joined(pieces: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """Neighbouring pieces of one stream as one text, in order."""
    stream = pieces[0][0]
    texts: list[str] = []
    for piece_stream, text in pieces:
        if piece_stream != stream:
            yield stream, "".join(texts)
            stream, texts = piece_stream, []
        texts.append(text)
    yield stream, "".join(texts)


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
