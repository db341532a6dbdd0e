"""A full disk: every write that cannot be stored is refused with 507 `disk_full` (a run
that cannot be recorded with 503), never a 500 with an incident id; reads go on; and once
there is room again everything works without a restart.

Two ways to fill it: a real tiny file system (tmpfs, mounted by the test: needs root, as in
CI; the tests that need it are skipped with the reason otherwise), and SQLite's own
`max_page_count`, which makes SQLite answer SQLITE_FULL anywhere.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server._client import Browser, assert_error
from tests.server._runs import Gates, gate, script_widget, start_run, wait_for_run
from tests.server.conftest import Server
from widgetbox.host.storage.database import Database
from widgetbox.host.storage.full_disk import is_disk_full
from widgetbox.host.storage.times import iso, now

pytestmark = pytest.mark.server

BIG = "x = '" + "0123456789abcdef" * 20_000 + "'\n"
"""A 320 KB file: it cannot fit in pages the database already has."""


# -- a tiny file system --------------------------------------------------------------------


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A folder on its own 16 MiB tmpfs, unmounted at the end."""
    folder = tmp_path / "data"
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs these as root)")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def full_server(tiny_fs: Path, make_server: Callable[..., Server]) -> Server:
    """A server whose data folder is the tiny file system (stopped before it is unmounted)."""
    return make_server(data_dir=tiny_fs)


def fill(folder: Path, database: Path | None = None) -> Path:
    """Fill `folder`'s file system to the last block; the filler file. With `database`, its
    WAL is first checkpointed and truncated, so that every later write must grow it (a WAL
    that was reset keeps its size, and writes that fit in it would still succeed)."""
    if database is not None:
        connection = sqlite3.connect(database)
        try:
            busy = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            assert busy == 0, "the checkpoint could not finish"
        finally:
            connection.close()
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        for chunk in (1 << 20, 4096, 1):
            try:
                while os.write(fd, b"\0" * chunk):
                    pass
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
    finally:
        os.close(fd)
    return filler


def integrity(database: Path) -> str:
    connection = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
    try:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        connection.close()


def assert_disk_full(response: httpx.Response, status: int = 507) -> None:
    error = assert_error(response, status, "disk_full")
    assert "disk is full" in error["message"], error
    assert "free some space" in error["message"], error
    assert "incident" not in error["message"], error
    assert response.headers["retry-after"].isdigit()


def test_writes_on_a_full_disk_are_refused_clearly_and_work_again(full_server: Server) -> None:
    server = full_server
    server.user("admin")
    alice = server.user("alice")
    slug = script_widget(alice, "print('before')")
    # a session last seen long ago is touched on its next request: a courtesy write, which a
    # full disk must not turn into a failed read
    an_hour_ago = iso(now() - timedelta(hours=1))
    server.db.write_now(
        lambda db: db.execute("UPDATE sessions SET last_seen_at = ?", [an_hour_ago])
    )
    server.app.state.sessions.clear()
    filler = fill(server.config.server.data_dir, server.config.database_path)

    assert alice.widget(slug)["head_version"] == 2
    assert_disk_full(alice.save(slug, {"main.py": "print('during')"}, 2))
    assert_disk_full(alice.post("/api/widgets", json={"kind": "script", "title": "Fresh"}))
    assert_disk_full(alice.put(f"/api/widgets/{slug}/secrets/TOKEN", json={"value": "v"}))
    assert_disk_full(alice.post(f"/api/widgets/{slug}/runs"), 503)
    # reads go on
    assert alice.widget(slug)["head_version"] == 2
    assert alice.get(f"/api/widgets/{slug}/versions").status_code == 200
    assert alice.get(f"/api/widgets/{slug}/runs").status_code == 200
    assert alice.get(f"/api/widgets/{slug}/secrets").json()["secrets"] == []
    assert integrity(server.config.database_path) == "ok"

    filler.unlink()
    assert alice.save(slug, {"main.py": "print('after')"}, 2).status_code == 201
    assert alice.put(f"/api/widgets/{slug}/secrets/TOKEN", json={"value": "v"}).status_code == 200
    assert alice.create_widget(title="Fresh")["slug"] == "fresh"
    run = wait_for_run(alice, start_run(alice, slug)["id"])
    assert (run["status"], run["stdout"]) == ("ok", "after\n")
    assert integrity(server.config.database_path) == "ok"


def test_a_run_whose_end_cannot_be_recorded_is_recorded_when_there_is_room(
    full_server: Server,
) -> None:
    server = full_server
    server.user("admin")
    alice = server.user("alice")
    gates = Gates(server.app.state.runtime.bridge)
    try:
        slug = script_widget(alice, f"{gate('end')}\nprint('done')\n")
        run_id = start_run(alice, slug)["id"]
        gates.wait_reached("end")
        filler = fill(server.config.server.data_dir, server.config.database_path)
        gates.open("end")
        time.sleep(1.0)  # the run ends; its record waits for room
        waiting = alice.get(f"/api/runs/{run_id}").json()
        assert waiting["status"] == "running", waiting
        filler.unlink()
        run = wait_for_run(alice, run_id, deadline=10)
        assert (run["status"], run["stdout"]) == ("ok", "done\n")
    finally:
        gates.open_all()


