"""The scratch area's quota: space used on disk and entries created.

Counting is optimistic and cheap: every write adds an upper bound of the space it can take
to an estimate (its length rounded up to whole blocks, plus a block, since a write far past
the end of a file still allocates the block it lands in), every creation adds one entry.
Only when an estimate would pass the limit is the folder measured for real, by allocated
blocks (so rewriting a file does not use up the quota, and sparse files count for what
they occupy), and only if the real usage is still too high is the operation refused.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

BLOCK = 4096


class ScratchQuota:
    def __init__(self, root: Path, max_bytes: int, max_entries: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._bytes = 0
        self._entries = 0

    def admit_bytes(self, size: int) -> bool:
        """Whether a write of `size` bytes (or a file grown to `size`) may happen."""
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

    def _measure(self) -> None:
        total, entries = 0, 0
        pending = [str(self.root)]
        while pending:
            try:
                with os.scandir(pending.pop()) as listing:
                    for entry in listing:
                        entries += 1
                        info = entry.stat(follow_symlinks=False)
                        total += info.st_blocks * 512
                        if stat.S_ISDIR(info.st_mode):
                            pending.append(entry.path)
            except OSError:
                continue
        self._bytes, self._entries = total, entries
