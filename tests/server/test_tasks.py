"""Background tasks through the real app, written from Anvil's documentation: a task launched
from a GUI app's server function and from an HTTP endpoint runs in its own interpreter on
the batch lane, shows in the widget's run history with its output, and its `Task` tells
other calls its state, return value or error; tasks are killed, found by id and listed;
the owner's queue limits, the five-minute limit (shortened here) and the cap on
`task_state` apply; browsers read the `Task`s they were handed through `/_/task` and
nothing else. Scripts are background tasks too."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests._timing import by_deadline
from tests.server._client import Browser, assert_error, tampered
from tests.server._runs import Gates, history, run_detail, script_widget, start_run, wait_for_run
from tests.server.conftest import Server
from widgetbox.host.runs import admission
from widgetbox.host.runs.states import MAX_STATE_BYTES
from widgetbox.host.widgets.starters import TEMPLATES
from widgetbox.runtime import TOO_LONG, Limits

pytestmark = pytest.mark.server

SERVER = """\
import time
import anvil.server
from _widgetbox import bridge


def gate(name):
    bridge.call("test.gate", name)


@anvil.server.background_task
def count(n, label="count", hold=None):
    print("counting to", n)
    for i in range(n):
        anvil.server.task_state["i"] = i
    anvil.server.task_state["label"] = label
    time.sleep(0)  # sleeping sends the state
    if hold:
        gate(hold)
    return {"total": n, "label": label}


@anvil.server.background_task("renamed")
def original():
    return "by its other name"


@anvil.server.background_task
def fails(kind):
    anvil.server.task_state["before"] = True
    if kind == "anvil":
        raise anvil.server.NoServerFunctionError("raised in the task")
    raise ValueError("bad value in the task")


@anvil.server.background_task
def forever():
    anvil.server.task_state["started"] = True
    while True:
        time.sleep(0.05)


@anvil.server.background_task
def echo(*args, **kwargs):
    return {"args": args, "kwargs": kwargs, "types": [type(a).__name__ for a in args]}


@anvil.server.callable
def launch_unserializable():
    return anvil.server.launch_background_task("echo", {1, 2})


@anvil.server.background_task
def spin():
    print("spinning")
    while True:
        pass


@anvil.server.background_task
def big_state(size, give_up=True):
    try:
        anvil.server.task_state["big"] = "x" * size
    except anvil.server.QuotaExceededError as e:
        if give_up:  # else the state left at the end is refused too: the task fails
            del anvil.server.task_state["big"]
        return "refused: " + str(e)
    return "kept"


@anvil.server.callable
def launch(name, *args, **kwargs):
    return anvil.server.launch_background_task(name, *args, **kwargs)


@anvil.server.callable
def launch_many(name, count):
    launched, refused = 0, None
    for _ in range(count):
        try:
            anvil.server.launch_background_task(name)
        except anvil.server.BackgroundTaskError as e:
            refused = str(e)
            break
        launched += 1
    return {"launched": launched, "refused": refused}


def describe(task):
    info = {
        "id": task.get_id(),
        "name": task.get_task_name(),
        "running": task.is_running(),
        "status": task.get_termination_status(),
        "state": task.get_state(),
        "start": task.get_start_time().isoformat(),
    }
    try:
        info["completed"] = task.is_completed()
        info["value"] = task.get_return_value()
        info["error"] = task.get_error()
    except anvil.server.AnvilWrappedError as e:
        info["raised"] = [type(e).__name__, str(e)]
    return info


@anvil.server.callable
def inspect(task):
    return describe(task)


@anvil.server.callable
def inspect_id(task_id):
    try:
        return describe(anvil.server.get_background_task(task_id))
    except anvil.server.BackgroundTaskNotFound as e:
        return {"not_found": str(e)}


@anvil.server.callable
def kill(task):
    task.kill()
    return describe(task)


@anvil.server.callable
def listed():
    return [[task.get_id(), task.get_task_name()] for task in anvil.server.list_background_tasks()]


@anvil.server.callable
def outside():
    try:
        anvil.server.task_state["x"] = 1
    except Exception as e:
        return str(e)
"""

API = """\
import anvil.server


@anvil.server.background_task
def greet(name):
    print("hello,", name)
    anvil.server.task_state["greeted"] = name
    return "Hello, " + name + "!"