def test_request_logs_wait_for_room(full_server: Server) -> None:
    server = full_server
    server.user("admin")
    alice = server.user("alice")
    code = "import anvil.server\n@anvil.server.route('/')\ndef hello(**q):\n    return 'hi'\n"
    slug = script_widget(alice, code, kind="http", visibility="public")
    filler = fill(server.config.server.data_dir, server.config.database_path)

    answered = alice.get(f"/w/{slug}/")  # the sandbox needs no room on the data disk
    assert (answered.status_code, answered.text) == (200, "hi")
    logs = alice.get(f"/api/widgets/{slug}/logs")  # its flush cannot write: no error
    assert logs.status_code == 200
    assert logs.json()["runs"] == []

    filler.unlink()
    [entry] = alice.get(f"/api/widgets/{slug}/logs").json()["runs"]
    assert (entry["status"], entry["request"]["status"]) == ("ok", 200)


def test_a_failed_commit_leaves_the_writer_usable(tiny_fs: Path) -> None:
    db = Database(tiny_fs / "widgetbox.db")
    try:
        db.write_now(lambda d: d.execute("CREATE TABLE t (v TEXT)"))
        filler = fill(tiny_fs, tiny_fs / "widgetbox.db")
        for _ in range(3):  # the error is SQLite's own, each time, not "no transaction"
            with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
                db.write_now(lambda d: d.execute("INSERT INTO t VALUES (?)", ["v" * 100_000]))
            assert not db._writer.conn.in_transaction
        filler.unlink()
        db.write_now(lambda d: d.execute("INSERT INTO t VALUES ('after')"))
        assert db.read_now(lambda d: d.execute("SELECT v FROM t").fetchall()) == [("after",)]
    finally:
        db.close()


# -- SQLite's own limit (no root needed) ---------------------------------------------------


def set_max_pages(server: Server, pages: int | None) -> None:
    """Cap the writer's database at `pages` (None: its current size); a big number lifts it."""

    def cap(db: Any) -> None:
        limit = pages or int(db.execute("PRAGMA page_count").fetchone()[0])
        db.execute(f"PRAGMA max_page_count = {int(limit)}")

    server.db.write_now(cap)


def test_sqlite_full_anywhere_in_a_write_is_a_507(alice: Browser, server: Server) -> None:
    slug = script_widget(alice, "print(1)")
    set_max_pages(server, None)
    try:
        assert_disk_full(alice.save(slug, {"main.py": BIG}, 2))
        big_secret = {"value": "s" * 60_000}
        assert_disk_full(alice.put(f"/api/widgets/{slug}/secrets/BIG", json=big_secret))
        assert alice.widget(slug)["head_version"] == 2
    finally:
        set_max_pages(server, 1 << 30)
    assert alice.save(slug, {"main.py": BIG}, 2).status_code == 201
    assert alice.put(f"/api/widgets/{slug}/secrets/BIG", json={"value": "s"}).status_code == 200


def test_a_failed_statement_leaves_the_writer_usable(tmp_path: Path) -> None:
    db = Database(tmp_path / "widgetbox.db")
    try:
        db.write_now(lambda d: d.execute("CREATE TABLE t (v TEXT)"))
        pages = db.write_now(lambda d: d.execute("PRAGMA page_count").fetchone()[0])
        db.write_now(lambda d: d.execute(f"PRAGMA max_page_count = {pages}"))

        def insert_then_fail(d: Any) -> None:
            d.execute("INSERT INTO t VALUES ('kept only if committed')")
            d.execute("INSERT INTO t VALUES (?)", ["v" * 100_000])

        with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
            db.write_now(insert_then_fail)
        assert not db._writer.conn.in_transaction
        db.write_now(lambda d: d.execute("PRAGMA max_page_count = 1073741823"))
        db.write_now(lambda d: d.execute("INSERT INTO t VALUES ('after')"))
        assert db.read_now(lambda d: d.execute("SELECT v FROM t").fetchall()) == [("after",)]
    finally:
        db.close()


@pytest.mark.parametrize(
    ("exc", "full"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), True),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), True),
        (OSError(errno.EACCES, "Permission denied"), False),
        (sqlite3.OperationalError("database or disk is full"), True),
        (sqlite3.OperationalError("database is locked"), False),
        (sqlite3.IntegrityError("UNIQUE constraint failed"), False),
        (ExceptionGroup("several", [ValueError(), OSError(errno.ENOSPC, "full")]), True),
        (ValueError("nothing to do with disks"), False),
    ],
)
def test_what_counts_as_a_full_disk(exc: Exception, full: bool) -> None:
    assert is_disk_full(exc) is full


def test_a_full_disk_is_found_behind_the_error_it_caused() -> None:
    def wrapped(suppress: bool) -> Exception:
        try:
            try:
                raise OSError(errno.ENOSPC, "No space left on device")
            except OSError as e:
                if suppress:
                    raise RuntimeError("unrelated") from None
                raise RuntimeError("could not write") from e
        except RuntimeError as outer:
            return outer

    assert is_disk_full(wrapped(suppress=False))
    assert not is_disk_full(wrapped(suppress=True))
