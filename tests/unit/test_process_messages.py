"""What the runtime does with messages from a sandbox process (`SandboxProcess._handle`, on a
process object without a process): cases the fuzzer (`just fuzz`) found, where a message a
subverted process could send raised what the reader thread does not catch (ending the
thread, so the process was neither read nor killed and its runs waited forever) or left a
host call unanswered; and how forwarded host calls are answered (once, by the Bridge's
workers or at their timeout, never by a thread waiting per call)."""

from __future__ import annotations

import json
import logging
import struct
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from tests._timing import within
from tests.fuzz.targets import Fake
from widgetbox.runtime import Bridge, HostCall, Limits, ResponseChunk
from widgetbox.runtime import _wire as wire
from widgetbox.runtime._bridge import MAX_ABANDONED
from widgetbox.runtime._frames import Frames, frame
from widgetbox.runtime._wire import FROM_PROCESS, MAX_MESSAGE, pack, unpack

pytestmark = pytest.mark.unit


@pytest.fixture
def bridge() -> Iterator[Bridge]:
    bridge = Bridge(max_workers=2)
    bridge.register("fuzz.timeout", lambda call, data: call.timeout)
    try:
        yield bridge
    finally:
        bridge.close()


def answers(fake: Fake, count: int = 1, wait: float = 5.0) -> list[Any]:
    """The frames of the host calls' answers posted (at least `count`, waiting for them)."""
    posted = [json.loads(sent) for sent in fake.posted(count, wait)]
    assert all(message["kind"] == "answer" for message in posted)
    return [json.loads(message["frame"]) for message in posted]


def handle(fake: Fake, message: wire.Message) -> None:
    fake.process._handle(unpack(pack(message), FROM_PROCESS))


def call(op: str, timeout: float = 5.0, run: int = 1, call: int = 7) -> wire.Call:
    return wire.Call(run=run, call=call, op=op, data=None, timeout=timeout)


def test_a_second_answer_to_a_request_is_ignored(bridge: Bridge) -> None:
    fake = Fake(bridge)
    handle(fake, wire.Compiled(id=1, pyc={}))
    handle(fake, wire.Compiled(id=1, pyc={"x": b"y"}))  # InvalidStateError
    assert fake.process._requests[1].result() == wire.Compiled(id=1, pyc={})


@pytest.mark.parametrize("timeout", [10**400, 1e300, 1e10], ids=["10**400", "1e300", "1e10"])
def test_a_host_calls_timeout_is_never_past_its_runs_deadline(
    bridge: Bridge, timeout: float
) -> None:
    # float(10**400) overflowed (the call went unanswered); a lock cannot wait 1e10 s (HostError)
    fake = Fake(bridge)
    left = fake.process._runs[1].deadline - time.monotonic()
    fake.process._handle(
        unpack(
            json.dumps(
                {"kind": "call", "run": 1, "call": 7, "op": "fuzz.timeout", "data": None,
                 "timeout": timeout}
            ).encode(),
            FROM_PROCESS,
        )
    )  # fmt: skip
    [answer] = answers(fake)
    assert 0 < answer["ok"] <= left


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [(2.5, 2.5), (0, 0.0), (-1, 0.0), (-(10**400), 0.0)],
    ids=["2.5", "0", "-1", "-10**400"],
)
def test_a_host_call_gets_the_timeout_it_asked_for_if_any(
    bridge: Bridge, timeout: float, expected: float
) -> None:
    fake = Fake(bridge)
    fake.process._handle(
        unpack(
            json.dumps(
                {"kind": "call", "run": 1, "call": 7, "op": "fuzz.timeout", "data": None,
                 "timeout": timeout}
            ).encode(),
            FROM_PROCESS,
        )
    )  # fmt: skip
    [answer] = answers(fake)
    assert answer == {"ok": expected} or answer["error"]["kind"] == "Timeout"


def test_a_process_cannot_create_loggers_of_its_own_naming(bridge: Bridge) -> None:
    fake = Fake(bridge)
    before = set(logging.Logger.manager.loggerDict)
    for n in range(50):
        handle(fake, wire.Log(name=f"evil.{n}", level=10**6, text="x"))
    assert set(logging.Logger.manager.loggerDict) - before == set()


def test_reading_ends_at_a_closed_socket_and_at_a_broken_protocol_which_kills_the_process(
    bridge: Bridge, caplog: pytest.LogCaptureFixture
) -> None:
    """What either reader (a thread, or an event loop) does with the bytes it read: each
    whole message handled, and reading ended by a closed socket (nothing killed) or by a
    message too long for the bound or malformed (the process killed)."""
    fake = Fake(bridge)
    killed: list[bool] = []
    fake.process._process = SimpleNamespace(kill=lambda: killed.append(True))  # type: ignore[assignment]
    log_record = frame(pack(wire.Log(name="widgetbox.test", level=20, text="read")))
    frames = Frames(MAX_MESSAGE)
    assert fake.process._take(frames, log_record[:3])  # not whole yet: reading goes on
    with caplog.at_level(logging.INFO, logger="widgetbox.test"):
        assert fake.process._take(frames, log_record[3:])
    assert [r.getMessage() for r in caplog.records] == ["sandbox process: read"]
    assert not fake.process._take(frames, b"")
    assert killed == []
    assert not fake.process._take(Frames(MAX_MESSAGE), struct.pack("!i", MAX_MESSAGE + 1))
    assert not fake.process._take(Frames(MAX_MESSAGE), frame(b'{"kind":"done"}'))
    assert killed == [True, True]