@anvil.server.route("/launch")
def launch(name="world"):
    return {"id": anvil.server.launch_background_task("greet", name).get_id()}


@anvil.server.route("/task/:task_id")
def read(task_id):
    task = anvil.server.get_background_task(task_id)
    return {
        "status": task.get_termination_status(),
        "value": task.get_return_value(),
        "state": task.get_state(),
        "name": task.get_task_name(),
    }
"""

DEADLINE = 30.0


def app_url(server: Server, slug: str, path: str = "/") -> str:
    return f"http://{slug}.{server.config.apps_host}{path}"


def origin(server: Server, slug: str) -> dict[str, str]:
    return {"origin": app_url(server, slug, "")}


def make_app(owner: Browser, server_code: str = SERVER, title: str = "Tasks app") -> str:
    slug: str = owner.create_widget("gui", title, visibility="public")["slug"]
    files = {**TEMPLATES["gui"], "server.py": server_code}
    response = owner.post(f"/api/widgets/{slug}/versions", json={"base_version": 1, "files": files})
    assert response.status_code == 201, response.text
    return slug


def call(
    browser: Browser, server: Server, slug: str, name: str, *args: Any, **kwargs: Any
) -> httpx.Response:
    return browser.client.post(
        app_url(server, slug, "/_/call"),
        json={"name": name, "args": list(args), "kwargs": kwargs},
        headers=origin(server, slug),
    )


def value(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    answer = response.json()
    assert "value" in answer, answer
    return answer["value"]


def exception(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    answer = response.json()
    assert "exception" in answer, answer
    found: dict[str, str] = answer["exception"]
    return found


def read_task(browser: Browser, server: Server, slug: str, body: Any) -> httpx.Response:
    return browser.client.post(
        app_url(server, slug, "/_/task"), json=body, headers=origin(server, slug)
    )


def task_id(task: dict[str, Any]) -> int:
    assert task["$wb"] == "task", task
    return int(task["v"]["id"])


def until(check: Any, what: str) -> Any:
    deadline = time.monotonic() + DEADLINE
    while not (found := check()):
        assert time.monotonic() < deadline, f"not in time: {what}"
        time.sleep(0.02)
    return found


@pytest.fixture
def gates(server: Server) -> Iterator[Gates]:
    found = Gates(server.app.state.runtime.bridge)
    yield found
    found.open_all()


@pytest.fixture
def app(server: Server, alice: Browser) -> str:
    return make_app(alice)


# -- launching, state, return value ----------------------------------------------------------


def test_a_server_function_launches_a_task_whose_state_another_call_reads(
    server: Server, alice: Browser, anon: Browser, app: str, gates: Gates
) -> None:
    task = value(call(anon, server, app, "launch", "count", 1000, label="counted", hold="end"))
    run_id = task_id(task)
    gates.wait_reached("end")
    # another call, in another interpreter, reads the task it is handed back
    seen = value(call(anon, server, app, "inspect", task))
    assert seen["state"] == {"i": 999, "label": "counted"}
    assert (seen["id"], seen["name"], seen["running"], seen["status"]) == (
        str(run_id),
        "count",
        True,
        None,
    )
    assert (seen["completed"], seen["value"], seen["error"]) == (False, None, None)
    assert seen["start"].endswith("+00:00")
    gates.open("end")
    run = wait_for_run(alice, run_id)
    assert (run["status"], run["trigger"], run["task_name"]) == ("ok", "task", "count")
    done = value(call(anon, server, app, "inspect", task))
    assert (done["running"], done["status"], done["completed"]) == (False, "completed", True)
    assert done["value"] == {"total": 1000, "label": "counted"}
    assert done["state"] == {"i": 999, "label": "counted"}  # the last state is kept


def test_a_task_is_a_run_in_the_history_with_its_output(
    server: Server, alice: Browser, anon: Browser, app: str
) -> None:
    run_id = task_id(value(call(anon, server, app, "launch", "count", 3)))
    run = wait_for_run(alice, run_id)
    assert run["stdout"] == "counting to 3\n"
    assert run["task_state"] == {"i": 2, "label": "count"}
    assert run["task_value"] == {"total": 3, "label": "count"}
    assert run["user"] is None  # a visitor's call launched it; the owner's limits apply
    assert [(r["id"], r["trigger"], r["task_name"]) for r in history(alice, app)] == [
        (run_id, "task", "count")
    ]
    page = alice.get(f"/widgets/{app}/runs")
    assert page.status_code == 200
    assert "Background task" in page.text
    assert "<code>count</code>" in page.text
    assert alice.get(f"/widgets/{app}/runs/{run_id}").status_code == 200


def test_an_http_endpoint_launches_a_task(server: Server, alice: Browser) -> None:
    slug = script_widget(alice, API, kind="http", title="Task API", visibility="public")
    launched = alice.get(f"/w/{slug}/launch", params={"name": "Ada"})
    assert launched.status_code == 200, launched.text
    run_id = int(launched.json()["id"])
    run = wait_for_run(alice, run_id)
    assert (run["status"], run["stdout"], run["task_name"]) == ("ok", "hello, Ada\n", "greet")
    read = alice.get(f"/w/{slug}/task/{run_id}")
    assert read.status_code == 200, read.text
    assert read.json() == {
        "status": "completed",
        "value": "Hello, Ada!",
        "state": {"greeted": "Ada"},
        "name": "greet",
    }
    assert [r["trigger"] for r in history(alice, slug)] == ["task"]
    # another widget's server code cannot find it
    other = script_widget(alice, API, kind="http", title="Other API", visibility="public")
    assert alice.get(f"/w/{other}/task/{run_id}").status_code == 500
    assert "BackgroundTaskNotFound" in alice.get(f"/api/widgets/{other}/logs").text


def test_a_task_registered_under_another_name(
    server: Server, alice: Browser, anon: Browser, app: str
) -> None:
    run_id = task_id(value(call(anon, server, app, "launch", "renamed")))
    assert wait_for_run(alice, run_id)["task_value"] == "by its other name"
    refused = exception(call(anon, server, app, "launch", "original"))
    assert refused["type"] == "anvil.server.NoServerFunctionError"
    assert 'No background task matching "original"' in refused["message"]


def test_a_failed_task_raises_its_error_to_whoever_asks(
    server: Server, alice: Browser, anon: Browser, app: str
) -> None:
    for kind, raised in (
        ("plain", ["AnvilWrappedError", "bad value in the task"]),
        ("anvil", ["NoServerFunctionError", "raised in the task"]),
    ):
        task = value(call(anon, server, app, "launch", "fails", kind))
        run = wait_for_run(alice, task_id(task))
        assert run["status"] == "error"
        seen = value(call(anon, server, app, "inspect", task))
        assert (seen["status"], seen["raised"]) == ("failed", raised)
        assert seen["state"] == {"before": True}


def test_arguments_and_values_follow_a_server_calls_rules(
    server: Server, alice: Browser, anon: Browser, app: str
) -> None:
    when = {"$wb": "datetime", "v": "2026-12-05T10:30:00+00:00"}
    task = value(call(anon, server, app, "launch", "echo", [1, 2], when, key="value"))
    run = wait_for_run(alice, task_id(task))
    assert run["task_value"] == {
        "args": [[1, 2], when],
        "kwargs": {"key": "value"},
        "types": ["list", "datetime"],
    }
    refused = exception(call(anon, server, app, "launch_unserializable"))
    assert refused["type"] == "anvil.server.SerializationError"
    assert "Cannot pass the arguments" in refused["message"]


# -- killing, finding, listing ---------------------------------------------------------------


def test_server_code_kills_a_task(server: Server, alice: Browser, anon: Browser, app: str) -> None:
    task = value(call(anon, server, app, "launch", "forever"))
    until(lambda: value(call(anon, server, app, "inspect", task))["state"], "the task started")
    killed = value(call(anon, server, app, "kill", task))
    assert (killed["running"], killed["status"]) == (False, "killed")
    assert killed["raised"] == ["BackgroundTaskKilled", "The background task was killed."]
    assert killed["state"] == {"started": True}
    assert wait_for_run(alice, task_id(task))["status"] == "killed"
    again = value(call(anon, server, app, "kill", task))  # killing an ended task does nothing
    assert again["status"] == "killed"


def test_tasks_are_found_by_id_and_listed(
    server: Server, alice: Browser, anon: Browser, app: str
) -> None:
    first = task_id(value(call(anon, server, app, "launch", "count", 1)))
    second = task_id(value(call(anon, server, app, "launch", "renamed")))
    for run_id in (first, second):
        wait_for_run(alice, run_id)
    assert value(call(anon, server, app, "listed")) == [
        [str(second), "renamed"],
        [str(first), "count"],
    ]
    found = value(call(anon, server, app, "inspect_id", str(first)))
    assert (found["name"], found["value"]) == ("count", {"total": 1, "label": "count"})
    assert value(call(anon, server, app, "inspect_id", first))["id"] == str(first)
    for missing in ("999999", "nonsense", -1):
        assert (
            "Background Task not found"
            in value(call(anon, server, app, "inspect_id", missing))["not_found"]
        )
    # another app's tasks are not this one's
    other = make_app(alice, title="Other app")
    assert "not_found" in value(call(anon, server, other, "inspect_id", str(first)))
    assert value(call(anon, server, other, "listed")) == []


# -- limits ----------------------------------------------------------------------------------


def test_tasks_queue_under_the_owners_limits(
    make_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admission, "PER_USER_WAITING", 1)
    server = make_server(runs_per_user=1)
    server.user("admin")
    alice = server.user("alice")
    slug = make_app(alice)
    anon = server.browser()
    launched = value(call(anon, server, slug, "launch_many", "forever", 5))
    # one runs (one per user), one waits, the next is refused in the launching code
    assert launched["launched"] == 2
    assert "runs waiting already" in launched["refused"]
    runs = history(alice, slug)
    assert sorted(run["status"] for run in runs) == ["queued", "running"]


def test_tasks_have_the_script_time_limit(
    server: Server, alice: Browser, anon: Browser, app: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five minutes cannot be waited for here: a task takes its limits from
    `Limits.script()` as a script does, so making that one second shows in the task."""
    assert Limits.script().timeout == 300
    monkeypatch.setattr(Limits, "script", classmethod(lambda cls: Limits(timeout=1.0)))
    task = value(call(anon, server, app, "launch", "spin"))
    run = wait_for_run(alice, task_id(task))
    assert (run["status"], run["message"], run["stdout"]) == ("timeout", TOO_LONG, "spinning\n")
    assert by_deadline(run["wall_time"], 1.0)  # the one second, not five minutes
    seen = value(call(anon, server, app, "inspect", task))
    assert (seen["status"], seen["raised"]) == ("failed", ["TimeoutError", TOO_LONG])


