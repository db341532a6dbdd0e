"""The widget's files cross to a sandbox process once, named by their digest after that
(`_bundles`), and `run_async` waits for a run on the event loop, with no thread per run."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time

import pytest

from tests._timing import by_deadline
from widgetbox.runtime import Code, Limits, Runtime, Script, Status
from widgetbox.runtime._bundles import Shelf, digest, size

pytestmark = pytest.mark.sandbox


def test_bundles_are_named_by_their_whole_content() -> None:
    files = {"main.py": "print(1)\n", "lib/a.py": "x = 1\n"}
    named = digest(files, {})
    assert digest(dict(reversed(files.items())), {}) == named  # order does not matter
    assert digest({**files, "main.py": "print(2)\n"}, {}) != named
    assert digest(files, {"__pycache__/main.pyc": b"\x00"}) != named
    # a path and its content cannot trade bytes with their neighbours
    assert digest({"ab": "c"}, {}) != digest({"a": "bc"}, {})
    assert digest({"a.py": ""}, {"b": b""}) != digest({"a.py": "", "b": ""}, {})


def test_a_shelf_keeps_at_most_its_bytes_least_recently_used_first_out() -> None:
    shelf = Shelf(limit=100)
    shelf.put("a", 40, ({"a": "x"}, {}))
    shelf.put("b", 40, ({"b": "x"}, {}))
    assert shelf.get("a") == ({"a": "x"}, {})  # now the most recently used
    shelf.put("c", 40, ({"c": "x"}, {}))
    assert shelf.get("b") is None
    assert shelf.has("a")
    assert shelf.has("c")
    shelf.put("huge", 101, ({"h": "x"}, {}))  # never kept: larger than the whole shelf
    assert not shelf.has("huge")
    shelf.discard("a")
    assert not shelf.has("a")
    assert size({"ab": "cd"}, {"e": b"fg"}) == 7


def test_runs_get_their_own_files_when_sent_by_digest() -> None:
    with Runtime(pool_size=2, processes=1, cache_bytecode=False) as runtime:
        (scripts,) = [p for p in runtime._processes if p.role == "batch"]
        one, two = Code.single("print('one')"), Code.single("print('two')")
        for _ in range(3):  # the first sends the files, the next ones only the digest
            assert runtime.run(Script(one)).stdout == "one\n"
            assert runtime.run(Script(two)).stdout == "two\n"
        assert scripts._holds.has(runtime._bundles.of(one).digest)
        assert runtime._bundles.of(one) is runtime._bundles.of(one)  # remembered
        # the same content from another Code object is the same bundle
        assert runtime.run(Script(Code.single("print('one')"))).stdout == "one\n"


def test_a_process_that_lacks_the_files_asks_for_them() -> None:
    with Runtime(pool_size=0, processes=0, cache_bytecode=False) as runtime:
        (process,) = runtime._processes
        code = Code.single("print('sent again')")
        # the runtime believes the process holds it: the run goes without its files
        process._holds.put(runtime._bundles.of(code).digest, 1)
        result = runtime.run(Script(code))
        assert result.status is Status.OK, result.message
        assert result.stdout == "sent again\n"
        assert runtime.run(Script(code)).stdout == "sent again\n"  # held now
        assert process.alive


def test_run_async_needs_no_thread_per_run() -> None:
    with Runtime(pool_size=2, processes=1, cache_bytecode=False) as runtime:
        code = Code.single("import time\ntime.sleep(0.5)\nprint('slept')")

        async def main() -> list[str]:
            runs = [runtime.run_async(Script(code)) for _ in range(6)]
            threads = threading.active_count()
            gathered = asyncio.gather(*runs)
            await asyncio.sleep(0.2)
            assert threading.active_count() == threads  # waiting costs no thread
            return [r.stdout for r in await gathered]

        assert asyncio.run(main()) == ["slept\n"] * 6


def test_run_async_waits_for_a_replacement_when_every_process_was_lost() -> None:
    with Runtime(pool_size=0, processes=0) as runtime:
        (victim,) = [p.pid for p in runtime._processes]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while any(p.alive for p in runtime._processes) and time.monotonic() < deadline:
            time.sleep(0.01)

        async def main() -> str:
            return (await runtime.run_async(Script(Code.single("print('back')")))).stdout

        assert asyncio.run(main()) == "back\n"


def test_run_async_ends_a_stuck_run_at_its_deadline() -> None:
    with Runtime(pool_size=0, processes=0) as runtime:

        async def main() -> Status:
            run = runtime.run_async(
                Script(Code.single("while True: pass")), limits=Limits.script().with_(timeout=0.5)
            )
            return (await run).status

        started = time.monotonic()
        assert asyncio.run(main()) is Status.TIMEOUT
        assert by_deadline(time.monotonic() - started, 0.5)


def test_cancelling_run_async_while_it_waits_for_a_replacement_leaves_no_run() -> None:
    with Runtime(pool_size=0, processes=0) as runtime:
        (victim,) = [p.pid for p in runtime._processes]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while any(p.alive for p in runtime._processes) and time.monotonic() < deadline:
            time.sleep(0.01)

        async def main() -> None:
            task = asyncio.create_task(runtime.run_async(Script(Code.single("while True: pass"))))
            await asyncio.sleep(0.2)  # waiting for the replacement process
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(main())
        time.sleep(0.5)  # the cancel reaches the run, if it was sent
        assert all(p.active == 0 for p in runtime._processes)
        assert runtime.run(Script(Code.single("print('free')"))).stdout == "free\n"
