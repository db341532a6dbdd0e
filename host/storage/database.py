"""The one SQLite file, through sqlite-utils, with one way to read and one way to write.

- WAL, `synchronous=FULL`, foreign keys on and a busy timeout on every connection.
- Reads run on a few reader threads, each with its own connection (WAL lets them read
  while a write is in progress).
- Writes run one at a time on the single writer thread, each inside
  `BEGIN IMMEDIATE ... COMMIT`: a read-then-write never races another writer, and writers
  in this process never meet "database is locked". Nothing is awaited and no sandbox runs
  inside a transaction: a write is one plain function of the database.
- The schema is created and changed only by the migrations in `migrations.py`, applied at
  start-up.
- A failed write (a full disk: SQLite may have rolled the transaction back itself) never
  leaves the writer inside a transaction.
- `backup` copies the live database consistently; `restore` puts a checked copy in place.
- `revision` moves after every committed write that changed a row outside the logs
  (`UNWATCHED`), so a cache of what requests read (a widget and its code: `widgets/heads.py`)
  stays valid exactly while it is unchanged. The writer connection learns of each change
  from temporary triggers (SQLite's own, on every watched table, calling back into
  Python), so no write path has to remember to say what it touched.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import sqlite_utils

from widgetbox.host.storage.migrations import MIGRATIONS

log = logging.getLogger("widgetbox.host")

T = TypeVar("T")
P = ParamSpec("P")

BUSY_TIMEOUT_MS = 10_000
READERS = 4
UNWATCHED = frozenset(
    {"runs", "sessions", "app_sessions", "api_tokens", "email_sends", "password_links"}
)
"""Tables written while requests are answered (their logs, sessions, last uses, counts),
which no cache of what requests read depends on: writing them leaves `revision` alone.
Every other table is watched, including ones added later, so a forgotten one errs on the
side of a cache read again."""
CHANGED = "widgetbox_changed"
"""The SQL function the writer's triggers call on every change to a watched table."""


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
        self._changed = False
        """A watched table changed in the write in progress."""
        self.revision = 0
        """Moves after each committed write that changed a watched table (see the module's
        description); read from any thread."""
        self._watch(self._writer)
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
            self._changed = False
            db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(db, *args, **kwargs)
                db.execute("COMMIT")
            except BaseException:
                self._end_failed_transaction()
                raise
            finally:
                # after the commit (or the rollback, which changes nothing but costs
                # nothing to count): a reader that saw the old rows read them before this
                # and holds the old revision, so what it caches is never taken as current
                if self._changed:
                    self.revision += 1
            return result

    def _watch(self, db: sqlite_utils.Database) -> None:
        """Temporary triggers on the writer connection: every change to a watched table
        marks the write in progress (`_changed`)."""

        def changed() -> None:
            self._changed = True

        db.conn.create_function(CHANGED, 0, changed)
        tables = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
            if name not in UNWATCHED
        ]
        for table in tables:
            for event in ("INSERT", "UPDATE", "DELETE"):
                db.execute(
                    f'CREATE TEMP TRIGGER IF NOT EXISTS "widgetbox_{event.lower()}_{table}" '
                    f'AFTER {event} ON main."{table}" BEGIN SELECT {CHANGED}(); END'
                )

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
        self._watch(self._writer)
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