def test_task_state_has_a_size_cap(server: Server, alice: Browser, anon: Browser, app: str) -> None:
    kept = value(call(anon, server, app, "launch", "big_state", 1000))
    run = wait_for_run(alice, task_id(kept))
    assert (run["task_value"], run["task_state"]) == ("kept", {"big": "x" * 1000})
    for size, reason in (
        (MAX_STATE_BYTES, "may hold at most 256 KiB (as JSON)"),
        (2 * 1024 * 1024, "is too large: a request may be at most"),  # the bridge's own cap
    ):
        refused = value(call(anon, server, app, "launch", "big_state", size))
        run = wait_for_run(alice, task_id(refused))
        assert run["task_value"].startswith("refused: anvil.server.task_state "), run
        assert reason in run["task_value"]
        assert run["task_state"] is None
    # a task that ends with a state too large to keep fails (as Anvil fails one whose state
    # cannot be serialised)
    kept_big = value(call(anon, server, app, "launch", "big_state", MAX_STATE_BYTES, False))
    run = wait_for_run(alice, task_id(kept_big))
    assert run["status"] == "error"
    assert run["message"].startswith("QuotaExceededError: anvil.server.task_state may hold")
    seen = value(call(anon, server, app, "inspect", kept_big))
    assert seen["raised"][0] == "QuotaExceededError"


