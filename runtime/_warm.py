"""Warm interpreters kept between runs: persistent mode, Anvil's "Keep server running".

A call or a route with `Persistent` runs in a guest this sandbox process kept from an
earlier run of the same key (a widget) and version, as one more turn: the widget's modules
are imported already and keep their globals, and its /tmp keeps its files. A run finds an
idle kept guest or starts with a fresh one from the pool, which is kept after it. A wasm
instance runs one turn at a time, so a run that arrives while the kept guest is busy gets a
guest of its own, kept too (so a process keeps as many for a key as it ran at once for it:
usually one). Another process keeps its own: state is never shared between processes.

A kept guest serves only runs of its own key, version, files and packages folder (the
folder's identity checked as for the pool's spares), so no instance ever runs another
widget's code, or another version's. It is discarded (closed off the request path by the
pool's thread):

- when its run did not end cleanly (`Guest.reusable`: a timeout, cancel, trap, exit, the
  memory or output limit: wherever the interpreter stopped, no one else runs there);
- after `Recycle.runs` runs, or when its linear memory has grown by more than
  `Recycle.memory_growth` since its first run;
- when a run of another version of its key arrives (at once when idle, else when its run
  ends), or another files or packages folder for its version;
- after `Recycle.idle` seconds unused, and beyond `MAX_KEPT` idle guests in the process
  (the least recently used first).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ._guest import Guest
from ._jobs import Persistent
from ._pool import folder_identity

MAX_KEPT = 8
"""Idle kept guests one sandbox process holds at most (each holds its linear memory)."""


@dataclass(eq=False)
class Kept:
    """A kept guest and what it may serve."""

    guest: Guest | None
    """None until its first run has started one."""
    persistent: Persistent
    packages: Path | None
    folder: tuple[int, int, int] | None
    """The packages folder's identity when the guest mounted it."""
    files: dict[str, str]
    baseline: int = 0
    """Its linear memory after its first run."""
    idle_since: float = field(default_factory=time.monotonic)

    def serves(self, persistent: Persistent, packages: Path | None, files: dict[str, str]) -> bool:
        return (
            self.persistent.version == persistent.version
            and self.packages == packages
            and (packages is None or self.folder == folder_identity(packages))
            and self.files == files
        )


class Warm:
    """The kept guests of one sandbox process. `retire` takes a guest to close."""

    def __init__(self, retire: Callable[[Guest], None], limit: int = MAX_KEPT) -> None:
        self._retire = retire
        self._limit = limit
        self._idle: dict[str, list[Kept]] = {}
        """Idle guests by key, the most recently used last."""
        self._versions: dict[str, str] = {}
        """The version each key last ran: a guest of another one is not kept."""
        self._changed = threading.Condition()
        self._closed = False
        self._sweeper: threading.Thread | None = None
        self._sweep_due: float | None = None
        """When the sweeper wakes next (None: when told). A guest given back wakes it only
        if it expires sooner, rather than after every run."""

    @property
    def idle(self) -> int:
        with self._changed:
            return sum(len(kept) for kept in self._idle.values())

    def take(self, persistent: Persistent, packages: Path | None, files: dict[str, str]) -> Kept:
        """The idle guest kept for this run, or a new entry (`guest` None) for a fresh one
        the caller starts; idle guests of the key that can no longer serve are discarded."""
        key = persistent.key
        found: Kept | None = None
        others: list[Kept] = []
        dropped: list[Kept] = []
        with self._changed:
            self._versions[key] = persistent.version
            for kept in reversed(self._idle.pop(key, [])):  # the most recently used first
                if not kept.serves(persistent, packages, files):
                    dropped.append(kept)  # another version, or its files or packages
                elif found is None:
                    found = kept
                else:
                    others.insert(0, kept)
            if others:
                self._idle[key] = others
        self._discard(dropped)
        if found is not None:
            found.persistent = persistent  # the latest rules
            return found
        folder = folder_identity(packages) if packages is not None else None
        return Kept(None, persistent, packages, folder, files)

    def _discard(self, dropped: list[Kept]) -> None:
        for kept in dropped:
            if kept.guest is not None:
                self._retire(kept.guest)

    def give_back(self, kept: Kept, guest: Guest) -> None:
        """After `guest` ran for `kept`: keep it for the next run, or discard it."""
        kept.guest = guest
        memory = guest.memory_size()
        if guest.runs == 1:
            kept.baseline = memory
        recycle = kept.persistent.recycle
        key = kept.persistent.key
        keep = (
            guest.reusable
            and guest.runs < recycle.runs
            and memory - kept.baseline <= recycle.memory_growth
        )
        evicted = [kept]
        with self._changed:
            if keep and not self._closed and self._versions.get(key) == kept.persistent.version:
                kept.idle_since = time.monotonic()
                self._idle.setdefault(key, []).append(kept)
                evicted = self._over_limit()
                self._start_sweeper()
                ends = kept.idle_since + kept.persistent.recycle.idle
                if self._sweep_due is None or ends < self._sweep_due:
                    self._sweep_due = ends
                    self._changed.notify_all()
        self._discard(evicted)

    def _over_limit(self) -> list[Kept]:
        """Under the lock: the least recently used idle guests beyond the limit, removed."""
        everyone = sorted(
            (kept for queue in self._idle.values() for kept in queue),
            key=lambda kept: kept.idle_since,
        )
        evicted = everyone[: max(0, len(everyone) - self._limit)]
        for kept in evicted:
            queue = self._idle[kept.persistent.key]
            queue.remove(kept)
            if not queue:
                del self._idle[kept.persistent.key]
        return evicted

    def _start_sweeper(self) -> None:
        if self._sweeper is None:
            self._sweeper = threading.Thread(target=self._sweep, name="widgetbox-warm", daemon=True)
            self._sweeper.start()

    def _sweep(self) -> None:
        """Discard guests idle longer than their rules allow, waking when the next is due."""
        while True:
            expired: list[Kept] = []
            with self._changed:
                if self._closed:
                    return
                now = time.monotonic()
                due = None
                for key, queue in list(self._idle.items()):
                    for kept in list(queue):
                        ends = kept.idle_since + kept.persistent.recycle.idle
                        if ends <= now:
                            queue.remove(kept)
                            expired.append(kept)
                        else:
                            due = ends if due is None else min(due, ends)
                    if not queue:
                        del self._idle[key]
                if not expired:
                    self._sweep_due = due
                    self._changed.wait(None if due is None else due - now)
            self._discard(expired)

    def close(self) -> None:
        """Discard every idle guest; guests still running are discarded when they end."""
        with self._changed:
            self._closed = True
            idle = [kept for queue in self._idle.values() for kept in queue]
            self._idle.clear()
            self._changed.notify_all()
        self._discard(idle)
