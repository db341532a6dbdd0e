"""The sandbox processes behind the runtime: a process that dies takes only its own runs
with it and is replaced; Ctrl-C does not reach it; scripts run at idle priority; closing
the runtime leaves no process behind."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from widgetbox.runtime import Code, GuestError, Runtime, Script, Status

pytestmark = pytest.mark.sandbox

SCHED_IDLE = 5


def _pids(runtime: Runtime) -> list[int]:
    return [process.pid for process in runtime._processes]


def _policies(pid: int) -> set[int]:
    """The scheduling policy of each of a process's threads (field 41 of its stat)."""
    policies = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with (task / "stat").open() as f:
            policies.add(int(f.read().rsplit(")", 1)[1].split()[38]))
    return policies


def test_a_process_that_dies_fails_its_runs_and_is_replaced() -> None:
    with Runtime(pool_size=0, processes=1) as runtime:
        (victim,) = _pids(runtime)
        failures: list[BaseException] = []

        def run() -> None:
            try:
                runtime.run(Script(Code.single("while True: pass")))
            except GuestError as e:
                failures.append(e)

        thread = threading.Thread(target=run)
        thread.start()
        time.sleep(0.5)
        os.kill(victim, signal.SIGKILL)  # as a crash in wasmtime would
        thread.join(10)
        assert not thread.is_alive()
        assert "stopped unexpectedly" in str(failures[0])
        deadline = time.monotonic() + 15
        while _pids(runtime) == [victim] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _pids(runtime) != [victim]
        assert runtime.run(Script(Code.single("print('after')"))).stdout == "after\n"


def test_ctrl_c_in_a_terminal_does_not_reach_the_sandbox_processes(runtime: Runtime) -> None:
    for pid in _pids(runtime):
        os.kill(pid, signal.SIGINT)
    time.sleep(0.2)
    assert runtime.run(Script(Code.single("print('still here')"))).stdout == "still here\n"


def test_scripts_run_at_idle_priority() -> None:
    with Runtime(pool_size=0, processes=1) as runtime:
        (pid,) = _pids(runtime)
        assert SCHED_IDLE not in _policies(pid)
        cancel = threading.Event()
        thread = threading.Thread(
            target=runtime.run,
            args=(Script(Code.single("while True: pass")),),
            kwargs={"cancel": cancel},
        )
        thread.start()
        try:
            deadline = time.monotonic() + 5
            while SCHED_IDLE not in _policies(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert SCHED_IDLE in _policies(pid)
        finally:
            cancel.set()
            thread.join(5)


def test_closing_the_runtime_ends_its_processes() -> None:
    runtime = Runtime(pool_size=2, processes=2)
    pids = _pids(runtime)
    assert len(set(pids)) == 2
    result = runtime.run(Script(Code.single("print(1)")))
    assert result.status is Status.OK
    runtime.close()
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid)


def _zombie(pid: int) -> bool:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] == "Z"
