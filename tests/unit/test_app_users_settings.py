"""A widget's `services.yaml`: the Users service's settings read strictly (every problem
listed, with where it is), written back, and what the run's Data Tables may not touch."""

from __future__ import annotations

import pytest

from widgetbox.host.app_users import guard_for
from widgetbox.host.app_users.settings import SettingsError, UsersSettings, dump, parse
from widgetbox.host.tables import guard

pytestmark = pytest.mark.unit


def test_no_file_or_no_section_is_off() -> None:
    assert parse(None) is None
    assert parse("  \n") is None
    assert parse("# nothing\n") is None


def test_an_empty_section_is_on_with_anvils_defaults() -> None:
    assert parse("users:\n") == UsersSettings()
    assert UsersSettings().to_json() == {
        "allow_signup": True,
        "enable_automatically": True,
        "confirm_email": False,
        "remember_me_days": 30,
        "min_password_length": 8,
    }


def test_settings_round_trip() -> None:
    chosen = UsersSettings(allow_signup=False, confirm_email=True, remember_me_days=0)
    assert parse(dump(chosen)) == chosen


def test_every_problem_is_listed() -> None:
    text = (
        "users:\n  allow_signup: yes please\n  remember_me_days: -1\n"
        "  min_password_length: true\n  colour: red\nbilling: {}\n"
    )
    with pytest.raises(SettingsError) as info:
        parse(text)
    assert info.value.problems == (
        "unknown service 'billing' (Widgetbox knows `users`)",
        "users.allow_signup is true or false",
        "users.remember_me_days is a whole number from 0 to 3,650",
        "users.min_password_length is a whole number from 1 to 256",
        "users: unknown setting 'colour'",
    )


@pytest.mark.parametrize("text", ["users: [1]\n", "- users\n", "users: {a\n"])
def test_malformed_files(text: str) -> None:
    with pytest.raises(SettingsError):
        parse(text)


def test_the_password_hashes_are_guarded_while_the_service_is_on() -> None:
    assert guard_for({}) == guard.NONE
    assert guard_for({"services.yaml": "users:\n"}) == guard.USERS_PASSWORD
    # settings that cannot be read: the hashes stay guarded
    assert guard_for({"services.yaml": "users: [1]\n"}) == guard.USERS_PASSWORD
