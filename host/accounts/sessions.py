"""Sessions: who is signed in. A random token lives in a host-only cookie (HttpOnly,
SameSite=Lax, Secure and `__Host-` prefixed when served over HTTPS); only its sha256 is
stored. A session ends after `session_idle_days` without use or `session_max_days` after
log-in, and at log-out; a new token is made at every log-in. Recently seen sessions are
cached for a few seconds (`SessionCache`), so most requests need no database read.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

import sqlite_utils
from litestar.datastructures import Cookie

from widgetbox.host.accounts.users import User
from widgetbox.host.config import Config
from widgetbox.host.storage.times import iso, now, parse_iso

TOUCH_EVERY = timedelta(minutes=5)
"""How stale a session's last use may be recorded (a write at most this often)."""


def cookie_name(config: Config) -> str:
    return "__Host-wb_session" if config.https else "wb_session"


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_session(db: sqlite_utils.Database, user_id: int) -> str:
    """Start a session; returns the token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    stamp = iso(now())
    db.table("sessions").insert(
        {"id": token_id(token), "user_id": user_id, "created_at": stamp, "last_seen_at": stamp}
    )
    return token


def end_session(db: sqlite_utils.Database, token: str) -> None:
    db.execute("DELETE FROM sessions WHERE id = ?", [token_id(token)])


@dataclass(frozen=True)
class SessionState:
    user: User
    session_id: str
    needs_touch: bool


def session_user(
    db: sqlite_utils.Database, token: str, idle: timedelta, lifetime: timedelta
) -> SessionState | None:
    """The user a token belongs to, if its session has neither idled out nor outlived
    its lifetime."""
    rows = list(
        db.query(
            "SELECT sessions.id AS session_id, sessions.created_at AS session_created, "
            "sessions.last_seen_at, users.* FROM sessions "
            "JOIN users ON users.id = sessions.user_id WHERE sessions.id = ?",
            [token_id(token)],
        )
    )
    if not rows:
        return None
    row = rows[0]
    if row["disabled_at"] is not None:  # disabling deletes the sessions too: belt and braces
        return None
    moment = now()
    last_seen = parse_iso(row["last_seen_at"])
    if moment - last_seen > idle or moment - parse_iso(row["session_created"]) > lifetime:
        return None
    return SessionState(User.from_row(row), row["session_id"], moment - last_seen > TOUCH_EVERY)


def touch_session(db: sqlite_utils.Database, session_id: str) -> None:
    db.execute("UPDATE sessions SET last_seen_at = ? WHERE id = ?", [iso(now()), session_id])


def prune_sessions(db: sqlite_utils.Database, idle: timedelta, lifetime: timedelta) -> int:
    """Delete every session that can no longer be used."""
    moment = now()
    cursor = db.execute(
        "DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?",
        [iso(moment - idle), iso(moment - lifetime)],
    )
    return int(cursor.rowcount)


def session_cookie(config: Config, token: str) -> Cookie:
    return Cookie(
        key=cookie_name(config),
        value=token,
        path="/",
        max_age=int(config.security.session_max_days * 86400),
        secure=config.https,
        httponly=True,
        samesite="lax",
    )


def expired_session_cookie(config: Config) -> Cookie:
    return dataclasses.replace(session_cookie(config, ""), max_age=0, expires=0)


def limits(config: Config) -> tuple[timedelta, timedelta]:
    return timedelta(days=config.security.session_idle_days), timedelta(
        days=config.security.session_max_days
    )


class SessionCache:
    """Recently seen sessions, so most requests need no database read to know who asks.

    An entry lives `TTL` seconds; log-out and log-in forget the token at once, so only an
    expiry can be noticed up to `TTL` late.
    """

    TTL = 10.0
    MAX = 10_000

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, SessionState]] = {}

    def get(self, token: str) -> SessionState | None:
        entry = self._entries.get(token)
        if entry is None or entry[0] < time.monotonic():
            self._entries.pop(token, None)
            return None
        return entry[1]

    def put(self, token: str, found: SessionState) -> None:
        if len(self._entries) >= self.MAX:
            self._entries.clear()
        self._entries[token] = (time.monotonic() + self.TTL, found)

    def forget(self, token: str) -> None:
        self._entries.pop(token, None)

    def forget_user(self, user_id: int) -> None:
        """Forget every session of the user (disabled, or no longer an admin), so their next
        request reads the database."""
        for token, (_, found) in list(self._entries.items()):
            if found.user.id == user_id:
                self._entries.pop(token, None)

    def clear(self) -> None:
        self._entries.clear()
