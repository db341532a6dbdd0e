"""`widgetbox restore` over a data folder that has data: the round trip (back up, change
everything, restore with --force: all of it back, secrets decrypting, the replaced data
kept aside), the refusals (a running server, existing data without --force), and a failed
restore putting the data back."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.server._client import PASSWORD
from tests.server._live import Client, serve
from tests.server.test_tables_api import add_row, add_table, rows
from widgetbox.host.cli import main
from widgetbox.host.storage import backups, data_lock

pytestmark = pytest.mark.server

SECRET_SCRIPT = "import anvil.secrets\nprint(anvil.secrets.get_secret('TOKEN'))\n"


def cli(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(arg) for arg in args])
    return result.exit_code, result.output


def slugs_in(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return [row[0] for row in connection.execute("SELECT slug FROM widgets ORDER BY slug")]
    finally:
        connection.close()


def set_secret(client: Client, slug: str, value: str) -> None:
    answer = client.put(f"/api/widgets/{slug}/secrets/TOKEN", json={"value": value})
    assert answer.status_code == 200, answer.text


def log_in(client: Client, username: str) -> None:
    answer = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text


@pytest.fixture
def changed_after_backup(tmp_path: Path) -> tuple[Path, Path, Path, int]:
    """A data folder whose backup was made, then everything in it changed: returns the data
    folder, the backup, a copy of the secrets key kept apart, and the widget's head version
    at the backup."""
    data = tmp_path / "data"
    with serve(data, pool_size=0) as live:
        alice = live.user("alice")
        keeper = alice.widget_with("script", {"main.py": SECRET_SCRIPT}, title="Keeper")
        set_secret(alice, keeper, "s3cret")
        add_table(alice, keeper, "people", name="string")
        add_row(alice, keeper, "people", name="Ada")
        head = alice.api("GET", f"/api/widgets/{keeper}").json()["head_version"]
        code, output = cli("backup", tmp_path / "backup.db", "--data-dir", data)
        assert code == 0, output
        key = tmp_path / "kept-apart.key"
        key.write_bytes((data / "secrets.key").read_bytes())

        set_secret(alice, keeper, "changed")
        add_row(alice, keeper, "people", name="Grace")
        alice.save(keeper, {"main.py": "print('changed')\n"})
        alice.widget_with("script", {"main.py": "print(1)\n"}, title="Later")

        # never under a running server, even with --force
        code, output = cli("restore", tmp_path / "backup.db", "--data-dir", data, "--force")
        assert code == 1
        assert f"Widgetbox is running on {data}" in output
        assert "stop it first" in output
        assert "keeper" in slugs_in(data / "widgetbox.db")
        assert not list(data.glob("replaced-*"))
    return data, tmp_path / "backup.db", key, head


def test_restore_force_brings_everything_back_and_keeps_what_it_replaced(
    changed_after_backup: tuple[Path, Path, Path, int],
) -> None:
    data, backup, key, head = changed_after_backup
    changed = slugs_in(data / "widgetbox.db")
    assert "later" in changed

    code, output = cli("restore", backup, "--data-dir", data)  # without --force: refused
    assert code == 1
    assert "already exists" in output
    assert "--force" in output

    code, output = cli("restore", backup, "--data-dir", data, "--force", "--key", key)

    assert code == 0, output
    lines = output.splitlines()
    progress = [line for line in lines if "checking" in line or "copying the database" in line]
    assert len(progress) == 2, output
    assert "1 widgets' Data Tables (checked)" in output
    (aside,) = data.glob("replaced-*")
    assert f"moved the current data aside to {aside}" in output
    assert f"the data it replaced is in {aside}" in output
    # what was replaced is whole, where the operator was told
    assert slugs_in(aside / "widgetbox.db") == changed
    assert list((aside / "tables").glob("*.db"))
    assert not (aside / "secrets.key").exists()  # the same key: nothing to set aside

    with serve(data, pool_size=0) as live:
        alice = live.client()
        log_in(alice, "alice")
        listed = alice.api("GET", "/api/widgets").json()["widgets"]
        assert sorted(w["slug"] for w in listed) == slugs_in(backup)  # "later" is gone
        assert alice.api("GET", "/api/widgets/keeper").json()["head_version"] == head
        run = alice.run_script("keeper")
        assert (run["status"], run["stdout"]) == ("ok", "s3cret\n")  # the key opens it
        assert [r["values"] for r in rows(alice, "keeper", "people")["rows"]] == [{"name": "Ada"}]
    assert "later" not in slugs_in(data / "widgetbox.db")


def test_a_restore_that_fails_puts_the_data_back(
    changed_after_backup: tuple[Path, Path, Path, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    data, backup, key, _ = changed_after_backup
    before = slugs_in(data / "widgetbox.db")
    tables_before = sorted(p.name for p in (data / "tables").iterdir())

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backups, "restore", full_disk)
    code, output = cli("restore", backup, "--data-dir", data, "--force", "--key", key)

    assert code != 0
    assert "the restore failed: the data from" in output
    assert "is back in place" in output
    assert slugs_in(data / "widgetbox.db") == before
    assert sorted(p.name for p in (data / "tables").iterdir()) == tables_before
    assert not list(data.glob("replaced-*"))


def test_a_server_does_not_start_during_a_restore(tmp_path: Path) -> None:
    with data_lock.exclusive(tmp_path), pytest.raises(data_lock.DataFolderBusy) as refused:
        data_lock.serving(tmp_path)
    assert "is being restored" in str(refused.value)
    data_lock.serving(tmp_path).release()  # free again afterwards
    first, second = data_lock.serving(tmp_path), data_lock.serving(tmp_path)  # shared
    with (
        pytest.raises(data_lock.DataFolderBusy, match="Widgetbox is running on"),
        data_lock.exclusive(tmp_path),
    ):
        pass
    first.release()
    second.release()
