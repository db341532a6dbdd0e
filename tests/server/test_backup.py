"""`widgetbox backup`: a consistent copy of the live database; `widgetbox restore`: a
checked copy put in place in a new data folder, with the secrets key."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.server._client import Browser, login
from tests.server._runs import script_widget, start_run, wait_for_run
from tests.server.conftest import Server
from widgetbox.host.cli import main

pytestmark = pytest.mark.server


def backup(target: Path, data_dir: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["backup", str(target), "--data-dir", str(data_dir)])
    return result.exit_code, result.output


def slugs_in(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return [row[0] for row in connection.execute("SELECT slug FROM widgets ORDER BY slug")]
    finally:
        connection.close()


def test_backup_copies_the_live_database(alice: Browser, server: Server, tmp_path: Path) -> None:
    alice.create_widget(title="Precious", visibility="public")
    alice.save("precious", {"main.py": "print('v2')"}, 1)
    target = tmp_path / "backups" / "copy.db"

    code, output = backup(target, server.config.server.data_dir)

    assert code == 0, output
    assert "integrity ok" in output
    assert str(target) in output
    assert slugs_in(target) == slugs_in(server.config.database_path)
    assert "precious" in slugs_in(target)
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        files = copy.execute(
            "SELECT files FROM widget_versions JOIN widgets ON widgets.id = widget_id "
            "WHERE slug = 'precious' AND number = 2"
        ).fetchone()[0]
        assert "print('v2')" in files
        assert copy.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 2
    finally:
        copy.close()


def test_backup_while_writing_is_consistent(alice: Browser, server: Server, tmp_path: Path) -> None:
    slug = alice.create_widget(title="Busy")["slug"]
    stop = threading.Event()
    statuses: list[int] = []

    def keep_saving() -> None:
        head = 1
        while not stop.is_set():
            response = alice.save(slug, {"main.py": f"print({head})"}, head)
            statuses.append(response.status_code)
            if response.status_code != 201:
                return
            head = response.json()["version"]

    writer = threading.Thread(target=keep_saving)
    writer.start()
    try:
        while len(statuses) < 5 and writer.is_alive():
            stop.wait(0.005)
        code, output = backup(tmp_path / "copy.db", server.config.server.data_dir)
    finally:
        stop.set()
        writer.join()
    assert code == 0, output
    assert len(statuses) >= 5
    assert set(statuses) == {201}
    copy = sqlite3.connect(tmp_path / "copy.db")
    try:
        # every widget's head version is in the copy: no write was copied in half
        for head, latest in copy.execute(
            "SELECT head_version, (SELECT MAX(number) FROM widget_versions "
            "WHERE widget_id = widgets.id) FROM widgets"
        ):
            assert head == latest
    finally:
        copy.close()


def test_a_backup_can_be_served(
    alice: Browser, server: Server, make_server: Callable[..., Server], tmp_path: Path
) -> None:
    alice.create_widget(title="Restored later")
    restored_dir = tmp_path / "restored"
    code, output = backup(restored_dir / "widgetbox.db", server.config.server.data_dir)
    assert code == 0, output
    restored = make_server(data_dir=restored_dir)
    browser = restored.browser()
    assert login(browser, "alice").status_code == 200
    assert browser.widget("restored-later")["owner"] == "alice"


def test_backup_of_a_folder_whose_name_looks_like_a_uri(
    make_server: Callable[..., Server], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data 100%41 #1 ?mode=rw"
    server = make_server(data_dir=data_dir)
    server.user("admin")
    code, output = backup(tmp_path / "copy.db", data_dir)
    assert code == 0, output
    assert slugs_in(tmp_path / "copy.db") == slugs_in(data_dir / "widgetbox.db")


def test_backup_refuses_an_existing_target(server: Server, admin: Browser, tmp_path: Path) -> None:
    target = tmp_path / "exists.db"
    target.write_bytes(b"keep me")
    code, output = backup(target, server.config.server.data_dir)
    assert code == 1
    assert "already exists" in output
    assert target.read_bytes() == b"keep me"


def test_backup_reports_a_missing_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    target = tmp_path / "copy.db"
    code, output = backup(target, empty)
    assert code == 1
    assert "there is no database at" in output
    assert str(empty / "widgetbox.db") in output
    assert not target.exists()


# -- widgetbox restore ---------------------------------------------------------------------

SECRET_SCRIPT = "import anvil.secrets\nprint(anvil.secrets.get_secret('TOKEN'))\n"


def restore(backup_file: Path, data_dir: Path, *options: str) -> tuple[int, str]:
    args = ["restore", str(backup_file), "--data-dir", str(data_dir), *options]
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.output


@pytest.fixture
def backed_up(alice: Browser, server: Server, tmp_path: Path) -> Path:
    """A backup of a server where alice has a script that prints its secret TOKEN."""
    slug = script_widget(alice, SECRET_SCRIPT, title="Keeper")
    assert (
        alice.put(f"/api/widgets/{slug}/secrets/TOKEN", json={"value": "s3cret"}).status_code == 200
    )
    code, output = backup(tmp_path / "backup.db", server.config.server.data_dir)
    assert code == 0, output
    return tmp_path / "backup.db"


def test_restore_brings_back_the_database_and_the_keys(
    alice: Browser,
    backed_up: Path,
    server: Server,
    make_server: Callable[..., Server],
    tmp_path: Path,
) -> None:
    restored_dir = tmp_path / "restored"
    keys = {name: server.config.server.data_dir / name for name in ("secrets.key", "server.key")}

    code, output = restore(
        backed_up, restored_dir, "--key", str(keys["secrets.key"]),
        "--server-key", str(keys["server.key"]),
    )  # fmt: skip

    assert code == 0, output
    assert "integrity ok" in output
    assert "1 secrets" in output
    assert "opens the backup's secrets" in output
    assert f"widgetbox serve --data-dir {restored_dir}" in output
    for name, original in keys.items():
        installed = restored_dir / name
        assert installed.read_bytes() == original.read_bytes()
        assert installed.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in restored_dir.iterdir()) == [
        "secrets.key",
        "server.key",
        "widgetbox.db",
        "widgetbox.lock",
    ]  # fmt: skip (the lock: the restore held the folder)
    assert not list(backed_up.parent.glob("backup.db-*"))  # nothing left beside the backup
    restored = make_server(data_dir=restored_dir)
    again = restored.browser()
    assert login(again, "alice").status_code == 200
    run = wait_for_run(again, start_run(again, "keeper")["id"])
    assert (run["status"], run["stdout"]) == ("ok", "s3cret\n")
    # a browser signed in before the backup goes on as it was: session and CSRF cookie
    before = restored.browser()
    before.client.cookies.update(alice.client.cookies)
    assert before.whoami() is not None
    assert before.save("keeper", {"main.py": "print('still me')"}, 2).status_code == 201


def test_restore_never_replaces_a_database(backed_up: Path, server: Server) -> None:
    database = server.config.database_path
    before = slugs_in(database)

    code, output = restore(backed_up, server.config.server.data_dir)

    assert code == 1
    assert f"{database} already exists" in output
    assert "restore with --force" in output
    assert slugs_in(database) == before


def test_restore_without_the_key_warns_that_secrets_cannot_be_read(
    backed_up: Path, tmp_path: Path
) -> None:
    code, output = restore(backed_up, tmp_path / "restored")
    assert code == 0, output
    assert "WARNING" in output
    assert "cannot be read" in output
    assert "secrets.key" in output
    assert not (tmp_path / "restored" / "secrets.key").exists()


def test_restore_refuses_a_key_that_does_not_open_the_secrets(
    backed_up: Path, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.key"
    wrong.write_bytes(os.urandom(32))
    code, output = restore(backed_up, tmp_path / "restored", "--key", str(wrong))
    assert code == 1
    assert "does not decrypt the backup's secrets" in output
    assert not (tmp_path / "restored" / "widgetbox.db").exists()
    assert not (tmp_path / "restored" / "secrets.key").exists()


def test_restore_refuses_another_key_already_in_the_folder(
    backed_up: Path, server: Server, tmp_path: Path
) -> None:
    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    (restored_dir / "secrets.key").write_bytes(os.urandom(32))
    key = server.config.server.data_dir / "secrets.key"
    code, output = restore(backed_up, restored_dir, "--key", str(key))
    assert code == 1
    assert "already exists and is a different key" in output
    code, output = restore(backed_up, restored_dir)  # and without --key: it is checked too
    assert code == 1
    assert "does not decrypt the backup's secrets" in output
    assert not (restored_dir / "widgetbox.db").exists()


def test_restore_refuses_what_is_not_a_good_widgetbox_backup(
    backed_up: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE notes (text TEXT)")
    connection.commit()
    connection.close()
    newer = tmp_path / "newer.db"
    newer.write_bytes(backed_up.read_bytes())
    connection = sqlite3.connect(newer)
    connection.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('widgetbox', 'm999_from_the_future', '2030-01-01')"
    )
    connection.commit()
    connection.close()
    damaged = tmp_path / "damaged.db"
    data = bytearray(backed_up.read_bytes())
    page = 4096
    data[3 * page : 5 * page] = os.urandom(2 * page)
    damaged.write_bytes(bytes(data))
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)

    for source, reason in [
        (tmp_path / "missing.db", "there is no backup at"),
        (garbage, "is not a readable SQLite database"),
        (other, "is not a Widgetbox database"),
        (newer, "was made by a newer Widgetbox (its schema has m999_from_the_future"),
        (damaged, "restore an older backup"),
    ]:
        code, output = restore(source, tmp_path / "restored")
        assert code == 1, (source, output)
        assert reason in output, output
        assert not (tmp_path / "restored" / "widgetbox.db").exists()
