"""Tokens in the database (`api_tokens`, m010): create, list, revoke, authenticate, record
their use, prune. Plain functions of a sqlite-utils database, run inside one `Database.read`
or `Database.write` call. A token's value exists only in the answer that creates it and in
the requests that use it: it is never stored, logged or answered again.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from widgetbox.host.accounts.users import User
from widgetbox.host.errors import BadCredentials, Invalid, NotFound
from widgetbox.host.storage.times import iso, now, parse_iso
from widgetbox.host.tokens.scopes import SCOPES

PREFIX = "wbt_"
"""Every token starts with it, so secret scanners (and people) can tell a leaked one."""
ALPHABET = string.ascii_letters + string.digits
LENGTH = 43
"""Random characters after the prefix: 62**43 is about 2**256."""
FORMAT = re.compile(rf"{PREFIX}[A-Za-z0-9]{{{LENGTH}}}")
SHOWN = len(PREFIX) + 4
"""How much of a token its listing shows (`wbt_AbCd`), to match a leaked one to its name."""

MAX_NAME = 100
EXPIRY_DAYS = (7, 30, 90, 365)
"""The expiries the Settings page offers; the API takes any number of days up to the last."""
DEFAULT_DAYS = 30
MAX_DAYS = 365
MAX_TOKENS = 100
"""Tokens one account may have that are neither revoked nor expired."""
TOUCH_EVERY = timedelta(minutes=1)
"""How stale a token's `last_used_at` may be: it is written at most this often."""
KEEP_DEAD = timedelta(days=90)
"""How long a revoked or expired token is kept (so using it says so) before it is deleted."""


def digest(token: str) -> str:
    """What is stored of a token: its sha256. A fast hash is right here, unlike for
    passwords: a token is 256 random bits, so there is nothing to guess from a dictionary
    and no brute force could reach one through its hash, whereas a slow hash (Argon2, which
    passwords need because people choose them) would cost every API request tens of
    milliseconds. It is unsalted so a request's token is found by one indexed lookup; the
    lookup's timing can only tell how much of a hash matched, which says nothing of the
    token. (Sessions keep their tokens the same way.)"""
    return hashlib.sha256(token.encode()).hexdigest()


def new_value() -> str:
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


@dataclass(frozen=True)
class Token:
    """A token as stored: everything but its value."""

    id: int
    user_id: int
    name: str
    scope: str
    prefix: str
    created_at: str
    expires_at: str
    last_used_at: str | None
    revoked_at: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Token:
        return cls(
            id=row["id"],
            user_id=row["user_id"],
            name=row["name"],
            scope=row["scope"],
            prefix=row["prefix"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            last_used_at=row["last_used_at"],
            revoked_at=row["revoked_at"],
        )

    def expired(self, moment: datetime) -> bool:
        return parse_iso(self.expires_at) <= moment


@dataclass(frozen=True)
class TokenUse:
    """A request's token, once authenticated: whose, which, what it may do."""

    token_id: int
    user: User
    scope: str
    needs_touch: bool


def check_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME:
        raise Invalid(
            "invalid_token_name",
            f"A token's name is 1 to {MAX_NAME} characters: say where it is used "
            '("laptop", "CI deploy").',
        )
    return cleaned


def create(
    db: sqlite_utils.Database, user_id: int, name: str, scope: str, days: int
) -> tuple[Token, str]:
    """A new token for `user_id`; returns it and its value (shown once, never stored)."""
    name = check_name(name)
    if scope not in SCOPES:
        raise Invalid("invalid_scope", "A token's scope is read, run or write.")
    if not 1 <= days <= MAX_DAYS:
        raise Invalid("invalid_expiry", f"A token lives 1 to {MAX_DAYS} days.")
    moment = now()
    live = db.execute(
        "SELECT count(*) FROM api_tokens "
        "WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?",
        [user_id, iso(moment)],
    ).fetchone()[0]
    if live >= MAX_TOKENS:
        raise Invalid(
            "too_many_tokens",
            f"An account may have {MAX_TOKENS} tokens at once: revoke some you no longer use.",
        )
    value = new_value()
    hashed = digest(value)
    db.table("api_tokens").insert(
        {
            "user_id": user_id,
            "hash": hashed,
            "prefix": value[:SHOWN],
            "name": name,
            "scope": scope,
            "created_at": iso(moment),
            "expires_at": iso(moment + timedelta(days=days)),
        }
    )
    [row] = db.query("SELECT * FROM api_tokens WHERE hash = ?", [hashed])
    return Token.from_row(row), value


def listing(db: sqlite_utils.Database, user_id: int) -> list[Token]:
    """The account's tokens that were not revoked (expired ones included), newest first."""
    rows = db.query(
        "SELECT * FROM api_tokens WHERE user_id = ? AND revoked_at IS NULL ORDER BY id DESC",
        [user_id],
    )
    return [Token.from_row(row) for row in rows]


def revoke(db: sqlite_utils.Database, user_id: int, token_id: int) -> None:
    """Revoke one of the account's tokens: it stops working at once."""
    cursor = db.execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
        [iso(now()), token_id, user_id],
    )
    if cursor.rowcount == 0:
        raise NotFound("no_such_token", "You have no such token (it may be revoked already).")


def authenticate(db: sqlite_utils.Database, value: str) -> TokenUse:
    """Who a request's token belongs to and what it may do; BadCredentials (401) when it is
    not a token, or an unknown, expired or revoked one. No message repeats the value."""
    if not FORMAT.fullmatch(value):
        raise BadCredentials(
            "token_invalid",
            f"That is not a Widgetbox API token (one is {PREFIX} and {LENGTH} letters and "
            "digits): check that it was copied whole.",
        )
    rows = list(
        db.query(
            "SELECT api_tokens.id AS token_id, api_tokens.scope, api_tokens.expires_at, "
            "api_tokens.revoked_at, api_tokens.last_used_at, users.* FROM api_tokens "
            "JOIN users ON users.id = api_tokens.user_id WHERE api_tokens.hash = ?",
            [digest(value)],
        )
    )
    if not rows:
        raise BadCredentials(
            "token_invalid",
            "That API token is not valid: check that it was copied whole, or make a new one "
            "in Settings.",
        )
    row = rows[0]
    moment = now()
    if row["disabled_at"] is not None:
        raise BadCredentials(
            "account_disabled", "This API token's account is disabled: ask the server's admin."
        )
    if row["revoked_at"] is not None:
        raise BadCredentials(
            "token_revoked",
            "That API token was revoked: make a new one in Settings.",
            {"revoked_at": row["revoked_at"]},
        )
    if parse_iso(row["expires_at"]) <= moment:
        raise BadCredentials(
            "token_expired",
            "That API token has expired: make a new one in Settings.",
            {"expired_at": row["expires_at"]},
        )
    last = row["last_used_at"]
    stale = last is None or moment - parse_iso(last) >= TOUCH_EVERY
    return TokenUse(row["token_id"], User.from_row(row), row["scope"], stale)


def touch(db: sqlite_utils.Database, token_id: int) -> None:
    db.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", [iso(now()), token_id])


def prune(db: sqlite_utils.Database) -> int:
    """Delete tokens revoked or expired more than `KEEP_DEAD` ago."""
    cutoff = iso(now() - KEEP_DEAD)
    cursor = db.execute(
        "DELETE FROM api_tokens WHERE revoked_at < ? OR expires_at < ?", [cutoff, cutoff]
    )
    return int(cursor.rowcount)
