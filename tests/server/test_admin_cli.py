"""`widgetbox admin`: the commands against a data folder of their own, what they change in
its database, their refusals (exit status 1, in words) and their help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from widgetbox.host.accounts import password_links, sessions
from widgetbox.host.accounts import users as accounts
from widgetbox.host.cli import main
from widgetbox.host.config import load
from widgetbox.host.storage.database import Database
from widgetbox.host.widgets import records as widgets

pytestmark = pytest.mark.server

PASSWORD = "a long password"


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder whose database has the admin `root` and `alice` (with a widget), and
    a settings file of its own (never the developer's)."""
    for name in list(os.environ):
        if name.startswith("WIDGETBOX_"):
            monkeypatch.delenv(name)
    folder = tmp_path / "data"
    (tmp_path / "widgetbox.toml").write_text(
        f'[server]\ndata_dir = "{folder}"\npublic_url = "https://widgets.example.com"\n'
    )
    monkeypatch.chdir(tmp_path)
    db = open_db(folder)
    try:
        for name in ("root", "alice"):
            db.write_now(accounts.create_user, name, accounts.hash_password(PASSWORD), True)
        alice = db.read_now(accounts.get_user, 2)
        db.write_now(widgets.create, alice, "script", "Hello")
    finally:
        db.close()
    return folder


def open_db(folder: Path) -> Database:
    return Database(load(environ={}, overrides={"data_dir": folder}).database_path)


def user(folder: Path, name: str) -> accounts.User:
    db = open_db(folder)
    try:
        row = db.read_now(accounts.find_user, name)
    finally:
        db.close()
    assert row is not None
    return accounts.User.from_row(row)


def admin(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, ["admin", *args], input=stdin)


def refused(result: Result, words: str) -> None:
    assert result.exit_code == 1, result.output
    assert words in result.output, result.output


def test_users_are_listed_with_their_usage(data: Path) -> None:
    listed = admin("users")
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].split() == [
        "USERNAME",
        "ROLE",
        "WIDGETS",
        "RUNS",
        "TODAY",
        "STORAGE",
        "CREATED",
    ]
    assert lines[1].split()[:3] == ["root", "admin", "0"]
    assert lines[2].split()[:4] == ["alice", "user", "1", "0"]
    found = json.loads(admin("users", "ali", "--json").output)
    assert found["total"] == 1
    [alice] = found["users"]
    assert alice["username"] == "alice"
    assert alice["widgets"] == 1
    assert alice["storage_bytes"] > 0
    assert admin("users", "nobody").output == "No accounts match.\n"


def test_a_user_is_made_with_a_link_or_a_password(data: Path) -> None:
    made = admin("create-user", "Carol")
    assert made.exit_code == 0, made.output
    link = made.output.splitlines()[-1]
    assert link.startswith("https://widgets.example.com/set-password#")
    carol = user(data, "carol")
    assert not carol.is_admin
    db = open_db(data)
    try:  # the link sets the password, once
        db.write_now(password_links.use, link.split("#")[1], accounts.hash_password(PASSWORD))
        row = db.read_now(accounts.find_user, "carol")
    finally:
        db.close()
    assert accounts.verify_password(row["password_hash"], PASSWORD)

    scripted = admin("create-user", "ci-bot", "--admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert scripted.exit_code == 0, scripted.output
    assert "set-password" not in scripted.output
    db = open_db(data)
    try:
        row = db.read_now(accounts.find_user, "ci-bot")
    finally:
        db.close()
    assert row["is_admin"] == 1
    assert accounts.verify_password(row["password_hash"], PASSWORD)

    refused(admin("create-user", "alice"), "taken")
    refused(admin("create-user", "x"), "A username is 3 to 32 characters")
    refused(admin("create-user", "dave", "--password-stdin", stdin="short\n"), "8 to 256")


def test_admins_are_made_and_removed_never_the_last(data: Path) -> None:
    refused(admin("remove-admin", "root"), "root is the only admin")
    assert admin("make-admin", "alice").output == "alice is an admin now.\n"
    assert user(data, "alice").is_admin
    assert admin("remove-admin", "root").exit_code == 0
    assert not user(data, "root").is_admin
    refused(admin("disable", "alice"), "alice is the only admin")
    refused(admin("make-admin", "nobody"), "There is no account 'nobody'")


def test_disabling_ends_sessions_and_enabling_undoes_it(data: Path) -> None:
    db = open_db(data)
    try:
        token = db.write_now(sessions.new_session, 2)
    finally:
        db.close()
    done = admin("disable", "alice")
    assert done.output == "alice is disabled now.\n"
    assert user(data, "alice").disabled
    db = open_db(data)
    try:
        found = db.read_now(sessions.session_user, token, *sessions_limits())
        [widget] = db.read_now(widgets.list_owned, 2, 10, 0)
    finally:
        db.close()
    assert found is None
    assert widget.owner_disabled
    assert not widgets.can_read(widget, None)
    refused(admin("disable", "root"), "root is the only admin")
    assert admin("enable", "alice").output == "alice is enabled now.\n"
    assert not user(data, "alice").disabled


def test_reset_password_prints_a_new_link(data: Path) -> None:
    first = admin("reset-password", "alice").output.splitlines()[-1]
    second = admin("reset-password", "alice").output.splitlines()[-1]
    assert first != second
    assert second.startswith("https://widgets.example.com/set-password#")
    db = open_db(data)
    try:
        with pytest.raises(Exception, match="expired or was already used"):
            db.write_now(password_links.use, first.split("#")[1], "x")
        db.write_now(password_links.use, second.split("#")[1], accounts.hash_password("new one!"))
    finally:
        db.close()
    refused(admin("reset-password", "nobody"), "There is no account")


def test_a_folder_without_a_database_is_refused(tmp_path: Path) -> None:
    result = admin("users", "--data-dir", str(tmp_path / "empty"))
    refused(result, "There is no Widgetbox database")


def test_every_command_explains_itself() -> None:
    commands = ["users", "create-user", "reset-password", "make-admin", "remove-admin"]
    for name in [*commands, "disable", "enable"]:
        shown = admin(name, "--help")
        assert shown.exit_code == 0
        assert "--data-dir" in shown.output
    # the installed command has the group
    found = subprocess.run(
        [str(Path(sys.executable).parent / "widgetbox"), "admin", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "create-user" in found.stdout


def sessions_limits() -> tuple[timedelta, timedelta]:
    return sessions.limits(load(environ={}))