def test_task_state_is_only_for_tasks(server: Server, anon: Browser, app: str) -> None:
    assert value(call(anon, server, app, "outside")) == (
        "Cannot access anvil.server.task_state outside a background task"
    )


# -- browsers read the tasks they were handed ------------------------------------------------


def test_a_browser_reads_a_task_it_was_handed_and_nothing_else(
    server: Server, alice: Browser, anon: Browser, app: str
) -> None:
    task = value(call(anon, server, app, "launch", "count", 2))
    run_id = task_id(task)
    wait_for_run(alice, run_id)
    answer = read_task(anon, server, app, task["v"])
    assert answer.status_code == 200, answer.text
    view = answer.json()["ok"]
    assert (view["id"], view["name"], view["status"]) == (str(run_id), "count", "ok")
    assert view["state"] == {"i": 1, "label": "count"}
    assert view["value"] == {"total": 2, "label": "count"}
    assert view["error"] is None
    forged = [
        {"id": task["v"]["id"], "cap": tampered(task["v"]["cap"])},
        {"id": task["v"]["id"]},
    ]
    for body in forged:
        assert read_task(anon, server, app, body).json()["error"]["type"].endswith("NotFound")
    other = task_id(value(call(anon, server, app, "launch", "renamed")))
    assert read_task(anon, server, app, {"id": str(other), "cap": task["v"]["cap"]}).json() == {
        "error": {
            "type": "anvil.server.BackgroundTaskNotFound",
            "message": f"Background Task not found: {other}",
        }
    }
    # a task made up by the browser cannot be passed to server code either
    made_up = {"$wb": "task", "v": {"id": str(other), "cap": task["v"]["cap"]}}
    assert_error(call(anon, server, app, "inspect", made_up), 400, "invalid_capability")
    # nor read from another app's origin, nor with another app's capability
    second = make_app(alice, title="Second app")
    assert read_task(anon, server, second, task["v"]).json()["error"]["type"].endswith("NotFound")
    crossed = anon.client.post(
        app_url(server, app, "/_/task"), json=task["v"], headers=origin(server, second)
    )
    assert_error(crossed, 403, "cross_origin")
    assert_error(read_task(anon, server, app, {"id": "x"}), 400, "bad_call")


