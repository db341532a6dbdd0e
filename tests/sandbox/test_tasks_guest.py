"""Background tasks inside the sandbox: the `task` mode of the driver (import the entry, call
the `@anvil.server.background_task` with its arguments, report its return value) and
`anvil.server.task_state`, whose changes reach the host's `tasks.state` (recorded here by a
stand-in handler on the session's bridge) at most every 50 ms while the task writes, and
whenever it sleeps or ends. Scripts are background tasks too; calls are not."""

from __future__ import annotations

import textwrap
import threading
from typing import Any

import pytest

from widgetbox.runtime import (
    Call,
    Code,
    HostCall,
    HostCallError,
    Limits,
    RunResult,
    Runtime,
    Script,
    Status,
    Task,
)

pytestmark = pytest.mark.sandbox


class States:
    """A stand-in for the host's `tasks.state`: every state sent, in order."""

    def __init__(self) -> None:
        self.sent: list[Any] = []
        self.refuse_over: int | None = None
        self._lock = threading.Lock()

    def __call__(self, call: HostCall, data: Any) -> None:
        if self.refuse_over is not None and len(str(data)) > self.refuse_over:
            raise HostCallError("QuotaExceededError", "anvil.server.task_state is too big here")
        with self._lock:
            self.sent.append(data)


@pytest.fixture
def states(runtime: Runtime) -> States:
    found = States()
    runtime.bridge.register("tasks.state", found)
    return found


SERVER = textwrap.dedent(
    """\
    import datetime
    import time
    import anvil.server

    @anvil.server.background_task
    def echo(*args, **kwargs):
        return {"args": args, "kwargs": kwargs, "types": [type(a).__name__ for a in args]}

    @anvil.server.background_task("other_name")
    def named():
        return "named"

    @anvil.server.background_task
    def writes(n):
        for i in range(n):
            anvil.server.task_state["i"] = i
        return n

    @anvil.server.background_task
    def sleeps():
        anvil.server.task_state["a"] = 1
        anvil.server.task_state["b"] = 2  # too soon after the first to be sent at once
        time.sleep(0.01)  # sleeping sends it
        anvil.server.task_state["items"] = []
        anvil.server.task_state["items"].append("nested")  # not a change it can see...
        # ...until the end, which sends the state as it is

    @anvil.server.background_task
    def replaces():
        anvil.server.task_state = {"replaced": True}

    @anvil.server.background_task
    def unportable():
        anvil.server.task_state["set"] = {1, 2}

    @anvil.server.background_task
    def fails():
        anvil.server.task_state["before"] = "failing"
        raise ValueError("failed on purpose")

    @anvil.server.background_task
    def unserializable_result():
        return {1, 2}

    @anvil.server.background_task
    def huge_result():
        return "x" * (2 * 1024 * 1024)

    @anvil.server.callable
    def in_a_call():
        anvil.server.task_state["x"] = 1
    """
)


def run(runtime: Runtime, name: str, *args: Any, code: str = SERVER, **kwargs: Any) -> RunResult:
    return runtime.run(
        Task(Code.single(code, "server.py"), name, args, kwargs),
        limits=Limits.script().with_(timeout=30),
    )


def test_a_task_gets_its_arguments_and_reports_its_return_value(
    runtime: Runtime, states: States
) -> None:
    import datetime

    when = datetime.datetime(2026, 12, 5, 10, 30, tzinfo=datetime.UTC)
    result = run(runtime, "echo", (1, 2), when, key="value")
    assert result.status is Status.OK, result.message
    assert result.value == {
        "args": [[1, 2], when],
        "kwargs": {"key": "value"},
        "types": ["list", "datetime"],
    }
    assert run(runtime, "other_name").value == "named"
    assert states.sent == []  # nothing was written, nothing sent


