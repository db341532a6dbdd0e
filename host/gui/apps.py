"""A GUI widget's app, on the app's own origin (see hosts.py): its page, the loader and the
Python runtime's files, entering a private app, and server calls.

- `/` the page: the loader, the runtime to start (Brython or Pyodide), the startup form and
  the app's client files (`forms/**`, `app.json`; never its server code). A private app
  opened without its owner's visit cookie redirects to Widgetbox's handover (handoff.py).
- `/_/static/...` the loader, styles and runtimes, content-hashed or versioned, cached for a
  year.
- `/_/enter?token=...` a private app's owner, handed over from Widgetbox (tokens.py).
- `/_/preview` the designer's live preview: runs the files the IDE's page posts to it.
- `/_/call` `anvil.server.call`: the call runs in a fresh sandbox through the interactive
  lane of the run queue; values follow Anvil's rules; exceptions raised by server code come
  back as data (`{"exception": {"type", "message"}}`, with `traceback` and `trace` only
  for the owner's visit: `AppGuard.owner_visiting`) for the client to raise; the run has
  the browser's visit (its app session and cookies, `app_sessions/`), whose changes come
  back as `Set-Cookie`; calls are rate-limited per visitor address and logged for the
  owner. The JSON's objects are bounded before the sandbox decodes them (hash flooding:
  `http_api.JsonBounds`). Data Tables rows and
  searches in a call's result are signed on their way out, and those in its arguments must
  carry a valid signature (capabilities.py).
- `/_/tables` `anvil.tables` in client code: one Data Tables operation with the browser's
  access (each table's `client` level in the widget's latest `tables.yaml`, or a capability
  for what server code handed the browser); the same checks, bounds and rate as `/_/call`
  (one budget for both); `{"ok": answer}` or `{"error": {"kind", "message"}}` (the refusal
  the client raises as its `anvil.tables` or `anvil.server` class).
- `/_/task` a background task's `Task` that server code returned, read by client code
  (`host/tasks/client.py`): only with the capability it came with; the same checks, bounds
  and rate as `/_/call`.
- `/_/theme/...` and `/_/theme-colors.css` the app's theme: its assets and its colours
  (theme_web.py); the page links the colours, and the app's `theme.css` when it has one.

Every handler that serves an app finds it through the app-origin guard (`app_guard`,
visible.py): the refusals first, then the app its visitor may open, in one trip to the
database with what the handler reads of it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import sqlite_utils
from litestar import Request, Response, Router, get, post, route
from litestar.datastructures import Cookie, State
from litestar.enums import HttpMethod, MediaType
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from widgetbox.host.app_sessions import Visit
from widgetbox.host.config import Config
from widgetbox.host.gui import client_tables, design, theme
from widgetbox.host.gui.capabilities import Capabilities, InvalidCapability, WidgetCapabilities
from widgetbox.host.gui.hosts import PREFIX
from widgetbox.host.gui.requests import (
    CALL_HEADERS,
    CALL_MAX_BYTES,
    NOT_FOUND,
    REFUSALS,
    Refused,
    error,
    json_body,
    on_app_host,
)
from widgetbox.host.gui.tokens import VISIT_SECONDS, AppTokens
from widgetbox.host.gui.visible import AppGuard, visit_cookie_name, visitor
from widgetbox.host.runs import records as runs
from widgetbox.host.runs.admission import QUEUE_FULL
from widgetbox.host.runs.runner import Runner
from widgetbox.host.storage.database import Database
from widgetbox.host.tables import SCHEMA_FILE
from widgetbox.host.tasks import client as task_client
from widgetbox.host.web.dependencies import (
    AppGuardDep,
    AppSessionsDep,
    AppTokensDep,
    CapabilitiesDep,
    ConfigDep,
    DbDep,
    RunnerDep,
    TablesDep,
)
from widgetbox.host.web.errors import respond
from widgetbox.host.web.limits import PerMinute
from widgetbox.host.web.pages import Assets
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.app_info import app_info
from widgetbox.host.widgets.records import Widget
from widgetbox.runtime import (
    TOO_LONG,
    Code,
    RunResult,
    SerializationError,
    Status,
    decode_value,
    encode_value,
)

log = logging.getLogger("widgetbox.host")

MAX_NAME = 200
STATIC = "/_/static/"
THEME_ASSETS = "/_/theme/"
"""The app's theme assets (theme_web.py)."""
PAGE_THEME = ("templates", "assets", "colors")
"""What the page's #wb-theme holds of theme.page_theme (client/src/gui/theme.js, app-info.js)."""
THEME_COLORS = "/_/theme-colors.css"
"""The app's theme colours, as CSS variables (theme_web.py)."""
PREVIEW = "/_/preview"
STATIC_FOLDERS = ("gui/", "chunks/", "runtimes/")
"""The loader and its chunks (code it shares with the designer), styles and runtimes."""
SNAPSHOT = "snapshot.bin"
PRELOADS = {
    "brython": [("brython.min.js", "script"), ("brython_stdlib.js", "script")],
    # what loading Pyodide fetches one after another, asked for at once (run-pyodide.js)
    "pyodide": [
        ("pyodide.mjs", "module"),
        ("pyodide.asm.mjs", "module"),
        ("pyodide.asm.wasm", "fetch"),
        ("python_stdlib.zip", "fetch"),
        ("pyodide-lock.json", "fetch"),
        (SNAPSHOT, "fetch"),
    ],
}
"""The runtime's files the page asks for before its loader does: `<link rel=preload>` (as
`modulepreload` for modules, `as=fetch` for what is fetched), so they arrive in parallel."""

