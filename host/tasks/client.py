"""`/_/task` on a GUI app's origin: browser code reading a `Task` that server code returned
(Anvil lets client code read a task, never launch, list or kill one).

The request is `{"id", "cap"}`: the capability the host gave the `Task` on its way out of a
server call (`gui/capabilities.py`), so a browser reads only the tasks it was handed. The
answer is `{"ok": view}` (`views.py`, its rows and searches signed like a call's result) or
`{"error": {"type", "message"}}`, which the client raises as that `anvil.server` class.
"""

from __future__ import annotations

from typing import Any

from widgetbox.host.gui.capabilities import WidgetCapabilities
from widgetbox.host.runs.records import Run
from widgetbox.host.tasks.views import view
from widgetbox.runtime import decode_value, encode_value


def requested(data: Any) -> tuple[str, int] | None:
    """(the id as the browser gave it, the run id) of a well-formed request, else None."""
    raw = data.get("id") if isinstance(data, dict) else None
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and 0 < len(raw) < 19:
        return raw, int(raw)
    return None


def answer(
    data: dict[str, Any],
    task_id: str,
    run: Run | None,
    live: tuple[bool, str | None],
    signer: WidgetCapabilities,
) -> dict[str, Any]:
    """The answer to one read of the task `task_id`, whose run (of this app's widget) is
    `run`. A capability that does not match finds nothing, as a task that is not there."""
    if run is None or not signer.task_granted(task_id, data.get("cap")):
        return {
            "error": {
                "type": "anvil.server.BackgroundTaskNotFound",
                "message": f"Background Task not found: {task_id}",
            }
        }
    found = view(run, live)
    for key in ("state", "value"):
        if found[key] is not None:
            found[key] = encode_value(signer.seal(decode_value(found[key])))
    return {"ok": found}
