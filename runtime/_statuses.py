"""The run-status vocabulary, declared once in `statuses.json` (beside this module): every
status a run can have, with its label, badge tone, whether the run is over, what Anvil calls
a background task's end with it and whether the sandbox ends runs with it. The runtime's
`Status` is its outcomes; the host's run records, task views and pages read the rest from here
(`widgetbox.runtime.RUN_STATUSES`), and the page scripts bundle the same file
(client/src/lib/format.js)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, cast

from ._paths import STATUS_FILE

Tone = Literal["ok", "bad", "busy", "warn", "idle"]
Termination = Literal["completed", "failed", "killed", "missing"]
"""Anvil's words for how a background task ended (`Task.get_termination_status()`)."""


@dataclass(frozen=True)
class RunStatus:
    """One status of the vocabulary."""

    name: str
    label: str
    """As people read it ("Timed out")."""
    tone: Tone
    """The badge's colour."""
    finished: bool
    """The run is over (every status but queued and running)."""
    termination: Termination | None
    """What Anvil's `Task.get_termination_status()` says of a background task whose run has
    this status (None while it runs): the host sends it in the task's view
    (host/tasks/views.py), so the guest's and the browser's `Task` spell no status."""
    outcome: bool
    """The sandbox ends runs with it (a `Status`); the others are the host's run records'."""


def _load() -> dict[str, RunStatus]:
    declared = json.loads(STATUS_FILE.read_text(encoding="utf-8"))["statuses"]
    return {
        name: RunStatus(
            name=name,
            label=str(fields["label"]),
            tone=cast(Tone, fields["tone"]),
            finished=bool(fields["finished"]),
            termination=cast("Termination | None", fields["termination"]),
            outcome=bool(fields["outcome"]),
        )
        for name, fields in declared.items()
    }


RUN_STATUSES: Mapping[str, RunStatus] = MappingProxyType(_load())
"""Every status a run can have, by name, in the declared order."""

OUTCOMES = tuple(name for name, status in RUN_STATUSES.items() if status.outcome)
"""How the sandbox ends runs: the values of `Status`."""

FINISHED = tuple(name for name, status in RUN_STATUSES.items() if status.finished)
"""The statuses of runs that are over."""
