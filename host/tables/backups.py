"""Widgets' Data Tables in backups (`widgetbox backup` and `widgetbox restore`, through
`storage/backups.py`).

A backup is the database copy `TARGET` (one SQLite file, as before) and, beside it, the
folder `TARGET.tables/` with one SQLite file per widget that has tables, `<widget_id>.db`,
each a consistent copy (SQLite's backup API, one read transaction) checked with
`PRAGMA integrity_check`. The database copy lists them in its table `_wb_backup_tables`
(widget id, bytes, sha256), so a restore knows what must be there: a missing, changed or
damaged file refuses the whole restore. The copies are taken right after the database's, for
the widgets that copy holds (a widget made meanwhile is not in the backup; one deleted
meanwhile comes back with empty tables). Each widget's tables are consistent in themselves;
rows are not versioned and belong to no other table, so nothing spans two files.

A restore stages every file beside the data folder's `tables/` (copied, checked, flushed) and
moves the staged folder into place in one rename, before the database is linked in: the
data folder gets all of it or none. A backup made before Data Tables has no list and
restores without tables."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from widgetbox.host.tables.store import FOLDER, TablesStore

MANIFEST = "_wb_backup_tables"
"""The table of the database copy that lists the tables files of the backup."""
SUFFIX = ".tables"


class TablesBackupError(Exception):
    """The backup's tables cannot be made or restored; the message says why."""


def folder_of(backup: Path) -> Path:
    """Where a backup's tables files are: `TARGET.tables/` beside `TARGET`."""
    return backup.with_name(backup.name + SUFFIX)


@dataclass(frozen=True)
class Entry:
    widget_id: int
    bytes: int
    sha256: str

    @property
    def name(self) -> str:
        return f"{self.widget_id}.db"


# -- backing up ------------------------------------------------------------------------------


def back_up(data_dir: Path, database_copy: Path) -> list[Entry]:
    """Copy the tables of every widget in `database_copy` (just made) into its folder and
    list them in it. TablesBackupError (nothing left behind) when a copy fails."""
    folder = folder_of(database_copy)
    if folder.exists():
        raise FileExistsError(f"{folder} already exists; choose a new file name")
    store = TablesStore(data_dir)
    conn = sqlite3.connect(database_copy)
    try:
        ids = [int(row[0]) for row in conn.execute("SELECT id FROM widgets ORDER BY id")]
        entries: list[Entry] = []
        try:
            for widget_id in ids:
                source = store.path(widget_id)
                if not source.is_file():
                    continue
                folder.mkdir(parents=True, exist_ok=True)
                target = folder / f"{widget_id}.db"
                if _copy(source, target, live=True):
                    entries.append(Entry(widget_id, target.stat().st_size, _sha256(target)))
            with conn:
                conn.execute(
                    f"CREATE TABLE {MANIFEST} (widget_id INTEGER PRIMARY KEY, "
                    "bytes INTEGER NOT NULL, sha256 TEXT NOT NULL)"
                )
                conn.executemany(
                    f"INSERT INTO {MANIFEST} VALUES (?, ?, ?)",  # noqa: S608 - a constant
                    [(e.widget_id, e.bytes, e.sha256) for e in entries],
                )
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    finally:
        conn.close()
    return entries


def _copy(source: Path, target: Path, *, live: bool) -> bool:
    """A checked, self-contained copy of the SQLite file `source`; False when it vanished
    meanwhile (its widget was deleted). `live`: the server may be writing to it."""
    uri = f"{source.resolve().as_uri()}?mode=ro"
    try:
        src = sqlite3.connect(uri, uri=True, timeout=5 if live else 0)
    except sqlite3.OperationalError:
        if not source.exists():
            return False
        raise
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
            check = dst.execute("PRAGMA integrity_check").fetchall()
        finally:
            dst.close()
    except sqlite3.OperationalError:
        target.unlink(missing_ok=True)
        if not source.exists():
            return False
        raise
    finally:
        src.close()
    if check != [("ok",)]:
        target.unlink(missing_ok=True)
        raise TablesBackupError(f"the copy of {source} failed its integrity check: {check[:3]}")
    return True


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- restoring -------------------------------------------------------------------------------


def listed(conn: sqlite3.Connection) -> list[Entry] | None:
    """The tables files a database copy lists (None: a backup made before Data Tables)."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", [MANIFEST]
    ).fetchone()
    if found is None:
        return None
    rows = conn.execute(f"SELECT widget_id, bytes, sha256 FROM {MANIFEST} ORDER BY widget_id")  # noqa: S608
    return [Entry(int(w), int(b), str(s)) for w, b, s in rows]


def check(backup: Path, entries: list[Entry]) -> None:
    """Every listed file is in the backup's folder, whole (size, sha256) and sound
    (integrity check); TablesBackupError naming what is wrong otherwise."""
    folder = folder_of(backup)
    problems = []
    for entry in entries:
        path = folder / entry.name
        if not path.is_file():
            problems.append(f"{path} is missing")
        elif path.stat().st_size != entry.bytes or _sha256(path) != entry.sha256:
            problems.append(f"{path} is not the file the backup made (its size or sha256 differ)")
        else:
            with _read_only(path) as conn:
                result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if result != "ok":
                problems.append(f"{path} is damaged ({result})")
    if problems:
        shown = "; ".join(problems[:3]) + (
            f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        )
        raise TablesBackupError(
            f"the backup's Data Tables are not whole: {shown}. Put the folder {folder} the "
            "backup made back beside it, or restore another backup"
        )


def tables_folder(database: Path) -> Path:
    """The data folder's tables folder for the database at `database`."""
    return database.parent / FOLDER


def occupied(database: Path) -> bool:
    folder = tables_folder(database)
    return folder.exists() and (not folder.is_dir() or any(folder.iterdir()))


@contextlib.contextmanager
def staged(backup: Path, entries: list[Entry], database: Path) -> Iterator[Path]:
    """The listed files copied (checked, flushed) into a staging folder beside the data
    folder's `tables/`; removed afterwards unless `put_in_place` moved it."""
    folder = folder_of(backup)
    stage = database.parent / f".{FOLDER}.restore-{os.getpid()}-{os.urandom(4).hex()}"
    stage.mkdir(parents=True)
    try:
        for entry in entries:
            target = stage / entry.name
            if not _copy(folder / entry.name, target, live=False):
                raise TablesBackupError(f"{folder / entry.name} vanished during the restore")
            _fsync(target)
        _fsync(stage)
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def put_in_place(stage: Path, database: Path) -> Path:
    """Move the staged folder to the data folder's `tables/` in one rename (an empty
    `tables/` is replaced; anything in it refuses)."""
    target = tables_folder(database)
    if occupied(database):
        raise TablesBackupError(f"{target} is not empty: restoring would mix two data folders")
    with contextlib.suppress(FileNotFoundError):
        target.rmdir()
    os.rename(stage, target)
    _fsync(target.parent)
    return target


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        yield conn
    finally:
        conn.close()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
