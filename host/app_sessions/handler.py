"""The bridge handler `session`: `anvil.server.session`, `get_session_id`, `cookies` and
`context` for the run's visit (`call.context["visit"]`, visit.py). `register` offers it on a
`Bridge` and returns it.

    load                          -> {"data": the session in the codec's form}
    save {data}                   -> null      (kept only if it changed)
    id                            -> the session's public id
    context                       -> what started the run, the app's origins, `anvil.app`
    cookie_get {jar, name}        -> {"found": bool, "value"}
    cookie_set {jar, days, values}-> null      (values: {name: codec form}; null deletes)
    cookie_delete {jar, name}     -> null
    cookie_clear {jar}            -> null

Refusals are `HostCallError`s the guest raises as Anvil's classes: `SessionExpired`
(`anvil.server.SessionExpiredError`), `CookieError` (`anvil.server.CookieError`),
`TooLarge` (`anvil.server.SerializationError`), `BadRequest`.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from widgetbox.host.app_sessions.cookies import DEFAULT_DAYS, MAX_DAYS, CookieError
from widgetbox.host.app_sessions.visit import (
    BACKGROUND,
    SessionExpired,
    SessionTooLarge,
    Visit,
    context_of,
)
from widgetbox.host.storage.full_disk import is_disk_full
from widgetbox.host.widgets.app_info import app_info
from widgetbox.runtime import Bridge, HostCall, HostCallError

log = logging.getLogger("widgetbox.host")

OP = "session"
MAX_NAME = 200


def _dumps(value: Any) -> str:
    """The session's JSON: as written, or with non-ASCII escaped when it holds a lone
    surrogate (JSON's escapes carry one; SQLite cannot store it)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    return text


def bad(message: str) -> HostCallError:
    return HostCallError("BadRequest", message)


class SessionHandler:
    """`session`: one request about the run's session, cookies or context."""

    def __call__(self, call: HostCall, data: Any) -> Any:
        visit = context_of(call.context)
        if visit is None:
            raise HostCallError("NotFound", "Sessions belong to widgets, and this run has none.")
        if not isinstance(data, dict) or not isinstance(data.get("op"), str):
            raise bad('a session request is {"op": name, ...}')
        op = data["op"]
        handler = _OPS.get(op)
        if handler is None:
            raise bad(f"unknown session operation {op[:40]!r}")
        try:
            return handler(visit, data)
        except SessionExpired as e:
            raise HostCallError("SessionExpired", str(e)) from None
        except SessionTooLarge as e:
            raise HostCallError("TooLarge", str(e)) from None
        except CookieError as e:
            raise HostCallError("CookieError", str(e)) from None
        except sqlite3.Error as e:
            log.exception("an app's session could not be read or written")
            reason = "the server's disk is full" if is_disk_full(e) else "its database failed"
            raise HostCallError(
                "Unavailable", f"The app's session could not be used: {reason}."
            ) from None


def _load(visit: Visit, data: dict[str, Any]) -> Any:
    return {"data": json.loads(visit.data())}


def _save(visit: Visit, data: dict[str, Any]) -> None:
    if not isinstance(data.get("data"), dict):
        raise bad("the session is a dict")
    visit.save(_dumps(data["data"]))


def _id(visit: Visit, data: dict[str, Any]) -> str:
    return visit.session_id()


def _context(visit: Visit, data: dict[str, Any]) -> dict[str, Any]:
    app_origin, api_origin = visit.sessions.origins(visit.widget)
    caller = (
        None if visit.call_type == BACKGROUND else {"type": visit.call_type, "is_trusted": False}
    )
    return {
        "type": "server_module",
        "client": {"type": visit.call_type, "ip": visit.client_ip, "location": None},
        "remote_caller": caller,
        "background_task_id": None,
        "app_origin": app_origin,
        "api_origin": api_origin,
        "app": app_info(visit.widget),  # anvil.app (wasm-python/anvil/_app.py)
    }


def _name(data: dict[str, Any]) -> str:
    name = data.get("name")
    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME:
        raise bad(f"a cookie's name is text of 1 to {MAX_NAME} characters")
    return name


def _jar(data: dict[str, Any]) -> str:
    jar = data.get("jar")
    if not isinstance(jar, str):
        raise bad("jar is 'local' or 'shared'")
    return jar


def _cookie_get(visit: Visit, data: dict[str, Any]) -> dict[str, Any]:
    found, value = visit.jar(_jar(data)).get(_name(data))
    return {"found": found, "value": value}


def _cookie_set(visit: Visit, data: dict[str, Any]) -> None:
    values = data.get("values")
    days = data.get("days", DEFAULT_DAYS)
    if not isinstance(values, dict) or not all(
        isinstance(key, str) and 0 < len(key) <= MAX_NAME for key in values
    ):
        raise bad(f"values are {{name: value}}, each name 1 to {MAX_NAME} characters")
    if isinstance(days, bool) or not isinstance(days, (int, float)):
        raise CookieError("A cookie's expiry is a number of days")
    if not 0 < days <= MAX_DAYS:  # before float(): an integer of 400 digits overflows it
        raise CookieError(f"A cookie's expiry is more than 0 and at most {MAX_DAYS} days")
    visit.jar(_jar(data)).set(values, float(days), visit.cookie_signer())


def _cookie_delete(visit: Visit, data: dict[str, Any]) -> None:
    visit.jar(_jar(data)).delete(_name(data))


def _cookie_clear(visit: Visit, data: dict[str, Any]) -> None:
    visit.jar(_jar(data)).clear()


_OPS = {
    "load": _load,
    "save": _save,
    "id": _id,
    "context": _context,
    "cookie_get": _cookie_get,
    "cookie_set": _cookie_set,
    "cookie_delete": _cookie_delete,
    "cookie_clear": _cookie_clear,
}


def register(bridge: Bridge) -> SessionHandler:
    """Offer `session` to guests on `bridge`; returns the handler."""
    handler = SessionHandler()
    bridge.register(OP, handler)
    return handler
