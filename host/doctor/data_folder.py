"""The data folder: a folder Widgetbox can write, closed to other users, its keys private,
room on its disk, and a database this version opens (its pending migrations named: they
run at the next start)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import tempfile
from pathlib import Path

import sqlite_utils

from widgetbox.host.config import Config
from widgetbox.host.doctor.findings import FAIL, OK, WARN, Finding
from widgetbox.host.storage.migrations import MIGRATIONS

NAME = "data folder"
KEYS = ("secrets.key", "server.key")
"""Files only Widgetbox's user may read (`secrets/box.py`, `web/guards.py` make them so)."""
FAIL_BELOW = 200 * 1024**2
"""Free bytes under which the database may fill the disk soon: writes are refused then."""
WARN_BELOW = 2 * 1024**3


def check(config: Config) -> list[Finding]:
    folder = config.server.data_dir.resolve()
    if not folder.exists():
        parent = _existing_parent(folder)
        if not os.access(parent, os.W_OK | os.X_OK):
            return [
                Finding(
                    NAME,
                    FAIL,
                    f"{folder} does not exist, and {parent} is not writable, so Widgetbox "
                    "cannot create it",
                    f"create it for Widgetbox's user: mkdir -m 700 {folder} && chown USER {folder}",
                )
            ]
        return [
            Finding(NAME, WARN, f"{folder} does not exist yet; the first start creates it"),
            *_free_space(parent),
        ]
    if not folder.is_dir():
        return [Finding(NAME, FAIL, f"{folder} is not a folder", "set data_dir to a folder")]
    found = [_writable(folder), *_private(folder), *_free_space(folder)]
    return [finding for finding in found if finding is not None] + _database(config)


def _existing_parent(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def _writable(folder: Path) -> Finding | None:
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
    except OSError as e:
        return Finding(
            NAME,
            FAIL,
            f"cannot write in {folder}: {e.strerror or e}",
            f"give Widgetbox's user the folder: chown -R USER {folder} (and a file system "
            "mounted read-write)",
        )
    return None


def _private(folder: Path) -> list[Finding]:
    found = []
    info = folder.stat()
    mode = stat.S_IMODE(info.st_mode)
    if mode & stat.S_IWOTH:
        found.append(
            Finding(
                NAME,
                FAIL,
                f"{folder} is writable by every user (mode {mode:03o}): anyone on the "
                "machine could replace the database",
                f"chmod 700 {folder}",
            )
        )
    elif mode & (stat.S_IROTH | stat.S_IXOTH | stat.S_IRWXG):
        found.append(
            Finding(
                NAME,
                WARN,
                f"{folder} is open to other users (mode {mode:03o}): they may read the "
                "database (accounts, widgets' code and data)",
                f"chmod 700 {folder}",
            )
        )
    if info.st_uid != os.geteuid():
        found.append(
            Finding(
                NAME,
                WARN,
                f"{folder} belongs to user id {info.st_uid}, not to this user "
                f"({os.geteuid()}); check as the user Widgetbox runs as",
            )
        )
    for name in KEYS:
        key = folder / name
        if key.exists():
            key_mode = stat.S_IMODE(key.stat().st_mode)
            if key_mode & 0o077:
                found.append(
                    Finding(
                        NAME,
                        FAIL,
                        f"{key} can be read by other users (mode {key_mode:03o})",
                        f"chmod 600 {key}",
                    )
                )
    if not found:
        found.append(Finding(NAME, OK, f"{folder}: writable, private (mode {mode:03o})"))
    return found


def _free_space(folder: Path) -> list[Finding]:
    usage = shutil.disk_usage(folder)
    free = usage.free
    text = f"{free / 1024**3:.1f} GB free of {usage.total / 1024**3:.1f} GB on {folder}'s disk"
    if free < FAIL_BELOW:
        return [Finding(NAME, FAIL, text, "free space or move data_dir to a larger disk")]
    if free < WARN_BELOW:
        return [Finding(NAME, WARN, text, "free space before it runs out: writes fail then")]
    return [Finding(NAME, OK, text)]


def _database(config: Config) -> list[Finding]:
    path = config.database_path
    if not path.exists():
        return [Finding("database", OK, f"none yet at {path}; the first start creates it")]
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            quick = conn.execute("PRAGMA quick_check").fetchone()[0]
            db = sqlite_utils.Database(conn)
            pending = [m.name for m in MIGRATIONS.pending(db)]
            known = {m.name for m in MIGRATIONS.pending(sqlite_utils.Database(memory=True))}
            unknown = [m.name for m in MIGRATIONS.applied(db) if m.name not in known]
        finally:
            conn.close()
    except sqlite3.Error as e:
        return [
            Finding(
                "database",
                FAIL,
                f"{path} cannot be read: {e}",
                "restore the latest backup (widgetbox restore BACKUP --force)",
            )
        ]
    if quick != "ok":
        return [
            Finding(
                "database",
                FAIL,
                f"{path} is damaged: {quick}",
                "restore the latest backup (widgetbox restore BACKUP --force)",
            )
        ]
    if unknown:
        return [
            Finding(
                "database",
                FAIL,
                f"{path} was migrated by a newer Widgetbox ({', '.join(unknown)}), which this "
                "version does not know",
                "run the newer version again, or restore the backup made before it",
            )
        ]
    size = path.stat().st_size / 1024**2
    if pending:
        return [
            Finding(
                "database",
                OK,
                f"{path} ({size:.1f} MB) is from an earlier version: the next start applies "
                f"{len(pending)} migrations ({', '.join(pending)}); back it up first",
            )
        ]
    return [Finding("database", OK, f"{path} ({size:.1f} MB): sound, schema up to date")]