# -- scripts are background tasks -------------------------------------------------------------

SCRIPT = """\
import time
import anvil.server


@anvil.server.background_task
def child(x):
    print("child", x)
    return x * 2


if __name__ == "__main__":
    anvil.server.task_state["phase"] = "main"
    task = anvil.server.launch_background_task("child", 21)
    while task.is_running():
        time.sleep(0.02)
    print("child returned", task.get_return_value())
    print([t.get_task_name() for t in anvil.server.list_background_tasks()])
"""


def test_a_script_run_is_a_task_and_launches_tasks(make_server: Any) -> None:
    server = make_server(workers=2)
    server.user("admin")
    alice = server.user("alice")
    slug = script_widget(alice, SCRIPT)
    run = wait_for_run(alice, start_run(alice, slug)["id"])
    assert run["status"] == "ok", run
    assert run["stdout"] == "child returned 42\n['child', '__main__']\n"
    assert (run["task_name"], run["task_state"], run["task_value"]) == (
        None,
        {"phase": "main"},
        None,
    )
    runs = history(alice, slug)
    assert [(r["trigger"], r["task_name"]) for r in runs] == [("task", "child"), ("manual", None)]
    child = run_detail(alice, runs[0]["id"])
    assert (child["stdout"], child["task_value"]) == ("child 21\n", 42)


def test_a_task_whose_module_launches_on_import_fails_instead_of_repeating(
    server: Server, alice: Browser
) -> None:
    unguarded = textwrap.dedent(
        """\
        import anvil.server

        @anvil.server.background_task
        def child():
            return 1

        anvil.server.launch_background_task("child")
        """
    )
    slug = script_widget(alice, unguarded)
    assert wait_for_run(alice, start_run(alice, slug)["id"])["status"] == "ok"
    child = until(lambda: [r for r in history(alice, slug) if r["trigger"] == "task"], "child")
    run = wait_for_run(alice, child[0]["id"])
    assert run["status"] == "error"
    assert "if __name__ == '__main__':" in run["message"]
    assert len(history(alice, slug)) == 2  # and nothing more was launched


def test_old_tasks_lose_their_state_and_value_with_their_output(
    server: Server, alice: Browser, anon: Browser, app: str
) -> None:
    from datetime import timedelta

    from widgetbox.host.runs import records as runs
    from widgetbox.host.storage.times import iso, now

    task = value(call(anon, server, app, "launch", "count", 2))
    wait_for_run(alice, task_id(task))
    assert server.db.write_now(runs.prune_output, 0, iso(now() + timedelta(days=1))) >= 1
    run = run_detail(alice, task_id(task))
    assert (run["stdout"], run["task_state"], run["task_value"]) == ("", None, None)
    seen = value(call(anon, server, app, "inspect", task))
    assert (seen["status"], seen["state"], seen["value"]) == ("completed", {}, None)
