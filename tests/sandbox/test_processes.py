"""The sandbox processes behind the runtime: a process that dies takes only its own runs
with it and is replaced; Ctrl-C does not reach it; scripts run at idle priority; request
processes keep to a core each; closing the runtime leaves no process behind."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from widgetbox.runtime import Cancel, Code, RunResult, Runtime, Script, Status

pytestmark = pytest.mark.sandbox

SCHED_IDLE = 5


def _pids(runtime: Runtime, role: str | None = None) -> list[int]:
    return [p.pid for p in runtime._processes if role is None or p.role == role]


def _policies(pid: int) -> set[int]:
    """The scheduling policy of each of a process's threads (field 41 of its stat)."""
    policies = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with (task / "stat").open() as f:
            policies.add(int(f.read().rsplit(")", 1)[1].split()[38]))
    return policies


def _wait_replaced(runtime: Runtime, victim: int) -> None:
    deadline = time.monotonic() + 15
    while victim in _pids(runtime) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert victim not in _pids(runtime)


def test_a_process_that_dies_ends_its_runs_as_killed_and_is_replaced() -> None:
    with Runtime(pool_size=0, processes=0) as runtime:  # only the scripts' process
        (victim,) = _pids(runtime)
        results: list[RunResult] = []
        printed = threading.Event()
        source = "print('working', flush=True)\nwhile True: pass"

        def run() -> None:
            results.append(
                runtime.run(
                    Script(Code.single(source)), on_output=lambda stream, text: printed.set()
                )
            )

        thread = threading.Thread(target=run)
        thread.start()
        assert printed.wait(10)
        os.kill(victim, signal.SIGKILL)  # as a crash in wasmtime would
        thread.join(10)
        assert not thread.is_alive()
        (result,) = results
        assert result.status is Status.KILLED
        assert "ended unexpectedly (killed by signal 9)" in result.message
        assert result.stdout == "working\n"  # what it printed before is kept
        # a run sent meanwhile waits for the replacement instead of failing
        assert runtime.run(Script(Code.single("print('after')"))).stdout == "after\n"
        _wait_replaced(runtime, victim)


def test_only_the_runs_of_the_lost_process_notice() -> None:
    with Runtime(pool_size=0, processes=0, script_processes=2) as runtime:
        results: dict[int, RunResult] = {}
        printing = [threading.Event(), threading.Event()]

        def run(index: int) -> None:
            source = "print('started', flush=True)\nimport time\ntime.sleep(1.5)\nprint('done')"
            results[index] = runtime.run(
                Script(Code.single(source)), on_output=lambda stream, text: printing[index].set()
            )

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for thread, started in zip(threads, printing, strict=True):
            thread.start()  # the second goes to the other process, which has no run yet
            assert started.wait(10)
        victim, survivor = _pids(runtime)
        os.kill(victim, signal.SIGKILL)
        for thread in threads:
            thread.join(15)
        assert sorted(result.status.value for result in results.values()) == ["killed", "ok"]
        assert [r.stdout for r in results.values() if r.ok] == ["started\ndone\n"]
        _wait_replaced(runtime, victim)
        assert survivor in _pids(runtime)
        for _ in range(4):
            assert runtime.run(Script(Code.single("print('after')"))).ok


def test_a_process_that_dies_while_asked_its_status_is_reported_not_raised() -> None:
    """A health check asks each live process for its pool; one that dies between the
    check that it is alive and the question (the write finds a broken pipe) is reported
    without a pool, never raised to the health check (/readyz, the admin's page)."""
    with Runtime(pool_size=0, processes=1) as runtime:
        (process,) = [p for p in runtime._processes if p.role == "interactive"]
        sender = process._sender
        sending = sender.send

        def broken(data: bytes) -> None:
            raise BrokenPipeError(32, "Broken pipe")

        sender.send = broken  # type: ignore[method-assign]
        try:
            found = {status.pid: status for status in runtime.sandbox_status(wait=1.0)}
        finally:
            sender.send = sending  # type: ignore[method-assign]
        assert found[process.pid].pooled is None
        assert runtime.run(Script(Code.single("print('still here')"))).stdout == "still here\n"


def test_ctrl_c_in_a_terminal_does_not_reach_the_sandbox_processes(runtime: Runtime) -> None:
    for pid in _pids(runtime):
        os.kill(pid, signal.SIGINT)
    time.sleep(0.2)
    assert runtime.run(Script(Code.single("print('still here')"))).stdout == "still here\n"


