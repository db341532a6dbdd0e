"""The Users service on an app's own origin (under hosts.PREFIX, like the rest of the app):

- `POST /_/users` browser code's `anvil.users` (`{"op": name, ...}`, as the bridge
  operation takes it, with the browser's access: no `force_login`, sign-up only when the
  app allows it): `{"ok": value}` (a user's row record, its password hash hidden, with a
  capability so the browser can read it and hand it to server functions) or
  `{"error": {"kind", "message"}}`, the Anvil class the client raises. `config` answers what
  the built-in forms need. Checked and rate-limited as `/_/call` (one budget for both).
- `GET /_/email-confirm?t=...` the link of a confirmation email: a page saying it worked.
- `GET|POST /_/reset-password?t=...` the link of a reset email: a form for a new password.

The visit (`app_sessions/visit.py`) is the browser's: logging in sets its session cookie, a
"Remember me" cookie, both on the app's origin. Each handler finds the widget through the
app-origin guard (`app_guard`: gui/visible.py), an emailed link's of any kind (an HTTP API's
users sign up through the service too).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import parse_qs

from litestar import Request, Response, Router, get, post, route
from litestar.datastructures import State
from litestar.enums import HttpMethod, MediaType
from litestar.params import FromQuery
from litestar.response import Template

from widgetbox.host.app_sessions.visit import AppSessions, client_of
from widgetbox.host.app_users import emails
from widgetbox.host.app_users.handler import answer
from widgetbox.host.app_users.service import Ask, UsersError, UsersService
from widgetbox.host.app_users.settings import SettingsError, users_settings
from widgetbox.host.config import Config
from widgetbox.host.gui.apps import PAGE_HEADERS, STATIC
from widgetbox.host.gui.capabilities import Capabilities
from widgetbox.host.gui.hosts import PREFIX
from widgetbox.host.gui.requests import CALL_HEADERS, NOT_FOUND, REFUSALS, Refused
from widgetbox.host.web.dependencies import (
    AppGuardDep,
    AppSessionsDep,
    AppUsersDep,
    CapabilitiesDep,
)
from widgetbox.host.web.limits import PerMinute
from widgetbox.host.web.pages import Assets
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.records import Widget
from widgetbox.runtime import Carried, HostCallError

USERS_MAX_BYTES = 64 * 1024
SECONDS = 20.0
"""What one browser request of the Users service may take (hashing, email)."""
FORM_MAX_BYTES = 16 * 1024
BROWSER_OPS = frozenset(
    {"get_user", "login", "signup", "logout", "send_reset", "reset_password", "config"}
)


def _config(files: dict[str, str]) -> dict[str, Any]:
    try:
        settings = users_settings(files)
    except SettingsError:
        settings = None
    if settings is None:
        return {"enabled": False}
    return {
        "enabled": True,
        "allow_signup": settings.allow_signup,
        "confirm_email": settings.confirm_email,
        "remember_me": settings.remember_me_days > 0,
        "min_password_length": settings.min_password_length,
    }


def browser_answer(
    service: UsersService,
    capabilities: Capabilities,
    ask: Ask,
    data: dict[str, Any],
) -> dict[str, Any]:
    """The answer frame to one of the browser's requests."""
    op = data.get("op")
    if op not in BROWSER_OPS:
        return {"error": {"kind": "anvil.server.PermissionDenied", "message": (
            f"anvil.users cannot do {str(op)[:40]!r} from the browser"
        )}}  # fmt: skip
    if op == "config":
        return {"ok": _config(dict(ask.visit.files))}
    try:
        found = answer(service, ask, data)
    except HostCallError as e:
        return {"error": {"kind": e.kind, "message": e.message}}
    if isinstance(found, dict) and isinstance(found.get("id"), str):
        signer = capabilities.of(ask.widget.id, ask.widget.created_at)
        sealed = signer.seal(Carried("row", found))
        found = sealed.payload if isinstance(sealed, Carried) else found
    return {"ok": found}


def _page(
    assets: Assets,
    title: str,
    message: str,
    *,
    status: int = 200,
    form: dict[str, Any] | None = None,
    error: str = "",
) -> Response[Any]:
    return Template(
        "gui/account.html",
        context={
            "title": title,
            "message": message,
            "form": form,
            "error": error,
            "style": STATIC + assets.url("gui/gui.css").removeprefix("/static/"),
        },
        status_code=status,
        headers=PAGE_HEADERS,
        media_type=MediaType.HTML,
    )


