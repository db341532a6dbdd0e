"""The `[email]` settings (`host/config.py`) and the daily count (`host/email/records.py`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from widgetbox.host.config import ConfigError, load
from widgetbox.host.email import day_of, give_back, sent_on, take_send
from widgetbox.host.storage.database import Database
from widgetbox.host.storage.times import iso, now

pytestmark = pytest.mark.unit


def email_settings(**overrides: Any) -> Any:
    return load(environ={}, overrides=overrides).email


def test_email_is_off_until_a_server_and_a_sender_are_set() -> None:
    settings = email_settings()
    assert not settings.configured
    assert (settings.email_security, settings.port, settings.email_per_widget_per_day) == (
        "starttls",
        587,
        100,
    )
    settings = email_settings(email_host="SMTP.Example.com", email_from="a@example.com")
    assert settings.configured
    assert settings.email_host == "smtp.example.com"


@pytest.mark.parametrize(
    ("security", "port", "expected"),
    [("starttls", 0, 587), ("tls", 0, 465), ("none", 0, 25), ("tls", 2465, 2465)],
)
def test_the_port_follows_the_security_unless_given(
    security: str, port: int, expected: int
) -> None:
    assert email_settings(email_security=security, email_port=port).port == expected


def test_the_environment_sets_them_too(tmp_path: Path) -> None:
    path = tmp_path / "widgetbox.toml"
    path.write_text('[email]\nemail_host = "smtp.example.com"\nemail_security = "TLS"\n')
    config = load(
        path,
        environ={
            "WIDGETBOX_EMAIL_FROM": "Widgets <widgets@example.com>",
            "WIDGETBOX_EMAIL_PER_WIDGET_PER_DAY": "5",
        },
    )
    assert config.email.email_security == "tls"
    assert config.email.email_from == "Widgets <widgets@example.com>"
    assert config.email.email_per_widget_per_day == 5


def test_the_password_is_never_shown() -> None:
    settings = email_settings(
        email_host="smtp.example.com",
        email_from="a@example.com",
        email_user="mailer",
        email_password="hunter2-secret",
    )
    assert settings.email_password == "hunter2-secret"
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in repr(settings.email_password)


def test_bad_values_and_contradictions_are_listed_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        load(
            environ={
                "WIDGETBOX_EMAIL_HOST": "smtp.example.com",
                "WIDGETBOX_EMAIL_SECURITY": "ssl",
                "WIDGETBOX_EMAIL_PORT": "70000",
                "WIDGETBOX_EMAIL_PASSWORD": "hunter2-secret",
            }
        )
    message = str(caught.value)
    assert message.startswith("4 problems:")
    for words in (
        "WIDGETBOX_EMAIL_SECURITY: expected one of none, starttls, tls",
        "WIDGETBOX_EMAIL_PORT: expected a whole number from 0 to 65535",
        "email_host is set but email_from is not",
        "email_user and email_password go together",
        # the security fell back to its default (starttls), so only the pair is wrong
    ):
        assert words in message
    assert "hunter2" not in message
    with pytest.raises(ConfigError, match=r"unencrypted to smtp\.example\.com"):
        load(
            environ={},
            overrides={
                "email_host": "smtp.example.com",
                "email_from": "a@example.com",
                "email_security": "none",
                "email_user": "u",
                "email_password": "p",
            },
        )
    # a server on this machine may take a password without TLS
    assert email_settings(
        email_host="localhost",
        email_from="a@example.com",
        email_security="none",
        email_user="u",
        email_password="p",
    ).configured


@pytest.mark.parametrize(
    "sender", ["not an address", "a@b\r\nBcc: c@d", "Name <a@b", "a@@b", "a b@example.com"]
)
def test_the_sender_must_be_one_address(sender: str) -> None:
    with pytest.raises(ConfigError, match="expected an address such as"):
        email_settings(email_from=sender)


@pytest.mark.parametrize("host", ["smtp example.com", "smtp.example.com:25", "-bad.example"])
def test_the_host_is_a_name_or_address(host: str) -> None:
    with pytest.raises(ConfigError, match="expected a host name or IP address"):
        email_settings(email_host=host)


# -- the daily count ---------------------------------------------------------------------------


@pytest.fixture
def database(tmp_path: Path) -> Any:
    db = Database(tmp_path / "widgetbox.db")
    yield db
    db.close()


def add_widget(database: Database) -> int:
    def add(db: Any) -> int:
        stamp = iso(now())
        tag = uuid.uuid4().hex[:12]
        owner = db.table("users").insert(
            {"username": f"u{tag}", "password_hash": "-", "created_at": stamp}
        )
        widget = db.table("widgets").insert(
            {
                "owner_id": owner.last_pk,
                "kind": "script",
                "title": "Mailer",
                "slug": f"w-{tag}",
                "visibility": "private",
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        return int(widget.last_pk)

    return database.write_now(add)


def test_the_day_is_utcs() -> None:
    late = datetime(2026, 12, 4, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert day_of(late) == "2026-12-05"
    assert day_of(datetime(2026, 12, 4, 0, 0, tzinfo=UTC)) == "2026-12-04"


def test_each_widget_has_its_own_count_per_day(database: Database) -> None:
    one, two = add_widget(database), add_widget(database)
    day = "2026-12-04"
    assert [database.write_now(take_send, one, day, 3) for _ in range(4)] == [True] * 3 + [False]
    assert database.read_now(sent_on, one, day) == 3
    assert database.write_now(take_send, two, day, 3)  # another widget's own count
    database.write_now(give_back, one, day)
    assert database.read_now(sent_on, one, day) == 2
    assert database.write_now(take_send, one, day, 3)
    assert not database.write_now(take_send, one, day, 3)
    assert not database.write_now(take_send, one, day, 0)


def test_a_new_day_starts_afresh_and_forgets_the_old_ones(database: Database) -> None:
    widget = add_widget(database)
    assert database.write_now(take_send, widget, "2026-12-04", 1)
    assert not database.write_now(take_send, widget, "2026-12-04", 1)
    assert database.write_now(take_send, widget, "2026-12-05", 1)
    rows = database.read_now(
        lambda db: db.execute(
            "SELECT day, sent FROM email_sends WHERE widget_id = ?", [widget]
        ).fetchall()
    )
    assert rows == [("2026-12-05", 1)]
    database.write_now(give_back, widget, "2026-12-05")
    database.write_now(give_back, widget, "2026-12-05")  # never below zero
    assert database.read_now(sent_on, widget, "2026-12-05") == 0


def test_a_deleted_widget_takes_its_counts_with_it(database: Database) -> None:
    widget = add_widget(database)
    database.write_now(take_send, widget, "2026-12-04", 5)
    database.write_now(lambda db: db.execute("DELETE FROM widgets WHERE id = ?", [widget]))
    assert database.read_now(sent_on, widget, "2026-12-04") == 0
