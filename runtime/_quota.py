"""The scratch area's quota: bytes written and entries created.

Counting is optimistic and cheap: every write adds its size to an estimate, every creation
adds one entry. Only when an estimate would pass the limit is the folder measured for real
(rewriting the same file therefore does not use up the quota), and only if the real usage
is still too high is the operation refused.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class ScratchQuota:
    def __init__(self, root: Path, max_bytes: int, max_entries: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._bytes = 0
        self._entries = 0

    def admit_bytes(self, size: int) -> bool:
        """Whether `size` more bytes may be written (or a file grown to `size`)."""
        if self._bytes + size <= self.max_bytes:
            self._bytes += size
            return True
        self._measure()
        if self._bytes + size <= self.max_bytes:
            self._bytes += size
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
                        if stat.S_ISDIR(info.st_mode):
                            pending.append(entry.path)
                        elif stat.S_ISREG(info.st_mode):
                            total += info.st_size
            except OSError:
                continue
        self._bytes, self._entries = total, entries
