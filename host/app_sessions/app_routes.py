"""A GUI app's own origin, beyond its page and calls (under hosts.PREFIX):

- `/_/api/<path>` the HTTP endpoints of the widget's server code (`@anvil.server.route`),
  as Anvil serves an app's API at `<app>/_/api/...`: the same checks, header allow-list and
  limits as a widget's HTTP API (`endpoints/serve.py`), with the browser's visit (its
  session, cookies and logged-in user; cookies never enter the sandbox as headers); a
  route may answer with the app's page itself (`FormResponse`, `AppResponder`:
  gui/load_app.py);
- `POST /_/session/reset` `anvil.server.reset_session()`: the browser's session is
  forgotten and its cookie cleared, so the next call starts a new one.

Both find the app through the app-origin guard (`app_guard`: gui/visible.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, Response, Router, post, route
from litestar.datastructures import Cookie, State
from litestar.params import FromPath

from widgetbox.host.app_sessions.visit import HTTP, AppSessions, client_of
from widgetbox.host.endpoints.serve import ALL_METHODS, run_route
from widgetbox.host.gui.capabilities import Capabilities
from widgetbox.host.gui.hosts import PREFIX
from widgetbox.host.gui.load_app import loaded_app
from widgetbox.host.gui.requests import CALL_HEADERS, REFUSALS
from widgetbox.host.gui.visible import AppGuard
from widgetbox.host.runs.runner import Runner
from widgetbox.host.web.dependencies import (
    AppGuardDep,
    AppSessionsDep,
    CapabilitiesDep,
    RunnerDep,
)
from widgetbox.host.web.pages import Assets
from widgetbox.host.widgets import records as widgets
from widgetbox.runtime import LoadApp

API = "/_/api"


def routes(rate_limit: Any, max_body: int, assets: Assets) -> list[Router]:
    """`rate_limit`: the widgets' HTTP APIs' middleware (per address); `max_body` their
    body cap; `assets` the app's page's (a route may answer with it: gui/load_app.py)."""

    async def serve(
        request: Request[Any, Any, State],
        app_guard: AppGuard,
        path: str,
        runner: Runner,
        app_sessions: AppSessions,
        capabilities: Capabilities,
    ) -> Response[Any]:
        with runner.runtime.handling_request():  # scripts give way meanwhile
            widget, code = await app_guard.visible(runner.code_in)
            visit = app_sessions.browser(
                widget, code.files, request.cookies, client_of(request), HTTP
            )
            config = app_guard.config
            origin = config.app_origin(app_guard.slug) + API

            def page(found: LoadApp, cookies: list[Cookie]) -> Response[Any]:
                return loaded_app(widget, code, assets, capabilities, found, cookies)

            return await run_route(
                request, runner, config, widget, code, path, origin, visit, load_app=page
            )

    @route(PREFIX + "/{slug:str}" + API, http_method=ALL_METHODS, include_in_schema=False)
    async def api_root(
        request: Request[Any, Any, State],
        app_guard: AppGuardDep,
        runner: RunnerDep,
        app_sessions: AppSessionsDep,
        capabilities: CapabilitiesDep,
    ) -> Response[Any]:
        return await serve(request, app_guard, "/", runner, app_sessions, capabilities)

    @route(
        PREFIX + "/{slug:str}" + API + "/{path:path}",
        http_method=ALL_METHODS,
        include_in_schema=False,
    )
    async def api_path(
        request: Request[Any, Any, State],
        path: FromPath[str],
        app_guard: AppGuardDep,
        runner: RunnerDep,
        app_sessions: AppSessionsDep,
        capabilities: CapabilitiesDep,
    ) -> Response[Any]:
        return await serve(request, app_guard, path, runner, app_sessions, capabilities)

    @post(PREFIX + "/{slug:str}/_/session/reset", include_in_schema=False, status_code=200)
    async def reset_session(
        request: Request[Any, Any, State], app_guard: AppGuardDep, app_sessions: AppSessionsDep
    ) -> Response[Any]:
        app_guard.check("A session reset")
        widget, files = await app_guard.visible(widgets.head_files)
        visit = app_sessions.browser(widget, files, request.cookies, client_of(request))
        await asyncio.to_thread(visit.reset)
        return Response({"ok": None}, headers=CALL_HEADERS, cookies=visit.response_cookies())

    return [
        Router(
            path="/",
            route_handlers=[api_root, api_path],
            middleware=[rate_limit],
            request_max_body_size=max_body + 1,
            include_in_schema=False,
            exception_handlers=REFUSALS,
        ),
        Router(
            path="/",
            route_handlers=[reset_session],
            include_in_schema=False,
            exception_handlers=REFUSALS,
        ),
    ]
