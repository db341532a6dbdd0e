"""Runs of scripts through the real app: the owner starts one, follows its output live as
Server-Sent Events, reads its record and history, and cancels it; no one else may run or see
it; runs have the script limits; a restart runs again what was queued and marks what was
running interrupted; old output is
pruned. Runs use the real sandbox; where a run must be caught in the middle, its code waits at
a gate the test opens."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from tests._timing import by_deadline, within
from tests.server._client import Browser, assert_error, login
from tests.server._data import widget_id
from tests.server._live import serve
from tests.server._runs import (
    Event,
    Gates,
    events_of,
    gate,
    history,
    output,
    read_events,
    run_detail,
    script_widget,
    start_run,
    wait_for_run,
)
from tests.server.conftest import Server, running_server
from widgetbox.host.runs import live
from widgetbox.host.runs import records as runs
from widgetbox.host.runs.fuel import FUEL_PER_CPU_MS
from widgetbox.host.storage.times import iso, now
from widgetbox.host.web.format import cpu, fuel
from widgetbox.runtime import TOO_LONG, Limits

pytestmark = pytest.mark.server

CANCELLED = "The run was cancelled"


@pytest.fixture
def gates(server: Server) -> Iterator[Gates]:
    found = Gates(server.app.state.runtime.bridge)
    yield found
    found.open_all()


# -- following a run -----------------------------------------------------------------------


LIVE_SCRIPT = f"""\
import sys
print("first")
print("careful", file=sys.stderr)
{gate("middle")}
print("second")
"""


def test_the_owner_follows_a_run_as_it_prints(tmp_path: Path) -> None:
    """Over real HTTP, so the events arrive as they are sent: the output printed before the
    gate is read while the run is still waiting there."""
    with serve(tmp_path / "data") as server:
        server.user("admin")
        alice = server.user("alice")
        gates = Gates(server.app.state.runtime.bridge)
        try:
            slug = alice.widget_with("script", {"main.py": LIVE_SCRIPT})
            started = alice.api("POST", f"/api/widgets/{slug}/runs")
            assert started.status_code == 202, started.text
            run = started.json()
            assert run["status"] in {"queued", "running"}
            assert (run["trigger"], run["user"], run["widget"]) == ("manual", "alice", slug)

            seen: list[Event] = []
            with alice.http.stream("GET", f"/api/runs/{run['id']}/events") as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/event-stream")
                events = read_events(response.iter_lines())
                while "careful" not in output(seen, "stderr") or not output(seen, "stdout"):
                    seen.append(next(events))
                gates.wait_reached("middle")
                # the run is still going: the output arrived before its end
                middle = alice.run_detail(run["id"])
                assert middle["status"] == "running"
                assert middle["finished_at"] is None
                assert not any(event.kind == "done" for event in seen)
                gates.open("middle")
                seen.extend(events)
        finally:
            gates.open_all()

        kinds = [event.kind for event in seen]
        assert kinds[:2] == ["status", "status"]
        assert [event.data["status"] for event in seen[:2]] == ["queued", "running"]
        assert kinds[-1] == "done"
        assert set(kinds[2:-1]) == {"output"}
        assert output(seen, "stdout") == "first\nsecond\n"  # the streams are kept apart
        assert output(seen, "stderr") == "careful\n"
        done = seen[-1].data
        assert done["run"] == run["id"]
        assert (done["status"], done["error"], done["output_truncated"]) == ("ok", None, False)
        assert done["wall_time"] > 0
        assert done["fuel"] > 0

        record = alice.run_detail(run["id"])
        assert record["status"] == "ok"
        assert (record["user"], record["trigger"], record["version"]) == ("alice", "manual", 2)
        assert record["queued_at"] <= record["started_at"] <= record["finished_at"]
        assert record["wall_time"] == done["wall_time"]
        assert record["fuel"] == done["fuel"]
        assert record["peak_memory"] > 0
        assert record["host_calls"] >= 1  # the gate
        assert (record["stdout"], record["stderr"]) == ("first\nsecond\n", "careful\n")
        assert (record["error"], record["output_truncated"], record["request"]) == (
            None,
            False,
            None,
        )


FAILING = """\
import helper


def main():
    helper.explode(0)


