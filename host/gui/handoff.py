"""Opening an app from Widgetbox: `/widgets/<slug>/app` on Widgetbox's own origin sends the
visitor to the app's origin; the app's owner (or the admin) goes with an entry token
(tokens.py), since the app's origin never sees Widgetbox's session: a private app opens
only for them, and any app tells them, and no one else, its server errors' tracebacks.

A private app's own address sends visitors without a visit cookie here (apps.py), so its
owner, signed in to Widgetbox, gets in from the address alone; anyone else is told the app
is private (with the way to log in, when they are not), not that there is none. That says
a private app exists at that address: addresses are shared openly in Widgetbox, and the
owner is who they were shared by."""

from __future__ import annotations

from litestar import get
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from widgetbox.host.errors import NotFound
from widgetbox.host.gui.apps import PREVIEW
from widgetbox.host.gui.tokens import Grant
from widgetbox.host.web.dependencies import AppTokensDep, ConfigDep, DbDep, Slug, Viewer
from widgetbox.host.web.rendering import page
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.records import Widget


@get("/widgets/{slug:str}/app", include_in_schema=False)
async def open_app(
    slug: Slug,
    viewer: Viewer,
    db: DbDep,
    config: ConfigDep,
    app_tokens: AppTokensDep,
    view: FromQuery[str] = "",
) -> Template | Redirect:
    """`?view=preview`: to the designer's live preview (on the app's origin) instead."""
    found = await db.read(widgets.find, slug)
    if found is not None and _private_app(found) and not widgets.is_owner(found, viewer):
        return page("app_private.html", viewer, status=403, slug=slug)
    widget = await db.read(widgets.readable, slug, viewer)  # 404 unless the viewer may see it
    if widget.kind != "gui":
        raise NotFound("not_an_app", f"{widget.slug!r} is not a GUI widget.")
    origin = config.app_origin(widget.slug)
    preview = view == "preview"
    if viewer is None or not widgets.is_owner(widget, viewer):
        return Redirect(origin + (PREVIEW if preview else "/"), status_code=303)
    token = app_tokens.entry(Grant(widget.id, viewer.id))
    headers = {"referrer-policy": "no-referrer", "cache-control": "no-store"}
    target = f"{origin}/_/enter?token={token}" + ("&to=preview" if preview else "")
    return Redirect(target, status_code=303, headers=headers)


def _private_app(widget: Widget) -> bool:
    """Whether to tell a visitor the app is private: its owner's setting. Who may open an
    app is decided by the app-origin guard's rule alone (visible.py); this only words the
    refusal, and an app closed because its owner's account is disabled is not found
    (`widgets.readable`), not "private"."""
    return widget.kind == "gui" and widget.visibility == "private"