def test_scripts_run_at_idle_priority_in_processes_of_their_own() -> None:
    """Every thread of the scripts' process is idle, so a starved script never holds the
    interpreter lock that a request waits for: requests run in other processes."""
    with Runtime(pool_size=0, processes=1) as runtime:
        (requests,) = _pids(runtime, "interactive")
        (scripts,) = _pids(runtime, "batch")
        assert _policies(scripts) == {SCHED_IDLE}
        assert SCHED_IDLE not in _policies(requests)
        cancel = Cancel()
        thread = threading.Thread(
            target=runtime.run,
            args=(Script(Code.single("while True: pass")),),
            kwargs={"cancel": cancel},
        )
        thread.start()
        try:
            deadline = time.monotonic() + 5
            while runtime._processes[1].active == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert [p.active for p in runtime._processes] == [0, 1]
            assert _policies(scripts) == {SCHED_IDLE}  # its run's thread too
        finally:
            cancel.set()
            thread.join(5)


def test_each_request_process_keeps_to_a_core_of_its_own(runtime: Runtime) -> None:
    """Request processes are kept to one core each, in turn (every thread of them: the
    threads wasmtime answers file calls on too); the scripts' process is not."""
    cores = sorted(os.sched_getaffinity(0))
    kept = [os.sched_getaffinity(pid) for pid in _pids(runtime, "interactive")]
    assert kept == [{cores[slot % len(cores)]} for slot in range(len(kept))]
    for pid in _pids(runtime, "interactive"):
        for task in Path(f"/proc/{pid}/task").iterdir():
            assert os.sched_getaffinity(int(task.name)) == os.sched_getaffinity(pid)
    (scripts,) = _pids(runtime, "batch")
    assert os.sched_getaffinity(scripts) == set(cores)


def test_closing_the_runtime_ends_its_processes() -> None:
    runtime = Runtime(pool_size=2, processes=2)
    pids = _pids(runtime)
    assert len(set(pids)) == 3  # two for requests, one for scripts
    result = runtime.run(Script(Code.single("print(1)")))
    assert result.status is Status.OK
    runtime.close()
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid)


def _zombie(pid: int) -> bool:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] == "Z"


def test_read_on_an_event_loop_runs_answer_and_a_lost_process_is_noticed() -> None:
    """A server's runtime reads its processes on its event loop (no reader threads): runs
    end, output arrives, a process that dies ends its runs as killed and is replaced, and
    waiting for a process on that loop is refused rather than left to hang."""

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        runtime = await asyncio.to_thread(Runtime, pool_size=0, processes=0, loop=loop)
        try:
            assert all(process._reading is not None for process in runtime._processes)
            assert (await runtime.run_async(Script(Code.single("print('hi')")))).stdout == "hi\n"
            with pytest.raises(RuntimeError, match="event loop that reads it"):
                runtime.run(Script(Code.single("print('blocked')")))
            (victim,) = _pids(runtime)
            printed = asyncio.Event()
            source = "print('working', flush=True)\nwhile True: pass"
            running = asyncio.create_task(
                runtime.run_async(
                    Script(Code.single(source)), on_output=lambda stream, text: printed.set()
                )
            )
            await asyncio.wait_for(printed.wait(), 10)
            os.kill(victim, signal.SIGKILL)
            result = await asyncio.wait_for(running, 10)
            assert result.status is Status.KILLED
            assert "ended unexpectedly (killed by signal 9)" in result.message
            assert result.stdout == "working\n"
            after = await asyncio.wait_for(
                runtime.run_async(Script(Code.single("print('after')"))), 30
            )
            assert after.stdout == "after\n"
            assert victim not in _pids(runtime)
        finally:
            await asyncio.to_thread(runtime.close)

    asyncio.run(scenario())


def test_a_runtime_whose_loop_has_stopped_still_closes_at_once() -> None:
    """Closing does not wait for a loop that will never read again."""
    loop = asyncio.new_event_loop()
    try:
        runtime = loop.run_until_complete(
            asyncio.to_thread(Runtime, pool_size=0, processes=1, loop=loop)
        )
        loop.run_until_complete(asyncio.sleep(0.1))  # the loop takes up their sockets
    finally:
        loop.close()
    processes = list(runtime._processes)
    started = time.monotonic()
    runtime.close()
    assert time.monotonic() - started < 5  # waiting for the reading would take 11 s each
    assert all(process._ended.is_set() for process in processes)
