"""Opening an app from Widgetbox: `/widgets/<slug>/app` on Widgetbox's own origin sends the
visitor to the app's origin; a private app's owner (or the admin) goes with an entry token
(tokens.py), since the app's origin never sees Widgetbox's session."""

from __future__ import annotations

from litestar import get
from litestar.params import FromQuery
from litestar.response import Redirect

from widgetbox.host.config import Config
from widgetbox.host.errors import NotFound
from widgetbox.host.gui.apps import PREVIEW
from widgetbox.host.gui.tokens import Grant
from widgetbox.host.web.dependencies import AppTokensDep, ConfigDep, ReadableWidget, Viewer


@get("/widgets/{slug:str}/app", include_in_schema=False)
async def open_app(
    readable_widget: ReadableWidget,
    viewer: Viewer,
    config: ConfigDep,
    app_tokens: AppTokensDep,
    view: FromQuery[str] = "",
) -> Redirect:
    """`?view=preview`: to the designer's live preview (on the app's origin) instead."""
    widget = readable_widget  # 404 unless the viewer may see it
    if widget.kind != "gui":
        raise NotFound("not_an_app", f"{widget.slug!r} is not a GUI widget.")
    origin = config.app_origin(widget.slug)
    preview = view == "preview"
    if widget.visibility != "private" or viewer is None:
        return Redirect(origin + (PREVIEW if preview else "/"), status_code=303)
    token = app_tokens.entry(Grant(widget.id, viewer.id))
    headers = {"referrer-policy": "no-referrer", "cache-control": "no-store"}
    target = f"{origin}/_/enter?token={token}" + ("&to=preview" if preview else "")
    return Redirect(target, status_code=303, headers=headers)


def app_url(config: Config, slug: str) -> str:
    return config.app_origin(slug) + "/"
