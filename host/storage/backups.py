"""Backups and restores of the database.

`backup` copies the live database with SQLite's backup API in one step (one read
transaction: it never holds up the server's writes, and writes cannot restart it) into one
self-contained file, checked with `PRAGMA integrity_check`. `restore` puts such a copy in
place in a data folder without a database: checked (integrity, a Widgetbox database this
version can open), copied beside the target and linked into place, so it appears whole or
not at all and never replaces a database (`widgetbox restore --force` moves an existing one
aside first: `aside.py`). The keys (`secrets.key`, `server.key`) are files of their own,
installed by `widgetbox restore`.

Widgets' Data Tables travel beside the database copy, in the folder `TARGET.tables/` that the
copy lists (see `tables/backups.py`): `backup` makes both or neither, `check_backup` refuses
a backup whose tables files are missing or damaged, and `restore` puts the tables in place
before the database, so a data folder gets all of it or nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

from widgetbox.host.storage.database import BUSY_TIMEOUT_MS
from widgetbox.host.storage.migrations import MIGRATIONS
from widgetbox.host.tables import backups as tables

log = logging.getLogger("widgetbox.host")


def backup(source: Path, target: Path) -> int:
    """A consistent online copy of the database at `source` into `target` (SQLite's backup
    API, safe while the server writes), checked with `PRAGMA integrity_check`: one file, in
    rollback-journal mode, that `restore` puts back. Returns the number of pages copied."""
    if target.exists():
        raise FileExistsError(f"{target} already exists; choose a new file name")
    if tables.folder_of(target).exists():
        raise FileExistsError(f"{tables.folder_of(target)} already exists; choose a new file name")
    if not source.is_file():
        raise FileNotFoundError(f"there is no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    # as_uri() percent-encodes the path: a folder named "50%" or "a?b" is still that folder
    uri = f"{source.resolve().as_uri()}?mode=ro"
    src = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    dst = sqlite3.connect(target)
    try:
        # In one step: one read transaction, which in WAL mode never holds up the server's
        # writes. (In steps, every write between two steps restarts the copy from the start:
        # 10x slower under a light load, and never done under a steady one.)
        src.backup(dst)
        # one self-contained file (the copy took the source's WAL mode with its pages)
        dst.execute("PRAGMA journal_mode = DELETE")
        check = dst.execute("PRAGMA integrity_check").fetchall()
        pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
    finally:
        src.close()
        dst.close()
    if check != [("ok",)]:
        target.unlink(missing_ok=True)
        raise RuntimeError(f"the copy failed its integrity check: {check[:5]}")
    try:  # the widgets' Data Tables, beside it (the database is in the data folder)
        tables.back_up(source.parent, target)
    except BaseException as e:
        target.unlink(missing_ok=True)
        if isinstance(e, (tables.TablesBackupError, sqlite3.Error)):
            raise RuntimeError(f"the copy of the widgets' Data Tables failed: {e}") from None
        raise
    return pages


# -- restoring a backup --------------------------------------------------------------------


class RestoreError(Exception):
    """The backup cannot be restored here; the message says why and what to do."""


@dataclass(frozen=True)
class BackupContents:
    """What a checked backup holds."""

    pages: int
    users: int
    widgets: int
    versions: int
    runs: int
    secrets: int
    migrations: int
    tables: int = 0
    """Widgets whose Data Tables the backup holds (in `<backup>.tables/`)."""


def check_backup(path: Path) -> BackupContents:
    """Check that `path` is a whole Widgetbox database this version can open (SQLite's
    integrity check; the record of Widgetbox's migrations, none of them unknown here) and
    say what it holds. RestoreError otherwise. The file is only read."""
    if not path.is_file():
        raise RestoreError(f"there is no backup at {path}")
    try:
        with _read_only(path) as conn:
            check = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
            if check != ["ok"]:
                raise RestoreError(
                    f"{path} is damaged (SQLite's integrity check: {'; '.join(check[:3])}); "
                    "restore an older backup"
                )
            contents = _contents(conn, path)
            entries = tables.listed(conn) or []
        tables.check(path, entries)
        return dataclasses.replace(contents, tables=len(entries))
    except tables.TablesBackupError as e:
        raise RestoreError(str(e)) from None
    except sqlite3.DatabaseError as e:
        if (getattr(e, "sqlite_errorcode", 0) or 0) & 0xFF == sqlite3.SQLITE_CORRUPT:
            raise RestoreError(f"{path} is damaged ({e}); restore an older backup") from None
        raise RestoreError(f"{path} is not a readable SQLite database ({e})") from None


def restore(
    backup_path: Path,
    target: Path,
    checked: BackupContents | None = None,
) -> BackupContents:
    """Copy the backup at `backup_path` to the database file `target`, which must not exist.

    The backup is checked (`check_backup`, unless `checked` says what it found already),
    copied with SQLite's backup API to a temporary file beside `target`, checked again,
    flushed to disk, and linked into place: the database appears whole or not at all, and an
    existing one is never replaced."""
    if database_files(target):
        raise RestoreError(occupied(target))
    if tables.occupied(target):
        raise RestoreError(occupied(tables.tables_folder(target)))
    contents = checked or check_backup(backup_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.name}.restore-{os.getpid()}-{os.urandom(4).hex()}")
    try:
        with _read_only(backup_path) as src:
            entries = tables.listed(src) or []
            dst = sqlite3.connect(staged)
            try:
                src.backup(dst)
                dst.execute(f"DROP TABLE IF EXISTS {tables.MANIFEST}")
                dst.execute("PRAGMA journal_mode = DELETE")
                check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                dst.close()
        if check != "ok":
            raise RestoreError(f"the copy of {backup_path} failed its integrity check: {check}")
        _fsync(staged)
        folder = None
        if entries:  # the tables first: without the database they are never used
            with tables.staged(backup_path, entries, target) as stage:
                folder = tables.put_in_place(stage, target)
        try:
            os.link(staged, target)  # never over an existing file
        except BaseException as e:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            if isinstance(e, FileExistsError):
                raise RestoreError(occupied(target)) from None
            raise
        _fsync(target.parent)
    except tables.TablesBackupError as e:
        raise RestoreError(str(e)) from None
    finally:
        for leftover in (staged, *(Path(f"{staged}{suffix}") for suffix in _SIDE_FILES)):
            leftover.unlink(missing_ok=True)
    return contents


def sample_secret(path: Path) -> tuple[int, str, bytes, bytes] | None:
    """One stored secret of the database at `path` (widget id, name, nonce, ciphertext), to
    check a key against; None when it holds none."""
    with _read_only(path) as conn:
        if not _has_table(conn, "secrets"):
            return None
        row = conn.execute(
            "SELECT widget_id, name, nonce, ciphertext FROM secrets ORDER BY id LIMIT 1"
        ).fetchone()
    return (int(row[0]), str(row[1]), bytes(row[2]), bytes(row[3])) if row else None


_SIDE_FILES = ("-wal", "-shm", "-journal")


def database_files(database: Path) -> list[Path]:
    return [
        path
        for path in (database, *(Path(f"{database}{suffix}") for suffix in _SIDE_FILES))
        if path.exists() or path.is_symlink()
    ]


def occupied(target: Path) -> str:
    return (
        f"{target} already exists: restoring would replace that database. Stop Widgetbox, "
        f"then restore with --force (the current data is kept in {target.parent}/replaced-"
        "<time>/), or choose another data folder with --data-dir"
    )


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a database file that no server writes. SQLite files the
    connection creates beside it (a WAL-mode backup's empty -wal and -shm) are removed
    afterwards; a file on read-only media is read as immutable."""
    created = [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm")]
    created = [side for side in created if not side.exists()]
    uri = f"{path.resolve().as_uri()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True)
    try:
        try:
            conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        except sqlite3.OperationalError as e:
            if "unable to open" not in str(e) or Path(f"{path}-wal").exists():
                raise
            conn.close()
            conn = sqlite3.connect(f"{uri}&immutable=1", uri=True)
        yield conn
    finally:
        conn.close()
        wal = Path(f"{path}-wal")
        if wal in created and wal.exists() and wal.stat().st_size == 0:
            for side in created:
                side.unlink(missing_ok=True)


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    query = "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?"
    return conn.execute(query, [name]).fetchone() is not None


def _contents(conn: sqlite3.Connection, path: Path) -> BackupContents:
    table = Migrations.migrations_table
    if not _has_table(conn, table):
        raise RestoreError(f"{path} is not a Widgetbox database (it has no {table} table)")
    applied = [
        row[0]
        for row in conn.execute(
            f"SELECT name FROM [{table}] WHERE migration_set = ?",  # noqa: S608 - a constant
            [MIGRATIONS.name],
        )
    ]
    if not applied:
        raise RestoreError(f"{path} is not a Widgetbox database (no Widgetbox migrations)")
    known = {migration.name for migration in MIGRATIONS.pending(sqlite_utils.Database(memory=True))}
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise RestoreError(
            f"{path} was made by a newer Widgetbox (its schema has {', '.join(unknown)}, "
            "which this version does not know): restore it with that version or a later one"
        )

    def count(name: str) -> int:
        if not _has_table(conn, name):
            return 0
        return int(conn.execute(f"SELECT count(*) FROM [{name}]").fetchone()[0])  # noqa: S608

    return BackupContents(
        pages=int(conn.execute("PRAGMA page_count").fetchone()[0]),
        users=count("users"),
        widgets=count("widgets"),
        versions=count("widget_versions"),
        runs=count("runs"),
        secrets=count("secrets"),
        migrations=len(applied),
    )


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
