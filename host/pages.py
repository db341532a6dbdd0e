"""The pages people open in a browser. For now: sign up, log in, and a dashboard of one's
widgets; the full IDE replaces the dashboard. Pages are server-rendered from client/templates;
their script (client/static/app.js) talks to the JSON API."""

from __future__ import annotations

from pathlib import Path

from litestar import get
from litestar.datastructures import State
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from . import widgets
from .db import Database
from .security import Viewer


def template_config(directory: Path) -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=directory, engine=JinjaTemplateEngine)


@get("/", include_in_schema=False)
async def home(viewer: Viewer, state: State) -> Template:
    """The landing page (sign up or log in), or the dashboard once signed in."""
    if viewer is None:
        return Template("home.html", context={"origin": state.config.origin})
    db: Database = state.db
    mine = await db.read(widgets.list_owned, viewer.id, 200, 0)
    return Template("dashboard.html", context={"user": viewer, "widgets": mine})


ROUTES = [home]
