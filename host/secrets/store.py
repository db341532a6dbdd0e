"""Widgets' secrets: named text values their owner stores and their server code reads with
`anvil.secrets.get_secret(name)`.

- At rest every value is encrypted with AES-256-GCM under a key the server generates on
  first start and keeps in the data folder (`secrets.key`, 0600), never in the database; a
  copy of the database (a backup, an export) holds only ciphertext.
- Each value has its own random 96-bit nonce, and its associated data binds it to the
  widget's id and the secret's name: a ciphertext copied to another widget or another name
  does not decrypt.
- A value is never answered by the API, never copied by a fork, and never logged: this
  module logs names and widget ids only.

The database functions below are plain functions of a sqlite-utils database, run inside one
`Database.read` or `Database.write` call (like `widgets.py`). `register` offers the bridge
operation `secrets.get` to guests.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from widgetbox.host.accounts.users import iso, now
from widgetbox.host.errors import Invalid, NotFound
from widgetbox.host.storage.database import Database
from widgetbox.runtime import Bridge, HostCall, HostCallError

log = logging.getLogger("widgetbox.host.secrets.store")

KEY_FILE = "secrets.key"
KEY_BYTES = 32
"""AES-256."""
NONCE_BYTES = 12
"""96 bits, fresh from the system's random source for every value."""
MAX_NAME = 64
MAX_VALUE_BYTES = 64 * 1024
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
"""Letters, digits, `_` and `-`, starting with a letter (checked with `fullmatch`)."""

OP = "secrets.get"
"""The bridge operation `anvil.secrets.get_secret` calls."""

_AAD_LABEL = b"widgetbox secret v1"


class SecretKeyError(RuntimeError):
    """The key file exists but cannot be used; the server must not start without it."""


class SecretDecryptError(Exception):
    """A stored value does not decrypt with this key for this widget and name (a different
    key, a tampered value, or a value moved from another widget or name)."""


# -- the key and the cipher ----------------------------------------------------------------


class SecretBox:
    """AES-256-GCM with the server's secrets key, loaded from (or created in) `data_dir`."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / KEY_FILE
        # Only the cipher keeps the key: no attribute of the box holds its bytes.
        self._aead = AESGCM(load_or_create_key(self.path))

    def __repr__(self) -> str:
        return f"SecretBox({str(self.path)!r})"

    def encrypt(self, widget_id: int, name: str, value: str) -> tuple[bytes, bytes]:
        """(nonce, ciphertext with its tag) for `value`, bound to the widget and the name."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), _aad(widget_id, name))
        return nonce, sealed

    def decrypt(self, widget_id: int, name: str, nonce: bytes, ciphertext: bytes) -> str:
        """The value; SecretDecryptError when it was not sealed by this key for exactly
        this widget and name, or has been changed since."""
        try:
            plain = self._aead.decrypt(nonce, ciphertext, _aad(widget_id, name))
        except (InvalidTag, ValueError):
            raise SecretDecryptError(
                f"the secret {name!r} of widget {widget_id} does not decrypt with this key"
            ) from None
        return plain.decode("utf-8")


def _aad(widget_id: int, name: str) -> bytes:
    # The name has no NUL (NAME) and the id is digits, so the encoding is unambiguous.
    return b"\0".join((_AAD_LABEL, str(int(widget_id)).encode(), name.encode("utf-8")))


