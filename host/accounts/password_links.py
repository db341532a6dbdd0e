"""One-time set-password links: how an account made for someone else (a course's roster)
gets its first password without anyone but its person knowing it.

A link carries a random token (256 bits); only its sha256 is stored, so the database never
holds a usable link. A link works once, until it expires, and only while the account has no
password of its own: making a new one replaces the old, and setting the password deletes
every link of the account. The token travels in the link's fragment (`#token`), which
browsers never send to a server, so it stays out of access logs and `Referer` headers.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlite_utils

from widgetbox.host.accounts.users import User, get_user
from widgetbox.host.errors import Invalid
from widgetbox.host.storage.times import iso, now

UNSET_PASSWORD = "!unset"  # noqa: S105 - a marker that never verifies, not a password
"""The stored hash of an account that has no password yet: no password verifies against it
(argon2 refuses it as a hash), so nobody can log in until a link sets one."""
LIFETIME = timedelta(days=14)
PATH = "/set-password"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def has_password(db: sqlite_utils.Database, user_id: int) -> bool:
    row = db.execute("SELECT password_hash FROM users WHERE id = ?", [user_id]).fetchone()
    return row is not None and row[0] != UNSET_PASSWORD


def create(db: sqlite_utils.Database, user_id: int) -> str:
    """A new link's token for the account (any earlier link of it stops working)."""
    token = secrets.token_urlsafe(32)
    moment = now()
    db.execute("DELETE FROM password_links WHERE user_id = ?", [user_id])
    db.table("password_links").insert(
        {
            "hash": _digest(token),
            "user_id": user_id,
            "created_at": iso(moment),
            "expires_at": iso(moment + LIFETIME),
        }
    )
    return token


def url(origin: str, token: str) -> str:
    return f"{origin}{PATH}#{token}"


def use(db: sqlite_utils.Database, token: str, password_hash: str) -> User:
    """Set the account's password from a link's token (hashed by the caller, off the event
    loop), in one write: the link and every other link of the account are gone after."""
    rows = (
        db.execute(
            "SELECT user_id FROM password_links WHERE hash = ? AND expires_at > ?",
            [_digest(token), iso(now())],
        ).fetchall()
        if 0 < len(token) <= 100
        else []
    )
    if not rows:
        raise Invalid(
            "bad_password_link",
            "This set-password link has expired or was already used; ask your teacher for "
            "a new one.",
        )
    user_id = int(rows[0][0])
    found = get_user(db, user_id)
    if found is None or found.disabled:
        raise Invalid("bad_password_link", "This account is disabled; ask the admin.")
    db.execute("UPDATE users SET password_hash = ? WHERE id = ?", [password_hash, user_id])
    db.execute("DELETE FROM password_links WHERE user_id = ?", [user_id])
    user = get_user(db, user_id)
    assert user is not None  # the link's row would have gone with the account
    return user


def prune(db: sqlite_utils.Database) -> int:
    """Delete expired links (the hourly maintenance)."""
    return int(
        db.execute("DELETE FROM password_links WHERE expires_at <= ?", [iso(now())]).rowcount
    )