def test_unknown_tasks_and_unportable_results_are_errors(runtime: Runtime, states: States) -> None:
    for name in ("named", "no_such_task"):
        missing = run(runtime, name)
        assert missing.status is Status.ERROR
        assert missing.error is not None
        assert missing.error.qualified_type == "anvil.server.NoServerFunctionError"
        assert f'No background task matching "{name}"' in missing.error.message
    unserializable = run(runtime, "unserializable_result")
    assert unserializable.error is not None
    assert unserializable.error.type == "SerializationError"
    assert "Cannot serialize the return value" in unserializable.error.message
    huge = run(runtime, "huge_result")  # the host keeps at most 1 MiB of a return value
    assert huge.status is Status.ERROR
    assert "a result may be at most 1,048,576 bytes" in huge.message


def test_task_state_is_sent_at_most_every_50_ms_while_the_task_writes(
    runtime: Runtime, states: States
) -> None:
    result = run(runtime, "writes", 20_000)
    assert result.status is Status.OK, result.message
    assert states.sent[0] == {"i": 0}  # the first change goes at once
    assert states.sent[-1] == {"i": 19_999}  # the end sends the last
    assert len(states.sent) <= 2 + result.wall_time / 0.05
    assert result.host_calls is not None
    assert result.host_calls <= len(states.sent) + 1


def test_sleeping_and_ending_send_the_state_as_it_is(runtime: Runtime, states: States) -> None:
    assert run(runtime, "sleeps").status is Status.OK
    # (on a slow machine a write may come 50 ms after the last sending, and go at once too)
    assert states.sent[:2] == [{"a": 1}, {"a": 1, "b": 2}]
    assert states.sent[2:] in (
        [{"a": 1, "b": 2, "items": ["nested"]}],
        [{"a": 1, "b": 2, "items": []}, {"a": 1, "b": 2, "items": ["nested"]}],
    )
    states.sent.clear()
    assert run(runtime, "replaces").status is Status.OK
    assert states.sent == [{"replaced": True}]


def test_a_failed_task_still_sends_its_last_state(runtime: Runtime, states: States) -> None:
    result = run(runtime, "fails")
    assert result.error is not None
    assert (result.error.type, result.error.message) == ("ValueError", "failed on purpose")
    assert states.sent == [{"before": "failing"}]


def test_task_state_holds_only_portable_values(runtime: Runtime, states: States) -> None:
    result = run(runtime, "unportable")
    assert result.error is not None
    assert result.error.qualified_type == "anvil.server.SerializationError"
    assert "task_state cannot hold this" in result.error.message


def test_the_hosts_refusal_of_a_state_is_raised_in_the_task(
    runtime: Runtime, states: States
) -> None:
    states.refuse_over = 100
    code = SERVER + textwrap.dedent(
        """
        @anvil.server.background_task
        def too_big():
            try:
                anvil.server.task_state["big"] = "x" * 1000
            except anvil.server.QuotaExceededError as e:
                del anvil.server.task_state["big"]
                return str(e)
        """
    )
    assert run(runtime, "too_big", code=code).value == "anvil.server.task_state is too big here"


def test_a_scripts_run_is_a_task_with_task_state(runtime: Runtime, states: States) -> None:
    script = "import anvil.server\nanvil.server.task_state['script'] = True\n"
    result = runtime.run(Script(Code.single(script)))
    assert result.status is Status.OK, result.message
    assert states.sent == [{"script": True}]


def test_task_state_is_not_for_calls(runtime: Runtime, states: States) -> None:
    result = runtime.run(Call(Code.single(SERVER, "server.py"), "in_a_call"))
    assert result.error is not None
    assert result.error.message == "Cannot access anvil.server.task_state outside a background task"
    assert states.sent == []


def test_a_task_module_that_launches_while_imported_fails(runtime: Runtime, states: States) -> None:
    code = SERVER + "\nanvil.server.launch_background_task('other_name')\n"
    result = run(runtime, "other_name", code=code)
    assert result.error is not None
    assert result.error.qualified_type == "anvil.server.BackgroundTaskError"
    assert "if __name__ == '__main__':" in result.error.message
