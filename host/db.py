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
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import sqlite_utils

from .schema import MIGRATIONS

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
            db = self._writer
            db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(db, *args, **kwargs)
            except BaseException:
                db.rollback()
                raise
            db.execute("COMMIT")
            return result

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
            self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._writer.conn.close()


def backup(source: Path, target: Path) -> int:
    """A consistent online copy of the database at `source` into `target` (SQLite's backup
    API, safe while the server writes), checked with `PRAGMA integrity_check`. Returns the
    number of pages copied."""
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
        src.backup(dst, pages=1024, sleep=0.005)
        check = dst.execute("PRAGMA integrity_check").fetchall()
        pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
    finally:
        src.close()
        dst.close()
    if check != [("ok",)]:
        target.unlink(missing_ok=True)
        raise RuntimeError(f"the copy failed its integrity check: {check[:5]}")
    return pages
