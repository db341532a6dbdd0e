"""The pages people open in a browser: the IDE.

Pages are rendered on the server from client/templates (Jinja); each loads one small ES
module built from client/src (see client/build.mjs) that talks to the JSON API. Errors on
pages are pages too; a visitor who must log in first is sent to the log-in form and back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Router
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from widgetbox.host.web.assets import Assets, static_route
from widgetbox.host.web.format import FILTERS
from widgetbox.host.web.rendering import error_page, remember_viewer

__all__ = ["Assets", "router", "static_route", "template_config"]


def template_config(directory: Path, assets: Assets) -> TemplateConfig[JinjaTemplateEngine]:
    def configure(engine: JinjaTemplateEngine) -> None:
        env = engine.engine
        env.filters.update(FILTERS)
        env.globals.update(asset=assets.url, preloads=assets.preloads, assets=assets)
        env.trim_blocks = True
        env.lstrip_blocks = True

    return TemplateConfig(
        directory=directory, engine=JinjaTemplateEngine, engine_callback=configure
    )


def router(handlers: list[Any]) -> Router:
    """The IDE's pages (each domain's `PAGES`), with errors shown as a page."""
    return Router(
        path="/",
        route_handlers=handlers,
        include_in_schema=False,
        before_request=remember_viewer,
        exception_handlers={Exception: error_page},
    )
