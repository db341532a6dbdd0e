"""How much room the data takes, as the admin page and the metrics both report it."""

from __future__ import annotations

import shutil
from pathlib import Path


def file_bytes(*paths: Path) -> int:
    """The size of the files among `paths` (missing ones count 0: a WAL comes and goes)."""
    total = 0
    for path in paths:
        try:
            total += path.stat().st_size if path.is_file() else 0
        except OSError:
            continue
    return total


def database_bytes(database: Path) -> int:
    """The database file with its write-ahead log."""
    return file_bytes(database, database.with_name(database.name + "-wal"))


def disk(folder: Path) -> tuple[int, int]:
    """Free and total bytes of the file system holding `folder`."""
    usage = shutil.disk_usage(folder)
    return usage.free, usage.total