def test_a_call_for_a_run_that_has_ended_is_answered_at_once(bridge: Bridge) -> None:
    fake = Fake(bridge)
    handle(fake, call("fuzz.timeout", run=3))
    assert answers(fake, wait=0) == [
        {"error": {"kind": "HostError", "message": "the run has ended"}}
    ]


def test_a_call_is_answered_from_the_bridges_worker_without_a_waiting_thread(
    bridge: Bridge,
) -> None:
    fake = Fake(bridge)
    release = threading.Event()
    seen: list[str] = []

    def slow(host_call: HostCall, data: Any) -> str:
        seen.append(threading.current_thread().name)
        release.wait(30)
        return "late"

    bridge.register("test.slow", slow)
    started = time.monotonic()
    handle(fake, call("test.slow"))
    assert within(time.monotonic() - started, 0.0)  # the reader never waits for a handler
    assert answers(fake, count=0, wait=0) == []
    release.set()
    assert answers(fake) == [{"ok": "late"}]
    assert seen[0].startswith("widgetbox-bridge")


def test_a_call_past_its_timeout_is_answered_at_it_and_counted_as_abandoned() -> None:
    bridge = Bridge(max_workers=MAX_ABANDONED + 1)  # room for another run's call
    bridge.register("fuzz.timeout", lambda call, data: call.timeout)
    fake = Fake(bridge)
    release = threading.Event()
    bridge.register("test.block", lambda host_call, data: release.wait(30))
    try:
        started = time.monotonic()
        handle(fake, call("test.block", timeout=0.1))
        assert answers(fake) == [
            {
                "error": {
                    "kind": "Timeout",
                    "message": "the host did not answer 'test.block' in time",
                }
            }
        ]
        assert within(time.monotonic() - started, 0.1)
        # counted before its answer was posted, so the run's next call sees it at once
        assert len(fake.process._runs[1].abandoned) == 1
        handle(fake, call("test.block", timeout=0.1, call=8))
        assert [answer["error"]["kind"] for answer in answers(fake)] == ["Timeout"]
        assert len(fake.process._runs[1].abandoned) == MAX_ABANDONED
        handle(fake, call("fuzz.timeout", call=9))
        [refused] = answers(fake, wait=0)
        assert refused["error"]["kind"] == "LimitExceeded"
        # another run is not held back by them
        handle(fake, call("fuzz.timeout", run=2, call=10))
        assert "ok" in answers(fake)[0]
    finally:
        release.set()
    for future in fake.process._runs[1].abandoned:
        future.result(5)
    handle(fake, call("fuzz.timeout", call=11))
    assert "ok" in answers(fake)[0]  # once they return, the run may call again
    bridge.close()


def chunk(run: int = 1, body: bytes = b"x", status: int | None = None) -> wire.Chunk:
    headers = None if status is None else {"content-type": "text/plain"}
    return wire.Chunk(run=run, chunk=ResponseChunk(body, status, headers))


def test_a_streamed_responses_chunks_reach_the_run_that_asked_for_them(bridge: Bridge) -> None:
    fake = Fake(bridge)
    handle(fake, chunk(status=200, body=b"first"))
    handle(fake, chunk(body=b"second"))
    handle(fake, chunk(run=3))  # a run that has ended: dropped
    assert [c.body for c in fake.chunks] == [b"first", b"second"]
    assert [c.status for c in fake.chunks] == [200, None]


@pytest.mark.parametrize(
    "sequence",
    [
        [chunk(run=2, status=200)],  # run 2 did not ask for chunks
        [chunk()],  # no head first
        [chunk(status=200), chunk(status=200)],  # a second head
        [chunk(status=99)],  # not an HTTP status
        [wire.Chunk(run=1, chunk=ResponseChunk(b"", 200, {"a\r\nb": "c"}))],
        [chunk(status=200, body=b"x" * (Limits.request().stream_chunk_bytes + 1))],
    ],
)
def test_a_chunk_out_of_place_or_beyond_its_limits_breaks_the_protocol(
    bridge: Bridge, sequence: list[wire.Chunk]
) -> None:
    fake = Fake(bridge)
    *fine, last = sequence
    for message in fine:
        handle(fake, message)
    with pytest.raises(wire.WireError):
        handle(fake, last)


def test_a_stream_beyond_its_total_breaks_the_protocol(bridge: Bridge) -> None:
    fake = Fake(bridge)
    limits = Limits.request()
    piece = b"x" * limits.stream_chunk_bytes
    handle(fake, chunk(status=200, body=piece))
    for _ in range(limits.stream_bytes // len(piece) - 1):
        handle(fake, chunk(body=piece))
    with pytest.raises(wire.WireError, match="beyond its limits"):
        handle(fake, chunk(body=b"y"))
