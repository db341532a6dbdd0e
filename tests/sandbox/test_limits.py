"""Every limit is enforced by the sandbox and ends in a clear, typed result."""

from __future__ import annotations

import threading
import time

import pytest

from tests._timing import by_deadline, within
from widgetbox.runtime import TOO_LONG, Cancel, Code, Limits, Runtime, Script, Status
from widgetbox.runtime._limits import MiB

pytestmark = pytest.mark.sandbox

SHORT = Limits.script().with_(timeout=1.0)


def run(runtime: Runtime, source: str, limits: Limits = SHORT, **kwargs: object):  # type: ignore[no-untyped-def]
    return runtime.run(Script(Code.single(source)), limits=limits, **kwargs)  # type: ignore[arg-type]


def test_the_wall_clock_limit_stops_a_busy_loop(runtime: Runtime) -> None:
    result = run(runtime, "print('started')\nwhile True: pass")
    assert (result.status, result.message) == (Status.TIMEOUT, TOO_LONG)
    assert result.stdout == "started\n"  # output before the stop is kept
    assert by_deadline(result.wall_time, 1.0)
    assert result.fuel is None  # an epoch interrupt leaves wasmtime's counter stale


def test_the_wall_clock_limit_stops_a_sleep(runtime: Runtime) -> None:
    result = run(runtime, "import time\ntime.sleep(60)")
    assert result.status is Status.TIMEOUT
    assert by_deadline(result.wall_time, 1.0)


def test_short_sleeps_sleep_for_their_time(runtime: Runtime) -> None:
    result = run(
        runtime,
        "import time\nt = time.monotonic()\ntime.sleep(0.2)\nprint(time.monotonic() - t >= 0.2)",
    )
    assert (result.status, result.stdout) == (Status.OK, "True\n")


def test_memory_limit(runtime: Runtime) -> None:
    limits = SHORT.with_(memory=64 * MiB)
    result = run(runtime, "x = bytearray(100 * 1024 * 1024)", limits)
    assert result.status is Status.MEMORY
    assert result.message == "The run ran out of memory (the limit is 64 MiB)"
    assert result.peak_memory <= 64 * MiB
    fits = run(runtime, "x = bytearray(10 * 1024 * 1024)\nprint(len(x))", limits)
    assert fits.status is Status.OK


def test_output_limit_truncates_with_a_marker_and_stops(runtime: Runtime) -> None:
    limits = SHORT.with_(output=10_000)
    result = run(runtime, "while True:\n    print('x' * 99)", limits)
    assert result.status is Status.OUTPUT_LIMIT
    assert result.output_truncated
    assert "printed more than 10,000 bytes" in result.message
    body, marker = result.stdout.rsplit("\n[output truncated", 1)
    assert len(body.encode()) <= 10_000
    assert "limit is 10,000 bytes" in marker


def test_the_scratch_area_is_capped_in_bytes(runtime: Runtime) -> None:
    limits = SHORT.with_(scratch_bytes=1 * MiB)
    result = run(
        runtime,
        """
import errno
with open("big", "wb") as f:
    f.write(b"x" * (900 * 1024))
    try:
        f.write(b"y" * (200 * 1024))
    except OSError as e:
        print(e.errno == errno.ENOSPC, e.strerror)
""",
        limits,
    )
    assert result.status is Status.OK, result.message
    assert result.stdout == "True No space left on device\n"


def test_the_scratch_area_is_capped_in_files(runtime: Runtime) -> None:
    limits = SHORT.with_(scratch_files=20)
    result = run(
        runtime,
        """
made = 0
try:
    for i in range(100):
        open(f"f{i}", "w").close()
        made += 1
except OSError as e:
    print(made, e.strerror)
with open("f0", "w") as f:  # at the limit, existing files can still be rewritten
    f.write("again")
print(open("f0").read())
""",
        limits,
    )
    assert result.status is Status.OK, result.message
    assert result.stdout == "20 No space left on device\nagain\n"


def test_a_fuel_budget(runtime: Runtime) -> None:
    result = run(runtime, "while True: pass", SHORT.with_(fuel=50_000_000))
    assert result.status is Status.KILLED
    assert result.message == "The run used up its fuel budget of 50,000,000 units"
    assert result.fuel == 50_000_000


def test_fuel_is_counted_without_a_budget(runtime: Runtime) -> None:
    small = run(runtime, "x = 1")
    big = run(runtime, "x = sum(range(200_000))")
    assert small.fuel is not None
    assert big.fuel is not None
    assert big.fuel > small.fuel + 1_000_000


def test_a_cancel_stops_the_run_within_100_ms(runtime: Runtime) -> None:
    cancel = Cancel()
    started = threading.Event()
    stopped_after: list[float] = []

    def cancel_soon() -> None:
        assert started.wait(10)
        time.sleep(0.2)
        cancel.set()
        stopped_after.append(time.monotonic())

    threading.Thread(target=cancel_soon).start()
    result = run(
        runtime,
        "print('go')\nwhile True: pass",
        Limits.script(),
        cancel=cancel,
        on_output=lambda stream, text: started.set(),
    )
    ended = time.monotonic()
    assert (result.status, result.message) == (Status.KILLED, "The run was cancelled")
    assert within(ended - stopped_after[0], 0.01)  # a tick


def test_a_cancel_also_stops_a_sleeping_run(runtime: Runtime) -> None:
    cancel = Cancel()
    threading.Timer(0.2, cancel.set).start()
    result = run(runtime, "import time\ntime.sleep(30)", Limits.script(), cancel=cancel)
    assert result.status is Status.KILLED  # by the cancel: its time limit is 5 minutes
    assert within(result.wall_time, 0.2 + 0.01)


def test_requests_default_to_thirty_seconds_and_scripts_to_five_minutes() -> None:
    assert Limits.request().timeout == 30
    assert Limits.script().timeout == 300
