"""Installed environments on disk: `<data_dir>/packages/<key>/`, one folder per resolved
set, holding the packages' importable files (the purelib layout: the folder goes on
`sys.path` as it is). A folder appears only complete: it is built beside the others under a
temporary name and renamed into place.

Installs and garbage collection meet here. An install *holds* its key from before it looks
for an existing folder until its result is recorded in the database; a collection never
removes a folder that was held at any moment while it ran, nor forgets one held when it
began.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEMPORARY = ".tmp-"
"""Prefix of folders being built; removed at start-up (no install survives a restart)."""


class Environments:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._held: Counter[str] = Counter()
        self._touched: set[str] | None = None
        """Keys held since the running collection began (None: no collection running)."""
        self._building: dict[str, threading.Lock] = {}

    def path(self, key: str) -> Path:
        return self.root / key

    def exists(self, key: str) -> bool:
        return self.path(key).is_dir()

    def start(self) -> None:
        """Create the folder and remove what interrupted installs left behind."""
        self.root.mkdir(parents=True, exist_ok=True)
        for entry in self.root.iterdir():
            if entry.name.startswith(TEMPORARY):
                shutil.rmtree(entry, ignore_errors=True)

    def workspace(self) -> Path:
        """A fresh temporary folder for one install (on the same file system, so that the
        finished environment can be renamed into place)."""
        self.root.mkdir(parents=True, exist_ok=True)
        folder = self.root / f"{TEMPORARY}{secrets.token_hex(8)}"
        folder.mkdir()
        return folder

    def publish(self, built: Path, key: str) -> Path:
        """Move a finished environment into place (atomically); when another install got
        there first, keep that one and drop this copy."""
        target = self.path(key)
        try:
            os.rename(built, target)
        except OSError:
            if not target.is_dir():
                raise
            shutil.rmtree(built, ignore_errors=True)
        return target

    @contextmanager
    def building(self, key: str) -> Iterator[None]:
        """One install at a time looks for and builds environment `key`: a second install
        of the same set waits, then finds it built."""
        with self._lock:
            lock = self._building.setdefault(key, threading.Lock())
        with lock:
            yield

    # -- holds and collection --------------------------------------------------------------

    def hold(self, key: str) -> None:
        with self._lock:
            self._held[key] += 1
            if self._touched is not None:
                self._touched.add(key)

    def release(self, key: str) -> None:
        with self._lock:
            self._held[key] -= 1
            if self._held[key] <= 0:
                del self._held[key]
                self._building.pop(key, None)

    def begin_collection(self) -> frozenset[str]:
        """Start a collection; returns the keys held now (their records must stay)."""
        with self._lock:
            self._touched = set(self._held)
            return frozenset(self._held)

    def abort_collection(self) -> None:
        with self._lock:
            self._touched = None

    def end_collection(self, recorded: set[str]) -> list[str]:
        """Remove every environment folder that is not `recorded` in the database and was
        not held while the collection ran. Returns the keys removed."""
        removed = []
        with self._lock:
            keep = recorded | (self._touched or set()) | set(self._held)
            self._touched = None
            if self.root.is_dir():
                for entry in self.root.iterdir():
                    if entry.name.startswith(TEMPORARY) or entry.name in keep:
                        continue
                    if entry.is_dir():
                        shutil.rmtree(entry, ignore_errors=True)
                        removed.append(entry.name)
        return sorted(removed)


def folder_size(folder: Path) -> int:
    """Bytes the files under `folder` hold."""
    total = 0
    for path, _, files in os.walk(folder):
        for name in files:
            total += os.lstat(os.path.join(path, name)).st_size
    return total
