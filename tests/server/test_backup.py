"""`widgetbox backup`: a consistent copy of the live database."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.server._client import Browser, login
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

    code, output = backup(target, server.config.data_dir)

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
        code, output = backup(tmp_path / "copy.db", server.config.data_dir)
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
    code, output = backup(restored_dir / "widgetbox.db", server.config.data_dir)
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
    code, output = backup(target, server.config.data_dir)
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