main()
"""


def test_a_failed_run_keeps_its_trimmed_traceback(server: Server, alice: Browser) -> None:
    slug = script_widget(alice, FAILING, **{"helper.py": "def explode(n):\n    return 1 / n\n"})
    run = wait_for_run(alice, start_run(alice, slug)["id"])
    assert run["status"] == "error"
    error = run["error"]
    assert (error["type"], error["message"]) == ("ZeroDivisionError", "division by zero")
    assert [(f["filename"], f["lineno"], f["name"]) for f in error["frames"]] == [
        ("main.py", 8, "<module>"),
        ("main.py", 5, "main"),
        ("helper.py", 2, "explode"),
    ]
    assert error["frames"][-1]["line"] == "return 1 / n"
    assert error["lineno"] == 2
    assert 'File "helper.py", line 2, in explode' in error["traceback"]
    assert "_widgetbox" not in error["traceback"]  # trimmed to the widget's own frames

    # the summary at the end of the live events carries the same error
    [done] = [e for e in events_of(alice.get(f"/api/runs/{run['id']}/events")) if e.kind == "done"]
    assert done.data["status"] == "error"
    assert done.data["error"]["frames"] == error["frames"]


def test_a_finished_runs_events_replay_its_record(
    server: Server, alice: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "LINGER", 0.0)  # the live channel goes as soon as the run ends
    slug = script_widget(alice, "import sys\nprint('out')\nprint('err', file=sys.stderr)\n")
    run = wait_for_run(alice, start_run(alice, slug)["id"])
    deadline = time.monotonic() + 10
    while server.app.state.live.get(run["id"]) is not None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    events = events_of(alice.get(f"/api/runs/{run['id']}/events"))
    assert [e.kind for e in events] == ["status", "output", "output", "done"]
    assert events[0].data == {"status": "ok"}
    assert (output(events, "stdout"), output(events, "stderr")) == ("out\n", "err\n")
    done = events[-1].data
    assert done["run"] == run["id"]
    assert (done["status"], done["wall_time"], done["fuel"]) == (
        "ok",
        run["wall_time"],
        run["fuel"],
    )


def test_history_lists_runs_newest_first(server: Server, alice: Browser) -> None:
    slug = script_widget(alice, "print('hi')\n")
    ids = [wait_for_run(alice, start_run(alice, slug)["id"])["id"] for _ in range(3)]
    listed = history(alice, slug)
    assert [run["id"] for run in listed] == ids[::-1]
    assert {(run["trigger"], run["status"], run["user"]) for run in listed} == {
        ("manual", "ok", "alice")
    }
    assert "stdout" not in listed[0]  # the list is a summary; the record has the output
    assert [run["id"] for run in history(alice, slug, limit=1, offset=1)] == [ids[1]]
    assert alice.get(f"/api/widgets/{slug}/logs").json()["runs"] == []  # requests only


def test_runs_are_numbered_per_widget(server: Server, alice: Browser) -> None:
    """People see a widget's runs as #1, #2, ... of that widget, whatever else runs on the
    server; the id stays the run's address."""
    first = script_widget(alice, "print('one')\n", title="First")
    second = script_widget(alice, "print('two')\n", title="Second")
    order = [first, second, first, first, second]
    done = [wait_for_run(alice, start_run(alice, slug)["id"]) for slug in order]
    assert [run["number"] for run in done] == [1, 1, 2, 3, 2]
    assert [run["number"] for run in history(alice, first)] == [3, 2, 1]
    assert len({run["id"] for run in done}) == 5
    third = done[3]
    page = alice.get(f"/widgets/{first}/runs/{third['id']}")
    assert "<h2>Run #3 " in page.text
    assert (
        f'<a href="/widgets/{first}/runs/{third["id"]}">#3</a>'
        in alice.get(f"/widgets/{first}/runs").text
    )


def test_requests_and_calls_are_numbered_with_the_widgets_runs(
    server: Server, alice: Browser, anon: Browser
) -> None:
    api = "import anvil.server\n\n@anvil.server.route('/hi')\ndef hi(**q):\n    return 'hi'\n"
    slug = script_widget(alice, api, kind="http", title="Numbered API", visibility="public")
    for _ in range(3):
        assert anon.client.get(f"/w/{slug}/hi").status_code == 200
    logs = alice.get(f"/api/widgets/{slug}/logs").json()["runs"]  # flushes the request log
    assert [run["number"] for run in logs] == [3, 2, 1]


def test_fuel_comes_with_an_estimate_of_cpu_time(server: Server, alice: Browser) -> None:
    slug = script_widget(alice, "total = sum(i * i for i in range(200_000))\nprint(total)\n")
    run = wait_for_run(alice, start_run(alice, slug)["id"])
    assert run["fuel"] > 0
    assert run["cpu_ms"] == pytest.approx(run["fuel"] / FUEL_PER_CPU_MS)
    assert history(alice, slug)[0]["cpu_ms"] == run["cpu_ms"]
    page = alice.get(f"/widgets/{slug}/runs/{run['id']}").text
    assert f'title="{fuel(run["fuel"])} fuel">{cpu(run["cpu_ms"])}</dd>' in page
    assert "CPU" in cpu(run["cpu_ms"])


