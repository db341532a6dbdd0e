"""`anvil.server.cookies.local` and `.shared`: small values an app keeps in the visitor's
browser between sessions, as Anvil documents them (set with an expiry in days, 30 by default;
read; delete; clear).

Each jar is one cookie on the app's own origin (host-only, HttpOnly, SameSite=Lax, Secure on
https): its entries (name, value in the codec's form, expiry) signed together
(`signing.py`), so the browser can keep them and send them back but not change or make them;
a jar that fails its signature is read as empty. Every entry expires on its own; the cookie
lives as long as its longest entry. A jar is at most `MAX_CHARS` characters, as Anvil's
("Cookie too big"). `.shared` is a jar of its own, on the same origin: Widgetbox's apps of
different owners share one apps domain, so a cookie shared between apps would be shared with
strangers' apps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from widgetbox.host.app_sessions.signing import WidgetSigner

JARS = ("local", "shared")
MAX_CHARS = 4000
"""Characters of one jar's cookie value (browsers keep at most about 4 KiB per cookie)."""
MAX_DAYS = 3650
DEFAULT_DAYS = 30
KIND = "cookies"


class CookieError(Exception):
    """What Anvil raises as `anvil.server.CookieError`."""


@dataclass
class Jar:
    """One jar's live entries: name -> (encoded value, expiry in epoch seconds)."""

    name: str
    entries: dict[str, tuple[Any, int]] = field(default_factory=dict)
    changed: bool = False

    @classmethod
    def read(cls, name: str, raw: str | None, signer: WidgetSigner) -> Jar:
        now = signer.now()
        payload = signer.open(f"{KIND}.{name}", raw, MAX_CHARS + 200)
        entries: dict[str, tuple[Any, int]] = {}
        found = payload.get("v") if payload else None
        if isinstance(found, dict):
            for key, item in found.items():
                if (
                    isinstance(item, list)
                    and len(item) == 2
                    and isinstance(item[1], int)
                    and item[1] > now
                ):
                    entries[key] = (item[0], item[1])
        return cls(name, entries)

    def get(self, key: str) -> tuple[bool, Any]:
        if key in self.entries:
            return True, self.entries[key][0]
        return False, None

    def set(self, values: dict[str, Any], days: float, signer: WidgetSigner) -> None:
        if not 0 < days <= MAX_DAYS:
            raise CookieError(f"A cookie's expiry is more than 0 and at most {MAX_DAYS} days")
        expires = int(signer.now() + days * 86400)
        entries = dict(self.entries)
        for key, value in values.items():
            if value is None:
                entries.pop(key, None)
            else:
                entries[key] = (value, expires)
        if len(self.value_for(entries, signer) or "") > MAX_CHARS:
            raise CookieError("Cookie too big")
        self.entries = entries
        self.changed = True

    def delete(self, key: str) -> None:
        if key in self.entries:
            del self.entries[key]
            self.changed = True

    def clear(self) -> None:
        self.changed = self.changed or bool(self.entries)
        self.entries = {}

    def value_for(self, entries: dict[str, tuple[Any, int]], signer: WidgetSigner) -> str | None:
        if not entries:
            return None
        longest = max(expires for _, expires in entries.values())
        body = {key: [value, expires] for key, (value, expires) in entries.items()}
        # the signer adds its own expiry: the jar is good until its longest entry
        seconds = longest - signer.now()
        return signer.sign(f"{KIND}.{self.name}", {"v": body}, seconds)

    def cookie_value(self, signer: WidgetSigner) -> tuple[str | None, int]:
        """The cookie's value (None: delete the cookie) and its max-age in seconds."""
        value = self.value_for(self.entries, signer)
        if value is None:
            return None, 0
        longest = max(expires for _, expires in self.entries.values())
        return value, max(int(longest - signer.now()), 0)
