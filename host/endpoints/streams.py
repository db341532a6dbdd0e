"""Streamed responses of widgets' HTTP APIs: the chunks a route yields (an `HttpResponse`
whose body is a generator), from the runtime's thread to the caller as they come.

`ResponseStream.take` is the run's `on_chunk`: called on a runtime thread, it never waits,
handing each chunk to the event loop's queue (at most the run's `stream_bytes` in all, so
the queue is bounded whatever the caller's speed). `first` waits for the first chunk, or
for the run's end when it does not stream; `body` then yields each chunk's bytes until the
run ends, and at the latest a moment after its deadline. A caller that goes away cancels
the run, with a reason the owner reads in the widget's logs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from widgetbox.host.endpoints.answers import response_problem, stream_problem
from widgetbox.runtime import Cancel, HttpResponse, ResponseChunk, RunResult

log = logging.getLogger("widgetbox.host")

CALLER_LEFT = "The caller closed the connection before the streamed response ended"
"""The message of a run stopped because its caller went away."""
GRACE = 1.0
"""Seconds past the run's deadline during which chunks it sent may still reach the caller."""


class ResponseStream:
    """One request's streamed response: `watch` its run, `take` its chunks, then `first`
    and `body`."""

    def __init__(self, timeout: float) -> None:
        """`timeout`: the run's time limit."""
        self._loop = asyncio.get_running_loop()
        self._chunks: asyncio.Queue[ResponseChunk | None] = asyncio.Queue()
        self._timeout = timeout
        self._deadline = 0.0
        """Set by the first chunk: the run has started, so its deadline is sooner."""
        self.cancel = Cancel()
        """Stops the run: the caller went away, or the response cannot be sent."""
        self.started = False
        """Whether the run streamed (its first chunk came)."""

    def take(self, chunk: ResponseChunk) -> None:
        """The run's `on_chunk`, on a runtime thread: never waits."""
        self._loop.call_soon_threadsafe(self._chunks.put_nowait, chunk)

    def watch(self, run: asyncio.Task[RunResult]) -> None:
        """End the stream when `run` ends (after every chunk it sent: they were queued
        first)."""
        run.add_done_callback(lambda _: self._chunks.put_nowait(None))

    async def first(self) -> ResponseChunk | None:
        """The first chunk (with the response's status and headers), or None when the run
        ended without streaming."""
        chunk = await self._chunks.get()
        self._deadline = time.monotonic() + self._timeout + GRACE
        self.started = chunk is not None
        return chunk

    async def body(self, first: ResponseChunk) -> AsyncIterator[bytes]:
        """The response's bytes, chunk by chunk, until the run ends (or its deadline has
        passed). If the caller goes away meanwhile, the run is cancelled."""
        try:
            yield first.body
            while True:
                left = self._deadline - time.monotonic()
                if left <= 0:
                    return
                try:
                    chunk = await asyncio.wait_for(self._chunks.get(), left)
                except TimeoutError:
                    return
                if chunk is None:
                    return
                yield chunk.body
        except BaseException:  # cancelled (the caller went away), or closed unfinished
            self.cancel.set(CALLER_LEFT)
            raise

    def check(self, answer: HttpResponse) -> str | None:
        """Why the run's response cannot be sent, or None (`Runner.request`'s `check`)."""
        return stream_problem(answer) if self.started else response_problem(answer)

    def refuse(self, reason: str) -> None:
        """Stop the run: its response cannot be sent (`reason` is its message)."""
        self.cancel.set(reason)


def retrieve(run: asyncio.Task[Any]) -> None:
    """Log what a streamed run's task raised, which no one awaits."""
    if not run.cancelled() and (error := run.exception()) is not None:
        log.error("a streamed request failed in the host", exc_info=error)