def test_only_the_owner_runs_a_widget_and_sees_its_runs(
    server: Server, alice: Browser, bob: Browser, anon: Browser
) -> None:
    public = script_widget(alice, "print('mine')\n", title="Public", visibility="public")
    private = script_widget(alice, "print('mine')\n", title="Private")
    run = wait_for_run(alice, start_run(alice, public)["id"])

    refused = assert_error(bob.post(f"/api/widgets/{public}/runs"), 403, "not_owner")
    assert "fork" in refused["message"]
    assert_error(anon.post(f"/api/widgets/{public}/runs"), 403, "login_required")
    assert_error(bob.post(f"/api/widgets/{private}/runs"), 404, "not_found")
    assert_error(bob.get(f"/api/widgets/{public}/runs"), 403, "not_owner")
    for browser in (bob, anon):
        assert_error(browser.get(f"/api/runs/{run['id']}"), 404, "no_such_run")
        assert_error(browser.get(f"/api/runs/{run['id']}/events"), 404, "no_such_run")
        assert_error(browser.post(f"/api/runs/{run['id']}/cancel"), 404, "no_such_run")
    assert [r["id"] for r in history(alice, public)] == [run["id"]]  # refusals left no trace

    # as told: a fork is bob's own, and bob runs it
    fork = bob.post(f"/api/widgets/{public}/fork").json()["slug"]
    mine = wait_for_run(bob, start_run(bob, fork)["id"])
    assert (mine["status"], mine["stdout"], mine["user"]) == ("ok", "mine\n", "bob")
    assert_error(alice.get(f"/api/runs/{mine['id']}"), 404, "no_such_run")


@pytest.mark.parametrize("kind", ["http", "gui"])
def test_only_scripts_and_tasks_are_run(alice: Browser, kind: str) -> None:
    slug = alice.create_widget(kind, f"Not a script {kind}")["slug"]
    assert_error(alice.post(f"/api/widgets/{slug}/runs"), 422, "not_runnable")


def test_ids_beyond_sqlites_integers_are_not_found(alice: Browser) -> None:
    slug = script_widget(alice, "print(1)\n")
    huge = 2**64
    assert_error(alice.get(f"/api/runs/{huge}"), 404, "no_such_run")
    assert_error(alice.post(f"/api/runs/{huge}/cancel"), 404, "no_such_run")
    assert_error(alice.get(f"/api/widgets/{slug}/versions/{huge}"), 404, "no_such_version")


# -- cancelling ----------------------------------------------------------------------------


def test_cancelling_a_running_run_stops_it_at_once(
    server: Server, alice: Browser, gates: Gates
) -> None:
    slug = script_widget(alice, f"print('spinning')\n{gate('spin')}\nwhile True:\n    pass\n")
    run = start_run(alice, slug)
    gates.wait_reached("spin")
    gates.open("spin")  # on into the endless loop
    asked = time.monotonic()
    response = alice.post(f"/api/runs/{run['id']}/cancel")
    assert response.status_code == 202
    assert response.json() == {"run": run["id"], "cancelled": True}
    stopped = wait_for_run(alice, run["id"])
    assert within(time.monotonic() - asked, 0.5)  # a tick, and the record written
    assert (stopped["status"], stopped["message"]) == ("killed", CANCELLED)
    assert stopped["stdout"] == "spinning\n"
    assert stopped["started_at"] is not None
    assert stopped["wall_time"] < 10
    # a finished run cannot be cancelled again
    again = alice.post(f"/api/runs/{run['id']}/cancel")
    assert again.json() == {"run": run["id"], "cancelled": False}


