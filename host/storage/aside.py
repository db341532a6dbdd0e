"""Data a forced restore replaces, kept: moved (renamed, never copied) into a folder of its
own inside the data folder, `replaced-<UTC time>/`, before anything new is put in place, and
moved back when the restore fails. The operator deletes it once the restored data is known
good."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

PREFIX = "replaced-"


def set_aside(data_dir: Path, paths: list[Path]) -> Path:
    """Move those of `paths` (files or folders directly in `data_dir`) that exist into a new
    `replaced-<time>/` folder there; returns it. All of them or none."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = data_dir / f"{PREFIX}{stamp}"
    number = 1
    while True:
        try:
            folder.mkdir(mode=0o700)
            break
        except FileExistsError:
            number += 1
            folder = data_dir / f"{PREFIX}{stamp}-{number}"
    moved: list[Path] = []
    try:
        for path in paths:
            if path.exists() or path.is_symlink():
                os.rename(path, folder / path.name)  # one file system: a rename
                moved.append(path)
    except BaseException:
        for path in reversed(moved):
            os.rename(folder / path.name, path)
        folder.rmdir()
        raise
    _fsync(data_dir)
    return folder


def put_back(folder: Path, data_dir: Path) -> None:
    """Undo `set_aside`: everything in `folder` goes back into `data_dir`, then the folder
    goes. What the failed restore left in their place must be gone already."""
    for path in sorted(folder.iterdir()):
        os.rename(path, data_dir / path.name)
    folder.rmdir()
    _fsync(data_dir)


def _fsync(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