def load_or_create_key(path: Path) -> bytes:
    """The 32-byte key at `path`, made (0600, atomically) if there is no file there yet.
    SecretKeyError when a file is there but unreadable or not a key."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _create_key(path)
    except OSError as e:
        raise SecretKeyError(
            f"The secrets key {path} could not be created ({e.strerror or e}); Widgetbox "
            "needs to write it in the data folder on its first start."
        ) from None
    try:
        return _read_key(path)
    except FileNotFoundError:  # a link to a missing file
        raise SecretKeyError(_unusable(path, "it points to a file that does not exist")) from None


def _read_key(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            mode = os.fstat(f.fileno()).st_mode
            if not stat.S_ISREG(mode):
                raise SecretKeyError(_unusable(path, "it is not a regular file"))
            key = f.read(KEY_BYTES + 1)
    except FileNotFoundError:
        raise
    except OSError as e:
        raise SecretKeyError(_unusable(path, f"it cannot be read ({e.strerror or e})")) from None
    if len(key) != KEY_BYTES:
        size = f"{len(key)} bytes" if len(key) <= KEY_BYTES else f"more than {KEY_BYTES} bytes"
        raise SecretKeyError(_unusable(path, f"it holds {size}, not a {KEY_BYTES}-byte key"))
    if mode & 0o077:
        log.warning(
            "%s can be read by other users (mode %o); it should be 0600", path, mode & 0o777
        )
    return key


def _unusable(path: Path, why: str) -> str:
    return (
        f"The secrets key {path} exists but {why}. Widgetbox will not start without it: "
        "widgets' secrets are encrypted with it. Restore the file from a backup of the data "
        "folder (or fix its owner and permissions). Only if the secrets may be lost, move it "
        "aside: a new key is then made and every stored secret must be set again."
    )


def _create_key(path: Path) -> None:
    """Write a new key to a private temporary file, then link it into place: the key file
    appears complete or not at all, and an existing one (another process won the race) is
    never replaced."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(8).hex()}.tmp")
    try:
        _write_new(temporary)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return  # made by a concurrent start: that one is the key
        except OSError:
            # a file system without hard links: create the file itself, exclusively (a
            # crash while writing leaves a short file, which the next start refuses)
            try:
                _write_new(path)
            except FileExistsError:
                return
        _sync_folder(path.parent)
        log.info("made a new secrets key at %s", path)
    finally:
        temporary.unlink(missing_ok=True)


def _write_new(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(fd, 0o600)  # whatever the umask
        f.write(os.urandom(KEY_BYTES))
        f.flush()
        os.fsync(f.fileno())


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- validation ----------------------------------------------------------------------------


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


# -- the database --------------------------------------------------------------------------


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


# -- the bridge ----------------------------------------------------------------------------


class SecretsHandler:
    """`secrets.get`: the named secret of the run's widget (`call.context["widget_id"]`)."""

    def __init__(self, db: Database, box: SecretBox) -> None:
        self.db = db
        self.box = box

    def __call__(self, call: HostCall, data: Any) -> str:
        widget_id = call.context.get("widget_id")
        if not isinstance(widget_id, int) or isinstance(widget_id, bool):
            raise HostCallError("NotFound", "Secrets belong to widgets, and this run has none.")
        if not isinstance(data, str):
            raise HostCallError("BadRequest", "A secret's name is a string.")
        if NAME.fullmatch(data) is None:
            # no such name can be stored; the message shows a bounded part of it
            shown = repr(data[:MAX_NAME]) + ("..." if len(data) > MAX_NAME else "")
            raise HostCallError("NotFound", f"No such secret {shown}.")
        sealed = self.db.read_now(get_sealed, widget_id, data)
        if sealed is None:
            raise HostCallError("NotFound", f"No such secret {data!r}.")
        try:
            return self.box.decrypt(widget_id, data, sealed.nonce, sealed.ciphertext)
        except SecretDecryptError:
            log.error(
                "the secret %r of widget %d does not decrypt with the key in %s",
                data,
                widget_id,
                self.box.path,
            )
            raise HostCallError(
                "Undecryptable",
                f"The secret {data!r} cannot be read with this server's key; set it again.",
            ) from None


_registered: weakref.WeakKeyDictionary[Bridge, SecretsHandler] = weakref.WeakKeyDictionary()
_registered_lock = threading.Lock()


def register(bridge: Bridge, db: Database, box: SecretBox) -> None:
    """Offer `secrets.get` to guests on `bridge`, reading `db` with `box`. Once per bridge:
    a second registration raises ValueError (see `registered`)."""
    with _registered_lock:
        if bridge in _registered:
            raise ValueError(f"{OP!r} is already registered on this bridge")
        handler = SecretsHandler(db, box)
        bridge.register(OP, handler)
        _registered[bridge] = handler


def registered(bridge: Bridge) -> SecretsHandler | None:
    """The handler `register` installed on `bridge`, or None."""
    with _registered_lock:
        return _registered.get(bridge)
