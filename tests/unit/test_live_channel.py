"""A run's live channel (host/runs/live.py): output from the sandbox's thread reaches
subscribers in time slices, in the order printed, and a late subscriber gets the whole run
so far in a few events."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

import pytest

from widgetbox.host.runs.live import SLICE, Channel, Event

pytestmark = pytest.mark.unit


async def turns(count: int = 5) -> None:
    """Lets the event loop run what is due now (no timers)."""
    for _ in range(count):
        await asyncio.sleep(0)


def run(test: Callable[[Channel], Awaitable[None]]) -> None:
    async def main() -> None:
        await test(Channel(asyncio.get_running_loop()))

    asyncio.run(main())


async def collect(channel: Channel, into: list[Event]) -> None:
    async for event in channel.events():
        into.append(event)


def outputs(events: list[Event]) -> list[tuple[str, str]]:
    return [(e.data["stream"], e.data["text"]) for e in events if e.kind == "output"]


def test_output_after_a_quiet_spell_goes_at_once_and_faster_output_waits_for_the_slice() -> None:
    async def test(channel: Channel) -> None:
        seen: list[Event] = []
        task = asyncio.create_task(collect(channel, seen))
        await turns()
        channel.output("stdout", "first\n")
        await turns()
        assert outputs(seen) == [("stdout", "first\n")]  # no timer was waited for
        channel.output("stdout", "second\n")
        channel.output("stdout", "third\n")
        await turns()
        assert outputs(seen) == [("stdout", "first\n")]  # within the slice: held
        await asyncio.sleep(SLICE * 2)
        assert outputs(seen) == [("stdout", "first\n"), ("stdout", "second\nthird\n")]
        channel.done({"status": "ok"})
        await task

    run(test)


def test_a_flood_from_another_thread_is_a_few_events_in_the_order_printed() -> None:
    async def test(channel: Channel) -> None:
        seen: list[Event] = []
        task = asyncio.create_task(collect(channel, seen))
        await turns()
        printed = [
            ("stderr" if n % 1000 == 999 else "stdout", f"line {n}\n") for n in range(20_000)
        ]

        def flood() -> None:
            for stream, text in printed:
                channel.output(stream, text)

        loop = asyncio.get_running_loop()
        started = loop.time()
        thread = threading.Thread(target=flood)
        thread.start()
        while thread.is_alive():
            await asyncio.sleep(0.001)
        thread.join()
        channel.status("ok")  # flushes what is left
        slices = (loop.time() - started) / SLICE
        channel.done({"status": "ok"})
        await task

        got = outputs(seen)
        assert "".join(text for _, text in got) == "".join(text for _, text in printed)
        for stream in ("stdout", "stderr"):
            mine = "".join(text for s, text in got if s == stream)
            assert mine == "".join(text for s, text in printed if s == stream)
        # one event per time slice, split where the stream changes: not one per line
        changes = 2 * sum(1 for stream, _ in printed if stream == "stderr")
        assert len(got) <= slices + 2 + changes
        assert [e.kind for e in seen][-2:] == ["status", "done"]

    run(test)


def test_a_late_subscriber_gets_the_run_so_far_joined_by_stream() -> None:
    async def test(channel: Channel) -> None:
        channel.status("running")
        for n in range(3):
            channel.output("stdout", f"{n}\n")
            await asyncio.sleep(SLICE * 1.5)  # three slices: three events
        channel.output("stderr", "oops\n")
        channel.output("stdout", "after\n")
        channel.done({"status": "error"})

        late: list[Event] = []
        await collect(channel, late)
        assert [e.kind for e in late] == ["status", "output", "output", "output", "done"]
        assert outputs(late) == [
            ("stdout", "0\n1\n2\n"),
            ("stderr", "oops\n"),
            ("stdout", "after\n"),
        ]

    run(test)


def test_output_after_the_end_is_not_sent() -> None:
    async def test(channel: Channel) -> None:
        channel.output("stdout", "in time\n")
        channel.done({"status": "ok"})
        channel.output("stdout", "too late\n")
        await asyncio.sleep(SLICE * 2)
        events: list[Event] = []
        await collect(channel, events)
        assert outputs(events) == [("stdout", "in time\n")]
        assert events[-1].kind == "done"

    run(test)
