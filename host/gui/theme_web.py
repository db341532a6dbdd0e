"""The theme on the app's origin (theme.py says what the theme is):

- `/_/theme/<path>` the app's theme asset `theme/assets/<path>`, as Anvil serves them: its
  content type from its name, `data:` URLs decoded, stylesheets with `%color:Name%` made CSS
  variables; nothing outside `theme/assets/` (a path with `..` or empty parts is not found).
- `/_/theme-colors.css` the app's colours as CSS variables on the page's root (the page links
  it), the default theme's with the app's own in their place.

Both follow the app's latest version, so they are revalidated on each use (`no-cache`, with
an ETag naming the version: an unchanged app answers 304 without its files being read), as
the app's page is never cached; what only a private app's owner may see is `private`. They
never run as a page of the app's origin (`content-security-policy: sandbox`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sqlite_utils
from litestar import Request, Response, route
from litestar.datastructures import State
from litestar.enums import HttpMethod
from litestar.params import FromPath

from widgetbox.host.gui import theme
from widgetbox.host.gui.apps import THEME_ASSETS, THEME_COLORS
from widgetbox.host.gui.hosts import PREFIX
from widgetbox.host.web.dependencies import AppGuardDep
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.records import Widget

_UNCHANGED = object()


def _etag(widget: Widget, what: str) -> str:
    return f'"{widget.id}-{widget.head_version}-{what}"'


def _headers(widget: Widget, etag: str) -> dict[str, str]:
    cache = "private, no-cache" if widget.visibility == "private" else "no-cache"
    return {"cache-control": cache, "etag": etag, "content-security-policy": "sandbox"}


def _not_found() -> Response[bytes]:
    return Response(b"", status_code=404, media_type="text/plain")


async def _answer(
    request: Request[Any, Any, State],
    found: tuple[Widget, Any] | None,
    what: str,
    make: Callable[[Any], theme.Asset | None],
) -> Response[bytes]:
    """The answer for what the app-origin guard found (visible.py): 304 when the browser
    has it already, the asset `make` makes of the files read, or 404."""
    if found is None:
        return _not_found()
    widget, files = found
    etag = _etag(widget, what)
    if files is _UNCHANGED:
        return Response(b"", status_code=304, headers=_headers(widget, etag))
    made = make(files) if files is not None else None
    if made is None:
        return _not_found()
    content = b"" if request.method == HttpMethod.HEAD else made.body
    return Response(content, media_type=made.media_type, headers=_headers(widget, etag))


def _reader(
    request: Request[Any, Any, State], what: str
) -> Callable[[sqlite_utils.Database, Widget], Mapping[str, str] | object]:
    """Reads the widget's latest files, unless the browser has this version already."""
    asked = request.headers.get("if-none-match", "")

    def read(database: sqlite_utils.Database, widget: Widget) -> Mapping[str, str] | object:
        if _etag(widget, what) in (tag.strip() for tag in asked.split(",")):
            return _UNCHANGED
        return widgets.head_files(database, widget)

    return read


@route(
    PREFIX + "/{slug:str}" + THEME_ASSETS + "{path:path}",
    http_method=[HttpMethod.GET, HttpMethod.HEAD],
    include_in_schema=False,
)
async def theme_asset(
    request: Request[Any, Any, State], path: FromPath[str], app_guard: AppGuardDep
) -> Response[bytes]:
    name = path.removeprefix("/")
    if theme.asset_path(name) is None:
        return _not_found()
    what = "asset"  # a browser keeps an ETag per URL: the version is enough
    found = await app_guard.find(_reader(request, what))
    return await _answer(request, found, what, lambda files: theme.asset(files, name))


@route(
    PREFIX + "/{slug:str}" + THEME_COLORS,
    http_method=[HttpMethod.GET, HttpMethod.HEAD],
    include_in_schema=False,
)
async def theme_colors(
    request: Request[Any, Any, State], app_guard: AppGuardDep
) -> Response[bytes]:
    what = "colors-" + theme.defaults().fingerprint
    found = await app_guard.find(_reader(request, what))

    def make(files: Mapping[str, str]) -> theme.Asset:
        return theme.Asset(theme.stylesheet(files).encode("utf-8"), "text/css")

    return await _answer(request, found, what, make)


ROUTES = [theme_asset, theme_colors]
