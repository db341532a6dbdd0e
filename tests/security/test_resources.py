"""Resource abuse: CPU, sleeping, memory, the stack and output. Each ends the run with its
own status (or a catchable exception) and leaves the host unharmed."""

from __future__ import annotations

import pytest

from tests._timing import LOADED_MARGIN, by_deadline
from tests.security._helpers import run
from widgetbox.runtime import TOO_LONG, Limits, Runtime, Status
from widgetbox.runtime._limits import MiB

pytestmark = pytest.mark.security

ONE_SECOND = Limits.script().with_(timeout=1.0)
SMALL_MEMORY = Limits.script().with_(timeout=3.0, memory=64 * MiB)


@pytest.mark.parametrize(
    "source",
    [
        "while True: pass",
        "import re\nre.match(r'(a+)+$', 'a' * 40 + 'b')",  # catastrophic backtracking in C
        "x = 10 ** (10 ** 8)",  # one long C-level bignum operation
        "import time\ntime.sleep(100)",
        "import time\nwhile True:\n    try:\n        time.sleep(100)\n    except BaseException:\n"
        "        pass",
        "import select\nselect.select([], [], [], 100)",
    ],
    ids=["busy-loop", "regex", "huge-int", "sleep", "sleep-swallowing-exceptions", "select"],
)
def test_the_wall_clock_limit_stops_everything(runtime: Runtime, source: str) -> None:
    result = run(runtime, source, ONE_SECOND, prelude=False)
    assert (result.status, result.message) == (Status.TIMEOUT, TOO_LONG)
    assert by_deadline(result.wall_time, 1.0)
    assert result.error is None


def test_a_fuel_budget_stops_a_busy_loop(runtime: Runtime) -> None:
    limits = Limits.script().with_(timeout=5.0, fuel=50_000_000)
    result = run(runtime, "while True: pass", limits, prelude=False)
    assert result.status is Status.KILLED
    assert result.message == "The run used up its fuel budget of 50,000,000 units"


class TestMemory:
    @pytest.mark.parametrize(
        "source",
        [
            "x = bytearray(1 << 30)",
            "x = bytearray((1 << 31) - 1)",
            "x = 'ab' * (1 << 28)",
            "x = [None] * (1 << 28)",
            "x = []\nwhile True:\n    x.append(bytearray(1 << 20))",
            "def grow():\n    x = []\n    while True:\n        x.append(bytearray(1 << 20))\n"
            "grow()",
            "def grow():\n    x = b''\n    while True:\n        x += b'y' * (1 << 20)\ngrow()",
        ],
        ids=[
            "bytearray",
            "bytearray-max",
            "str-repeat",
            "list-repeat",
            "list-growth",
            "list-growth-in-a-function",
            "bytes-growth",
        ],
    )
    def test_allocating_past_the_limit_is_a_memory_error(
        self, runtime: Runtime, source: str
    ) -> None:
        result = run(runtime, source, SMALL_MEMORY, prelude=False)
        assert result.status is Status.MEMORY, (result.message, result.stderr)
        assert result.message == "The run ran out of memory (the limit is 64 MiB)"
        assert result.error is not None
        assert result.error.type == "MemoryError"
        assert result.peak_memory <= 64 * MiB

    @pytest.mark.parametrize("source", ["x = bytearray(1 << 40)", "x = 'a' * (1 << 40)"])
    def test_sizes_beyond_the_address_space_are_refused(
        self, runtime: Runtime, source: str
    ) -> None:
        """wasm32 cannot even express a terabyte: CPython refuses it before allocating."""
        result = run(runtime, source, SMALL_MEMORY, prelude=False)
        assert result.status is Status.ERROR
        assert result.error is not None
        assert result.error.type == "OverflowError"
        assert result.error.message == "cannot fit 'int' into an index-sized integer"

    def test_a_memory_error_can_be_caught_and_the_run_goes_on(self, runtime: Runtime) -> None:
        result = run(
            runtime,
            """
            try:
                x = bytearray(100 << 20)
            except MemoryError:
                print("caught")
            x = bytearray(10 << 20)
            print(len(x))
            """,
            SMALL_MEMORY,
            prelude=False,
        )
        assert result.status is Status.OK, result.message
        assert result.stdout == f"caught\n{10 << 20}\n"

    @pytest.mark.parametrize(
        "source",
        [
            "x = []\nwhile True:\n    x.append([0] * 1000)",
            "d = {}\ni = 0\nwhile True:\n    d[i] = str(i) * 10\n    i += 1",
        ],
        ids=["global-list", "global-dict"],
    )
    def test_memory_held_by_globals_is_still_a_memory_error(
        self, runtime: Runtime, source: str
    ) -> None:
        result = run(runtime, source, SMALL_MEMORY, prelude=False)
        assert result.status is Status.MEMORY, (result.message, result.stderr[-300:])


