"""Who may open a private app: its owner (or the admin), vouched for by Widgetbox's origin.

An app's origin never sees Widgetbox's session cookie, so the IDE hands the owner over:
`/widgets/<slug>/app` (on Widgetbox's origin, where the session is known) redirects to the
app's `/_/enter?token=...` with an *entry token*: signed, bound to the widget and the user,
valid for a minute and only once. The app's origin exchanges it for a *visit cookie* of its
own (host-only, HttpOnly, signed, bound to the widget and the user, valid for hours), which
the app's page and its server calls check, together with the user still owning the widget.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

ENTRY_SECONDS = 60
VISIT_SECONDS = 12 * 3600
MAX_TOKEN = 400


@dataclass(frozen=True)
class Grant:
    widget_id: int
    user_id: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class AppTokens:
    def __init__(self, server_secret: str, clock: Any = time.time) -> None:
        self._key = hmac.new(
            server_secret.encode(), b"widgetbox app tokens v1", hashlib.sha256
        ).digest()
        self._clock = clock
        self._used: dict[str, float] = {}

    def _sign(self, payload: dict[str, Any]) -> str:
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        mac = _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())
        return f"{body}.{mac}"

    def _open(self, token: str, kind: str) -> dict[str, Any] | None:
        if not token or len(token) > MAX_TOKEN or token.count(".") != 1:
            return None
        body, mac = token.split(".")
        expected = _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(mac, expected):
            return None
        try:
            payload = json.loads(_unb64(body))
        except ValueError:
            return None
        if not isinstance(payload, dict) or payload.get("k") != kind:
            return None
        expires = payload.get("e")
        if not isinstance(expires, (int, float)) or expires < self._clock():
            return None
        if not isinstance(payload.get("w"), int) or not isinstance(payload.get("u"), int):
            return None
        return payload

    def entry(self, grant: Grant) -> str:
        """A token that lets `grant.user_id` into the app once, within a minute."""
        return self._sign(
            {
                "k": "entry",
                "w": grant.widget_id,
                "u": grant.user_id,
                "e": int(self._clock()) + ENTRY_SECONDS,
                "n": secrets.token_urlsafe(12),
            }
        )

    def redeem(self, token: str) -> Grant | None:
        """The grant of a valid entry token, which cannot be used again."""
        payload = self._open(token, "entry")
        if payload is None:
            return None
        now = self._clock()
        self._used = {nonce: until for nonce, until in self._used.items() if until >= now}
        nonce = str(payload.get("n"))
        if nonce in self._used:
            return None
        self._used[nonce] = float(payload["e"])
        return Grant(payload["w"], payload["u"])

    def visit(self, grant: Grant) -> str:
        """The value of the visit cookie."""
        return self._sign(
            {
                "k": "visit",
                "w": grant.widget_id,
                "u": grant.user_id,
                "e": int(self._clock()) + VISIT_SECONDS,
            }
        )

    def visitor(self, cookie: str | None) -> Grant | None:
        payload = self._open(cookie or "", "visit")
        return None if payload is None else Grant(payload["w"], payload["u"])
