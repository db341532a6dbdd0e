"""The bridge handler `users`: `anvil.users` in server code, done by the Users service for
the run's visit (`call.context["visit"]`). `register` offers it on a `Bridge` and returns it.

    get_user {allow_remembered}          -> row record | null
    login {email, password, remember}    -> row record
    signup {email, password, remember}   -> row record
    logout                               -> null
    force_login {id, remember}           -> row record | null   (id null: log out)
    reset_password {old, new}            -> null
    send_reset {email}                   -> null

Row records are the users table's (`anvil.tables` makes a Row of one), the password hash
hidden. A refusal's kind is the Anvil class the guest raises (`anvil.users.UserExists`...).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from widgetbox.host.app_sessions.visit import SessionExpired, context_of
from widgetbox.host.app_users.passwords import Busy
from widgetbox.host.app_users.service import WRAPPED, Ask, UsersError, UsersService
from widgetbox.host.app_users.table import UsersTableError
from widgetbox.host.storage.full_disk import is_disk_full
from widgetbox.runtime import Bridge, HostCall, HostCallError

log = logging.getLogger("widgetbox.host")

OP = "users"
ANSWER_MARGIN = 0.1


def answer(service: UsersService, ask: Ask, data: Any) -> Any:
    """One request (server code's or the browser's) answered, or its refusal raised as a
    `HostCallError` whose kind names the Anvil class."""
    if not isinstance(data, dict) or not isinstance(data.get("op"), str):
        raise HostCallError("BadRequest", 'a users request is {"op": name, ...}')
    op = data["op"]
    found = OPERATIONS.get(op)
    if found is None:
        raise HostCallError("BadRequest", f"unknown users operation {op[:40]!r}")
    try:
        return found(service, ask, data)
    except UsersError as e:
        raise HostCallError(e.kind, e.message) from None
    except UsersTableError as e:  # the users table refused, or the request's time ran out
        raise HostCallError(WRAPPED, str(e)) from None
    except SessionExpired as e:
        raise HostCallError("SessionExpired", str(e)) from None
    except Busy as e:
        raise HostCallError("anvil.server.RuntimeUnavailableError", str(e)) from None
    except sqlite3.Error as e:
        log.exception("the Users service could not use the database")
        reason = "the server's disk is full" if is_disk_full(e) else "its database failed"
        raise HostCallError("anvil.server.InternalError", f"Users: {reason}.") from None


def _flag(data: dict[str, Any], key: str, default: bool = False) -> bool:
    return bool(data.get(key, default))


OPERATIONS: dict[str, Callable[[UsersService, Ask, dict[str, Any]], Any]] = {
    "get_user": lambda s, a, d: s.get_user(a, _flag(d, "allow_remembered", True)),
    "login": lambda s, a, d: s.login(a, d.get("email"), d.get("password"), _flag(d, "remember")),
    "signup": lambda s, a, d: s.signup(a, d.get("email"), d.get("password"), _flag(d, "remember")),
    "logout": lambda s, a, d: s.logout(a),
    "force_login": lambda s, a, d: s.force_login(a, d.get("id"), _flag(d, "remember")),
    "reset_password": lambda s, a, d: s.reset_password(a, d.get("old"), d.get("new")),
    "send_reset": lambda s, a, d: s.send_reset(a, d.get("email")),
}


class UsersHandler:
    def __init__(self, service: UsersService) -> None:
        self.service = service

    def __call__(self, call: HostCall, data: Any) -> Any:
        visit = context_of(call.context)
        if visit is None:
            raise HostCallError("NotFound", "Users belong to widgets, and this run has none.")
        deadline = time.monotonic() + max(call.timeout - ANSWER_MARGIN, 0.0)
        return answer(self.service, Ask(visit, trusted=True, deadline=deadline), data)


def register(bridge: Bridge, service: UsersService) -> UsersHandler:
    """Offer `users` to guests on `bridge`; returns the handler."""
    handler = UsersHandler(service)
    bridge.register(OP, handler)
    return handler
