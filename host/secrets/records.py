"""Secrets in the database: set, delete, list, and the sealed value for the bridge handler;
the checks on a secret's name and value. Plain functions of a sqlite-utils database, run
inside one `Database.read` or `Database.write` call. Values are sealed by a `SecretBox`
before they are stored; nothing here answers or logs one."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlite_utils

from widgetbox.host.errors import Invalid, NotFound
from widgetbox.host.secrets.box import SecretBox
from widgetbox.host.storage.times import iso, now

MAX_NAME = 64
MAX_VALUE_BYTES = 64 * 1024
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
"""Letters, digits, `_` and `-`, starting with a letter (checked with `fullmatch`)."""


def check_name(name: str) -> str:
    if not isinstance(name, str) or NAME.fullmatch(name) is None:
        raise Invalid(
            "invalid_secret_name",
            f"A secret's name is 1 to {MAX_NAME} letters, digits, '_' and '-', "
            "starting with a letter.",
        )
    return name


def check_value(value: str) -> str:
    # The message never repeats the value.
    if not isinstance(value, str):
        raise Invalid("invalid_secret_value", "A secret's value is text.")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise Invalid(
            "invalid_secret_value", "A secret's value must be valid Unicode text."
        ) from None
    if size > MAX_VALUE_BYTES:
        raise Invalid(
            "invalid_secret_value",
            f"A secret's value is at most {MAX_VALUE_BYTES // 1024} KiB of UTF-8 text "
            f"(this one is {size:,} bytes).",
        )
    return value


@dataclass(frozen=True)
class SecretInfo:
    """What may be shown about a secret: never its value."""

    name: str
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Sealed:
    nonce: bytes
    ciphertext: bytes


def set_secret(
    db: sqlite_utils.Database, box: SecretBox, widget_id: int, name: str, value: str
) -> SecretInfo:
    """Store `value` under `name` (replacing an earlier value, keeping its creation time)."""
    check_name(name)
    check_value(value)
    nonce, ciphertext = box.encrypt(widget_id, name, value)
    stamp = iso(now())
    db.execute(
        "INSERT INTO secrets (widget_id, name, nonce, ciphertext, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (widget_id, name) DO UPDATE SET nonce = excluded.nonce, "
        "ciphertext = excluded.ciphertext, updated_at = excluded.updated_at",
        [widget_id, name, nonce, ciphertext, stamp, stamp],
    )
    info = secret_info(db, widget_id, name)
    assert info is not None
    return info


def delete_secret(db: sqlite_utils.Database, widget_id: int, name: str) -> None:
    """Forget the secret; 404 `no_such_secret` when there is none by that name."""
    check_name(name)
    cursor = db.execute("DELETE FROM secrets WHERE widget_id = ? AND name = ?", [widget_id, name])
    if cursor.rowcount == 0:
        raise NotFound("no_such_secret", f"There is no secret {name!r}.")


def list_secrets(db: sqlite_utils.Database, widget_id: int) -> list[SecretInfo]:
    """The widget's secrets by name, with when each was created and last set."""
    rows = db.execute(
        "SELECT name, created_at, updated_at FROM secrets WHERE widget_id = ? ORDER BY name",
        [widget_id],
    ).fetchall()
    return [SecretInfo(*row) for row in rows]


def secret_info(db: sqlite_utils.Database, widget_id: int, name: str) -> SecretInfo | None:
    row = db.execute(
        "SELECT name, created_at, updated_at FROM secrets WHERE widget_id = ? AND name = ?",
        [widget_id, name],
    ).fetchone()
    return SecretInfo(*row) if row else None


def get_sealed(db: sqlite_utils.Database, widget_id: int, name: str) -> Sealed | None:
    """The stored nonce and ciphertext, or None."""
    row = db.execute(
        "SELECT nonce, ciphertext FROM secrets WHERE widget_id = ? AND name = ?",
        [widget_id, name],
    ).fetchone()
    return Sealed(bytes(row[0]), bytes(row[1])) if row else None
