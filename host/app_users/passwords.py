"""Widget users' passwords: Argon2id, computed on the host and only there.

A guest never hashes or verifies a password (CPython in wasm would take seconds, and a hash a
guest computed is one it could have chosen): it asks the host, which hashes what it is given
and writes the hash itself. The parameters are OWASP's recommendation for Argon2id (19 MiB,
two passes, one lane: about 20-30 ms on one core); a widget's users are not Widgetbox's own
accounts, whose hasher (accounts/users.py) is dearer. At most `HASHING` hashes run at once,
so a burst of log-ins (or a widget's loop of sign-ups) cannot take every core and its memory:
the others wait their turn within their bridge call's time.
"""

from __future__ import annotations

import contextlib
import os
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = [PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)]
"""The hasher (a list, so tests can swap in cheaper parameters: `set_hasher`)."""
HASHING = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))
"""Password hashes computed at once, across every widget."""
_DUMMY: list[str] = []


class Busy(Exception):
    """No hashing slot came free within the time the caller had."""


def _slot(timeout: float) -> None:
    if not HASHING.acquire(timeout=max(timeout, 0.0)):
        raise Busy("the server is busy checking passwords; try again")


def hash_password(password: str, timeout: float = 10.0) -> str:
    _slot(timeout)
    try:
        return _HASHER[0].hash(_bytes(password))
    finally:
        HASHING.release()


def verify(stored: str | None, password: str, timeout: float = 10.0) -> bool:
    """Whether `password` matches the hash `stored`. Without a stored hash a dummy one is
    checked, so an unknown address takes as long as a wrong password."""
    _slot(timeout)
    try:
        if not isinstance(stored, str) or not stored.startswith("$argon2"):
            with contextlib.suppress(VerificationError, InvalidHashError):
                _HASHER[0].verify(_dummy(), _bytes(password))
            return False
        try:
            return _HASHER[0].verify(stored, _bytes(password))
        except (VerificationError, InvalidHashError):
            return False
    finally:
        HASHING.release()


def _bytes(password: str) -> bytes:
    """The password's UTF-8, a lone surrogate kept (JSON carries one; argon2 would refuse
    the text): the same bytes as before for any other text, so stored hashes still match."""
    return password.encode("utf-8", "surrogatepass")


def _dummy() -> str:
    if not _DUMMY:
        _DUMMY.append(_HASHER[0].hash("not a real password, for equal timing"))
    return _DUMMY[0]


def set_hasher(hasher: PasswordHasher) -> None:
    """Tests: cheaper parameters (a stored hash names its own, so checking is unaffected)."""
    _HASHER[0] = hasher
    _DUMMY.clear()
