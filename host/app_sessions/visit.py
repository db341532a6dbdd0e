"""A visit: what one run (or one request of the Users service) knows of the browser it serves
and of the app it runs for. Bridge handlers find it in the run's context (`"visit"`).

- A browser's visit (a GUI app's server call, an HTTP endpoint on the app's origin, the
  browser's own `anvil.users` requests) carries the app's cookies from the request: the
  session cookie (a random token; the database keeps only its sha256, `records.py`), the
  cookie jars (`cookies.py`) and the "Remember me" cookie. What the run changes comes back
  as `Set-Cookie` on the request's answer (`response_cookies`), all host-only and HttpOnly
  on the app's origin, never Widgetbox's own.
- Any other run (a script, a scheduled task, a widget's HTTP API at `/w/`) gets an
  ephemeral visit: a session that lives for the run, no cookies (`CookieError`, as Anvil
  says for code not called from a browser).

The session is read on first use (most calls never touch it) and written only when it
changed. A session cookie whose session is gone (not used within `app_session_minutes`) makes
server code's first use raise `SessionExpiredError`, and the answer clears the cookie, so the
next call starts afresh (`anvil.server.reset_session()` in the browser does that at once).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar import Request
from litestar.datastructures import Cookie

from widgetbox.host.app_sessions import records
from widgetbox.host.app_sessions.cookies import JARS, CookieError, Jar
from widgetbox.host.app_sessions.signing import Signer, WidgetSigner
from widgetbox.host.config import Config
from widgetbox.host.storage.database import Database
from widgetbox.host.storage.times import now
from widgetbox.host.widgets.records import Widget
from widgetbox.runtime import Code

log = logging.getLogger("widgetbox.host")

MAX_SESSION_CHARS = 256 * 1024
"""`anvil.server.session` as the codec's JSON, at most (checked when it is saved)."""
BROWSER, HTTP, BACKGROUND = "browser", "http", "background_task"
"""Who started the run (`anvil.server.context.client.type`)."""
NOT_A_BROWSER = "This connection is not from a web browser - cannot access cookies."
EXPIRED = (
    "This app's session has expired (it was not used for a while): reload the page to start "
    "a new one."
)
EMPTY = "{}"


def client_of(request: Request[Any, Any, Any]) -> str | None:
    return request.client.host if request.client else None


class SessionExpired(Exception):
    """The browser's session cookie names a session that is gone."""


class SessionTooLarge(Exception):
    pass


Opener = Callable[[Widget, Code], "Visit"]


@dataclass(frozen=True)
class CookieNames:
    session: str
    remember: str
    jars: Mapping[str, str]
    secure: bool


class AppSessions:
    """Apps' sessions and cookies for the whole server (`app.state.app_sessions`): opens
    visits, signs cookies, forgets dead sessions."""

    def __init__(self, db: Database, config: Config, server_secret: str) -> None:
        self.db = db
        self.config = config
        self.idle = timedelta(minutes=config.gui.app_session_minutes)
        self._cookies = Signer(server_secret, "cookies")
        self.remember_signer = Signer(server_secret, "remember")
        self.links_signer = Signer(server_secret, "links")
        secure = config.app_origin("x").startswith("https://")
        prefix = "__Host-" if secure else ""
        self.names = CookieNames(
            session=f"{prefix}wb_session",
            remember=f"{prefix}wb_remember",
            jars={jar: f"{prefix}wb_{jar}" for jar in JARS},
            secure=secure,
        )

    def origins(self, widget: Widget) -> tuple[str, str]:
        """The app's origin and its HTTP endpoints' (`get_app_origin`, `get_api_origin`):
        a GUI app's own origin and `/_/api` on it; for other widgets their API at `/w/`."""
        if widget.kind == "gui":
            origin = self.config.app_origin(widget.slug)
            return origin, origin + "/_/api"
        api = f"{self.config.origin}/w/{widget.slug}"
        return api, api

    def browser(
        self,
        widget: Widget,
        files: Mapping[str, str],
        cookies: Mapping[str, str],
        client_ip: str | None,
        call_type: str = BROWSER,
    ) -> Visit:
        """The visit of a request on the app's origin, with the cookies it brought."""
        names = self.names
        raw = {
            "session": cookies.get(names.session),
            "remember": cookies.get(names.remember),
            **{jar: cookies.get(name) for jar, name in names.jars.items()},
        }
        return Visit(self, widget, files, call_type, client_ip, raw)

    def ephemeral(
        self, widget: Widget, files: Mapping[str, str], call_type: str, client_ip: str | None
    ) -> Visit:
        """A run's visit without a browser: its session lasts for the run."""
        return Visit(self, widget, files, call_type, client_ip, None)

    def opener(self, request: Request[Any, Any, Any], call_type: str = BROWSER) -> Opener:
        """What opens the visit of `request` (on an app's origin) once its widget and code
        are known."""

        def open_visit(widget: Widget, code: Code) -> Visit:
            return self.browser(widget, code.files, request.cookies, client_of(request), call_type)

        return open_visit

    def cookie_signer(self, widget: Widget) -> WidgetSigner:
        return self._cookies.of(widget.id, widget.created_at)

    def prune(self) -> int:
        return self.db.write_now(records.prune, self.idle)


