"""The scratch area's quota: space used and entries created, named or not.

Counting is optimistic and cheap: every write adds an upper bound of the space it can take
to an estimate (its length rounded up to whole blocks, plus a block, since a write far past
the end of a file still allocates the block it lands in), every creation adds one entry.
Only when an estimate would pass the limit is real usage measured, by allocated blocks (so
rewriting a file does not use up the quota, and sparse files count for what they occupy),
and only if the real usage is still too high is the operation refused.

Real usage is everything under the scratch folder plus every file this process holds open
under it: a file that was unlinked, or renamed over, while open keeps its blocks until the
last descriptor closes, yet no listing of the folder shows it. wasmtime opens the guest's
files in this process, so `/proc/self/fd` names them (an unnamed one as `<path> (deleted)`).
Each file is counted once, however many names and descriptors it has. Where open files
cannot be listed, a measurement may only raise the estimates: what was admitted might still
be held by a file nobody can see, so it stays counted.

A measurement costs a walk of the folder (at most the entry limit) and a look at each of the
process's descriptors; a guest that keeps writing into a full quota pays for it in its own
wall time, which its deadline bounds.
"""

from __future__ import annotations

import functools
import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

BLOCK = 4096
OPEN_FILES = "/proc/self/fd"
"""Where this process's open descriptors are listed, as links to the files they refer to."""


class ScratchQuota:
    def __init__(self, root: Path, max_bytes: int, max_entries: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._bytes = 0
        self._entries = 0

    @functools.cached_property
    def _inside(self) -> str:
        """Links in /proc name files by their real path; the separator keeps `scratch2`
        (another folder) from passing for a file inside `scratch`. Found when first
        measured: most runs never are, and resolving a path is a call per folder in it."""
        return os.path.realpath(self.root) + os.sep

    def admit_bytes(self, size: int) -> bool:
        """Whether a write of `size` bytes (or a file grown by `size`) may happen."""
        cost = -(-max(size, 0) // BLOCK) * BLOCK + BLOCK
        if self._bytes + cost <= self.max_bytes:
            self._bytes += cost
            return True
        self._measure()
        if self._bytes + cost <= self.max_bytes:
            self._bytes += cost
            return True
        return False

    def admit_entry(self) -> bool:
        """Whether one more file, folder or link may be created."""
        if self._entries < self.max_entries:
            self._entries += 1
            return True
        self._measure()
        if self._entries < self.max_entries:
            self._entries += 1
            return True
        return False

    def usage(self) -> tuple[int, int]:
        """Measure now: the bytes and entries counted against the limits."""
        self._measure()
        return self._bytes, self._entries

    def _measure(self) -> None:
        files: dict[tuple[int, int], int] = {}
        entries = 0
        pending = [str(self.root)]
        while pending:
            try:
                with os.scandir(pending.pop()) as listing:
                    for entry in listing:
                        entries += 1
                        try:
                            info = entry.stat(follow_symlinks=False)
                        except OSError:
                            continue
                        files[info.st_dev, info.st_ino] = info.st_blocks * 512
                        if stat.S_ISDIR(info.st_mode):
                            pending.append(entry.path)
            except OSError:
                continue
        named = len(files)
        if not self._add_open_files(files):
            _warn_once()
            self._bytes = max(self._bytes, sum(files.values()))
            self._entries = max(self._entries, entries)
            return
        self._bytes = sum(files.values())
        self._entries = entries + len(files) - named

    def _add_open_files(self, files: dict[tuple[int, int], int]) -> bool:
        """Add the files this process holds open under the root to `files`, by identity;
        False when open descriptors cannot be listed."""
        try:
            listing = os.open(OPEN_FILES, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return False
        try:
            for name in os.listdir(listing):
                try:
                    if not os.readlink(name, dir_fd=listing).startswith(self._inside):
                        continue
                    info = os.fstat(int(name))
                except (OSError, ValueError):
                    continue  # closed meanwhile (by another guest: ours is waiting on us)
                files[info.st_dev, info.st_ino] = info.st_blocks * 512
        except OSError:
            return False
        finally:
            os.close(listing)
        return True


@functools.cache
def _warn_once() -> None:
    log.warning(
        "%s cannot be listed: scratch space a run frees is not reused within the run",
        OPEN_FILES,
    )
