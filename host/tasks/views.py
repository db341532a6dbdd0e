"""What a `Task` object reads of a background task: its run's record (and its live
`task_state` while it runs) as the view `anvil/_tasks.py` interprets, the same for server
code and for browsers.

A view: `{"id", "name", "start_time", "status", "termination", "state", "value", "error"}`,
with the run's status as it is and `termination` what Anvil's `Task.get_termination_status()`
says of it (None while the task runs; the run-status vocabulary declares it, so the `Task`
spells no run status), `state` and `value` in the codec's form, and `error` the exception
`get_error` and `get_return_value` raise, as `{"type", "message"}`.
"""

from __future__ import annotations

import json
from typing import Any

from widgetbox.host.runs.records import Run
from widgetbox.runtime import RUN_STATUSES, TOO_LONG, Status

SCRIPT_NAME = "__main__"
"""The name of a script run's task: its function is the module body."""
UNKNOWN = "missing"
"""The termination of a status the vocabulary does not have (the runs table's CHECK allows
none; Anvil's word for a task whose end is not known)."""


def view(run: Run, live: tuple[bool, str | None]) -> dict[str, Any]:
    """The view of `run`; `live` is what `TaskStates.get` says of it (its state while it is
    in progress, kept in memory until its record holds the last one)."""
    in_progress, live_state = live
    state = live_state if in_progress else run.task_state
    return {
        "id": str(run.id),
        "name": run.task_name or SCRIPT_NAME,
        "start_time": run.queued_at,
        "status": run.status,
        "termination": termination(run.status),
        "state": json.loads(state) if state else None,
        "value": json.loads(run.task_value) if run.task_value else None,
        "error": error(run),
    }


def listed(run_id: int, name: str | None, queued_at: str) -> dict[str, Any]:
    """A task as `list_background_tasks` names it (its `Task` reads the rest when asked)."""
    return {"id": str(run_id), "name": name or SCRIPT_NAME, "start_time": queued_at}


def termination(status: str) -> str | None:
    """What Anvil's `Task.get_termination_status()` says of a task whose run has `status`."""
    known = RUN_STATUSES.get(status)
    return known.termination if known is not None else UNKNOWN


def error(run: Run) -> dict[str, str] | None:
    """The exception a failed task's `get_error` raises, by Anvil's names; None when it did
    not fail (a killed or missing task has none either, as in Anvil)."""
    status = run.status
    if status == Status.TIMEOUT:
        return {"type": "anvil.server.TimeoutError", "message": TOO_LONG}
    if status in (Status.MEMORY, Status.OUTPUT_LIMIT):
        reason = run.message or status
        return {
            "type": "anvil.server.ExecutionTerminatedError",
            "message": f"Server code exited unexpectedly: {reason}",
        }
    if status != Status.ERROR:
        return None
    if run.error:
        kind = run.error.get("qualified_type") or run.error.get("type") or "Exception"
        return {"type": str(kind), "message": str(run.error.get("message", ""))}
    return {
        "type": "anvil.server.InternalError",
        "message": run.message or "The background task failed",
    }
