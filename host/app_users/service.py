"""The Users service: Anvil's `anvil.users` operations, done by the host for server code (the
bridge operation `users`, handler.py) and for the browser (`/_/users`, app_routes.py), with the
visit's session (who is logged in, `app_sessions/visit.py`) and the widget's `users` table
(table.py).

What guest code can and cannot do to its users:
- it never holds a password's hash or makes one: `signup_with_email`, `reset_password` and
  the emailed reset link send the password here, and the host hashes it (passwords.py) and
  writes the row itself; the Data Tables `users.password_hash` column is not writable,
  searchable or readable from guest code or browsers while the service is on
  (`tables/guard.py`);
- it logs a visitor in only with their password (`login_with_email`, checked here, failures
  counted per user and per address) or with `force_login(row)`, which Anvil gives server code
  and the browser cannot call;
- "Remember me" is a host-signed cookie naming the row and a random token whose sha256 is in
  the row's `remembered_logins`: writing that column cannot make a browser log in without
  the cookie, which only the host signs.

Errors are `UsersError(kind, message)`, kind the Anvil class the caller raises
(`anvil.users.AuthenticationFailed`...), with Anvil's messages.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from widgetbox.host.app_sessions import records as session_records
from widgetbox.host.app_sessions.visit import AppSessions, Visit
from widgetbox.host.app_users import emails, passwords
from widgetbox.host.app_users.limiter import Attempts
from widgetbox.host.app_users.settings import (
    MAX_PASSWORD,
    SettingsError,
    UsersSettings,
    users_settings,
)
from widgetbox.host.app_users.table import USERS, UsersTable, UsersTableError, moment, value
from widgetbox.host.email.handler import EmailHandler
from widgetbox.host.storage.times import now
from widgetbox.host.tables import SCHEMA_FILE, TablesStore, guard
from widgetbox.host.widgets.records import Widget
from widgetbox.runtime import HostCallError

log = logging.getLogger("widgetbox.host")

AUTH_FAILED = "anvil.users.AuthenticationFailed"
USER_EXISTS = "anvil.users.UserExists"
NOT_CONFIRMED = "anvil.users.EmailNotConfirmed"
NOT_ENABLED = "anvil.users.AccountIsNotEnabled"
TOO_MANY = "anvil.users.TooManyPasswordFailures"
NOT_ACCEPTABLE = "anvil.users.PasswordNotAcceptable"
WRAPPED = "anvil.server.AnvilWrappedError"

MAX_USER_FAILURES = 10
"""Wrong passwords in a row before an account needs a reset (Anvil's default)."""
ADDRESS_FAILURES = (20, 600.0)
"""Failed password checks one address may make to one widget in ten minutes."""
ADDRESS_EMAILS = (5, 600.0)
"""Password-reset emails one address may ask one widget for in ten minutes."""
MAX_REMEMBERED = 20
"""Remembered logins kept per user (the oldest go first)."""
MAX_EMAIL = 254
LAST_LOGIN_EVERY = timedelta(seconds=5)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

WRONG = "Incorrect email address or password"


class UsersError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass
class Ask:
    """One request to the service: the visit (who, which app, its files), whether server
    code asks (trusted) or the browser, and when the answer is due (monotonic)."""

    visit: Visit
    trusted: bool
    deadline: float

    @property
    def widget(self) -> Widget:
        return self.visit.widget

    def left(self) -> float:
        return max(self.deadline - time.monotonic(), 0.0)


class UsersService:
    """One per server (`app.state.app_users`)."""

    def __init__(
        self,
        store: TablesStore,
        sessions: AppSessions,
        email: EmailHandler | None,
    ) -> None:
        self.store = store
        self.sessions = sessions
        self.email = email
        self.failures = Attempts(*ADDRESS_FAILURES)
        self.resets = Attempts(*ADDRESS_EMAILS)
        self._signing_up: dict[int, threading.Lock] = {}
        self._locks = threading.Lock()

    # -- what every operation needs --------------------------------------------------------

    def settings(self, files: Mapping[str, str]) -> UsersSettings:
        try:
            found = users_settings(files)
        except SettingsError as e:
            raise UsersError(WRAPPED, str(e)) from None
        if found is None:
            raise UsersError(
                WRAPPED,
                "Add the Users service to your app before calling this function: turn it "
                "on in the widget's settings.",
            )
        return found

    def table(self, ask: Ask) -> UsersTable:
        try:
            return UsersTable(
                self.store,
                ask.widget.id,
                ask.visit.files.get(SCHEMA_FILE),
                ask.deadline,
            )
        except UsersTableError as e:
            raise UsersError(WRAPPED, str(e)) from None

    def _lock_for(self, widget_id: int) -> threading.Lock:
        with self._locks:
            return self._signing_up.setdefault(widget_id, threading.Lock())

    @staticmethod
    def shown(record: dict[str, Any] | None) -> dict[str, Any] | None:
        """A user's record as code and browsers see it (no password hash)."""
        found: dict[str, Any] | None = guard.mask(guard.USERS_PASSWORD, record)
        return found

    # -- the operations ------------------------------------------------------------------------

    def get_user(self, ask: Ask, allow_remembered: bool = True) -> dict[str, Any] | None:
        """The logged-in user (from the session), or one remembered by this browser."""
        settings = self.settings(ask.visit.files)
        row_id = ask.visit.user_id()
        if row_id is not None:
            table = self.table(ask)
            record = table.get(row_id)
            if record is not None and value(record, "enabled"):
                return self.shown(record)
            ask.visit.set_user(None)  # removed or disabled since: logged out
        if allow_remembered and settings.remember_me_days > 0:
            record = self._remembered(ask, settings)
            if record is not None:
                return self.shown(record)
        return None

    def login(self, ask: Ask, email: Any, password: Any, remember: bool = False) -> dict[str, Any]:
        settings = self.settings(ask.visit.files)
        email, password = _text(email, "email"), _text(password, "password")
        self._check_address(ask)
        table = self.table(ask)
        record = table.find(email.strip())
        if record is None:
            passwords.verify(None, password, ask.left())  # as long as a wrong password
            self.failures.add(ask.widget.id, ask.visit.client_ip)
            raise UsersError(AUTH_FAILED, WRONG)
        if not value(record, "enabled"):
            raise UsersError(NOT_ENABLED, "This account has not been enabled by an administrator")
        if settings.confirm_email and not value(record, "confirmed_email"):
            raise UsersError(
                NOT_CONFIRMED,
                "You haven't confirmed your email address. Please check your email and click "
                "the confirmation link, or reset your password.",
            )
        self._check_password(ask, table, record, password)
        return self._log_in(ask, settings, table, record, remember)

    def signup(self, ask: Ask, email: Any, password: Any, remember: bool = False) -> dict[str, Any]:
        settings = self.settings(ask.visit.files)
        if not ask.trusted and not settings.allow_signup:
            raise UsersError(WRAPPED, "Signups from client code are not enabled.")
        email = _text(email, "email").strip().lower()
        password = _text(password, "password")
        if len(email) > MAX_EMAIL or not _EMAIL.fullmatch(email) or _CONTROL.search(email):
            raise UsersError(AUTH_FAILED, "Enter a valid email address")
        self.check_password(settings, password)
        if settings.confirm_email and (self.email is None or self.email.sender is None):
            raise UsersError(
                WRAPPED,
                "This app asks new users to confirm their email address, but email is not "
                "configured on this server: its administrator has to set the [email] settings.",
            )
        table = self.table(ask)
        password_hash = passwords.hash_password(password, ask.left())
        with self._lock_for(ask.widget.id):
            if table.find(email) is not None:
                raise UsersError(USER_EXISTS, "This user already exists")
            given: dict[str, Any] = {
                "email": email,
                "enabled": settings.enable_automatically,
                "signed_up": moment(now()),
                "last_login": None,
                "password_hash": password_hash,
                "n_password_failures": 0,
            }
            if settings.confirm_email:
                given["confirmed_email"] = False
            record = table.add(given)
        if settings.confirm_email:
            self._send(ask, record, emails.CONFIRM)
            return self.shown(record) or record
        if settings.enable_automatically:
            return self._log_in(ask, settings, table, record, remember)
        return self.shown(record) or record

    def logout(self, ask: Ask) -> None:
        settings = self.settings(ask.visit.files)
        ask.visit.set_user(None)
        self._forget_remembered(ask, settings)

    def force_login(self, ask: Ask, row_id: Any, remember: bool = False) -> dict[str, Any] | None:
        if not ask.trusted:
            raise UsersError(WRAPPED, "You can only use force_login() in server modules")
        settings = self.settings(ask.visit.files)
        if row_id is None:
            self.logout(ask)
            return None
        table = self.table(ask)
        record = table.get(row_id) if isinstance(row_id, str) else None
        if record is None or record.get("table") != USERS:
            raise UsersError(WRAPPED, "force_login() must be passed a row from the users table")
        return self._log_in(ask, settings, table, record, remember)

    def reset_password(self, ask: Ask, old: Any, new: Any) -> None:
        """The logged-in user's password, changed with the old one."""
        settings = self.settings(ask.visit.files)
        old, new = _text(old, "old password"), _text(new, "new password")
        row_id = ask.visit.user_id()
        table = self.table(ask)
        record = table.get(row_id) if row_id else None
        if record is None:
            raise UsersError(AUTH_FAILED, "You must be logged in to change your password")
        self._check_address(ask)
        if not passwords.verify(value(record, "password_hash"), old, ask.left()):
            self._failed(ask, table, record)
            raise UsersError(AUTH_FAILED, "Incorrect password")
        self.check_password(settings, new)
        self._set_password(ask, table, record, new, confirm=False)
        self._log_out_elsewhere(ask, record["id"], keep=ask.visit.session_key())

    def send_reset(self, ask: Ask, email: Any) -> None:
        self.settings(ask.visit.files)
        email = _text(email, "email").strip()
        if not email:
            raise UsersError(AUTH_FAILED, "Please provide an email address.")
        wait = self.resets.wait(ask.widget.id, ask.visit.client_ip)
        if wait > 0:
            raise UsersError(
                AUTH_FAILED,
                f"Too many password resets were asked for from this address: try again in "
                f"{_minutes(wait)}.",
            )
        table = self.table(ask)
        record = table.find(email)
        if record is None or not value(record, "enabled"):
            raise UsersError(AUTH_FAILED, "This username does not exist or is disabled.")
        self.resets.add(ask.widget.id, ask.visit.client_ip)
        self._send(ask, record, emails.RESET)

    # -- the emailed links -------------------------------------------------------------------

    def confirm_email(self, ask: Ask, token: str) -> bool:
        """Follow a confirmation link: True when it confirmed the address."""
        payload = self._link(ask, emails.CONFIRM, token)
        if payload is None:
            return False
        table = self.table(ask)
        record = table.get(payload["r"])
        if record is None or value(record, "email") != payload["m"]:
            return False
        table.update(record["id"], {"confirmed_email": True})
        return True

    def reset_link_valid(self, ask: Ask, token: str) -> bool:
        return self._reset_record(ask, token) is not None

    def reset_with_link(self, ask: Ask, token: str, new: Any) -> bool:
        """Set a new password from a reset link (which confirms the address too, as the
        email reached it): False when the link is no good."""
        settings = self.settings(ask.visit.files)
        new = _text(new, "new password")
        found = self._reset_record(ask, token)
        if found is None:
            return False
        table, record = found
        self.check_password(settings, new)
        self._set_password(ask, table, record, new, confirm=settings.confirm_email)
        self._log_out_elsewhere(ask, record["id"], keep=None)
        return True

    def _reset_record(self, ask: Ask, token: str) -> tuple[UsersTable, dict[str, Any]] | None:
        payload = self._link(ask, emails.RESET, token)
        if payload is None:
            return None
        table = self.table(ask)
        record = table.get(payload["r"])
        if (
            record is None
            or value(record, "email") != payload["m"]
            or emails.fingerprint(value(record, "password_hash")) != payload["p"]
        ):
            return None
        return table, record

    def _link(self, ask: Ask, kind: str, token: str) -> dict[str, Any] | None:
        signer = self.sessions.links_signer.of(ask.widget.id, ask.widget.created_at)
        payload = signer.open(kind, token)
        if payload is None or not isinstance(payload.get("r"), str):
            return None
        if not isinstance(payload.get("m"), str):
            return None
        return payload

    def _send(self, ask: Ask, record: dict[str, Any], kind: str) -> None:
        widget = ask.widget
        email = str(value(record, "email"))
        signer = self.sessions.links_signer.of(widget.id, widget.created_at)
        origin = self.sessions.config.app_origin(widget.slug)
        if kind == emails.CONFIRM:
            token = signer.sign(kind, {"r": record["id"], "m": email}, emails.CONFIRM_SECONDS)
            message = emails.confirmation(
                widget, email, f"{origin}{emails.CONFIRM_PATH}?t={quote(token)}"
            )
        else:
            fingerprint = emails.fingerprint(value(record, "password_hash"))
            payload = {"r": record["id"], "m": email, "p": fingerprint}
            token = signer.sign(kind, payload, emails.RESET_SECONDS)
            message = emails.reset(widget, email, f"{origin}{emails.RESET_PATH}?t={quote(token)}")
        try:
            emails.send(self.email, widget, message, max(ask.left() - 0.1, 0.5))
        except HostCallError as e:
            raise UsersError("anvil.email.SendFailure", e.message) from None

    # -- passwords and logging in ------------------------------------------------------------

    @staticmethod
    def check_password(settings: UsersSettings, password: str) -> None:
        if len(password) < settings.min_password_length:
            raise UsersError(
                NOT_ACCEPTABLE,
                f"Passwords must be {settings.min_password_length} characters or more",
            )
        if len(password) > MAX_PASSWORD:
            raise UsersError(NOT_ACCEPTABLE, f"Passwords may be at most {MAX_PASSWORD} characters")

    def _check_address(self, ask: Ask) -> None:
        wait = self.failures.wait(ask.widget.id, ask.visit.client_ip)
        if wait > 0:
            raise UsersError(
                TOO_MANY,
                "There have been too many failed log-ins from this address: try again in "
                f"{_minutes(wait)}.",
            )

    def _check_password(
        self, ask: Ask, table: UsersTable, record: dict[str, Any], password: str
    ) -> None:
        failures = value(record, "n_password_failures")
        failures = failures if isinstance(failures, int) and failures >= 0 else 0
        if failures >= MAX_USER_FAILURES:
            raise UsersError(
                TOO_MANY,
                "You have entered an incorrect password too many times. Please reset your "
                "password by email.",
            )
        if not passwords.verify(value(record, "password_hash"), password, ask.left()):
            self._failed(ask, table, record)
            raise UsersError(TOO_MANY if failures + 1 >= MAX_USER_FAILURES else AUTH_FAILED, WRONG)

    def _failed(self, ask: Ask, table: UsersTable, record: dict[str, Any]) -> None:
        self.failures.add(ask.widget.id, ask.visit.client_ip)
        failures = value(record, "n_password_failures")
        count = failures + 1 if isinstance(failures, int) and failures >= 0 else 1
        table.update(record["id"], {"n_password_failures": count})

    def _set_password(
        self, ask: Ask, table: UsersTable, record: dict[str, Any], new: str, *, confirm: bool
    ) -> None:
        given: dict[str, Any] = {
            "password_hash": passwords.hash_password(new, ask.left()),
            "n_password_failures": 0,
        }
        if confirm:
            given["confirmed_email"] = True
        table.update(record["id"], given)

    def _log_in(
        self,
        ask: Ask,
        settings: UsersSettings,
        table: UsersTable,
        record: dict[str, Any],
        remember: bool,
    ) -> dict[str, Any]:
        ask.visit.set_user(record["id"])
        updates: dict[str, Any] = {}
        last = value(record, "last_login")
        moment_now = now()
        if last is None or last < moment_now - LAST_LOGIN_EVERY:
            updates["last_login"] = moment(moment_now)
        if value(record, "n_password_failures"):
            updates["n_password_failures"] = 0
        if remember and settings.remember_me_days > 0 and ask.visit.is_browser:
            token = secrets.token_urlsafe(32)
            remembered = _in_date(value(record, "remembered_logins"), settings)
            remembered.insert(0, {"login_time": moment_now.isoformat(), "token_hash": _hash(token)})
            updates["remembered_logins"] = remembered[:MAX_REMEMBERED]
            seconds = settings.remember_me_days * 86400
            signer = self.sessions.remember_signer.of(ask.widget.id, ask.widget.created_at)
            cookie = signer.sign("remember", {"r": record["id"], "t": token}, seconds)
            ask.visit.set_remember_cookie(cookie, seconds)
        elif ask.visit.remember_cookie():
            self._forget_remembered(ask, settings)
        if updates:
            record = table.update(record["id"], updates) or record
        return self.shown(record) or record

    def _remembered(self, ask: Ask, settings: UsersSettings) -> dict[str, Any] | None:
        signer = self.sessions.remember_signer.of(ask.widget.id, ask.widget.created_at)
        payload = signer.open("remember", ask.visit.remember_cookie())
        if payload is None or not isinstance(payload.get("r"), str):
            return None
        record = self.table(ask).get(payload["r"])
        if record is None or not value(record, "enabled"):
            return None
        wanted = _hash(str(payload.get("t")))
        if any(
            entry.get("token_hash") == wanted
            for entry in _in_date(value(record, "remembered_logins"), settings)
        ):
            return record
        return None

    def _forget_remembered(self, ask: Ask, settings: UsersSettings) -> None:
        """Log out of "Remember me" too: the cookie goes, and its token from the row."""
        cookie = ask.visit.remember_cookie()
        if not cookie:
            return
        ask.visit.set_remember_cookie(None)
        signer = self.sessions.remember_signer.of(ask.widget.id, ask.widget.created_at)
        payload = signer.open("remember", cookie)
        if payload is None or not isinstance(payload.get("r"), str):
            return
        table = self.table(ask)
        record = table.get(payload["r"])
        if record is None:
            return
        token_hash = _hash(str(payload.get("t")))
        kept = [
            entry
            for entry in _in_date(value(record, "remembered_logins"), settings)
            if entry.get("token_hash") != token_hash
        ]
        table.update(record["id"], {"remembered_logins": kept})

    def _log_out_elsewhere(self, ask: Ask, row_id: str, keep: str | None) -> None:
        self.sessions.db.write_now(session_records.log_out_elsewhere, ask.widget.id, row_id, keep)


def _text(given: Any, what: str) -> str:
    if not isinstance(given, str):
        raise UsersError(AUTH_FAILED, f"The {what} must be a string")
    if len(given) > 4096:
        raise UsersError(AUTH_FAILED, f"The {what} is too long")
    return given


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _in_date(remembered: Any, settings: UsersSettings) -> list[dict[str, Any]]:
    """The remembered logins still in date (a list of {login_time, token_hash})."""
    if not isinstance(remembered, list):
        return []
    from datetime import datetime

    cutoff = now() - timedelta(days=settings.remember_me_days)
    kept = []
    for entry in remembered:
        if not isinstance(entry, dict) or not isinstance(entry.get("token_hash"), str):
            continue
        try:
            when = datetime.fromisoformat(str(entry.get("login_time")))
        except ValueError:
            continue
        if when.tzinfo is not None and when > cutoff:
            kept.append(entry)
    return kept


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute" + ("" if minutes == 1 else "s")
