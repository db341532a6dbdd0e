"""A background task whose state a form polls, in Chromium on Brython and on Pyodide: a
button's server function launches the task and returns its `Task`; a Timer reads its state
every 0.2 s through that `Task` (`/_/task`) and shows the progress until the task has
completed, then its return value; client code may read the task but not kill it. The owner
finds the task in the widget's run history with its output."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import IDE, Visitor

pytestmark = pytest.mark.browser

APP_READY = "html[data-app-ready]"
START_TIMEOUT_MS = 60_000
"""Pyodide's first start in a fresh browser context (a 9 MB module to compile)."""
TASK_TIMEOUT_MS = 30_000

SERVER = """\
import time
import anvil.server


@anvil.server.background_task
def crunch(steps):
    for step in range(1, steps + 1):
        anvil.server.task_state["progress"] = step
        print("step", step)
        time.sleep(0.3)
    return f"crunched {steps} steps"


@anvil.server.callable
def start(steps):
    return anvil.server.launch_background_task("crunch", steps)
"""

FORM = {
    "container": {"type": "ColumnPanel"},
    "components": [
        {"name": "start_button", "type": "Button", "properties": {"text": "Start"},
         "event_bindings": {"click": "start_click"}},
        {"name": "kill_button", "type": "Button", "properties": {"text": "Kill"},
         "event_bindings": {"click": "kill_click"}},
        {"name": "progress", "type": "Label", "properties": {"text": "idle"}},
        {"name": "result", "type": "Label", "properties": {"text": ""}},
        {"name": "refusal", "type": "Label", "properties": {"text": ""}},
        {"name": "poller", "type": "Timer", "properties": {"interval": 0},
         "event_bindings": {"tick": "poller_tick"}},
    ],
}  # fmt: skip

FORM_CODE = """\
from ._anvil_designer import Form1Template
from anvil import *
import anvil.server


class Form1(Form1Template):
    def __init__(self, **properties):
        self.task = None
        self.seen = []
        self.init_components(**properties)

    def start_click(self, **event_args):
        self.task = anvil.server.call("start", 5)
        self.progress.text = "started"
        self.poller.interval = 0.2

    def poller_tick(self, **event_args):
        state = self.task.get_state()
        step = state.get("progress", 0)
        if step not in self.seen:
            self.seen.append(step)
        self.progress.text = f"progress: {step} of 5"
        if self.task.is_completed():
            self.poller.interval = 0
            status = self.task.get_termination_status()
            self.result.text = f"{status}: {self.task.get_return_value()} seen {len(self.seen)}"

    def kill_click(self, **event_args):
        try:
            self.task.kill()
        except anvil.server.BackgroundTaskError as e:
            self.refusal.text = f"{type(e).__name__}: {e}"
"""


def app_files(runtime: str) -> dict[str, str]:
    return {
        "server.py": SERVER,
        "forms/Form1.json": json.dumps(FORM),
        "forms/Form1.py": FORM_CODE,
        "app.json": json.dumps({"startup_form": "Form1", "runtime": runtime}),
    }


def make_app(owner: Visitor, runtime: str) -> str:
    widget = owner.api("POST", "/api/widgets", {"kind": "gui", "title": f"Tasks on {runtime}",
                                                "visibility": "public"})  # fmt: skip
    slug: str = widget["slug"]
    body = {"base_version": widget["head_version"], "files": app_files(runtime)}
    owner.api("POST", f"/api/widgets/{slug}/versions", body)
    return slug


def button(page: Page, name: str) -> object:
    return page.get_by_role("button", name=name, exact=True)


@pytest.mark.parametrize("runtime", ["brython", "pyodide"])
def test_a_form_polls_a_background_tasks_state_until_it_is_done(ide: IDE, runtime: str) -> None:
    owner = ide.visitor("owner")
    owner.signup()
    slug = make_app(owner, runtime)
    visitor = ide.visitor("visitor")
    page = visitor.page
    page.goto(f"http://{slug}.{ide.live.config.apps_host}/")
    page.wait_for_selector(APP_READY, state="attached", timeout=START_TIMEOUT_MS)

    page.get_by_role("button", name="Start", exact=True).click()
    # the timer sees the task's progress while it runs...
    expect(page.get_by_text(re.compile(r"^progress: [1-4] of 5$"))).to_be_visible(
        timeout=TASK_TIMEOUT_MS
    )
    # ...and client code may read the task, not kill it
    page.get_by_role("button", name="Kill", exact=True).click()
    expect(page.get_by_text(re.compile("^BackgroundTaskError: "))).to_have_text(
        "BackgroundTaskError: Can't manage background tasks from the client"
    )
    # then its end and its return value; several steps were seen along the way
    result = page.get_by_text(re.compile("^completed: "))
    expect(result).to_be_visible(timeout=TASK_TIMEOUT_MS)
    seen = int(result.inner_text().rsplit(" ", 1)[1])
    assert 3 <= seen <= 6, result.inner_text()
    expect(result).to_contain_text("completed: crunched 5 steps seen")
    expect(page.get_by_text("progress: 5 of 5", exact=True)).to_be_visible()

    # the owner finds it in the run history, with its output
    runs = owner.api("GET", f"/api/widgets/{slug}/runs")["runs"]
    assert [(run["trigger"], run["task_name"], run["status"]) for run in runs] == [
        ("task", "crunch", "ok")
    ]
    detail = owner.api("GET", f"/api/runs/{runs[0]['id']}")
    assert detail["stdout"] == "".join(f"step {n}\n" for n in range(1, 6))
    assert detail["task_value"] == "crunched 5 steps"
