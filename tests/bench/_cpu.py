"""CPU time of a process and its descendants, from the kernel's counters in /proc (what the
process spent, whatever else the machine was doing meanwhile; 10 ms resolution, so they
are read over thousands of requests)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICK = 1 / os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system seconds) of a live process, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name may hold spaces and parentheses: the fields follow the last ")"
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) * TICK


def descendants(root: int) -> list[int]:
    """The live processes below `root` (children, their children, ...)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents.setdefault(stat[0], []).append(int(entry.name))
    found, frontier = [], [root]
    while frontier:
        children = parents.get(frontier.pop(), [])
        found += children
        frontier += children
    return found


@dataclass(frozen=True)
class Reading:
    """CPU seconds of one process and of its descendants, at one moment."""

    own: float
    below: dict[int, float]
    """By process id: a process that ends between two readings is left out of both."""


def read(root: int) -> Reading:
    own = _stat(root)
    below = {pid: stat[1] for pid in descendants(root) if (stat := _stat(pid)) is not None}
    return Reading(own[1] if own else 0.0, below)


def spent(before: Reading, after: Reading) -> tuple[float, float]:
    """CPU seconds spent between two readings: (the process itself, its descendants)."""
    below = sum(after.below[pid] - before.below[pid] for pid in after.below.keys() & before.below)
    return after.own - before.own, below
