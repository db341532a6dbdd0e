"""The runtime as the host uses it: pool, parallel runs, asyncio, shutdown, caching."""

from __future__ import annotations

import asyncio
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tests._timing import within
from widgetbox.runtime import Code, Limits, Runtime, Script, Status, _engine

pytestmark = pytest.mark.sandbox


def test_the_pool_is_filled_ahead_of_demand(runtime: Runtime) -> None:
    assert runtime.pool_size == 2
    assert runtime.wait_ready(10)


def test_every_run_gets_a_fresh_interpreter(runtime: Runtime) -> None:
    source = textwrap.dedent(
        """
        import builtins, os, sys
        print(hasattr(builtins, "left_behind"), os.listdir("/tmp"), "planted" in sys.modules)
        builtins.left_behind = True
        open("/tmp/trace", "w").write("secret")
        sys.modules["planted"] = sys
        """
    )
    for _ in range(3):
        result = runtime.run(Script(Code.single(source)))
        assert result.stdout == "False [] False\n"


def test_two_runs_execute_at_the_same_time(runtime: Runtime) -> None:
    # Each run waits at a two-party barrier in a host call: both must be inside their
    # sandboxes at once for either to pass it. No timing is measured.
    barrier = threading.Barrier(2, timeout=10)
    runtime.bridge.register("t_runtime.meet", lambda call, data: barrier.wait() >= 0)
    source = "from _widgetbox import bridge\nprint(bridge.call('t_runtime.meet'))"
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(runtime.run(Script(Code.single(source)))))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.stdout for r in results] == ["True\n", "True\n"]  # type: ignore[attr-defined]


def test_run_async_and_cancelling_the_task(runtime: Runtime) -> None:
    async def main() -> tuple[object, float]:
        done = await runtime.run_async(Script(Code.single("print('async')")))
        task = asyncio.create_task(runtime.run_async(Script(Code.single("while True: pass"))))
        await asyncio.sleep(0.3)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return done, time.monotonic() - started

    done, cancel_took = asyncio.run(main())
    assert done.stdout == "async\n"  # type: ignore[attr-defined]
    assert within(cancel_took, 0.01)  # a tick, not the run's five-minute limit


def test_closing_the_runtime_kills_running_work(tmp_path: Path) -> None:
    runtime = Runtime(pool_size=0, work_dir=tmp_path)
    results: list[object] = []
    thread = threading.Thread(
        target=lambda: results.append(
            runtime.run(Script(Code.single("while True: pass")), limits=Limits.script())
        )
    )
    thread.start()
    time.sleep(0.3)
    runtime.close()
    thread.join(5)
    assert results[0].status is Status.KILLED  # type: ignore[attr-defined]
    assert "shutting down" in results[0].message  # type: ignore[attr-defined]
    assert list(tmp_path.iterdir()) == []  # the runtime's temporary files are gone
    with pytest.raises(RuntimeError, match="closed"):
        runtime.run(Script(Code.single("pass")))


def test_a_second_runtime_loads_the_compiled_module_from_the_cache(runtime: Runtime) -> None:
    cached = _engine.cache_path(runtime.interpreter)
    before = cached.stat().st_mtime_ns
    with Runtime(pool_size=0) as second:
        assert second.run(Script(Code.single("print(1)"))).stdout == "1\n"
    assert cached.stat().st_mtime_ns == before
