"""What a `Task` object reads of a background task: its run's record (and its live
`task_state` while it runs) as the view `anvil/_tasks.py` interprets, the same for server
code and for browsers.

A view: `{"id", "name", "start_time", "status", "state", "value", "error"}`, with the run's
status as it is (the guest's `Task` says what each means in Anvil's words: completed,
failed, killed, missing), `state` and `value` in the codec's form, and `error` the
exception `get_error` and `get_return_value` raise, as `{"type", "message"}`.
"""

from __future__ import annotations

import json
from typing import Any

from widgetbox.host.runs.records import Run
from widgetbox.runtime import TOO_LONG

SCRIPT_NAME = "__main__"
"""The name of a script run's task: its function is the module body."""


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
        "state": json.loads(state) if state else None,
        "value": json.loads(run.task_value) if run.task_value else None,
        "error": error(run),
    }


def listed(run_id: int, name: str | None, queued_at: str) -> dict[str, Any]:
    """A task as `list_background_tasks` names it (its `Task` reads the rest when asked)."""
    return {"id": str(run_id), "name": name or SCRIPT_NAME, "start_time": queued_at}


def error(run: Run) -> dict[str, str] | None:
    """The exception a failed task's `get_error` raises, by Anvil's names; None when it did
    not fail (a killed or missing task has none either, as in Anvil)."""
    status = run.status
    if status == "timeout":
        return {"type": "anvil.server.TimeoutError", "message": TOO_LONG}
    if status in ("memory", "output_limit"):
        reason = run.message or status
        return {
            "type": "anvil.server.ExecutionTerminatedError",
            "message": f"Server code exited unexpectedly: {reason}",
        }
    if status != "error":
        return None
    if run.error:
        kind = run.error.get("qualified_type") or run.error.get("type") or "Exception"
        return {"type": str(kind), "message": str(run.error.get("message", ""))}
    return {
        "type": "anvil.server.InternalError",
        "message": run.message or "The background task failed",
    }