APP_CSP = (
    "default-src 'self'; "
    # Brython compiles Python to JavaScript in the page; Pyodide compiles WebAssembly
    "script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'; "
    "style-src 'self'; img-src 'self' data: blob: https:; connect-src 'self'; "
    "font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    # a YouTubeVideo component's player
    "frame-src https://www.youtube-nocookie.com; "
    "frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "content-security-policy": APP_CSP,
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def _is_private_app(database: sqlite_utils.Database, slug: str) -> bool:
    """Whether the GUI app at `slug` opens only for its owner (visible.opens_for)."""
    widget = widgets.find(database, slug)
    return widget is not None and widget.kind == "gui" and not widgets.can_read(widget, None)


def _to_handover(config: Config, slug: str) -> Response[Any]:
    """A private app's page opened without a visit: to Widgetbox's `/widgets/<slug>/app`
    (handoff.py), which hands its owner over (back here, through `/_/enter`) and tells
    anyone else that the app is private."""
    return Redirect(
        f"{config.origin}/widgets/{slug}/app",
        status_code=303,
        headers={"cache-control": "no-store", "referrer-policy": "no-referrer"},
    )


def _to_new_address(
    request: Request[Any, Any, State], config: Config, slug: str, widget: Widget
) -> Response[Any]:
    """A renamed app's former host name: to its new one (308, the query kept); a private
    app's through Widgetbox, where only its owner is told the new address."""
    if widget.kind != "gui":
        return _not_found()
    if not widgets.can_read(widget, None):  # it opens only for its owner
        return _to_handover(config, slug)
    query = request.url.query
    location = config.app_origin(widget.slug) + "/" + (f"?{query}" if query else "")
    return Response(
        b"", status_code=308, headers={"location": location, "cache-control": "no-cache"}
    )


def _schema_text(database: sqlite_utils.Database, widget: Widget) -> str | None:
    """The widget's latest `tables.yaml` (browser code always uses the latest)."""
    return widgets.head_files(database, widget).get(SCHEMA_FILE)


def _not_found(message: str = NOT_FOUND) -> Response[Any]:
    return Template(
        "gui/missing.html",
        context={"message": message},
        status_code=404,
        headers=PAGE_HEADERS,
        media_type=MediaType.HTML,
    )


def _boot_json(data: dict[str, Any]) -> str:
    """JSON safe inside a <script> element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _runtimes(assets: Assets) -> dict[str, Any]:
    """The runtimes the build copied (build/manifest.json, "runtimes")."""
    manifest: Path = assets.directory / "manifest.json"
    try:
        found: dict[str, Any] = json.loads(manifest.read_text()).get("runtimes", {})
    except (OSError, ValueError):
        return {}
    return found


def app_page(
    widget: Widget,
    code: Code,
    assets: Assets,
    load: dict[str, Any] | None = None,
    meta: Mapping[str, str] | None = None,
    cookies: list[Cookie] | None = None,
) -> Response[Any]:
    """The app's page. A route's `FormResponse`/`AppResponder` (load_app.py) gives it `load`,
    what to open instead of the app's start-up with the client's startup data (values as a
    call's answer), and `meta`, the page's title and meta tags."""
    files = dict(code.files)
    settings = design.app_settings(files)
    runtime = _runtimes(assets).get(settings.runtime)
    if runtime is None:
        log.error("the %s runtime is not built: run `just client`", settings.runtime)
        return _not_found("This app cannot be served: its runtime is not installed.")
    base = STATIC + runtime["base"]
    boot = {
        "runtime": settings.runtime,
        "runtime_base": base,
        "startup_form": settings.startup_form,
        "startup_module": settings.startup_module,
        "files": design.client_files(files),
        "app": app_info(widget),  # anvil.app (client/src/gui/app-info.js)
    }
    if load is not None:
        boot["load"] = load
    meta = dict(meta or {})
    # the loader's own chunks too: the browser would ask for them only once it has the loader
    preload = [
        {"href": STATIC + chunk.removeprefix("/static/"), "kind": "module"}
        for chunk in assets.preloads("gui/boot.js")
    ]
    preload += [
        {"href": base + name, "kind": kind}
        for name, kind in PRELOADS[settings.runtime]
        if name != SNAPSHOT or SNAPSHOT in runtime.get("files", ())
    ]
    page_theme = theme.page_theme(files)
    return Template(
        "gui/app.html",
        context={
            "title": meta.pop("title", None) or widget.title,
            "meta": meta,
            "script": STATIC + assets.url("gui/boot.js").removeprefix("/static/"),
            "style": STATIC + assets.url("gui/gui.css").removeprefix("/static/"),
            "theme_colors": THEME_COLORS,
            "theme_css": THEME_ASSETS + theme.THEME_CSS if page_theme["css"] else None,
            "theme": _boot_json({key: page_theme[key] for key in PAGE_THEME}),
            "preload": preload,
            "boot": _boot_json(boot),
        },
        headers=PAGE_HEADERS,
        media_type=MediaType.HTML,
        cookies=cookies,
    )


def _static(
    request: Request[Any, Any, State], slug: str, path: str, assets: Assets
) -> Response[bytes]:
    name = path.lstrip("/")
    if not on_app_host(request, slug) or not name.startswith(STATIC_FOLDERS):
        return Response(b"", status_code=404)
    return assets.send(request, name)


def _preview(config: Config, assets: Assets) -> Response[Any]:
    """The live preview's shell: it runs what the IDE's design page posts to it (files that
    may not be saved yet). It holds nothing of any widget's, so it is the same for every app
    (and for none); only Widgetbox's own pages may frame it and send it code."""
    # CSP source expressions cannot name IPv6 literals ([::1]): that name cannot frame it
    ide = sorted(origin for origin in config.allowed_origins if "[" not in origin)
    boot = {
        "preview": True,
        "ide_origins": ide,
        "runtime_bases": {
            name: STATIC + found["base"]
            for name, found in _runtimes(assets).items()
            if name in design.RUNTIMES  # (plotly.js is there too, beside them)
        },
    }
    headers = {
        **PAGE_HEADERS,
        "content-security-policy": APP_CSP.replace(
            "frame-ancestors 'none'", "frame-ancestors " + " ".join(ide)
        ),
    }
    return Template(
        "gui/app.html",
        context={
            "title": "Preview",
            "script": STATIC + assets.url("gui/boot.js").removeprefix("/static/"),
            "style": STATIC + assets.url("gui/gui.css").removeprefix("/static/"),
            # no theme of any app's: the designer posts the colours with the files (boot.js)
            "preload": [],
            "boot": _boot_json(boot),
        },
        headers=headers,
        media_type=MediaType.HTML,
    )


async def _enter(
    slug: str, token: str, to: str, db: Database, app_tokens: AppTokens, config: Config
) -> Response[Any]:
    """Exchange an entry token for the visit cookie (the token's user must own the app)."""
    grant = app_tokens.redeem(token)

    def owns(database: sqlite_utils.Database) -> bool:
        widget = widgets.find(database, slug)
        return widget is not None and widgets.is_owner(widget, visitor(database, widget, grant))

    if grant is None or not await db.read(owns):
        return _not_found(
            "This link has expired or was used already: open the app again from its "
            "page in Widgetbox."
        )
    cookie = Cookie(
        key=visit_cookie_name(config),
        value=app_tokens.visit(grant),
        path="/",
        max_age=VISIT_SECONDS,
        secure=config.app_origin(slug).startswith("https://"),
        httponly=True,
        samesite="lax",
    )
    return Redirect(
        PREVIEW if to == "preview" else "/",
        status_code=303,
        cookies=[cookie],
        headers={"referrer-policy": "no-referrer"},
    )


async def _call(
    parsed: tuple[str, list[Any], dict[str, Any]],
    widget: Widget,
    code: Code,
    runner: Runner,
    capabilities: Capabilities,
    open_visit: Callable[[Widget, Code], Visit] | None = None,
    *,
    owner: bool = False,
) -> Response[Any]:
    """One server call: its rows and searches checked, run (with the browser's visit: its
    app session and cookies, whose changes come back as `Set-Cookie`), its result's
    signed. `owner`: the widget's owner is calling (`AppGuard.owner_visiting`), who is told
    an exception's traceback too."""
    name, args, kwargs = parsed
    signer = capabilities.of(widget.id, widget.created_at)
    try:
        args, kwargs = signer.check(args), signer.check(kwargs)
    except InvalidCapability as e:
        return error(
            400,
            "invalid_capability",
            f"Invalid capability: {e} passed to a server function must be one the app was "
            "given by the server.",
        )
    visit = open_visit(widget, code) if open_visit is not None else None
    context = {"visit": visit} if visit is not None else None
    try:
        result = await runner.call(widget, name, args, kwargs, code, context=context)
    except QUEUE_FULL as e:
        return respond(e, CALL_HEADERS)
    cookies = visit.response_cookies() if visit is not None else []
    answer = outcome(result, signer, owner=owner)
    return Response(answer, headers=CALL_HEADERS, cookies=cookies)


def routes(config: Config, assets: Assets, calls: PerMinute) -> list[Router]:
    """The app origin's handlers (under hosts.PREFIX), server calls and Data Tables requests
    rate-limited per visitor address."""

    @get(PREFIX + "/{slug:str}/", include_in_schema=False)
    async def page(
        request: Request[Any, Any, State],
        app_guard: AppGuardDep,
        db: DbDep,
        runner: RunnerDep,
    ) -> Response[Any]:
        found = await app_guard.find(runner.code_in)
        if found is None:
            return await _missing(request, app_guard, db)
        return app_page(found[0], found[1], assets)

    @route(
        PREFIX + "/{slug:str}/_/static/{path:path}",
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        include_in_schema=False,
        sync_to_thread=False,
    )
    def static(
        request: Request[Any, Any, State], slug: FromPath[str], path: FromPath[str]
    ) -> Response[bytes]:
        return _static(request, slug, path, assets)

    @get(PREFIX + "/{slug:str}/_/enter", include_in_schema=False)
    async def enter(
        request: Request[Any, Any, State],
        slug: FromPath[str],
        db: DbDep,
        app_tokens: AppTokensDep,
        config: ConfigDep,
        token: FromQuery[str] = "",
        to: FromQuery[str] = "",
    ) -> Response[Any]:
        if not on_app_host(request, slug):
            return _not_found()
        return await _enter(slug, token, to, db, app_tokens, config)

    @get(PREFIX + "/{slug:str}" + PREVIEW, include_in_schema=False, sync_to_thread=False)
    def preview(
        request: Request[Any, Any, State], slug: FromPath[str], config: ConfigDep
    ) -> Response[Any]:
        if not on_app_host(request, slug):
            return _not_found()
        return _preview(config, assets)

    @post(PREFIX + "/{slug:str}/_/call", include_in_schema=False, status_code=200)
    async def call(
        request: Request[Any, Any, State],
        app_guard: AppGuardDep,
        runner: RunnerDep,
        capabilities: CapabilitiesDep,
        app_sessions: AppSessionsDep,
    ) -> Response[Any]:
        with runner.runtime.handling_request():  # scripts give way meanwhile
            app_guard.check("A server call")
            parsed = _parse_call(await request.body())

            def read(database: sqlite_utils.Database, widget: Widget) -> tuple[Code, bool]:
                return runner.code_in(database, widget), app_guard.owner_visiting(database, widget)

            widget, (code, owner) = await app_guard.visible(read)
            opener = app_sessions.opener(request)
            return await _call(parsed, widget, code, runner, capabilities, opener, owner=owner)

    @post(PREFIX + "/{slug:str}/_/tables", include_in_schema=False, status_code=200)
    async def tables_request(
        app_guard: AppGuardDep,
        runner: RunnerDep,
        tables: TablesDep,
        capabilities: CapabilitiesDep,
    ) -> Response[Any]:
        """One Data Tables operation of browser code (client_tables.py)."""
        with runner.runtime.handling_request():  # scripts give way meanwhile
            data = await app_guard.json("A Data Tables request")
            if not isinstance(data, dict):
                raise Refused(400, "bad_call", 'A Data Tables request is {"op": name, ...}.')
            widget, schema_text = await app_guard.visible(_schema_text)
            signer = capabilities.of(widget.id, widget.created_at)
            frame = await asyncio.to_thread(
                client_tables.answer, tables, widget.id, schema_text, signer, data
            )
            return Response(frame, headers=CALL_HEADERS)

    @post(PREFIX + "/{slug:str}/_/task", include_in_schema=False, status_code=200)
    async def task_request(
        app_guard: AppGuardDep,
        runner: RunnerDep,
        capabilities: CapabilitiesDep,
    ) -> Response[Any]:
        """A `Task` that server code returned, read by browser code (tasks/client.py)."""
        what = "A background task request"
        data = await app_guard.json(what)
        asked = task_client.requested(data)
        if asked is None:
            raise Refused(400, "bad_call", f'{what} is {{"id": id, "cap": capability}}.')
        task_id, run_id = asked

        def read(database: sqlite_utils.Database, widget: Widget) -> runs.Run | None:
            return runs.task_run(database, widget.id, run_id)

        widget, run = await app_guard.visible(read)
        signer = capabilities.of(widget.id, widget.created_at)
        live = runner.states.get(run_id)
        frame = task_client.answer(data, task_id, run, live, signer)
        return Response(frame, headers=CALL_HEADERS)

    return [
        Router(path="/", route_handlers=[page, static, enter, preview], include_in_schema=False),
        Router(
            path="/",
            route_handlers=[call, tables_request, task_request],
            middleware=[calls.middleware],
            request_max_body_size=CALL_MAX_BYTES + 1,
            include_in_schema=False,
            exception_handlers=REFUSALS,
        ),
    ]


async def _missing(
    request: Request[Any, Any, State], app_guard: AppGuard, db: Database
) -> Response[Any]:
    """The answer of the app's address when no app opens there for the visitor: a private
    app's handover, a renamed app's new address, or not found."""
    slug, config = app_guard.slug, app_guard.config
    if app_guard.on_host and await db.read(_is_private_app, slug):
        return _to_handover(config, slug)
    if app_guard.on_host and (moved := await db.read(widgets.former, slug)):
        return _to_new_address(request, config, slug, moved)
    return _not_found()


def _parse_call(raw: bytes) -> tuple[str, list[Any], dict[str, Any]]:
    """The call's function and arguments, or `Refused`."""

    def refuse(message: str) -> Refused:
        return Refused(400, "bad_call", message)

    data = json_body(raw, "A call")
    if not isinstance(data, dict) or set(data) - {"name", "args", "kwargs"}:
        raise refuse('A call is {"name": ..., "args": [...], "kwargs": {...}}.')
    name, args, kwargs = data.get("name"), data.get("args", []), data.get("kwargs", {})
    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME:
        raise refuse(f"A call names a server function (1 to {MAX_NAME} characters).")
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise refuse('A call\'s "args" is a list and its "kwargs" an object.')
    try:
        return name, decode_value(args), decode_value(kwargs)
    except SerializationError as e:
        raise refuse(f"The arguments cannot be read: {e}.") from None


def _exception(kind: str, message: str) -> dict[str, Any]:
    return {"exception": {"type": kind, "message": message}}


def outcome(
    result: RunResult, signer: WidgetCapabilities | None = None, *, owner: bool = False
) -> dict[str, Any]:
    """The answer to a finished call: its value (its rows and searches signed by `signer`
    for the browser), or the exception the client raises, as Anvil sends it: the
    exception's class name (`ValueError`, or `anvil.server.TimeoutError` for Anvil's own)
    and message, which the client raises as that class when it has it and as
    `AnvilWrappedError` otherwise. For the owner (`owner`), also the traceback of the
    widget's own frames and Anvil's `trace` (`[[file, line], ...]`, innermost last)."""
    if result.ok:
        value = result.value if signer is None else signer.seal(result.value)
        return {"value": encode_value(value)}
    if result.status is Status.TIMEOUT:
        return _exception("anvil.server.TimeoutError", TOO_LONG)
    if result.status in (Status.MEMORY, Status.OUTPUT_LIMIT, Status.KILLED):
        return _exception(
            "anvil.server.ExecutionTerminatedError",
            f"Server code exited unexpectedly: {result.message or result.status.value}",
        )
    error = result.error
    if error is None:
        return _exception(
            "anvil.server.InternalError",
            "The server code failed; the app's owner can see why in the widget's logs.",
        )
    answer = _exception(error.qualified_type or error.type, error.message)
    if owner:
        answer["exception"]["traceback"] = error.traceback
        answer["exception"]["trace"] = [[frame.filename, frame.lineno] for frame in error.frames]
    return answer
