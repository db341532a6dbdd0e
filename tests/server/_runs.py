"""Helpers for the tests of runs, the queue and the scheduler: widgets whose code waits at a
gate the test opens (a deterministic hand-shake instead of sleeps), waiting for a run to end,
and reading Server-Sent Events.
"""

from __future__ import annotations

import json
import textwrap
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from tests.server._client import Browser
from widgetbox.host.runs.records import FINISHED
from widgetbox.runtime import Bridge, HostCall

GATE_OP = "test.gate"
GATE_WAIT = 20.0
"""Seconds a gate holds a run at most (a failing test must not hold a worker for long)."""
RUN_DEADLINE = 30.0


def gate(name: str) -> str:
    """Widget code that waits at the gate `name` until the test opens it."""
    return f"__import__('_widgetbox.bridge').bridge.call({GATE_OP!r}, {name!r})"


class Gates:
    """Named gates on a runtime's bridge. Widget code calling `gate(name)` tells the test it
    got there (`wait_reached`) and waits until the test opens the gate (`open`)."""

    def __init__(self, bridge: Bridge) -> None:
        self._lock = threading.Lock()
        self._reached: dict[str, threading.Event] = {}
        self._opened: dict[str, threading.Event] = {}
        bridge.register(GATE_OP, self._handle)

    def _event(self, table: dict[str, threading.Event], name: str) -> threading.Event:
        with self._lock:
            return table.setdefault(name, threading.Event())

    def _handle(self, call: HostCall, data: Any) -> bool:
        name = str(data)
        self._event(self._reached, name).set()
        return self._event(self._opened, name).wait(GATE_WAIT)

    def wait_reached(self, name: str, timeout: float = RUN_DEADLINE) -> None:
        assert self._event(self._reached, name).wait(timeout), f"no run reached gate {name!r}"

    def open(self, name: str) -> None:
        self._event(self._opened, name).set()

    def open_all(self) -> None:
        with self._lock:
            for event in self._opened.values():
                event.set()


def script_widget(
    browser: Browser,
    code: str,
    *,
    kind: str = "script",
    title: str = "Runner",
    visibility: str = "private",
    **files: str,
) -> str:
    """A new widget whose main.py is `code` (dedented), with more files if given; its slug."""
    slug: str = browser.create_widget(kind, title, visibility=visibility)["slug"]
    saved = browser.save(slug, {"main.py": textwrap.dedent(code), **files}, 1)
    assert saved.status_code == 201, saved.text
    return slug


def start_run(browser: Browser, slug: str) -> dict[str, Any]:
    response = browser.post(f"/api/widgets/{slug}/runs")
    assert response.status_code == 202, response.text
    run: dict[str, Any] = response.json()
    return run


def run_detail(browser: Browser, run_id: int) -> dict[str, Any]:
    response = browser.get(f"/api/runs/{run_id}")
    assert response.status_code == 200, response.text
    detail: dict[str, Any] = response.json()
    return detail


def wait_for_run(browser: Browser, run_id: int, deadline: float = RUN_DEADLINE) -> dict[str, Any]:
    """The run's record once it has finished."""
    until = time.monotonic() + deadline
    while True:
        detail = run_detail(browser, run_id)
        if detail["status"] in FINISHED:
            return detail
        assert time.monotonic() < until, f"run {run_id} did not finish: {detail}"
        time.sleep(0.01)


def history(browser: Browser, slug: str, **query: Any) -> list[dict[str, Any]]:
    response = browser.get(f"/api/widgets/{slug}/runs", params=query)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["runs"]
    return found


# -- Server-Sent Events --------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    kind: str
    data: dict[str, Any]


def read_events(lines: Iterable[str]) -> Iterator[Event]:
    """Events from the lines of a `text/event-stream` body, as they arrive. Every event
    here has a name and one line of JSON data."""
    kind: str | None = None
    data: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r")
        if not line:
            if kind is not None or data:
                assert kind is not None, f"an event without a name: {data}"
                yield Event(kind, json.loads("\n".join(data)))
            kind, data = None, []
        elif line.startswith(":"):
            continue  # a comment (keep-alive)
        elif line.startswith("event:"):
            kind = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data.append(line.removeprefix("data:").removeprefix(" "))
    assert kind is None, "the stream ended inside an event"
    assert not data, "the stream ended inside an event"


def events_of(response: httpx.Response) -> list[Event]:
    """Every event of a complete `text/event-stream` response."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return list(read_events(response.text.splitlines()))


def output(events: Iterable[Event], stream: str) -> str:
    return "".join(
        e.data["text"] for e in events if e.kind == "output" and e.data["stream"] == stream
    )
