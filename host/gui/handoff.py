"""Opening an app from Widgetbox: `/widgets/<slug>/app` on Widgetbox's own origin sends the
visitor to the app's origin; a private app's owner (or the admin) goes with an entry token
(tokens.py), since the app's origin never sees Widgetbox's session."""

from __future__ import annotations

from litestar import get
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from widgetbox.host.config import Config
from widgetbox.host.errors import NotFound
from widgetbox.host.gui.apps import PREVIEW
from widgetbox.host.gui.tokens import AppTokens, Grant
from widgetbox.host.storage.database import Database
from widgetbox.host.web.dependencies import Viewer
from widgetbox.host.widgets import records as widgets


@get("/widgets/{slug:str}/app", include_in_schema=False)
async def open_app(
    slug: FromPath[str], viewer: Viewer, state: State, view: FromQuery[str] = ""
) -> Redirect:
    """`?view=preview`: to the designer's live preview (on the app's origin) instead."""
    db: Database = state.db
    widget = await db.read(widgets.readable, slug, viewer)  # 404 unless the viewer may see it
    if widget.kind != "gui":
        raise NotFound("not_an_app", f"{slug!r} is not a GUI widget.")
    config: Config = state.config
    origin = config.app_origin(widget.slug)
    preview = view == "preview"
    if widget.visibility != "private" or viewer is None:
        return Redirect(origin + (PREVIEW if preview else "/"), status_code=303)
    tokens: AppTokens = state.app_tokens
    token = tokens.entry(Grant(widget.id, viewer.id))
    headers = {"referrer-policy": "no-referrer", "cache-control": "no-store"}
    target = f"{origin}/_/enter?token={token}" + ("&to=preview" if preview else "")
    return Redirect(target, status_code=303, headers=headers)


def app_url(config: Config, slug: str) -> str:
    return config.app_origin(slug) + "/"
