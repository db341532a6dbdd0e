"""What the runtime does with messages from a sandbox process (`SandboxProcess._handle`, on a
process object without a process): cases the fuzzer (`just fuzz`) found, where a message a
subverted process could send raised what the reader thread does not catch (ending the
thread, so the process was neither read nor killed and its runs waited forever) or what a
host call's thread drops (so the call was never answered)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fuzz.targets import Fake
from widgetbox.runtime import Bridge
from widgetbox.runtime._wire import pack, unpack

pytestmark = pytest.mark.unit


@pytest.fixture
def bridge() -> Iterator[Bridge]:
    bridge = Bridge(max_workers=2)
    bridge.register("fuzz.timeout", lambda call, data: call.timeout)
    try:
        yield bridge
    finally:
        bridge.close()


def answers(fake: Fake) -> list[Any]:
    return [json.loads(json.loads(sent)["frame"]) for sent in fake.sent.messages]


def test_a_second_answer_to_a_request_is_ignored(bridge: Bridge) -> None:
    fake = Fake(bridge)
    fake.process._handle(unpack(pack("compiled", id=1, pyc={})))
    fake.process._handle(unpack(pack("compiled", id=1, pyc={"x": "y"})))  # InvalidStateError
    assert fake.process._requests[1].result()["pyc"] == {}


@pytest.mark.parametrize("timeout", [10**400, 1e300, 1e10], ids=["10**400", "1e300", "1e10"])
def test_a_host_calls_timeout_is_never_past_its_runs_deadline(
    bridge: Bridge, timeout: float
) -> None:
    # float(10**400) overflowed (the call went unanswered); a lock cannot wait 1e10 s (HostError)
    fake = Fake(bridge)
    left = fake.process._runs[1].deadline - time.monotonic()
    fake.process._handle(
        unpack(pack("call", run=1, call=7, op="fuzz.timeout", data=None, timeout=timeout))
    )
    assert all(future.exception() is None for future in fake.calls.futures)
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
        unpack(pack("call", run=1, call=7, op="fuzz.timeout", data=None, timeout=timeout))
    )
    assert all(future.exception() is None for future in fake.calls.futures)
    [answer] = answers(fake)
    assert answer == {"ok": expected} or answer["error"]["kind"] == "Timeout"


def test_a_process_cannot_create_loggers_of_its_own_naming(bridge: Bridge) -> None:
    fake = Fake(bridge)
    before = set(logging.Logger.manager.loggerDict)
    for n in range(50):
        message = pack("log", name=f"evil.{n}", level=10**6, text="x")
        fake.process._handle(unpack(message))
    assert set(logging.Logger.manager.loggerDict) - before == set()