def test_cancelling_a_queued_run_takes_it_out_of_the_queue(
    make_server: Callable[..., Server],
) -> None:
    server = make_server(workers=1)  # one script at a time
    server.user("admin")
    alice = server.user("alice")
    gates = Gates(server.app.state.runtime.bridge)
    queue = server.app.state.runner.queue
    try:
        busy = start_run(alice, script_widget(alice, f"{gate('hold')}\nprint('held')\n"))
        gates.wait_reached("hold")  # the only slot is taken
        waiting = start_run(alice, script_widget(alice, "print('never')\n", title="Waits"))
        assert waiting["status"] == "queued"
        assert queue.waiting == 1

        response = alice.post(f"/api/runs/{waiting['id']}/cancel")
        assert response.json() == {"run": waiting["id"], "cancelled": True}
        cancelled = wait_for_run(alice, waiting["id"])
        assert cancelled["status"] == "killed"
        assert cancelled["message"].startswith(CANCELLED)
        assert (cancelled["started_at"], cancelled["wall_time"], cancelled["stdout"]) == (
            None,
            None,
            "",
        )
        assert queue.waiting == 0
        assert run_detail(alice, busy["id"])["status"] == "running"
    finally:
        gates.open_all()
    assert wait_for_run(alice, busy["id"])["stdout"] == "held\n"
    # no slot was leaked: the next run starts and ends
    again = start_run(alice, script_widget(alice, "print('next')\n", title="Next"))
    assert wait_for_run(alice, again["id"])["status"] == "ok"
    assert (queue.running, queue.waiting) == (0, 0)


# -- limits --------------------------------------------------------------------------------


