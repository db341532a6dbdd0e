"""Each guest's two host folders, handed on from guest to guest rather than made and removed
for each.

A guest has a folder for the widget's code (mounted read-only at /widget) and one for its
scratch area (/tmp). Making the two and a parent for them, writing the code and removing it
all afterwards were about a sixth of a fresh hello route's CPU in the sandbox process: each
folder made or removed is a few journal writes on ext4, and `shutil.rmtree` walks in Python.
So a closed guest's folders are kept for the next guest when nothing of its run can be left
in them, and the code a folder already holds is written again only where it differs.

- A scratch area is handed on only when it is empty. The guest could write there; the host
  never does but for a compile job (whose folders are then removed as before). An empty
  folder's times say when it last changed, as a fresh one's say when it was made: nothing
  a run can leave for the next.
- The code folder is the guest's to read only, so it holds exactly what the host wrote:
  `Folders.code` is that, and `write_code` makes it the next run's files, removing the
  others. The folder itself is never replaced: the guest's mount holds it open.
- At most `keep` folders wait for a guest; the others are removed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path


class Folders:
    """One guest's folders: `dir`, holding `code` and `scratch`."""

    def __init__(self, parent: Path) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="guest-", dir=parent))
        self.code_dir = self.dir / "code"
        self.scratch_dir = self.dir / "scratch"
        self.code_dir.mkdir()
        self.scratch_dir.mkdir()
        self.code: dict[str, bytes] = {}
        """The files in `code_dir` (relative path: content), as the host wrote them."""

    def write_code(self, files: dict[str, bytes]) -> None:
        """Make the code folder hold exactly `files` (relative paths: contents)."""
        if _nested(self.code) or _nested(files):  # folders to make or remove: start afresh
            for entry in os.scandir(self.code_dir):
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
            self.code = {}
        for relative in self.code.keys() - files.keys():
            os.unlink(self.code_dir / relative)
        for relative, content in files.items():
            if self.code.get(relative) == content:
                continue
            path = self.code_dir / relative
            if "/" in relative:
                path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        self.code = dict(files)

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def _nested(files: dict[str, bytes]) -> bool:
    return any("/" in relative for relative in files)


class FolderStore:
    """The folders waiting for a guest, under `parent`."""

    def __init__(self, parent: Path, keep: int = 8) -> None:
        self._parent = parent
        self._keep = keep
        self._waiting: list[Folders] = []
        self._lock = threading.Lock()
        self._closed = False

    def take(self) -> Folders:
        """Folders for a new guest: an earlier guest's, or new ones."""
        with self._lock:
            if self._waiting:
                return self._waiting.pop()
        return Folders(self._parent)

    def give_back(self, folders: Folders) -> None:
        """A closed guest's folders: kept for the next guest if its scratch area is empty
        (see the module's docstring), else removed."""
        try:
            with os.scandir(folders.scratch_dir) as entries:
                empty = next(entries, None) is None
        except OSError:
            empty = False
        if empty:
            with self._lock:
                if not self._closed and len(self._waiting) < self._keep:
                    self._waiting.append(folders)
                    return
        folders.remove()

    def close(self) -> None:
        """Remove every waiting folder; those given back later are removed too."""
        with self._lock:
            self._closed = True
            waiting, self._waiting = self._waiting, []
        for folders in waiting:
            folders.remove()
