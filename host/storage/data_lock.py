"""Who uses a data folder: a running server holds a shared lock on `<data_dir>/widgetbox.lock`
for its whole life; `widgetbox restore` needs it exclusively, so it never replaces the data
under a server (and a server does not start in the middle of a restore).

`flock` locks belong to the open file, so they vanish with the process that held them: a
server that crashed leaves nothing to clean up. Several servers on one folder (tests, a
rolling restart) may hold the shared lock together.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

LOCK_FILE = "widgetbox.lock"


class DataFolderBusy(RuntimeError):
    """The lock is held the other way; the message says by whom and what to do."""


class Held:
    """A lock on a data folder, until `release`."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the file releases its lock
            self._fd = None


def _take(data_dir: Path, how: int) -> Held | None:
    # a new data folder is the server's user's alone (`widgetbox doctor` checks an old one)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, how | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return Held(fd)


def serving(data_dir: Path) -> Held:
    """The server's shared lock; DataFolderBusy while a restore holds the folder."""
    held = _take(data_dir, fcntl.LOCK_SH)
    if held is None:
        raise DataFolderBusy(
            f"{data_dir} is being restored (`widgetbox restore` holds it); start Widgetbox "
            "once the restore has finished"
        )
    return held


@contextlib.contextmanager
def exclusive(data_dir: Path) -> Iterator[None]:
    """The folder for this process alone; DataFolderBusy while a server uses it."""
    held = _take(data_dir, fcntl.LOCK_EX)
    if held is None:
        raise DataFolderBusy(
            f"Widgetbox is running on {data_dir} (it holds {data_dir / LOCK_FILE}): stop it "
            "first (e.g. systemctl stop widgetbox), then restore again"
        )
    try:
        yield
    finally:
        held.release()
