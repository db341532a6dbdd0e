"""The `Task` object (`anvil/_tasks.py`, shared by the guest and the browser) on ordinary
CPython, over a stand-in transport serving the host's views (`host/tasks/views.py`): what
each method says of a task in Anvil's words, which errors it raises, how a `Task` crosses the
codec, and that client code may read a task but not launch, list, find or kill one."""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

import pytest

from widgetbox.host.tasks.views import termination
from widgetbox.runtime import RUN_STATUSES

pytestmark = pytest.mark.unit

START = "2026-12-05T10:30:00.000000Z"


@pytest.fixture
def tasks(guest_modules: None) -> Iterator[types.ModuleType]:
    import anvil.server  # noqa: F401 - registers the `task` tag, as in the guest
    from anvil import _tasks

    yield _tasks
    _tasks.set_transport(None)


def served(tasks: types.ModuleType, status: str, **view: Any) -> list[tuple[str, Any]]:
    """Answer every `get` with the view of a task whose run has `status`, as the host sends
    it (its termination too), with these fields; the requests made."""
    asked: list[tuple[str, Any]] = []
    full = {"id": "7", "name": "work", "start_time": START, "state": None, "value": None}
    full.update(status=status, termination=termination(status), error=None)
    full.update(view)

    def transport(op: str, data: Any) -> Any:
        asked.append((op, data))
        return full

    tasks.set_transport(transport)
    return asked


ANVILS_WORDS = {
    "queued": None,
    "running": None,
    "ok": "completed",
    "error": "failed",
    "timeout": "failed",
    "memory": "failed",
    "output_limit": "failed",
    "killed": "killed",
    "interrupted": "missing",
    "skipped": "missing",
}
"""What Anvil's `Task.get_termination_status()` says of a task whose run has each status
(runtime/statuses.json declares it; this is the expectation it is checked against)."""


def test_every_status_has_its_expected_words() -> None:
    assert list(ANVILS_WORDS) == list(RUN_STATUSES)


@pytest.mark.parametrize(("status", "words"), ANVILS_WORDS.items())
def test_termination_status_in_anvils_words(
    tasks: types.ModuleType, status: str, words: str | None
) -> None:
    served(tasks, status)
    task = tasks.Task("7")
    assert task.get_termination_status() == words
    assert task.is_running() is (words is None)
    assert task.is_running() is not RUN_STATUSES[status].finished


def test_a_status_the_vocabulary_lacks_is_a_missing_task(tasks: types.ModuleType) -> None:
    from anvil import server

    served(tasks, "vanished")
    task = tasks.Task("7")
    assert (task.get_termination_status(), task.is_running()) == ("missing", False)
    with pytest.raises(server.InternalError, match=r"The background task failed \(missing\)"):
        task.is_completed()


def test_a_completed_task(tasks: types.ModuleType) -> None:
    import datetime

    asked = served(tasks, "ok", state={"n": 1}, value={"$wb": "date", "v": "2026-12-05"})
    task = tasks.Task("7", cap="read.abc")
    assert task.is_completed() is True
    assert task.get_state() == {"n": 1}
    assert task.get_return_value() == datetime.date(2026, 12, 5)
    assert task.get_error() is None
    assert (task.get_id(), task.get_task_name()) == ("7", "work")
    assert task.get_start_time() == datetime.datetime(2026, 12, 5, 10, 30, tzinfo=datetime.UTC)
    assert asked[0] == ("get", {"id": "7", "cap": "read.abc"})  # the browser's capability


def test_a_task_that_has_not_written_a_state_has_an_empty_one(tasks: types.ModuleType) -> None:
    served(tasks, "queued")
    assert tasks.Task("7").get_state() == {}
    assert tasks.Task("7").get_return_value() is None
    assert tasks.Task("7").is_completed() is False


def test_a_failed_task_raises_its_error(tasks: types.ModuleType) -> None:
    from anvil import server

    served(tasks, "error", error={"type": "anvil.server.TimeoutError", "message": "slow"})
    task = tasks.Task("7")
    for method in (task.is_completed, task.get_error, task.get_return_value):
        with pytest.raises(server.TimeoutError, match="slow"):
            method()
    served(tasks, "error", error={"type": "ValueError", "message": "bad"})
    with pytest.raises(server.AnvilWrappedError, match="bad") as raised:
        tasks.Task("7").get_error()
    assert type(raised.value) is server.AnvilWrappedError


def test_a_killed_or_missing_task(tasks: types.ModuleType) -> None:
    from anvil import server

    served(tasks, "killed")
    with pytest.raises(server.BackgroundTaskKilled, match=r"The background task was killed\."):
        tasks.Task("7").is_completed()
    assert tasks.Task("7").get_error() is None
    served(tasks, "interrupted")
    with pytest.raises(server.InternalError, match=r"The background task failed \(missing\)"):
        tasks.Task("7").is_completed()


def test_a_task_crosses_the_codec_with_its_capability(tasks: types.ModuleType) -> None:
    from anvil import _serialize

    task = tasks.Task("7", cap="read.abc")
    encoded = _serialize.encode({"task": task})
    assert encoded == {"task": {"$wb": "task", "v": {"id": "7", "cap": "read.abc"}}}
    decoded = _serialize.decode(encoded)["task"]
    assert decoded == task
    assert decoded._cap == "read.abc"
    assert _serialize.encode(tasks.Task(12)) == {"$wb": "task", "v": {"id": "12"}}
    with pytest.raises(_serialize.SerializationError):
        _serialize.decode({"$wb": "task", "v": {"no": "id"}})


def test_client_code_may_read_a_task_but_not_manage_one(tasks: types.ModuleType) -> None:
    from anvil import server

    served(tasks, "running")
    task = tasks.Task("7", cap="read.abc")
    assert task.is_running()
    with pytest.raises(server.BackgroundTaskError, match="Can't manage background tasks"):
        task.kill()
    with pytest.raises(server.BackgroundTaskError, match="Can't launch background tasks"):
        tasks.launch_background_task("work")
    for manage in (lambda: tasks.get_background_task("7"), tasks.list_background_tasks):
        with pytest.raises(server.BackgroundTaskError, match="Can't manage background tasks"):
            manage()


def test_background_task_registers_by_name(tasks: types.ModuleType) -> None:
    from anvil import server

    @server.background_task
    def first() -> None: ...

    @server.background_task("second_name")
    def second() -> None: ...

    assert tasks._registered == {"first": first, "second_name": second}
    with pytest.raises(server.NoServerFunctionError, match='matching "second"'):
        server.launch_background_task("second")
    with pytest.raises(Exception, match="outside a background task"):
        server.task_state["x"] = 1