class TestTheStack:
    def test_python_recursion_is_a_recursion_error(self, runtime: Runtime) -> None:
        result = run(runtime, "def f():\n    f()\nf()", prelude=False)
        assert result.status is Status.ERROR
        assert result.error is not None
        assert result.error.type == "RecursionError"
        assert result.message == "RecursionError: maximum recursion depth exceeded"
        assert len(result.error.frames) <= 100  # the traceback is trimmed

    @pytest.mark.parametrize(
        "source",
        [
            "x = []\nfor _ in range(10 ** 6):\n    x = [x]\nrepr(x)",
            "import json\njson.loads('[' * 1000000 + ']' * 1000000)",
            "x = {}\nfor _ in range(10 ** 6):\n    x = {'k': x}\nhash(str(x))",
        ],
        ids=["repr-nested-list", "json-nested", "str-nested-dict"],
    )
    def test_c_level_nesting_overflows_the_stack_cleanly(
        self, runtime: Runtime, source: str
    ) -> None:
        result = run(
            runtime,
            "import sys\nsys.setrecursionlimit(10 ** 6)\n" + source,
            Limits.script().with_(timeout=5.0),
            prelude=False,
        )
        assert result.status is Status.ERROR
        assert result.message == (
            "The interpreter's stack overflowed (recursion or nesting too deep for C code)"
        )

    @pytest.mark.parametrize("memory", [64 * MiB, 256 * MiB], ids=["64MiB", "256MiB"])
    def test_unbounded_python_recursion_ends_the_run(self, runtime: Runtime, memory: int) -> None:
        """With the recursion limit lifted, frames fill the memory or the stack; either way
        the run ends as an error. (How it is reported varies with the memory limit: a stack
        overflow, a trap in CPython's error display, or a MemoryError while the driver
        describes a million frames; see the xfail above.)"""
        result = run(
            runtime,
            "import sys\nsys.setrecursionlimit(10 ** 6)\ndef f(n):\n    return f(n + 1)\nf(0)",
            # filling 256 MiB with frames takes seconds, more on a loaded machine
            Limits.script().with_(timeout=5.0 + LOADED_MARGIN * 4, memory=memory),
            prelude=False,
        )
        assert result.status is Status.ERROR
        assert result.message in (
            "The interpreter's stack overflowed (recursion or nesting too deep for C code)",
            "The interpreter stopped unexpectedly (a wasm trap)",
            "The run ended without reporting a result",
        )
        assert result.peak_memory <= memory


class TestOutput:
    LIMIT = 64 * 1024
    MARKER = f"\n[output truncated: the limit is {LIMIT:,} bytes]\n"

    @pytest.mark.parametrize(
        "source",
        [
            "while True:\n    print('x' * 99)",
            "import sys\nsys.stdout.write('y' * (10 << 20))",
            "import os\nos.write(1, b'z' * (10 << 20))",
            "import sys\nwhile True:\n    sys.stdout.write('w' * 4096)\n    sys.stdout.flush()",
        ],
        ids=["print-loop", "one-huge-write", "raw-fd-write", "flushed-loop"],
    )
    def test_a_flood_on_stdout_is_truncated_and_stopped(
        self, runtime: Runtime, source: str
    ) -> None:
        limits = Limits.script().with_(timeout=3.0, output=self.LIMIT)
        result = run(runtime, source, limits, prelude=False)
        assert result.status is Status.OUTPUT_LIMIT
        assert result.output_truncated
        assert result.message == (
            f"Output limit reached: the run printed more than {self.LIMIT:,} bytes and was stopped"
        )
        assert result.stdout.endswith(self.MARKER)
        assert len(result.stdout.encode()) == self.LIMIT + len(self.MARKER)
        assert result.stderr == ""

    def test_stdout_and_stderr_share_one_limit(self, runtime: Runtime) -> None:
        limits = Limits.script().with_(timeout=3.0, output=self.LIMIT)
        source = (
            "import sys\nwhile True:\n    print('o' * 99)\n    print('e' * 99, file=sys.stderr)"
        )
        result = run(runtime, source, limits, prelude=False)
        assert result.status is Status.OUTPUT_LIMIT
        total = len(result.stdout.encode()) + len(result.stderr.encode())
        assert total == self.LIMIT + len(self.MARKER)

    def test_a_flood_at_the_default_limit(self, runtime: Runtime) -> None:
        result = run(
            runtime,
            "while True:\n    print('d' * 1023)",
            Limits.script().with_(timeout=5.0),
            prelude=False,
        )
        assert result.status is Status.OUTPUT_LIMIT
        marker = f"\n[output truncated: the limit is {2 * MiB:,} bytes]\n"
        assert result.stdout.endswith(marker)
        assert len(result.stdout.encode()) == 2 * MiB + len(marker)

    def test_a_broken_utf8_stream_stays_within_the_limit(self, runtime: Runtime) -> None:
        limits = Limits.script().with_(timeout=3.0, output=self.LIMIT)
        source = "import os\nwhile True:\n    os.write(1, b'\\xff\\xfe' + 'é'.encode() * 1000)"
        result = run(runtime, source, limits, prelude=False)
        assert result.status is Status.OUTPUT_LIMIT
        body = result.stdout.removesuffix(self.MARKER)
        assert len(body) <= self.LIMIT  # characters, each from at least one byte


OPEN_MANY = """
import os
held, refused = [], None
for i in range(1000):
    try:
        held.append(open("/widget/main.py"))
    except OSError as e:
        refused = (i, e.errno == __import__("errno").EMFILE)
        break
print(refused[1], len(held) <= 256)
for f in held[:10]:
    f.close()
held.append(open("/widget/main.py"))  # a closed descriptor can be opened again
with os.scandir("/tmp"):
    print("reopened")
"""


def test_one_run_cannot_use_up_the_sandbox_process_s_descriptors(runtime: Runtime) -> None:
    result = run(runtime, OPEN_MANY, prelude=False)
    assert (result.status, result.stdout) == (Status.OK, "True True\nreopened\n"), result.stderr
