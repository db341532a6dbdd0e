"""Upgrades: a database made by an earlier schema migrates when the server starts, and
everything in it still works over HTTP: signing in, the widget list, a run, its secret, its
Data Tables, its history.

The earlier database is built here, not checked in: the migrations applied only up to the
earlier point (sqlite-utils' `stop_before`), then data written as that schema had it, with
plain SQL (today's records layer may expect columns the old schema lacks). Two earlier
points: the last release's schema (`PREVIOUS_RELEASE`), and the one just before the newest
migration (N-1), so a migration added later is covered the day it is added.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils
from argon2 import PasswordHasher

from tests.server._client import PASSWORD
from tests.server._live import serve
from tests.server.test_tables_api import rows
from widgetbox.host.secrets import SecretBox
from widgetbox.host.storage.migrations import MIGRATIONS
from widgetbox.host.tables.session import TablesSession
from widgetbox.host.tables.store import TablesStore

pytestmark = pytest.mark.server

PREVIOUS_RELEASE = "m012_version_changes"
"""The newest migration of the last release (the schema an operator upgrades from). Move it
to the newest migration when a release is made."""
NAMES = [migration.name for migration in MIGRATIONS.pending(sqlite_utils.Database(memory=True))]
FIRST_NEW = NAMES[NAMES.index(PREVIOUS_RELEASE) + 1] if NAMES[-1] != PREVIOUS_RELEASE else None
EARLIER = sorted({name for name in (FIRST_NEW, NAMES[-1]) if name is not None}, key=NAMES.index)
"""Where the earlier databases stop (before these migrations): the release's, and N-1."""

SCRIPT = (
    "import anvil.secrets\n"
    "from anvil.tables import app_tables\n"
    "print(anvil.secrets.get_secret('TOKEN'), [r['name'] for r in app_tables.people.search()])\n"
)
TABLES = "tables:\n  people:\n    columns:\n      - {name: name, type: string}\n"
WHEN = "2026-11-01T10:00:00.000000+00:00"


def earlier_data_folder(data: Path, stop_before: str) -> None:
    """A data folder as the earlier Widgetbox left it: alice (the admin) with a script
    widget in two versions, a secret, a Data Tables file with a row, and a finished run."""
    data.mkdir(mode=0o700)
    conn = sqlite3.connect(data / "widgetbox.db", isolation_level=None)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA journal_mode = WAL")
    MIGRATIONS.apply(db, stop_before=stop_before)
    applied = {m.name for m in MIGRATIONS.applied(db)}
    assert stop_before not in applied
    assert PREVIOUS_RELEASE in applied
    hashed = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(PASSWORD)
    conn.execute(
        "INSERT INTO users (id, username, password_hash, is_admin, created_at) "
        "VALUES (1, 'alice', ?, 1, ?)",
        [hashed, WHEN],
    )
    conn.execute(
        "INSERT INTO widgets (id, owner_id, kind, title, slug, visibility, head_version, "
        "created_at, updated_at) VALUES (1, 1, 'script', 'Old', 'old', 'private', 2, ?, ?)",
        [WHEN, WHEN],
    )
    versions = [{"main.py": "print('first')\n"}, {"main.py": SCRIPT, "tables.yaml": TABLES}]
    for number, files in enumerate(versions, start=1):
        conn.execute(
            "INSERT INTO widget_versions (widget_id, number, files, message, author_id, "
            "created_at, changes) VALUES (1, ?, ?, '', 1, ?, '[]')",
            [number, json.dumps(files), WHEN],
        )
    nonce, sealed = SecretBox(data).encrypt(1, "TOKEN", "from-before")
    conn.execute(
        "INSERT INTO secrets (widget_id, name, nonce, ciphertext, created_at, updated_at) "
        "VALUES (1, 'TOKEN', ?, ?, ?, ?)",
        [nonce, sealed, WHEN, WHEN],
    )
    conn.execute(
        "INSERT INTO runs (widget_id, version, user_id, trigger, status, queued_at, "
        "started_at, finished_at, wall_time, stdout, number) "
        "VALUES (1, 1, 1, 'manual', 'ok', ?, ?, ?, 0.1, 'first\n', 1)",
        [WHEN, WHEN, WHEN],
    )
    conn.close()
    store = TablesStore(data)
    session = TablesSession(store, 1, TABLES)
    session.call({"op": "add_row", "table": "people", "values": {"name": "Ada"}}, 5)
    session.end()
    store.close()


@pytest.mark.parametrize("stop_before", EARLIER)
def test_a_database_from_an_earlier_schema_migrates_and_works(
    tmp_path: Path, stop_before: str
) -> None:
    data = tmp_path / "data"
    earlier_data_folder(data, stop_before)

    with serve(data, pool_size=0) as live:  # the start migrates it
        alice = live.client()
        answer = alice.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        assert alice.get("/api/session").json()["user"]["is_admin"] is True
        listed = alice.api("GET", "/api/widgets").json()["widgets"]
        assert [w["slug"] for w in listed] == ["old"]
        history = alice.api("GET", "/api/widgets/old/runs").json()["runs"]
        assert [(r["number"], r["status"]) for r in history] == [(1, "ok")]
        assert [r["values"] for r in rows(alice, "old", "people")["rows"]] == [{"name": "Ada"}]

        run = alice.run_script("old")

        assert (run["status"], run["stdout"]) == ("ok", "from-before ['Ada']\n"), run
        versions = alice.api("GET", "/api/widgets/old/versions").json()
        assert len(versions["versions"]) == 2
        assert alice.save("old", {"main.py": "print('after')\n"}) == 3  # and it takes writes

    conn = sqlite3.connect(data / "widgetbox.db")
    try:
        applied = [row[0] for row in conn.execute("SELECT name FROM _sqlite_migrations")]
    finally:
        conn.close()
    assert applied[-1] == NAMES[-1]
    assert sorted(applied) == sorted(NAMES)