def _ask(
    sessions: AppSessions, request: Request[Any, Any, State], widget: Widget, files: dict[str, str]
) -> Ask:
    """The browser's request of the service, with its visit (an expired session restarts)."""
    visit = sessions.browser(widget, files, request.cookies, client_of(request))
    visit.restart_expired = True
    return Ask(visit, trusted=False, deadline=time.monotonic() + SECONDS)


GONE = "This link has expired or was used already. Ask for a new one from the app."


def routes(config: Config, assets: Assets, calls: PerMinute) -> list[Router]:
    """The Users service's handlers on apps' origins; `/_/users` rate-limited with the
    app's calls."""

    @post(PREFIX + "/{slug:str}/_/users", include_in_schema=False, status_code=200)
    async def users_request(
        request: Request[Any, Any, State],
        app_guard: AppGuardDep,
        capabilities: CapabilitiesDep,
        app_sessions: AppSessionsDep,
        app_users: AppUsersDep,
    ) -> Response[Any]:
        data = await app_guard.json("A Users request", USERS_MAX_BYTES)
        if not isinstance(data, dict):
            raise Refused(400, "bad_call", 'A Users request is {"op": name, ...}.')
        widget, files = await app_guard.visible(widgets.head_files)
        ask = _ask(app_sessions, request, widget, files)
        frame = await asyncio.to_thread(browser_answer, app_users, capabilities, ask, data)
        return Response(frame, headers=CALL_HEADERS, cookies=ask.visit.response_cookies())

    @get(PREFIX + "/{slug:str}" + emails.CONFIRM_PATH, include_in_schema=False)
    async def confirm_email(
        request: Request[Any, Any, State],
        app_guard: AppGuardDep,
        app_sessions: AppSessionsDep,
        app_users: AppUsersDep,
        t: FromQuery[str] = "",
    ) -> Response[Any]:
        found = await app_guard.find(widgets.head_files, any_kind=True)
        if found is None:
            return _page(assets, "No app here", NOT_FOUND, status=404)
        ask = _ask(app_sessions, request, *found)
        try:
            confirmed = await asyncio.to_thread(app_users.confirm_email, ask, t)
        except UsersError as e:
            return _page(assets, "Email address", e.message)
        if not confirmed:
            return _page(assets, "Email address", GONE)
        return _page(
            assets,
            "Email address confirmed",
            "Thank you: your email address is confirmed. You can log in now.",
        )

    @route(
        PREFIX + "/{slug:str}" + emails.RESET_PATH,
        http_method=[HttpMethod.GET, HttpMethod.POST],
        include_in_schema=False,
        status_code=200,
        request_max_body_size=FORM_MAX_BYTES,
    )
    async def reset_password(
        request: Request[Any, Any, State],
        app_guard: AppGuardDep,
        app_sessions: AppSessionsDep,
        app_users: AppUsersDep,
        t: FromQuery[str] = "",
    ) -> Response[Any]:
        found = await app_guard.find(widgets.head_files, any_kind=True)
        if found is None:
            return _page(assets, "No app here", NOT_FOUND, status=404)
        ask = _ask(app_sessions, request, *found)
        title = "Choose a new password"
        form = {"token": t, "min": 1}
        try:
            form["min"] = app_users.settings(ask.visit.files).min_password_length
        except UsersError as e:
            return _page(assets, title, e.message)
        if request.method == HttpMethod.GET:
            valid = await asyncio.to_thread(app_users.reset_link_valid, ask, t)
            if not valid:
                return _page(assets, title, GONE)
            return _page(assets, title, "Choose a new password for your account.", form=form)
        origin = request.headers.get("origin")
        if origin and origin != app_guard.config.app_origin(app_guard.slug):
            return _page(assets, title, "This form must be sent from its own page.", status=403)
        fields = parse_qs((await request.body()).decode("utf-8", "replace"))
        token = (fields.get("t") or [""])[0]
        password = (fields.get("password") or [""])[0]
        again = (fields.get("again") or [""])[0]
        form["token"] = token
        if password != again:
            return _page(assets, title, "", form=form, error="The passwords do not match.")
        try:
            done = await asyncio.to_thread(app_users.reset_with_link, ask, token, password)
        except UsersError as e:
            return _page(assets, title, "", form=form, error=e.message)
        if not done:
            return _page(assets, title, GONE)
        return _page(
            assets,
            "Password changed",
            "Your password has been changed: log in with it now.",
        )

    return [
        Router(
            path="/",
            route_handlers=[users_request, confirm_email, reset_password],
            middleware=[calls.middleware],
            request_max_body_size=USERS_MAX_BYTES + 1,
            include_in_schema=False,
            exception_handlers=REFUSALS,
        ),
    ]
