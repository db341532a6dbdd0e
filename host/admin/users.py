"""Accounts as an admin sees them: the rules, as functions of the database.

- A disabled account cannot log in; disabling it deletes its sessions (a later enabling
  asks for a fresh log-in) and its API tokens are refused while it stays disabled
  (`tokens/records.py`), so both stop working at once. Its widgets are served to admins
  only while it is disabled (`widgets.records.served`): a server's admin disables an
  account to stop what it does, and a public app or API that kept answering would not.
  Nothing is deleted, so enabling it again restores everything but its sessions.
- There is always an admin who can act: the last enabled admin cannot be disabled or made
  an ordinary user (409 `last_admin`).
- A forgotten password is replaced through a one-time set-password link
  (`accounts/password_links.py`): the admin hands the link over, and never knows or types
  the person's password. The link works once, for 14 days; making a new one voids the old.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from widgetbox.host.accounts import password_links
from widgetbox.host.accounts.users import User, check_username, find_user, get_user
from widgetbox.host.errors import Conflict, NotFound
from widgetbox.host.storage.times import iso, now

PAGE = 50
"""Accounts listed at once (the page and `widgetbox admin users`)."""


def find(db: sqlite_utils.Database, username: str) -> User:
    row = find_user(db, username)
    if row is None:
        raise NotFound("no_such_user", f"There is no account {username.strip()!r}.")
    return User.from_row(row)


def search(
    db: sqlite_utils.Database, query: str = "", limit: int = PAGE, offset: int = 0
) -> tuple[list[User], int]:
    """Accounts whose username contains `query` (all when empty), in order of making, and
    how many match in all."""
    pattern = (
        "%"
        + query.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        + "%"
    )
    total = db.execute(
        "SELECT COUNT(*) FROM users WHERE username LIKE ? ESCAPE '\\'", [pattern]
    ).fetchone()[0]
    rows = db.query(
        "SELECT * FROM users WHERE username LIKE ? ESCAPE '\\' ORDER BY id LIMIT ? OFFSET ?",
        [pattern, limit, offset],
    )
    return [User.from_row(row) for row in rows], int(total)


def _active_admins(db: sqlite_utils.Database) -> int:
    row = db.execute("SELECT COUNT(*) FROM users WHERE is_admin = 1 AND disabled_at IS NULL")
    return int(row.fetchone()[0])


def _refuse_last_admin(db: sqlite_utils.Database, user: User, doing: str) -> None:
    if user.is_admin and not user.disabled and _active_admins(db) <= 1:
        raise Conflict(
            "last_admin",
            f"{user.username} is the only admin: make another account an admin before you "
            f"{doing} this one.",
        )


def set_admin(db: sqlite_utils.Database, username: str, admin: bool) -> User:
    """Make the account an admin, or an ordinary user (never the last admin)."""
    user = find(db, username)
    if not admin:
        _refuse_last_admin(db, user, "demote")
    db.execute("UPDATE users SET is_admin = ? WHERE id = ?", [int(admin), user.id])
    return _reread(db, user.id)


def set_disabled(db: sqlite_utils.Database, username: str, disabled: bool) -> User:
    """Disable the account (its sessions end; never the last admin), or enable it again."""
    user = find(db, username)
    if disabled and not user.disabled:
        _refuse_last_admin(db, user, "disable")
        db.execute("UPDATE users SET disabled_at = ? WHERE id = ?", [iso(now()), user.id])
        db.execute("DELETE FROM sessions WHERE user_id = ?", [user.id])
    elif not disabled and user.disabled:
        db.execute("UPDATE users SET disabled_at = NULL WHERE id = ?", [user.id])
    return _reread(db, user.id)


def create(
    db: sqlite_utils.Database, username: str, password_hash: str | None, admin: bool
) -> User:
    """An account made by an admin (whether sign-up is open or not). Without a password
    (`password_hash` None) nobody can log in to it until its set-password link is used."""
    name = check_username(username)
    if find_user(db, name) is not None:
        raise Conflict("username_taken", f"The username {name!r} is taken.")
    row: dict[str, Any] = {
        "username": name,
        "password_hash": password_hash or password_links.UNSET_PASSWORD,
        "is_admin": int(admin),
        "created_at": iso(now()),
    }
    user_id = db.table("users").insert(row).last_pk
    return _reread(db, int(user_id or 0))


def password_link(db: sqlite_utils.Database, username: str) -> tuple[User, str]:
    """A new set-password link's token for the account (an earlier link stops working)."""
    user = find(db, username)
    return user, password_links.create(db, user.id)


def _reread(db: sqlite_utils.Database, user_id: int) -> User:
    user = get_user(db, user_id)
    assert user is not None  # read in the same transaction that found or made it
    return user
