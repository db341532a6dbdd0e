"""The pages around the widgets: the landing page (sign up, log in), the first-run page,
the dashboard, creating a widget, exploring public widgets, and the admin's settings."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import get
from litestar.datastructures import State
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Template

from widgetbox.host.accounts import users as accounts
from widgetbox.host.config import Config
from widgetbox.host.web.rendering import db, page, require_viewer, safe_next
from widgetbox.host.web.security import Viewer, require_admin
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.queries import last_runs
from widgetbox.host.widgets.starters import TEMPLATES

KINDS = (
    ("script", "Script", "Runs top to bottom when you click Run; output streams in live."),
    ("scheduled", "Scheduled task", "Runs like a script, on an interval or a cron rule."),
    ("http", "HTTP API", "Functions marked @route answer requests at the widget's URL."),
)
"""The kinds the IDE creates (GUI widgets arrive with the designer)."""
NextPage = Annotated[str | None, QueryParameter(name="next", max_length=2000)]
"""Where to go after logging in (`?next=/widgets/...`)."""


@get("/", include_in_schema=False)
async def home(viewer: Viewer, state: State, next_: NextPage = None) -> Template | Redirect:
    """The landing page (sign up or log in), or the dashboard once signed in."""
    if viewer is None:
        config: Config = state.config
        is_open = await db(state).read(accounts.signup_open, config.open_signup)
        data = {"next": safe_next(next_)}
        return page("home.html", None, "pages/home.js", data=data, signup_open=is_open)
    if next_ and safe_next(next_) != "/":
        return Redirect(safe_next(next_), status_code=303)

    def read(database: Any) -> tuple[list[widgets.Widget], dict[int, Any]]:
        mine = widgets.list_owned(database, viewer.id, 200, 0)
        return mine, last_runs(database, [w.id for w in mine])

    mine, last = await db(state).read(read)
    return page(
        "dashboard.html",
        viewer,
        "pages/dashboard.js",
        widgets=mine,
        last_runs=last,
        kinds=KINDS,
    )


@get("/welcome", include_in_schema=False)
async def welcome(viewer: Viewer, state: State) -> Template:
    """The first-run page: what to do next."""
    user = require_viewer(viewer)
    count = len(await db(state).read(widgets.list_owned, user.id, 10, 0))
    return page("welcome.html", user, kinds=KINDS, examples=count)


@get("/new", include_in_schema=False)
async def new(viewer: Viewer, kind: FromQuery[str | None] = None) -> Template:
    """Create a widget: choose its kind, title and visibility."""
    user = require_viewer(viewer)
    chosen = kind if kind in TEMPLATES and kind != "gui" else "script"
    return page("new.html", user, "pages/new.js", kinds=KINDS, chosen=chosen)


@get("/explore", include_in_schema=False)
async def explore(viewer: Viewer, state: State) -> Template:
    """Public widgets, newest first."""
    found = await db(state).read(widgets.list_public, 200, 0)
    return page("explore.html", viewer, widgets=found)


@get("/admin", include_in_schema=False)
async def admin(viewer: Viewer, state: State) -> Template:
    """The admin's site settings."""
    user = require_admin(require_viewer(viewer))
    config: Config = state.config
    is_open = await db(state).read(accounts.signup_open, config.open_signup)
    return page("admin.html", user, "pages/admin.js", signup_open=is_open)


ROUTES = [home, welcome, new, explore, admin]
