"""A widget's Users service settings: the `users:` section of its `services.yaml`.

    users:
      allow_signup: true          # visitors may sign themselves up (from the browser)
      enable_automatically: true  # new accounts may log in at once (else the owner enables them)
      confirm_email: false        # a new account confirms its address by a link first
      remember_me_days: 30        # "Remember me" keeps a login this long; 0 turns it off
      min_password_length: 8

The file is one of the widget's files, so the settings are versioned, diffed, restored and
forked with its code (as `tables.yaml` is), and a widget of any kind can have them: an HTTP
API authenticates its callers against its users (`authenticate_users=True`) as a GUI app
logs its visitors in. Without a `users:` section the service is off. The IDE's settings page
writes the file; `parse` lists every problem at once, each with where it is.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from typing import Any

import yaml

SERVICES_FILE = "services.yaml"
"""The widget file that holds its services' settings."""
MAX_TEXT = 100_000
MAX_REMEMBER_DAYS = 3650
MIN_PASSWORD, MAX_PASSWORD = 1, 256
"""The smallest a widget may set as its minimum password length, and the longest password
anyone may choose (so hashing a password always costs about the same)."""

_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class UsersSettings:
    """The Users service of one widget, as it is on (`None` where the service is off)."""

    allow_signup: bool = True
    """Visitors may sign up from the browser (`signup_with_email` and the sign-up form);
    server code may always add users."""
    enable_automatically: bool = True
    """New accounts are enabled at once; otherwise the owner enables them on the Data page."""
    confirm_email: bool = False
    """A new account must follow the link emailed to it before it can log in."""
    remember_me_days: int = 30
    """How long "Remember me" keeps a browser logged in; 0 turns remembering off."""
    min_password_length: int = 8
    """Passwords shorter than this are refused (`PasswordNotAcceptable`)."""

    def to_json(self) -> dict[str, Any]:
        return {field.name: getattr(self, field.name) for field in fields(self)}


class SettingsError(ValueError):
    """`services.yaml` cannot be used; `problems` lists each problem with where it is."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"{SERVICES_FILE} has problems: " + "; ".join(problems))


_BOOLS = ("allow_signup", "enable_automatically", "confirm_email")
_INTS = {
    "remember_me_days": (0, MAX_REMEMBER_DAYS),
    "min_password_length": (MIN_PASSWORD, MAX_PASSWORD),
}


def users_settings(files: Any) -> UsersSettings | None:
    """The Users service of a widget with these files (None: off); SettingsError when
    `services.yaml` cannot be read."""
    return parse(files.get(SERVICES_FILE) if files is not None else None)


def parse(text: str | None) -> UsersSettings | None:
    if text is None or not text.strip():
        return None
    return _parse(text)


@functools.lru_cache(maxsize=128)
def _parse(text: str) -> UsersSettings | None:
    if len(text) > MAX_TEXT:
        raise SettingsError([f"it is longer than {MAX_TEXT:,} characters"])
    try:
        document = yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise SettingsError([f"{where}it is not valid YAML"]) from None
    if document is None:
        return None
    if not isinstance(document, dict):
        raise SettingsError(["it is a map of services (`users:`)"])
    problems = [
        f"unknown service {str(key)[:40]!r} (Widgetbox knows `users`)"
        for key in document
        if key != "users"
    ]
    if "users" not in document:
        if problems:
            raise SettingsError(problems)
        return None
    section = document["users"]
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise SettingsError([*problems, "users: is a map of settings"])
    values = _section(section, problems)
    if problems:
        raise SettingsError(problems)
    return UsersSettings(**values)


def _section(section: dict[Any, Any], problems: list[str]) -> dict[str, Any]:
    """The settings of `users:` that are right; what is wrong goes to `problems`."""
    values: dict[str, Any] = {}
    for key, value in section.items():
        if key in _BOOLS:
            if isinstance(value, bool):
                values[key] = value
            else:
                problems.append(f"users.{key} is true or false")
        elif key in _INTS:
            low, high = _INTS[key]
            if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
                values[key] = value
            else:
                problems.append(f"users.{key} is a whole number from {low} to {high:,}")
        else:
            problems.append(f"users: unknown setting {str(key)[:40]!r}")
    return values


def dump(settings: UsersSettings) -> str:
    """`services.yaml` with the Users service on with these settings (off: no file)."""
    return "# Services of this widget (see the widget's settings page).\n" + yaml.safe_dump(
        {"users": settings.to_json()}, sort_keys=False
    )
