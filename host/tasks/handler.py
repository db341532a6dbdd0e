"""The bridge operations of `anvil.server`'s background tasks, for the run's widget (its
`context["widget"]`, `["code"]` and `["run_id"]`):

- `tasks.launch` `{"name", "args", "kwargs"}` (arguments in the codec's form): a new run of
  the batch lane that calls the `@anvil.server.background_task` `name` (`Runner.start`, the
  path scripts take: the owner's queue, limits and history), with the launching run's code;
  answers the task's view. Refusals of the queue are `BackgroundTaskError`s.
- `tasks.get` `{"id"}`: the view of one of the widget's tasks (`BackgroundTaskNotFound`).
- `tasks.list`: the widget's tasks, newest first (at most `MAX_LISTED`).
- `tasks.kill` `{"id"}`: stop a queued or running task (the runs' cancel) and wait briefly
  for its end to be recorded.
- `tasks.state`: the running task's `anvil.server.task_state` (`runs/states.py`; its cap
  is a `QuotaExceededError`).

Error kinds are `anvil.server` exception names, which the guest raises as those classes.
Handlers run on the bridge's threads; the runner lives on the event loop, so launching and
killing hop onto it and wait (never past the call's timeout). `register` offers them on a
`Bridge` and returns the handler.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from collections.abc import Coroutine
from typing import Any, TypeVar

from widgetbox.host.errors import DomainError
from widgetbox.host.runs import records as runs
from widgetbox.host.runs.runner import Launch, Runner
from widgetbox.host.runs.states import StateTooLarge
from widgetbox.host.storage.database import Database
from widgetbox.host.tasks.views import listed, view
from widgetbox.host.widgets.records import Widget
from widgetbox.runtime import Bridge, Code, HostCall, HostCallError, SerializationError
from widgetbox.runtime import decode_value as decode

MAX_LISTED = 1000
"""Tasks `list_background_tasks` names at most (the newest)."""
MAX_NAME = 256
"""Characters of a background task's name (a Python identifier, or a name given to it)."""
KILL_WAIT = 5.0
"""Seconds `kill` waits at most for the task's end to be recorded."""

T = TypeVar("T")


def _widget_id(call: HostCall) -> int:
    widget_id = call.context.get("widget_id")
    if not isinstance(widget_id, int) or isinstance(widget_id, bool):
        raise HostCallError("BackgroundTaskError", "Background tasks belong to widgets.")
    return widget_id


def _unicode(text: str) -> bool:
    """Whether `text` is valid Unicode (JSON's escapes carry a lone surrogate, which the
    run's record cannot hold)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def task_id(data: Any) -> int:
    """The run id a task id names (`Task.get_id()` gives it as text)."""
    raw = data.get("id") if isinstance(data, dict) else None
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) < 20:
        raw = int(raw)
    if type(raw) is not int or not 0 < raw < 2**63:
        shown = repr(raw)[:100]
        raise HostCallError("BackgroundTaskNotFound", f"Background Task not found: {shown}")
    return raw


class TasksHandler:
    def __init__(self, db: Database, runner: Runner, loop: asyncio.AbstractEventLoop) -> None:
        self.db = db
        self.runner = runner
        self.loop = loop

    def _on_loop(self, work: Coroutine[Any, Any, T], timeout: float) -> T:
        future = asyncio.run_coroutine_threadsafe(work, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise HostCallError("Timeout", "Widgetbox did not answer in time.") from None

    def _view(self, widget_id: int, run_id: int) -> dict[str, Any]:
        run = self.db.read_now(runs.task_run, widget_id, run_id)
        if run is None:
            raise HostCallError("BackgroundTaskNotFound", f"Background Task not found: {run_id}")
        return view(run, self.runner.states.get(run_id))

    # -- the operations ------------------------------------------------------------------

    def launch(self, call: HostCall, data: Any) -> dict[str, Any]:
        widget, code = call.context.get("widget"), call.context.get("code")
        if not isinstance(widget, Widget) or not isinstance(code, Code):
            raise HostCallError("BackgroundTaskError", "Background tasks belong to widgets.")
        if not isinstance(data, dict):
            raise HostCallError("BadRequest", "A launch is {name, args, kwargs}.")
        name, args, kwargs = data.get("name"), data.get("args", []), data.get("kwargs", {})
        if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME or not _unicode(name):
            raise HostCallError(
                "BackgroundTaskError",
                f"A background task's name is 1 to {MAX_NAME} characters of Unicode text.",
            )
        try:
            args, kwargs = decode(args), decode(kwargs)
        except SerializationError as e:
            raise HostCallError("SerializationError", f"Cannot pass the arguments: {e}") from None
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise HostCallError("BadRequest", "A launch's args are a list, its kwargs a dict.")
        start = self.runner.start(widget, None, "task", task=Launch(name, args, kwargs), code=code)
        try:
            run_id = self._on_loop(start, call.timeout)
        except DomainError as e:  # Busy, TooMany (the queue), DiskFull
            raise HostCallError("BackgroundTaskError", e.message) from None
        except SerializationError as e:
            raise HostCallError("SerializationError", f"Cannot pass the arguments: {e}") from None
        return self._view(widget.id, run_id)

    def get(self, call: HostCall, data: Any) -> dict[str, Any]:
        return self._view(_widget_id(call), task_id(data))

    def listing(self, call: HostCall, data: Any) -> list[dict[str, Any]]:
        found = self.db.read_now(runs.task_list, _widget_id(call), MAX_LISTED)
        return [listed(*row) for row in found]

    def kill(self, call: HostCall, data: Any) -> None:
        widget_id, run_id = _widget_id(call), task_id(data)
        self._view(widget_id, run_id)  # BackgroundTaskNotFound unless it is this widget's
        # a task that kills itself stops when this answer reaches it: it cannot wait for that
        wait = 0.0 if run_id == call.context.get("run_id") else min(KILL_WAIT, call.timeout)
        self._on_loop(self.runner.kill(run_id, wait), call.timeout)

    def state(self, call: HostCall, data: Any) -> None:
        run_id = call.context.get("run_id")
        outside = "anvil.server.task_state is only available inside a background task"
        if not isinstance(run_id, int):
            raise HostCallError("BackgroundTaskError", outside)
        if not isinstance(data, dict):
            raise HostCallError("SerializationError", "anvil.server.task_state is a dict.")
        try:
            decode(data)  # what readers will decode
        except SerializationError as e:
            raise HostCallError("SerializationError", f"Cannot keep task_state: {e}") from None
        try:
            kept = self.runner.states.set(run_id, json.dumps(data, separators=(",", ":")))
        except StateTooLarge as e:
            raise HostCallError("QuotaExceededError", str(e)) from None
        if not kept:
            raise HostCallError("BackgroundTaskError", outside)


def register(bridge: Bridge, db: Database, runner: Runner) -> TasksHandler:
    """Offer the `tasks.*` operations on `bridge` (from the event loop the runner uses);
    returns the handler."""
    handler = TasksHandler(db, runner, asyncio.get_running_loop())
    bridge.register("tasks.launch", handler.launch)
    bridge.register("tasks.get", handler.get)
    bridge.register("tasks.list", handler.listing)
    bridge.register("tasks.kill", handler.kill)
    bridge.register("tasks.state", handler.state)
    return handler
