"""The one SQLite file, through sqlite-utils, with one way to read and one way to write.

- WAL, `synchronous=FULL`, foreign keys on and a busy timeout on every connection.
- Reads run on a few reader threads, each with its own connection (WAL lets them read
  while a write is in progress).
- Writes run one at a time on the single writer thread, each inside
  `BEGIN IMMEDIATE ... COMMIT`: a read-then-write never races another writer, and writers
  in this process never meet "database is locked". Nothing is awaited and no sandbox runs
  inside a transaction: a write is one plain function of the database.
- The schema is created and changed only by the migrations in `schema.py`, applied at
  start-up.
- A failed write (a full disk: SQLite may have rolled the transaction back itself) never
  leaves the writer inside a transaction.
- `backup` copies the live database consistently; `restore` puts a checked copy in place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import sqlite_utils
from sqlite_utils import Migrations

from widgetbox.host.storage.migrations import MIGRATIONS

log = logging.getLogger("widgetbox.host")

T = TypeVar("T")
P = ParamSpec("P")

BUSY_TIMEOUT_MS = 10_000
READERS = 4


def connect(path: Path) -> sqlite_utils.Database:
    """A connection with Widgetbox's pragmas, in autocommit mode (transactions are explicit)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return sqlite_utils.Database(conn)


class Database:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = connect(path)
        MIGRATIONS.apply(self._writer)
        self._write_pool = ThreadPoolExecutor(1, thread_name_prefix="widgetbox-db-write")
        self._read_pool = ThreadPoolExecutor(READERS, thread_name_prefix="widgetbox-db-read")
        self._local = threading.local()
        self._readers: list[sqlite_utils.Database] = []
        self._lock = threading.Lock()  # guards _readers
        self._write_lock = threading.Lock()  # one transaction at a time on the writer
        self._writer_broken = False
        """The writer could not leave a failed transaction: reconnect before the next write."""
        self._closed = False

    # -- the two paths -------------------------------------------------------------------

    async def read(
        self,
        fn: Callable[Concatenate[sqlite_utils.Database, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """`fn(db, ...)` on a reader connection, off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._read_pool, lambda: fn(self._reader(), *args, **kwargs)
        )

    async def write(
        self,
        fn: Callable[Concatenate[sqlite_utils.Database, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """`fn(db, ...)` in one `BEGIN IMMEDIATE` transaction on the writer thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._write_pool, lambda: self.write_now(fn, *args, **kwargs)
        )

    def write_now(
        self,
        fn: Callable[Concatenate[sqlite_utils.Database, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """The same transaction, on the calling thread (start-up, the command line, tests)."""
        with self._write_lock:
            if self._writer_broken:
                self._reconnect_writer()
            db = self._writer
            db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(db, *args, **kwargs)
                db.execute("COMMIT")
            except BaseException:
                self._end_failed_transaction()
                raise
            return result

    def _end_failed_transaction(self) -> None:
        """After a statement or the COMMIT failed: roll back what SQLite has not already
        rolled back itself (it does on a full disk, and then a ROLLBACK would fail with "no
        transaction is active"), never masking the error that ended the transaction. A
        writer connection that still cannot leave its transaction is replaced before the
        next write, so one failure never blocks every later write."""
        conn = self._writer.conn
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error as e:
                log.warning("could not roll back a failed write: %s", e)
        if conn.in_transaction:
            self._writer_broken = True

    def _reconnect_writer(self) -> None:
        old, self._writer = self._writer, connect(self.path)
        self._writer_broken = False
        try:
            old.conn.close()
        except sqlite3.Error as e:
            log.warning("could not close the abandoned writer connection: %s", e)

    def read_now(
        self,
        fn: Callable[Concatenate[sqlite_utils.Database, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        return fn(self._reader(), *args, **kwargs)

    def _reader(self) -> sqlite_utils.Database:
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is None:
            db = connect(self.path)
            self._local.db = db
            with self._lock:
                self._readers.append(db)
        return db

    # -- life cycle ----------------------------------------------------------------------

    def close(self) -> None:
        """Finish pending work and close every connection (checkpointing the WAL)."""
        if self._closed:
            return
        self._closed = True
        self._write_pool.shutdown(wait=True)
        self._read_pool.shutdown(wait=True)
        with self._lock, self._write_lock:
            for db in self._readers:
                db.conn.close()
            try:
                self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as e:  # a full disk: the WAL stays, and is read next time
                log.warning("could not checkpoint the database on closing: %s", e)
            self._writer.conn.close()


def backup(source: Path, target: Path) -> int:
    """A consistent online copy of the database at `source` into `target` (SQLite's backup
    API, safe while the server writes), checked with `PRAGMA integrity_check`: one file, in
    rollback-journal mode, that `restore` puts back. Returns the number of pages copied."""
    if target.exists():
        raise FileExistsError(f"{target} already exists; choose a new file name")
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
            return _contents(conn, path)
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
    contents = checked or check_backup(backup_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.name}.restore-{os.getpid()}-{os.urandom(4).hex()}")
    try:
        with _read_only(backup_path) as src:
            dst = sqlite3.connect(staged)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode = DELETE")
                check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                dst.close()
        if check != "ok":
            raise RestoreError(f"the copy of {backup_path} failed its integrity check: {check}")
        _fsync(staged)
        try:
            os.link(staged, target)  # never over an existing file
        except FileExistsError:
            raise RestoreError(occupied(target)) from None
        _fsync(target.parent)
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
        f"move the data folder {target.parent} aside (or choose another with --data-dir), "
        "then restore again"
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