def test_script_runs_have_the_script_limits(
    server: Server, alice: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five minutes cannot be waited for here: a script run must take its limits from
    `Limits.script()`, so making that one second shows in the run."""
    assert Limits.script().timeout == 300
    asked: list[Limits] = []

    def one_second(cls: type[Limits]) -> Limits:
        asked.append(Limits(timeout=1.0))
        return asked[-1]

    monkeypatch.setattr(Limits, "script", classmethod(one_second))
    slug = script_widget(alice, "print('looping')\nwhile True:\n    pass\n")
    run = wait_for_run(alice, start_run(alice, slug)["id"])
    assert asked
    assert (run["status"], run["message"]) == ("timeout", TOO_LONG)
    assert by_deadline(run["wall_time"], 1.0)  # the one second, not five minutes
    assert run["stdout"] == "looping\n"


def test_output_over_the_limit_is_truncated_with_a_marker(server: Server, alice: Browser) -> None:
    cap = Limits.script().output
    slug = script_widget(alice, f"print('x' * {cap + 1000})\nprint('never')\n")
    run = wait_for_run(alice, start_run(alice, slug)["id"])
    assert run["status"] == "output_limit"
    assert run["output_truncated"] is True
    marker = f"\n[output truncated: the limit is {cap:,} bytes]\n"
    assert run["stdout"] == "x" * cap + marker
    assert "never" not in run["stdout"]
    [done] = [e for e in events_of(alice.get(f"/api/runs/{run['id']}/events")) if e.kind == "done"]
    assert done.data["output_truncated"] is True


# -- restarts and retention ----------------------------------------------------------------


def add_run(server: Server, slug: str, age: timedelta = timedelta(0), **fields: Any) -> int:
    """A run row written straight to the database, `age` old."""

    def add(db: sqlite_utils.Database) -> int:
        row = {
            "widget_id": widget_id(db, slug),
            "version": 1,
            "trigger": "manual",
            "status": "ok",
            "queued_at": iso(now() - age),
            **fields,
        }
        return int(db.table("runs").insert(row).last_pk or 0)

    run_id: int = server.db.write_now(add)
    return run_id


TASK_CODE = """\
import anvil.server

@anvil.server.background_task
def greet(name, times=1):
    print("hello " * times + name)
"""


def test_a_restart_runs_what_was_queued_and_not_what_had_begun(
    make_server: Callable[..., Server],
) -> None:
    """What a stopped server (a crash here: its rows as it left them) had queued never
    began, so the next start queues it again, with its version's code and a task's
    arguments; what was running is marked interrupted and not run again (its code may have
    had side effects)."""
    first = make_server()
    first.user("admin")
    alice = first.user("alice")
    slug = script_widget(alice, "print(1)\n")
    queued = add_run(first, slug, status="queued", version=2)  # its first save
    running = add_run(first, slug, status="running", started_at=iso(now()))
    finished = add_run(first, slug, status="ok", stdout="done\n", finished_at=iso(now()))
    tasks = script_widget(alice, TASK_CODE, title="Tasks")
    call = runs.task_call(["ada"], {"times": 2})
    task = add_run(
        first,
        tasks,
        status="queued",
        version=2,
        trigger="task",
        task_name="greet",
        request=json.dumps(call),
    )
    assert alice.save(slug, {"main.py": "print(2)\n"}, 2).status_code == 201  # a new head

    second = make_server()  # the same data folder: a restart
    browser = second.browser()
    assert login(browser, "alice").status_code == 200
    again = wait_for_run(browser, queued)
    assert (again["status"], again["stdout"], again["version"]) == ("ok", "1\n", 2)
    ran = wait_for_run(browser, task)
    assert (ran["status"], ran["stdout"], ran["task_name"]) == ("ok", "hello hello ada\n", "greet")
    assert ran["request"] is None  # its arguments are kept only while it is queued
    stopped = run_detail(browser, running)
    assert stopped["status"] == "interrupted"
    assert stopped["message"] == runs.INTERRUPTED
    assert stopped["finished_at"] is not None
    kept = run_detail(browser, finished)
    assert (kept["status"], kept["stdout"], kept["message"]) == ("ok", "done\n", "")


def test_stopping_leaves_queued_runs_for_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server stopped in order stops what runs (recorded killed) and leaves what waits in
    its queue queued; the next start runs it, once."""
    monkeypatch.chdir(tmp_path)  # no ./widgetbox.toml from the developer's checkout
    data = tmp_path / "data"
    with running_server(data, workers=1) as server:  # one script at a time
        server.user("admin")
        alice = server.user("alice")
        busy = start_run(alice, script_widget(alice, "import time\ntime.sleep(60)\n"))
        waiting = start_run(alice, script_widget(alice, "print('waited')\n", title="Waits"))
        until = time.monotonic() + 30
        while run_detail(alice, busy["id"])["status"] != "running":
            assert time.monotonic() < until
            time.sleep(0.02)
        assert run_detail(alice, waiting["id"])["status"] == "queued"
    with running_server(data, workers=1) as server:
        alice = server.browser()
        assert login(alice, "alice").status_code == 200
        assert run_detail(alice, busy["id"])["status"] == "killed"
        ran = wait_for_run(alice, waiting["id"])
        assert (ran["status"], ran["stdout"]) == ("ok", "waited\n")


def outputs(server: Server, slug: str) -> dict[int, tuple[str, str, str | None, str]]:
    """Each run of the widget: (stdout, stderr, error, message), by id."""

    def read(db: sqlite_utils.Database) -> dict[int, tuple[str, str, str | None, str]]:
        rows = db.query("SELECT * FROM runs WHERE widget_id = ? ORDER BY id", [widget_id(db, slug)])
        return {r["id"]: (r["stdout"], r["stderr"], r["error"], r["message"]) for r in rows}

    found: dict[int, tuple[str, str, str | None, str]] = server.db.read_now(read)
    return found


ERROR = json.dumps({"type": "ValueError", "message": "bad", "traceback": "", "frames": []})
PRUNED = "Output deleted after the retention period"


def test_old_output_is_pruned_except_each_widgets_newest_runs(
    make_server: Callable[..., Server],
) -> None:
    settings = {"runs_kept": 2, "run_output_days": 1}
    first = make_server(**settings)
    first.user("admin")
    alice = first.user("alice")
    busy = script_widget(alice, "print(1)\n", title="Busy")
    quiet = script_widget(alice, "print(1)\n", title="Quiet")
    old = timedelta(days=3)
    oldest = add_run(first, busy, old, stdout="a\n", stderr="e\n", error=ERROR)
    old_message = add_run(first, busy, old, stdout="b\n", status="error", message="It broke")
    kept_old = add_run(first, busy, old, stdout="c\n")
    recent = add_run(first, busy, timedelta(hours=1), stdout="d\n")
    quiet_old = add_run(first, quiet, timedelta(days=300), stdout="only\n")

    make_server(**settings)  # the start-up maintenance of a restart prunes
    busy_runs = outputs(first, busy)
    assert busy_runs[oldest] == ("", "", None, PRUNED)
    assert busy_runs[old_message] == ("", "", None, "It broke")  # a message of its own stays
    assert busy_runs[kept_old] == ("c\n", "", None, "")  # among the widget's newest 2
    assert busy_runs[recent] == ("d\n", "", None, "")
    assert outputs(first, quiet)[quiet_old] == ("only\n", "", None, "")  # its only run
    record = run_detail(alice, oldest)  # the record stays
    assert (record["status"], record["stdout"], record["message"]) == ("ok", "", PRUNED)

    # directly: nothing more to do, and never a widget's newest run, however old
    cutoff = iso(now() + timedelta(days=1))  # everything is older than this
    assert first.db.write_now(runs.prune_output, 2, iso(now() - timedelta(days=1))) == 0
    assert first.db.write_now(runs.prune_output, 1, cutoff) == 1  # kept_old goes now
    assert outputs(first, busy)[kept_old][0] == ""
    assert outputs(first, busy)[recent][0] == "d\n"
    assert outputs(first, quiet)[quiet_old][0] == "only\n"
