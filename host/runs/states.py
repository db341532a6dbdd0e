"""`anvil.server.task_state` of the batch runs in progress, as their guests send it.

Every run of the batch lane is a background task (a script's is its module body), so each
has a state from the moment it is queued until its record is written: the guest sends the
whole state, encoded, through the bridge operation `tasks.state` (at most every 50 ms while
it writes, and when it sleeps or ends: `anvil/_tasks.py`), and other runs and browsers read
it while the run goes on (`host/tasks/`). When the run ends, the runner writes the last
state into the run's record (`records.finished_task`) and only then forgets it here, so a
reader always finds it in one place or the other.

Written from the bridge's threads, read from the bridge's and the event loop's: one lock.
"""

from __future__ import annotations

import threading

MAX_STATE_BYTES = 256 * 1024
"""The largest `task_state` kept, as UTF-8 JSON in the codec's form."""


class StateTooLarge(ValueError):
    """A state beyond `MAX_STATE_BYTES`."""


class TaskStates:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[int, str | None] = {}

    def open(self, run_id: int) -> None:
        """The run is queued: it has a state (none yet)."""
        with self._lock:
            self._states[run_id] = None

    def set(self, run_id: int, state: str) -> bool:
        """Keep `state` (JSON) as the run's; False when the run is not in progress. Raises
        StateTooLarge beyond `MAX_STATE_BYTES`."""
        size = len(state.encode("utf-8"))
        if size > MAX_STATE_BYTES:
            raise StateTooLarge(
                f"anvil.server.task_state may hold at most {MAX_STATE_BYTES // 1024} KiB "
                f"(as JSON); this one is {size / 1024:,.1f} KiB"
            )
        with self._lock:
            if run_id not in self._states:
                return False
            self._states[run_id] = state
            return True

    def get(self, run_id: int) -> tuple[bool, str | None]:
        """(whether the run is in progress here, its state)."""
        with self._lock:
            if run_id not in self._states:
                return False, None
            return True, self._states[run_id]

    def close(self, run_id: int) -> None:
        """The run's record holds its last state now."""
        with self._lock:
            self._states.pop(run_id, None)
