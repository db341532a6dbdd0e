"""The secrets key and the cipher: `SecretBox` seals and opens values with AES-256-GCM under
the key in `<data_dir>/secrets.key` (made on first start, 0600, atomically; a file that is
there but unusable stops the server). Each value gets its own random nonce, and its
associated data binds it to the widget's id and the secret's name."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger("widgetbox.host.secrets.box")

KEY_FILE = "secrets.key"
KEY_BYTES = 32
"""AES-256."""
NONCE_BYTES = 12
"""96 bits, fresh from the system's random source for every value."""

_AAD_LABEL = b"widgetbox secret v1"


class SecretKeyError(RuntimeError):
    """The key file exists but cannot be used; the server must not start without it."""


class SecretDecryptError(Exception):
    """A stored value does not decrypt with this key for this widget and name (a different
    key, a tampered value, or a value moved from another widget or name)."""


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
    # The name has no NUL (`records.NAME`) and the id is digits, so the encoding is unambiguous.
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
