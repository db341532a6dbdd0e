"""Signed values that a browser carries for an app and cannot forge: its cookies
(`anvil.server.cookies`), its "Remember me" login, and the links the Users service emails.

HMAC-SHA256 with a key derived from `server.key` for each purpose, then bound to the widget
(its id and creation time, so a widget that reuses a deleted one's id accepts nothing made
for the old one): a value signed for one app, or for one purpose, is refused by every other.
The payload is JSON, readable by whoever holds the value (signed, not encrypted), with its
kind and an expiry (`e`, seconds since the epoch) inside the signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

MAC_BYTES = 20


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """One purpose's key (`purpose` names it: "cookies", "remember", "links")."""

    def __init__(
        self, server_secret: str, purpose: str, clock: Callable[[], float] = time.time
    ) -> None:
        self._key = hmac.new(
            server_secret.encode(), f"widgetbox app {purpose} v1".encode(), hashlib.sha256
        ).digest()
        self.clock = clock

    def of(self, widget_id: int, created_at: str) -> WidgetSigner:
        scope = f"{widget_id}\x00{created_at}".encode()
        return WidgetSigner(hmac.new(self._key, scope, hashlib.sha256).digest(), self.clock)


class WidgetSigner:
    def __init__(self, key: bytes, clock: Callable[[], float]) -> None:
        self._key = key
        self._clock = clock

    def now(self) -> float:
        return self._clock()

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:MAC_BYTES])

    def sign(self, kind: str, payload: dict[str, Any], seconds: float) -> str:
        """`payload` as a signed value of `kind`, valid for `seconds`."""
        body = _b64(
            json.dumps(
                {**payload, "k": kind, "e": int(self._clock() + seconds)},
                separators=(",", ":"),
                sort_keys=True,
            ).encode()
        )
        return f"{body}.{self._mac(body)}"

    def open(self, kind: str, value: str | None, max_length: int = 8192) -> dict[str, Any] | None:
        """The payload of a valid, unexpired value of `kind`, or None."""
        if not value or len(value) > max_length or value.count(".") != 1:
            return None
        body, mac = value.split(".")
        if not hmac.compare_digest(self._mac(body).encode(), mac.encode("utf-8", "replace")):
            return None
        try:
            payload = json.loads(_unb64(body))
        except ValueError:
            return None
        if not isinstance(payload, dict) or payload.get("k") != kind:
            return None
        expires = payload.get("e")
        if not isinstance(expires, int) or expires < self._clock():
            return None
        return payload