class Visit:
    """See the module's description. Used by one run's bridge calls one at a time, then by
    the request's handler for the answer's cookies."""

    def __init__(
        self,
        sessions: AppSessions,
        widget: Widget,
        files: Mapping[str, str],
        call_type: str,
        client_ip: str | None,
        cookies: Mapping[str, str | None] | None,
    ) -> None:
        self.sessions = sessions
        self.widget = widget
        self.files = files
        self.call_type = call_type
        self.client_ip = client_ip or None
        self.is_browser = cookies is not None
        self._raw = dict(cookies or {})
        self._token = self._raw.get("session") or None
        if self._token is not None and len(self._token) > 100:
            self._token = None
        self._key = records.key_of(self._token) if self._token else None
        self._stored: records.Stored | None = None
        self._loaded = False
        self._expired = False
        self._new_token: str | None = None
        self._clear_session = False
        self._jars: dict[str, Jar] = {}
        self._remember_out: tuple[str | None, int] | None = None
        # an ephemeral session (and a browser's before it is stored)
        self._data = EMPTY
        self._user_id: str | None = None
        self._ephemeral_id = secrets.token_hex(16)
        self.restart_expired = False
        """Start a new session instead of raising SessionExpired (the browser's own
        `anvil.users` requests: a log-in after a long pause needs no reload)."""

    # -- the session ---------------------------------------------------------------------------

    @property
    def db(self) -> Database:
        return self.sessions.db

    def _load(self) -> records.Stored | None:
        if self._loaded:
            if self._expired and not self.restart_expired:
                raise SessionExpired(EXPIRED)
            return self._stored
        self._loaded = True
        if self._key is None:
            return None
        found = self.db.read_now(records.load, self.widget.id, self._key, self.sessions.idle)
        if found is None:
            self._expired = True
            self._clear_session = True
            self._key = self._token = None
            if not self.restart_expired:
                raise SessionExpired(EXPIRED)
            return None
        if found.last_seen < now() - records.TOUCH_AFTER:
            self.db.write_now(records.touch, found.key)
        self._stored = found
        self._data, self._user_id = found.data, found.user_id
        return found

    def _ensure_stored(self) -> str:
        """The session's key, making the session (and its cookie) first if need be."""
        self._load()
        if self._key is not None:
            return self._key
        token = secrets.token_urlsafe(32)
        key = records.key_of(token)
        self.db.write_now(records.create, self.widget.id, key)
        self._token, self._key, self._new_token = token, key, token
        self._clear_session = False
        return key

    def data(self) -> str:
        """`anvil.server.session` as the codec's JSON text (`{}` for a new session)."""
        if self.is_browser:
            self._load()
        return self._data

    def save(self, data: str) -> None:
        """Keep `data` (the codec's JSON) as the session's, if it changed."""
        if len(data) > MAX_SESSION_CHARS:
            raise SessionTooLarge(
                f"anvil.server.session would hold {len(data):,} characters once serialized; "
                f"it may keep at most {MAX_SESSION_CHARS:,} between calls"
            )
        if self.is_browser:
            self._load()
            if data == self._data:
                return
            if self._key is None and data == EMPTY:
                return
            key = self._ensure_stored()
            if not self.db.write_now(records.save_data, self.widget.id, key, data):
                raise SessionExpired(EXPIRED)
        self._data = data

    def session_id(self) -> str:
        """The session's public id (`get_session_id()`): the browser's session is made if
        it has none yet. Not the cookie's token: knowing it grants nothing."""
        if not self.is_browser:
            return self._ephemeral_id
        return self._ensure_stored()[:32]

    def user_id(self) -> str | None:
        """The row id of the user logged in with this session, if any."""
        if self.is_browser:
            self._load()
        return self._user_id

    def set_user(self, user_id: str | None) -> None:
        """Log `user_id` in with this session (None: out). Logging in gives a session the
        browser brought a new token, so a token someone planted in the browser beforehand
        (session fixation) never becomes a logged-in one."""
        if self.is_browser:
            self._load()
            if user_id == self._user_id:
                return
            if self._key is None and user_id is None:
                return
            if user_id is not None and self._key is not None and self._new_token is None:
                self._rekey()
            key = self._ensure_stored()
            if not self.db.write_now(records.set_user, self.widget.id, key, user_id):
                raise SessionExpired(EXPIRED)
        self._user_id = user_id

    def _rekey(self) -> None:
        assert self._key is not None
        token = secrets.token_urlsafe(32)
        key = records.key_of(token)
        if not self.db.write_now(records.rekey, self.widget.id, self._key, key):
            raise SessionExpired(EXPIRED)
        self._token, self._key, self._new_token = token, key, token

    def session_key(self) -> str | None:
        """The stored session's key, when there is one (to log a user out elsewhere)."""
        if not self.is_browser:
            return None
        self._load()
        return self._key

    def reset(self) -> None:
        """Forget the session (the browser's `anvil.server.reset_session()`)."""
        if self._key is not None:
            self.db.write_now(records.delete, self.widget.id, self._key)
        self._key = self._token = self._stored = None
        self._loaded, self._expired = True, False
        self._data, self._user_id = EMPTY, None
        self._clear_session = self._raw.get("session") is not None

    # -- cookies -------------------------------------------------------------------------------

    def jar(self, name: str) -> Jar:
        if not self.is_browser:
            raise CookieError(NOT_A_BROWSER)
        if name not in JARS:
            raise CookieError(
                f"There is no {name[:40]!r} cookie: use cookies.local or cookies.shared"
            )
        found = self._jars.get(name)
        if found is None:
            signer = self.sessions.cookie_signer(self.widget)
            found = self._jars[name] = Jar.read(name, self._raw.get(name), signer)
        return found

    def cookie_signer(self) -> WidgetSigner:
        return self.sessions.cookie_signer(self.widget)

    def remember_cookie(self) -> str | None:
        if self._remember_out is not None:
            return self._remember_out[0]
        return self._raw.get("remember") if self.is_browser else None

    def set_remember_cookie(self, value: str | None, seconds: int = 0) -> None:
        """The "Remember me" cookie to send (None: delete it)."""
        if self.is_browser:
            self._remember_out = (value, seconds)

    # -- the answer ----------------------------------------------------------------------------

    def response_cookies(self) -> list[Cookie]:
        """`Set-Cookie`s for what the run changed."""
        names = self.sessions.names
        found: list[Cookie] = []
        if self._new_token is not None:
            found.append(self._cookie(names.session, self._new_token, None))
        elif self._clear_session:
            found.append(self._cookie(names.session, None, 0))
        changed = [(name, jar) for name, jar in self._jars.items() if jar.changed]
        if changed:  # the signer's key is derived per widget: not for every request
            signer = self.sessions.cookie_signer(self.widget)
            for name, jar in changed:
                value, max_age = jar.cookie_value(signer)
                found.append(self._cookie(names.jars[name], value, max_age))
        if self._remember_out is not None:
            value, max_age = self._remember_out
            found.append(self._cookie(names.remember, value, max_age))
        return found

    def _cookie(self, key: str, value: str | None, max_age: int | None) -> Cookie:
        if value is None:
            return Cookie(
                key=key, value="", max_age=0, expires=0, path="/",
                secure=self.sessions.names.secure, httponly=True, samesite="lax",
            )  # fmt: skip
        return Cookie(
            key=key, value=value, max_age=max_age, path="/",
            secure=self.sessions.names.secure, httponly=True, samesite="lax",
        )  # fmt: skip


def context_of(context: Mapping[str, Any]) -> Visit | None:
    found = context.get("visit")
    return found if isinstance(found, Visit) else None
