"""Widgetbox's accounts: users, their passwords, and whether anyone may sign up (the rules,
as functions of the database; sessions are in `sessions.py`).

Passwords are hashed with Argon2id (argon2-cffi's defaults) after a length check, so an
enormous password cannot make hashing expensive. The first account is the admin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from widgetbox.host.errors import Conflict, Forbidden, Invalid
from widgetbox.host.storage.times import iso, now

USERNAME = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{1,30})[a-z0-9]$")
MIN_PASSWORD, MAX_PASSWORD = 8, 256

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a real password, for equal timing")


@dataclass(frozen=True)
class User:
    id: int
    username: str
    is_admin: bool
    created_at: str
    disabled: bool = False
    """Disabled by an admin (`admin/users.py`): refused at log-in, by its sessions and by its
    API tokens, and its widgets are served to no one but admins."""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> User:
        return cls(
            id=row["id"],
            username=row["username"],
            is_admin=bool(row["is_admin"]),
            created_at=row["created_at"],
            disabled=row.get("disabled_at") is not None,
        )


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise Invalid(
            "invalid_username",
            "A username is 3 to 32 characters: lowercase letters, digits, '-' and '_', "
            "starting and ending with a letter or digit.",
        )
    return name


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(
            "invalid_password",
            f"A password is {MIN_PASSWORD} to {MAX_PASSWORD} characters long.",
        )
    return password


def hash_password(password: str) -> str:
    """Slow on purpose (tens of milliseconds): call it off the event loop."""
    return _hasher.hash(check_password(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant work whether or not the user exists (pass None for an unknown user)."""
    if len(password) > MAX_PASSWORD:
        return False
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


# -- users ---------------------------------------------------------------------------------


def find_user(db: sqlite_utils.Database, username: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM users WHERE username = ?", [username.strip().lower()]))
    return rows[0] if rows else None


def get_user(db: sqlite_utils.Database, user_id: int) -> User | None:
    rows = list(db.query("SELECT * FROM users WHERE id = ?", [user_id]))
    return User.from_row(rows[0]) if rows else None


def create_user(
    db: sqlite_utils.Database, username: str, password_hash: str, open_signup_default: bool
) -> User:
    """Sign-up, in one write transaction: the first account becomes the admin and is always
    allowed; later ones only while sign-up is open."""
    first = db.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0
    if not first and not signup_open(db, open_signup_default):
        raise Forbidden("signup_closed", "Sign-up is closed on this server; ask its admin.")
    if find_user(db, username) is not None:
        raise Conflict("username_taken", f"The username {username!r} is taken.")
    user_id = (
        db.table("users")
        .insert(
            {
                "username": username,
                "password_hash": password_hash,
                "is_admin": int(first),
                "created_at": iso(now()),
            }
        )
        .last_pk
    )
    user = get_user(db, int(user_id or 0))
    assert user is not None
    return user


# -- site settings -------------------------------------------------------------------------


def signup_open(db: sqlite_utils.Database, default: bool) -> bool:
    rows = list(db.query("SELECT value FROM site_settings WHERE key = 'open_signup'"))
    return default if not rows else rows[0]["value"] == "true"


def set_signup_open(db: sqlite_utils.Database, value: bool) -> None:
    db.table("site_settings").upsert(
        {"key": "open_signup", "value": "true" if value else "false"}, pk="key"
    )
