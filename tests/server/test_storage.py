"""The database: pragmas on every connection, migrations, one writer under concurrency,
atomic writes, cascades, and a clean shutdown."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from litestar.testing import TestClient

from tests.server._client import Browser, assert_error, login
from tests.server._data import add_run_and_schedule, rows_of, widget_id
from tests.server.conftest import Server
from widgetbox.host.accounts import users as accounts
from widgetbox.host.app import create_app
from widgetbox.host.config import load
from widgetbox.host.errors import Conflict, DomainError
from widgetbox.host.storage.database import Database
from widgetbox.host.storage.migrations import MIGRATIONS as MIGRATIONS_SET
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.starters import EXAMPLES

pytestmark = pytest.mark.server

TABLES = {
    "users",
    "sessions",
    "site_settings",
    "widgets",
    "widget_versions",
    "runs",
    "schedules",
    "secrets",
    "package_environments",
    "version_packages",
    "email_sends",
    "api_tokens",
    "slug_history",
    "courses",
    "course_members",
    "password_links",
    "assignments",
    "assignment_copies",
    "submissions",
    "assignment_checks",
    "check_runs",
    "feedback",
    "feedback_comments",
    "course_limits",
}
MIGRATIONS = [
    "m001_accounts",
    "m002_widgets",
    "m003_runs_and_schedules",
    "m004_run_details",
    "m005_secrets",
    "m006_packages",
    "m007_email_sends",
    "m008_app_sessions",
    "m009_background_tasks",
    "m010_api_tokens",
    "m011_run_numbers",
    "m012_version_changes",
    "m013_admin",
    "m014_persistent_mode",
    "m015_classrooms",
    "m016_addresses",
    "m017_classroom_checks",
    "m018_classroom_feedback",
    "m019_classroom_limits",
    "m020_check_run_usage",
    "m021_check_run_testing",
]
THREADS = 16


def pragmas(db: sqlite_utils.Database) -> dict[str, Any]:
    return {
        name: db.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
    }


EXPECTED_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": 2,
    "busy_timeout": 10_000,
}


def test_every_connection_has_the_pragmas(alice: Browser, server: Server) -> None:
    db = server.db
    assert db.write_now(pragmas) == EXPECTED_PRAGMAS
    assert db.read_now(pragmas) == EXPECTED_PRAGMAS
    assert asyncio.run(db.write(pragmas)) == EXPECTED_PRAGMAS
    assert asyncio.run(db.read(pragmas)) == EXPECTED_PRAGMAS
    # and the connections the requests used
    for _ in range(8):
        alice.get("/api/widgets")
    connections = [db._writer, *db._readers]
    assert len(connections) >= 2
    for connection in connections:
        assert pragmas(connection) == EXPECTED_PRAGMAS


def test_foreign_keys_are_enforced(server: Server) -> None:
    def orphan(db: sqlite_utils.Database) -> None:
        db.execute(
            "INSERT INTO runs (widget_id, version, trigger, status, queued_at) "
            "VALUES (999, 1, 'manual', 'ok', '2026-01-01')"
        )

    with pytest.raises(sqlite3.IntegrityError):
        server.db.write_now(orphan)


def test_migrations_create_every_table(server: Server) -> None:
    def schema(db: sqlite_utils.Database) -> tuple[set[str], list[str]]:
        names = set(db.table_names())
        applied = [
            row["name"] for row in db.query("SELECT name FROM _sqlite_migrations ORDER BY id")
        ]
        return names, applied

    names, applied = server.db.read_now(schema)
    assert names >= TABLES
    assert applied == MIGRATIONS


def test_migrations_are_idempotent_on_restart(
    make_server: Callable[..., Server], tmp_path: Path
) -> None:
    first = make_server()
    first.user("admin")
    first.user("alice").create_widget(title="Survivor")
    # a second app on the same data folder, while the first still runs (a restart, or a
    # second process): nothing is migrated twice and nothing is lost
    second = make_server()
    applied = second.db.read_now(
        lambda db: [row["name"] for row in db.query("SELECT name FROM _sqlite_migrations")]
    )
    assert applied == MIGRATIONS
    browser = second.browser()
    assert login(browser, "alice").status_code == 200
    assert [w["slug"] for w in browser.get("/api/widgets").json()["widgets"]] == ["survivor"]
    # the same server key: a CSRF cookie from the first app is good on the second
    assert first.config.server.data_dir == second.config.server.data_dir
    assert browser.post("/api/widgets", json={"kind": "script", "title": "x"}).status_code == 201


def test_existing_runs_are_numbered_per_widget_in_the_order_they_were_made(
    tmp_path: Path,
) -> None:
    """m011: runs made before run numbers existed get them, per widget, by id."""
    db = sqlite_utils.Database(tmp_path / "old.db")
    MIGRATIONS_SET.apply(db, stop_before="m011_run_numbers")
    stamp = "2026-01-01T00:00:00+00:00"
    db["users"].insert({"id": 1, "username": "ada", "password_hash": "x", "created_at": stamp})
    for widget_id_, slug in ((1, "first"), (2, "second")):
        db["widgets"].insert(
            {"id": widget_id_, "owner_id": 1, "kind": "script", "title": slug, "slug": slug,
             "visibility": "private", "created_at": stamp, "updated_at": stamp}
        )  # fmt: skip
    owners = [1, 2, 1, 1, 2, 1]
    for run_id, owner in enumerate(owners, start=10):
        db["runs"].insert(
            {"id": run_id, "widget_id": owner, "version": 1, "trigger": "manual",
             "status": "ok", "queued_at": stamp}
        )  # fmt: skip
    MIGRATIONS_SET.apply(db)
    numbered = [
        tuple(row) for row in db.execute("SELECT id, widget_id, number FROM runs ORDER BY id")
    ]
    assert numbered == [(10, 1, 1), (11, 2, 1), (12, 1, 2), (13, 1, 3), (14, 2, 2), (15, 1, 4)]
    with pytest.raises(sqlite3.IntegrityError):  # one number, one run of a widget
        db.execute("UPDATE runs SET number = 1 WHERE id = 12")


def test_shutdown_checkpoints_the_wal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load(environ={}, overrides={"data_dir": tmp_path / "data"})
    app = create_app(config)
    with TestClient(app, base_url="http://testserver.local") as client:
        client.get("/api/session")
        token = client.cookies["wb_csrf"]
        client.post(
            "/api/auth/signup",
            json={"username": "admin", "password": "a long password"},
            headers={"x-csrf-token": token},
        )
        wal = config.database_path.with_name("widgetbox.db-wal")
        assert wal.stat().st_size > 0
    assert not wal.exists() or wal.stat().st_size == 0
    with sqlite3.connect(config.database_path) as copy:
        count = copy.execute("SELECT COUNT(*) FROM widgets").fetchone()[0]
        assert count == len(EXAMPLES)  # the admin's examples, all written before shutdown
    copy.close()


# -- one writer ----------------------------------------------------------------------------


def test_concurrent_saves_over_http_all_land(alice: Browser, server: Server) -> None:
    """16 browsers save at once, each retrying from the head a conflict reports: every save
    lands exactly once, as versions 2..17, and none meets "database is locked"."""
    slug = alice.create_widget(title="Busy")["slug"]
    browsers = []
    for _ in range(THREADS):
        browser = server.browser()
        assert login(browser, "alice").status_code == 200
        browser.csrf_token()
        browsers.append(browser)
    start = threading.Barrier(THREADS)

    def save(n: int) -> tuple[int, int]:
        start.wait()
        base, conflicts = 1, 0
        while True:
            response = browsers[n].save(slug, {"main.py": f"print({n})\n"}, base)
            if response.status_code == 201:
                return response.json()["version"], conflicts
            error = assert_error(response, 409, "version_conflict")
            base = error["details"]["head_version"]
            conflicts += 1

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(save, range(THREADS)))

    assert sorted(number for number, _ in results) == list(range(2, THREADS + 2))
    assert sum(conflicts for _, conflicts in results) > 0  # the saves really overlapped
    versions = alice.get(f"/api/widgets/{slug}/versions").json()
    assert versions["head_version"] == THREADS + 1
    seen = [
        alice.get(f"/api/widgets/{slug}/versions/{n}").json()["files"]["main.py"]
        for n in range(2, THREADS + 2)
    ]
    assert sorted(seen) == sorted(f"print({n})\n" for n in range(THREADS))


def test_concurrent_saves_from_one_base_make_one_version(alice: Browser, server: Server) -> None:
    """16 writes at once through `Database.write`, all from version 1: one wins, 15 get the
    409, and nothing else happens."""
    slug = alice.create_widget(title="Race")["slug"]
    user = server.db.read_now(accounts.find_user, "alice")
    assert user is not None
    owner = accounts.User.from_row(user)

    def save(db: sqlite_utils.Database, n: int) -> int:
        widget = widgets.owned(db, slug, owner)
        return widgets.save(db, widget, owner, 1, {"main.py": f"print({n})"})[1]

    async def race() -> list[Any]:
        return await asyncio.gather(
            *(server.db.write(save, n) for n in range(THREADS)), return_exceptions=True
        )

    results = asyncio.run(race())
    won = [r for r in results if isinstance(r, int)]
    lost = [r for r in results if isinstance(r, DomainError)]
    assert won == [2]
    assert len(lost) == THREADS - 1
    assert {(type(e), e.code) for e in lost} == {(Conflict, "version_conflict")}
    assert rows_of(server.db, slug)["widget_versions"] == 2


def test_two_writers_on_one_file_never_meet_a_locked_database(
    alice: Browser, server: Server
) -> None:
    """The app's writer and a second connection (another process, the command line) write at
    the same time from 16 threads: BEGIN IMMEDIATE and the busy timeout serialize them."""
    slug = alice.create_widget(title="Shared file")["slug"]
    other = Database(server.config.database_path)
    user = server.db.read_now(accounts.find_user, "alice")
    assert user is not None
    owner = accounts.User.from_row(user)
    per_thread = 5
    start = threading.Barrier(THREADS)

    def save_at_head(db: sqlite_utils.Database, n: int) -> int:
        widget = widgets.owned(db, slug, owner)
        return widgets.save(db, widget, owner, widget.head_version, {"main.py": f"print({n})"})[1]

    def work(n: int) -> list[int]:
        database = server.db if n % 2 else other
        start.wait()
        return [database.write_now(save_at_head, n * 100 + i) for i in range(per_thread)]

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            numbers = [n for batch in pool.map(work, range(THREADS)) for n in batch]
    finally:
        other.close()
    total = THREADS * per_thread
    assert sorted(numbers) == list(range(2, total + 2))
    assert rows_of(server.db, slug)["widget_versions"] == total + 1
    assert alice.widget(slug)["head_version"] == total + 1


# -- atomic writes and cascades ------------------------------------------------------------


def test_a_failed_write_leaves_nothing_behind(
    alice: Browser, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("disk on fire")

    original = widgets._add_version
    monkeypatch.setattr(widgets, "_add_version", fail)
    response = alice.post("/api/widgets", json={"kind": "script", "title": "Half made"})
    assert_error(response, 500, "internal_error")
    monkeypatch.setattr(widgets, "_add_version", original)

    assert (
        server.db.read_now(
            lambda db: db.execute(
                "SELECT COUNT(*) FROM widgets WHERE slug = 'half-made'"
            ).fetchone()[0]
        )
        == 0
    )
    assert alice.get("/api/widgets").json()["widgets"] == []
    assert alice.create_widget(title="Half made")["slug"] == "half-made"


def test_deleting_a_widget_deletes_its_versions_runs_schedules_and_secrets(
    alice: Browser, bob: Browser, server: Server
) -> None:
    alice.create_widget(title="Doomed", visibility="public")
    alice.save("doomed", {"main.py": "print(2)"}, 1)
    add_run_and_schedule(server.db, "doomed")
    assert alice.put("/api/widgets/doomed/secrets/TOKEN", json={"value": "v"}).status_code == 200
    fork = bob.post("/api/widgets/doomed/fork").json()["slug"]
    doomed = server.db.read_now(widget_id, "doomed")
    assert rows_of(server.db, "doomed") == {"widget_versions": 2, "runs": 1, "schedules": 1}

    assert alice.delete("/api/widgets/doomed").status_code == 204

    def left(db: sqlite_utils.Database) -> dict[str, int]:
        return {
            f"{table}.{column}": db.execute(
                f"SELECT COUNT(*) FROM {table} WHERE {column} = ?",
                [doomed],
            ).fetchone()[0]
            for table, column in [
                ("widgets", "id"),
                ("widget_versions", "widget_id"),
                ("runs", "widget_id"),
                ("schedules", "widget_id"),
                ("secrets", "widget_id"),
                ("widgets", "forked_from_id"),
            ]
        }

    assert server.db.read_now(left) == {
        "widgets.id": 0,
        "widget_versions.widget_id": 0,
        "runs.widget_id": 0,
        "schedules.widget_id": 0,
        "secrets.widget_id": 0,
        "widgets.forked_from_id": 0,
    }
    assert rows_of(server.db, fork)["widget_versions"] == 1  # the fork stays, unlinked
    assert bob.widget(fork)["forked_from"] is None
