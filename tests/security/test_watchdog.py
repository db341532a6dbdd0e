"""The watchdog for host-side work: time a guest makes the host spend (parsing its frames,
answering its WASI calls) is invisible to fuel and epochs, so a run stuck there past its
deadline must not hold a sandbox process. Here the whole process is frozen (SIGSTOP), the
most general form of "stuck where the deadline cannot reach"."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

import pytest

from widgetbox.runtime import TOO_LONG, Code, Limits, RunResult, Runtime, Script, Status
from widgetbox.runtime._runtime import OVERDUE_GRACE

pytestmark = pytest.mark.security

MARGIN = 10.0
"""Room for a loaded machine beyond the guarantee (deadline + grace + a watchdog tick)."""


def test_a_run_stuck_past_its_deadline_loses_its_process_and_times_out() -> None:
    with Runtime(pool_size=0, processes=0) as runtime:  # only the scripts' process
        (pid,) = [process.pid for process in runtime._processes]
        results: dict[str, RunResult] = {}
        printing = {name: threading.Event() for name in ("stuck", "neighbour")}

        def run(name: str, timeout: float) -> None:
            source = "print('in', flush=True)\nwhile True: pass"
            results[name] = runtime.run(
                Script(Code.single(source)),
                limits=Limits.script().with_(timeout=timeout),
                on_output=lambda stream, text: printing[name].set(),
            )

        threads = {
            "stuck": threading.Thread(target=run, args=("stuck", 1.0)),
            "neighbour": threading.Thread(target=run, args=("neighbour", 60.0)),
        }
        for name, thread in threads.items():
            thread.start()
            assert printing[name].wait(10)
        started = time.monotonic()
        os.kill(pid, signal.SIGSTOP)  # nothing in the process runs: no epoch, no deadline
        try:
            for thread in threads.values():
                thread.join(1.0 + OVERDUE_GRACE + MARGIN)
        finally:
            with contextlib.suppress(ProcessLookupError):  # it should be gone
                os.kill(pid, signal.SIGCONT)
        assert not any(thread.is_alive() for thread in threads.values())
        assert time.monotonic() - started < 1.0 + OVERDUE_GRACE + MARGIN
        stuck, neighbour = results["stuck"], results["neighbour"]
        assert (stuck.status, stuck.message) == (Status.TIMEOUT, TOO_LONG)
        assert stuck.stdout == "in\n"
        assert neighbour.status is Status.KILLED
        assert "did not stop at its deadline" in neighbour.message
        assert not os.path.exists(f"/proc/{pid}")  # killed and reaped, not left behind
        after = runtime.run(Script(Code.single("print('after')")))
        assert after.stdout == "after\n"
        assert pid not in [process.pid for process in runtime._processes]
